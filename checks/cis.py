"""The CIS Kubernetes Benchmark's etcd checks (kube-bench's numbering, cfg/cis-1.10), judged on the
flags systemd runs etcd with. Each check says whether a failure is a known deviation of the tutorial's
lab (plain HTTP on loopback; a root-owned data directory) rather than a defect."""

from __future__ import annotations

import re

from core.evidence import Result
from checks.files import stat
from core.remote import Remote
from checks.unit import show, unit_fix
from core.systemd import exec_argv, parse_flags
from core.model import Member

SEE = "https://github.com/aquasecurity/kube-bench/blob/main/cfg/cis-1.10/etcd.yaml"
LAB_TLS = "the tutorial's lab serves plain HTTP on loopback; production needs TLS (--profile production)"
ROOT_OWNED = ("the tutorial runs etcd as root, so its data directory is root:root with mode 700, which is as "
              "strict; an etcd user is what the benchmark expects where etcd runs unprivileged")


def running_flags(remote: Remote, member: Member):
    ev, props = show(remote, member)
    flags, _ = parse_flags(exec_argv(props.get("ExecStart", ""))[1:])
    return ev, {k: v[-1] for k, v in flags.items()}


def _flag_set(flags: dict, name: str) -> bool:
    return bool(flags.get(name))


def _true(flags: dict, name: str) -> bool:
    return flags.get(name, "false").lower() in ("true", "1")


def bad_version(version: str) -> str:
    """Why etcd's own guidance says not to run this version in production ('' when fine)."""
    m = re.match(r"(\d+)\.(\d+)\.(\d+)", version or "")
    if not m:
        return "unknown version"
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


def check(remote: Remote, member: Member, cis_id: str, version: str = "") -> tuple[Result, str]:
    """(result, deviation): a non-empty deviation means a failure here is a known deviation of the lab."""
    ev, flags = running_flags(remote, member)
    fix_tls = f"add the TLS flags of the production profile to {member.unit_path}: " + unit_fix(member)
    lab = not member.tls
    tls_rules = {
        "2.1": ("--cert-file and --key-file are set", _flag_set(flags, "cert-file") and _flag_set(flags, "key-file"),
                ["cert-file", "key-file"]),
        "2.2": ("--client-cert-auth=true", _true(flags, "client-cert-auth"), ["client-cert-auth"]),
        "2.3": ("--auto-tls is not true", not _true(flags, "auto-tls"), ["auto-tls"]),
        "2.4": ("--peer-cert-file and --peer-key-file are set",
                _flag_set(flags, "peer-cert-file") and _flag_set(flags, "peer-key-file"),
                ["peer-cert-file", "peer-key-file"]),
        "2.5": ("--peer-client-cert-auth=true", _true(flags, "peer-client-cert-auth"), ["peer-client-cert-auth"]),
        "2.6": ("--peer-auto-tls is not true", not _true(flags, "peer-auto-tls"), ["peer-auto-tls"]),
        "2.7": ("--trusted-ca-file and --peer-trusted-ca-file name a CA",
                _flag_set(flags, "trusted-ca-file") and _flag_set(flags, "peer-trusted-ca-file"),
                ["trusted-ca-file", "peer-trusted-ca-file"]),
    }
    if cis_id in tls_rules:
        expected, ok, names = tls_rules[cis_id]
        found = ", ".join(f"--{n}={flags[n]}" if n in flags else f"--{n} unset" for n in names)
        return Result(f"CIS {cis_id}: {expected}", ok, expected, found, [ev], fix_tls, SEE), (LAB_TLS if lab else "")
    if cis_id in ("1.1.11", "1.1.12"):
        sev, st = stat(remote, member.data_dir)
        if cis_id == "1.1.11":
            ok = st is not None and st.mode & 0o077 == 0
            found = f"mode {st.mode:04o}" if st else "missing"
            return Result(f"CIS 1.1.11: {member.data_dir} is 700 or stricter", ok, "mode 0700 or stricter", found,
                          [sev], f"chmod 700 {member.data_dir}", SEE), ""
        ok = st is not None and (st.owner, st.group) == ("etcd", "etcd")
        found = f"{st.owner}:{st.group}" if st else "missing"
        return Result(f"CIS 1.1.12: {member.data_dir} is owned by etcd:etcd", ok, "etcd:etcd", found, [sev],
                      f"useradd -r etcd; chown -R etcd:etcd {member.data_dir}; run etcd as User=etcd", SEE), ROOT_OWNED
    if cis_id == "v":
        why = bad_version(version)
        return Result("etcd's version has no known data-corruption bug and meets etcd's production minimum",
                      not why, "3.4.22+ or 3.5.6+ (not 3.5.0-3.5.2)", f"{version or 'unknown'}: {why or 'fine'}",
                      [], "install a supported etcd release (3.4.22+, 3.5.6+)",
                      "https://etcd.io/docs/v3.5/op-guide/data_corruption/"), ("a lab may run any release" if lab else "")
    raise ValueError(f"no CIS check {cis_id!r}")
