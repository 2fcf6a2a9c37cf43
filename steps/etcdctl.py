"""Steps about what etcdctl reports."""

from dataclasses import dataclass

from pytest_bdd import parsers, then, when

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


@then("it lists exactly the configured members")
def exactly_configured(target, listing):
    judge(membership.one_member, listing, target)


@then("the member is named as configured and started")
def named_started(target, listing):
    judge(membership.named_and_started, listing, target)


@then("the member advertises the configured peer and client URLs")
def advertises(target, listing):
    judge(membership.advertised_urls, listing, target)


@then("the member is not a learner")
def not_learner(target, listing):
    judge(membership.not_learner, listing, target)


@then("the member has the ID etcd derives from its configuration")
def derived_id(target, listing):
    judge(membership.derived_id, listing, target)


@then("the host's hostname is the member's name")
def hostname(target):
    require(membership.hostname_matches(target.remote, target.member))


@then("the endpoint status shows the member as leader")
def leader(target):
    require(membership.leader(target.remote, target.member))


@then("the endpoint status shows no errors")
def no_errors(target):
    require(membership.no_errors(target.remote, target.member))


@then("the endpoint status shows the installed etcd version")
def version(target):
    require(membership.version_matches(target.remote, target.member, target.expected_version))


@then("the endpoint is healthy")
def healthy(target):
    require(membership.healthy(target.remote, target.member))


@then("a key written to etcd can be read back and deleted")
def round_trip(target):
    require(membership.round_trip(target.remote, target.member))
