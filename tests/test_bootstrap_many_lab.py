"""Several hosts bootstrapped at once (bounded like Ansible's forks): a line per host and action, a summary,
exit 1 when a host failed while the others are still done; the suite's --bootstrap prepares them together."""

from __future__ import annotations

import subprocess
import sys

import pytest

from provision.lab import Lab
from tests.labtools import ROOT, SSH_CONFIG, failed, run_features

pytestmark = [pytest.mark.lab, pytest.mark.slow]
HOSTS = ["many-0", "many-1", "many-2"]  # hosts of their own: these tests run beside the others


@pytest.fixture(scope="module")
def fresh_hosts():
    Lab().reset(HOSTS)  # brings them up fresh, whether they were up or not
    yield
    Lab().down(HOSTS)


def bootstrap_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "provision.bootstrap", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_bootstrap_runs_on_several_hosts_at_once_and_sums_up(fresh_hosts):
    out = bootstrap_cli("--hosts", ",".join(HOSTS), "--forks", "3")
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    lines = out.stdout.splitlines()
    for host in HOSTS:
        assert any(ln.startswith(f"{host}: changed") for ln in lines), host
    assert lines[-1] == "== summary: 3 hosts: 0 ok, 3 changed, 0 failed"
    again = bootstrap_cli("--hosts", ",".join(HOSTS), "--forks", "2")  # idempotent, hosts side by side
    assert again.returncode == 0 and again.stdout.splitlines()[-1] == "== summary: 3 hosts: 3 ok, 0 changed, 0 failed"


def test_a_host_that_fails_does_not_stop_the_others(fresh_hosts):
    Lab().down(["many-1"])
    try:
        out = bootstrap_cli("--hosts", ",".join(HOSTS), "--forks", "3")
    finally:
        Lab().up(["many-1"])
    assert out.returncode == 1
    lines = out.stdout.splitlines()
    assert "== summary: 3 hosts: 2 ok, 0 changed, 1 failed" in lines
    assert any(ln.startswith("many-1: failed:") for ln in lines)


def test_the_suites_bootstrap_prepares_several_hosts_and_they_pass(fresh_hosts, tmp_path):
    Lab().reset(HOSTS)
    rc, results, output = run_features(tmp_path, f"--hosts={','.join(HOSTS)}", f"--ssh-config={SSH_CONFIG}",
                                       "--bootstrap")
    assert rc == 0 and not failed(results), output[-3000:]
    for host in HOSTS:
        assert f"{host}: PASS" in output
