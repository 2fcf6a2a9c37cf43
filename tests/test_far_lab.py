"""A far host whose network fails mid-audit, through a delaying proxy on loopback (bench/delayproxy.py: 50 ms each
way): frozen (every byte held, nothing closed), the audit still ends, within ServerAliveInterval x
ServerAliveCountMax of the silence, with one line naming the silent connection, and the other host of the run is
judged; dropped (closed, new connections refused), one line for the host and no check reported failed for it.
Not timed: the bound is the watchdog's, set small here (2 s x 3)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench.delayproxy import DelayProxy
from provision.lab import Lab
from tests.labtools import ROOT, bootstrap_server

pytestmark = [pytest.mark.lab, pytest.mark.slow]
FAR, NEAR = "far-0", "far-1"
AFTER = 6000  # bytes from the host: past its key exchange, before the first round (pre-flight and evidence) is in


@pytest.fixture(scope="module")
def hosts():
    for name in (FAR, NEAR):
        bootstrap_server(name)
    return Lab().addresses()


def _config(tmp_path, addresses, port) -> str:
    common = (f"  User root\n  IdentityFile {ROOT / '.lab/id_ed25519'}\n  UserKnownHostsFile {ROOT / '.lab/known_hosts'}\n"
              "  ServerAliveInterval 2\n  ServerAliveCountMax 3\n")
    path = tmp_path / "ssh_config"
    path.write_text(f"Host {FAR}\n  HostName 127.0.0.1\n  Port {port}\n  HostKeyAlias {addresses[FAR]}\n{common}"
                    f"Host {NEAR}\n  HostName {addresses[NEAR]}\n{common}")
    return str(path)


def _audit(config: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "features/", "-q", "-p", "no:cacheprovider",
                           f"--hosts={FAR},{NEAR}", f"--ssh-config={config}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_a_far_host_gets_the_same_verdicts_as_a_near_one(hosts, tmp_path):
    """The same host audited directly and through 100 ms round trips: the same verdict for every scenario."""
    from tests.labtools import run_features

    with DelayProxy((hosts[FAR], 22), 0.05) as proxy:
        config = _config(tmp_path, hosts, proxy.port)
        _, far, far_out = run_features(tmp_path, f"--hosts={FAR}", f"--ssh-config={config}")
    _, near, near_out = run_features(tmp_path, f"--hosts={FAR}", f"--ssh-config={ROOT / '.lab/ssh_config'}")
    assert far == near and f"{FAR}: PASS" in far_out, (far_out[-2000:], near_out[-2000:])
    assert len(far) > 70


@pytest.mark.parametrize("failure, why", [("freeze", "the network went silent"), ("drop", "")])
def test_a_network_failing_mid_audit_ends_that_hosts_audit_in_one_line(hosts, tmp_path, failure, why):
    with DelayProxy((hosts[FAR], 22), 0.05) as proxy:
        proxy.fail_at = (AFTER, failure)
        out = _audit(_config(tmp_path, hosts, proxy.port))
        assert proxy.frozen or proxy.dropped  # it did fail mid-audit
    text = out.stdout + out.stderr
    assert out.returncode == 1, text[-3000:]
    lost = [ln for ln in text.splitlines() if f"lost the SSH connection to {FAR} after" in ln]
    summary = f"ERROR features/test_etcd_step.py::test_preflight[paramiko://{FAR}] - precondition failed:"
    assert len([ln for ln in lost if ln.startswith(summary)]) <= 1, text[-3000:]  # pytest's own short summary
    assert lost and all(ln.startswith(("precondition failed: [host.preflight]", f"[FAIL] {FAR}: [host.preflight]",
                                       summary)) for ln in lost), text[-3000:]
    assert len([ln for ln in lost if ln.startswith("precondition failed")]) == 1, text[-3000:]
    assert why in lost[0] and "commands answered" in lost[0]
    assert not [ln for ln in text.splitlines() if ln.startswith(f"[FAIL] {FAR}: [") and "host.preflight" not in ln]
    assert f"{NEAR}: PASS" in text and f"{FAR}: FAIL" in text
    assert "Traceback" not in text and "Error:" not in text.replace("Error: ", "")


def test_a_bootstrap_cut_off_by_the_network_says_where(hosts, tmp_path):
    """The connection dropped while the step is carried out: the host's line says the connection was lost and
    after which action; the bootstrap run again (here directly) completes the step."""
    with DelayProxy((hosts[FAR], 22), 0.05) as proxy:
        proxy.fail_at = (AFTER, "drop")
        out = subprocess.run([sys.executable, "-m", "provision.bootstrap", f"--hosts={FAR}",
                              f"--ssh-config={_config(tmp_path, hosts, proxy.port)}"],
                             cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert proxy.dropped
    text = out.stdout + out.stderr
    line = next((ln for ln in text.splitlines() if ln.startswith(f"{FAR}: failed:")), "")
    assert out.returncode != 0 and f"lost the SSH connection to {FAR}" in line and "cut off after" in line, text[-3000:]
    assert "Traceback" not in text
    bootstrap_server(FAR, reset=False)  # the step completed again, for whatever runs next
