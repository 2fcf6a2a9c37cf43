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


def judge(st: Stat | None, kind: str, mode: int, exact: bool) -> bool:
    if st is None or st.kind != kind or (st.owner, st.group) != ("root", "root"):
        return False
    return st.mode == mode if exact else (st.mode & ~mode) == 0


def path_check(
    remote: Remote, what: str, path: str, kind: str, mode: int, fix: str, exact: bool = True, see: str = ""
) -> Result:
    ev, st = stat(remote, path)
    expected = f"{kind}, mode {mode:04o}{'' if exact else ' or stricter'}, owner root:root"
    return Result(what, judge(st, kind, mode, exact), expected, describe(st), [ev], fix, see)


def binary(remote: Remote, member: Member, name: str) -> Result:
    path = member.binaries[name]
    return path_check(
        remote, f"{name} is installed at {path}", path, "regular file", member.modes.binary,
        fix=f"install -o root -g root -m {member.modes.binary:o} {name} {path}   # from downloads/ as in the tutorial",
        see=SEE_INSTALL,
    )


def directory(remote: Remote, member: Member, which: str) -> Result:
    if which == "data":
        path, mode, exact = member.data_dir, member.modes.data_dir, True
        fix = f"mkdir -p {path} && chmod {mode:o} {path}"
    elif which == "configuration":
        path, mode, exact = member.config_dir, member.modes.config_dir, False
        fix = f"mkdir -p {path} && chmod {mode:o} {path}"
    else:
        raise ValueError(f"no directory called {which!r}")
    return path_check(remote, f"the {which} directory {path}", path, "directory", mode, fix, exact, SEE_CONFIGURE)


def certificate_file(remote: Remote, member: Member, name: str) -> Result:
    path = member.config_file(name)
    is_key = member.is_key(name)
    mode = member.modes.key if is_key else member.modes.cert
    fix = f"cp {name} {member.config_dir}/ && chmod {mode:o} {path}"
    return path_check(
        remote, f"{name} is in {member.config_dir}" + (" and not readable by others" if is_key else ""),
        path, "regular file", mode, fix, exact=False, see=SEE_CONFIGURE,
    )
