"""The running etcd is the one the unit describes: the service's main process's arguments, as the kernel shows
them (``/proc/<pid>/cmdline``), are the unit's ``ExecStart=`` as systemd would run it now.

They differ when the unit was edited and reloaded but etcd not restarted (or etcd started before an edit): the
next restart or boot runs something else, with another data directory perhaps. ``$VAR`` and ``${VAR}`` in
``ExecStart=`` are expanded as systemd does at start, with the process's own values of those variables
(``/proc/<pid>/environ``, only the variables named).
"""

from __future__ import annotations

import re
import shlex

from core.answers import Ask
from core.evidence import Result, quote_command
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
    m = re.search(r"argv\[\]=(.*?) ; ", props.get("ExecStart", ""))
    if not m:
        return []
    try:
        return shlex.split(m.group(1))
    except ValueError:
        return m.group(1).split()


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
    names = variables(unit_argv(props))
    return [(cmdline_command(pid), None)] + ([(environ_command(pid, names), None)] if names else [])


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
    what = "the running etcd has the arguments the unit gives it"
    restart = f"systemctl restart {member.service}"
    if not pid:
        return Result(what=what, ok=False, expected="a main process started from the unit",
                      found=f"{member.service} has no main process (it is not running)", evidence=[show_ev],
                      fix=f"systemctl start {member.service} || journalctl -u {member.service} -n 50 --no-pager",
                      see=SEE, cause="not running")
    cmd_ev = remote.look(cmdline_command(pid))
    evidence = [show_ev, cmd_ev]
    running = cmd_ev.stdout.rstrip("\n").split("\n") if cmd_ev.ok and cmd_ev.stdout else []
    env: dict[str, str] = {}
    names = variables(wanted)
    if names:
        env_ev = remote.look(environ_command(pid, names))
        evidence.append(env_ev)
        env = dict(line.split("=", 1) for line in env_ev.stdout.splitlines() if "=" in line)
    wanted = expand(wanted, env)
    if not running:  # the process ended between the two looks, or /proc is not readable
        return Result(what=what, ok=False, expected=" ".join(wanted), found=f"no arguments read for pid {pid}",
                      evidence=evidence, fix=f"systemctl status {member.service} --no-pager", see=SEE)
    ok = running == wanted
    differ = [f"{a or '(none)'} (running) / {b or '(none)'} (unit)" for a, b in _differences(running, wanted)]
    fix = restart
    if not ok:
        old, new = _data_dir(running), _data_dir(wanted)
        fix = (f"# etcd (pid {pid}) was started before the unit last changed: a restart runs what the unit says now\n"
               + (f"# its data is in {old}; the unit now says {new}: copy it there first (or point the unit back)\n"
                  f"systemctl stop {member.service} && mkdir -p -m 700 {new} && {{ [ -e {new}/member ] || "
                  f"cp -a {old}/member {new}/; }} && systemctl start {member.service}"
                  if old and new and old != new else restart))
    return Result(what=what, ok=ok, expected=" ".join(wanted), found="the same" if ok else "; ".join(differ),
                  evidence=evidence, fix=fix, see=SEE)


def _differences(running: list[str], wanted: list[str]) -> list[tuple[str, str]]:
    from itertools import zip_longest

    return [(a or "", b or "") for a, b in zip_longest(running, wanted) if a != b]


def _data_dir(argv: list[str]) -> str:
    from core.systemd import parse_flags

    flags, _ = parse_flags(argv[1:])
    return (flags.get("data-dir") or [""])[-1]
