"""Steps about quorum: stopping other members of the production cluster and bringing them back."""

from pytest_bdd import parsers, then, when

from checks import quorum
from core.evidence import require
from suite.target import TARGETS_KEY


@when(parsers.re(r"(?P<count>one|two) other members? (is|are) stopped"), target_fixture="stopped")
def stop_others(target, count, request):
    peers = request.config.stash[TARGETS_KEY].peers(target)[: {"one": 1, "two": 2}[count]]
    request.addfinalizer(lambda: quorum.start(peers))  # never leave members down
    for peer in peers:
        require(quorum.stop(peer))
    return {"peers": peers, "written": []}


@then("a write through this member succeeds")
def write_succeeds(target, stopped):
    require(quorum.write_succeeds(target.remote, target.member, stopped["written"]))


@then("a write through this member fails with a clear error")
def write_fails(target, stopped):
    require(quorum.write_fails(target.remote, target.member, stopped["written"]))


@then("this member sees a leader")
def sees_leader(target):
    require(quorum.sees_leader(target.remote, target.member))


@when("the stopped members are started again")
def start_again(stopped):
    quorum.start(stopped["peers"])


@then("every member is healthy again and the writes read back")
def whole_again(target, stopped):
    require(quorum.whole_again(target.remote, target.member, stopped["written"]))
