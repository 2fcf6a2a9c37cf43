"""Steps about the production cluster as a whole."""


from suite.checkstep import check_then

from checks import cluster
from core.evidence import require


@check_then("etcdctl lists every configured member as started and none as a learner", "cluster.started")
def all_started(target):
    require(cluster.all_started(target.remote, target.member))


@check_then("every member reports the same leader and the same cluster ID", "cluster.one-leader")
def one_leader(target):
    require(cluster.one_leader(target.remote, target.member))


@check_then("etcdctl endpoint health of the whole cluster reports every member healthy", "cluster.healthy")
def healthy(target):
    require(cluster.cluster_healthy(target.remote, target.member))


@check_then("a client speaking plain HTTP to the client URL gets no answer from etcd", "cluster.no-plain-http")
def http_refused(target):
    require(cluster.plain_http_refused(target.remote, target.member))


@check_then("a TLS client without a client certificate is refused", "cluster.client-cert-required")
def no_cert_refused(target):
    require(cluster.no_cert_refused(target.remote, target.member))
