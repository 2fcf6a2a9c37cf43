"""Auditing several lab hosts at once, as a CI gate: a correct host, a broken one and one that is off.

Every host gets its own verdict; the broken host fails in the right scenario; the host that is off
gives one clear connection error within the timeout; nothing on the audited hosts changes; the same
holds with pytest-xdist, with one SSH connection per host. Hosts of their own (gate-0..2): these tests run
beside those on server (tests/conftest.py)."""

from __future__ import annotations

import json
import re
import time

import jsonschema
import pytest
import testinfra

from core import ssh
from core.model import Member
from core.remote import Remote
from provision import certs
from provision.binaries import ensure
from provision.bootstrap import Bootstrap
from provision.lab import Lab
from reporting.results import SCHEMA
from tests.labtools import (CHANGING_SCENARIOS, PRODUCTION_SCENARIOS, SSH_CONFIG, collected, failed, run_features,
                            skipped_in, snapshot)

pytestmark = [pytest.mark.lab, pytest.mark.slow]
GOOD, BROKEN, OFF = "gate-0", "gate-1", "gate-2"
HOSTS = [GOOD, BROKEN, OFF]


def connect(name: str):
    ssh.install()
    return testinfra.get_host(f"paramiko://{name}", ssh_config=SSH_CONFIG)


@pytest.fixture(scope="module")
def three_hosts():
    lab = Lab()
    lab.reset(HOSTS)
    for name in (GOOD, BROKEN):
        member = Member(name=name)
        Bootstrap(Remote(connect(name)), member, ensure("debian"), certs.ensure(member)).run()
    assert Remote(connect(BROKEN)).run("chmod 755 /var/lib/etcd").ok
    lab.down([OFF])  # powered off: its address no longer answers
    yield {n: connect(n) for n in (GOOD, BROKEN)}
    lab.down(HOSTS)


def by_host(results: dict[str, str], host: str) -> dict[str, str]:
    return {n: s for n, s in results.items() if f"[paramiko://{host}" in n}


# serial: one process prepares all three at once; -n 3: a worker per host; -n 2: one worker is dealt two
@pytest.mark.parametrize("workers", [[], ["-n", "3"], ["-n", "2"]], ids=["serial", "xdist", "xdist-shared"])
def test_one_run_gives_each_host_its_verdict_and_changes_nothing(three_hosts, tmp_path, workers):
    before = {n: snapshot(h) for n, h in three_hosts.items()}
    start = time.monotonic()
    rc, results, output = run_features(tmp_path, f"--hosts={GOOD},{BROKEN},{OFF}", f"--ssh-config={SSH_CONFIG}",
                                       f"--etcd-report={tmp_path / 'index.html'}",
                                       f"--etcd-json={tmp_path / 'results.json'}", *workers)
    elapsed = time.monotonic() - start
    assert rc == 1
    # the class view: failing hosts first in the host table, each with its first failure, then the passing one
    page = (tmp_path / "index.html").read_text()
    table = page[page.index('<table class="hosts">'):page.index("</table>")]
    order = [table.index(f'href="#host-{h}"') for h in (BROKEN, OFF, GOOD)]
    assert order == sorted(order)
    assert "[dir.data] the data directory /var/lib/etcd" in table and "[host.preflight]" in table
    server, node0, node1 = (by_host(results, h) for h in HOSTS)
    # the correct host passes everything an audit runs
    per_host = collected(f"--hosts={GOOD}", f"--ssh-config={SSH_CONFIG}")
    assert len(server) == per_host and not failed(server)
    assert skipped_in(server, GOOD) == CHANGING_SCENARIOS | PRODUCTION_SCENARIOS
    # the broken host fails in exactly the broken scenario
    assert results.failed_checks(BROKEN) == {"dir.data", "cis.1.1.11"}
    # the host that is off: one clear error, its scenarios skipped, within the connection timeout
    assert failed(node1) == {f"test_preflight[paramiko://{OFF}]"}
    assert all(s == "skipped" for n, s in node1.items() if "preflight" not in n)
    line = next(ln for ln in output.splitlines()
                if ln.startswith(f"precondition failed: [host.preflight] cannot check SSH connection to {OFF}"))
    assert re.search(r"no route to the host|no answer within the connection timeout", line), line
    assert elapsed < 60
    assert f"{OFF}: FAIL (0 passed, 1 failed, {per_host - 1} skipped, as root)" in output
    counts = {s: sum(1 for v in server.values() if v == s) for s in ("passed", "skipped", "deviation")}
    assert counts["deviation"] == 6 and counts["skipped"] == len(CHANGING_SCENARIOS | PRODUCTION_SCENARIOS)
    assert (f"{GOOD}: PASS ({counts['passed']} passed, 0 failed, {counts['skipped']} skipped, "
            f"{counts['deviation']} known deviations, etcd 3.4.23, as root)") in output
    # nothing on the audited hosts changed
    assert {n: snapshot(h) for n, h in three_hosts.items()} == before
    # one SSH connection per host, whether the hosts share a process or each has a worker
    assert f"SSH connections opened: {GOOD}: 1, {BROKEN}: 1" in output
    # pytest-bdd's cucumber JSON holds every scenario that ran, with or without workers
    # results.json: valid, every host, each check by id with its status
    data = json.loads((tmp_path / "results.json").read_text())
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    checks = {h["name"]: {c["id"]: c["status"] for c in h["checks"]} for h in data["hosts"]}
    assert {c for c, st in checks[BROKEN].items() if st == "failed"} == {"dir.data", "cis.1.1.11"}
    assert "failed" not in checks[GOOD].values() and checks[GOOD]["cis.2.1"] == "deviation"
    assert checks[OFF]["host.preflight"] == "failed" and set(checks[OFF].values()) == {"failed", "skipped"}
    assert len(checks[GOOD]) == len(checks[OFF]) > 60

    ran = {e["id"] for f in json.loads((tmp_path / "c.json").read_text()) for e in f["elements"]}
    assert ran >= {n for n, s in results.items()
                   if s in ("passed", "failed", "deviation") and not n.startswith("test_preflight")}
