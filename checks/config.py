"""etcd's settings judged as etcd applies them (core/etcdconfig.py): the unit's command line as systemd parses it
(``systemctl show``), the ``ETCD_*`` variables systemd gives the service (``Environment=``, and each
``EnvironmentFile=`` read and parsed as systemd does), a ``--config-file`` YAML, and etcd's defaults, in etcd's own
precedence for the version installed. A failure names where its value came from, and its fix edits that place.
"""

from __future__ import annotations

from core.answers import Ask
from core.etcdconfig import (HARMLESS, SPECIAL_VARIABLES, UNCLASSIFIED, WEAKENS, Effective, Value, classify,
                             environment_files, from_flags, parse_environment_file, parse_environment_property)
from core.evidence import Evidence, Result, quote_command
from core.i18n import N_
from core.model import TUTORIAL_URL, Member
from core.remote import Remote
from core.systemd import normalise
from core.version import version_in

SEE = TUTORIAL_URL + "#configure-the-etcd-server"


def _cat(path: str) -> str:
    return quote_command("cat -- %s", path)


def _props(remote: Remote, member: Member) -> tuple[Evidence, dict[str, str]]:
    from checks.unit import show

    return show(remote, member)


def _environment(remote: Remote, member: Member, props: dict[str, str], evidence: list[Evidence],
                 refused: list[str]) -> list[tuple[str, str, str]]:
    """The environment systemd gives the service now: Environment=, then each EnvironmentFile= (later wins)."""
    unit = props.get("FragmentPath") or member.unit_path
    env = [(k, v, N_("Environment= of {unit}").format(unit=unit)) for k, v in parse_environment_property(props.get("Environment", ""))]
    for path, optional in environment_files(props.get("EnvironmentFiles", "")):
        ev = remote.look(_cat(path))
        evidence.append(ev)
        if ev.ok:
            env += [(k, v, path) for k, v in parse_environment_file(ev.stdout)]
        elif ev.rc is not None and not optional:
            refused.append(N_("EnvironmentFile={path} cannot be read ({value}): systemd does not start the service").format(path=path, value=ev.stderr.strip() or f'exit {ev.rc}'))
    return env


def _version(remote: Remote, member: Member) -> str:
    from checks.binaries import version_command

    ev = remote.look(version_command(member, "etcd"))
    return (version_in(ev.stdout) if ev.ok else "") or (getattr(remote, "expected_version", None) or "")


def effective(remote: Remote, member: Member) -> tuple[Effective, list[Evidence], str]:
    """The configuration etcd applies (or would, at its next start), the evidence read, and the unit's path."""
    from checks.process import expand, unit_argv

    show_ev, props = _props(remote, member)
    evidence = [show_ev]
    refused: list[str] = []
    env = _environment(remote, member, props, evidence, refused)
    argv = expand(unit_argv(props), {k: v for k, v, _ in env})
    unit = props.get("FragmentPath") or member.unit_path

    def read(path: str) -> str | None:
        ev = remote.look(_cat(path))
        evidence.append(ev)
        return ev.stdout if ev.ok else None

    eff = from_flags(argv, env, unit, _version(remote, member), read) if argv else Effective()
    eff.refused[:0] = refused
    return eff, evidence, unit


def asks(member: Member, answers) -> list[Ask]:
    """What the first answers name: the environment files, and a configuration file (also one named in them, on
    the next round)."""
    from checks.process import unit_argv

    _, props = _props(answers, member)
    out = [(_cat(path), None) for path, _ in environment_files(props.get("EnvironmentFiles", ""))]
    if unit_argv(props):
        eff, _, _ = effective(answers, member)
        if eff.config_file:
            out.append((_cat(eff.config_file), None))
    return out


def needs(member: Member) -> list[Ask]:
    from checks.binaries import UNAME, version_command
    from checks.unit import show_command

    return [(show_command(member), None), (version_command(member, "etcd"), None), (UNAME, None)]


