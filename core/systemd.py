"""What systemd prints, parsed: ``systemctl show`` properties, ``ExecStart`` argv, etcd's flags in it."""

from __future__ import annotations

import re

from core.model import split_urls

# etcd's boolean flags take no separate value (Go's flag package: "--flag" or "--flag=false")
BOOLEAN_FLAGS = {
    "client-cert-auth", "peer-client-cert-auth", "auto-tls", "peer-auto-tls", "enable-v2", "debug",
    "strict-reconfig-check", "enable-pprof", "force-new-cluster", "enable-grpc-gateway", "logger-zap",
    "experimental-initial-corrupt-check", "experimental-enable-lease-checkpoint", "version", "help",
    "log-outputs-stderr",
}
URL_FLAGS = {
    "initial-advertise-peer-urls", "listen-peer-urls", "listen-client-urls", "advertise-client-urls",
    "listen-metrics-urls",
}


def parse_show(text: str) -> dict[str, str]:
    """``systemctl show -p A -p B`` → {"A": ..., "B": ...}."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key] = value
    return out


def exec_argv(value: str) -> list[str]:
    """The argv of the first command in ``ExecStart={ path=... ; argv[]=... ; ... }``."""
    m = re.search(r"argv\[\]=(.*?) ; ", value)
    if not m:
        return []
    return m.group(1).split()


def parse_flags(args: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """etcd's arguments → ({flag name without dashes: [values]}, stray arguments)."""
    flags: dict[str, list[str]] = {}
    stray: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-") and len(arg) > 1 and arg not in ("-", "--"):
            name, eq, value = arg.lstrip("-").partition("=")
            if not eq:
                if name in BOOLEAN_FLAGS:
                    value = "true"
                elif i + 1 < len(args):
                    i += 1
                    value = args[i]
                else:
                    value = ""
            flags.setdefault(name, []).append(value)
        else:
            stray.append(arg)
        i += 1
    return flags, stray


def normalise(flag: str, value: str) -> object:
    """The meaning of a flag's value, for comparison."""
    if flag in URL_FLAGS:
        return frozenset(u.rstrip("/") for u in split_urls(value))
    if flag == "initial-cluster":
        return frozenset(item.rstrip("/") for item in value.split(",") if item)
    if flag in BOOLEAN_FLAGS:
        return value.lower() in ("true", "1", "t")
    if flag == "data-dir":
        return value.rstrip("/") or "/"
    return value


def install_wanted_by(text: str) -> list[str]:
    """WantedBy= of the [Install] sections in ``systemctl cat`` (fragment, then drop-ins; empty resets)."""
    wanted: list[str] = []
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line
        elif section == "[Install]" and line.startswith("WantedBy="):
            value = line.split("=", 1)[1].split()
            wanted = wanted + value if value else []
    return wanted
