"""Check ids without a lab: every id the fault catalogue, the known deviations and the CIS mapping name
exists; every scenario step that runs a check resolves to a known id; every known id is run somewhere."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from pytest_bdd.feature import get_features

from checks import catalog, deviations
from provision.faults import load
from suite import checkstep

ROOT = Path(__file__).resolve().parent.parent
STEP_MODULES = ["steps.host", "steps.judged", "steps.etcdctl", "steps.provisioning", "steps.lifecycle", "steps.quorum"]


@pytest.fixture(scope="module")
def scenario_ids() -> dict[str, list[str]]:
    """{scenario (with its example row): the check ids it runs} over every feature."""
    for name in STEP_MODULES:
        importlib.import_module(name)
    out = {}
    for feature in get_features([str(ROOT / "features")]):
        for template in feature.scenarios.values():
            rows = [ctx for ex in template.examples for ctx in ex.as_contexts()] or [{}]
            for row in rows:
                out[f"{feature.rel_filename}: {template.name} {row or ''}"] = checkstep.template_checks(template, row)
    return out


def test_every_scenario_runs_at_least_one_known_check(scenario_ids):
    assert scenario_ids
    for scenario, ids in scenario_ids.items():
        assert ids, f"{scenario}: no step names a check"
        unknown = [i for i in ids if i not in catalog.CHECKS]
        assert not unknown, f"{scenario}: unknown check ids {unknown}"


def test_every_known_check_is_run_by_a_scenario(scenario_ids):
    run = {i for ids in scenario_ids.values() for i in ids} | {"host.preflight"}
    assert set(catalog.CHECKS) - run == set()


def test_the_fault_catalogue_names_only_known_checks():
    for fault in load():
        named = fault.fails + fault.peers_fail + fault.may_fail
        unknown = [i for i in named if i not in catalog.CHECKS]
        assert not unknown, f"fault {fault.id}: unknown check ids {unknown}"
        assert not any(i.startswith("test_") for i in named)
        assert not set(fault.fails) & set(fault.may_fail), f"fault {fault.id}: a check both must and may fail"


def test_the_known_deviations_name_known_checks_and_profiles():
    from core.editions import EDITIONS

    for d in deviations.DEVIATIONS:
        assert d.check in catalog.CHECKS and d.reason and set(d.profiles) <= {"lab", "production"}
        assert set(d.editions) <= set(EDITIONS) and (d.profiles or d.editions)
    assert deviations.known("cis.2.1", "lab") is not None and deviations.known("cis.2.1", "production") is None
    assert deviations.known("config.name", "lab") is None
    assert deviations.known("member.hostname", "lab") is None
    assert deviations.known("member.hostname", "lab", "kthw-current") is not None


def test_the_cis_mapping_names_known_checks_with_their_cis_numbers():
    from checks import cis

    for number, requirement in catalog.CIS.items():
        check = catalog.CHECKS[f"cis.{number}"]
        assert check.ref == number and check.requirement == requirement
    assert set(cis.FLAG_RULES) | {"1.1.11", "1.1.12"} == set(catalog.CIS)


def test_ids_are_stable_words():
    import re

    for cid in catalog.CHECKS:
        assert re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", cid), cid
    assert catalog.slug("CA certificate") == "ca-certificate" and catalog.slug("RestartSec") == "restartsec"


def test_a_deviation_with_a_cause_holds_only_for_failures_of_that_cause():
    """The 2020 text leaves its binaries owned by whoever unpacked the release: that owner is the edition's known
    deviation; the same binary missing, of another mode or not runnable still fails."""
    from checks.files import binary
    from core.evidence import Evidence
    from core.model import Member

    class Stat:  # the remote's answer to stat (and to systemctl show: etcd runs as root)
        def __init__(self, line):
            self.line = line

        def look(self, cmd, *args, **_):
            if cmd.startswith("stat"):
                return Evidence("stat", 0 if self.line else 1, self.line + "\n" if self.line else "", "")
            return Evidence("systemctl show", 0, "User=\n", "")

    causes = {}
    for case, line in {"owner": "regular file|755|UNKNOWN|UNKNOWN|528287|89939", "mode": "regular file|777|root|root",
                       "missing": "", "kind": "directory|755|root|root", "ok": "regular file|755|root|root",
                       "usable": "regular file|644|root|root"}.items():
        result = binary(Stat(line), Member(), "etcd")
        causes[case] = result.cause
        assert result.ok == (case == "ok"), (case, result.found)
    assert binary(Stat("regular file|755|UNKNOWN|UNKNOWN|528287|89939"), Member(), "etcd").found == (
        "regular file, mode 0755, owner 528287:89939")  # stat's UNKNOWN: the owner's number
    assert causes == {"owner": "owner", "mode": "mode", "missing": "missing", "kind": "kind", "ok": "",
                      "usable": "usable"}
    for name in ("etcd", "etcdctl"):
        check = f"binary.{name}.installed"
        assert deviations.known(check, "production", "kthw-2020", "owner") is not None
        for other in ("mode", "missing", "kind", "usable"):
            assert deviations.known(check, "production", "kthw-2020", other) is None
        assert deviations.known(check, "production", None, "owner") is None  # the tutorial's other texts: root's
        assert deviations.known(check, "lab", "kthw-server", "owner") is None


def test_the_features_examples_are_the_families_of_the_catalog():
    """A family (the nine flags, the CIS items, the certificate roles, ...) is written once, in checks/catalog.py:
    each Scenario Outline's Examples run exactly its family's checks, in the family's order, and the CIS
    outline's requirement column is the catalog's text."""
    for name in STEP_MODULES:
        importlib.import_module(name)
    families: dict[str, list[str]] = {}
    for c in catalog.CHECKS.values():
        if c.family:
            families.setdefault(c.family, []).append(c.id)
    covered = set()
    for feature in get_features([str(ROOT / "features")]):
        for template in feature.scenarios.values():
            rows = [ctx for ex in template.examples for ctx in ex.as_contexts()]
            if not rows:  # a family may be written out as plain scenarios, one per value (the two directories)
                covered |= {catalog.CHECKS[c].family for c in checkstep.template_checks(template, {})} - {""}
                continue
            ran: dict[str, list[str]] = {}
            for row in rows:
                for cid in checkstep.template_checks(template, row):
                    family = catalog.CHECKS[cid].family
                    assert family, f"{template.name}: {cid} is no family's, yet an outline runs it"
                    ran.setdefault(family, []).append(cid)
                if "requirement" in row:
                    assert row["requirement"] == catalog.CIS[row["id"]], row
            for family, ids in ran.items():
                assert ids == families[family], f"{feature.rel_filename}: {template.name}: {ids} != {families[family]}"
                covered.add(family)
    assert covered == set(families)


def test_the_values_the_features_write_out_are_the_default_editions():
    """The features teach the tutorial's values (the data directory's 0700, RestartSec=5, the nine settings): they
    are the model's for the default edition; other editions and --etcd-set differ by data (core/editions.py)."""
    from core.model import Member

    for name in STEP_MODULES:
        importlib.import_module(name)
    member, shown = Member(), 0
    for feature in get_features([str(ROOT / "features")]):
        for template in feature.scenarios.values():
            for row in [ctx for ex in template.examples for ctx in ex.as_contexts()] or [{}]:
                for step in template.render(row).steps:
                    for spec in checkstep.REGISTRY:
                        if not spec.parser.is_matching(step.name):
                            continue
                        args = spec.parser.parse_arguments(step.name) or {}
                        check = catalog.CHECKS[spec.check_id({**row, **args})]
                        if check.shows:
                            assert {k: args[k] for k in check.shows(member)} == check.shows(member), step.name
                            shown += 1
    assert shown == 2 + 9 + 4  # two directories, nine settings, four of the service


def test_the_old_ids_of_the_configuration_checks_still_name_them():
    from checks.catalog import ALIASES, CHECKS, get, resolve

    assert get("unit.flag.data-dir").id == "config.data-dir"
    assert get("unit.no-other-flag").id == "config.no-other-setting"
    assert resolve("unit.flag.*") == "config.*" and resolve("dir.data") == "dir.data"
    assert all(new in CHECKS for new in ALIASES.values()) and not set(ALIASES) & set(CHECKS)
