"""The suite itself on a real lab host: it passes a correct host with both binary sources, bootstraps
idempotently, changes nothing when auditing, and fails a host broken in one way in exactly that scenario."""

from __future__ import annotations

import re

from pathlib import Path

import pytest
import testinfra

from checks import catalog
from core.remote import Remote
from core import ssh
from provision import certs
from provision.binaries import ensure
from provision.bootstrap import CHANGED, OK, Bootstrap
from provision.lab import Lab
from core.model import Member
from tests.labtools import (CHANGING_SCENARIOS, PRODUCTION_SCENARIOS, audit, collected, failed, junit_messages,
                            run_features, settled_snapshot, skipped_in, snapshot)

ROOT = Path(__file__).resolve().parent.parent
SSH_CONFIG = str(ROOT / ".lab/ssh_config")
pytestmark = [pytest.mark.lab, pytest.mark.slow]


@pytest.mark.parametrize("source, release", [("debian-trixie", "3.5."), ("debian", "3.4.23")])
def test_features_pass_on_the_lab(tmp_path, source, release):
    """The whole features on etcd 3.4 (Debian 12) and 3.5 (Debian 13), bootstrapped by the suite."""
    binaries = ROOT / (".cache/binaries/debian-trixie" if source == "debian-trixie" else "downloads")
    rc, results, output = run_features(tmp_path, f"--etcd-binaries={binaries}", f"--etcd-source={source}")
    assert rc == 0, output[-3000:]
    assert len(results) == collected() and not failed(results)
    assert results["test_the_running_etcd_is_the_installed_version[paramiko://server]"] == "passed"
    assert ensure(source, binaries).version().startswith(release)
    assert f"etcd {ensure(source, binaries).version()}, as root)" in output


def test_first_bootstrap_changes_and_second_changes_nothing(bootstrapped):
    host, member, first = bootstrapped
    assert sum(a.status == CHANGED for a in first) >= 10
    remote = Remote(host)
    pid = remote.run("systemctl show -p MainPID --value etcd").stdout.strip()
    second = Bootstrap(remote, member, ensure("debian"), certs.ensure(member)).run()
    assert [a.status for a in second] == [OK] * len(second)
    assert remote.run("systemctl show -p MainPID --value etcd").stdout.strip() == pid
    assert remote.run("ls /root").stdout.split() == []  # staged files were moved away, as the tutorial's mv


def test_an_audit_passes_a_correct_host_and_changes_nothing(bootstrapped, tmp_path):
    host, _, _ = bootstrapped
    before = snapshot(host)
    rc, results, output = audit(tmp_path)
    assert rc == 0, output[-3000:]
    assert skipped_in(results) == CHANGING_SCENARIOS | PRODUCTION_SCENARIOS
    assert snapshot(host) == before


BREAKS = [
    # (how the host is broken, how it is repaired, the checks that must fail, words of the fix)
    ("chmod 755 /var/lib/etcd", "chmod 700 /var/lib/etcd",
     {"dir.data", "cis.1.1.11"},
     "chmod 700 /var/lib/etcd"),
    ("systemctl disable etcd", "systemctl enable etcd",
     {"service.enabled"}, "systemctl enable etcd"),
    ("chmod 644 /etc/etcd/kube-api-server.key", "chmod 600 /etc/etcd/kube-api-server.key",
     {"cert.server-key.in-place"}, "chmod 600 /etc/etcd/kube-api-server.key"),
]


def test_gathering_evidence_only_reads_and_is_reused(bootstrapped):
    """The evidence gathered ahead of the scenarios (several hosts at once) changes nothing on the host,
    and the scenarios' own checks then send no command of their own."""
    from checks import membership, service, unit
    from suite.evidence import gather, gather_all
    from core.remote import ReadOnlyError

    host, member, _ = bootstrapped
    before = settled_snapshot(host)
    remote = Remote(host)
    remote.look("hostname -s")  # as the preparation does, for the member's name
    sessions = []
    send = host.backend._exec_command
    host.backend._exec_command = lambda command: sessions.append(command) or send(command)
    try:
        sent = gather(remote, member)
    finally:
        del host.backend._exec_command
    assert sent + 1 == len({ev.command for ev in remote.history}) >= 20  # each command once, however many ask
    # the quick commands went together (two rounds); endpoint status alone, and as the member answered at once,
    # its other etcdctl requests together
    etcdctl = [ev for ev in remote.history if "etcdctl --endpoints" in ev.command]
    assert len(etcdctl) >= 6 and len(sessions) <= 5
    for ev in remote.history:  # each answers as it does alone
        if ev.command.startswith(("stat ", "cat ", "systemctl cat", "systemd-analyze", "busctl")):
            alone = Remote(host)._exec(ev.command, None)
            assert (ev.rc, ev.stdout, ev.stderr) == (alone.rc, alone.stdout, alone.stderr), ev.command
    assert all(not ev.command.startswith(("systemctl start", "systemctl stop", "mv ", "rm ")) for ev in remote.history)
    assert gather_all([(remote, member)]) == [0]  # everything is already known
    assert unit.loaded(remote, member).ok and service.running(remote, member).ok
    assert membership.leader(remote, member).ok and len(remote.history) == sent + 1
    # every judged check finds all it declares among what was gathered, and passes on it
    from checks import catalog

    answers = remote.answers()
    for check in catalog.judged("lab"):
        missing = [c for c, _ in check.asks(member) + check.asks(member, answers) if not answers.has(c)]
        assert not missing, (check.id, missing)
        assert check.judge(member, answers).ok or check.id.startswith("cis."), check.id
    with remote.read_only(), pytest.raises(ReadOnlyError):
        remote.run("touch /root/never")
    assert not remote.run("test -e /root/never").ok
    assert snapshot(host) == before


