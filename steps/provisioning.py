"""Steps about carrying out the step (bootstrap) itself."""

from pytest_bdd import when

from suite.checkstep import declared

from core.evidence import Result, require
from checks.service import main_pid
from provision.bootstrap import OK, report


@when("the etcd step is carried out again", target_fixture="second_run")
def carried_out_again(target):
    _, pid_before = main_pid(target.remote, target.member)
    actions = target.bootstrap()
    return {"actions": actions, "pid_before": pid_before}


@declared("bootstrap.idempotent")
def all_ok(target, second_run):
    not_ok = [a for a in second_run["actions"] if a.status != OK]
    require(Result(
        what="a second bootstrap changes nothing", ok=not not_ok, expected="every action ok",
        found=report(second_run["actions"]) if not_ok else "every action ok", evidence=[],
        fix="the bootstrap must compare before it acts: see provision/bootstrap.py"))


@declared("bootstrap.no-restart")
def not_restarted(target, second_run):
    ev, pid_after = main_pid(target.remote, target.member)
    before = second_run["pid_before"]
    require(Result(
        what="a second bootstrap does not restart etcd", ok=bool(before) and pid_after == before,
        expected=f"MainPID {before}", found=f"MainPID {pid_after}", evidence=[ev],
        fix="restart only when the binary or the unit changed", see=""))
