"""testinfra's paramiko backend, with the host key checked and every command bounded in time.

testinfra 10 accepts any host key and has no per-command timeout. This backend reads the same SSH
config, but loads ``~/.ssh/known_hosts`` and the config's ``UserKnownHostsFile`` and refuses
unknown or changed keys (``StrictHostKeyChecking no`` in the config is honoured, ``accept-new``
adds unknown keys but still refuses changed ones). It replaces the ``paramiko`` backend when the
suite's plugin loads, so ``--hosts=server`` and ``paramiko://server`` both use it.
"""

from __future__ import annotations

import functools
import os
import socket
from typing import Any

import paramiko
import testinfra.backend
from testinfra.backend.paramiko import ParamikoBackend

COMMAND_TIMEOUT = 300  # seconds without any output before the local side gives up on a channel


class CheckedParamikoBackend(ParamikoBackend):
    NAME = "paramiko"
    connections: dict[str, int] = {}  # host → SSH connections opened by this process

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
            config = paramiko.SSHConfig.from_path(path)
            raw = config.lookup(self.host.name)
            scratch = paramiko.SSHClient()
            self._load_ssh_config(scratch, cfg, config, os.path.dirname(path))
        for key in ("gss_auth", "gss_kex"):  # paramiko 5 has no GSSAPI
            cfg.pop(key, None)
        if self.ssh_identity_file:
            cfg["key_filename"] = self.ssh_identity_file
        if cfg.get("key_filename"):
            cfg["look_for_keys"] = False
        return cfg, raw

    @functools.cached_property
    def client(self) -> paramiko.SSHClient:
        cfg, raw = self._read_config()
        client = paramiko.SSHClient()
        default = os.path.expanduser("~/.ssh/known_hosts")
        if os.path.exists(default):
            client.load_system_host_keys(default)
        for path in str(raw.get("userknownhostsfile", "")).split():
            path = os.path.expanduser(path)
            if os.path.exists(path):
                client.load_host_keys(path)
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
        client.connect(**cfg)
        sock = client.get_transport().sock
        if isinstance(sock, socket.socket):
            # small commands in a row: without this, Nagle and delayed ACKs add ~40 ms to each
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        CheckedParamikoBackend.connections[self.host.name] = CheckedParamikoBackend.connections.get(self.host.name, 0) + 1
        return client

    def _exec_command(self, command: bytes) -> tuple[int, bytes, bytes]:
        transport = self.client.get_transport()
        assert transport is not None
        chan = transport.open_session(timeout=self.timeout)
        chan.settimeout(COMMAND_TIMEOUT)
        if self.get_pty:
            chan.get_pty()
        chan.exec_command(command)
        stdout = b"".join(chan.makefile("rb"))
        stderr = b"".join(chan.makefile_stderr("rb"))
        rc = chan.recv_exit_status()
        return rc, stdout, stderr


def install() -> None:
    """Make ``paramiko`` connections in testinfra use :class:`CheckedParamikoBackend`."""
    testinfra.backend.BACKENDS["paramiko"] = f"{__name__}.CheckedParamikoBackend"
