"""What a run found, per host and scenario, built from pytest's reports and pytest-bdd's step data."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from core.evidence import redact

PASSED, FAILED, SKIPPED, DEVIATION = "passed", "failed", "skipped", "deviation"


@dataclass
class Step:
    keyword: str
    name: str
    status: str
    duration: float


@dataclass
class Outcome:
    """One scenario on one host."""

    nodeid: str
    host: str
    feature: str
    feature_file: str
    scenario: str
    status: str
    duration: float
    steps: list[Step] = field(default_factory=list)
    check: dict | None = None  # what, expected, found, evidence [{command, rc, stdout, stderr, note}], fix, see
    precondition: str = ""  # the one line of a check that could not be made
    message: str = ""  # skip reason, a known deviation's reason, or an unexpected error's text
    check_ids: list[str] = field(default_factory=list)  # the checks this scenario runs
    warnings: list[str] = field(default_factory=list)  # checks that held but need attention soon


@dataclass
class HostSummary:
    name: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    deviation: int = 0  # known deviations of the tutorial: reported, not failed
    etcd_version: str = ""

    @property
    def verdict(self) -> str:
        if self.failed:
            return "FAIL"
        return "PASS" if self.passed else "NOT RUN"

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.skipped + self.deviation


@dataclass
class Run:
    suite_version: str
    options: dict[str, str]
    started: datetime.datetime
    finished: datetime.datetime | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)  # host → etcd version found
    hints: dict[str, str] = field(default_factory=dict)  # host → the edition its files suggest
    connections: dict[str, int] = field(default_factory=dict)  # host → SSH connections the checks opened
    connections_by_process: dict[str, dict[str, int]] = field(default_factory=dict)  # xdist worker → host → count

    def hosts(self) -> list[HostSummary]:
        out: dict[str, HostSummary] = {}
        for o in self.outcomes:
            h = out.setdefault(o.host, HostSummary(o.host, etcd_version=self.versions.get(o.host, "")))
            setattr(h, o.status, getattr(h, o.status) + 1)
        return [out[k] for k in sorted(out)]

    @property
    def verdict(self) -> str:
        verdicts = {h.verdict for h in self.hosts()}
        return "FAIL" if "FAIL" in verdicts else ("PASS" if verdicts == {"PASS"} else "NOT RUN")

    def features(self, host: str) -> list[tuple[str, list[Outcome]]]:
        """(feature name, its scenarios on this host) in the order they ran; failing features first."""
        grouped: dict[str, list[Outcome]] = {}
        for o in self.outcomes:
            if o.host == host:
                grouped.setdefault(o.feature, []).append(o)
        items = list(grouped.items())
        return sorted(items, key=lambda kv: not any(o.status == FAILED for o in kv[1]))

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == FAILED]


def check_dict(result, check_id: str = "") -> dict:
    """A check's result as plain data (travels through pytest-xdist), secrets redacted."""
    return {
        "id": check_id,
        "what": result.what,
        "expected": result.expected,
        "found": redact(result.found),
        "fix": result.fix,
        "see": result.see,
        "evidence": [
            {"command": e.command, "rc": e.rc, "stdout": redact(e.stdout), "stderr": redact(e.stderr), "note": e.note}
            for e in result.evidence
        ],
    }


def outcome_from_report(report, host: str) -> Outcome:
    """An Outcome from a pytest TestReport that pytest-bdd and this suite's plugin annotated."""
    scenario = getattr(report, "etcd_scenario", None) or {}
    feature = scenario.get("feature", {})
    steps = [
        Step(s["keyword"], s["name"], FAILED if s["failed"] else PASSED, float(s.get("duration") or 0))
        for s in scenario.get("steps", [])
    ]
    status = report.outcome if report.outcome in (PASSED, FAILED, SKIPPED) else FAILED
    message = ""
    if report.passed and getattr(report, "etcd_deviations", None):
        status = DEVIATION
        message = "; ".join(f"known deviation {cid}: {reason} (found {found})"
                            for cid, reason, found in report.etcd_deviations)
    elif report.passed and getattr(report, "etcd_warnings", None):
        message = "; ".join(f"warning {cid}: {text}" for cid, text in report.etcd_warnings)
    elif report.skipped and isinstance(report.longrepr, tuple):
        message = str(report.longrepr[2]).removeprefix("Skipped: ")
    elif report.failed and not getattr(report, "etcd_check", None) and not getattr(report, "etcd_precondition", ""):
        message = redact(str(report.longrepr))[-4000:]
    if not scenario and "test_preflight" in report.nodeid:
        feature = {"name": "Pre-flight"}
        scenario = {"name": "The host answers over SSH, runs commands as root, runs systemd and has ss"}
    return Outcome(
        nodeid=report.nodeid,
        host=host,
        feature=feature.get("name", "(not a feature)"),
        feature_file=feature.get("rel_filename", ""),
        scenario=scenario.get("name", report.nodeid.split("::")[-1]),
        status=status,
        duration=float(report.duration or 0),
        steps=steps,
        check=getattr(report, "etcd_check", None),
        precondition=getattr(report, "etcd_precondition", ""),
        message=message,
        check_ids=list(getattr(report, "etcd_check_ids", []) or []),
        warnings=[f"[{cid}] {text}" for cid, text in getattr(report, "etcd_warnings", None) or []],
    )
