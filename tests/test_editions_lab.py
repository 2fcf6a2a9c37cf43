"""Each edition carried out by hand, with its own commands as its text gives them (its heredoc, its file
names, over SSH: not through the suite's bootstrap), then audited with ``--edition NAME`` alone: it passes,
with only the edition's known deviations. Without ``--edition`` the audit suggests the matching one."""

from __future__ import annotations

import io
import shlex
import subprocess
import tarfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import testinfra

from core import editions, ssh
from core.remote import Remote
from provision import certs
from provision.binaries import ensure
from provision.lab import Lab
from tests.labtools import SSH_CONFIG, collected, failed, run_features

pytestmark = [pytest.mark.lab, pytest.mark.slow]
DATA = Path(__file__).parent / "data" / "editions"
CONTROLLERS = list(editions.get("kthw-2020").lab_hosts)


def connect(name: str) -> Remote:
    ssh.install()
    return Remote(testinfra.get_host(f"paramiko://{name}", ssh_config=SSH_CONFIG))


def upload(remote: Remote, files: dict[str, Path | bytes]) -> None:
    """What the student's ``scp ... root@host:~/`` does: scp gives a new file the mode of the one it copies
    (step 4's openssl writes private keys 0600)."""
    sftp = remote.sftp()
    try:
        for name, src in files.items():
            data = src.read_bytes() if isinstance(src, Path) else src
            with sftp.open(name, "wb") as fh:
                fh.write(data)
            sftp.chmod(name, (src.stat().st_mode & 0o777) if isinstance(src, Path) else 0o644)
    finally:
        sftp.close()


def by_hand(remote: Remote, script: str) -> None:
    ev = remote.run("bash -c %s", script, timeout=120)
    assert ev.ok, ev.render()


def single_member(tmp_path: Path, unit: bytes) -> None:
    """``server`` afresh; the step's files in root's home; the write-up's / current text's commands."""
    Lab().reset(["server"])
    remote = connect("server")
    binaries = ensure("debian")
    lab_certs = certs.ensure(editions.member(editions.get("kthw-server"), name="server"))
    files = {"etcd": binaries.etcd, "etcdctl": binaries.etcdctl, "etcd.service": unit}
    files.update(lab_certs)
    upload(remote, files)
    by_hand(remote, (DATA / "server.sh").read_text())


def audit(tmp_path: Path, *args: str):
    return run_features(tmp_path, "--hosts=server", f"--ssh-config={SSH_CONFIG}", *args)


def test_the_write_up_carried_out_by_hand_passes_its_edition(tmp_path):
    jumpbox = tmp_path / "jumpbox"
    (jumpbox / "units").mkdir(parents=True)
    subprocess.run(["bash", str(DATA / "kthw-server.jumpbox.sh")], cwd=jumpbox, check=True)
    single_member(tmp_path, (jumpbox / "units/etcd.service").read_bytes())
    rc, results, output = audit(tmp_path, "--edition=kthw-server")
    assert rc == 0 and not failed(results), output[-3000:]
    assert results.checks_with("deviation") == {"cis.2.1", "cis.2.2", "cis.2.4", "cis.2.5", "cis.2.7", "cis.1.1.12"}


def test_the_current_text_carried_out_by_hand_passes_its_edition(tmp_path):
    single_member(tmp_path, (DATA / "kthw-current.etcd.service").read_bytes())
    rc, results, output = audit(tmp_path, "--edition=kthw-current")
    assert rc == 0 and not failed(results), output[-3000:]
    # the text names the member after the hostname, its unit says controller: a known deviation, not a failure
    assert "member.hostname" in results.checks_with("deviation")
    # without --edition: the member is expected to be named after the host, and the edition is suggested
    rc, results, output = audit(tmp_path)
    assert rc == 1 and "config.name" in results.failed_checks()
    assert "try --edition kthw-current" in output


# etcd's release archives keep the uid and gid of whoever built them (v3.5.11's: 528287/89939, etcd-io/etcd#17278)
RELEASE_OWNER = (528287, 89939)


def release_tarball(version: str) -> bytes:
    """etcd's release archive layout (etcd-vX-linux-amd64/etcd, etcdctl) around the lab's binaries, owned as
    etcd's own archives are: by a build user no host has (tar -xvf as root keeps that owner)."""
    binaries = ensure("debian")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path in (binaries.etcd, binaries.etcdctl):
            info = tar.gettarinfo(str(path), arcname=f"etcd-v{version}-linux-amd64/{path.name}")
            info.mode = 0o755
            info.uid, info.gid = RELEASE_OWNER
            info.uname = info.gname = ""
            with open(path, "rb") as fh:
                tar.addfile(info, fh)
    return buf.getvalue()


@pytest.fixture(scope="module")
def controllers():
    yield  # the test resets them (a reset brings a host up fresh)
    Lab().down(CONTROLLERS)


