"""Helpers for tests that run the suite against the lab host ``server``."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import testinfra

from core.remote import Remote
from core import ssh
from provision import certs
from provision.binaries import ensure
from provision.bootstrap import Bootstrap
from provision.lab import Lab
from core.model import Member

ROOT = Path(__file__).resolve().parent.parent
SSH_CONFIG = str(ROOT / ".lab/ssh_config")


class Results(dict):
    """{test name: passed|failed|skipped|error|deviation} of one run, with the check ids of each test case."""

    def __init__(self):
        super().__init__()
        self.checks: dict[str, list[str]] = {}  # test name → the check ids its scenario runs
        self.failed_check: dict[str, str] = {}  # test name → the check that failed in it
        self.failure_text: dict[str, str] = {}  # test name → its failure (headline and details)

    def failed_checks(self, host: str = "server") -> set[str]:
        """The ids of the checks that failed on one host (a failed test without an id counts by its name)."""
        return {self.failed_check.get(n) or n for n in failed(self) if f"://{host}" in n}

    def fix_lines(self, host: str = "server") -> list[str]:
        """The remediation lines of one host's failures."""
        out = []
        for n, text in self.failure_text.items():
            if f"://{host}" not in n:
                continue
            in_fix = False  # a fix of several lines: "fix:      first" then lines indented under it
            for ln in text.splitlines():
                if ln.strip().startswith("fix:") or "(fix: " in ln:
                    out.append(ln.strip())
                    in_fix = ln.startswith("fix:")
                elif in_fix and ln.startswith(" " * 10):
                    out.append(ln.strip())
                else:
                    in_fix = False
        return out

    def checks_with(self, status: str, host: str = "server") -> set[str]:
        return {cid for n, s in self.items() if s == status and f"://{host}" in n for cid in self.checks.get(n, [])}


DETECTION = ROOT / "reports" / "fault-detection.txt"  # the detection table's rows, written as the tests go


def detected(fault_id: str, failed_checks: str, verdict: str) -> None:
    """One row of the fault detection table (a file, so that rows of parallel test processes all count)."""
    from core.files import locked

    with locked(DETECTION) as fh:
        fh.write(f"{fault_id}\t{failed_checks}\t{verdict}\n")


def detection_table() -> list[str]:
    """The detection table: fault → failed checks → verdict, in the order the tests ran."""
    rows = [ln.split("\t") for ln in DETECTION.read_text().splitlines() if ln] if DETECTION.exists() else []
    if not rows:
        return []
    return [f"{'fault':<40} {'failed checks':>16}  verdict"] + [f"{f:<40} {c:>16}  {v}" for f, c, v in rows]


class FaultRounds:
    """Faults applied in rounds of ``width`` at once (a host or a cluster each); a fault's test asks for its
    outcome, which runs its round the first time. Subclasses say how a round runs (:meth:`_run`)."""

    def __init__(self, faults: list, width: int, tmp_path: Path):
        self.rounds = [faults[i:i + width] for i in range(0, len(faults), width)]
        self.tmp = tmp_path
        self.done: dict[str, object] = {}

    def outcome(self, fault):
        if fault.id not in self.done:
            self._run(next(r for r in self.rounds if fault in r))
        return self.done[fault.id]

    def _run(self, faults: list) -> None:
        raise NotImplementedError


def run_features(tmp_path: Path, *args: str, ci: bool | None = None) -> tuple[int, Results, str]:
    """Run ``pytest features/``; (exit code, the results by test name with their check ids, output).

    ``ci`` True/False runs it as pytest does on CI or off it (pytest prints whole failures in its short
    summary when ``CI`` or ``BUILD_NUMBER`` is set); None keeps this process's environment.
    """
    env = dict(os.environ)
    if ci is not None:
        env.pop("CI", None)
        env.pop("BUILD_NUMBER", None)
        if ci:
            env["CI"] = "true"
    junit = tmp_path / f"junit-{len(list(tmp_path.glob('junit-*')))}.xml"
    cmd = [sys.executable, "-m", "pytest", "features/", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}",
           f"--html={tmp_path / 'r.html'}", f"--cucumberjson={tmp_path / 'c.json'}", *args]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    results = Results()
    cases = ET.parse(junit).getroot().iter("testcase") if junit.exists() else []  # none on a usage error
    for case in cases:
        name = case.get("name")
        props = [(p.get("name"), p.get("value")) for p in case.iter("property")]
        status = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                status = {"failure": "failed"}.get(child.tag, child.tag)
            if child.tag in ("failure", "error"):
                results.failure_text[name] = (child.get("message") or "") + "\n" + (child.text or "")
        if status == "passed" and any(k == "known_deviation" for k, _ in props):
            status = "deviation"  # a known deviation of the tutorial, reported not failed
        results[name] = status
        results.checks[name] = [v for k, v in props if k == "check_id"]
        results.failed_check.update({name: v for k, v in props if k == "failed_check"})
    return out.returncode, results, out.stdout + out.stderr


