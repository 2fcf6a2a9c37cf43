"""What a run found, per host and scenario, built from pytest's reports and pytest-bdd's step data."""

from __future__ import annotations

import datetime
import shlex
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from checks.catalog import CONCERNS
from core.evidence import redact
from core.i18n import N_

PASSED, FAILED, SKIPPED, DEVIATION, WAIVED = "passed", "failed", "skipped", "deviation", "waived"
STATUS_WORDS = (N_("passed"), N_("failed"), N_("skipped"), N_("deviation"), N_("waived"))  # shown in the reports
# the order a student meets the concerns in the tutorial, as the checks are declared (the pre-flight first, which
# has no feature file; the CIS benchmark last)
TUTORIAL_ORDER = ("",) + tuple(c for c in CONCERNS if c != "preflight")


@functools.lru_cache(maxsize=None)
def tutorial_rank(feature_file: str) -> int:
    """``etcd_binaries.feature`` → its place in the tutorial's order (pre-flight first, unknown ones last)."""
    concern = Path(feature_file).stem.removeprefix("etcd_") if feature_file else ""
    return TUTORIAL_ORDER.index(concern) if concern in TUTORIAL_ORDER else len(TUTORIAL_ORDER)


def natural(name: str) -> tuple:
    """A host name's sort key with its numbers as numbers: class-2 before class-10."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name))


def link_label(url: str) -> str:
    """What a link points at, in words."""
    if "kube-bench" in url:
        return N_("CIS benchmark (kube-bench's definition)")
    if "kubernetes-the-hard-way" in url:
        section = url.rsplit("#", 1)[1].replace("-", " ") if "#" in url else ""
        return N_("the tutorial: {section}").format(section=section) if section else N_("the tutorial")
    if "etcd.io" in url:
        return N_("etcd's documentation")
    return N_("reference")


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
    notes: list[str] = field(default_factory=list)  # what checks that held let pass (a default, a harmless setting)
    failed_check: str = ""  # the id of the check that failed
    deviations: dict[str, str] = field(default_factory=dict)  # check id → a known deviation's reason
    waived: dict[str, str] = field(default_factory=dict)  # check id → the waiver's justification

    @property
    def anchor(self) -> str:
        return "o-" + re.sub(r"[^A-Za-z0-9_-]+", "-", f"{self.host}-{self.nodeid.split('::')[-1]}")

    @property
    def failed_ids(self) -> list[str]:
        return [self.failed_check] if self.failed_check else list(self.check_ids)

    @property
    def headline(self) -> str:
        """One line: the failed check and what it requires (or why it could not be checked)."""
        tag = f"[{self.failed_check}] " if self.failed_check else ""
        if self.check:
            return f"{tag}{self.check['what']}"
        return f"{tag}{self.precondition or self.scenario}"

    @property
    def fix(self) -> str:
        if self.check:
            return self.check.get("fix", "")
        m = re.search(r"\(fix: (.*)\)$", self.precondition or "")
        return m.group(1) if m else ""


@dataclass
class HostSummary:
    name: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    deviation: int = 0  # known deviations of the tutorial: reported, not failed
    waived: int = 0  # failures a waiver accepts (--waivers): reported with its justification, not failed
    etcd_version: str = ""

    first_failure: str = ""  # the headline of its first failure in the tutorial's order

    @property
    def verdict(self) -> str:
        if self.failed:
            return "FAIL"
        return "PASS" if self.passed or self.waived else "NOT RUN"

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.skipped + self.deviation + self.waived


@dataclass
class Run:
    suite_version: str
    options: dict[str, str]
    started: datetime.datetime
    finished: datetime.datetime | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)  # host → etcd version found
    hints: dict[str, str] = field(default_factory=dict)  # host → the edition its files suggest
    users: dict[str, str] = field(default_factory=dict)  # host → the user it was audited as
    connections: dict[str, int] = field(default_factory=dict)  # host → SSH connections the checks opened
    connections_by_process: dict[str, dict[str, int]] = field(default_factory=dict)  # xdist worker → host → count
    rerun: str = ""  # the command of this run without its targets and selection; "{hosts}", "{checks}" filled per host
    host_specs: dict[str, str] = field(default_factory=dict)  # host → how the run named it (student@server:2222)
    plan_info: dict[str, str] = field(default_factory=dict)  # mode, edition, profile (ids, for results.json)
    lang: str = "en"  # the language of the report, the class board and the terminal summary (core/i18n.py)

    def add_host(self, record: dict, process: str = "main") -> None:
        """What a host's record (suite/records.py) says of it, from one process: its etcd, edition hint, login user;
        each process counts its own SSH connections (the most a process reported, summed over the processes)."""
        host = record.get("host")
        if not host:
            return
        for field_name, into in (("etcd_version", self.versions), ("user", self.users), ("hint", self.hints)):
            if record.get(field_name):
                into[host] = record[field_name]
        seen = self.connections_by_process.setdefault(process, {})
        counts = {host: record.get("ssh_connections", 0)}
        counts.update({f"{j} (jump host)": n for j, n in (record.get("jump_connections") or {}).items()})
        for name, n in counts.items():  # a jump host's connection is shared by the hosts behind it
            seen[name] = max(seen.get(name, 0), n)
            self.connections[name] = sum(p.get(name, 0) for p in self.connections_by_process.values())

    def hosts(self) -> list[HostSummary]:
        """Every host, failing ones first (a class: who needs help first), each with its first failure."""
        out: dict[str, HostSummary] = {}
        for o in self.outcomes:
            h = out.setdefault(o.host, HostSummary(o.host, etcd_version=self.versions.get(o.host, "")))
            setattr(h, o.status, getattr(h, o.status) + 1)
        for h in out.values():
            first = next(iter(self.to_fix(h.name)), None)
            h.first_failure = first.headline if first else ""
        return sorted(out.values(), key=lambda h: (h.verdict != "FAIL", natural(h.name)))

    @property
    def verdict(self) -> str:
        verdicts = {h.verdict for h in self.hosts()}
        return "FAIL" if "FAIL" in verdicts else ("PASS" if verdicts == {"PASS"} else "NOT RUN")

    def _ordered(self, host: str | None = None) -> list[Outcome]:
        """Outcomes in the tutorial's order of concerns (as they ran within one concern)."""
        if host is None:
            mine = list(enumerate(self.outcomes))
        else:  # a class's report asks per host, several times: the outcomes are grouped by host once
            index = self.__dict__.get("_by_host")
            if index is None or index[0] != len(self.outcomes):
                grouped: dict[str, list[tuple[int, Outcome]]] = {}
                for i, o in enumerate(self.outcomes):
                    grouped.setdefault(o.host, []).append((i, o))
                index = self.__dict__["_by_host"] = (len(self.outcomes), grouped)
            mine = index[1].get(host, [])
        return [o for _, o in sorted(mine, key=lambda io: (tutorial_rank(io[1].feature_file), io[0]))]

    def features(self, host: str) -> list[tuple[str, list[Outcome]]]:
        """(feature name, its scenarios on this host) in the tutorial's order; known deviations apart."""
        grouped: dict[str, list[Outcome]] = {}
        for o in self._ordered(host):
            if o.status != DEVIATION:
                grouped.setdefault(o.feature, []).append(o)
        return list(grouped.items())

    def to_fix(self, host: str) -> list[Outcome]:
        """What failed on this host, in the order the tutorial would fix it."""
        return [o for o in self._ordered(host) if o.status == FAILED]

    def fix_groups(self, host: str) -> list[list[Outcome]]:
        """What failed on this host, in the tutorial's order, the failures with the same fix together (one line
        naming all of them, the fix once: ``chmod 700 /var/lib/etcd`` repairs dir.data and cis.1.1.11)."""
        groups: dict[str, list[Outcome]] = {}
        for i, o in enumerate(self.to_fix(host)):
            groups.setdefault(o.fix.strip() or f"#{i}", []).append(o)
        return list(groups.values())

    def deviations(self, host: str) -> list[Outcome]:
        return [o for o in self._ordered(host) if o.status == DEVIATION]

    def failures(self) -> list[Outcome]:
        return [o for o in self._ordered() if o.status == FAILED]

    def rerun_command(self, host: str) -> str:
        """The command that runs again only the checks that failed on this host ('' when none failed)."""
        ids = list(dict.fromkeys(cid for o in self.to_fix(host) for cid in o.failed_ids))
        if not ids or not self.rerun:
            return ""
        command = self.rerun.replace("{hosts}", shlex.quote(self.host_specs.get(host, host)))
        if "host.preflight" in ids:  # nothing was judged: the whole audit again
            return command.replace(" --check={checks}", "")
        return command.replace("{checks}", ",".join(ids))


