"""The running etcd is the one the unit describes: the service's main process's arguments, as the kernel shows
them (``/proc/<pid>/cmdline``), are the unit's ``ExecStart=`` as systemd would run it now.

They differ when the unit was edited and reloaded but etcd not restarted (or etcd started before an edit): the
next restart or boot runs something else, with another data directory perhaps. ``$VAR`` and ``${VAR}`` in
``ExecStart=`` are expanded as systemd does at start, with the process's own values of those variables
(``/proc/<pid>/environ``, only the variables named).
"""

from __future__ import annotations

import functools
import re
import shlex

from core.answers import Ask
from core.evidence import Result, quote_command
from core.i18n import N_
from core.model import TUTORIAL_URL, Member
from core.remote import Remote

SEE = TUTORIAL_URL + "#start-the-etcd-server"
VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


def cmdline_command(pid: int) -> str:
    return quote_command("tr '\\0' '\\n' < /proc/%s/cmdline", pid)


def environ_command(pid: int, names: list[str]) -> str:
    pattern = "^(" + "|".join(names) + ")="
    return quote_command("tr '\\0' '\\n' < /proc/%s/environ | grep -E %s", pid, pattern)


def unit_argv(props: dict[str, str]) -> list[str]:
    """The arguments of the first ``ExecStart=`` command, as ``systemctl show`` prints them (systemd quotes an
    argument with blanks)."""
    return list(_argv(props.get("ExecStart", "")))


@functools.lru_cache(maxsize=256)
def _argv(exec_start: str) -> tuple[str, ...]:
    """(each scenario of a host reads the same ExecStart=: split once)"""
    m = re.search(r"argv\[\]=(.*?) ; ", exec_start)
    if not m:
        return ()
    try:
        return tuple(shlex.split(m.group(1)))
    except ValueError:
        return tuple(m.group(1).split())


def main_pid(props: dict[str, str]) -> int:
    try:
        return int(props.get("MainPID") or 0)
    except ValueError:
        return 0


def variables(argv: list[str]) -> list[str]:
    return sorted({a or b for arg in argv for a, b in VARIABLE.findall(arg)})


def asks(member: Member, answers) -> list[Ask]:
    """What the check needs once ``systemctl show`` has named the main process: its arguments, and the values of
    the variables ``ExecStart=`` names."""
    from checks.unit import show

    _, props = show(answers, member)
    pid = main_pid(props)
    if not pid:
        return []
    from checks.config import asks as config_asks

    names = ["ETCD_[A-Z0-9_]*", *variables(unit_argv(props))]
    return [(cmdline_command(pid), None), (environ_command(pid, names), None), *config_asks(member, answers)]


def expand(argv: list[str], env: dict[str, str]) -> list[str]:
    """systemd's expansion at start: ``${VAR}`` in place, ``$VAR`` alone as an argument split at blanks."""
    out: list[str] = []
    for arg in argv:
        whole = re.fullmatch(r"\$(\w+)", arg)
        if whole:
            out += env.get(whole.group(1), "").split()
        else:
            out.append(re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), ""), arg))
    return out


def as_unit(remote: Remote, member: Member) -> Result:
    """The service's main process runs with the arguments the unit gives etcd now."""
    from checks.unit import show

    show_ev, props = show(remote, member)
    pid = main_pid(props)
    wanted = unit_argv(props)
    what = N_("the running etcd has the arguments the unit gives it")
    restart = f"systemctl restart {member.service}"
    if not pid:
        return Result(what=what, ok=False, expected=N_("a main process started from the unit"),
                      found=N_("{service} has no main process (it is not running)").format(service=member.service), evidence=[show_ev],
                      fix=f"systemctl start {member.service} || journalctl -u {member.service} -n 50 --no-pager",
                      see=SEE, cause="not running")
    cmd_ev = remote.look(cmdline_command(pid))
    evidence = [show_ev, cmd_ev]
    running = cmd_ev.stdout.rstrip("\n").split("\n") if cmd_ev.ok and cmd_ev.stdout else []
    env_ev = remote.look(environ_command(pid, ["ETCD_[A-Z0-9_]*", *variables(wanted)]))
    evidence.append(env_ev)
    env = dict(line.split("=", 1) for line in env_ev.stdout.splitlines() if "=" in line)
    wanted = expand(wanted, env)
    # the ETCD_* variables the running etcd has, against those systemd would give it now
    from checks.config import _environment

    now: dict[str, str] = {}
    for key, value, _ in _environment(remote, member, props, evidence, []):
        if key.startswith("ETCD_"):
            now[key] = value
    had = {k: v for k, v in env.items() if k.startswith("ETCD_")}
    env_differ = [f"{k}={had.get(k, '(unset)')} (running) / {now.get(k, '(unset)')} (unit)"
                  for k in sorted(set(had) | set(now)) if had.get(k) != now.get(k)]
    if not running:  # the process ended between the two looks, or /proc is not readable
        return Result(what=what, ok=False, expected=" ".join(wanted), found=N_("no arguments read for pid {pid}").format(pid=pid),
                      evidence=evidence, fix=f"systemctl status {member.service} --no-pager", see=SEE)
    ok = running == wanted and not env_differ
    differ = [f"{a or '(none)'} (running) / {b or '(none)'} (unit)" for a, b in _differences(running, wanted)]
    differ += env_differ
    fix = restart
    if not ok:
        old = _data_dir(running) or had.get("ETCD_DATA_DIR", "")
        new = _data_dir(wanted) or now.get("ETCD_DATA_DIR", "")
        fix = (N_("# etcd (pid {pid}) was started before the unit last changed: a restart runs what the "
                  "unit says now").format(pid=pid) + "\n"
               + (N_("# its data is in {old}; the unit now says {new}: copy it there first (or point the unit "
                     "back)").format(old=old, new=new) + "\n"
                  + f"systemctl stop {member.service} && mkdir -p -m 700 {new} && {{ [ -e {new}/member ] || cp "
                    f"-a {old}/member {new}/; }} && systemctl start {member.service}"
                  if old and new and old != new else restart))
    return Result(what=what, ok=ok, expected=" ".join(wanted), found=N_("the same") if ok else "; ".join(differ),
                  evidence=evidence, fix=fix, see=SEE)


