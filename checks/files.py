"""Files and directories the step leaves behind: binaries, config and data directories, certificates."""

from __future__ import annotations

from dataclasses import dataclass

from core.answers import Ask
from core.evidence import Evidence, Result, quote_command
from core.i18n import N_
from core.remote import Remote
from core.model import TUTORIAL_URL, Member

STAT_FORMAT = "%F|%a|%U|%G|%u|%g"
# stat's words for a file's type (%F), shown in what the checks found
KINDS = (N_("regular file"), N_("directory"), N_("symbolic link"), N_("socket"), N_("fifo"))  # names, and the numbers for owners without one (stat says UNKNOWN)
SEE_INSTALL = TUTORIAL_URL + "#install-the-etcd-binaries"
SEE_CONFIGURE = TUTORIAL_URL + "#configure-the-etcd-server"


@dataclass(frozen=True)
class Stat:
    kind: str  # "regular file", "directory", "symbolic link", ...
    mode: int
    owner: str
    group: str


def parse_stat(line: str) -> Stat:
    kind, mode, owner, group, *ids = line.strip().split("|")
    if ids:  # an owner the host has no name for (a release archive's, unpacked as root) is shown by its number
        owner = ids[0] if owner == "UNKNOWN" else owner
        group = ids[1] if group == "UNKNOWN" else group
    return Stat(kind.replace("regular empty file", "regular file"), int(mode, 8), owner, group)


def stat_command(path: str) -> str:
    return quote_command("stat -L -c %s -- %s", STAT_FORMAT, path)


def group_command(user: str) -> str:
    return quote_command("id -gn -- %s", user)


def stat(remote: Remote, path: str) -> tuple[Evidence, Stat | None]:
    ev = remote.look(stat_command(path))
    if not ev.ok or not ev.stdout.strip():
        return ev, None
    return ev, parse_stat(ev.stdout.splitlines()[0])


def describe(st: Stat | None) -> str:
    if st is None:
        return N_("missing")
    return N_("{kind}, mode {mode}, owner {owner}").format(kind=st.kind, mode=f"{st.mode:04o}", owner=f"{st.owner}:{st.group}")


# ----- expectations as data -------------------------------------------------------------------
EXACT, STRICTER = "exact", "or stricter"
ROOT_OWNED = ("root:root",)
RUNNER = "the user etcd runs as"  # an owner that stands for the unit's User= (when it is not root)


@dataclass(frozen=True)
class ModeRule:
    """A file mode and how a found mode is compared with it: exactly, or this mode or stricter."""

    mode: int
    compare: str = EXACT

    def holds(self, found: int) -> bool:
        return found == self.mode if self.compare == EXACT else (found & ~self.mode & 0o7777) == 0

    def describe(self) -> str:
        return (N_("mode {mode}") if self.compare == EXACT else N_("mode {mode} or stricter")).format(mode=f"{self.mode:04o}")


@dataclass(frozen=True)
class Runner:
    """The user and group systemd runs etcd as (``User=``/``Group=`` of the unit; root when unset)."""

    user: str = "root"
    group: str = "root"

    @property
    def root(self) -> bool:
        return self.user in ("root", "0")

    def can(self, st: Stat, bits: int) -> bool:
        """Whether this user may read (4) / enter or run (1) the path, by its owner, group and mode."""
        if self.root:  # root reads anything, but runs only what has an execute bit
            return not (bits & 1 and st.kind == "regular file") or bool(st.mode & 0o111)
        if st.owner == self.user:
            return (st.mode >> 6) & bits == bits
        if st.group == self.group:
            return (st.mode >> 3) & bits == bits
        return st.mode & bits == bits


