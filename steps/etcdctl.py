"""Steps about what etcdctl reports."""

from dataclasses import dataclass

from pytest_bdd import parsers, when

from suite.checkstep import check_then

from checks import membership
from core.evidence import Evidence, require
from core.etcdctl import MemberInfo


@dataclass
class Listing:
    evidence: Evidence
    members: list[MemberInfo] | None
    why: str


@when(parsers.parse("the members are listed in {fmt} format"), target_fixture="listing")
def list_members(target, fmt):
    return Listing(*membership.list_members(target.remote, target.member, fmt))


def judge(check, listing, target):
    require(check(listing.evidence, listing.members, listing.why, target.member))


@check_then("it lists exactly the configured members", "members.{format}.exact")
def exactly_configured(target, listing):
    judge(membership.one_member, listing, target)


@check_then("the member is named as configured and started", "members.{format}.started")
def named_started(target, listing):
    judge(membership.named_and_started, listing, target)


@check_then("the member advertises the configured peer and client URLs", "members.{format}.urls")
def advertises(target, listing):
    judge(membership.advertised_urls, listing, target)


@check_then("the member is not a learner", "members.{format}.voting")
def not_learner(target, listing):
    judge(membership.not_learner, listing, target)


@check_then("the member has the ID etcd derives from its configuration", "members.{format}.id")
def derived_id(target, listing):
    judge(membership.derived_id, listing, target)


@check_then("the host's hostname is the member's name", "member.hostname")
def hostname(target):
    require(membership.hostname_matches(target.remote, target.member))


@check_then("the endpoint status shows the member as leader", "endpoint.leader")
def leader(target):
    require(membership.leader(target.remote, target.member))


@check_then("the endpoint status shows no errors", "endpoint.no-errors")
def no_errors(target):
    require(membership.no_errors(target.remote, target.member))


@check_then("the endpoint status shows the installed etcd version", "endpoint.version")
def version(target):
    require(membership.version_matches(target.remote, target.member, target.expected_version))


@check_then("the endpoint is healthy", "endpoint.healthy")
def healthy(target):
    require(membership.healthy(target.remote, target.member))


@check_then("a key written to etcd can be read back and deleted", "kv.round-trip")
def round_trip(target):
    require(membership.round_trip(target.remote, target.member))
