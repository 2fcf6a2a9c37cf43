"""From the tutorial's jumpbox: a student (not root) with the project's clone and their own ~/.ssh checks
their server with ``make check HOSTS=server``: only a Python environment is set up (no system package, no
lab image), the audit passes on a correct host and writes the report into the student's clone."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from core.remote import Remote
from tests.labtools import ROOT, bootstrap_server

pytestmark = [pytest.mark.lab, pytest.mark.slow]
STUDENT = "kthw-student"
HOST = "student-0"  # the lab host the student's ``server`` is (a host of its own: tests/conftest.py)


def as_student(command: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(["su", "-", STUDENT, "-c", command], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def jumpbox():
    """A user with a clone of the project and an SSH config of their own that reaches ``server`` as root."""
    from provision.lab import Lab

    if subprocess.run(["id", STUDENT], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", STUDENT], check=True)
    home = Path(f"/home/{STUDENT}")
    clone = home / "kthw-etcd"
    # the project as committed, owned by the student (what their clone would hold); written again over an
    # earlier run's clone, its .venv kept
    clone.mkdir(exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD"], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(clone)], input=archive, check=True)
    subprocess.run(["chown", "-R", f"{STUDENT}:{STUDENT}", str(clone)], check=True)
    ssh_dir = home / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    (ssh_dir / "id_lab").write_bytes((ROOT / ".lab/id_ed25519").read_bytes())
    Lab().up([HOST])
    address = Lab().addresses()[HOST]
    known = [ln for ln in (ROOT / ".lab/known_hosts").read_text().splitlines() if address in ln.split()[0].split(",")]
    (ssh_dir / "known_hosts").write_text("\n".join(known) + "\n")
    (ssh_dir / "config").write_text(f"Host server\n  HostName {address}\n  User root\n"
                                    f"  IdentityFile ~/.ssh/id_lab\n")
    subprocess.run(["chown", "-R", f"{STUDENT}:{STUDENT}", str(ssh_dir)], check=True)
    (ssh_dir / "id_lab").chmod(0o600)
    return clone


def test_make_check_audits_the_students_server_without_root_or_lab(jumpbox):
    host, _, _ = bootstrap_server(HOST)
    before = Remote(host).run("systemctl show -p MainPID --value etcd").stdout
    r = as_student(f"cd {jumpbox} && make check HOSTS=server")
    output = r.stdout + r.stderr
    assert r.returncode == 0, output[-3000:]
    assert "server: PASS" in output and "setup: installing" not in output
    assert (jumpbox / "reports/index.html").stat().st_uid != 0  # written by the student, in their clone
    assert not (jumpbox / ".lab").exists()  # no lab image, no lab host
    assert Remote(host).run("systemctl show -p MainPID --value etcd").stdout == before  # nothing changed
    usage = as_student(f"cd {jumpbox} && make check")
    assert usage.returncode == 2 and "usage: make check HOSTS=server" in usage.stdout + usage.stderr


def test_bin_check_needs_no_make(jumpbox, tmp_path):
    """The tutorial's jumpbox has no make: bin/check runs the same audit with only python3 and ssh on the PATH."""
    host, _, _ = bootstrap_server(HOST)
    tools = Path(f"/home/{STUDENT}/tools-without-make")
    tools.mkdir(exist_ok=True)
    for tool in ("sh", "python3", "ssh", "dirname", "env", "cat", "touch", "rm"):
        link = tools / tool
        if not link.is_symlink():  # Debian's own (root's PATH may lead elsewhere)
            link.symlink_to(f"/usr/bin/{tool}" if Path(f"/usr/bin/{tool}").exists() else f"/bin/{tool}")
    r = as_student(f"cd {jumpbox} && PATH={tools} sh bin/check server")
    output = r.stdout + r.stderr
    assert r.returncode == 0 and "server: PASS" in output, output[-3000:]
