"""An audit's SSH connections are opened while the suite loads (suite/early.py): a host whose connection fails
there is tried once, and the pre-flight reports that failure as its own."""

from __future__ import annotations

import socket
import threading

import paramiko
import pytest

from tests.labtools import run_features


def test_a_connection_made_ahead_that_failed_is_the_first_uses_failure(monkeypatch):
    from core import ssh

    tries = []

    def refused(*args, **kwargs):
        tries.append(args)
        raise paramiko.SSHException("refused here")

    monkeypatch.setattr(ssh, "open_client", refused)
    backend = ssh.CheckedParamikoBackend("nowhere.example", ssh_config=None)
    backend.connect_ahead()  # fails, quietly
    assert len(tries) == 1
    with pytest.raises(paramiko.SSHException, match="refused here"):
        backend.client  # noqa: B018 - the failure made ahead, not a second try
    assert len(tries) == 1
    with pytest.raises(paramiko.SSHException):
        backend.client  # noqa: B018 - a later use connects anew (a host rebooted answers again)
    assert len(tries) == 2


def test_an_audit_connects_to_a_host_once(tmp_path):
    """A host that closes every connection before the SSH banner: the audit (whose connection is made ahead)
    connects once and reports it in its pre-flight, one line."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted = []

    def close_all():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted.append(1)
            conn.close()

    threading.Thread(target=close_all, daemon=True).start()
    config = tmp_path / "ssh_config"
    config.write_text(f"Host closer\n  HostName 127.0.0.1\n  Port {server.getsockname()[1]}\n  User root\n"
                      f"  UserKnownHostsFile {tmp_path / 'known_hosts'}\n")
    try:
        rc, results, output = run_features(tmp_path, "--hosts=closer", f"--ssh-config={config}")
    finally:
        server.close()
    lines = [ln for ln in output.splitlines() if ln.startswith("precondition failed:")]
    assert rc == 1 and len(lines) == 1 and "closer" in lines[0], output[-2000:]
    assert len(accepted) == 1, output[-2000:]


def test_paramiko_comes_without_invoke():
    """paramiko imports invoke only for ``Match exec`` in its own ssh_config reading, which the suite does not
    use (ssh -G is the reference): core keeps it from being imported, a twentieth of a second of every run."""
    import subprocess
    import sys

    from tests.labtools import ROOT

    code = ("import sys, core.ssh, provision.targets, paramiko; "
            "print(sys.modules.get('invoke'), paramiko.SSHConfig.from_text('Host a\\n  HostName b\\n').lookup('a')['hostname'])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.split() == ["None", "b"], out.stderr
