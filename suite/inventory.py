"""Hosts from an Ansible inventory, reached over the suite's own SSH backend.

testinfra's ansible backend runs every command through Ansible (several times slower) and fails with a
traceback when a host key is unknown. Instead the inventory is read once (``ansible-inventory --list``),
each selected host becomes an SSH config block (address, user, port, key, known-hosts options) and the
hosts are audited like ``--hosts``: one connection each, the same timeouts, host-key checks, pre-flight.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


class InventoryError(ValueError):
    """The inventory cannot be read; the message is one line."""


def read(path: str, timeout: int = 60) -> dict:
    if "," not in path and not os.path.exists(path):  # ansible-inventory only warns, and lists no host
        raise InventoryError(f"{path}: no such file or directory")
    exe = shutil.which("ansible-inventory", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if exe is None:
        raise InventoryError("ansible-inventory is not installed (make setup installs ansible-core)")
    try:
        out = subprocess.run([exe, "-i", path, "--list"], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise InventoryError(f"ansible-inventory -i {path} did not answer within {timeout}s") from None
    if out.returncode != 0:
        raise InventoryError(f"ansible-inventory -i {path}: {(out.stderr.strip().splitlines() or ['failed'])[-1]}")
    try:
        return json.loads(out.stdout)
    except ValueError:
        raise InventoryError(f"ansible-inventory -i {path} printed no JSON") from None


def hosts_of(data: dict, group: str = "all") -> list[str]:
    """The hosts of a group and its children, in the inventory's order."""
    if group not in data and group != "all":
        raise InventoryError(f"no group {group!r} in the inventory")
    out: list[str] = []
    seen: set[str] = set()

    def walk(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        entry = data.get(name, {})
        for host in entry.get("hosts", []):
            if host not in out:
                out.append(host)
        for child in entry.get("children", []):
            walk(child)

    walk(group)
    if group == "all":
        for host in data.get("_meta", {}).get("hostvars", {}):
            if host not in out:
                out.append(host)
    return out


SSH_OPTIONS = {  # ansible's ssh -o options that matter for reaching and trusting the host
    "userknownhostsfile": "UserKnownHostsFile", "stricthostkeychecking": "StrictHostKeyChecking",
    "hostkeyalias": "HostKeyAlias", "proxycommand": "ProxyCommand", "identityfile": "IdentityFile",
    "proxyjump": "ProxyJump",
}


def ssh_block(name: str, hostvars: dict) -> str:
    """One ``Host`` block of an SSH config for an inventory host."""
    lines = [f"Host {name}"]
    address = hostvars.get("ansible_host") or hostvars.get("ansible_ssh_host")
    if address:
        lines.append(f"  HostName {address}")
    user = hostvars.get("ansible_user") or hostvars.get("ansible_ssh_user")
    if user:
        lines.append(f"  User {user}")
    port = hostvars.get("ansible_port") or hostvars.get("ansible_ssh_port")
    if port:
        lines.append(f"  Port {int(port)}")
    key = hostvars.get("ansible_ssh_private_key_file") or hostvars.get("ansible_private_key_file")
    if key:
        lines.append(f"  IdentityFile {key}")
    args = " ".join(str(hostvars.get(k, "")) for k in ("ansible_ssh_common_args", "ansible_ssh_extra_args"))
    words = shlex.split(args) if args.strip() else []
    for i, word in enumerate(words):
        option = word[2:] if word.startswith("-o") and len(word) > 2 else (words[i + 1] if word == "-o" and i + 1 < len(words) else "")
        key_, _, value = option.partition("=")
        if key_.lower() in SSH_OPTIONS and value:
            lines.append(f"  {SSH_OPTIONS[key_.lower()]} {value}")
        elif word == "-J" and i + 1 < len(words):
            lines.append(f"  ProxyJump {words[i + 1]}")
    return "\n".join(lines) + "\n"


def to_ssh_config(inventory: str, spec: str | None, user_config: str | None) -> tuple[list[str], str]:
    """(host names, path of an SSH config for them): the inventory's blocks first, then the user's own
    config (or ~/.ssh/config), whose blocks still apply to what the inventory leaves unsaid."""
    data = read(inventory)
    group = "all"
    if spec:
        group = spec.split("://", 1)[1] if spec.startswith("ansible://") else spec
    names = hosts_of(data, group or "all")
    if not names:
        raise InventoryError(f"the inventory has no host in {group!r}")
    hostvars = data.get("_meta", {}).get("hostvars", {})
    text = "".join(ssh_block(n, hostvars.get(n, {})) + "\n" for n in names)
    base = user_config or os.path.expanduser("~/.ssh/config")
    if os.path.exists(base):  # included as ssh reads it (its own Include lines keep their meaning)
        text += f"Match all\nInclude {os.path.abspath(base)}\n"
    fd, path = tempfile.mkstemp(prefix="kthw-inventory-", suffix=".ssh_config")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    return names, path
