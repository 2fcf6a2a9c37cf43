"""The etcd unit as systemd parses it: ``systemctl show`` and ``systemd-analyze verify``, never the file's text.

Drop-ins, line continuations and quoting are systemd's business; the flags are compared by meaning
(``--flag=value``, ``--flag value`` and ``-flag value`` are the same flag; URL lists are sets).
"""

from __future__ import annotations


from core.evidence import Evidence, Result, quote_command
from core.i18n import N_
from core.remote import Remote
from core.model import TUTORIAL_URL, Member
from core.systemd import install_wanted_by, parse_show

SEE = TUTORIAL_URL + "#configure-the-etcd-server"
SHOW_PROPERTIES = (
    "LoadState", "ActiveState", "SubState", "UnitFileState", "FragmentPath", "DropInPaths", "NeedDaemonReload",
    "Type", "Restart", "RestartUSec", "ExecStart", "MainPID", "Environment", "EnvironmentFiles",
    "Result", "ExecMainStatus", "NRestarts", "User", "Group",
)


def show_command(member: Member) -> str:
    props = " ".join(f"-p {p}" for p in SHOW_PROPERTIES)
    return quote_command(f"systemctl show {props} -- %s", member.unit_name)


def verify_command(member: Member) -> str:
    return quote_command("systemd-analyze verify -- %s", member.unit_path)


VERIFY_TIMEOUT = 60


def cat_command(member: Member) -> str:
    return quote_command("systemctl cat -- %s", member.unit_name)


def bus_command(member: Member, prop: str) -> str:
    return quote_command("busctl get-property org.freedesktop.systemd1 %s org.freedesktop.systemd1.Service %s",
                         unit_object_path(member.unit_name), prop)


def show(remote: Remote, member: Member) -> tuple[Evidence, dict[str, str]]:
    ev = remote.look(show_command(member))
    return ev, parse_show(ev.stdout)


def unit_fix(member: Member) -> str:
    return (
        N_("render the unit (python -m provision.render), install it: cp units/{unit_name} "
           "{unit_dir}/ && systemctl daemon-reload && systemctl restart {service}").format(unit_name=member.unit_name, unit_dir=member.unit_dir, service=member.service)
    )


def loaded(remote: Remote, member: Member) -> Result:
    """systemd runs the unit file at the expected path, as it is on disk now (no pending daemon-reload)."""
    ev, props = show(remote, member)
    wrong = {  # what is wrong → how systemd shows it
        "load": props.get("LoadState") != "loaded" and f"LoadState={props.get('LoadState', '?')}",
        "path": props.get("FragmentPath") != member.unit_path and f"FragmentPath={props.get('FragmentPath') or '(none)'}",
        "reload": props.get("NeedDaemonReload") == "yes" and N_("NeedDaemonReload=yes (the file changed since systemd read it)"),
        "drop-in": bool(props.get("DropInPaths")) and f"drop-ins: {props.get('DropInPaths')}",
    }
    problems = [text for text in wrong.values() if text]
    causes = {cause for cause, text in wrong.items() if text}
    if causes == {"reload"}:
        fix = "systemctl daemon-reload"
    elif "drop-in" in causes and not causes & {"load", "path"}:
        # a drop-in changes what the unit file says: remove it (or fold what it means to do into the unit)
        fix = (f"rm {' '.join(props['DropInPaths'].split())} && systemctl daemon-reload && "
               f"systemctl restart {member.service}")
    else:
        fix = f"mv ~/{member.unit_name} {member.unit_dir}/ && systemctl daemon-reload"
    return Result(
        what=N_("systemd has loaded {unit_path} as it is on disk").format(unit_path=member.unit_path), ok=not problems,
        expected=N_("LoadState=loaded, FragmentPath={unit_path}, no drop-ins, NeedDaemonReload=no").format(unit_path=member.unit_path),
        found="; ".join(problems) or "as expected", evidence=[ev], fix=fix, see=SEE)


def verify(remote: Remote, member: Member) -> Result:
    """systemd-analyze verify accepts the unit; its warnings about the unit are the evidence."""
    ev = remote.look(verify_command(member), timeout=VERIFY_TIMEOUT)
    text = ev.stdout + ev.stderr
    own = [ln for ln in text.splitlines() if member.unit_name in ln or member.unit_path in ln]
    ok = ev.ok and not own
    fix = unit_fix(member)
    if any(w in ln for ln in own for w in ("Unknown key", "Unknown lvalue", "Missing '='")):
        fix = ("the ExecStart= lines do not continue: each must end in one bare backslash (a quoted heredoc "
               "<<'EOF' or \\\\ in it writes two, and a blank after it ends the line); " + fix)
    elif any("is not executable" in ln for ln in own):
        fix = f"chmod {member.modes.binary:o} {member.etcd_path}"
    elif any("world-writable" in ln or "world-inaccessible" in ln for ln in own):
        fix = f"chmod {member.modes.unit:o} {member.unit_path} && systemctl daemon-reload"
    return Result(
        what=N_("systemd-analyze verify accepts {unit_path}").format(unit_path=member.unit_path), ok=ok,
        expected=N_("no error or warning about the unit"),
        found="; ".join(own) or (f"exit {ev.rc}" if not ev.ok else "no warnings"), evidence=[ev], fix=fix, see=SEE)


