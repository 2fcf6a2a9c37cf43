"""Steps about the CIS benchmark's etcd checks and etcd's own version advice."""

from checks import cis
from core.evidence import require
from suite.checkstep import check_then


@check_then("CIS check {cis_id} holds", "cis.{cis_id}")
def cis_check(target, cis_id):
    require(cis.check(target.remote, target.member, cis_id))


@check_then("the etcd version follows etcd's own advice", "advice.etcd-version")
def version_advice(target):
    require(cis.version_advice(target.found_version))
