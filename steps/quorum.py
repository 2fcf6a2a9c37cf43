"""Steps about quorum: stopping other members of the production cluster and bringing them back."""

from pytest_bdd import when

from suite.checkstep import declared

from checks import quorum
from core.evidence import require
from suite.target import TARGETS_KEY


@declared("quorum.stop-peers", target_fixture="stopped")
def stop_others(target, count, request):
    peers = request.config.stash[TARGETS_KEY].peers(target)[: {"one": 1, "two": 2}[count]]
    request.addfinalizer(lambda: quorum.start(peers))  # never leave members down
    for peer in peers:
        require(quorum.stop(peer))
    return {"peers": peers, "written": []}


@declared("quorum.write-succeeds")
def write_succeeds(target, stopped):
    require(quorum.write_succeeds(target.remote, target.member, stopped["written"]))


@declared("quorum.write-fails")
def write_fails(target, stopped):
    require(quorum.write_fails(target.remote, target.member, stopped["written"]))


@declared("quorum.sees-leader")
def sees_leader(target):
    require(quorum.sees_leader(target.remote, target.member))


@when("the stopped members are started again")
def start_again(stopped):
    quorum.start(stopped["peers"])


@declared("quorum.whole-again")
def whole_again(target, stopped):
    require(quorum.whole_again(target.remote, target.member, stopped["written"]))
