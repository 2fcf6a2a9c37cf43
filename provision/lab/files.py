"""The files of the lab: each host's own (hostname, hosts, network, host key, root's authorized key) and the
client's (.lab/ssh_config, .lab/known_hosts, .lab/machines.txt, KTHW's format)."""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
from pathlib import Path
from core.files import atomic_write
from provision.lab.settings import KTHW_ADDRESSES, LabError, Settings, run


def preferred_offset(name: str) -> int | None:
    if name in KTHW_ADDRESSES:
        return KTHW_ADDRESSES[name]
    m = re.fullmatch(r"node-(\d+)", name)
    if m and int(m.group(1)) < 70:
        return 20 + int(m.group(1))
    return None


def allocate_address(name: str, taken: dict[str, str], subnet: ipaddress.IPv4Network) -> str:
    """A stable address for ``name``: KTHW's hosts have fixed ones, others take the first free from .100."""
    if name in taken:
        return taken[name]
    used = set(taken.values())
    hosts = list(subnet.hosts())
    offset = preferred_offset(name)
    if offset is not None and offset < len(hosts) and str(hosts[offset - 1]) not in used:
        return str(hosts[offset - 1])
    for addr in hosts[99:] + hosts[1:99]:
        if str(addr) not in used:
            return str(addr)
    raise LabError(f"no free address left in {subnet}")


def kthw_subnet(name: str) -> str | None:
    """The pod subnet KTHW gives node-N (10.200.N.0/24)."""
    m = re.fullmatch(r"node-(\d+)", name)
    return f"10.200.{m.group(1)}.0/24" if m and int(m.group(1)) < 256 else None


def render_machines(hosts: dict[str, str]) -> str:
    lines = []
    for name, addr in sorted(hosts.items(), key=lambda kv: ipaddress.IPv4Address(kv[1])):
        row = [addr, f"{name}.kubernetes.local", name]
        if kthw_subnet(name):
            row.append(kthw_subnet(name))
        lines.append(" ".join(row))
    return "\n".join(lines) + "\n" if lines else ""


