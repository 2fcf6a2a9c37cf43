"""testinfra's paramiko backend, with the host key checked and every command bounded in time.

testinfra 10 accepts any host key and has no per-command timeout. This backend reads the same SSH
config, but loads ``~/.ssh/known_hosts`` and the config's ``UserKnownHostsFile`` and refuses
unknown or changed keys (``StrictHostKeyChecking no`` in the config is honoured, ``accept-new``
adds unknown keys but still refuses changed ones). It replaces the ``paramiko`` backend when the
suite's plugin loads, so ``--hosts=server`` and ``paramiko://server`` both use it.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import Any

import paramiko
import testinfra.backend
from testinfra.backend.paramiko import ParamikoBackend

COMMAND_TIMEOUT = 300  # seconds without any output before the local side gives up on a channel
SESSION_RETRIES = 600  # a session refused for sshd's MaxSessions is asked again every 0.1 s, for up to a minute
CONNECT_BUDGET = 10.0  # seconds for TCP connect, SSH banner, key exchange and authentication together


_PARSED: dict[tuple[str, str], tuple[tuple[int, int], object]] = {}
_PARSED_LOCK = threading.Lock()


def _parsed(kind: str, path: str, load):
    """``load(path)``, once per version of the file (its mtime and size) in this process: an SSH config and a
    known_hosts are read for each host, and paramiko's reading of a known_hosts file compares each line with
    all lines before it (for a class's lab, thousands of comparisons for each connection)."""
    st = os.stat(path)
    stamp = (st.st_mtime_ns, st.st_size)
    with _PARSED_LOCK:
        got = _PARSED.get((kind, path))
    if got is not None and got[0] == stamp:
        return got[1]
    value = load(path)
    with _PARSED_LOCK:
        _PARSED[(kind, path)] = (stamp, value)
    return value


def _known_hosts(path: str) -> list:
    """The entries of a known_hosts file (paramiko's HostKeyEntry), parsed once per version of the file."""
    return _parsed("known_hosts", path, lambda p: list(paramiko.HostKeys(p)._entries))


def ssh_config(path: str) -> paramiko.SSHConfig:
    """An SSH config, parsed once per version of the file (only looked up afterwards)."""
    return _parsed("ssh_config", path, paramiko.SSHConfig.from_path)


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


class CheckedParamikoBackend(ParamikoBackend):
    NAME = "paramiko"
    connections: dict[str, int] = {}  # host → SSH connections opened by this process
    users: dict[str, str] = {}  # host → the user this process logs in as

    def _read_config(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(connect() arguments, raw SSH config entries) for this host."""
        cfg: dict[str, Any] = {
            "hostname": self.host.name,
            "port": int(self.host.port) if self.host.port else 22,
            "username": self.host.user,
            "timeout": self.timeout,
            "banner_timeout": self.timeout,
            "auth_timeout": self.timeout,
            "password": self.host.password,
        }
        path = self.ssh_config or os.path.expanduser("~/.ssh/config")
        raw: dict[str, Any] = {}
        if os.path.exists(path):
            config = ssh_config(path)
            raw = config.lookup(self.host.name)
            scratch = paramiko.SSHClient()
            self._load_ssh_config(scratch, cfg, config, os.path.dirname(path))
        for key in ("gss_auth", "gss_kex"):  # paramiko 5 has no GSSAPI
            cfg.pop(key, None)
        # as OpenSSH does: what the host spec says (user@host:port) wins over the SSH config
        if self.host.user:
            cfg["username"] = self.host.user
        if self.host.port:
            cfg["port"] = int(self.host.port)
        if not cfg.get("username"):
            import getpass

            cfg["username"] = getpass.getuser()
        CheckedParamikoBackend.users[self.host.name] = cfg["username"]
        if self.ssh_identity_file:
            cfg["key_filename"] = self.ssh_identity_file
        if cfg.get("key_filename"):
            cfg["look_for_keys"] = False
        return cfg, raw

    @connection_property
    def client(self) -> paramiko.SSHClient:
        cfg, raw = self._read_config()
        client = paramiko.SSHClient()
        # as load_system_host_keys and load_host_keys do, from the files as parsed once (see _parsed)
        default = os.path.expanduser("~/.ssh/known_hosts")
        if os.path.exists(default):
            client._system_host_keys._entries.extend(_known_hosts(default))
        for path in str(raw.get("userknownhostsfile", "")).split():
            path = os.path.expanduser(path)
            if os.path.exists(path):
                client._host_keys_filename = path  # where accept-new adds a key, as load_host_keys sets it
                client._host_keys._entries.extend(_known_hosts(path))
        strict = str(raw.get("stricthostkeychecking", "yes")).lower()
        if strict == "no":
            client.set_missing_host_key_policy(paramiko.WarningPolicy())
        elif strict == "accept-new":
            client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        else:
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
        alias = raw.get("hostkeyalias")
        if alias:
            keys = client.get_host_keys().lookup(alias)
            if keys:
                for kind, key in keys.items():
                    client.get_host_keys().add(cfg["hostname"], kind, key)
        connect_within(client, cfg, CONNECT_BUDGET)
        sock = client.get_transport().sock
        if isinstance(sock, socket.socket):
            # small commands in a row: without this, Nagle and delayed ACKs add a delayed ACK's wait to each
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        CheckedParamikoBackend.connections[self.host.name] = CheckedParamikoBackend.connections.get(self.host.name, 0) + 1
        return client

    def run(self, command: str, *args: str, **kwargs: Any):
        """testinfra's run, except that a connection that cannot be made fails once: testinfra's own retry
        would connect a second time on any SSH error (an unknown key, a silent host: twice the wait)."""
        cmd = self.encode(self.get_command(command, *args))
        client = self.client  # connecting happens here, outside the retry below
        try:
            rc, stdout, stderr = self._exec_command(cmd)
        except (paramiko.ssh_exception.SSHException, ConnectionResetError):
            transport = client.get_transport()
            if transport is not None and transport.is_active():
                raise
            del self.client  # the host dropped an established connection (a reboot): reconnect once
            rc, stdout, stderr = self._exec_command(cmd)
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
        chan.settimeout(COMMAND_TIMEOUT)
        if self.get_pty:
            chan.get_pty()
        chan.exec_command(command)
        stdout = b"".join(chan.makefile("rb"))
        stderr = b"".join(chan.makefile_stderr("rb"))
        rc = chan.recv_exit_status()
        return rc, stdout, stderr


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

    deadline = time.monotonic() + budget
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
