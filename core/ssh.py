"""testinfra's paramiko backend, reaching hosts as the user's own ``ssh`` does, every command bounded in time.

testinfra 10 reads part of an SSH config with paramiko (no ``Include``, ``ProxyJump`` ignored), accepts any host
key and has no per-command timeout. This backend takes each host's settings from OpenSSH itself
(``core/sshconf.py``: ``ssh -G``), connects through its ``ProxyCommand`` or its ``ProxyJump`` chain (paramiko
``direct-tcpip`` channels, one connection per jump host), judges host keys as ssh does (``core/knownhosts.py``),
offers the config's keys, an agent's and a ``CertificateFile``, and sends keepalives. It replaces the
``paramiko`` backend when the suite's plugin loads, so ``--hosts=server`` and ``paramiko://server`` both use it.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from typing import Any

import paramiko
import testinfra.backend
from testinfra.backend.paramiko import ParamikoBackend

from core import knownhosts
from core.i18n import N_
from core.sshconf import Settings, SSHConfigError, jump_settings, resolve

COMMAND_TIMEOUT = 300  # seconds this side waits for a command that carries no remote timeout of its own
SESSION_RETRIES = 600  # a session refused for sshd's MaxSessions is asked again every 0.1 s, for up to a minute
CONNECT_BUDGET = 10.0  # seconds for TCP connect, SSH banner, key exchange and authentication together


class connection_property:
    """Like ``functools.cached_property``, except that it locks per instance: Python 3.11's cached_property
    holds one lock for all instances of the class while it computes, so the SSH connections of several hosts
    opened from parallel threads were made one after another (a class's audit waited for its last connection
    as long as all the others took). ``del backend.client`` drops the value, as with cached_property."""

    _guard = threading.Lock()

    def __init__(self, func):
        self.func = func
        self.name = func.__name__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with self._guard:
            lock = instance.__dict__.setdefault(f"_{self.name}_lock", threading.Lock())
        with lock:
            if self.name not in instance.__dict__:
                instance.__dict__[self.name] = self.func(instance)
            return instance.__dict__[self.name]


class HopError(paramiko.SSHException):
    """A jump host could not be reached, or could not reach the next hop: the message names the hop."""


_JUMPS: dict[Settings, paramiko.SSHClient] = {}
_JUMP_LOCKS: dict[Settings, threading.Lock] = {}
_JUMPS_LOCK = threading.Lock()


def _jump_client(settings: Settings, counter: dict[str, int]) -> paramiko.SSHClient:
    """One connection per jump host, shared by every host behind it in this process."""
    with _JUMPS_LOCK:
        lock = _JUMP_LOCKS.setdefault(settings, threading.Lock())
    with lock:
        client = _JUMPS.get(settings)
        transport = client.get_transport() if client else None
        if transport is not None and transport.is_active():
            return client
        client = open_client(settings, counter=counter)
        _JUMPS[settings] = client
        return client


def _through_jumps(settings: Settings, deadline: float, counter: dict[str, int]) -> paramiko.Channel:
    """A channel to the host's sshd opened on the last jump host's connection (what ssh -J does with -W)."""
    hops = list(settings.proxy_jump)
    last = hops[-1]
    route = N_("cannot reach {alias} through {host}").format(alias=settings.alias, host=last.host)
    jump = jump_settings(last, hops[:-1], settings.config)
    try:
        client = _jump_client(jump, counter)
    except SSHConfigError:
        raise
    except Exception as exc:  # noqa: BLE001 - named in one line with the hop
        from core.remote import describe_connection_error

        raise HopError(f"{route}: the jump host {last.host} ({jump.hostname}:{jump.port}): "
                       f"{describe_connection_error(exc)}") from None
    try:
        return client.get_transport().open_channel(
            "direct-tcpip", (settings.hostname, settings.port), ("127.0.0.1", 0),
            timeout=max(0.5, deadline - time.monotonic()))
    except paramiko.ChannelException as exc:
        raise HopError(f"{route}: {last.host} could not connect to {settings.hostname}:{settings.port} "
                       f"({exc.text or exc.code})") from None
    except Exception as exc:  # noqa: BLE001
        raise HopError(f"{route}: {exc or type(exc).__name__}") from None


def encrypted_keys(paths: list[str]) -> list[str]:
    """The key files that need a passphrase (the suite never asks for one)."""
    out = []
    for path in paths:
        for kind in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
            try:
                kind.from_private_key_file(path)
                break
            except paramiko.PasswordRequiredException:
                out.append(path)
                break
            except Exception:  # noqa: BLE001 - not a key of this kind
                continue
    return out


def open_client(settings: Settings, password: str | None = None, identity: str | None = None,
                counter: dict[str, int] | None = None) -> paramiko.SSHClient:
    """An SSH connection made as ``ssh`` would make it with these settings: through its ProxyCommand or jump
    hosts, its host key judged against the known_hosts files ssh reads, its keys (and an agent's), keepalives."""
    deadline = time.monotonic() + settings.connect_timeout
    sock: Any = None
    if settings.proxy_command:
        sock = paramiko.ProxyCommand(settings.proxy_command)
    elif settings.proxy_jump:
        sock = _through_jumps(settings, deadline, counter if counter is not None else {})
    client = paramiko.SSHClient()
    files = [*settings.user_known_hosts, *settings.global_known_hosts]
    client.set_missing_host_key_policy(knownhosts.Policy(
        settings.known_hosts_name, files, settings.strict, settings.alias,
        settings.user_known_hosts[0] if settings.user_known_hosts else ""))
    identities = list(dict.fromkeys(([os.path.expanduser(identity)] if identity else [])
                                    + settings.existing_identities()))
    if settings.identity_agent:
        os.environ["SSH_AUTH_SOCK"] = settings.identity_agent
    cfg: dict[str, Any] = {
        "hostname": settings.hostname, "port": settings.port, "username": settings.user, "password": password,
        "key_filename": identities or None, "look_for_keys": False,
        "allow_agent": not (settings.identities_only and identities), "timeout": settings.connect_timeout,
        "sock": sock,
    }
    certs = [p for p in settings.certificate_files if os.path.isfile(p)]
    if certs and identities:  # a user certificate goes with its key (ssh's CertificateFile)
        try:
            pkey = paramiko.PKey.from_path(identities[0])
            pkey.load_certificate(certs[0])
            cfg["pkey"] = pkey
        except Exception:  # noqa: BLE001 - an encrypted key or a mismatched certificate: the plain key is tried
            pass
    try:
        connect_within(client, cfg, deadline - time.monotonic())
    except paramiko.AuthenticationException as exc:
        locked = encrypted_keys(identities)
        if locked and not os.environ.get("SSH_AUTH_SOCK"):
            raise paramiko.AuthenticationException(
                N_("the key {value} is encrypted and no ssh-agent holds it (the suite asks for no "
                   "passphrase): eval $(ssh-agent) && ssh-add {value}, then run again").format(value=locked[0])) from None
        raise exc
    transport = client.get_transport()
    watch(transport, settings.alive_interval, settings.alive_count_max, settings.alias)
    tcp = transport.sock
    if isinstance(tcp, socket.socket):
        # small commands in a row: without this, Nagle and delayed ACKs add a delayed ACK's wait to each
        tcp.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if counter is not None:
        counter[settings.alias] = counter.get(settings.alias, 0) + 1
    return client


class CheckedParamikoBackend(ParamikoBackend):
    NAME = "paramiko"
    connections: dict[str, int] = {}  # host → SSH connections opened by this process (jump hosts too)
    users: dict[str, str] = {}  # host → the user this process logs in as
    jumps: dict[str, list[str]] = {}  # host → the jump hosts it is reached through
    watchdog_closed = True  # its connections close when their network goes silent (core.remote uses its shell)

    def settings(self) -> Settings:
        """This host's settings as the user's ssh resolves them (the host spec's user and port as -l and -p)."""
        return resolve(self.host.name, self.ssh_config, self.host.user, self.host.port)

    def connect_ahead(self) -> None:
        """Connect now, before anything asks for the connection (suite/early.py). A failure is kept and raised
        by the next use of :attr:`client` instead of a second try: a host that cannot be reached is tried once,
        its message the same."""
        self.__dict__["_ahead"] = True
        try:
            self.client  # noqa: B018
        except BaseException:  # noqa: BLE001 - kept for the next use
            pass
        finally:
            self.__dict__.pop("_ahead", None)

    @connection_property
    def client(self) -> paramiko.SSHClient:
        failed = self.__dict__.pop("_ahead_failure", None)
        if failed is not None:
            raise failed
        try:
            return self._connect()
        except BaseException as exc:
            if self.__dict__.pop("_ahead", False):  # a connection made ahead: its failure is the next use's
                self.__dict__["_ahead_failure"] = exc
            raise

    def _connect(self) -> paramiko.SSHClient:
        try:
            settings = self.settings()
        except SSHConfigError as exc:
            raise paramiko.SSHException(str(exc)) from None
        CheckedParamikoBackend.users[self.host.name] = settings.user
        CheckedParamikoBackend.jumps[self.host.name] = [hop.host for hop in settings.proxy_jump]
        return open_client(settings, self.host.password, self.ssh_identity_file,
                           counter=CheckedParamikoBackend.connections)

    def run(self, command: str, *args: str, **kwargs: Any):
        """testinfra's run, except that a connection that cannot be made fails once (testinfra's own retry would
        connect a second time on any SSH error: an unknown key, a silent host, twice the wait), and a connection
        whose network went silent is not tried again (the watchdog closed it: :func:`watch`)."""
        cmd = self.encode(self.get_command(command, *args))
        client = self.client  # connecting happens here, outside the retry below
        try:
            rc, stdout, stderr = self._exec_command(cmd)
        except ConnectionLost:
            del self.client  # the next command connects anew (after a reboot the host answers again)
            raise
        except (paramiko.ssh_exception.SSHException, ConnectionResetError, EOFError):
            transport = client.get_transport()
            if transport is not None and getattr(transport, "kthw_lost", ""):  # the watchdog closed it: silent
                del self.client
                raise ConnectionLost(transport.kthw_lost) from None
            if transport is not None and transport.is_active():
                raise
            del self.client  # the host dropped an established connection (a reboot): reconnect once
            try:
                rc, stdout, stderr = self._exec_command(cmd)
            except (paramiko.ssh_exception.SSHException, OSError, EOFError) as exc:
                from core.remote import describe_connection_error

                raise ConnectionLost(N_("the connection was closed, and connecting again failed: {describe_connection_error}").format(describe_connection_error=describe_connection_error(exc))) from None
        return self.result(rc, cmd, stdout, stderr)

    def _exec_command(self, command: bytes) -> tuple[int, bytes, bytes]:
        transport = self.client.get_transport()
        assert transport is not None
        for attempt in range(SESSION_RETRIES):
            try:
                chan = transport.open_session(timeout=self.timeout)
                break
            except paramiko.ChannelException:
                # sshd refuses more sessions at once than its MaxSessions (10 unless set lower): one of
                # this connection's other sessions ends soon, then a session is granted
                if attempt == SESSION_RETRIES - 1:
                    raise
                time.sleep(0.1)
            except paramiko.SSHException:
                _raise_if_lost(transport)
                raise
        if self.get_pty:
            chan.get_pty()
        chan.exec_command(command)
        return collect(chan, transport, deadline_of(command))


GRACE = 15  # seconds on this side beyond a command's own remote timeout (its answer still has to travel)
_REMOTE_LIMIT = re.compile(rb"timeout -k (\d+) (\d+) ")


def deadline_of(command: bytes) -> float:
    """Seconds this side waits for a command: its remote ``timeout`` (core.remote wraps every command in one)
    plus :data:`GRACE`; :data:`COMMAND_TIMEOUT` for a command without one."""
    m = _REMOTE_LIMIT.search(command)
    return int(m.group(1)) + int(m.group(2)) + GRACE if m else COMMAND_TIMEOUT


def collect(chan: paramiko.Channel, transport: paramiko.Transport, limit: float) -> tuple[int, bytes, bytes]:
    """A command's output and exit code, read within ``limit`` seconds on this side: past it the channel is
    closed and the command counts as timed out (exit 124, as ``timeout`` says); a connection lost meanwhile
    raises :class:`ConnectionLost`."""
    import select

    end = time.monotonic() + limit
    out: list[bytes] = []
    err: list[bytes] = []
    while True:
        while chan.recv_ready():
            out.append(chan.recv(65536))
        while chan.recv_stderr_ready():
            err.append(chan.recv_stderr(65536))
        if (chan.exit_status_ready() and (chan.eof_received or chan.closed) and not chan.recv_ready()
                and not chan.recv_stderr_ready()):
            return chan.recv_exit_status(), b"".join(out), b"".join(err)
        if not transport.is_active() or (chan.closed and not chan.exit_status_ready()):
            _raise_if_lost(transport)
            raise EOFError("the connection was closed before the command ended")
        left = end - time.monotonic()
        if left <= 0:
            chan.close()
            return 124, b"".join(out), b"".join(err) + N_("\nno answer within {limit}s on this side").format(limit=format(limit, '.0f')).encode()
        if chan.eof_received:  # all output is in (its pipe stays readable from now on): the exit status follows
            chan.status_event.wait(min(left, 0.5))
        else:
            select.select([chan], [], [], min(left, 0.5))


class ConnectionLost(paramiko.SSHException):
    """The network went silent: keepalives went unanswered and the watchdog closed the connection."""


def _raise_if_lost(transport: paramiko.Transport) -> None:
    why = getattr(transport, "kthw_lost", "")
    if why:
        raise ConnectionLost(why)


def watch(transport: paramiko.Transport, interval: float, count: int, name: str) -> None:
    """ssh's ServerAliveInterval/ServerAliveCountMax: a keepalive that asks for an answer every ``interval``
    seconds; when none comes for ``interval * count`` seconds the connection is closed, so that nothing waits on
    a network gone silent (paramiko's own keepalive asks for no answer, and a silent peer is never noticed)."""

    def probe() -> None:
        try:
            transport.global_request("keepalive@openssh.com", wait=True)
        except Exception:  # noqa: BLE001 - a closed transport ends the watch below
            pass

    def loop() -> None:
        while transport.is_active():
            asking = threading.Thread(target=probe, daemon=True, name=f"keepalive {name}")
            asking.start()
            asking.join(interval * count)
            if asking.is_alive() and transport.is_active():
                transport.kthw_lost = (N_("no answer from {name} for {value}s (ServerAliveInterval {interval} x "
                                          "ServerAliveCountMax {count}): the network went silent").format(name=name, value=format(interval * count, '.0f'), interval=format(interval, 'g'), count=count))
                transport.close()
                return
            time.sleep(interval)

    threading.Thread(target=loop, daemon=True, name=f"watch {name}").start()


class SilentHostError(paramiko.SSHException):
    """The host accepted the TCP connection but the SSH handshake did not finish in time."""


def _open(cfg: dict[str, Any], deadline: float) -> socket.socket:
    """TCP to the host, then wait (without reading it) for the SSH banner: a host that accepts the
    connection but never speaks SSH is named for what it is."""
    import time

    left = max(0.1, deadline - time.monotonic())
    sock = socket.create_connection((cfg["hostname"], cfg.get("port", 22)), timeout=min(left, cfg.get("timeout") or left))
    try:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            first = sock.recv(4, socket.MSG_PEEK)
        except socket.timeout:
            raise SilentHostError(f"no SSH banner within {CONNECT_BUDGET:.0f}s: something accepts connections on port "
                                  f"{cfg.get('port', 22)} but does not speak SSH (is it sshd? a firewall or proxy?)") from None
        if not first:
            raise SilentHostError("the connection was closed before the SSH banner (sshd refused it: MaxStartups? "
                                  "a TCP wrapper?)")
        sock.settimeout(None)
        return sock
    except BaseException:
        sock.close()
        raise


def connect_within(client: paramiko.SSHClient, cfg: dict[str, Any], budget: float) -> None:
    """``client.connect``, with TCP connect, banner, key exchange and authentication together within ``budget``
    seconds; a host that stays silent fails with a reason that says which part did not answer."""
    import threading
    import time

    deadline = time.monotonic() + max(0.5, budget)
    proxy = cfg.get("sock")
    sock = proxy or _open(cfg, deadline)
    left = max(0.5, deadline - time.monotonic())
    args = dict(cfg, sock=sock, timeout=left, banner_timeout=left, auth_timeout=left)
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            client.connect(**args)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(max(0.5, deadline - time.monotonic()) + 0.5)
    if worker.is_alive() or not outcome:
        client.close()
        if hasattr(sock, "close"):
            sock.close()
        raise SilentHostError(f"the SSH key exchange or authentication did not answer within {budget:.0f}s")
    if outcome[0] is not None:
        raise outcome[0]


def install() -> None:
    """Make ``paramiko`` connections in testinfra use :class:`CheckedParamikoBackend`."""
    testinfra.backend.BACKENDS["paramiko"] = f"{__name__}.CheckedParamikoBackend"
