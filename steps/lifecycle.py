"""Steps about etcd through kills, clean restarts and reboots."""

from pytest_bdd import when

from suite.checkstep import check_given, check_then, check_when

from checks import lifecycle
from core.evidence import require


@check_given("a key written to etcd and the member's ID noted", "life.noted", target_fixture="noted")
def noted(target, request):
    state = lifecycle.note(target.remote, target.member)
    request.addfinalizer(lambda: lifecycle.forget(target.remote, target.member, state))
    return state


@when("the etcd process is killed with SIGKILL", target_fixture="killed")
def kill(target):
    return lifecycle.kill(target.remote, target.member)


@check_then("systemd restarts etcd within its restart delay and a bound", "life.restart-after-kill")
def restarted(target, killed):
    require(lifecycle.restarted(target.remote, target.member, killed))


@check_when("etcd is stopped with systemctl", "life.stop")
def stopped(target):
    require(lifecycle.stop(target.remote, target.member))


@check_when("etcd is started with systemctl", "life.start")
def started(target):
    require(lifecycle.start(target.remote, target.member))


@check_then("the data directory holds a readable snapshot database and write-ahead log", "life.data-consistent")
def consistent(target):
    require(lifecycle.data_consistent(target.remote, target.member))


@when("the host reboots", target_fixture="rebooted")
def reboots(target):
    return lifecycle.reboot(target.remote)


@check_then("etcd is active again after the boot", "life.back-after-boot")
def back(target, rebooted, request):
    timeout = request.config.option.etcd_boot_timeout
    require(lifecycle.back_after_boot(target.remote, target.member, rebooted, timeout))


@check_then("the member keeps its ID", "life.same-member")
def same_member(target, noted):
    require(lifecycle.same_member(target.remote, target.member, noted))


@check_then("the key reads back", "life.key-reads-back")
def reads_back(target, noted):
    require(lifecycle.reads_back(target.remote, target.member, noted))
