"""Steps about etcdctl that are not judgements of gathered evidence: choosing the format, writing a key."""

from pytest_bdd import parsers, when

from checks import membership
from core.evidence import require
from suite.checkstep import declared


@when(parsers.parse("the members are listed in {fmt} format"), target_fixture="listing_format")
def list_members(fmt):
    """The format names the checks that follow (``members.<format>.*``); their evidence is gathered with the rest."""
    return fmt


@declared("kv.round-trip")
def round_trip(target):
    require(membership.round_trip(target.remote, target.member))
