"""Steps about the etcd process's listening sockets."""


from suite.checkstep import check_then

from checks import network
from core.evidence import require


@check_then("the etcd process listens on its {role} URL", "net.{role}.listens")
def listens_on(target, role):
    require(network.listens_on(target.remote, target.member, role))


@check_then("the etcd process listens on no other address", "net.nowhere-else")
def listens_nowhere_else(target):
    require(network.listens_nowhere_else(target.remote, target.member))
