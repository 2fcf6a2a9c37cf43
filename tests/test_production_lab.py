"""The production profile on a three-host lab: the features pass, and the production-only faults,
applied to one member, are caught there with the right fix."""

from __future__ import annotations

import pytest

from provision.faults import apply, load
from provision.lab import Lab
from tests.labtools import SSH_CONFIG, collected, failed, printed_fixes, run_features

pytestmark = [pytest.mark.lab, pytest.mark.slow]
HOSTS = ["etcd-0", "etcd-1", "etcd-2"]
FAULTS = [f for f in load() if f.profile == "production"]


@pytest.fixture(scope="module")
def cluster_lab():
    Lab().up(HOSTS)
    yield
    Lab().down(HOSTS)


def test_the_production_features_pass_on_three_members(cluster_lab, tmp_path):
    # settings apply on top of the profile: a data directory and a restart delay of the student's choosing
    rc, results, output = run_features(tmp_path, "--profile=production", "--etcd-set=data_dir=/var/lib/etcd-cluster",
                                       "--etcd-set=unit.restart_sec=4")
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


def connect(cluster: dict[str, str]) -> dict:
    """{host: (Remote, its member)} for the three lab members."""
    import testinfra

    from core import ssh
    from core.remote import Remote
    from provision.profiles import production_member

    ssh.install()
    return {h: (Remote(testinfra.get_host(f"paramiko://{h}", ssh_config=SSH_CONFIG)), production_member(h, cluster))
            for h in HOSTS}


@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
def test_a_production_fault_fails_exactly_its_checks_on_the_member_and_on_its_peers(cluster_lab, tmp_path, fault):
    # a fresh, correct cluster: the lab run resets and bootstraps all three members
    rc, _, output = run_features(tmp_path, "--profile=production", "-k", "preflight")
    assert rc == 0, output[-2000:]
    cluster = {h: a for h, a in Lab().addresses().items() if h in HOSTS}
    members = connect(cluster)
    remote, member = members["etcd-0"]
    apply(fault, remote, member, peers={h: members[h] for h in HOSTS[1:]})
    # the whole audit of the three hosts: the member fails exactly the catalogue's checks, each peer exactly
    # the peers' ones (often none)
    audit = ("--profile=production", f"--hosts={','.join(HOSTS)}", f"--ssh-config={SSH_CONFIG}")
    rc, results, output = run_features(tmp_path, *audit)
    got = {h: results.failed_checks(h) for h in HOSTS}
    assert rc == 1
    assert got["etcd-0"] == set(fault.fails), (
        f"etcd-0: unexpected {sorted(got['etcd-0'] - set(fault.fails))}; not failing {sorted(set(fault.fails) - got['etcd-0'])}")
    for peer in HOSTS[1:]:
        assert got[peer] == set(fault.peers_fail), (
            f"{peer}: unexpected {sorted(got[peer] - set(fault.peers_fail))}; "
            f"not failing {sorted(set(fault.peers_fail) - got[peer])}")
    fix_lines = [ln for ln in output.splitlines() if ln.startswith("fix:") or "(fix: " in ln]
    assert any(fault.fix_words(member) in ln for ln in fix_lines), fix_lines[:8]
    if not fault.fix_runs:
        assert fault.why_not_run
        return
    # the fixes printed for each host, run verbatim on that host, repair the cluster
    for h, (r, _) in members.items():
        for fix in printed_fixes(output, h):
            ev = r.run("bash -c %s", fix, timeout=120)
            assert ev.ok, f"the printed fix failed on {h}: {ev.render()}"
    rc, results, output = run_features(tmp_path, *audit)
    assert rc == 0 and not failed(results), output[-3000:]


def test_a_production_drill_breaks_one_member_of_the_cluster_and_reveal_tells(cluster_lab, tmp_path):
    import json
    import subprocess
    import sys

    from tests.labtools import ROOT

    out = subprocess.run([sys.executable, "-m", "provision.faults", "drill", "--profile", "production"], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    drill = json.loads((ROOT / ".lab/drill.json").read_text())
    fault = next(f for f in FAULTS if f.id == drill["fault"])
    assert drill["host"] in HOSTS and drill["profile"] == "production"
    assert fault.id not in out.stdout and fault.title not in out.stdout
    assert f"--hosts={','.join(HOSTS)}" in out.stdout and "--profile=production" in out.stdout
    rc, results, _ = run_features(tmp_path, "--profile=production", f"--hosts={','.join(HOSTS)}",
                                  f"--ssh-config={SSH_CONFIG}")
    assert rc == 1 and results.failed_checks(drill["host"]) == set(fault.fails)
    revealed = subprocess.run([sys.executable, "-m", "provision.faults", "reveal"], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)
    assert revealed.returncode == 0 and fault.id in revealed.stdout and drill["host"] in revealed.stdout
