"""The fault catalogue: classic mistakes of the etcd step as data (catalogue.toml), and applying them.

    python -m provision.faults list
    python -m provision.faults apply ID [--host server] [--force]
    python -m provision.faults drill [--host server]     # reset, bootstrap, break in a random way
    python -m provision.faults drill --profile production  # the same with the cluster etcd-0..2, one member broken
    python -m provision.faults reveal                    # what the drill broke, and the remedy
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from core.evidence import Evidence
from core.model import Member

CATALOGUE = Path(__file__).with_name("catalogue.toml")


class FaultError(RuntimeError):
    pass


@dataclass(frozen=True)
class Fault:
    id: str
    title: str
    apply: str
    fails: tuple[str, ...]  # check ids (checks/catalog.py) that must fail, and no other
    fix: str
    remedy: str
    profile: str = "lab"  # the profile whose bootstrapped host the fault applies to
    fix_runs: bool = False  # the fixes the suite prints are commands: run verbatim, the host passes again
    why_not_run: str = ""  # else: why the fix cannot be a command (the test checks its words instead)
    generate: str = ""  # files made here and uploaded before the script runs (see GENERATORS)
    # production faults: what is done on each of the member's peers before and after its own script, and
    # the check ids that then fail on each peer (stated per fault, empty when the peers see nothing wrong)
    peers_before: str = ""
    peers_after: str = ""
    peers_fail: tuple[str, ...] = ()
    # checks that fail or pass depending on the moment of the audit (etcd in a restart loop listens for a few
    # seconds of every cycle): never required, never unexpected
    may_fail: tuple[str, ...] = ()
    # how long the state the fault makes lasts, when it passes by itself (empty: until it is repaired): such a
    # fault is audited at once after it is applied
    lasts: str = ""

    def explains(self, failed: set[str]) -> bool:
        """The failed checks are exactly the fault's, give or take those that depend on the moment."""
        return set(self.fails) <= failed <= set(self.fails) | set(self.may_fail)

    def script(self, member: Member) -> str:
        return fill(self.apply, member)

    def peer_script(self, when: str, member: Member) -> str:
        return fill(self.peers_before if when == "before" else self.peers_after, member)

    def fix_words(self, member: Member) -> str:
        return fill(self.fix, member)

    def remedy_text(self, member: Member) -> str:
        return fill(self.remedy, member)


def placeholders(member: Member) -> dict[str, str]:
    values = {f.name: getattr(member, f.name) for f in dataclasses.fields(member) if isinstance(getattr(member, f.name), str)}
    for prop in ("etcd_path", "etcdctl_path", "unit_name", "unit_path", "ca_cert", "server_key", "server_cert",
                 "client_port", "peer_port", "endpoint"):
        values[prop] = str(getattr(member, prop))
    return values


def fill(text: str, member: Member) -> str:
    values = placeholders(member)

    def one(m: re.Match) -> str:
        if m.group(1) not in values:
            raise FaultError(f"unknown placeholder {{{m.group(1)}}} in the catalogue")
        return values[m.group(1)]

    return re.sub(r"\{([a-z_]+)\}", one, text)


def expand(names: list[str], groups: dict[str, list[str]], seen: tuple[str, ...] = ()) -> list[str]:
    out: list[str] = []
    for name in names:
        if name.startswith("@"):
            group = name[1:]
            if group not in groups:
                raise FaultError(f"unknown group {name}")
            if group in seen:
                raise FaultError(f"group {name} includes itself")
            out += expand(groups[group], groups, seen + (group,))
        else:
            out.append(name)
    return list(dict.fromkeys(out))


def load(path: Path = CATALOGUE) -> list[Fault]:
    data = tomllib.loads(path.read_text())
    groups = data.get("groups", {})
    reasons = data.get("reasons", {})
    faults = []
    for item in data.get("fault", []):
        why = item.get("why_not_run", "")
        if why.startswith("@"):
            if why[1:] not in reasons:
                raise FaultError(f"fault {item['id']}: unknown reason {why}")
            why = reasons[why[1:]]
        if bool(item.get("fix_runs")) == bool(why):
            raise FaultError(f"fault {item['id']}: say either fix_runs = true or why_not_run (why its fix is no command)")
        faults.append(Fault(item["id"], item["title"], item["apply"], tuple(expand(item["fails"], groups)),
                            item["fix"], item["remedy"], item.get("profile", "lab"), fix_runs=bool(item.get("fix_runs")),
                            why_not_run=why, generate=item.get("generate", ""),
                            peers_before=item.get("peers_before", ""), peers_after=item.get("peers_after", ""),
                            peers_fail=tuple(expand(item.get("peers_fail", []), groups)),
                            may_fail=tuple(expand(item.get("may_fail", []), groups)), lasts=item.get("lasts", "")))
        if faults[-1].profile != "production" and (faults[-1].peers_before or faults[-1].peers_after
                                                   or "peers_fail" in item):
            raise FaultError(f"fault {item['id']}: only a production fault has peers")
    ids = [f.id for f in faults]
    if len(set(ids)) != len(ids):
        raise FaultError("duplicate fault ids in the catalogue")
    return faults


