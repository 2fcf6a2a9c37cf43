"""Auditing several lab hosts at once, as a CI gate: a correct host, a broken one and one that is off.

Every host gets its own verdict; the broken host fails in the right scenario; the host that is off
gives one clear connection error within the timeout; nothing on the audited hosts changes; the same
holds with pytest-xdist, with one SSH connection per host."""

from __future__ import annotations

import re
import time
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
from tests.labtools import (CHANGING_SCENARIOS, PRODUCTION_SCENARIOS, SSH_CONFIG, collected, failed, run_features,
                            skipped_in, snapshot)

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.lab, pytest.mark.slow]
HOSTS = ["server", "node-0", "node-1"]


def connect(name: str):
    ssh.install()
    return testinfra.get_host(f"paramiko://{name}", ssh_config=SSH_CONFIG)


@pytest.fixture(scope="module")
def three_hosts():
    lab = Lab()
    lab.reset(HOSTS)
    for name in ("server", "node-0"):
        member = Member(name=name)
        Bootstrap(Remote(connect(name)), member, ensure("debian"), certs.ensure(member)).run()
    assert Remote(connect("node-0")).run("chmod 755 /var/lib/etcd").ok
    lab.down(["node-1"])  # powered off: its address no longer answers
    yield {n: connect(n) for n in ("server", "node-0")}
    lab.up(["node-1"])


def by_host(results: dict[str, str], host: str) -> dict[str, str]:
    return {n: s for n, s in results.items() if f"[paramiko://{host}" in n}


# serial: one process prepares all three at once; -n 3: a worker per host; -n 2: one worker is dealt two
@pytest.mark.parametrize("workers", [[], ["-n", "3"], ["-n", "2"]], ids=["serial", "xdist", "xdist-shared"])
def test_one_run_gives_each_host_its_verdict_and_changes_nothing(three_hosts, tmp_path, workers):
    before = {n: snapshot(h) for n, h in three_hosts.items()}
    start = time.monotonic()
    rc, results, output = run_features(tmp_path, "--hosts=server,node-0,node-1", f"--ssh-config={SSH_CONFIG}",
                                       f"--etcd-report={tmp_path / 'index.html'}",
                                       f"--etcd-json={tmp_path / 'results.json'}", *workers)
    elapsed = time.monotonic() - start
    assert rc == 1
    # the class view: failing hosts first in the host table, each with its first failure, then the passing one
    page = (tmp_path / "index.html").read_text()
    table = page[page.index('<table class="hosts">'):page.index("</table>")]
    order = [table.index(f'href="#host-{h}"') for h in ("node-0", "node-1", "server")]
    assert order == sorted(order)
    assert "[dir.data] the data directory /var/lib/etcd" in table and "[host.preflight]" in table
    server, node0, node1 = (by_host(results, h) for h in HOSTS)
    # the correct host passes everything an audit runs
    per_host = collected("--hosts=server", f"--ssh-config={SSH_CONFIG}")
    assert len(server) == per_host and not failed(server)
    assert skipped_in(server) == CHANGING_SCENARIOS | PRODUCTION_SCENARIOS
    # the broken host fails in exactly the broken scenario
    assert results.failed_checks("node-0") == {"dir.data", "cis.1.1.11"}
    # the host that is off: one clear error, its scenarios skipped, within the connection timeout
    assert failed(node1) == {"test_preflight[paramiko://node-1]"}
    assert all(s == "skipped" for n, s in node1.items() if "preflight" not in n)
    line = next(ln for ln in output.splitlines()
                if ln.startswith("precondition failed: [host.preflight] cannot check SSH connection to node-1"))
    assert re.search(r"no route to the host|no answer within the connection timeout", line), line
    assert elapsed < 60
    assert f"node-1: FAIL (0 passed, 1 failed, {per_host - 1} skipped, as root)" in output
    counts = {s: sum(1 for v in server.values() if v == s) for s in ("passed", "skipped", "deviation")}
    assert counts["deviation"] == 6 and counts["skipped"] == len(CHANGING_SCENARIOS | PRODUCTION_SCENARIOS)
    assert (f"server: PASS ({counts['passed']} passed, 0 failed, {counts['skipped']} skipped, "
            f"{counts['deviation']} known deviations, etcd 3.4.23, as root)") in output
    # nothing on the audited hosts changed
    assert {n: snapshot(h) for n, h in three_hosts.items()} == before
    # one SSH connection per host, whether the hosts share a process or each has a worker
    assert "SSH connections opened: node-0: 1, server: 1" in output
    # pytest-bdd's cucumber JSON holds every scenario that ran, with or without workers
    import json

    # results.json: valid, every host, each check by id with its status
    import jsonschema

    from reporting.results import SCHEMA

    data = json.loads((tmp_path / "results.json").read_text())
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    checks = {h["name"]: {c["id"]: c["status"] for c in h["checks"]} for h in data["hosts"]}
    assert {c for c, st in checks["node-0"].items() if st == "failed"} == {"dir.data", "cis.1.1.11"}
    assert "failed" not in checks["server"].values() and checks["server"]["cis.2.1"] == "deviation"
    assert checks["node-1"]["host.preflight"] == "failed" and set(checks["node-1"].values()) == {"failed", "skipped"}
    assert len(checks["server"]) == len(checks["node-1"]) > 60

    ran = {e["id"] for f in json.loads((tmp_path / "c.json").read_text()) for e in f["elements"]}
    assert ran >= {n for n, s in results.items()
                   if s in ("passed", "failed", "deviation") and not n.startswith("test_preflight")}


def test_machines_txt_selects_the_server_row(three_hosts, tmp_path):
    rc, results, output = run_features(tmp_path, f"--machines={ROOT / '.lab/machines.txt'}",
                                       f"--ssh-config={SSH_CONFIG}")
    assert rc == 0, output[-2000:]
    assert {n.split("[")[1].split("]")[0].split("-")[0] for n in results} == {"paramiko://server"}


def test_machines_txt_with_members_reaches_unknown_names_by_address(three_hosts, tmp_path):
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


def test_a_changed_host_key_fails_the_preflight_clearly(three_hosts, tmp_path):
    other = Lab().host_key("node-0").split()
    known = tmp_path / "known_hosts"
    known.write_text(f"server,10.240.0.10 {other[0]} {other[1]}\n")
    cfg = tmp_path / "ssh_config"
    cfg.write_text(Path(SSH_CONFIG).read_text().replace(str(ROOT / ".lab/known_hosts"), str(known)))
    rc, results, output = run_features(tmp_path, "--hosts=server", f"--ssh-config={cfg}")
    assert rc == 1 and failed(results) == {"test_preflight[paramiko://server]"}
    assert "the host key of 10.240.0.10 has changed" in output


def test_an_unknown_host_key_is_refused(three_hosts, tmp_path):
    cfg = tmp_path / "ssh_config"
    cfg.write_text(Path(SSH_CONFIG).read_text().replace(str(ROOT / ".lab/known_hosts"), str(tmp_path / "none")))
    rc, results, output = run_features(tmp_path, "--hosts=server", f"--ssh-config={cfg}")
    assert rc == 1 and failed(results) == {"test_preflight[paramiko://server]"}
    assert "unknown host key" in output


def test_a_sudo_user_without_root_login_can_audit(three_hosts, tmp_path):
    root = Remote(three_hosts["server"])
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


def test_an_ansible_inventory_is_a_target(three_hosts, tmp_path):
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


def test_an_inventory_host_whose_key_is_unknown_is_one_precondition_line(three_hosts, tmp_path):
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
