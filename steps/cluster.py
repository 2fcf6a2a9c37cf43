"""Steps about the production cluster as a whole."""

from pytest_bdd import then

from checks import cluster
from core.evidence import require


@then("etcdctl lists every configured member as started and none as a learner")
def all_started(target):
    require(cluster.all_started(target.remote, target.member))


@then("every member reports the same leader and the same cluster ID")
def one_leader(target):
    require(cluster.one_leader(target.remote, target.member))


@then("etcdctl endpoint health of the whole cluster reports every member healthy")
def healthy(target):
    require(cluster.cluster_healthy(target.remote, target.member))


@then("a client speaking plain HTTP to the client URL gets no answer from etcd")
def http_refused(target):
    require(cluster.plain_http_refused(target.remote, target.member))


@then("a TLS client without a client certificate is refused")
def no_cert_refused(target):
    require(cluster.no_cert_refused(target.remote, target.member))