def outcome_from_report(report) -> Outcome:
    """An Outcome from a pytest TestReport and the scenario's record the suite attached to it (suite/records.py)."""
    record = getattr(report, "etcd_record", None) or {}
    scenario = record.get("scenario") or {}
    feature = scenario.get("feature", {})
    steps = [
        Step(s["keyword"], s["name"], FAILED if s["failed"] else PASSED, float(s.get("duration") or 0))
        for s in scenario.get("steps", [])
    ]
    status = record.get("status") or (report.outcome if report.outcome in (PASSED, FAILED, SKIPPED) else FAILED)
    message = ""
    deviations, warnings = record.get("deviations") or [], record.get("warnings") or []
    waived = record.get("waived") or []
    if report.passed and waived:
        message = "; ".join(N_("waived {cid}: {why} (found {found})").format(cid=cid, why=why, found=found) for cid, why, found in waived)
    elif report.passed and deviations:
        message = "; ".join(N_("known deviation {cid}: {reason} (found {found})").format(cid=cid, reason=reason, found=found)
                            for cid, reason, found in deviations)
    elif report.passed and (warnings or record.get("notes")):
        message = "; ".join([N_("warning {cid}: {text}").format(cid=cid, text=text) for cid, text in warnings]
                            + [N_("note {cid}: {text}").format(cid=cid, text=text) for cid, text in record.get("notes") or []])
    elif report.skipped and isinstance(report.longrepr, tuple):
        message = str(report.longrepr[2]).removeprefix("Skipped: ")
    elif report.failed and not record.get("check") and not record.get("precondition"):
        message = redact(str(report.longrepr))[-4000:]
    return Outcome(
        nodeid=report.nodeid,
        host=record.get("host", "local"),
        feature=feature.get("name") or "Other",
        feature_file=feature.get("rel_filename", ""),
        scenario=scenario.get("name") or report.nodeid.split("::")[-1],
        status=status,
        duration=float(report.duration or 0),
        steps=steps,
        check=record.get("check"),
        precondition=record.get("precondition", ""),
        message=message,
        check_ids=list(record.get("check_ids") or []),
        warnings=[f"[{cid}] {text}" for cid, text in warnings],
        notes=[f"[{cid}] {text}" for cid, text in record.get("notes") or []],
        failed_check=record.get("failed_check", ""),
        deviations={cid: reason for cid, reason, _ in deviations} if report.passed else {},
        waived={cid: why for cid, why, _ in waived} if report.passed else {},
    )
