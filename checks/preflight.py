"""Pre-flight: can the suite check this host at all? Reachable, root (or passwordless sudo), systemd, ss."""

from __future__ import annotations

from core.evidence import Evidence, Result
from core.i18n import N_

PROBE = (
    "id -u; "
    "if [ -d /run/systemd/system ]; then timeout 30 systemctl is-system-running --wait 2>/dev/null || true; "
    "else echo no-systemd; fi; "
    "command -v ss >/dev/null && echo ss || echo no-ss"
)


PROBE_TIMEOUT = 40  # systemd may still be starting: is-system-running --wait, bounded at 30 s


def judge(ev: Evidence, name: str) -> Result:
    """The pre-flight's verdict on what the probe answered."""
    lines = ev.stdout.split()
    problems, fixes = [], []
    err = (ev.stderr or "").lower()
    if ev.rc != 0 and ("password is required" in err or "terminal is required" in err or "sudo:" in err):
        problems.append("sudo needs a password")
        fixes.append(N_("allow passwordless sudo for the login user on {name} (NOPASSWD), or log in as root").format(name=name))
    elif len(lines) < 3:
        problems.append(N_("the probe failed (exit {rc})").format(rc=ev.rc))
        fixes.append(f"ssh {name} true   # does a shell work there?")
    else:
        uid, state, ss = lines[0], lines[1], lines[-1]
        if uid != "0":
            problems.append(N_("commands run as uid {uid}, not root").format(uid=uid))
            fixes.append("log in as root, or pass --sudo with passwordless sudo")
        if state == "no-systemd":
            problems.append("systemd is not running (no /run/systemd/system)")
            fixes.append("the etcd step needs a host booted with systemd")
        elif state not in ("running", "degraded"):
            problems.append(N_("systemd reports {state}").format(state=state))
            fixes.append(f"systemctl is-system-running; systemctl --failed   # on {name}")
        if ss != "ss":
            problems.append(N_("ss is missing"))
            fixes.append("apt-get install iproute2")
    return Result(
        what=N_("pre-flight of {name}").format(name=name), ok=not problems, expected=N_("reachable, root, systemd running, ss present"),
        found="; ".join(problems) or "ready", evidence=[ev], fix="; ".join(fixes))