@dataclass(frozen=True)
class OwnerRule:
    """The owners (user:group) a path may have: any one of them; ``RUNNER`` is etcd's own user, any group."""

    any_of: tuple[str, ...] = ROOT_OWNED
    runner: Runner = Runner()

    def holds(self, owner: str, group: str) -> bool:
        if f"{owner}:{group}" in self.any_of:
            return True
        return RUNNER in self.any_of and not self.runner.root and owner == self.runner.user

    def describe(self) -> str:
        names = [self.runner.user if o == RUNNER else o for o in self.any_of
                 if o != RUNNER or not self.runner.root]
        return N_("owner {owners}").format(owners=" or ".join(names))


# what a path of each kind must be: (file type, mode attribute of the model, comparison, owners,
# what etcd's user needs of it when etcd uses it: 4 read, 1 enter/run, 5 both; 0 nothing)
RULES: dict[str, tuple[str, str, str, tuple[str, ...], int]] = {
    "binary": ("regular file", "binary", STRICTER, ROOT_OWNED, 1),  # install -m 755: runnable, not writable by others
    "data": ("directory", "data_dir", EXACT, ROOT_OWNED + (RUNNER,), 7),  # chmod 700: etcd refuses or warns otherwise
    "configuration": ("directory", "config_dir", STRICTER, ROOT_OWNED + (RUNNER,), 1),
    "unit": ("regular file", "unit", STRICTER, ROOT_OWNED, 0),  # whoever can write it runs commands as root
    "certificate": ("regular file", "cert", STRICTER, ROOT_OWNED + (RUNNER,), 4),
    "key": ("regular file", "key", STRICTER, ROOT_OWNED + (RUNNER,), 4),  # never readable by others
}


@dataclass(frozen=True)
class PathSpec:
    what: str
    path: str
    kind: str
    mode: ModeRule
    owner: OwnerRule
    fix: str
    see: str = ""
    needs: int = 0  # what etcd's user must be able to do with it (0: etcd does not use it)
    owner_fix: str = "root:root"  # who should own it, for the fix

    def diagnose(self, st: Stat | None) -> tuple[str, str]:
        """("", "") when the path is as expected, else (which part is wrong: missing, kind, mode, owner or usable;
        what is wrong, naming etcd's user where it matters)."""
        if st is None:
            return "missing", "missing"
        if st.kind != self.kind:
            return "kind", f"a {st.kind}, not a {self.kind}"
        if not self.mode.holds(st.mode):
            return "mode", f"mode {st.mode:04o}"
        if not self.owner.holds(st.owner, st.group):
            return "owner", f"owner {st.owner}:{st.group}"
        runner = self.owner.runner
        if self.needs and not runner.can(st, self.needs):
            verb = {4: N_("read"), 1: N_("run") if st.kind == "regular file" else N_("enter")}.get(self.needs, N_("use"))
            if runner.root:
                return "usable", N_("etcd runs as root, who cannot {verb} it: no execute bit").format(verb=verb)
            return "usable", N_("etcd runs as {user}, who cannot {verb} it").format(user=runner.user, verb=verb)
        return "", ""

    def problem(self, st: Stat | None) -> str:
        """'' when the path is as expected, else what is wrong."""
        return self.diagnose(st)[1]

    def judge(self, st: Stat | None) -> bool:
        return not self.problem(st)

    def expected(self) -> str:
        runner = self.owner.runner
        usable = N_(", usable by {user}").format(user=runner.user) if self.needs and not runner.root else ""
        return N_("{kind}, {mode}, {owner}{usable}").format(kind=self.kind, mode=self.mode.describe(), owner=self.owner.describe(),
                                                         usable=usable)


def runner(remote: Remote, member: Member) -> Runner:
    """The user and group systemd runs etcd as, from the loaded unit (``User=``, ``Group=``)."""
    from checks.unit import show

    _, props = show(remote, member)
    user = props.get("User") or "root"
    if user in ("root", "0"):
        return Runner()
    group = props.get("Group") or remote.look(group_command(user)).stdout.strip() or user
    return Runner(user, group)