# The service's settings as data: the setting in the unit → (where systemd's value is read, the property, the
# model's value as systemd holds it, comparison, the model's value as the unit writes it). Times are read over
# D-Bus in microseconds (busctl), never from systemctl's human spelling ("1min 30s"); WantedBy= from the
# [Install] sections systemd uses.
EQUALS, AMONG, COVERS = "equals", "among", "restarts in each case it does, or more"
SHOW, BUS, INSTALL = "systemctl show", "busctl", "systemctl cat"
SETTINGS = {
    "Type": (SHOW, "Type", lambda u: u.type, EQUALS, lambda u: u.type),
    "Restart": (SHOW, "Restart", lambda u: u.restart, COVERS, lambda u: u.restart),
    "RestartSec": (BUS, "RestartUSec", lambda u: u.restart_sec * 1_000_000, EQUALS, lambda u: u.restart_sec),
    "WantedBy": (INSTALL, "WantedBy", lambda u: u.wanted_by, AMONG, lambda u: u.wanted_by),
}


# When systemd restarts a service, for each Restart= value (the table "Exit causes and the effect of the Restart=
# settings" of systemd.service(5)): a value that restarts in every case the wanted one does is as good or stricter
# (Restart=always for the tutorial's on-failure, as etcd's own example units have it).
RESTART_CAUSES = {
    "no": frozenset(),
    "always": frozenset({"clean", "unclean-exit-code", "unclean-signal", "timeout", "watchdog"}),
    "on-success": frozenset({"clean"}),
    "on-failure": frozenset({"unclean-exit-code", "unclean-signal", "timeout", "watchdog"}),
    "on-abnormal": frozenset({"unclean-signal", "timeout", "watchdog"}),
    "on-abort": frozenset({"unclean-signal"}),
    "on-watchdog": frozenset({"watchdog"}),
}


def restarts_covering(want: str) -> list[str]:
    """The Restart= values that restart the service in each case ``want`` does (``want`` first)."""
    need = RESTART_CAUSES.get(want)
    if need is None:
        return [want]
    return [want] + [v for v, causes in RESTART_CAUSES.items() if v != want and need and causes >= need]


def unit_object_path(unit_name: str) -> str:
    """systemd's D-Bus object path of a unit (sd_bus_path_encode): ``etcd.service`` → ``.../etcd_2eservice``."""
    out = "".join(c if c.isascii() and c.isalnum() else f"_{ord(c):02x}" for c in unit_name)
    if out[:1].isdigit():
        out = f"_{ord(out[0]):02x}" + out[1:]
    return "/org/freedesktop/systemd1/unit/" + out


def bus_property(remote: Remote, member: Member, prop: str) -> tuple[Evidence, str]:
    """A property of the service as systemd holds it on D-Bus: ``t 5000000`` → ``5000000``."""
    ev = remote.look(bus_command(member, prop))
    parts = ev.stdout.split(maxsplit=1)
    return ev, (parts[1].strip().strip('"') if ev.ok and len(parts) == 2 else "")


def _usec(value: object) -> str:
    try:
        n = int(str(value))
    except ValueError:
        return str(value) or "(unset)"
    return f"{n} us ({n / 1_000_000:g} s)"


def setting(remote: Remote, member: Member, label: str) -> Result:
    """Type=, Restart=, RestartSec= as systemd holds them; WantedBy= of the [Install] systemd uses."""
    source, prop, value_of, compare, written = SETTINGS[label]
    u = member.unit
    want = value_of(u)
    model_value = written(u)
    if source == INSTALL:
        ev = remote.look(cat_command(member))
        found = install_wanted_by(ev.stdout)
        ok, found_text, want_text = want in found, " ".join(found) or "(unset)", str(want)
        where = "[Install]"
    elif source == BUS:
        ev, value = bus_property(remote, member, prop)
        ok, found_text, want_text = value == str(want), _usec(value), _usec(want)
        where = "[Service]"
    else:
        ev, props = show(remote, member)
        value = props.get(prop, "")
        accepted = restarts_covering(want) if compare == COVERS else [want]
        ok, found_text, want_text = value in accepted, value or "(unset)", " or ".join(map(str, accepted))
        where = "[Service]"
    reload = "reenable" if source == INSTALL else "restart"
    fix = (N_("set {label}={model_value} in {where} of {unit_path}, then systemctl daemon-reload && "
              "systemctl {reload} {service}").format(label=label, model_value=model_value, where=where, unit_path=member.unit_path, reload=reload, service=member.service))
    return Result(
        what=N_("the unit sets {label}={model_value}").format(label=label, model_value=model_value), ok=ok,
        expected=N_("{prop}={value} or {others}").format(prop=prop, value=want_text.split(" or ")[0],
                                                          others=want_text.split(" or ", 1)[1]) if " or " in want_text
        else f"{prop}={want_text}",
        found=f"{prop}={found_text}", evidence=[ev], fix=fix, see=SEE)
