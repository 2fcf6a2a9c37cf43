"""The production profile on a three-host lab: the features pass, and the production faults whose fixes are
commands, applied to one member, are judged as their recordings are and repaired by the printed fixes (that each
production fault fails exactly its checks on the member and on its peers is proven on the recordings:
tests/test_recordings.py)."""

from __future__ import annotations

import dataclasses

import pytest

from provision.faults import apply, load
from provision.lab import Lab
from tests.labtools import (RECORDINGS, SSH_CONFIG, FaultRounds, collected, detected, differs_from_stored, failed,
                            printed_fixes, run_features)

pytestmark = [pytest.mark.lab, pytest.mark.slow]
HOSTS = ["etcd-0", "etcd-1", "etcd-2"]
FAULTS = [f for f in load() if f.profile == "production"]
FIX_RUNS = [f for f in FAULTS if f.fix_runs]


@pytest.fixture(scope="module")
def cluster_lab():
    yield  # each test resets the hosts (a reset brings a host up fresh)
    Lab().down(HOSTS)


def test_the_production_features_pass_on_three_members(cluster_lab, tmp_path):
    # settings apply on top of the profile: a data directory and a restart delay of the student's choosing
    rc, results, output = run_features(tmp_path, "--profile=production", "--etcd-set=data_dir=/var/lib/etcd-cluster",
                                       "--etcd-set=unit.restart_sec=4")
    detected("(none: clean bootstrap, production)", str(len(failed(results))), "PASS" if rc == 0 else "FAIL")
    assert rc == 0, output[-3000:]
    assert len(results) == collected("--profile=production") and not failed(results)
    for h in HOSTS:
        assert results.checks_with("deviation", h) == {"cis.1.1.12"}
    import testinfra

    from core import ssh

    ssh.install()
    for name in HOSTS:
        host = testinfra.get_host(f"paramiko://{name}", ssh_config=SSH_CONFIG)
        shown = host.run("systemctl show -p ExecStart -p RestartUSec etcd").stdout
        assert "--data-dir=/var/lib/etcd-cluster" in shown and "RestartUSec=4s" in shown, shown
        assert host.file("/var/lib/etcd-cluster/member").is_directory


# the faults are applied in rounds, a cluster each, on hosts of their own (they run beside the tests above)
CLUSTERS = (("etcd-3", "etcd-4", "etcd-5"), ("etcd-6", "etcd-7", "etcd-8"))


@dataclasses.dataclass
class Outcome:
    """One fault on its cluster: the member broken, each host's failed checks and fix lines, and (fix_runs)
    the errors of the printed fixes and what failed after them."""
    hosts: tuple
    member: object
    got: dict
    fix_lines: list
    fix_errors: list = dataclasses.field(default_factory=list)
    after: dict | None = None
    output: str = ""
    drift: list = dataclasses.field(default_factory=list)  # verdicts that differ from the fault's recordings


class Rounds(FaultRounds):
    """The production faults in rounds: each round resets as many clusters as it has faults, and on each
    cluster (at the same time) bootstraps the three members, breaks the first in the fault's way (acting on
    its peers where the fault says), audits the three, and runs the printed fixes when they are commands."""

    def __init__(self, faults: list, tmp_path):
        super().__init__(faults, len(CLUSTERS), tmp_path)

    def _run(self, faults: list) -> None:
        from concurrent.futures import ThreadPoolExecutor

        clusters = CLUSTERS[:len(faults)]
        Lab().reset([h for c in clusters for h in c])
        with ThreadPoolExecutor(len(clusters)) as pool:
            for fault, out in zip(faults, pool.map(self._one, faults, clusters)):
                self.done[fault.id] = out

    def _one(self, fault, hosts: tuple) -> Outcome:
        from provision.faults.__main__ import bootstrap_cluster

        members = bootstrap_cluster(hosts)
        remote, member = members[hosts[0]]
        apply(fault, remote, member, peers={h: members[h] for h in hosts[1:]})
        stored = [RECORDINGS / "faults" / fault.id / f"{role}.json" for role in ("member", "peer-1", "peer-2")]
        drift = differs_from_stored(list(hosts), stored, set(fault.may_fail), profile="production")
        tmp = self.tmp / fault.id
        tmp.mkdir()
        audit = ("--profile=production", f"--hosts={','.join(hosts)}", f"--ssh-config={SSH_CONFIG}")
        _, results, output = run_features(tmp, *audit)
        out = Outcome(hosts, member, {h: results.failed_checks(h) for h in hosts},
                      [ln for h in hosts for ln in results.fix_lines(h)], output=output, drift=drift)
        if fault.fix_runs:
            for h, (r, _) in members.items():  # the broken member first, then its peers
                for fix in printed_fixes(output, h):
                    ran = r.run("bash -c %s", fix, timeout=120)
                    if not ran.ok:
                        out.fix_errors.append(f"{h}: {ran.render()}")
            _, results, _ = run_features(tmp, *audit)
            out.after = {h: results.failed_checks(h) for h in hosts}
        return out