def runner_asks(member: Member, answers) -> list[Ask]:
    """What :func:`runner` asks after ``systemctl show`` answered: the group of a User= without Group=."""
    from checks.unit import show

    _, props = show(answers, member)
    user = props.get("User") or "root"
    return [] if user in ("root", "0") or props.get("Group") else [(group_command(user), None)]


def spec(member: Member, rule: str, what: str, path: str, fix: str, see: str, who: Runner = Runner(),
         used: bool = True) -> PathSpec:
    kind, mode_attr, compare, owners, needs = RULES[rule]
    owner_fix = f"{who.user}:{who.group}" if used and not who.root and RUNNER in owners else "root:root"
    return PathSpec(what, path, kind, ModeRule(getattr(member.modes, mode_attr), compare), OwnerRule(owners, who),
                    fix, see, needs if used else 0, owner_fix)


def path_check(remote: Remote, expectation: PathSpec) -> Result:
    ev, st = stat(remote, expectation.path)
    e = expectation
    cause, problem = e.diagnose(st)
    usable = cause == "usable"
    found = N_("{found} ({problem})").format(found=describe(st), problem=problem) if usable and st is not None else describe(st)
    fix = e.fix
    if st is not None and st.kind == e.kind:  # it is there: fix only what is wrong, with a command that runs as is
        if cause == "mode" or (usable and st.owner == e.owner_fix.split(":")[0]):
            fix = f"chmod {e.mode.mode:o} {e.path}"
        elif cause == "owner" or usable:
            fix = f"chown {e.owner_fix} {e.path}"
    return Result(
        what=e.what, ok=not problem, expected=e.expected(), found=found, evidence=[ev], fix=fix, see=e.see,
        cause=cause)


def binary(remote: Remote, member: Member, name: str) -> Result:
    path, mode = member.binaries[name], member.modes.binary
    return path_check(remote, spec(
        member, "binary", N_("{name} is installed at {path}").format(name=name, path=path), path,
        f"install -o root -g root -m {mode:o} {name} {path}   # " + N_("from downloads/ as in the tutorial"), SEE_INSTALL,
        runner(remote, member), used=name == "etcd"))


def directory_spec(member: Member, which: str) -> tuple[str, str]:
    """(path, the mode it must have, in words) of the data or configuration directory: ``0700``, ``0755 or stricter``."""
    paths = {"data": member.data_dir, "configuration": member.config_dir}
    if which not in paths:
        raise ValueError(f"no directory called {which!r}")
    _, mode_attr, compare, _, _ = RULES[which]
    return paths[which], ModeRule(getattr(member.modes, mode_attr), compare).describe().removeprefix("mode ")


def directory(remote: Remote, member: Member, which: str) -> Result:
    paths = {"data": (member.data_dir, member.modes.data_dir), "configuration": (member.config_dir, member.modes.config_dir)}
    if which not in paths:
        raise ValueError(f"no directory called {which!r}")
    path, mode = paths[which]
    who = runner(remote, member)
    used = which == "data" or bool(member.tls_files())
    return path_check(remote, spec(member, which, (N_("the data directory {path}") if which == "data" else N_("the configuration directory {path}")).format(path=path), path,
                                   f"mkdir -p {path} && chmod {mode:o} {path}", SEE_CONFIGURE, who, used))


def certificate_file(remote: Remote, member: Member, name: str) -> Result:
    path = member.config_file(name)
    is_key = member.is_key(name)
    mode = member.modes.key if is_key else member.modes.cert
    who = runner(remote, member)
    used = path in member.tls_files().values()  # a file etcd itself reads (a TLS setup)
    return path_check(remote, spec(
        member, "key" if is_key else "certificate",
        (N_("{name} is in {config_dir} and not readable by others") if is_key else N_("{name} is in {config_dir}"))
        .format(name=name, config_dir=member.config_dir), path,
        f"cp {name} {member.config_dir}/ && chmod {mode:o} {path}",
        SEE_CONFIGURE, who, used))


