"""What an SSH config means for a host, as the user's own OpenSSH resolves it (``ssh -G``).

OpenSSH's client is the reference: ``ssh -G [-F FILE] [-l USER] [-p PORT] HOST`` prints every setting it would
use for HOST, with ``Include`` (globs, relative paths), ``Match``, patterns, ``%`` tokens in ``HostName`` and
``CanonicalizeHostname`` applied, one lower-case ``keyword value`` per line. paramiko's own reader does not act on
most of this (no ``Include``, no ``ProxyJump``), so the suite asks ``ssh`` and connects with paramiko as told.

``ssh -G`` prints OpenSSH's defaults too, and they are not all safe for a run nobody watches: where it shows the
default, the suite's applies (:data:`CONNECT_TIMEOUT` for ``connecttimeout none``, keepalives for
``serveraliveinterval 0``, and ``stricthostkeychecking ask`` refuses unknown keys: there is nobody to ask).
"""

from __future__ import annotations

import functools
import getpass
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, replace

CONNECT_TIMEOUT = 10.0  # seconds, where the config sets no ConnectTimeout
ALIVE_INTERVAL = 10  # seconds between keepalives, where the config sets no ServerAliveInterval
RESOLVE_TIMEOUT = 20  # seconds for ssh -G (a Match exec may run a command)
NO_CLIENT = "no OpenSSH client (ssh) on this machine: install it (apt-get install openssh-client) and run again"


class SSHConfigError(Exception):
    """The SSH config cannot be used for a host: one line, as ssh says it."""


@dataclass(frozen=True)
class Hop:
    """One jump host of a ProxyJump list: ``[user@]host[:port]`` or ``ssh://[user@]host[:port]``."""

    host: str
    user: str = ""
    port: int = 0


def parse_hops(value: str) -> list[Hop]:
    """ProxyJump's value as ssh_config(5) writes it; ``none`` for no jump host."""
    if not value or value.lower() == "none":
        return []
    hops = []
    for item in value.split(","):
        item = item.strip().removeprefix("ssh://")
        user, _, rest = item.rpartition("@")
        port = 0
        if rest.startswith("["):  # [v6]:port
            host, _, tail = rest[1:].partition("]")
            port = int(tail[1:]) if tail.startswith(":") and tail[1:].isdigit() else 0
        elif rest.count(":") == 1:
            host, _, p = rest.partition(":")
            if not p.isdigit():
                raise SSHConfigError(f"ProxyJump {value}: {item} has no port number after ':'")
            port = int(p)
        else:
            host = rest
        if not host:
            raise SSHConfigError(f"ProxyJump {value}: an empty jump host")
        hops.append(Hop(host, user, port))
    return hops


@dataclass(frozen=True)
class Settings:
    """The settings OpenSSH uses for one host, as the suite connects with them."""

    alias: str  # the name as given (ssh's %n)
    hostname: str
    port: int
    user: str
    identity_files: tuple[str, ...] = ()  # as ssh lists them, ~ expanded; some may not exist (ssh's defaults)
    identities_only: bool = False
    certificate_files: tuple[str, ...] = ()
    identity_agent: str = ""
    proxy_command: str = ""  # tokens expanded; "" for none
    proxy_jump: tuple[Hop, ...] = ()
    connect_timeout: float = CONNECT_TIMEOUT
    alive_interval: int = ALIVE_INTERVAL
    alive_count_max: int = 3
    strict: str = "yes"  # yes (also ssh's "ask"), accept-new, no
    user_known_hosts: tuple[str, ...] = ()
    global_known_hosts: tuple[str, ...] = ()
    host_key_alias: str = ""
    config: str | None = None  # the -F file it was resolved with

    @property
    def known_hosts_name(self) -> str:
        """The name ssh looks the host's key up under: HostKeyAlias, else the host name, ``[host]:port`` off 22."""
        if self.host_key_alias:
            return self.host_key_alias
        return self.hostname if self.port == 22 else f"[{self.hostname}]:{self.port}"

    def existing_identities(self) -> list[str]:
        return [p for p in self.identity_files if os.path.isfile(p)]


def _expand(value: str, tokens: dict[str, str]) -> str:
    return re.sub(r"%(.)", lambda m: tokens.get(m.group(1), m.group(0)), value)


