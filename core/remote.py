"""Run commands on a target host, each one bounded in time, and keep what they returned as evidence."""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import re
import secrets
import shlex
import socket
import threading
import time

import paramiko

from core.evidence import DEFAULT_TIMEOUT, ConnectionLost, Evidence, PreconditionFailure, Result, quote_command
from core.i18n import N_


class ReadOnlyError(RuntimeError):
    """A command that may change the host was sent where only reading is allowed."""


class Deferred(BaseException):
    """A read-only command asked for while :meth:`Remote.recording`: noted, not sent (a BaseException, so that
    a check's own ``except Exception`` does not take it for a failure)."""


class Shell:
    """One long-lived SSH session running ``sh`` on the host: each command is written to its stdin and answered on
    its stdout and stderr, framed by a mark. A command then costs one round trip, where a session of its own
    costs three (open the channel, start the command, its answer); far from the host that is most of an audit's
    time (bench/wan.py). One command at a time: a caller that finds it busy opens a session of its own."""

    def __init__(self, backend):
        from core.ssh import GRACE

        self.grace = GRACE
        self.transport = backend.client.get_transport()
        self.chan = self.transport.open_session(timeout=10)
        _start(self.chan, backend.encode(backend.get_command("exec sh")))
        self.lock = threading.Lock()
        self.out = b""
        self.err = b""
        self.answered = 0

    def alive(self) -> bool:
        return self.transport.is_active() and not self.chan.closed and not self.chan.exit_status_ready()

    def ask(self, wrapped: str, limit: float) -> tuple[int, str, str] | None:
        """(exit code, stdout, stderr) of one command; None when the command did not end within ``limit`` plus
        the grace on this side (the shell is then closed: it is still busy)."""
        import select

        from core.ssh import _raise_if_lost

        mark = secrets.token_hex(8).encode()
        self.chan.sendall(wrapped.encode() + b" </dev/null; printf '\\n%s %%d\\n' $?; printf '\\n%s\\n' >&2\n"
                          % (mark, mark))
        end = time.monotonic() + limit + self.grace
        rc_re = re.compile(rb"\n" + mark + rb" (\d+)\n")
        err_mark = b"\n" + mark + b"\n"
        while True:
            while self.chan.recv_ready():
                self.out += self.chan.recv(65536)
            while self.chan.recv_stderr_ready():
                self.err += self.chan.recv_stderr(65536)
            got = rc_re.search(self.out)
            cut = self.err.find(err_mark)
            if got and cut >= 0:
                stdout, self.out = self.out[:got.start()], self.out[got.end():]
                stderr, self.err = self.err[:cut], self.err[cut + len(err_mark):]
                self.answered += 1
                return int(got.group(1)), stdout.decode(errors="replace"), stderr.decode(errors="replace")
            if not self.transport.is_active() or self.chan.closed or self.chan.exit_status_ready():
                _raise_if_lost(self.transport)
                raise EOFError("the shell session ended before the command did")
            left = end - time.monotonic()
            if left <= 0:
                self.chan.close()
                return None
            select.select([self.chan], [], [], min(left, 0.5))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.chan.close()


def _start(chan, command: bytes) -> None:
    """``exec`` on a channel without waiting for the server's answer (paramiko's ``exec_command`` waits a round
    trip for it): what is written next waits in the channel for the command's stdin. A server that refuses closes
    the channel, which the first command then finds (and the remote falls back to sessions of their own)."""
    from paramiko.common import cMSG_CHANNEL_REQUEST
    from paramiko.message import Message

    m = Message()
    m.add_byte(cMSG_CHANNEL_REQUEST)
    m.add_int(chan.remote_chanid)
    m.add_string("exec")
    m.add_boolean(False)
    m.add_string(command)
    chan.transport._send_user_message(m)