def unit_file(remote: Remote, member: Member) -> Result:
    path, mode = member.unit_path, member.modes.unit
    return path_check(remote, spec(member, "unit", N_("the unit file {path}").format(path=path), path,
                                   f"chown root:root {path} && chmod {mode:o} {path}", SEE_CONFIGURE))


def rescue_fix(member: Member) -> str:
    """What keeps the data of a running etcd whose database is not in its data directory, as one line for the shell:
    its open files (``/proc/PID/fd``) name where the database is. Removed under it (``(deleted)``): they are copied
    back to their paths before etcd restarts on them; in another directory (started with another ``--data-dir``):
    that directory's ``member/`` is copied into the data directory with etcd stopped (the other is left as it is)."""
    d, service = member.data_dir.rstrip("/"), member.service
    comment = N_("# etcd runs, but its database is not in {d}: it was removed under it, or etcd was started with "
                 "another --data-dir (a daemon-reload without a restart). A restart would start an empty member, "
                 "and etcd whose directory was removed exits by itself within about 30 s (its purge of old files "
                 "fails); this keeps what it holds (its open files name where it is), at once:").format(d=d)
    return (comment + "\n"
            f"pid=$(systemctl show -p MainPID --value {service}); db=$(for fd in /proc/$pid/fd/*; do readlink \"$fd\"; "
            f"done 2>/dev/null | grep -m1 '/member/snap/db'); case \"$db\" in *' (deleted)') for fd in /proc/$pid/fd/*; do "
            f"t=$(readlink \"$fd\"); case \"$t\" in '{d}/member/'*' (deleted)') f=${{t% (deleted)}}; [ -f \"$fd\" ] && "
            f"(umask 077 && mkdir -p \"${{f%/*}}\") && cp \"$fd\" \"$f\";; esac; done; chmod {member.modes.data_dir:o} {d} && "
            f"systemctl restart {service};; '{d}/member/snap/db') echo 'etcd has restarted on {d} meanwhile: it holds nothing "
            f"more to save';; '') echo 'etcd has exited meanwhile: what it held went with it; starting it again' && "
            f"systemctl start {service};; *) systemctl stop {service} && mkdir -p -m {member.modes.data_dir:o} {d} && "
            f"cp -a \"${{db%/snap/db}}\" {d}/ && systemctl start {service};; esac")


def database_path(member: Member) -> str:
    """Where etcd keeps its database in the data directory (3.4 to 3.6; a --wal-dir elsewhere does not move it)."""
    return f"{member.data_dir.rstrip('/')}/member/snap/db"


def data_in_use(remote: Remote, member: Member) -> Result:
    """etcd keeps its database in the configured data directory: it creates ``member/snap/db`` there when it first
    starts on it. Missing while etcd runs, a restart would start an empty member (the data was removed under it, or
    etcd runs on another directory: a daemon-reload without a restart)."""
    from checks.unit import show

    path = database_path(member)
    ev, st = stat(remote, path)
    show_ev, props = show(remote, member)
    ok = st is not None and st.kind == "regular file"
    running = props.get("ActiveState") == "active"
    if ok:
        found = describe(st)
    elif running:
        found = N_("{value}, while {service} is active: its database is not in {data_dir}").format(value=describe(st), service=member.service, data_dir=member.data_dir)
    else:
        found = N_("{value} ({service} is {value2}: it never ran here)").format(value=describe(st), service=member.service, value2=props.get('ActiveState') or 'not loaded')
    fix = f"systemctl start {member.service} || journalctl -u {member.service} -n 50 --no-pager"
    evidence = [ev, show_ev]
    if not ok and running:
        fix = rescue_fix(member)
    return Result(
        what=N_("etcd keeps its database in {data_dir}").format(data_dir=member.data_dir), ok=ok, expected=N_("{path}: a regular file").format(path=path), found=found,
        evidence=evidence, fix=fix, see=SEE_CONFIGURE)
