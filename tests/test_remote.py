"""One line for each way an SSH connection fails."""

import errno
import socket
import threading
from pathlib import Path
from types import SimpleNamespace

import paramiko
import pytest

from core.remote import describe_connection_error

ROOT = Path(__file__).resolve().parent.parent



def key_pair():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    blob = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).split()[1]
    import base64

    return paramiko.PKey.from_type_string("ssh-ed25519", base64.b64decode(blob))


@pytest.mark.parametrize("exc, words", [
    (paramiko.ssh_exception.NoValidConnectionsError({("10.0.0.1", 22): OSError(errno.EHOSTUNREACH, "x")}),
     "no route to the host"),
    (paramiko.ssh_exception.NoValidConnectionsError({("10.0.0.1", 22): ConnectionRefusedError(111, "x")}),
     "connection refused (is sshd running?)"),
    (socket.timeout("timed out"), "no answer within the connection timeout"),
    (socket.gaierror(-2, "Name or service not known"), "cannot resolve the host name"),
    (paramiko.AuthenticationException("Authentication failed."), "authentication failed"),
    (paramiko.SSHException("Server '10.0.0.1' not found in known_hosts"), "unknown host key"),
])
def test_each_failure_is_one_line(exc, words):
    text = describe_connection_error(exc)
    assert words in text and "\n" not in text


def test_a_changed_host_key_names_both_keys():
    text = describe_connection_error(paramiko.BadHostKeyException("10.0.0.1", key_pair(), key_pair()))
    assert text.startswith("the host key of 10.0.0.1 has changed") and "refusing to connect" in text


class CountingHost:
    """Stands in for testinfra's host to count what the Remote sends (the caching logic only)."""

    def __init__(self):
        self.sent = []

    def run(self, command):
        self.sent.append(command)

        class Out:
            rc, stdout, stderr = 0, f"out {len(self.sent)}", ""
        return Out()


def test_read_only_evidence_is_reused_until_something_may_have_changed():
    from core.remote import Remote

    host = CountingHost()
    r = Remote(host)
    first = r.look("systemctl show -p MainPID -- %s", "etcd.service")
    again = r.look("systemctl show -p MainPID -- %s", "etcd.service")
    assert len(host.sent) == 1 and first.stdout == again.stdout == "out 1"
    again.stdout = "mutated by a caller"
    assert r.look("systemctl show -p MainPID -- %s", "etcd.service").stdout == "out 1"
    r.run("systemctl restart -- %s", "etcd")  # may change the host: forget what was seen
    assert r.look("systemctl show -p MainPID -- %s", "etcd.service").stdout == "out 3"
    assert host.sent[0] == "timeout -k 2 20 sh -c 'systemctl show -p MainPID -- etcd.service'"


class Silent:
    """A TCP listener on loopback that accepts connections and never says a word (no SSH banner)."""

    def __init__(self):
        import socket
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        for c in self.held:
            c.close()
        self.sock.close()


def test_a_host_that_never_speaks_ssh_fails_in_time_with_the_reason(tmp_path, monkeypatch):
    import time

    import testinfra

    from core import ssh
    from core.evidence import PreconditionFailure
    from core.remote import Remote

    silent = Silent()
    try:
        config = tmp_path / "ssh_config"
        config.write_text(f"Host silent\n  HostName 127.0.0.1\n  Port {silent.port}\n  User root\n")
        ssh.install()
        host = testinfra.get_host("paramiko://silent", ssh_config=str(config))
        start = time.monotonic()
        try:
            Remote(host).run("true")
        except PreconditionFailure as exc:
            failure = exc
        else:
            raise AssertionError("a silent host answered")
        took = time.monotonic() - start
    finally:
        silent.close()
    assert took <= ssh.CONNECT_BUDGET + 3, took  # bounded (unbounded it waited 20 s); a busy machine adds a little
    assert "no SSH banner within 10s" in failure.result.found
    assert "ssh -v silent true" in failure.result.fix


