"""What a run found, as plain serialisable records: one per scenario on a host, one per host.

The student report, the terminal summary and the run's other outputs are written from these records alone
(reporting/): they travel with pytest's reports through pytest-xdist as two attributes, ``etcd_record`` (the
scenario) and ``etcd_host_record`` (its host), and nothing else of the suite is read to write them.

A scenario's record: ``host``, ``nodeid``, ``status`` (passed, failed, skipped, deviation), ``check_ids`` (the
checks it runs, in step order), ``failed_check``,
``scenario`` (pytest-bdd's description: feature, title, steps), ``check`` (a failure in the one format: what,
expected, found, evidence, fix, see), ``precondition`` (the line of a check that could not be made),
``deviations`` ([check id, reason, found]), ``warnings`` ([check id, text]) and ``failure`` (the headline, the
details, where: the failed Gherkin step). A host's record: ``host``, ``etcd_version`` (what ``etcd --version``
says there), ``hint`` (an edition that matches it better), ``user`` (who the audit logged in as),
``ssh_connections`` (opened by this process).
"""

from __future__ import annotations

import pytest

from checks import catalog
from core.i18n import N_
from core.evidence import redact

PREFLIGHT = {"name": catalog.CHECKS["host.preflight"].requirement[0].upper()
             + catalog.CHECKS["host.preflight"].requirement[1:], "steps": [], "tags": [],
             "feature": {"name": N_("Pre-flight"), "rel_filename": ""}}


def check_dict(result, check_id: str = "") -> dict:
    """A check's result as plain data, secrets redacted."""
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


def scenario_of(item: pytest.Item) -> dict | None:
    """The scenario an item runs, as pytest-bdd describes one that ran (name, feature, tags; no steps): for a
    scenario skipped before it ran, and the pre-flight (which is no scenario of a feature)."""
    from pytest_bdd.scenario import scenario_wrapper_template_registry

    if getattr(item, "originalname", "") == "test_preflight":
        return dict(PREFLIGHT)
    template = scenario_wrapper_template_registry.get(getattr(item, "function", None))
    if template is None:
        return None
    callspec = getattr(item, "callspec", None)
    example = dict(callspec.params.get("_pytest_bdd_example", {})) if callspec else {}
    feature = template.feature
    return {"name": template.render(example).name, "steps": [], "tags": sorted(template.tags),
            "feature": {"name": feature.name, "rel_filename": feature.rel_filename}}


def scenario_record(item: pytest.Item, host: str, scenario: dict | None, check_ids: list[str],
                    deviations: list, warnings: list) -> dict:
    """The record of one scenario on one host (its failure is added by :func:`failed`)."""
    return {"host": host, "nodeid": item.nodeid, "status": "", "check_ids": list(check_ids), "failed_check": "",
            "scenario": scenario or scenario_of(item), "check": None, "precondition": "",
            "deviations": [list(d) for d in deviations], "warnings": [list(w) for w in warnings], "failure": None}


def host_record(config: pytest.Config, host: str) -> dict:
    """What is known of a host in this process: its etcd, the edition it matches, its login user, connections."""
    from core import ssh
    from suite.target import TARGETS_KEY

    target = config.stash[TARGETS_KEY].ready.get(host) if TARGETS_KEY in config.stash else None
    return {"host": host, "etcd_version": getattr(target, "found_version", "") or "",
            "hint": getattr(target, "hint", "") or "", "user": ssh.CheckedParamikoBackend.users.get(host, ""),
            "ssh_connections": ssh.CheckedParamikoBackend.connections.get(host, 0),
            "jump_connections": {j: ssh.CheckedParamikoBackend.connections.get(j, 0)
                                 for j in ssh.CheckedParamikoBackend.jumps.get(host, [])}}
