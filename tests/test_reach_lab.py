"""Hosts reached as the user's own ``ssh`` reaches them: a lab host ``jumpbox`` and a member (``reach-0``), whose firewall
takes SSH only from the jumpbox's address. With ``ProxyJump jumpbox`` in an SSH config made only of an
``Include`` with a glob, the audit and the bootstrap pass and the member's sshd logs the connections as coming from
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
HOST = "reach-0"  # the member behind the jumpbox: a host of its own (tests/conftest.py), beside the server group
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
    (conf_d / "20-server.conf").write_text(f"Host {HOST}\n  HostName {addresses[HOST]}\n{common}"
                                           + ("  ProxyJump jumpbox\n" if jump else ""))
    main = dir_ / ("config" if jump else "config-direct")
    main.write_text(f"Include {conf_d}/*.conf\n")
    return main


@pytest.fixture
def behind_jumpbox(tmp_path):
    """The member bootstrapped, then firewalled: port 22 answers only the jumpbox's address."""
    host, member, _ = bootstrap_server(HOST)
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
        out = subprocess.run(["ssh", "-F", str(_config(tmp_path, jump=True)), HOST,
                              f"nft delete table inet {FIREWALL}"], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr


def _accepted_from(config: Path, ip: str) -> int:
    """How many logins the member's sshd logged from ``ip`` (asked through the jumpbox: the direct way is shut)."""
    out = subprocess.run(["ssh", "-F", str(config), HOST,
                          "journalctl -u ssh --no-pager -o cat | grep -c 'Accepted publickey for root from "
                          f"{ip} ' || true"], capture_output=True, text=True, timeout=60)
    return int(out.stdout.strip() or 0)


def test_the_audit_and_the_bootstrap_go_through_proxyjump_and_without_it_the_host_is_unreachable(
        behind_jumpbox, tmp_path):
    jump_ip = behind_jumpbox
    config = _config(tmp_path, jump=True)
    here = subprocess.run(["ssh", "-F", str(config), "-G", HOST], capture_output=True, text=True).stdout
    assert "proxyjump jumpbox" in here  # ssh itself reads the block from the included file
    before = _accepted_from(config, jump_ip)

    rc, results, output = run_features(tmp_path, f"--hosts={HOST}", f"--ssh-config={config}")
    assert rc == 0 and not failed(results), output[-3000:]
    assert f"{HOST}: PASS" in output and f"SSH connections opened: jumpbox (jump host): 1, {HOST}: 1" in output, \
        output[-800:]
    assert _accepted_from(config, jump_ip) > before  # the member saw the audit come from the jumpbox

    boot = subprocess.run([sys.executable, "-m", "provision.bootstrap", f"--hosts={HOST}", f"--ssh-config={config}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert boot.returncode == 0, (boot.stdout + boot.stderr)[-3000:]

    direct = _config(tmp_path, jump=False)
    rc, results, output = run_features(tmp_path, f"--hosts={HOST}", f"--ssh-config={direct}")
    assert rc == 1, output[-3000:]
    lines = [ln for ln in output.splitlines() if ln.startswith("precondition failed: [host.preflight]")]
    assert len(lines) == 1 and f"cannot check SSH connection to {HOST}: no route to the host" in lines[0], \
        output[-3000:]
    assert "Traceback" not in output


def test_a_jump_host_that_cannot_be_reached_is_named(tmp_path):
    """The hop that failed is named: the jumpbox's address is wrong (nothing listens there)."""
    Lab().up([HOST])
    config = tmp_path / "config"
    config.write_text(f"Host nowhere-jump\n  HostName 127.0.0.1\n  Port 9\n"
                      f"Host {HOST}\n  HostName {Lab().addresses()[HOST]}\n  User root\n"
                      f"  IdentityFile {ROOT / '.lab/id_ed25519'}\n  UserKnownHostsFile {ROOT / '.lab/known_hosts'}\n"
                      f"  ProxyJump nowhere-jump\n")
    rc, results, output = run_features(tmp_path, f"--hosts={HOST}", f"--ssh-config={config}")
    assert rc == 1
    assert (f"cannot check SSH connection to {HOST}: cannot reach {HOST} through nowhere-jump: the jump host "
            "nowhere-jump (127.0.0.1:9): connection refused") in output, output[-3000:]


def _lab_block(name: str, extra: str, known_hosts: str | None = None) -> str:
    address = Lab().addresses()[name]
    return (f"Host {name}\n  User root\n  UserKnownHostsFile {known_hosts or ROOT / '.lab/known_hosts'}\n"
            f"Match host {name} user root exec \"test -d /\"\n  HostName {address}\n{extra}")


def _fast(tmp_path, config, *more):
    return run_features(tmp_path, f"--hosts={HOST}", f"--ssh-config={config}", "--check=service.*", *more)


@pytest.fixture
def server_up():
    Lab().up([HOST])
    bootstrap_server(HOST, reset=False)  # carried out already: nothing changes
    return Lab().addresses()[HOST]


def test_a_key_only_in_an_agent_and_a_match_block(server_up, tmp_path, monkeypatch):
    key = tmp_path / "id"
    key.write_bytes((ROOT / ".lab/id_ed25519").read_bytes())
    key.chmod(0o600)
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)
    try:
        for _ in range(50):
            if sock.exists():
                break
            subprocess.run(["sleep", "0.1"])
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        assert subprocess.run(["ssh-add", str(key)], capture_output=True).returncode == 0
        key.unlink()  # the agent alone holds it now
        config = tmp_path / "config"
        config.write_text(_lab_block(HOST, "  IdentityFile none\n"))
        rc, results, output = _fast(tmp_path, config)
        assert rc == 0 and not failed(results) and f"{HOST}: PASS" in output, output[-3000:]
    finally:
        agent.terminate()


def test_an_encrypted_key_without_an_agent_is_one_line(server_up, tmp_path, monkeypatch):
    key = tmp_path / "id"
    key.write_bytes((ROOT / ".lab/id_ed25519").read_bytes())
    key.chmod(0o600)
    subprocess.run(["ssh-keygen", "-q", "-p", "-P", "", "-N", "secret words", "-f", str(key)], check=True,
                   capture_output=True)
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    config = tmp_path / "config"
    config.write_text(_lab_block(HOST, f"  IdentityFile {key}\n  IdentitiesOnly yes\n"))
    rc, results, output = _fast(tmp_path, config)
    lines = [ln for ln in output.splitlines() if ln.startswith("precondition failed: [host.preflight]")]
    assert rc == 1 and len(lines) == 1, output[-3000:]
    assert f"the key {key} is encrypted and no ssh-agent holds it" in lines[0] and f"ssh-add {key}" in lines[0]
    assert "Traceback" not in output


def test_a_user_certificate_from_certificatefile(server_up, tmp_path):
    """A key the host does not list, with a certificate signed by a CA sshd trusts (TrustedUserCAKeys)."""
    from provision.lab import Lab as _Lab

    lab = _Lab()
    ca, key = tmp_path / "user_ca", tmp_path / "id_cert_only"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(ca)], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    subprocess.run(["ssh-keygen", "-q", "-s", str(ca), "-I", "student", "-n", "root", str(key) + ".pub"], check=True)
    cert = tmp_path / "signed.pub"  # not the name paramiko would look for by itself (id_cert_only-cert.pub)
    (tmp_path / "id_cert_only-cert.pub").rename(cert)
    ca_pub = (tmp_path / "user_ca.pub").read_text().strip()
    rc, _ = lab.ssh(HOST, f"echo '{ca_pub}' > /etc/ssh/user_ca.pub && echo 'TrustedUserCAKeys "
                              "/etc/ssh/user_ca.pub' > /etc/ssh/sshd_config.d/zz-ca.conf && systemctl reload ssh")
    assert rc == 0
    try:
        config = tmp_path / "config"
        config.write_text(_lab_block(HOST, f"  IdentityFile {key}\n  CertificateFile {cert}\n"
                                               "  IdentitiesOnly yes\n"))
        rc, results, output = _fast(tmp_path, config)
        assert rc == 0 and f"{HOST}: PASS" in output, output[-3000:]
        config.write_text(_lab_block(HOST, f"  IdentityFile {key}\n  IdentitiesOnly yes\n"))
        rc, results, output = _fast(tmp_path, config)
        assert rc == 1 and "authentication failed" in output, output[-3000:]  # the certificate was what let it in
    finally:
        lab.ssh(HOST, "rm -f /etc/ssh/sshd_config.d/zz-ca.conf /etc/ssh/user_ca.pub && systemctl reload ssh")


def test_a_host_known_only_by_its_certificate_authority_is_refused_in_one_line(server_up, tmp_path):
    known = tmp_path / "known_hosts"
    ca = tmp_path / "host_ca"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(ca)], check=True)
    known.write_text(f"@cert-authority {server_up} {(tmp_path / 'host_ca.pub').read_text()}")
    config = tmp_path / "config"
    config.write_text(_lab_block(HOST, f"  IdentityFile {ROOT / '.lab/id_ed25519'}\n", known_hosts=str(known)))
    rc, results, output = _fast(tmp_path, config)
    lines = [ln for ln in output.splitlines() if ln.startswith("precondition failed: [host.preflight]")]
    assert rc == 1 and len(lines) == 1, output[-3000:]
    assert "host key is certified by a CA (@cert-authority in" in lines[0] and "cannot be checked here" in lines[0]