class Remote:
    """A testinfra host seen through commands that always end."""

    def __init__(self, host, timeout: int = DEFAULT_TIMEOUT):
        self.host = host
        self.timeout = timeout
        self.history: list[Evidence] = []
        self._seen: dict[str, Evidence] = {}  # read-only commands already run since the last change
        self._unkept: dict[str, Evidence] = {}  # read-only commands that timed out or lost the connection
        self._stalled: set[str] = set()  # commands that outlasted a batch: gathering does not ask them again
        self.generation = 0  # grows with every change of what the host has answered (see :meth:`answers`)
        self._read_only = False
        self.broken = False  # the SSH connection failed
        self.lost: Result | None = None  # an established connection was lost (see :meth:`_exec`)
        self.lost_reported = False  # a scenario has reported the loss (suite/checkstep.py): the others are skipped
        self.asked = 0  # commands sent over SSH, and answered
        self._shell: Shell | None = None  # the long-lived session commands go through (see :class:`Shell`)
        self._shell_failed = False  # it ended before its first answer (e.g. sudo asks for a password): not again
        self._shell_lock = threading.Lock()
        self.answered = 0
        self._lock = threading.Lock()
        self._pending: dict[str, threading.Event] = {}  # look commands on their way (see :meth:`look`)
        self._local = threading.local()  # .recording: the commands noted by :meth:`recording` in this thread

    @contextlib.contextmanager
    def read_only(self):
        """Within it, :meth:`run` (a command that may change the host) raises :class:`ReadOnlyError`."""
        before, self._read_only = self._read_only, True
        try:
            yield self
        finally:
            self._read_only = before

    @contextlib.contextmanager
    def recording(self):
        """Within it (in this thread), :meth:`look` of a command not yet answered notes the command and raises
        :class:`Deferred` instead of sending it; yields the list of (command, timeout) noted. Used to learn what
        the checks will ask, so that :meth:`look_many` can ask it in one session."""
        noted: list[tuple[str, int | None]] = []
        before, self._local.recording = getattr(self._local, "recording", None), noted
        try:
            yield noted
        finally:
            self._local.recording = before

    @property
    def name(self) -> str:
        backend = getattr(self.host, "backend", None)
        return backend.get_pytest_id() if hasattr(backend, "get_pytest_id") else str(self.host)

    def look(self, template: str, *args: object, timeout: int | None = None) -> Evidence:
        """A read-only command: its evidence is reused until a command run with :meth:`run` may have
        changed the host (many scenarios read the same ``systemctl show`` or ``etcdctl member list``)."""
        command = quote_command(template, *args)
        noting = getattr(self._local, "recording", None)
        while True:
            with self._lock:
                if command in self._seen:
                    return dataclasses.replace(self._seen[command])
                if noting is not None:
                    noting.append((command, timeout))
                    raise Deferred(command)
                waiting = self._pending.get(command)
                if waiting is None:  # this thread sends it; others asking meanwhile wait for its answer
                    self._pending[command] = threading.Event()
                    break
            waiting.wait()  # then the answer is known, or its sender got none to keep and this thread asks
        try:
            ev = self._exec(command, timeout)
            if ev.rc not in (124, 255):  # a timeout is no answer to keep
                self._seen[command] = ev
                self._unkept.pop(command, None)
                self.generation += 1
            else:  # but what a judgement is shown, until the command is asked again
                self._unkept[command] = ev
                self.generation += 1
            return dataclasses.replace(ev)
        finally:
            with self._lock:
                self._pending.pop(command).set()

    def known(self, command: str) -> bool:
        """Whether the host has answered this command since its last change."""
        with self._lock:
            return command in self._seen

    def forget(self) -> None:
        """Drop what was answered: the next looks ask the host anew."""
        with self._lock:
            self._seen.clear()
            self._unkept.clear()
            self.generation += 1

    def look_many(self, commands: list[tuple[str, int | None]], guard: str | None = None) -> int:
        """Read-only commands (already quoted, with their timeouts) sent in one SSH session and run there at once,
        each answer kept as :meth:`look` keeps it; how many were answered.

        A session costs the host CPU (sshd's fork, the login shell) about as much as the quick commands of an
        audit themselves (bench/classroom.py), and run one after another they cost the sum of their times (the
        first round of an audit about 0.2 s on a lab host, 0.15 s at once). Each command runs in its own
        ``sh -c``, as it would alone, bounded by its own timeout (the commands of one timeout under one ``timeout``:
        :func:`batch_script`); its output goes to a file of its own in a directory the session makes (in
        ``/dev/shm``, else ``$TMPDIR``/``/tmp``) and removes, the files are then printed in order, framed by a
        mark. A command its timeout ended is kept as timed out (``killed after``)
        and not asked again while gathering; one the session did not answer is left unanswered, so that
        :meth:`look` sends it on its own later. Where no directory can be made, the commands run one after
        another, as before, the session bounded by the longest of their timeouts.

        ``guard``, one of the commands: those after it start only if it succeeds (etcdctl's requests after the
        first one a member answers; a member that does not answer would make each of them wait for its timeout):
        the ones it skips stay unanswered."""
        with self._lock:
            todo = list(dict.fromkeys(c for c, _ in commands if c not in self._seen and c not in self._pending))
            for command in todo:
                self._pending[command] = threading.Event()
        if not todo:
            return 0
        own = {c: int(t or self.timeout) for c, t in commands if c in todo}
        mark = secrets.token_hex(8)
        script, limit = batch_script(todo, own, guard, mark)
        answered = 0
        try:
            whole = self._exec(script, limit, keep=False, commands=len(todo))
            outs, rcs = _split_batch(whole.stdout, mark)
            errs, _ = _split_batch(whole.stderr, mark)
            with self._lock:
                started = [i for i in outs if i not in rcs]
                if whole.rc == 0:  # at once: a command started without an end was ended by its own timeout
                    ended = {todo[i]: (i, own[todo[i]]) for i in started}
                elif started and whole.rc in (124, 137):  # one after another: the batch's timeout ended this one
                    ended = {todo[max(started)]: (max(started), limit)}
                else:
                    ended = {}
                for command, (i, after) in ended.items():
                    self._stalled.add(command)
                    self._unkept[command] = Evidence(command, 124, outs.get(i, ""), errs.get(i, ""),
                                                     note=N_("killed after {limit}s").format(limit=after))
                    self.generation += 1
                for i, command in enumerate(todo):
                    if i not in rcs or rcs[i] in (124, 255):  # not reached, or no answer to keep
                        continue
                    ev = Evidence(command, rcs[i], outs.get(i, ""), errs.get(i, ""))
                    self.history.append(ev)
                    self._seen[command] = ev
                    self.generation += 1
                    answered += 1
        finally:
            with self._lock:
                for command in todo:
                    self._pending.pop(command).set()
        return answered

    def ask(self, asks: list[tuple[str, int | None]]) -> None:
        """Read-only commands (quoted, with their timeouts) not answered yet: together in one session, then each
        one that session did not answer on its own (with its own timeout), so that every one has an answer."""
        with self._lock:
            todo = [(c, t) for c, t in dict(asks).items() if c not in self._seen]
        if len(todo) > 1:
            self.look_many(todo)
            # a command that outlasted the batch stopped it: the others once more together, without it (a
            # round more, not one per command); it is asked on its own last
            rest = [(c, t) for c, t in todo if c not in self._seen and c not in self._stalled]
            if len(rest) > 1 and len(rest) < len(todo):
                self.look_many(rest)
        for command, timeout in todo:
            if command not in self._seen and (command not in self._stalled or not self._read_only):
                self.look(command, timeout=timeout)

    def answers(self, expected_version: str | None = None):
        """What the host has answered since its last change, as a value to judge on (core.answers)."""
        from core.answers import Answers

        with self._lock:
            got = {**self._unkept, **self._seen}
        return Answers(got, expected_version, name=self.name)

    def run(self, template: str, *args: object, timeout: int | None = None) -> Evidence:
        """``run("stat -c %%a -- %s", path)``: arguments are quoted; the remote side kills it after ``timeout``.

        Any command run this way may change the host: the evidence kept by :meth:`look` is dropped."""
        command = quote_command(template, *args)
        if self._read_only:
            raise ReadOnlyError(f"not run while only reading: {command}")
        self._seen.clear()
        self._unkept.clear()
        self.generation += 1
        return self._exec(command, timeout, retry=True)

    def _exec(self, command: str, timeout: int | None, keep: bool = True, commands: int = 1,
              retry: bool = False) -> Evidence:
        """One command (or a batch of ``commands``) over SSH. Once an established connection is lost, reading is
        not tried again (a silent network would hold each try for the connect timeout); ``retry`` (a command that
        acts, e.g. after a reboot) connects anew."""
        if self.lost is not None and not retry:
            raise ConnectionLost(self.lost, self._host_name(), self)
        limit = timeout or self.timeout
        wrapped = f"timeout -k 2 {int(limit)} sh -c {shlex.quote(command)}"
        started = time.monotonic()
        self.asked += commands
        try:
            out = self._via_shell(wrapped, limit) or self.host.run(wrapped)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            self.broken = True
            if self.answered or type(exc).__name__ == "ConnectionLost":  # it had answered: the connection was lost
                self.lost = lost_result(self._host_name(), exc, self.answered, self.asked)
                raise ConnectionLost(self.lost, self._host_name(), self) from None
            raise PreconditionFailure(connection_result(self.host, exc)) from None
        self.answered += commands
        self.lost = None
        ev = Evidence(command, out.rc, out.stdout, out.stderr, seconds=time.monotonic() - started)
        if out.rc == 124:
            ev.note = N_("killed after {limit}s").format(limit=limit)
        if keep:
            self.history.append(ev)
        return ev

    def _via_shell(self, wrapped: str, limit: float):
        """The command's result through the long-lived shell, or None when there is none to use (another backend,
        the shell busy with another thread's command, or gone with a connection that the next session
        re-opens): the caller then opens a session of its own."""
        backend = getattr(self.host, "backend", None)
        if backend is None or not hasattr(backend, "watchdog_closed") or self._shell_failed:
            return None
        if not self._shell_lock.acquire(blocking=False):
            return None
        try:
            backend.client  # noqa: B018 - connecting: a host that cannot be reached fails here, once
        except BaseException:
            self._shell_lock.release()
            raise
        try:
            shell = self._shell
            if shell is None or not shell.alive():
                if shell is not None:
                    shell.close()
                self._shell = shell = Shell(backend)
            try:
                got = shell.ask(wrapped, limit)
            except (paramiko.SSHException, OSError, EOFError) as exc:
                self._shell = None
                shell.close()
                if type(exc).__name__ == "ConnectionLost":
                    raise
                self._shell_failed = not shell.answered and shell.transport.is_active()
                return None  # a session of its own, which reconnects once if the host dropped the connection
            if got is None:  # still busy past its deadline: the shell is closed, the command counts as timed out
                self._shell = None
                return backend.result(124, backend.encode(wrapped), b"",
                                      N_("no answer within {limit}s on this side").format(limit=format(limit, '.0f')).encode())
            rc, stdout, stderr = got
            return backend.result(rc, backend.encode(wrapped), stdout.encode(), stderr.encode())
        except (paramiko.SSHException, OSError, EOFError) as exc:
            if type(exc).__name__ == "ConnectionLost":
                raise
            self._shell = None
            return None
        finally:
            self._shell_lock.release()

    def sftp(self):
        """An SFTP session over the same SSH connection, reconnecting once if the host dropped it."""
        backend = self.host.backend
        client = getattr(backend, "client", None)
        if client is None or not hasattr(client, "open_sftp"):
            raise PreconditionFailure(Result(
                what="SFTP", ok=False, expected="an SSH (paramiko) connection", found=N_("another backend"), evidence=[],
                fix="use --hosts with SSH (paramiko), the default"))
        transport = client.get_transport()
        if transport is None or not transport.is_active():
            backend.__dict__.pop("client", None)  # testinfra caches the client: drop it to reconnect
        for attempt in (1, 2):
            try:
                return backend.client.open_sftp()
            except (paramiko.SSHException, OSError, EOFError) as exc:
                # a connection made before the host was reset or rebooted may look alive until it is used:
                # reconnect once; a host that refuses a fresh connection too is reported
                backend.__dict__.pop("client", None)
                if attempt == 2:
                    raise PreconditionFailure(connection_result(self.host, exc)) from None
        raise AssertionError("unreachable")

    def _host_name(self) -> str:
        backend = getattr(self.host, "backend", None)
        return getattr(getattr(backend, "host", None), "name", None) or self.name

    def read(self, path: str, timeout: int | None = None) -> Evidence:
        return self.look("cat -- %s", path, timeout=timeout)


