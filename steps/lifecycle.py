"""Steps about etcd through kills, clean restarts and reboots."""

from pytest_bdd import given, then, when

from checks import lifecycle
from core.evidence import require


@given("a key written to etcd and the member's ID noted", target_fixture="noted")
def noted(target, request):
    state = lifecycle.note(target.remote, target.member)
    request.addfinalizer(lambda: lifecycle.forget(target.remote, target.member, state))
    return state


@when("the etcd process is killed with SIGKILL", target_fixture="killed")
def kill(target):
    return lifecycle.kill(target.remote, target.member)


@then("systemd restarts etcd within its restart delay and a bound")
def restarted(target, killed):
    require(lifecycle.restarted(target.remote, target.member, killed))


@when("etcd is stopped with systemctl")
def stopped(target):
    require(lifecycle.stop(target.remote, target.member))


@when("etcd is started with systemctl")
def started(target):
    require(lifecycle.start(target.remote, target.member))


@then("the data directory holds a readable snapshot database and write-ahead log")
def consistent(target):
    require(lifecycle.data_consistent(target.remote, target.member))


@when("the host reboots", target_fixture="rebooted")
def reboots(target):
    return lifecycle.reboot(target.remote)


@then("etcd is active again after the boot")
def back(target, rebooted, request):
    timeout = request.config.option.etcd_boot_timeout
    require(lifecycle.back_after_boot(target.remote, target.member, rebooted, timeout))


@then("the member keeps its ID")
def same_member(target, noted):
    require(lifecycle.same_member(target.remote, target.member, noted))


@then("the key reads back")
def reads_back(target, noted):
    require(lifecycle.reads_back(target.remote, target.member, noted))
