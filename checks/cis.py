"""The CIS Kubernetes Benchmark's etcd checks (kube-bench's numbering, cfg/cis-1.10), judged on the
flags systemd runs etcd with, and etcd's own version advice. Which of them the tutorial's lab fails by
design is data of its own (checks/deviations.py)."""

from __future__ import annotations

import re

from core.evidence import Result
from checks.files import stat
from core.i18n import N_
from core.remote import Remote
from checks.unit import unit_fix
from core.model import Member

SEE = "https://github.com/aquasecurity/kube-bench/blob/main/cfg/cis-1.10/etcd.yaml"
ADVICE = "https://etcd.io/docs/v3.5/op-guide/data_corruption/"
SET, TRUE, NOT_TRUE = "set", "true", "not true"
# CIS number → (what it expects, [(flag, how it is compared)]): every flag must hold
FLAG_RULES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "2.1": (N_("--cert-file and --key-file are set"), [("cert-file", SET), ("key-file", SET)]),
    "2.2": ("--client-cert-auth=true", [("client-cert-auth", TRUE)]),
    "2.3": (N_("--auto-tls is not true"), [("auto-tls", NOT_TRUE)]),
    "2.4": (N_("--peer-cert-file and --peer-key-file are set"), [("peer-cert-file", SET), ("peer-key-file", SET)]),
    "2.5": ("--peer-client-cert-auth=true", [("peer-client-cert-auth", TRUE)]),
    "2.6": (N_("--peer-auto-tls is not true"), [("peer-auto-tls", NOT_TRUE)]),
    "2.7": (N_("--trusted-ca-file and --peer-trusted-ca-file name a CA"),
            [("trusted-ca-file", SET), ("peer-trusted-ca-file", SET)]),
}
DATA_DIR_MODE = 0o700  # 1.1.11: this mode or stricter
DATA_DIR_OWNER = ("etcd", "etcd")  # 1.1.12
# CIS number → (what the data directory must be, how its stat is judged, what was found, the fix)
DATA_DIR_RULES = {
    "1.1.11": (N_("{DATA_DIR_MODE} or stricter").format(DATA_DIR_MODE=format(DATA_DIR_MODE, 'o')), lambda st: st.mode & ~DATA_DIR_MODE & 0o7777 == 0,
               lambda st: f"mode {st.mode:04o}", lambda d: f"chmod {DATA_DIR_MODE:o} {d}"),
    "1.1.12": (N_("owned by {items}").format(items=':'.join(DATA_DIR_OWNER)), lambda st: (st.owner, st.group) == DATA_DIR_OWNER,
               lambda st: f"{st.owner}:{st.group}",
               lambda d: f"useradd -r etcd; chown -R {':'.join(DATA_DIR_OWNER)} {d}; run etcd as User=etcd"),
}


def running_flags(remote: Remote, member: Member):
    """etcd's TLS settings as etcd applies them (flags, ETCD_* variables, a configuration file: checks/config.py)."""
    from checks.config import effective

    eff, evidence, _ = effective(remote, member)
    return evidence, {k: v.value for k, v in eff.values.items()}


def _holds(flags: dict, name: str, how: str) -> bool:
    value = flags.get(name)
    truth = (value or "false").lower() in ("true", "1", "t")
    return {SET: bool(value), TRUE: truth, NOT_TRUE: not truth}[how]


def bad_version(version: str) -> str:
    """Why etcd's own guidance says not to run this version in production ('' when fine)."""
    m = re.match(r"(\d+)\.(\d+)\.(\d+)", version or "")
    if not m:
        return N_("unknown version")
    v = tuple(int(x) for x in m.groups())
    if (3, 5, 0) <= v <= (3, 5, 2):
        return "etcd 3.5.0-3.5.2 can corrupt data under load"
    if v[:2] == (3, 4) and v < (3, 4, 22):
        return "below 3.4.22, etcd's minimum for production"
    if v[:2] == (3, 5) and v < (3, 5, 6):
        return "below 3.5.6, etcd's minimum for production"
    if v < (3, 4, 0):
        return "etcd 3.3 and older are out of support"
    return ""


def check(remote: Remote, member: Member, cis_id: str) -> Result:
    """One CIS check, judged on the flags systemd runs etcd with, or on the data directory."""
    if cis_id in FLAG_RULES:
        ev, flags = running_flags(remote, member)
        expected, rules = FLAG_RULES[cis_id]
        ok = all(_holds(flags, name, how) for name, how in rules)
        found = ", ".join(f"{n}={flags[n]}" if n in flags else f"{n} unset" for n, _ in rules)
        unwanted = [n for n, how in rules if how == NOT_TRUE and not _holds(flags, n, how)]
        if unwanted:  # a switch to turn off, not flags to add
            fix = (N_("remove {items} from {unit_path} (etcd would make itself self-signed certificates), then "
                      "systemctl daemon-reload && systemctl restart {service}").format(items=' and '.join(('--' + n for n in unwanted)), unit_path=member.unit_path, service=member.service))
        else:
            fix = N_("add the TLS flags of the production profile to {unit_path}: ").format(unit_path=member.unit_path) + unit_fix(member)
        return Result(
            what=N_("CIS {id}: {requirement}").format(id=cis_id, requirement=expected), ok=ok, expected=expected, found=found, evidence=ev, fix=fix, see=SEE)
    if cis_id in DATA_DIR_RULES:
        sev, st = stat(remote, member.data_dir)
        expected, holds, shown, fix = DATA_DIR_RULES[cis_id]
        return Result(
            what=N_("CIS {id}: {path} is {expected}").format(id=cis_id, path=member.data_dir, expected=expected), ok=st is not None and holds(st), expected=expected,
            found=shown(st) if st else "missing", evidence=[sev], fix=fix(member.data_dir), see=SEE)
    raise ValueError(f"no CIS check {cis_id!r}")


def advice(remote: Remote, member: Member) -> Result:
    """etcd's advice judged on the version the installed etcd reports (``etcd --version``)."""
    from checks.binaries import version_command
    from core.version import version_in

    ev = remote.look(version_command(member, "etcd"))
    version = version_in(ev.stdout) if ev.ok else ""
    result = version_advice(version)
    result.evidence = [ev]
    return result


def version_advice(version: str) -> Result:
    """etcd's own advice on releases (not a CIS item): no data-corruption bug, the production minimum."""
    why = bad_version(version)
    return Result(
        what=N_("etcd's version has no known data-corruption bug and meets etcd's production minimum"), ok=not why,
        expected=N_("3.4.22+ or 3.5.6+ (not 3.5.0-3.5.2)"), found=f"{version or 'unknown'}: {why or 'fine'}", evidence=[],
        fix="install a supported etcd release (3.4.22+, 3.5.6+)", see=ADVICE)
