"""The installed etcd and etcdctl report their version."""

from __future__ import annotations

from core.evidence import Result
from core.remote import Remote
from core.version import VersionError, etcd_version
from core.model import TUTORIAL_URL, Member

VERSION_COMMAND = {"etcd": "%s --version", "etcdctl": "%s version"}


def reports_version(remote: Remote, member: Member, name: str, expected: str | None = None) -> Result:
    """``etcd --version`` / ``etcdctl version`` runs and names a version (the provisioned one, when known)."""
    path = member.binaries[name]
    ev = remote.look(VERSION_COMMAND[name], path)
    try:
        found = etcd_version(ev.stdout)
    except VersionError:
        found = ""
    ok = ev.ok and bool(found) and (expected is None or found == expected)
    want = expected or "a version"
    if not ev.ok:
        shown = f"it does not run (exit {ev.rc})"
    else:
        shown = found or "no version in its output"
    fix = f"install -o root -g root -m {member.modes.binary:o} {name} {path}   # the release downloaded for the step"
    if ev.rc == 126:  # it is there but may not be run: its mode is what is wrong
        shown += ": permission denied"
        fix = f"chmod {member.modes.binary:o} {path}"
    return Result(
        f"{path} reports {'version ' + expected if expected else 'its version'}", ok, want, shown, [ev],
        fix, TUTORIAL_URL + "#install-the-etcd-binaries",
    )
