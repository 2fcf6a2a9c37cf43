"""Where the etcd process listens: its own sockets (ss, by the PID systemd gives), not a port scan."""

from __future__ import annotations

from core.evidence import Result
from core.remote import Remote
from checks.service import main_pid
from checks.unit import unit_fix
from core.model import TUTORIAL_URL, Member
from core.ss import parse_ss

SEE = TUTORIAL_URL + "#verification"
SS_PROCESSES = "ss -Htlnp"  # listening TCP sockets with the processes that hold them


def listeners(remote: Remote, member: Member):
    pid_ev, pid = main_pid(remote, member)
    ss_ev = remote.look(SS_PROCESSES)
    mine = [lst for lst in parse_ss(ss_ev.stdout) if pid and pid in lst.pids]
    return [pid_ev, ss_ev], pid, mine, parse_ss(ss_ev.stdout)


def listens_on(remote: Remote, member: Member, role: str) -> Result:
    """etcd (the service's main PID) listens on the address and port of its client or peer URL."""
    urls = member.listen_client_urls if role == "client" else member.listen_peer_urls
    wanted = member.listen_endpoints(role)
    evidence, pid, mine, everyone = listeners(remote, member)
    have = {(lst.address, lst.port) for lst in mine}
    missing = [f"{a}:{p}" for a, p in wanted if (a, p) not in have]
    others = [f"{lst.process or '?'} (pid {','.join(map(str, lst.pids))}) on {lst.address}:{lst.port}"
              for lst in everyone if pid not in lst.pids
              and any(lst.address in (a, "0.0.0.0", "::") and lst.port == p for a, p in wanted)]
    if not pid:
        found = f"{member.service} has no main process (it is not running)"
    elif missing:
        found = f"not listening on {', '.join(missing)}"
    else:
        found = ", ".join(f"{a}:{p}" for a, p in wanted)
    if others:
        found += f"; the port is held by {', '.join(others)}"
        fix = f"free the port (ss -tlnp shows who holds it), then systemctl restart {member.service}"
    elif not pid:
        fix = f"systemctl start {member.service} || journalctl -u {member.service} -n 50 --no-pager"
    else:
        fix = (f"set --listen-{role}-urls {urls} in {member.unit_path}, then systemctl daemon-reload && "
               f"systemctl restart {member.service}")
    return Result(
        what=f"etcd (pid {pid or '-'}) listens for {role}s on {urls}", ok=bool(pid) and not missing,
        expected=", ".join(f"{a}:{p}" for a, p in wanted), found=found, evidence=evidence, fix=fix, see=SEE)


def listens_nowhere_else(remote: Remote, member: Member) -> Result:
    """etcd's sockets are only those of its URLs. A process that listens nowhere proves nothing (etcd in a restart
    loop exists for a moment of each cycle, before it opens any): that fails as etcd not serving."""
    evidence, pid, mine, _ = listeners(remote, member)
    wanted = set(member.listen_endpoints())
    extra = sorted(f"{lst.address}:{lst.port}" for lst in mine if (lst.address, lst.port) not in wanted)
    if not pid:
        found = f"{member.service} has no main process"
    elif not mine:
        found = f"pid {pid} listens nowhere ({member.service} is starting or exiting, not serving)"
    else:
        found = ("also " + ", ".join(extra)) if extra else "nothing else"
    return Result(
        what="etcd listens on no other address or port",
        ok=bool(mine) and not extra,
        expected="only " + ", ".join(f"{a}:{p}" for a, p in sorted(wanted)),
        found=found,
        evidence=evidence,
        fix=f"systemctl start {member.service} || journalctl -u {member.service} -n 50 --no-pager" if not mine else
        ("remove --listen-metrics-urls (and ETCD_LISTEN_METRICS_URLS) from the unit, or keep the metrics on "
        "loopback, and " if extra else "") +
        f"set --listen-client-urls {member.listen_client_urls} --listen-peer-urls {member.listen_peer_urls}: "
        + unit_fix(member),
        see=SEE,
    )
