"""Steps about etcd through kills, clean restarts and reboots."""

from pytest_bdd import when

from suite.checkstep import declared

from checks import lifecycle
from core.evidence import require


@declared("life.noted", target_fixture="noted")
def noted(target, request):
    state = lifecycle.note(target.remote, target.member)
    request.addfinalizer(lambda: lifecycle.forget(target.remote, target.member, state))
    return state


@when("the etcd process is killed with SIGKILL", target_fixture="killed")
def kill(target):
    return lifecycle.kill(target.remote, target.member)


@declared("life.restart-after-kill")
def restarted(target, killed):
    require(lifecycle.restarted(target.remote, target.member, killed))


@declared("life.stop")
def stopped(target):
    require(lifecycle.stop(target.remote, target.member))


@declared("life.start")
def started(target):
    require(lifecycle.start(target.remote, target.member))


@declared("life.data-consistent")
def consistent(target):
    require(lifecycle.data_consistent(target.remote, target.member))


@when("the host reboots", target_fixture="rebooted")
def reboots(target):
    return lifecycle.reboot(target.remote)


@declared("life.back-after-boot")
def back(target, rebooted, request):
    timeout = request.config.option.etcd_boot_timeout
    require(lifecycle.back_after_boot(target.remote, target.member, rebooted, timeout))


@declared("life.same-member")
def same_member(target, noted):
    require(lifecycle.same_member(target.remote, target.member, noted))


@declared("life.key-reads-back")
def reads_back(target, noted):
    require(lifecycle.reads_back(target.remote, target.member, noted))