@pytest.mark.parametrize("apply, repair, expected, fix", BREAKS, ids=[b[0] for b in BREAKS])
def test_a_host_broken_one_way_fails_in_exactly_that_scenario(bootstrapped, tmp_path, apply, repair, expected, fix):
    host, _, _ = bootstrapped
    remote = Remote(host)
    assert remote.run(apply).ok
    try:
        rc, results, output = audit(tmp_path)
    finally:
        assert remote.run(repair).ok
    assert rc == 1
    assert results.failed_checks("server") == expected, output[-3000:]
    fix_lines = [ln for ln in output.splitlines() if ln.startswith("fix:")]
    assert any(fix in ln for ln in fix_lines), fix_lines


def test_the_seeds_unit_as_written_is_caught(bootstrapped, tmp_path):
    """The write-up's unit has a blank after one backslash: systemd 252 ends ExecStart there."""
    host, member, _ = bootstrapped
    remote = Remote(host)
    seed = (ROOT / "tests/data/seed/etcd.service").read_text()
    sftp = host.backend.client.open_sftp()
    with sftp.open(member.unit_path, "w") as fh:
        fh.write(seed)
    sftp.close()
    assert remote.run("systemctl daemon-reload").ok
    try:
        rc, results, output = audit(tmp_path)
    finally:
        Bootstrap(remote, member, ensure("debian"), certs.ensure(member)).run()
    assert rc == 1
    bad = failed(results)
    assert "test_etcd_runs_with_the_tutorials_flag[paramiko://server-listen-client-urls-http://127.0.0.1:2379]" in bad
    assert "test_the_unit_runs_the_installed_etcd_with_no_other_flag[paramiko://server]" in bad
    assert "test_systemd_accepts_the_etcd_unit_without_warnings[paramiko://server]" in bad
    assert "is not a valid flag" in output and "ends ExecStart= there" in output


@pytest.mark.parametrize("ci", [False, True], ids=["terminal", "ci"])
def test_a_missing_etcdctl_is_one_precondition_line_per_check(bootstrapped, tmp_path, ci):
    host, member, _ = bootstrapped
    remote = Remote(host)
    assert remote.run("mv %s /root/etcdctl.away", member.etcdctl_path).ok
    try:
        rc, results, output = audit(tmp_path, ci=ci)
    finally:
        assert remote.run("mv /root/etcdctl.away %s", member.etcdctl_path).ok
    assert rc == 1
    bad = failed(results)
    assert "test_binary_is_installed_as_an_executable_owned_by_root[paramiko://server-etcdctl]" in bad
    assert "test_binary_reports_its_version[paramiko://server-etcdctl]" in bad
    # etcdctl's own two checks, and every check that needs etcdctl (member list in each format, endpoint ...)
    needs_etcdctl = {c for c in catalog.CHECKS if c.startswith(("members.", "endpoint."))}
    assert results.failed_checks("server") == {"binary.etcdctl.installed", "binary.etcdctl.version"} | needs_etcdctl
    listings = {c for c in needs_etcdctl if c.startswith("members.")}
    assert "Traceback" not in output
    lines = output.splitlines()
    line = ("cannot check etcdctl member list: /usr/local/bin/etcdctl is missing "
            "(fix: install -m 755 etcdctl /usr/local/bin/etcdctl)")
    assert "precondition failed: [members.json.exact] " + line in lines
    # one line per check that needs etcdctl, whether pytest runs on CI or not
    assert sum(ln.startswith("precondition failed:") for ln in lines) == len(needs_etcdctl)
    messages = junit_messages(tmp_path)
    assert sum(m.startswith("precondition failed:") for m in messages.values()) == len(needs_etcdctl)
    assert all("\n" not in m for m in messages.values())
    summary = [ln for ln in lines if ln.startswith("FAILED ")]
    assert len(summary) == len(needs_etcdctl) + 2
    if ci:  # pytest prints the headline whole: the check, never the test id a second time
        assert sum(re.search(r" - precondition failed: \[members\.[a-z]+\.[a-z]+\] " + re.escape(line) + "$", ln)
                   is not None for ln in summary) == len(listings)
        assert all(ln.count("::") == 1 for ln in summary)


def test_bootstrap_option_carries_out_the_step_on_a_given_host(tmp_path):
    Lab().reset(["server"])
    rc, results, output = audit(tmp_path, "--bootstrap")
    assert rc == 0, output[-3000:]
    assert not failed(results)
    assert results["test_a_second_bootstrap_changes_nothing[paramiko://server]"] == "passed"


def test_a_running_etcd_binary_is_replaced_without_text_file_busy(tmp_path):
    """Debian 12's 3.4.23 runs; the bootstrap installs Debian 13's 3.5 over it and restarts etcd."""
    Lab().reset(["server"])
    ssh.install()
    host = testinfra.get_host("paramiko://server", ssh_config=SSH_CONFIG)
    remote, member = Remote(host), Member()
    Bootstrap(remote, member, ensure("debian"), certs.ensure(member)).run()
    assert "3.4.23" in remote.run("etcdctl version").stdout
    newer = ensure("debian-trixie", ROOT / ".cache/binaries/debian-trixie")
    actions = Bootstrap(remote, member, newer, certs.ensure(member)).run()
    by_name = {a.name: a.status for a in actions}
    assert by_name[f"install {member.etcd_path} (0755)"] == CHANGED
    assert by_name["systemctl restart etcd"] == CHANGED
    status = remote.run("ETCDCTL_API=3 etcdctl endpoint status -w json").stdout
    assert f'"version":"{newer.version()}"' in status
    Lab().reset(["server"])  # a 3.5 data directory cannot go back to 3.4

