"""Where the etcd process listens: its own sockets (ss, by the PID systemd gives), not a port scan."""

from __future__ import annotations

from core.evidence import Result
from core.i18n import N_
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
        found = N_("{service} has no main process (it is not running)").format(service=member.service)
    elif missing:
        found = N_("not listening on {items}").format(items=', '.join(missing))
    else:
        found = ", ".join(f"{a}:{p}" for a, p in wanted)
    if others:
        found += N_("; the port is held by {items}").format(items=', '.join(others))
        fix = N_("free the port (ss -tlnp shows who holds it), then systemctl restart {service}").format(service=member.service)
    elif not pid:
        fix = f"systemctl start {member.service} || journalctl -u {member.service} -n 50 --no-pager"
    else:
        fix = (N_("set --listen-{role}-urls {urls} in {unit_path}, then systemctl daemon-reload && "
                  "systemctl restart {service}").format(role=role, urls=urls, unit_path=member.unit_path, service=member.service))
    return Result(
        what=N_("etcd (pid {value}) listens for {role}s on {urls}").format(value=pid or '-', role=role, urls=urls), ok=bool(pid) and not missing,
        expected=", ".join(f"{a}:{p}" for a, p in wanted), found=found, evidence=evidence, fix=fix, see=SEE)


def listens_nowhere_else(remote: Remote, member: Member) -> Result:
    """etcd's sockets are only those of its URLs. A process that listens nowhere proves nothing (etcd in a restart
    loop exists for a moment of each cycle, before it opens any): that fails as etcd not serving."""
    evidence, pid, mine, _ = listeners(remote, member)
    wanted = set(member.listen_endpoints())
    extra = sorted(f"{lst.address}:{lst.port}" for lst in mine if (lst.address, lst.port) not in wanted)
    if not pid:
        found = N_("{service} has no main process").format(service=member.service)
    elif not mine:
        found = N_("pid {pid} listens nowhere ({service} is starting or exiting, not serving)").format(pid=pid, service=member.service)
    else:
        found = N_("also {items}").format(items=", ".join(extra)) if extra else N_("nothing else")
    return Result(
        what=N_("etcd listens on no other address or port"),
        ok=bool(mine) and not extra,
        expected=N_("only {items}").format(items=", ".join(f"{a}:{p}" for a, p in sorted(wanted))),
        found=found,
        evidence=evidence,
        fix=f"systemctl start {member.service} || journalctl -u {member.service} -n 50 --no-pager" if not mine else
        ("remove --listen-metrics-urls (and ETCD_LISTEN_METRICS_URLS) from the unit, or keep the metrics on "
        "loopback, and " if extra else "") +
        f"set --listen-client-urls {member.listen_client_urls} --listen-peer-urls {member.listen_peer_urls}: "
        + unit_fix(member),
        see=SEE,
    )
