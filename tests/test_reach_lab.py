"""Hosts reached as the user's own ``ssh`` reaches them: a lab host ``jumpbox`` and ``server``, whose firewall
takes SSH only from the jumpbox's address. With ``ProxyJump jumpbox`` in an SSH config made only of an
``Include`` with a glob, the audit and the bootstrap pass and server's sshd logs the connections as coming from
the jumpbox; without it, the pre-flight fails in one line naming the host unreachable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.remote import Remote
from provision.lab import Lab
from tests.labtools import ROOT, audit, bootstrap_server, failed, run_features

pytestmark = [pytest.mark.lab, pytest.mark.slow]
JUMP = "jumpbox"
FIREWALL = "kthw_only_from_jumpbox"


def _config(dir_: Path, jump: bool) -> Path:
    """A config made only of an Include with a glob; the hosts' blocks in the included files."""
    lab = Lab()
    addresses = lab.addresses()
    conf_d = dir_ / ("conf.d" if jump else "direct.d")
    conf_d.mkdir(exist_ok=True)
    common = (f"  User root\n  IdentityFile {ROOT / '.lab/id_ed25519'}\n  IdentitiesOnly yes\n"
              f"  UserKnownHostsFile {ROOT / '.lab/known_hosts'}\n  StrictHostKeyChecking yes\n")
    (conf_d / "10-jumpbox.conf").write_text(f"Host {JUMP}\n  HostName {addresses[JUMP]}\n{common}")
    (conf_d / "20-server.conf").write_text(f"Host server\n  HostName {addresses['server']}\n{common}"
                                           + ("  ProxyJump jumpbox\n" if jump else ""))
    main = dir_ / ("config" if jump else "config-direct")
    main.write_text(f"Include {conf_d}/*.conf\n")
    return main


@pytest.fixture
def behind_jumpbox(tmp_path):
    """server bootstrapped, then firewalled: port 22 answers only the jumpbox's address."""
    host, member, _ = bootstrap_server()
    lab = Lab()
    lab.up([JUMP])
    jump_ip = lab.addresses()[JUMP]
    remote = Remote(host)
    rules = (f"nft add table inet {FIREWALL} && nft add chain inet {FIREWALL} input "
             f"'{{ type filter hook input priority 0; }}' && nft add rule inet {FIREWALL} input "
             f"tcp dport 22 ip saddr != {jump_ip} reject with icmp type host-unreachable")
    assert remote.run(rules).ok
    try:
        yield jump_ip
    finally:
        out = subprocess.run(["ssh", "-F", str(_config(tmp_path, jump=True)), "server",
                              f"nft delete table inet {FIREWALL}"], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr


def _accepted_from(ip: str) -> int:
    """How many logins server's sshd logged from ``ip`` (asked through the jumpbox: the direct way is shut)."""
    out = subprocess.run(["ssh", "-F", str(Path(_CONFIG[0])), "server",
                          "journalctl -u ssh --no-pager -o cat | grep -c 'Accepted publickey for root from "
                          f"{ip} ' || true"], capture_output=True, text=True, timeout=60)
    return int(out.stdout.strip() or 0)


_CONFIG: list[str] = []


def test_the_audit_and_the_bootstrap_go_through_proxyjump_and_without_it_the_host_is_unreachable(
        behind_jumpbox, tmp_path):
    jump_ip = behind_jumpbox
    config = _config(tmp_path, jump=True)
    _CONFIG[:] = [str(config)]
    here = subprocess.run(["ssh", "-F", str(config), "-G", "server"], capture_output=True, text=True).stdout
    assert "proxyjump jumpbox" in here  # ssh itself reads the block from the included file
    before = _accepted_from(jump_ip)

    rc, results, output = run_features(tmp_path, "--hosts=server", f"--ssh-config={config}")
    assert rc == 0 and not failed(results), output[-3000:]
    assert "server: PASS" in output and "SSH connections opened: jumpbox (jump host): 1, server: 1" in output, output[-800:]
    assert _accepted_from(jump_ip) > before  # server saw the audit come from the jumpbox

    boot = subprocess.run([sys.executable, "-m", "provision.bootstrap", "--hosts=server", f"--ssh-config={config}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert boot.returncode == 0, (boot.stdout + boot.stderr)[-3000:]

    direct = _config(tmp_path, jump=False)
    rc, results, output = run_features(tmp_path, "--hosts=server", f"--ssh-config={direct}")
    assert rc == 1, output[-3000:]
    lines = [ln for ln in output.splitlines() if ln.startswith("precondition failed: [host.preflight]")]
    assert len(lines) == 1 and "cannot check SSH connection to server: no route to the host" in lines[0], output[-3000:]
    assert "Traceback" not in output


def test_a_jump_host_that_cannot_be_reached_is_named(tmp_path):
    """The hop that failed is named: the jumpbox's address is wrong (nothing listens there)."""
    Lab().up(["server"])
    config = tmp_path / "config"
    config.write_text(f"Host nowhere-jump\n  HostName 127.0.0.1\n  Port 9\n"
                      f"Host server\n  HostName {Lab().addresses()['server']}\n  User root\n"
                      f"  IdentityFile {ROOT / '.lab/id_ed25519'}\n  UserKnownHostsFile {ROOT / '.lab/known_hosts'}\n"
                      f"  ProxyJump nowhere-jump\n")
    rc, results, output = run_features(tmp_path, "--hosts=server", f"--ssh-config={config}")
    assert rc == 1
    assert ("cannot check SSH connection to server: cannot reach server through nowhere-jump: the jump host "
            "nowhere-jump (127.0.0.1:9): connection refused") in output, output[-3000:]