def by_id(fault_id: str) -> Fault:
    for f in load():
        if f.id == fault_id:
            return f
    raise FaultError(f"no fault {fault_id!r}; see: python -m provision.faults list")


def server_cert_without_address(member: Member) -> dict[str, bytes]:
    """The member's server certificate and key, signed by the production CA, naming the member but not
    its address (a certificate made from a ca.conf that lacks the member's IP)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from provision import certs

    base = certs.ROOT / ".lab" / "certs-production"
    ca = x509.load_pem_x509_certificate((base / "ca.crt").read_bytes())
    ca_key = serialization.load_pem_private_key((base / "ca.key").read_bytes(), password=None)
    cert, key = certs.issue(ca, ca_key, member.name, (member.name, f"{member.name}.kubernetes.local"))
    return {member.cert_file: certs.pem(cert), member.key_file: certs._pem_key(key)}


def _lab_ca(member: Member):
    """The CA (certificate, key) that signed the lab's certificates of this member's profile."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from provision import certs

    base = certs.ROOT / ".lab" / ("certs-production" if member.tls else "certs")
    ca = x509.load_pem_x509_certificate((base / "ca.crt").read_bytes())
    return ca, serialization.load_pem_private_key((base / "ca.key").read_bytes(), password=None)


def _server_pair(member: Member, **kwargs) -> dict[str, bytes]:
    """The member's server certificate (and its key) issued again, as ``kwargs`` say (other validity ...)."""
    from provision import certs

    ca, ca_key = kwargs.pop("ca", None) or _lab_ca(member)
    cert, key = certs.issue(ca, ca_key, "kubernetes" if not member.tls else member.name,
                            certs.KUBE_API_SERVER_DNS if not member.tls else (member.name,),
                            certs.KUBE_API_SERVER_IPS if not member.tls else (member.peer_urls[0].split("//")[1].split(":")[0], "127.0.0.1"),
                            **kwargs)
    cert_path = member.cert_file or member.config_file(member.server_cert)
    key_path = member.key_file or member.config_file(member.server_key)
    return {cert_path: certs.pem(cert), key_path: certs._pem_key(key)}


def expired_server_cert(member: Member) -> dict[str, bytes]:
    return _server_pair(member, valid=(-400, -35))


def future_server_cert(member: Member) -> dict[str, bytes]:
    return _server_pair(member, valid=(30, 400))


def server_cert_of_another_ca(member: Member) -> dict[str, bytes]:
    from provision import certs

    return _server_pair(member, ca=certs.new_ca())


def server_cert_without_client_auth(member: Member) -> dict[str, bytes]:
    from cryptography.x509.oid import ExtendedKeyUsageOID

    return _server_pair(member, usages=[ExtendedKeyUsageOID.SERVER_AUTH])


def etcd_for_arm64(member: Member) -> dict[str, bytes]:
    """etcd built for arm64 (Debian 13's package for that architecture), to be put where etcd is."""
    from provision import binaries

    arm = binaries.ensure("debian-trixie", binaries.ROOT / ".cache/binaries/debian-trixie-arm64", "arm64")
    return {"/root/etcd.arm64": arm.etcd.read_bytes()}


GENERATORS = {
    "server-cert-without-address": server_cert_without_address,
    "expired-server-cert": expired_server_cert,
    "future-server-cert": future_server_cert,
    "server-cert-of-another-ca": server_cert_of_another_ca,
    "server-cert-without-client-auth": server_cert_without_client_auth,
    "etcd-for-arm64": etcd_for_arm64,
}


def _on_peers(fault: Fault, when: str, peers: dict) -> None:
    """Run the fault's script for its peers on each of them at the same time (a member waits for its peers)."""
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(len(peers)) as pool:
        runs = [pool.submit(r.run, "sh -c %s", fault.peer_script(when, m), timeout=120) for r, m in peers.values()]
        for run in runs:
            run.result()


def apply(fault: Fault, remote, member: Member, peers: dict | None = None) -> Evidence:
    """Break the host: upload what the fault generates, then run its script as root (bounded in time).
    ``peers`` (name → (remote, member)) are the member's peers, for the production faults that act on them too."""
    if (fault.peers_before or fault.peers_after) and not peers:
        raise FaultError(f"fault {fault.id} acts on the member's peers too: give them")
    if fault.peers_before:
        _on_peers(fault, "before", peers)
    ev = _apply_member(fault, remote, member)
    if fault.peers_after:
        _on_peers(fault, "after", peers)
    return ev


def _apply_member(fault: Fault, remote, member: Member) -> Evidence:
    if fault.generate:
        sftp = remote.sftp()
        try:
            for path, data in GENERATORS[fault.generate](member).items():
                with sftp.open(path, "wb") as fh:
                    fh.write(data)
        finally:
            sftp.close()
    return remote.run("sh -c %s", fault.script(member), timeout=120)