def _expected(member: Member) -> dict[str, str]:
    return {f.lstrip("-"): v for f, v in member.flags()}


def fix_for(member: Member, found: Value, want: str, eff: Effective, unit: str) -> str:
    """An exact edit of the place the value comes from (or, for a default, of where the others are set)."""
    restart = f"systemctl daemon-reload && systemctl restart {member.service}"
    name = found.setting
    if found.source == "variable" and not found.place.startswith("Environment="):
        return f"sed -i 's|^{found.key}=.*|{found.key}={want}|' {found.place} && {restart}"
    if found.source == "variable":
        return f"set Environment=\"{found.key}={want}\" in {unit}, then {restart}"
    if found.source == "config file":
        return (N_("set {replace}: {want} in {place} (YAML), then systemctl restart {service}").format(replace=found.key.replace('.', ': '), want=want, place=found.place, service=member.service))
    if found.source == "default":
        files = {v.place for v in eff.values.values() if v.source == "variable" and not v.place.startswith("Env")}
        if eff.config_file:
            return N_("add {name}: {want} to {config_file} (YAML), then systemctl restart {service}").format(name=name, want=want, config_file=eff.config_file, service=member.service)
        if len(files) == 1:
            path = files.pop()
            key = "ETCD_" + name.upper().replace("-", "_")
            return f"echo '{key}={want}' >> {path} && {restart}"
        return (N_("add --{name} {want} to ExecStart= in {unit} (one line per flag, each ending in a bare "
                   "backslash), then {restart}").format(name=name, want=want, unit=unit, restart=restart))
    return (N_("set --{name} {want} in {unit} (one line per flag, each ending in a bare backslash), "
               "then {restart}").format(name=name, want=want, unit=unit, restart=restart))


def setting(remote: Remote, member: Member, flag_name: str) -> Result:
    """One of the step's settings, as etcd applies it, has the configured value."""
    expected = _expected(member)
    name = flag_name.lstrip("-")
    if name not in expected:
        raise ValueError(f"--{name} is not part of the desired state")
    want = expected[name]
    eff, evidence, unit = effective(remote, member)
    what = N_("etcd runs with {name} {want}").format(name=name, want=want)
    if not eff.values and not eff.refused:
        return Result(what=what, ok=False, expected=f"{name} {want}", found=N_("no ExecStart in {unit}").format(unit=unit),
                      evidence=evidence, fix=fix_for(member, Value(name, "", "flag"), want, eff, unit), see=SEE)
    found = eff.get(name)
    ok = normalise(name, found.value) == normalise(name, want)
    shown = N_("{name} {value}, from {where}").format(name=name, value=found.value or "(empty)", where=found.where())
    notes = []
    if ok and found.source == "default":
        notes.append(N_("{name} is left at etcd's default, {value}, which is the step's value").format(name=name, value=found.value))
    elif ok and found.source != "flag":
        notes.append(N_("{name} is set by {where}").format(name=name, where=found.where()))
    if found.source == "default" and not ok:
        shown = N_("{name} is set nowhere: etcd's default is {value}").format(name=name, value=found.value or '(empty)')
    fix = fix_for(member, found, want, eff, unit)
    if name == "name" and not ok and found.value:
        fix += N_("; or, if it is the host's name that is wrong: hostnamectl set-hostname {value}").format(value=found.value)
    return Result(what=what, ok=ok, expected=f"{name} {want}", found=shown, evidence=evidence, fix=fix, see=SEE,
                  notes=notes)


