"""Steps about the etcd process's listening sockets."""

from pytest_bdd import parsers, then

from checks import network
from core.evidence import require


@then(parsers.parse("the etcd process listens on its {role} URL"))
def listens_on(target, role):
    require(network.listens_on(target.remote, target.member, role))


@then("the etcd process listens on no other address")
def listens_nowhere_else(target):
    require(network.listens_nowhere_else(target.remote, target.member))