SCANS_PROCESSES = "/proc/[0-9]"  # in a command that lists the host's processes


def batch_script(todo: list[str], timeouts: dict[str, int], guard: str | None, mark: str) -> tuple[str, int]:
    """The script of :meth:`Remote.look_many` and the bound of its session. The commands run at once (those after
    ``guard`` once it has succeeded), each writing its frames to a file of its own; the commands of one timeout go
    under one ``timeout`` (a process for each command would cost the host a fifth more CPU), which ends those
    of them still running, and all they started, when it expires. Where no directory can be made, one after
    another. The frames: on stdout ``\\n<mark> <i>\\n``, the output, ``\\n<mark> rc <i> <code>\\n``; on stderr
    ``\\n<mark> <i>\\n`` and the errors. A command started but without its ``rc`` frame was ended by its
    timeout."""
    at = todo.index(guard) if guard in todo else None
    before = todo if at is None else todo[:at]
    after = [] if at is None else todo[at + 1:]
    index = {c: i for i, c in enumerate(todo)}
    bound = max([timeouts[c] for c in before] + ([timeouts[guard] + max([timeouts[c] for c in after] or [0])]
                                                 if at is not None else []))
    job = ("r() { { printf '\\n%s %s\\n' $m $1; printf '\\n%s %s\\n' $m $1 >&2; sh -c \"$2\" </dev/null; c=$?; "
           "printf '\\n%s rc %s %d\\n' $m $1 $c; } >\"$d/$1.o\" 2>\"$d/$1.e\"; return $c; }; ")

    def groups(commands: list[str]) -> list[str]:
        by: dict[int, list[str]] = {}
        for c in commands:
            by.setdefault(timeouts[c], []).append(c)
        return [f"timeout -k 1 {t} sh -c {shlex.quote(job + ''.join(f'r {index[c]} {shlex.quote(c)} & ' for c in cs) + 'wait')} &\n"
                for t, cs in by.items()]

    # a command that lists the host's processes runs before the others start: beside them it would see theirs
    # (``etcd --version`` is a process called etcd)
    alone = [c for c in before if SCANS_PROCESSES in c]
    bound += max([timeouts[c] for c in alone] or [0])
    lines = ["if d=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d 2>/dev/null); then\n",
             f"trap 'rm -rf \"$d\"' EXIT; trap 'exit 143' HUP INT TERM; m={mark}; export d m\n",
             *[g[:-2] + "\n" for g in groups(alone)], *groups([c for c in before if c not in alone])]
    if at is not None:
        lines.append(f"timeout -k 1 {timeouts[guard]} sh -c {shlex.quote(job + f'r {at} {shlex.quote(guard)}')} & g=$!\n")
        lines.append("wait $g; guard=$?\nif [ \"$guard\" = 0 ]; then\n")
        lines += groups(after) or [":\n"]
        lines.append("fi\n")
    lines.append("wait\n")
    lines.append("cat " + " ".join(f'"$d/{i}.o"' for i in range(len(todo))) + " 2>/dev/null\n")
    lines.append("{ cat " + " ".join(f'"$d/{i}.e"' for i in range(len(todo))) + " 2>/dev/null; } >&2\nexit 0\nelse\n")
    for i, c in enumerate(todo):  # no directory: one after another
        line = (f"printf '\\n{mark} {i}\\n'; printf '\\n{mark} {i}\\n' >&2; sh -c {shlex.quote(c)} </dev/null; "
                f"rc=$?; printf '\\n{mark} rc {i} %d\\n' $rc")
        if at is not None and i > at:
            line = f"if [ \"$guard\" = 0 ]; then {line}; fi"
        if i == at:
            line += "; guard=$rc"
        lines.append(line + "\n")
    lines.append("fi\n")
    return "".join(lines), bound + 3


