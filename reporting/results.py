"""The run's results as JSON (``reports/results.json``, ``--etcd-json PATH``): per host, every check by its id,
with its status and, for a failure, what, expected, found, the evidence (commands and exit codes) and the fix.

The schema is ``reporting/results.schema.json`` (versioned: ``schema_version``); ids, not test names, so a
dashboard or a grading script reads the same keys from run to run. Statuses: passed (a warning is a field of a
passed check), failed, waived (a failure a waiver accepts, with its justification), deviation (a known deviation
of the edition, with its reason), skipped (with why: not
asked in an audit, not judged after a failure of its scenario or of the host's pre-flight).
"""

from __future__ import annotations

import json
from pathlib import Path

from core.files import atomic_write
from core.i18n import N_
from reporting.model import DEVIATION, FAILED, PASSED, SKIPPED, WAIVED, Outcome, Run

SCHEMA_VERSION = 1
SCHEMA = Path(__file__).with_name("results.schema.json")
RANK = {FAILED: 5, WAIVED: 4, DEVIATION: 3, PASSED: 2, SKIPPED: 1}  # a check in several scenarios: its worst status


def _tagged(items: list[str]) -> dict[str, str]:
    """``["[id] text", ...]`` → {id: text}."""
    out = {}
    for item in items:
        if item.startswith("[") and "] " in item:
            cid, _, text = item[1:].partition("] ")
            out[cid] = text
    return out


def _checks_of(o: Outcome) -> list[dict]:
    """Each check a scenario runs, with its status on this host."""
    ids = o.check_ids or ([o.failed_check] if o.failed_check else [])
    warnings, notes = _tagged(o.warnings), _tagged(o.notes)
    deviations = o.deviations if o.status == DEVIATION else {}
    waived = o.waived if o.status == WAIVED else {}
    out = []
    failed_at = ids.index(o.failed_check) if o.failed_check in ids else None
    for i, cid in enumerate(ids):
        entry: dict = {"id": cid, "feature": o.feature, "scenario": o.scenario}
        if o.status == SKIPPED:
            entry.update(status=SKIPPED, reason=o.message or "skipped")
        elif o.status == FAILED and (cid == o.failed_check or failed_at is None):
            entry["status"] = FAILED
            if o.check:
                entry.update({k: o.check.get(k, "") for k in ("what", "expected", "found", "fix")})
                entry["evidence"] = [{"command": e.get("command", ""), "rc": e.get("rc")}
                                     for e in o.check.get("evidence", [])]
            else:
                entry.update(what=o.precondition or o.message.splitlines()[0] if (o.precondition or o.message)
                             else o.scenario, fix=o.fix, evidence=[])
        elif o.status == FAILED and failed_at is not None and i > failed_at:
            entry.update(status=SKIPPED, reason=N_("not judged: {check} failed before it in its scenario").format(
                check=o.failed_check))
        elif cid in waived:
            entry.update(status=WAIVED, reason=waived[cid])
        elif cid in deviations:
            entry.update(status=DEVIATION, reason=deviations[cid])
        else:
            entry["status"] = PASSED
        if cid in warnings and entry["status"] == PASSED:
            entry["warning"] = warnings[cid]
        if cid in notes:
            entry["note"] = notes[cid]
        out.append(entry)
    return out


def results(run: Run) -> dict:
    """The run as the schema describes it."""
    hosts = []
    for summary in run.hosts():
        checks: dict[str, dict] = {}
        for o in run._ordered(summary.name):
            for entry in _checks_of(o):
                kept = checks.get(entry["id"])
                if kept is None or RANK[entry["status"]] > RANK[kept["status"]]:
                    checks[entry["id"]] = entry
        hosts.append({
            "name": summary.name, "verdict": summary.verdict, "user": run.users.get(summary.name, ""),
            "reached_as": run.host_specs.get(summary.name, summary.name),
            "etcd_version": run.versions.get(summary.name, ""),
            "counts": {"passed": summary.passed, "failed": summary.failed, "skipped": summary.skipped,
                       "deviation": summary.deviation, "waived": summary.waived},
            "checks": list(checks.values()),
        })
    return {
        "schema_version": SCHEMA_VERSION,
        "suite_version": run.suite_version,
        "run": {**run.plan_info, "started": run.started.isoformat(timespec="seconds"),
                "finished": run.finished.isoformat(timespec="seconds") if run.finished else None,
                "verdict": run.verdict},
        "hosts": hosts,
    }


def write(run: Run, path: Path) -> Path:
    atomic_write(path, json.dumps(results(run), indent=1, ensure_ascii=False) + "\n", mode=0o644)
    return path