def collected(*args: str) -> int:
    """How many tests ``pytest features/ ARGS --collect-only`` collects (counts are derived, never written in)."""
    out = subprocess.run([sys.executable, "-m", "pytest", "features/", "-q", "--collect-only", "-p", "no:cacheprovider",
                          *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    return sum(1 for ln in out.stdout.splitlines() if "::" in ln)


def printed_fixes(output: str, host: str = "server") -> list[str]:
    """The fix commands the terminal's remediations print for one host, in order, each once."""
    fixes: list[str] = []
    current = False
    for line in output.splitlines():
        if line.startswith("[FAIL] "):
            current = line.startswith(f"[FAIL] {host}: ")
        elif current and line.startswith("       ") and not line.strip().startswith("run again:"):
            if line.strip() not in fixes:
                fixes.append(line.strip())
        elif not line.startswith("       "):
            current = False
    return fixes


def audit(tmp_path: Path, *args: str, ci: bool | None = None, host: str = "server"):
    return run_features(tmp_path, f"--hosts={host}", f"--ssh-config={SSH_CONFIG}", *args, ci=ci)


def junit_messages(tmp_path: Path) -> dict[str, str]:
    """{test name: failure message} from the last run's JUnit XML."""
    junit = sorted(tmp_path.glob("junit-*.xml"), key=lambda p: p.stat().st_mtime)[-1]
    return {case.get("name"): child.get("message", "")
            for case in ET.parse(junit).getroot().iter("testcase")
            for child in case if child.tag in ("failure", "error")}


def failed(results: dict[str, str]) -> set[str]:
    return {name for name, status in results.items() if status in ("failed", "error")}


def bootstrap_server(name: str = "server", reset: bool = True):
    """A lab host (``server``) fresh from a reset, bootstrapped with Debian's etcd as the tutorial's member
    named after the host; a connection the checks use too."""
    if reset:
        Lab().reset([name])
    ssh.install()
    host = testinfra.get_host(f"paramiko://{name}", ssh_config=SSH_CONFIG)
    member = Member() if name == "server" else Member(name=name)
    boot = Bootstrap(Remote(host), member, ensure("debian"), certs.ensure(member))
    first = boot.run()
    return host, member, first


RECORDINGS = ROOT / "tests" / "data" / "recordings"


def verdicts(record) -> dict[str, str]:
    """{check id: passed, failed, deviation or skipped} of a recorded host."""
    from checks.judging import judge

    return {v.check: v.status for v in judge(record)}


def differs_from_stored(hosts: list[str], stored: list[Path], moment: set[str] = frozenset(), **plan) -> list[str]:
    """The hosts recorded again now (read only) and judged: where their verdicts differ from the stored recordings'
    (what a recording is for), but for the checks whose verdict depends on the moment; [] when none does."""
    from core.answers import HostRecord
    from suite.record import record_hosts

    now = record_hosts(hosts, ssh_config=SSH_CONFIG, say=lambda line: None, **plan)
    out = []
    for host, path in zip(hosts, stored):
        new, old = verdicts(now[host]), verdicts(HostRecord.load(path))
        out += [f"{host}: {cid} is {new.get(cid)} now, {old.get(cid)} in {path.name}"
                for cid in sorted(set(new) | set(old)) if cid not in moment and new.get(cid) != old.get(cid)]
    return out


def snapshot(host) -> str:
    """What an audit must not change: the step's files (path, mode, size, mtime) and the service."""
    remote = Remote(host)
    files = remote.run("find /etc/etcd /var/lib/etcd /usr/local/bin /etc/systemd/system /root "
                       "-printf '%p %m %U %s %T@\\n' | sort")
    service = remote.run("systemctl show -p MainPID -p ActiveState -p NRestarts -p UnitFileState etcd")
    return files.stdout + service.stdout


def settled_snapshot(host, timeout: float = 20) -> str:
    """:func:`snapshot` once etcd has stopped writing on its own (it does just after it starts)."""
    import time

    last, deadline = snapshot(host), time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(1)
        now = snapshot(host)
        if now == last:
            return now
        last = now
    return last




# what an audit skips unless --disruptive (and --bootstrap for the first)
CHANGING_SCENARIOS = {
    "test_a_second_bootstrap_changes_nothing",
    "test_a_key_can_be_written_read_back_and_deleted",
    "test_systemd_restarts_etcd_by_itself_after_it_is_killed",
    "test_a_clean_stop_leaves_a_consistent_data_directory_and_a_start_brings_the_same_member_back",
    "test_after_a_reboot_etcd_runs_again_with_its_data",
}
# the production profile's scenarios, skipped in the lab profile
PRODUCTION_SCENARIOS = {
    "test_every_member_of_the_cluster_is_started_and_votes",
    "test_the_cluster_has_exactly_one_leader_and_one_cluster_id",
    "test_every_member_of_the_cluster_is_healthy",
    "test_plain_http_is_refused",
    "test_a_client_without_a_certificate_is_refused",
    "test_with_one_member_stopped_the_cluster_keeps_quorum",
    "test_with_two_members_stopped_writes_fail_and_nothing_is_lost",
}


def skipped_in(results: dict[str, str], host: str = "server") -> set[str]:
    return {n.replace(f"[paramiko://{host}]", "") for n, s in results.items() if s == "skipped"}