def _split_batch(stream: str, mark: str) -> tuple[dict[int, str], dict[int, int]]:
    """One stream of :meth:`Remote.look_many`'s session cut at its marks: ({index: output}, {index: exit code})."""
    outs: dict[int, str] = {}
    rcs: dict[int, int] = {}
    for piece in stream.split(f"\n{mark} ")[1:]:
        head, _, body = piece.partition("\n")
        words = head.split()
        if len(words) == 3 and words[0] == "rc" and words[1].isdigit() and words[2].isdigit():
            rcs[int(words[1])] = int(words[2])
        elif len(words) == 1 and words[0].isdigit():
            outs[int(words[0])] = body
    return outs, rcs


def describe_connection_error(exc: BaseException) -> str:
    """One line for why an SSH connection failed."""
    if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError):
        # one socket error per address tried: name the first
        first = next(iter(exc.errors.values()), None)
        if first is not None:
            return f"{describe_connection_error(first)} ({exc.args[1] if len(exc.args) > 1 else exc})"
    if type(exc).__name__ == "HostKeyChanged":
        return str(exc)
    if isinstance(exc, paramiko.BadHostKeyException):
        return (
            N_("the host key of {hostname} has changed (expected {value}..., got {value2}...): refusing "
               "to connect").format(hostname=exc.hostname, value=exc.expected_key.get_base64()[:16], value2=exc.key.get_base64()[:16])
        )
    if type(exc).__name__ in ("SilentHostError", "HopError", "HostKeyRefused"):
        return str(exc)
    if isinstance(exc, paramiko.AuthenticationException):
        return str(exc) if "no ssh-agent holds it" in str(exc) else N_("authentication failed ({exc})").format(exc=exc)
    if isinstance(exc, paramiko.SSHException) and "not found in known_hosts" in str(exc):
        return N_("unknown host key: {exc}; add the host's key to known_hosts (ssh-keyscan is not "
                  "verification)").format(exc=exc)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "no answer within the connection timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is sshd running?)"
    if isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return "no route to the host (is it up? is the address right?)"
    if isinstance(exc, socket.gaierror):
        return N_("cannot resolve the host name ({strerror})").format(strerror=exc.strerror)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def lost_result(name: str, exc: BaseException, answered: int, asked: int) -> Result:
    """The SSH connection to a host that had answered is gone: when, and why, in one line."""
    why = describe_connection_error(exc) if type(exc).__name__ != "EOFError" or str(exc) else "closed by the host"
    return Result(what=N_("SSH connection to {name}").format(name=name), ok=False, expected=N_("the connection lasts the whole audit"),
                  found=f"after {answered} of {asked} commands answered: {why}",
                  fix=N_("check the network to {name} (ssh {name} true), then run again").format(name=name))


def connection_result(host, exc: BaseException) -> Result:
    name = getattr(host.backend, "hostname", None) or getattr(getattr(host.backend, "host", None), "name", "?")
    return Result(
        what=N_("SSH connection to {name}").format(name=name),
        ok=False,
        expected=N_("the host answers over SSH with a known host key"),
        found=describe_connection_error(exc),
        fix=(f"ssh -v {name} true shows where it stops; on {name}: systemctl status ssh" if
        type(exc).__name__ == "SilentHostError" else N_("check that {name} is up and reachable: ssh {name} true").format(name=name)),
    )