def parse(output: str, alias: str, config: str | None = None) -> Settings:
    """``ssh -G``'s output for ``alias`` as :class:`Settings` (OpenSSH's defaults replaced by the suite's where
    they are unsafe unattended)."""
    one: dict[str, str] = {}
    many: dict[str, list[str]] = {}
    for line in output.splitlines():
        key, _, value = line.strip().partition(" ")
        key = key.lower()
        if not key:
            continue
        one.setdefault(key, value)  # ssh prints the value it uses first
        many.setdefault(key, []).append(value)
    hostname = one.get("hostname") or alias
    port = int(one.get("port") or 22)
    user = one.get("user") or getpass.getuser()
    home = os.path.expanduser("~")
    tokens = {"h": hostname, "p": str(port), "r": user, "n": alias, "d": home, "u": getpass.getuser(), "%": "%"}

    def paths(key: str) -> tuple[str, ...]:
        out = []
        for value in many.get(key, []):
            out += [os.path.expanduser(_expand(p, tokens)) for p in value.split() if p.lower() != "none"]
        return tuple(out)

    timeout = one.get("connecttimeout", "none")
    interval = int(one.get("serveraliveinterval") or 0)
    strict = {"true": "yes", "ask": "yes", "false": "no", "off": "no"}.get(one.get("stricthostkeychecking", "ask"),
                                                                          one.get("stricthostkeychecking", "yes"))
    proxy = one.get("proxycommand", "")
    agent = one.get("identityagent", "")
    return Settings(
        alias=alias, hostname=hostname, port=port, user=user,
        identity_files=paths("identityfile"),
        identities_only=one.get("identitiesonly", "no") in ("yes", "true"),
        certificate_files=paths("certificatefile"),
        identity_agent="" if agent.lower() in ("", "none", "ssh_auth_sock") else os.path.expanduser(_expand(agent, tokens)),
        proxy_command="" if proxy.lower() in ("", "none") else _expand(proxy, tokens),
        proxy_jump=tuple(parse_hops(one.get("proxyjump", ""))) if not proxy or proxy.lower() == "none" else (),
        connect_timeout=CONNECT_TIMEOUT if timeout in ("none", "0", "") else float(timeout),
        alive_interval=interval or ALIVE_INTERVAL,
        alive_count_max=int(one.get("serveralivecountmax") or 3),
        strict=strict,
        user_known_hosts=paths("userknownhostsfile"),
        global_known_hosts=paths("globalknownhostsfile"),
        host_key_alias="" if one.get("hostkeyalias", "none") == "none" else one["hostkeyalias"],
        config=config,
    )


def ssh_binary() -> str:
    path = shutil.which("ssh")
    if not path:
        raise SSHConfigError(NO_CLIENT)
    return path


def command(host: str, config: str | None = None, user: str | None = None, port: int | None = None) -> list[str]:
    cmd = [ssh_binary(), "-G"]
    if config:
        cmd += ["-F", config]
    if user:
        cmd += ["-l", user]
    if port:
        cmd += ["-p", str(port)]
    return [*cmd, "--", host]


def _stamp(config: str | None) -> tuple:
    """What makes a resolution stale: the config file's version (its includes are not followed: a run is short)."""
    path = config or os.path.expanduser("~/.ssh/config")
    try:
        st = os.stat(path)
        return (path, st.st_mtime_ns, st.st_size)
    except OSError:
        return (path, None)


def resolve(host: str, config: str | None = None, user: str | None = None, port: int | None = None) -> Settings:
    """OpenSSH's settings for ``host`` (the user and port of a host spec passed as ``ssh -l``/``-p`` do)."""
    return _resolve(host, config, user or None, int(port) if port else None, _stamp(config))


@functools.lru_cache(maxsize=1024)
def _resolve(host: str, config: str | None, user: str | None, port: int | None, _stamp: tuple) -> Settings:
    if config and not os.path.exists(config):
        raise SSHConfigError(f"the SSH config {config} does not exist")
    for attempt in (1, 2):  # a process that could not be started (the machine short of something) is tried again
        try:
            done = subprocess.run(command(host, config, user, port), capture_output=True, text=True,
                                  stdin=subprocess.DEVNULL, timeout=RESOLVE_TIMEOUT)
            break
        except subprocess.TimeoutExpired:
            raise SSHConfigError(f"ssh -G {host} did not answer within {RESOLVE_TIMEOUT}s (a Match exec that hangs?)") from None
        except FileNotFoundError:
            raise
        except OSError as exc:
            if attempt == 2:
                raise SSHConfigError(f"ssh -G {host} could not be run: {exc.strerror or exc}") from None
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.splitlines() if ln.strip() and "Pseudo-terminal" not in ln]
        raise SSHConfigError(f"ssh -G {host}: " + ("; ".join(lines[:2]) or f"exit {done.returncode}"))
    return parse(done.stdout, host, config)


def jump_settings(hop: Hop, earlier: list[Hop], config: str | None) -> Settings:
    """A jump host's settings: as ``ssh`` resolves it, reached through the hops before it (``ssh -J a,b`` reaches
    b through a, and a as its own config says)."""
    settings = resolve(hop.host, config, hop.user or None, hop.port or None)
    if earlier:
        settings = replace(settings, proxy_command="", proxy_jump=tuple(earlier))
    return settings
