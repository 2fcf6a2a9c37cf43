"""Every check judged on recorded hosts, without a lab (tests/data/recordings/, made by tests/recordings.py).

A healthy host of each edition and profile passes every check (or shows its known deviations); each fault of
the catalogue fails exactly the checks the catalogue names (``fails``, ``may_fail`` allowed; on a production
fault's peers, ``peers_fail``); every check judged on evidence passes on one recording and fails on another, so
that no judgement can change unseen; and what a judgement reads is what its declaration says it needs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from checks import catalog
from checks.judging import DEVIATION, FAILED, PASSED, failing, judge
from core.answers import HostRecord
from provision.faults import load

RECORDINGS = Path(__file__).resolve().parent / "data" / "recordings"
HEALTHY = sorted((RECORDINGS / "healthy").glob("*.json"))
EDITED = sorted((RECORDINGS / "edited").glob("*.json"))
FAULTS = {f.id: f for f in load()}
ALL = sorted(RECORDINGS.rglob("*.json"))


def recording(path: Path) -> HostRecord:
    return HostRecord.load(path)


def fault_files(fault) -> dict[str, Path]:
    """{member or peer-N: its recording} of a fault."""
    if fault.profile == "production":
        return {p.stem: p for p in sorted((RECORDINGS / "faults" / fault.id).glob("*.json"))}
    return {"member": RECORDINGS / "faults" / f"{fault.id}.json"}


def test_there_is_a_recording_of_each_edition_profile_and_fault():
    names = {p.stem.rsplit("-", 1)[0] if "-etcd-" in p.stem or "-controller-" in p.stem else p.stem for p in HEALTHY}
    assert {"kthw-server-3.4", "kthw-server-3.5", "kthw-current-3.4"} <= names
    plans = {(recording(p).plan.edition, recording(p).plan.profile) for p in HEALTHY}
    assert {("kthw-server", "lab"), ("kthw-current", "lab"), ("kthw-2020", "production"),
            ("production", "production")} <= plans
    for fault in FAULTS.values():
        files = fault_files(fault)
        assert all(p.exists() for p in files.values()) and files, f"no recording of fault {fault.id}"
        assert len(files) == (3 if fault.profile == "production" else 1), fault.id


@pytest.mark.parametrize("path", HEALTHY, ids=[p.stem for p in HEALTHY])
def test_a_healthy_host_passes_every_check(path):
    verdicts = judge(recording(path))
    assert failing(verdicts) == set(), [v.headline for v in verdicts if v.status == FAILED]
    assert sum(v.status == PASSED for v in verdicts) >= 50


# other ways to configure the member (tests/data/variants/): each passes, and its notes say how it is set
VARIANT_NOTES = {
    "variant-environment-file": ("config.data-dir", "data-dir is set by ETCD_DATA_DIR in /etc/etcd/etcd.env"),
    "variant-config-file": ("config.name", "name is set by name in /etc/etcd/etcd.conf.yml"),
    "variant-default-left-out": ("config.initial-cluster-state",
                                 "initial-cluster-state is left at etcd's default, new, which is the step's value"),
    "variant-harmless-extras": ("config.no-other-setting", "ETCD_UNSUPPORTED_ARCH=amd64 in Environment= of "
                                "/etc/systemd/system/etcd.service: lets etcd start on amd64"),
}


@pytest.mark.parametrize("name", sorted(VARIANT_NOTES))
def test_another_way_to_configure_the_member_passes_with_notes_saying_how(name):
    check, note = VARIANT_NOTES[name]
    verdicts = {v.check: v for v in judge(recording(RECORDINGS / "healthy" / f"{name}.json"))}
    assert verdicts[check].status == PASSED and note in verdicts[check].headline, verdicts[check].headline
    assert not any(v.status == FAILED for v in verdicts.values())


@pytest.mark.parametrize("fault_id", sorted(FAULTS), ids=sorted(FAULTS))
def test_a_fault_fails_exactly_the_checks_the_catalogue_names_and_its_fix_names_the_remedy(fault_id):
    """The fault catalogue's mutation test, on the recordings: the detection table of make test."""
    from tests.labtools import detected

    fault = FAULTS[fault_id]
    files = fault_files(fault)
    broken = recording(files["member"])
    verdicts = {role: judge(recording(path)) for role, path in files.items()}
    got = failing(verdicts["member"])
    peers = {role: failing(v) for role, v in verdicts.items() if role != "member"}
    fixes = [ln for v in verdicts.values() for one in v if one.status == FAILED for ln in one.result.fix.splitlines()]
    # the fault was applied to the member the lab bootstrapped, named after the host (which the fault may rename)
    bootstrapped = dataclasses.replace(broken.plan, member_name=broken.host).member()
    named = any(fault.fix_words(bootstrapped) in ln for ln in fixes)
    exact = fault.explains(got) and all(p == set(fault.peers_fail) for p in peers.values())
    detected(fault.id + (" (production)" if fault.profile == "production" else ""),
             str(len(got)) + (f" + peers {len(next(iter(peers.values())))}" if peers else ""),
             "caught" if exact and named else "MISSED" if not got else "WRONG")
    assert fault.explains(got), (f"unexpected {sorted(got - set(fault.fails) - set(fault.may_fail))}; "
                                 f"not failing {sorted(set(fault.fails) - got)}")
    for role, failed in peers.items():
        assert failed == set(fault.peers_fail), (role, sorted(failed ^ set(fault.peers_fail)))
    assert named, f"no fix names {fault.fix_words(bootstrapped)!r}: {fixes[:6]}"