def carry_out_2020(user: str = "") -> None:
    """The 2020 edition's commands on each controller at once (as the text says: tmux), as root, or as ``user``
    with passwordless sudo in that user's home (as on the text's cloud instances)."""
    lab = Lab()
    lab.reset(CONTROLLERS)
    addresses = {n: a for n, a in lab.addresses().items() if n in CONTROLLERS}
    version = ensure("debian").version()
    files = {f"etcd-v{version}-linux-amd64.tar.gz": release_tarball(version)}
    files.update(certs.ensure_kthw_2020(addresses))
    template = (DATA / "kthw-2020.controller.sh").read_text().replace("{version}", version)
    for i, name in enumerate(CONTROLLERS):
        template = template.replace(f"{{ip{i}}}", addresses[name])
    key = (Path(__file__).resolve().parent.parent / ".lab/id_ed25519.pub").read_text().strip()

    def carry_out(name: str) -> None:
        remote = connect(name)
        script = template.replace("{internal_ip}", addresses[name])
        if not user:
            upload(remote, files)
            by_hand(remote, script)
            return
        by_hand(remote, f"useradd -m -s /bin/bash {user} && echo '{user} ALL=(ALL) NOPASSWD:ALL' > "
                        f"/etc/sudoers.d/{user} && install -d -m 700 -o {user} -g {user} ~{user}/.ssh && "
                        f"echo {shlex.quote(key)} > ~{user}/.ssh/authorized_keys && chown {user}: ~{user}/.ssh/*")
        upload(remote, files)  # root's home, then moved to the user's as scp to the user would leave them
        by_hand(remote, f"mv {' '.join(files)} ~{user}/ && chown {user}: ~{user}/*")
        by_hand(remote, f"cd ~{user} && runuser -u {user} -- bash -c {shlex.quote(script)}")

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(carry_out, CONTROLLERS))


def test_the_2020_edition_carried_out_by_hand_passes_its_edition(controllers, tmp_path):
    carry_out_2020()
    rc, results, output = run_features(tmp_path, "--edition=kthw-2020", f"--hosts={','.join(CONTROLLERS)}",
                                       f"--ssh-config={SSH_CONFIG}")
    assert rc == 0 and not failed(results), output[-3000:]
    assert len(results) == collected("--edition=kthw-2020", f"--hosts={','.join(CONTROLLERS)}",
                                     f"--ssh-config={SSH_CONFIG}")
    for name in CONTROLLERS:  # the binaries keep the archive's owner, as the text's tar -xvf and sudo mv leave them
        assert results.checks_with("deviation", name) == {"cis.1.1.12", "binary.etcd.installed",
                                                          "binary.etcdctl.installed"}
    owner = connect("controller-0").run("stat -c %u:%g /usr/local/bin/etcd /usr/local/bin/etcdctl").stdout.split()
    assert owner == ["%d:%d" % RELEASE_OWNER] * 2
    # the tutorial's own verification command answers with the three members
    ev = connect("controller-0").run(
        "ETCDCTL_API=3 etcdctl member list --endpoints=https://127.0.0.1:2379 --cacert=/etc/etcd/ca.pem "
        "--cert=/etc/etcd/kubernetes.pem --key=/etc/etcd/kubernetes-key.pem")
    assert ev.ok and sorted(line.split(", ")[2] for line in ev.stdout.splitlines()) == CONTROLLERS
    # without --edition the files of that edition are recognised and the edition suggested (whatever checks run:
    # one here, that fails; the others would wait for etcdctl's timeouts against the TLS-only member)
    rc, results, output = run_features(tmp_path, f"--hosts={','.join(CONTROLLERS)}", f"--ssh-config={SSH_CONFIG}",
                                       "--check=cert.ca-certificate.in-place")
    assert rc == 1 and "try --edition kthw-2020" in output
    for name in CONTROLLERS:
        assert results.failed_checks(name) == {"cert.ca-certificate.in-place"}, output[-2000:]


def test_the_2020_edition_carried_out_by_a_sudo_user_passes_audited_as_root_and_as_that_user(controllers, tmp_path):
    """On the text's cloud instances one logs in as a user with sudo: its tar -xvf leaves the binaries owned by
    that user (sudo mv keeps the owner), everything else is made with sudo."""
    carry_out_2020(user="student")
    owner = connect("controller-0").run("stat -c %U:%G /usr/local/bin/etcd /usr/local/bin/etcdctl").stdout.split()
    assert owner == ["student:student"] * 2
    hosts = ",".join(CONTROLLERS)
    for spec in ((f"--hosts={hosts}",), (f"--hosts={','.join('student@' + h for h in CONTROLLERS)}", "--sudo")):
        rc, results, output = run_features(tmp_path, "--edition=kthw-2020", *spec, f"--ssh-config={SSH_CONFIG}")
        assert rc == 0 and not failed(results), output[-3000:]
        for name in CONTROLLERS:
            assert results.checks_with("deviation", name) == {"cis.1.1.12", "binary.etcd.installed",
                                                              "binary.etcdctl.installed"}
    assert "as student)" in output
