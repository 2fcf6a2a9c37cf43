"""The installed etcd and etcdctl report their version."""

from __future__ import annotations

from core.evidence import Evidence, Result, quote_command
from core.i18n import N_
from core.remote import Remote
from core.version import version_in
from core.model import TUTORIAL_URL, Member

VERSION_COMMAND = {"etcd": "%s --version", "etcdctl": "%s version"}
UNAME = "uname -m"


def version_command(member: Member, name: str) -> str:
    return quote_command(VERSION_COMMAND[name], member.binaries[name])

# ``uname -m`` → the architecture in etcd's release names (etcd-vX-linux-<arch>.tar.gz)
RELEASE_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64", "ppc64le": "ppc64le", "s390x": "s390x"}


def wrong_architecture(ev: Evidence) -> bool:
    """The binary is there but the kernel cannot run it: built for another architecture (the shell's
    "Exec format error"; bash says "cannot execute binary file")."""
    err = ev.stderr.lower()
    return ev.rc == 126 and ("exec format error" in err or "cannot execute binary file" in err)


def architecture_fix(remote: Remote, name: str, path: str, mode: int) -> tuple[str, Evidence]:
    """The fix for a binary built for another architecture, naming the release this host needs."""
    ev = remote.look(UNAME)
    machine = ev.stdout.strip() if ev.ok else ""
    arch = RELEASE_ARCH.get(machine, "")
    which = N_("the etcd-vX-linux-{arch} release").format(arch=arch) if arch else N_("the release built for this host's architecture")
    return (f"install -o root -g root -m {mode:o} {name} {path}   # " + N_(
        "{name} from {which}: this host is {machine} (uname -m), the installed one is built for another "
        "architecture").format(name=name, which=which, machine=machine or "unknown")), ev


def reports_version(remote: Remote, member: Member, name: str, expected: str | None = None) -> Result:
    """``etcd --version`` / ``etcdctl version`` runs and names a version (the provisioned one, when known)."""
    path = member.binaries[name]
    ev = remote.look(version_command(member, name))
    found = version_in(ev.stdout)
    ok = ev.ok and bool(found) and (expected is None or found == expected)
    want = expected or N_("a version")
    if not ev.ok:
        shown = N_("it does not run (exit {rc})").format(rc=ev.rc)
    else:
        shown = found or N_("no version in its output")
    fix = f"install -o root -g root -m {member.modes.binary:o} {name} {path}   # " + N_("the release downloaded for the step")
    evidence = [ev]
    if wrong_architecture(ev):
        shown = N_("{shown}: exec format error (built for another architecture)").format(shown=shown)
        fix, machine = architecture_fix(remote, name, path, member.modes.binary)
        evidence.append(machine)
    elif ev.rc == 126:  # it is there but may not be run: its mode is what is wrong
        shown = N_("{shown}: permission denied").format(shown=shown)
        fix = f"chmod {member.modes.binary:o} {path}"
    return Result(
        what=f"{path} reports {'version ' + expected if expected else 'its version'}", ok=ok, expected=want,
        found=shown, evidence=evidence, fix=fix, see=TUTORIAL_URL + "#install-the-etcd-binaries")
