"""Judge recorded hosts (core/answers.py) with the declared checks: a verdict per check id, no host needed.

The verdicts are those of an audit: ``passed`` (with its warning, if any), ``failed`` (with its one-line
headline), ``deviation`` (a known deviation of the plan's profile or edition, checks/deviations.py) and
``skipped`` (a check of another profile, or one whose evidence is an action on the host: with why).
"""

from __future__ import annotations

from dataclasses import dataclass

from checks import catalog, deviations
from core.answers import HostRecord
from core.evidence import CheckFailure, Result

PASSED, FAILED, DEVIATION, SKIPPED = "passed", "failed", "deviation", "skipped"


@dataclass
class Verdict:
    check: str
    status: str
    headline: str = ""  # a failure's one line; a deviation's reason; why a check was skipped; a warning
    result: Result | None = None


def headline(result: Result) -> str:
    return f"{result.what}: {result.found}" + (f" (fix: {result.fix.splitlines()[-1]})" if result.fix else "")


def judge(record: HostRecord, checks: list[catalog.Check] | None = None) -> list[Verdict]:
    """Every check's verdict on one recorded host, in the catalog's order."""
    plan = record.plan
    member = plan.member() if plan.member_name else None
    out: list[Verdict] = []
    for check in checks or list(catalog.CHECKS.values()):
        if not check.applies(plan.profile):
            out.append(Verdict(check.id, SKIPPED, f"{', '.join(check.profiles)} profile only"))
            continue
        if check.judge is None:
            out.append(Verdict(check.id, SKIPPED, f"judged where it acts on the host: it {check.action}"))
            continue
        if member is None and check.id != "host.preflight":
            out.append(Verdict(check.id, SKIPPED, "the host failed its pre-flight"))
            continue
        try:
            result = check.judge(member, record.view())
        except CheckFailure as exc:  # a precondition of the check (nothing serves etcdctl, ...)
            result = exc.result
            result.ok = False
        if result.ok:
            out.append(Verdict(check.id, PASSED, "; ".join(filter(None, [result.warning, *result.notes])), result))
            continue
        known = deviations.known(check.id, plan.profile, plan.edition, result.cause)
        if known is not None:
            out.append(Verdict(check.id, DEVIATION, known.reason, result))
        else:
            out.append(Verdict(check.id, FAILED, headline(result), result))
    return out


def failing(verdicts: list[Verdict]) -> set[str]:
    return {v.check for v in verdicts if v.status == FAILED}
