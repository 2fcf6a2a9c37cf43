"""Which hosts to check, from the ways people already describe them: KTHW's machines.txt and SSH configs.

machines.txt (KTHW, docs/03-compute-resources.md): ``IP FQDN HOST [SUBNET]`` per line, e.g.
``10.0.0.10 server.kubernetes.local server``. The etcd hosts are the rows whose HOST is ``server``,
or those named with ``--member``. A host is reached by its name where the SSH config knows it,
else by its IP.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import os
from dataclasses import dataclass

import core  # noqa: F401 - before paramiko (core/__init__.py)
import paramiko


class TargetError(ValueError):
    """Bad target input; the message is one line."""


@dataclass(frozen=True)
class Machine:
    ip: str
    fqdn: str
    host: str
    subnet: str = ""


def parse_machines(text: str, source: str = "machines.txt") -> list[Machine]:
    machines = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        cols = line.split()
        if len(cols) not in (3, 4):
            raise TargetError(f"{source}:{number}: expected 'IP FQDN HOST [SUBNET]', found {len(cols)} columns")
        try:
            ipaddress.ip_address(cols[0])
        except ValueError:
            raise TargetError(f"{source}:{number}: {cols[0]!r} is not an IP address") from None
        machines.append(Machine(*cols))
    if not machines:
        raise TargetError(f"{source}: no machines listed")
    return machines


def select(machines: list[Machine], members: list[str] | None = None) -> list[Machine]:
    """The etcd hosts: HOST == server (the tutorial's control plane) unless members are named."""
    wanted = members or ["server"]
    by_name = {m.host: m for m in machines}
    missing = [w for w in wanted if w not in by_name]
    if missing:
        raise TargetError(f"no row for {', '.join(missing)} in machines.txt (hosts: {', '.join(by_name)})")
    return [by_name[w] for w in wanted]


def ssh_config_knows(ssh_config: str | None, name: str) -> bool:
    """True when a ``Host`` block of the SSH config matches the name itself (not only ``Host *``)."""
    path = ssh_config or os.path.expanduser("~/.ssh/config")
    if not os.path.exists(path):
        return False
    patterns = paramiko.SSHConfig.from_path(path).get_hostnames()
    return any(p != "*" and not p.startswith("!") and fnmatch.fnmatchcase(name, p) for p in patterns)


def hostspecs(machines: list[Machine], ssh_config: str | None) -> dict[str, str]:
    """{testinfra host spec: member name}: by name where the SSH config knows it, else root@IP."""
    out = {}
    for m in machines:
        if ssh_config_knows(ssh_config, m.host):
            spec = m.host
        elif ssh_config_knows(ssh_config, m.ip):
            spec = m.ip
        else:
            spec = f"root@{m.ip}"
        out[spec] = m.host
    return out


def check_hosts(hosts: str) -> list[str]:
    """The host specs of ``--hosts`` (``[backend://][user@]host[:port]``, comma-separated; empty entries, as a
    trailing comma leaves, dropped), or a one-line :class:`TargetError` for what no host can be: no host at all,
    a user without a host, a port that is not 1-65535."""
    specs = [s.strip() for s in hosts.split(",") if s.strip()]
    if not specs:
        raise TargetError("no host given (e.g. --hosts=server or --hosts=root@10.0.0.10,node-0)")
    for spec in specs:
        if spec.startswith("local://"):  # testinfra's own machine: no host part
            continue
        rest = spec.split("://", 1)[-1]
        host = rest.split("@", 1)[-1]
        if not host or host.startswith(":"):
            raise TargetError(f"{spec}: no host name")
        if host.startswith("["):
            port = host.partition("]")[2].removeprefix(":") or None
        elif host.count(":") > 1:
            raise TargetError(f"{spec}: an IPv6 address goes in brackets, with the port after them: [{host}]:22")
        else:
            port = host.partition(":")[2] or None
        if port is not None and not (port.isdigit() and 1 <= int(port) <= 65535):
            raise TargetError(f"{spec}: port {port!r} is not a number from 1 to 65535")
    return specs


def check_ssh_config(path: str | None) -> None:
    """A given SSH config must be there: as ``ssh -F`` refuses a missing file, a typo is not "no config" (the
    hosts would then fail as unknown names, far from the cause)."""
    if path and not os.path.isfile(path):
        raise TargetError(f"--ssh-config {path}: no such file")
    from core.sshconf import SSHConfigError, resolve

    try:  # the user's ssh reads every host's settings: without it, or with a line it refuses, nothing connects
        resolve("kthw-config-check", path)
    except SSHConfigError as exc:
        raise TargetError(str(exc).replace("ssh -G kthw-config-check: ", "ssh refuses the SSH config: ")) from None