def test_every_judged_check_passes_somewhere_and_fails_somewhere():
    """Change any judgement (always pass, always fail, accept anything) and this, or a fault's test, fails."""
    seen: dict[str, set[str]] = {c.id: set() for c in catalog.judged()}
    for path in ALL:
        for v in judge(recording(path)):
            if v.check in seen and v.status in (PASSED, FAILED, DEVIATION):
                seen[v.check].add(PASSED if v.status == PASSED else FAILED)
    never_pass = sorted(c for c, s in seen.items() if PASSED not in s)
    never_fail = sorted(c for c, s in seen.items() if FAILED not in s)
    assert not never_pass, f"passes on no recording: {never_pass}"
    assert not never_fail, f"fails on no recording: {never_fail}"


def test_every_recording_says_what_was_done_to_its_host():
    for path in ALL:
        rec = recording(path)
        assert rec.comment and rec.taken and rec.plan.edition, path


@pytest.mark.parametrize("path", ALL, ids=[str(p.relative_to(RECORDINGS)) for p in ALL])
def test_a_judgement_reads_only_what_its_declaration_needs(path):
    """The plan gathered ahead of the scenarios is the declarations': a judgement that read a command its
    declaration does not name would find it missing on a far host (and in a recording)."""
    rec = recording(path)
    if not rec.plan.member_name:
        return
    member = rec.plan.member()
    for check in catalog.judged(rec.plan.profile):
        view = rec.view()
        first = {c for c, _ in check.asks(member)}
        second = {c for c, _ in check.asks(member, rec.view())}
        try:
            check.judge(member, view)
        except AssertionError:  # a precondition: it read what it declared too
            pass
        undeclared = set(view.asked) - first - second
        assert not undeclared, f"{check.id} reads {sorted(undeclared)}"


def test_no_recording_holds_a_private_key():
    for path in ALL:
        assert "PRIVATE KEY" not in path.read_text(), path


@pytest.mark.parametrize("cgroup, ok", [("0::/system.slice/etcd.service", True),
                                        ("0::/system.slice/kthw-squatter.service", False)])
def test_an_etcd_in_the_services_own_cgroup_is_not_another_etcd(cgroup, ok):
    """A recorded healthy host with a second etcd process added to its process listing: in the service's own
    control group (the service starting again, its main PID not known yet) it is the service's; under another
    unit it is another etcd, stopped by its unit (never a kill of the service's own)."""
    from checks.process import ETCD_PROCESSES

    record = recording(next(p for p in HEALTHY if p.stem == "kthw-server-3.4"))
    for e in record.answers:
        if e.command == ETCD_PROCESSES:
            e.stdout += f"4242\t{cgroup.split('::')[1]}\t/usr/local/bin/etcd --name server \n"
    verdict = next(v for v in judge(record) if v.check == "process.only-one")
    assert (verdict.status == PASSED) is ok, verdict.headline
    if not ok:
        assert "kill" not in verdict.result.fix and "systemctl stop kthw-squatter.service" in verdict.result.fix
