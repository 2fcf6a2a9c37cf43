"""Files and directories the step leaves behind: binaries, config and data directories, certificates."""

from __future__ import annotations

from dataclasses import dataclass

from core.evidence import Evidence, Result
from core.remote import Remote
from core.model import TUTORIAL_URL, Member

STAT_FORMAT = "%F|%a|%U|%G"
SEE_INSTALL = TUTORIAL_URL + "#install-the-etcd-binaries"
SEE_CONFIGURE = TUTORIAL_URL + "#configure-the-etcd-server"


@dataclass(frozen=True)
class Stat:
    kind: str  # "regular file", "directory", "symbolic link", ...
    mode: int
    owner: str
    group: str


def parse_stat(line: str) -> Stat:
    kind, mode, owner, group = line.strip().split("|")
    return Stat(kind.replace("regular empty file", "regular file"), int(mode, 8), owner, group)


def stat(remote: Remote, path: str) -> tuple[Evidence, Stat | None]:
    ev = remote.look("stat -L -c %s -- %s", STAT_FORMAT, path)
    if not ev.ok or not ev.stdout.strip():
        return ev, None
    return ev, parse_stat(ev.stdout.splitlines()[0])


def describe(st: Stat | None) -> str:
    if st is None:
        return "missing"
    return f"{st.kind}, mode {st.mode:04o}, owner {st.owner}:{st.group}"


# ----- expectations as data -------------------------------------------------------------------
EXACT, STRICTER = "exact", "or stricter"
ROOT_OWNED = ("root:root",)


@dataclass(frozen=True)
class ModeRule:
    """A file mode and how a found mode is compared with it: exactly, or this mode or stricter."""

    mode: int
    compare: str = EXACT

    def holds(self, found: int) -> bool:
        return found == self.mode if self.compare == EXACT else (found & ~self.mode & 0o7777) == 0

    def describe(self) -> str:
        return f"mode {self.mode:04o}" + ("" if self.compare == EXACT else f" {STRICTER}")


@dataclass(frozen=True)
class OwnerRule:
    """The owners (user:group) a path may have: any one of them."""

    any_of: tuple[str, ...] = ROOT_OWNED

    def holds(self, owner: str, group: str) -> bool:
        return f"{owner}:{group}" in self.any_of

    def describe(self) -> str:
        return "owner " + " or ".join(self.any_of)


# what a path of each kind must be: (file type, mode attribute of the model, comparison, owners)
RULES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "binary": ("regular file", "binary", EXACT, ROOT_OWNED),  # install -m 755: executable, not writable by others
    "data": ("directory", "data_dir", EXACT, ROOT_OWNED),  # chmod 700: etcd refuses or warns otherwise
    "configuration": ("directory", "config_dir", STRICTER, ROOT_OWNED),
    "unit": ("regular file", "unit", STRICTER, ROOT_OWNED),  # whoever can write it runs commands as root
    "certificate": ("regular file", "cert", STRICTER, ROOT_OWNED),
    "key": ("regular file", "key", STRICTER, ROOT_OWNED),  # never readable by others
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

    def judge(self, st: Stat | None) -> bool:
        return (st is not None and st.kind == self.kind and self.mode.holds(st.mode)
                and self.owner.holds(st.owner, st.group))

    def expected(self) -> str:
        return f"{self.kind}, {self.mode.describe()}, {self.owner.describe()}"


def spec(member: Member, rule: str, what: str, path: str, fix: str, see: str) -> PathSpec:
    kind, mode_attr, compare, owners = RULES[rule]
    return PathSpec(what, path, kind, ModeRule(getattr(member.modes, mode_attr), compare), OwnerRule(owners), fix, see)


def path_check(remote: Remote, expectation: PathSpec) -> Result:
    ev, st = stat(remote, expectation.path)
    e = expectation
    return Result(e.what, e.judge(st), e.expected(), describe(st), [ev], e.fix, e.see)


def binary(remote: Remote, member: Member, name: str) -> Result:
    path, mode = member.binaries[name], member.modes.binary
    return path_check(remote, spec(
        member, "binary", f"{name} is installed at {path}", path,
        f"install -o root -g root -m {mode:o} {name} {path}   # from downloads/ as in the tutorial", SEE_INSTALL))


def directory(remote: Remote, member: Member, which: str) -> Result:
    paths = {"data": (member.data_dir, member.modes.data_dir), "configuration": (member.config_dir, member.modes.config_dir)}
    if which not in paths:
        raise ValueError(f"no directory called {which!r}")
    path, mode = paths[which]
    return path_check(remote, spec(member, which, f"the {which} directory {path}", path,
                                   f"mkdir -p {path} && chmod {mode:o} {path}", SEE_CONFIGURE))


def certificate_file(remote: Remote, member: Member, name: str) -> Result:
    path = member.config_file(name)
    is_key = member.is_key(name)
    mode = member.modes.key if is_key else member.modes.cert
    return path_check(remote, spec(
        member, "key" if is_key else "certificate",
        f"{name} is in {member.config_dir}" + (" and not readable by others" if is_key else ""), path,
        f"cp {name} {member.config_dir}/ && chmod {mode:o} {path}", SEE_CONFIGURE))


def unit_file(remote: Remote, member: Member) -> Result:
    path, mode = member.unit_path, member.modes.unit
    return path_check(remote, spec(member, "unit", f"the unit file {path}", path,
                                   f"chown root:root {path} && chmod {mode:o} {path}", SEE_CONFIGURE))
