"""The host every scenario starts from."""

from pytest_bdd import given

from suite.target import Target


@given("a host where the etcd step was carried out", target_fixture="target")
def carried_out(etcd_target: Target) -> Target:
    return etcd_target
