"""The production profile on a three-host lab: the features pass, and the production-only faults,
applied to one member, are caught there with the right fix."""

from __future__ import annotations

import pytest

from provision.faults import apply, load
from provision.lab import Lab
from tests.labtools import SSH_CONFIG, collected, failed, run_features

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


@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
def test_a_production_fault_is_caught_on_its_member(cluster_lab, tmp_path, fault):
    # a fresh, correct cluster: the lab run resets and bootstraps all three members
    rc, _, output = run_features(tmp_path, "--profile=production", "-k", "preflight")
    assert rc == 0, output[-2000:]
    import testinfra

    from core.remote import Remote
    from core import ssh
    from provision.profiles import production_member

    ssh.install()
    cluster = {h: a for h, a in Lab().addresses().items() if h in HOSTS}
    member = production_member("etcd-0", cluster)
    host = testinfra.get_host("paramiko://etcd-0", ssh_config=SSH_CONFIG)
    apply(fault, Remote(host), member)
    # audit the scenarios the fault names (all three hosts: the cluster is known from them)
    rc, results, output = run_features(tmp_path, "--profile=production", f"--hosts={','.join(HOSTS)}",
                                       f"--ssh-config={SSH_CONFIG}", f"--check={','.join(fault.fails)}")
    assert rc == 1
    got = results.failed_checks("etcd-0")
    missing = set(fault.fails) - got
    assert not missing, f"not caught on etcd-0: {sorted(missing)}"
    fix_lines = [ln for ln in output.splitlines() if ln.startswith("fix:") or "(fix: " in ln]
    assert any(fault.fix_words(member) in ln for ln in fix_lines), fix_lines[:5]