def test_the_suite_reports_a_silent_host_in_one_precondition_line(tmp_path):
    import subprocess
    import sys
    import time

    silent = Silent()
    try:
        config = tmp_path / "ssh_config"
        config.write_text(f"Host silent\n  HostName 127.0.0.1\n  Port {silent.port}\n  User root\n")
        start = time.monotonic()
        out = subprocess.run([sys.executable, "-m", "pytest", "features/", "-q", "-p", "no:cacheprovider",
                              "--hosts=silent", f"--ssh-config={config}", f"--etcd-report={tmp_path / 'r.html'}",
                              f"--junitxml={tmp_path / 'j.xml'}", f"--html={tmp_path / 'h.html'}",
                              f"--cucumberjson={tmp_path / 'c.json'}"],
                             cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=120)
        took = time.monotonic() - start
    finally:
        silent.close()
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("precondition failed:")]
    assert out.returncode == 1 and len(lines) == 1, out.stdout[-2000:]
    assert "no SSH banner" in lines[0] and "(fix: ssh -v silent true" in lines[0]
    assert "Traceback" not in out.stdout and took < 40, took


class LocalShell:
    """Runs what the Remote sends in this machine's own shell (the batching's quoting and splitting are real
    shell work; the host's part is not what these tests are about)."""

    def __init__(self, env: dict | None = None):
        self.sent = []
        self.env = env

    def run(self, command):
        import os
        import subprocess

        self.sent.append(command)
        env = {**os.environ, **self.env} if self.env else None
        out = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60, env=env)

        class Out:
            rc, stdout, stderr = out.returncode, out.stdout, out.stderr
        return Out()


BATCHED = [
    "printf 'two\\nlines\\n'",
    "printf 'no newline at the end'",
    "echo out; echo err >&2; exit 3",  # an exit ends its own command only
    "printf ''",
    "definitely-not-a-command-here",
    "cat",  # reads nothing: stdin is /dev/null
    "printf '\\n\\n'; printf 'x\\n\\n' >&2",
    "echo 'a line that looks like a mark: 0123456789abcdef 1'",
    "sh -c 'kill -TERM $$'",
]


def test_commands_sent_together_answer_as_each_alone():
    from core.remote import Remote

    alone = {c: Remote(LocalShell())._exec(c, None) for c in BATCHED}
    host = LocalShell()
    r = Remote(host)
    assert r.look_many([(c, None) for c in BATCHED]) == len(BATCHED)
    assert len(host.sent) == 1  # one session for all
    for c in BATCHED:
        got = r.look(c)
        assert (got.rc, got.stdout, got.stderr) == (alone[c].rc, alone[c].stdout, alone[c].stderr), c
    assert len(host.sent) == 1  # the looks above were answered from what the session brought
    assert [ev.command for ev in r.history] == BATCHED


def test_a_command_its_own_timeout_ends_is_kept_as_timed_out_and_the_others_answered():
    import time

    from core.remote import Remote

    host = LocalShell()
    r = Remote(host)
    start = time.monotonic()
    assert r.look_many([("echo before", 1), ("sleep 10", 1), ("echo after", 1)]) == 2
    assert time.monotonic() - start < 5  # the commands at once, the sleep ended by its own timeout
    assert r.look("echo before").stdout == "before\n" and r.look("echo after").stdout == "after\n"
    hung = r.answers().look("sleep 10")
    assert hung.rc == 124 and hung.note == "killed after 1s" and len(host.sent) == 1


def test_the_commands_of_a_batch_run_at_once_and_leave_nothing_behind(tmp_path):
    import time

    from core.remote import Remote

    host = LocalShell(env={"TMPDIR": str(tmp_path)})
    r = Remote(host)
    before = set(Path("/dev/shm").iterdir())
    start = time.monotonic()
    assert r.look_many([(f"sleep 1; echo {i}", None) for i in range(5)]) == 5
    assert time.monotonic() - start < 4  # one after another: 5 s
    assert [r.look(f"sleep 1; echo {i}").stdout for i in range(5)] == [f"{i}\n" for i in range(5)]
    assert set(Path("/dev/shm").iterdir()) == before and not list(tmp_path.iterdir())