def render_ssh_config(hosts: dict[str, str], settings: Settings) -> str:
    def block(patterns: str, hostname: str | None) -> list[str]:
        return [f"Host {patterns}"] + ([f"  HostName {hostname}"] if hostname else []) + [
            "  User root",
            f"  IdentityFile {settings.key_file}",
            "  IdentitiesOnly yes",
            f"  UserKnownHostsFile {settings.known_hosts}",
            "  StrictHostKeyChecking yes",
            "  ConnectTimeout 10",
            "",
        ]

    out = ["# Written by 'python -m provision.lab up'; use with: ssh -F .lab/ssh_config HOST"]
    for name, addr in sorted(hosts.items()):
        out += block(f"{name} {name}.kubernetes.local", addr)
    if hosts:  # the lab's addresses too, for targets given by IP (e.g. from machines.txt)
        prefix = ".".join(str(settings.subnet.network_address).split(".")[: settings.subnet.prefixlen // 8])
        out += block(f"{prefix}.*", None)
    return "\n".join(out)


def render_known_hosts(keys: dict[str, tuple[str, str]]) -> str:
    """keys: host name → (address, "ssh-ed25519 AAAA...")."""
    lines = []
    for name, (addr, pub) in sorted(keys.items()):
        kind, blob = pub.split()[:2]
        lines.append(f"{name},{name}.kubernetes.local,{addr} {kind} {blob}")
    return "\n".join(lines) + "\n" if lines else ""


def render_network(address: str, subnet: ipaddress.IPv4Network) -> str:
    """systemd-networkd config for the container's host0: static, no gateway, nothing leaves the bridge."""
    return (
        "[Match]\nName=host0\n\n[Network]\n"
        f"Address={address}/{subnet.prefixlen}\n"
        "LinkLocalAddressing=no\nIPv6AcceptRA=no\nLLMNR=no\nMulticastDNS=no\n"
    )


def render_hosts_file(name: str, hosts: dict[str, str]) -> str:
    lines = ["127.0.0.1 localhost", f"127.0.1.1 {name}", "::1 localhost ip6-localhost ip6-loopback", ""]
    for other, addr in sorted(hosts.items()):
        lines.insert(-1, f"{addr} {other}.kubernetes.local {other}")
    return "\n".join(lines)


# ----- keys -----------------------------------------------------------------------------------
def new_ed25519() -> tuple[bytes, str]:
    """(OpenSSH private key, public key line) generated with the cryptography package."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return private, public.decode()


class HostFiles:
    """The files a host gets on its own layer, and the client's (a mixin of :class:`Lab`)."""

    # keys and client files
    def ensure_client_key(self) -> str:
        pub = self.settings.key_file.with_suffix(".pub")
        with self.state_lock():  # lab runs side by side in a fresh checkout must not make two key pairs
            if not self.settings.key_file.exists() or not pub.exists():
                private, public = new_ed25519()
                atomic_write(self.settings.key_file, private, 0o600)
                atomic_write(pub, public + " kthw-lab\n", 0o644)
            return pub.read_text().strip()

    def host_key(self, name: str) -> str:
        d = self.host_dir(name) / "hostkeys"
        with self.state_lock():
            if not (d / "ssh_host_ed25519_key.pub").exists():
                private, public = new_ed25519()
                atomic_write(d / "ssh_host_ed25519_key", private, 0o600)
                atomic_write(d / "ssh_host_ed25519_key.pub", f"{public} root@{name}\n", 0o644)
            return (d / "ssh_host_ed25519_key.pub").read_text().strip()

    def write_client_files(self) -> None:
        """ssh_config, known_hosts and machines.txt for every lab host, running or not (like VMs powered off)."""
        with self.state_lock():
            hosts = self.addresses()
            atomic_write(self.settings.ssh_config, render_ssh_config(hosts, self.settings), 0o644)
            atomic_write(self.settings.known_hosts, render_known_hosts({n: (a, self.host_key(n)) for n, a in hosts.items()}), 0o644)
            atomic_write(self.settings.machines, render_machines(hosts), 0o644)

    # the host's layer
    def _prepare(self, name: str, image: Path, client_pub: str) -> None:
        d = self.host_dir(name)
        for sub in ("upper", "work", "root"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        if not self.is_mounted(name):
            run(["mount", "-t", "overlay", f"kthw-lab-{name}", "-o",
                 f"lowerdir={image},upperdir={d / 'upper'},workdir={d / 'work'}", str(d / "root")])
        root = d / "root"
        addresses = self.addresses()
        atomic_write(root / "etc/hostname", name + "\n", 0o644)
        atomic_write(root / "etc/hosts", render_hosts_file(name, addresses), 0o644)
        atomic_write(root / "etc/systemd/network/80-container-host0.network",
                     render_network(addresses[name], self.settings.subnet), 0o644)
        keys = d / "hostkeys"
        self.host_key(name)
        shutil.copy2(keys / "ssh_host_ed25519_key", root / "etc/ssh/ssh_host_ed25519_key")
        shutil.copy2(keys / "ssh_host_ed25519_key.pub", root / "etc/ssh/ssh_host_ed25519_key.pub")
        os.chmod(root / "etc/ssh/ssh_host_ed25519_key", 0o600)
        atomic_write(root / "etc/ssh/sshd_config.d/kthw-lab.conf",
                     "HostKey /etc/ssh/ssh_host_ed25519_key\nPermitRootLogin prohibit-password\nUseDNS no\n", 0o644)
        ssh_dir = root / "root/.ssh"
        ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        auth = ssh_dir / "authorized_keys"
        have = auth.read_text().splitlines() if auth.exists() else []
        if client_pub not in have:
            atomic_write(auth, "\n".join(have + [client_pub]) + "\n", 0o600)