@pytest.fixture(scope="module")
def rounds(tmp_path_factory):
    hosts = [h for c in CLUSTERS for h in c]
    yield Rounds(FIX_RUNS, tmp_path_factory.mktemp("production-faults"))
    Lab().down(hosts)


@pytest.mark.parametrize("fault", FIX_RUNS, ids=[f.id for f in FIX_RUNS])
def test_a_production_fault_fails_exactly_its_checks_on_the_member_and_on_its_peers(rounds, fault):
    out = rounds.outcome(fault)
    assert out.drift == [], out.drift
    broken, *peers = out.hosts
    want = set(fault.fails)
    exact = fault.explains(out.got[broken]) and all(out.got[p] == set(fault.peers_fail) for p in peers)
    named = any(fault.fix_words(out.member) in ln for ln in out.fix_lines)
    verdict = "caught" if exact and named else "MISSED" if not out.got[broken] else "WRONG"
    fixed = out.after == {h: set() for h in out.hosts}
    detected(f"{fault.id} (production, lab hosts)", f"{len(out.got[broken])} + peers {len(out.got[peers[0]])}",
             verdict + (", fixed" if fixed else ""))
    assert fault.explains(out.got[broken]), (
        f"{broken}: unexpected {sorted(out.got[broken] - want - set(fault.may_fail))}; "
        f"not failing {sorted(want - out.got[broken])}")
    for peer in peers:  # the peers' view, as the catalogue states it per fault
        assert out.got[peer] == set(fault.peers_fail), (
            f"{peer}: unexpected {sorted(out.got[peer] - set(fault.peers_fail))}; "
            f"not failing {sorted(set(fault.peers_fail) - out.got[peer])}")
    assert any(fault.fix_words(out.member) in ln for ln in out.fix_lines), out.fix_lines[:8]
    if not fault.fix_runs:
        assert fault.why_not_run
        return
    # the fixes printed for each host, run verbatim on that host, repaired the cluster
    assert not out.fix_errors, out.fix_errors[0]
    assert out.after == {h: set() for h in out.hosts}, out.after


def test_a_production_drill_breaks_one_member_of_the_cluster_and_reveal_tells(cluster_lab, tmp_path):
    import json
    import subprocess
    import sys

    from tests.labtools import ROOT

    out = subprocess.run([sys.executable, "-m", "provision.faults", "drill", "--profile", "production"], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    drill = json.loads((ROOT / ".lab/drill-production.json").read_text())
    fault = next(f for f in FAULTS if f.id == drill["fault"])
    assert drill["host"] in HOSTS and drill["profile"] == "production"
    assert fault.id not in out.stdout and fault.title not in out.stdout
    assert f"--hosts={','.join(HOSTS)}" in out.stdout and "--profile=production" in out.stdout
    rc, results, _ = run_features(tmp_path, "--profile=production", f"--hosts={','.join(HOSTS)}",
                                  f"--ssh-config={SSH_CONFIG}")
    assert rc == 1 and fault.explains(results.failed_checks(drill["host"]))
    revealed = subprocess.run([sys.executable, "-m", "provision.faults", "reveal", "--profile", "production"], cwd=ROOT,
                              capture_output=True,
                              text=True, timeout=60)
    assert revealed.returncode == 0 and fault.id in revealed.stdout and drill["host"] in revealed.stdout