def no_other(remote: Remote, member: Member) -> Result:
    """etcd runs the installed binary with the step's settings; any other setting changes nothing the step claims."""
    from checks.binaries import UNAME
    from checks.process import unit_argv
    from checks.unit import unit_fix

    eff, evidence, unit = effective(remote, member)
    _, props = _props(remote, member)
    argv = unit_argv(props)
    arch_ev = remote.look(UNAME)
    arch = arch_ev.stdout.strip() if arch_ev.ok else ""
    expected = set(_expected(member)) | {"config-file"}
    failing: list[str] = list(eff.refused)
    warn: list[str] = []
    notes: list[str] = []
    if argv and argv[0] != member.etcd_path:
        failing.insert(0, N_("runs {value} instead of {etcd_path}").format(value=argv[0], etcd_path=member.etcd_path))
    fixes: list[str] = []
    for v in eff.values.values():
        if v.setting in expected:
            continue
        kind, why = classify(v.setting, v.value, arch)
        line = N_("{key}={value} in {place}: {why}").format(key=v.key, value=v.value, place=v.place, why=why)
        if kind == WEAKENS:
            failing.append(line)
            fixes.append(_remove(v, member, unit))
        elif kind == UNCLASSIFIED:
            warn.append(line)
        else:
            notes.append(line)
    for key, value, place in _special(remote, member, props):
        if key == "ETCD_CONFIG_FILE":
            continue
        kind, why = classify(key, value, arch) if key == "ETCD_UNSUPPORTED_ARCH" else (
            UNCLASSIFIED, N_("etcd does not take it as a setting"))
        line = N_("{key}={value} in {place}: {why}").format(key=key, value=value, place=place, why=why)
        (failing if kind == WEAKENS else warn if kind == UNCLASSIFIED else notes).append(line)
    for v in eff.unknown:
        failing.append((N_("{key} in {place}: etcd {version} knows no such setting and ignores it (a misspelt variable "
                           "leaves its setting at the default)") if v.source == "variable" else
                        N_("{key} in {place}: etcd {version} knows no such setting and ignores it"))
                       .format(key=v.key, place=v.place, version=eff.version))
        fixes.append(_remove(v, member, unit))
    for v in eff.ignored:
        notes.append(N_("{key} in {place} is ignored by etcd").format(key=v.key, place=v.place)
                     + (N_(" (the configuration file {config_file} wins)").format(config_file=eff.config_file) if eff.config_file
                        else N_(" (no longer supported)")))
    if not eff.exact_table and (warn or failing):
        warn.append(N_("etcd's settings were read with {version}'s table (this release has none of its own)").format(version=eff.version))
    ok = bool(argv) and not failing
    found = "; ".join(failing) if failing else (N_("no ExecStart") if not argv else N_("nothing that changes the step"))
    return Result(what=N_("etcd runs {etcd_path} with the step's settings and nothing that changes them").format(etcd_path=member.etcd_path),
                  ok=ok, expected=N_("{etcd_path}; only: {items}; other settings only if they change nothing the step claims").format(etcd_path=member.etcd_path, items=', '.join(sorted(expected - {'config-file'}))), found=found, evidence=evidence + [arch_ev],
                  fix=" && ".join(dict.fromkeys(fixes)) if fixes and len(fixes) == len(failing) else unit_fix(member),
                  see=SEE, warning="; ".join(warn), notes=notes)


def _special(remote: Remote, member: Member, props: dict[str, str]) -> list[tuple[str, str, str]]:
    refused: list[str] = []
    env = _environment(remote, member, props, [], refused)
    return [(k, v, p) for k, v, p in env if k in SPECIAL_VARIABLES]


def _remove(v: Value, member: Member, unit: str) -> str:
    """The edit that takes a setting out of where it is written."""
    restart = f"systemctl daemon-reload && systemctl restart {member.service}"
    if v.source == "variable" and not v.place.startswith("Environment="):
        return f"sed -i '/^{v.key}=/d' {v.place} && {restart}"
    if v.source == "config file":
        return N_("remove {key} from {place}, then systemctl restart {service}").format(key=v.key, place=v.place, service=member.service)
    if v.source == "variable":
        return f"remove Environment=\"{v.key}=...\" from {unit}, then {restart}"
    return f"remove {v.key} from ExecStart= in {unit}, then {restart}"


__all__ = ["HARMLESS", "asks", "effective", "needs", "no_other", "setting"]