def test_without_a_directory_for_their_outputs_the_commands_go_one_after_another(tmp_path):
    """No mktemp (or no writable /dev/shm and /tmp): the batch's commands run one after another, answering as
    each alone; one that outlasts the batch ends it and is kept as timed out, those after it asked alone."""
    import shutil

    from core.remote import Remote

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("sh", "bash", "timeout", "cat", "sleep", "printf", "echo"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    alone = {c: Remote(LocalShell())._exec(c, None) for c in BATCHED}
    host = LocalShell(env={"PATH": str(bin_dir)})
    r = Remote(host)
    assert r.look_many([(c, None) for c in BATCHED]) == len(BATCHED)
    assert "mktemp" in host.sent[0] and len(host.sent) == 1
    for c in BATCHED:
        got = r.look(c)
        assert (got.rc, got.stdout, got.stderr) == (alone[c].rc, alone[c].stdout, alone[c].stderr), c
    r = Remote(host)
    assert r.look_many([("echo before", 1), ("sleep 10", 1), ("echo after", 1)]) == 1
    assert r.answers().look("sleep 10").rc == 124 and not r.known("echo after")


def test_recording_notes_what_would_be_asked_and_sends_nothing():
    from core.remote import Deferred, Remote

    host = CountingHost()
    r = Remote(host)
    r.look("hostname -s")

    def probe():
        r.look("hostname -s")  # known: answered
        r.look("stat -- %s", "/etc/etcd")  # not known: noted, and the probe stops here
        r.look("never reached")

    with r.recording() as noted:
        with pytest.raises(Deferred):
            probe()
    assert noted == [("stat -- /etc/etcd", None)] and len(host.sent) == 1
    assert r.look("stat -- %s", "/etc/etcd").stdout == "out 2"  # outside recording, sent as usual


def test_connections_to_different_hosts_are_made_at_once():
    """Python 3.11's functools.cached_property locks the class: each SSH connection waited for the others.
    Here each connection waits until all four are being made: made one after another, the first would wait
    in vain (the barrier breaks after its timeout)."""
    import threading

    from core.ssh import connection_property

    made = []
    together = threading.Barrier(4, timeout=10)

    class Backend:
        @connection_property
        def client(self):
            made.append(self)
            together.wait()
            return object()

    backends = [Backend() for _ in range(4)]
    got, errors = [], []

    def ask(b):
        try:
            got.append(b.client)
        except threading.BrokenBarrierError as e:
            errors.append(e)

    threads = [threading.Thread(target=ask, args=(b,)) for b in backends for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and not together.broken  # the four were being made at the same time
    assert len(made) == 4 and len(set(map(id, got))) == 4  # two threads asking one backend: one connection
    one = backends[0].client
    assert backends[0].client is one
    together = threading.Barrier(1)
    del backends[0].client  # dropped, as testinfra's cached client is, to reconnect
    assert backends[0].client is not one and len(made) == 5


@pytest.mark.parametrize("profile", ["lab", "production"])
def test_a_preparation_that_fails_unexpectedly_is_tried_once_per_host(profile):
    """An error nobody foresaw (a bug) fails the host's scenarios alike, with the first traceback; the host is
    not prepared again for each scenario (a class of 30 once took minutes to report one bug that way)."""
    import traceback
    from types import SimpleNamespace

    from suite.target import AUDIT, MODE_KEY, Targets

    class Config:
        def __init__(self):
            self.stash = pytest.Stash()
            self.stash[MODE_KEY] = AUDIT
            self.option = SimpleNamespace(profile=profile)
            self.cleanups = []

        def add_cleanup(self, fn):
            self.cleanups.append(fn)

    config = Config()
    targets = Targets(config)
    tries = []

    def prepare(name, host, found_version=True):
        tries.append(name)
        raise RuntimeError(f"a bug while preparing {name}")

    def prepare_cluster():
        tries.append("cluster")
        raise RuntimeError("a bug while preparing a or b")

    targets._prepare = prepare
    targets._prepare_cluster = prepare_cluster
    hosts = {n: SimpleNamespace(backend=SimpleNamespace(get_pytest_id=lambda n=n: n)) for n in ("a", "b")}
    targets.hosts = dict(hosts)
    targets.selected = {"a", "b"}  # prepared together, in threads
    depths = []
    for _ in range(3):
        for name in ("a", "b"):
            with pytest.raises(RuntimeError, match=f"a bug while preparing .*{name}") as info:
                targets.get(hosts[name])
            depths.append(len(traceback.extract_tb(info.value.__traceback__)))
    for fn in config.cleanups:
        fn()
    assert sorted(tries) == (["a", "b"] if profile == "lab" else ["cluster"])
    assert len(set(depths)) == 1  # the traceback does not grow with each scenario


class RecordedHost:
    """Answers what a Remote sends from a recorded host's answers, as its shell would: a command alone, or a batch
    (look_many's script: its commands at once, those after the guard only if it succeeded) command by command with
    its marks; an answer recorded as a timeout is one its own timeout ended. Each send is one round trip."""

    def __init__(self, record):
        self.answers = {e.command: e for e in record.answers}
        self.sent: list[str] = []
        self.lock = threading.Lock()

    def run(self, wrapped):
        import re
        import shlex

        with self.lock:
            self.sent.append(wrapped)
        script = shlex.split(wrapped)[-1]  # timeout -k 2 N sh -c SCRIPT
        if not script.startswith("if d=$(mktemp"):
            ev = self.answers[script]
            return SimpleNamespace(rc=ev.rc, stdout=ev.stdout, stderr=ev.stderr)
        at_once = script.split("\nelse\n")[0]
        mark = re.search(r"\bm=(\w+);", at_once).group(1)
        out, err, guard = [], [], 0
        for line in at_once.splitlines():
            if line.startswith("if [ \"$guard\" = 0 ]") and guard != 0:
                break  # after a guard that failed: not started
            if not line.startswith("timeout -k 1 "):
                continue
            group = shlex.split(line)[6]  # timeout -k 1 T sh -c GROUP & [g=$!]
            words = shlex.split(group.split("; }; ", 1)[1])  # r I CMD & r I CMD & wait, or r I CMD
            for at in [i for i, w in enumerate(words) if w == "r"]:
                index, command = words[at + 1], words[at + 2]
                ev = self.answers[command]
                if ev.rc in (124, None):  # its timeout ended it: started, no end
                    out.append(f"\n{mark} {index}\n{ev.stdout}")
                    err.append(f"\n{mark} {index}\n{ev.stderr}")
                    rc = 124
                else:
                    rc = ev.rc
                    out.append(f"\n{mark} {index}\n{ev.stdout}\n{mark} rc {index} {rc}\n")
                    err.append(f"\n{mark} {index}\n{ev.stderr}")
                if line.endswith(" g=$!"):
                    guard = rc
        return SimpleNamespace(rc=0, stdout="".join(out), stderr="".join(err))


def _record(name):
    from core.answers import HostRecord

    return HostRecord.load(ROOT / "tests" / "data" / "recordings" / name)


@pytest.mark.parametrize("name", ["healthy/kthw-server-3.4.json", "healthy/kthw-current-3.5.json"])
def test_a_healthy_hosts_evidence_takes_two_rounds(name):
    """The pre-flight's round carries the first commands (suite/target.py), then one more round; etcdctl's first
    requests go at once beside them, each its own."""
    from core.remote import Remote
    from suite.evidence import first_round, gather, is_etcdctl

    record = _record(name)
    member = record.plan.member()
    host = RecordedHost(record)
    remote = Remote(host)
    remote.ask(first_round(member, record.plan.profile))  # with the pre-flight
    gather(remote, member, record.plan.profile)
    batches = [s for s in host.sent if "mktemp" in s]
    alone = [s for s in host.sent if "mktemp" not in s]
    assert len(batches) == 2, [s[:200] for s in host.sent]
    assert all("etcdctl" in s for s in alone)  # concurrent with the rounds, never one after another
    assert not [a for a in first_round(member, record.plan.profile) if is_etcdctl(a)]


def test_a_command_that_hangs_costs_no_round_more():
    """A first-round command hangs until its own timeout ends it: the others of its round are answered beside it,
    gathering still takes two rounds and does not ask the hung one again."""
    import dataclasses

    from core.remote import Remote
    from suite.evidence import first_round, gather

    record = _record("healthy/kthw-server-3.4.json")
    member = record.plan.member()
    host = RecordedHost(record)
    hung = next(c for c in host.answers if c.startswith("systemd-analyze verify"))
    host.answers[hung] = dataclasses.replace(host.answers[hung], rc=124)
    remote = Remote(host)
    with remote.read_only():
        remote.ask(first_round(member, record.plan.profile))
    gather(remote, member, record.plan.profile)
    batches = [s for s in host.sent if "mktemp" in s]
    assert len(batches) == 2 and not [s for s in host.sent if "mktemp" not in s and "etcdctl" not in s], \
        [s[:120] for s in host.sent]
    assert remote.answers().look(hung).rc == 124 and "killed after" in remote.answers().look(hung).note


def test_an_etcd_that_does_not_answer_has_its_other_requests_sent_each_at_once():
    """The member's first etcdctl request fails: the others are not run one after another in the batch (each
    would wait for its timeout) but each at once, beside each other."""
    from core.remote import Remote
    from suite.evidence import first_round, gather

    record = _record("faults/only-one-member-started/member.json")
    member = record.plan.member()
    host = RecordedHost(record)
    remote = Remote(host)
    remote.ask(first_round(member, record.plan.profile))
    gather(remote, member, record.plan.profile)
    batches = [s for s in host.sent if "mktemp" in s]
    alone = [s for s in host.sent if "mktemp" not in s]
    assert len(batches) == 2, [s[:200] for s in host.sent]
    lead = next(c for c, e in host.answers.items() if "endpoint status -w json" in c and "--command-timeout=8s" in c
                and "," not in c.split("--endpoints=")[1].split()[0])
    assert host.answers[lead].rc != 0 and lead in batches[1]  # the member's own first request failed in round 2
    assert sum("--command-timeout=8s" in s for s in alone) >= 6  # its others: each on its own, at once


def test_requests_after_the_guard_run_only_if_it_succeeds():
    from core.remote import Remote

    r = Remote(LocalShell())
    assert r.look_many([("echo a", None), ("echo lead", None), ("echo b", None)], guard="echo lead") == 3
    r = Remote(LocalShell())
    assert r.look_many([("echo a", None), ("echo lead; exit 1", None), ("echo b", None)], guard="echo lead; exit 1") == 2
    assert r.known("echo lead; exit 1") and not r.known("echo b")  # left for the caller to ask on its own


def test_a_process_scan_in_a_batch_sees_none_of_the_batchs_own_processes(tmp_path):
    """The batch's commands run at once, but a command that lists the host's processes runs before the others
    start: beside them it saw theirs (``etcd --version`` is a process called etcd: "another etcd runs")."""
    import shutil

    from core.remote import Remote

    twin = tmp_path / "kthwtwin"
    shutil.copy(shutil.which("sleep"), twin)
    scan = ("for d in /proc/[0-9]*; do [ \"$(cat $d/comm 2>/dev/null)\" = kthwtwin ] && echo seen; done; true")
    r = Remote(LocalShell())
    assert r.look_many([(f"{twin} 0.5", None), (scan, None), (f"{twin} 0.5", None)]) == 2
    assert r.look(scan).stdout == ""
