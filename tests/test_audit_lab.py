"""Auditing a lab host as it is reached in other ways: machines.txt, an Ansible inventory, a login user with
sudo; host keys that are unknown or changed. (Several hosts at once, as a CI gate: tests/test_gate_lab.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import testinfra

from core.remote import Remote
from core import ssh
from provision import certs
from provision.binaries import ensure
from provision.bootstrap import Bootstrap
from provision.lab import Lab
from core.model import Member
from tests.labtools import SSH_CONFIG, collected, failed, run_features

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.lab, pytest.mark.slow]


def connect(name: str):
    ssh.install()
    return testinfra.get_host(f"paramiko://{name}", ssh_config=SSH_CONFIG)


@pytest.fixture(scope="module")
def server_host():
    """server, bootstrapped (the lab's machines.txt names it)."""
    Lab().reset(["server"])
    member = Member(name="server")
    Bootstrap(Remote(connect("server")), member, ensure("debian"), certs.ensure(member)).run()
    return {"server": connect("server")}


def test_machines_txt_selects_the_server_row(server_host, tmp_path):
    rc, results, output = run_features(tmp_path, f"--machines={ROOT / '.lab/machines.txt'}",
                                       f"--ssh-config={SSH_CONFIG}")
    assert rc == 0, output[-2000:]
    assert {n.split("[")[1].split("]")[0].split("-")[0] for n in results} == {"paramiko://server"}


def test_machines_txt_with_members_reaches_unknown_names_by_address(server_host, tmp_path):
    # a machines file whose names the SSH config does not know: reached as root@IP
    machines = tmp_path / "machines.txt"
    machines.write_text("10.240.0.10 etcd-a.example etcd-a\n10.240.0.20 etcd-b.example etcd-b\n")
    rc, results, output = run_features(tmp_path, f"--machines={machines}", "--member=etcd-a",
                                       f"--ssh-config={SSH_CONFIG}", "-k", "preflight or named_as_configured")
    assert "paramiko://10.240.0.10" in " ".join(results)
    # the member is expected to be named after the machines.txt row, not the address
    assert "expected: etcd-a, started" in output and "found:    server, started" in output


def test_bad_machines_input_is_one_line(tmp_path):
    bad = tmp_path / "machines.txt"
    bad.write_text("server server.kubernetes.local 10.0.0.10\n")
    rc, _, output = run_features(tmp_path, f"--machines={bad}")
    assert rc == 4 and "ERROR: --machines: " in output and "is not an IP address" in output


def test_a_changed_host_key_fails_the_preflight_clearly(server_host, tmp_path):
    other = Lab().host_key("node-0").split()
    known = tmp_path / "known_hosts"
    known.write_text(f"server,10.240.0.10 {other[0]} {other[1]}\n")
    cfg = tmp_path / "ssh_config"
    cfg.write_text(Path(SSH_CONFIG).read_text().replace(str(ROOT / ".lab/known_hosts"), str(known)))
    rc, results, output = run_features(tmp_path, "--hosts=server", f"--ssh-config={cfg}")
    assert rc == 1 and failed(results) == {"test_preflight[paramiko://server]"}
    assert "the host key of 10.240.0.10 has changed" in output


def test_an_unknown_host_key_is_refused(server_host, tmp_path):
    cfg = tmp_path / "ssh_config"
    cfg.write_text(Path(SSH_CONFIG).read_text().replace(str(ROOT / ".lab/known_hosts"), str(tmp_path / "none")))
    rc, results, output = run_features(tmp_path, "--hosts=server", f"--ssh-config={cfg}")
    assert rc == 1 and failed(results) == {"test_preflight[paramiko://server]"}
    assert "unknown host key" in output


def test_a_sudo_user_without_root_login_can_audit(server_host, tmp_path):
    root = Remote(server_host["server"])
    key = (ROOT / ".lab/id_ed25519.pub").read_text().strip()
    assert root.run(
        "id student >/dev/null 2>&1 || useradd -m -s /bin/bash student; "
        "install -d -m 700 -o student -g student /home/student/.ssh; "
        "printf '%%s\\n' %s > /home/student/.ssh/authorized_keys; chown student: /home/student/.ssh/authorized_keys; "
        "echo 'student ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/student", key).ok
    cfg = tmp_path / "ssh_config"
    cfg.write_text(Path(SSH_CONFIG).read_text().replace("Host server server.kubernetes.local\n  HostName 10.240.0.10\n  User root",
                                                        "Host server server.kubernetes.local\n  HostName 10.240.0.10\n  User student"))
    rc, results, output = run_features(tmp_path, "--hosts=server", f"--ssh-config={cfg}", "--sudo")
    assert rc == 0, output[-2000:]
    # without --sudo the pre-flight says why it cannot check
    rc, results, output = run_features(tmp_path, "--hosts=server", f"--ssh-config={cfg}")
    assert rc == 1 and failed(results) == {"test_preflight[paramiko://server]"}
    assert "commands run as uid" in output and "not root" in output


def test_an_ansible_inventory_is_a_target(server_host, tmp_path):
    import glob
    import tempfile

    made_before = set(glob.glob(f"{tempfile.gettempdir()}/kthw-inventory-*"))
    inventory = tmp_path / "inventory.ini"
    inventory.write_text(
        "[etcd]\nserver ansible_host=10.240.0.10 ansible_user=root ansible_connection=paramiko_ssh "
        f"ansible_ssh_private_key_file={ROOT / '.lab/id_ed25519'}\n")
    rc, results, output = run_features(tmp_path, f"--ansible-inventory={inventory}", "--hosts=ansible://etcd",
                                       f"--ssh-config={SSH_CONFIG}")
    assert rc == 0, output[-2000:]
    assert len(results) == collected("--hosts=server", f"--ssh-config={SSH_CONFIG}") and "server: PASS" in output
    assert set(glob.glob(f"{tempfile.gettempdir()}/kthw-inventory-*")) == made_before  # its SSH config is removed


def test_an_inventory_host_whose_key_is_unknown_is_one_precondition_line(server_host, tmp_path):
    """The inventory's hosts go through the suite's own SSH backend: an unknown host key is refused in one
    line, the host's scenarios are skipped (testinfra's ansible backend gave a traceback and 66 failures)."""
    inventory = tmp_path / "inventory.ini"
    inventory.write_text(
        "[etcd]\nserver ansible_host=10.240.0.10 ansible_user=root "
        f"ansible_ssh_private_key_file={ROOT / '.lab/id_ed25519'} "
        "ansible_ssh_common_args='-o UserKnownHostsFile=/dev/null'\n")
    rc, results, output = run_features(tmp_path, f"--ansible-inventory={inventory}", "--hosts=ansible://etcd")
    assert rc == 1 and failed(results) == {"test_preflight[paramiko://server]"}, output[-2000:]
    assert all(s == "skipped" for n, s in results.items() if "preflight" not in n)
    lines = [ln for ln in output.splitlines() if ln.startswith("precondition failed:")]
    assert len(lines) == 1 and "unknown host key" in lines[0] and "Traceback" not in output


def test_the_rescue_of_a_removed_data_directory_holds_in_every_moment(server_host):
    """dir.data.in-use's fix for a data directory removed under a running etcd, run in each state the host can be in
    when a student pastes it: etcd still on its removed files (what it holds is copied back), etcd exited and systemd
    about to start it again (started now), etcd restarted on a new directory (nothing left: said so). Each exits 0
    and leaves etcd running on its directory."""
    from checks.files import rescue_fix

    host = Remote(server_host["server"])
    fix = rescue_fix(Member(name="server")).split("\n", 1)[1]

    def state() -> str:
        return host.run("systemctl show -p ActiveState -p SubState -p MainPID etcd").stdout

    # 1. removed under a running etcd: its data comes back
    assert host.run("etcdctl put rescue-key kept").ok
    assert host.run("rm -rf /var/lib/etcd").ok
    r = host.run(fix)
    assert r.rc == 0, (r.stdout, r.stderr)
    assert host.run("etcdctl get --print-value-only rescue-key").stdout.strip() == "kept"
    assert host.run("stat -c %a /var/lib/etcd /var/lib/etcd/member").stdout.split() == ["700", "700"]
    # 2. etcd gone (killed here: the state its own exit leaves, Restart= about to start it): started again at once
    assert host.run("rm -rf /var/lib/etcd && systemctl kill -s KILL etcd").ok
    for _ in range(50):
        if "MainPID=0" in state():
            break
        host.run("sleep 0.1")
    assert "ActiveState=active" not in state()
    r = host.run(fix)
    assert r.rc == 0 and "etcd has exited meanwhile" in r.stdout, (r.stdout, r.stderr)
    assert "ActiveState=active" in state() and host.run("test -f /var/lib/etcd/member/snap/db").ok
    # 3. etcd already runs on its new directory: nothing to save, nothing changed
    pid = state()
    r = host.run(fix)
    assert r.rc == 0 and "holds nothing more to save" in r.stdout and state() == pid, (r.stdout, r.stderr)