def _differences(running: list[str], wanted: list[str]) -> list[tuple[str, str]]:
    from itertools import zip_longest

    return [(a or "", b or "") for a, b in zip_longest(running, wanted) if a != b]


def _data_dir(argv: list[str]) -> str:
    from core.systemd import parse_flags

    flags, _ = parse_flags(argv[1:])
    return (flags.get("data-dir") or [""])[-1]


# every etcd process on the host: its PID, its control group (which unit or login session started it) and its
# arguments, read from /proc (no pgrep needed); one line each, tab-separated
ETCD_PROCESSES = ("for d in /proc/[0-9]*; do [ \"$(cat $d/comm 2>/dev/null)\" = etcd ] && printf '%s\\t%s\\t%s\\n' "
                  "\"${d#/proc/}\" \"$(tail -n 1 $d/cgroup 2>/dev/null | cut -d: -f3)\" "
                  "\"$(tr '\\0' ' ' < $d/cmdline 2>/dev/null)\"; done; true")


LOGIN_UNITS = ("ssh.service", "sshd.service", "getty@.service", "serial-getty@.service", "console-getty.service")


def started_by(cgroup: str) -> tuple[str, str]:
    """(how the process was started, the unit that holds it or "") from its control group."""
    leaf = cgroup.rstrip("/").rsplit("/", 1)[-1]
    if leaf in LOGIN_UNITS or leaf.startswith("user@"):  # a command run over SSH without a login session
        return N_("by hand, from a process of {leaf} (a command run over SSH, a shell)").format(leaf=leaf), ""
    if leaf.endswith(".service"):
        return N_("under the unit {leaf}").format(leaf=leaf), leaf
    if leaf.endswith(".scope") and "session" in leaf:
        return N_("by hand, in a login session ({leaf})").format(leaf=leaf), ""
    if leaf.endswith(".scope"):
        return N_("in the scope {leaf}").format(leaf=leaf), ""
    return N_("in the control group {value}").format(value=cgroup or '(unknown)'), ""


def only_one(remote: Remote, member: Member) -> Result:
    """The host runs one etcd: the service's main process, and no other (started by hand, under another unit,
    left from an earlier try)."""
    from checks.network import SS_PROCESSES
    from checks.unit import show
    from core.ss import parse_ss

    show_ev, props = show(remote, member)
    pid = main_pid(props)
    ps_ev = remote.look(ETCD_PROCESSES)
    ss_ev = remote.look(SS_PROCESSES)
    sockets = parse_ss(ss_ev.stdout)
    others, fixes = [], []
    for line in ps_ev.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or not parts[0].isdigit() or int(parts[0]) == pid:
            continue
        other = int(parts[0])
        how, unit = started_by(parts[1])
        if unit == member.unit_name:  # the service's own (starting again, its main PID not known yet): not another
            continue
        where = sorted({f"{s.address}:{s.port}" for s in sockets if other in s.pids})
        others.append(N_("pid {other}, started {how}, listening on {value}: {strip}").format(other=other, how=how, value=', '.join(where) or 'nothing', strip=parts[2].strip()))
        fixes.append(f"systemctl stop {unit} && {{ systemctl disable {unit} 2>/dev/null || true; }}"
                     if unit and unit != member.unit_name else f"kill {other}")
    ok = ps_ev.ok and not others
    main = N_("the service's pid {pid}").format(pid=pid) if pid else N_("no other ({service} is not running)").format(service=member.service)
    return Result(
        what=N_("the host runs one etcd, the service's"), ok=ok, expected=N_("{main} and no other etcd").format(main=main),
        found="; ".join(others) if others else ("no other etcd" if ps_ev.ok else f"exit {ps_ev.rc}"),
        evidence=[show_ev, ps_ev, ss_ev],
        fix=(N_("# another etcd runs beside the service (its data directory stays where it is)") + "\n" + " && ".join(fixes))
        if fixes else f"systemctl status {member.service} --no-pager", see=SEE)
