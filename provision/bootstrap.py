"""Carry out the etcd step on a host, idempotently, over the SSH connection the checks use.

What the tutorial does by hand (scp to root's home, mv to /usr/local/bin, mkdir, chmod 700, cp the
certificates, mv the unit, daemon-reload, enable, start), with every action reported as ok (nothing
to do), changed or failed, with its command and output. A second run changes nothing and does not
restart etcd. The data directory is created when missing and never deleted.

    python -m provision.bootstrap [--hosts HOST,...] [--ssh-config FILE] [--etcd-set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import hashlib
import posixpath
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from core.evidence import CheckFailure, PreconditionFailure, Evidence
from core.remote import Remote
from provision.binaries import Binaries
from core.model import Member
from provision.render import render_unit

OK, CHANGED, FAILED = "ok", "changed", "failed"


@dataclass
class Action:
    name: str
    status: str
    evidence: list[Evidence] = field(default_factory=list)
    detail: str = ""

    def line(self) -> str:
        cmd = self.evidence[-1].command if self.evidence else ""
        return f"{self.status:<8} {self.name}" + (f"  ({self.detail})" if self.detail else "") + (
            f"\n         $ {cmd}" if self.status != OK and cmd else ""
        )


class BootstrapError(RuntimeError):
    def __init__(self, action: Action):
        self.action = action
        ev = "\n".join(e.render() for e in action.evidence[-2:])
        super().__init__(f"bootstrap failed at '{action.name}': {action.detail}\n{ev}")


@dataclass
class Artifact:
    """A file the step puts on the host."""

    name: str  # staging name in the login user's home
    target: str
    mode: int
    data: bytes | None = None
    path: Path | None = None
    restarts_etcd: bool = False

    def content(self) -> bytes:
        if self.data is None:
            assert self.path is not None
            self.data = self.path.read_bytes()
        return self.data

    def sha256(self) -> str:
        return hashlib.sha256(self.content()).hexdigest()


def artifacts(member: Member, binaries: Binaries, certs: dict[str, Path]) -> list[Artifact]:
    out = [
        Artifact("etcd", member.etcd_path, member.modes.binary, path=binaries.etcd, restarts_etcd=True),
        Artifact("etcdctl", member.etcdctl_path, member.modes.binary, path=binaries.etcdctl),
    ]
    for name in member.certificates:
        mode = member.modes.key if member.is_key(name) else member.modes.cert
        out.append(Artifact(name, member.config_file(name), mode, path=certs[name]))
    out.append(
        Artifact(member.unit_name, member.unit_path, member.modes.unit, data=render_unit(member).encode())
    )
    return out


class Bootstrap:
    def __init__(
        self,
        remote: Remote,
        member: Member,
        binaries: Binaries,
        certs: dict[str, Path],
        progress: Callable[[Action], None] | None = None,
    ):
        self.remote = remote
        self.member = member
        self.binaries = binaries
        self.certs = certs
        self.progress = progress or (lambda a: None)
        self.actions: list[Action] = []

    def _done(self, action: Action) -> Action:
        self.actions.append(action)
        self.progress(action)
        if action.status == FAILED:
            raise BootstrapError(action)
        return action

    def _sftp(self):
        try:
            return self.remote.sftp()
        except CheckFailure as exc:
            raise BootstrapError(Action("open SFTP", FAILED, detail=exc.result.found)) from None

    # ----- the actions -------------------------------------------------------------------
    def run(self, start: bool = True) -> list[Action]:
        """Carry the step out; with ``start=False`` etcd is enabled but not started (a cluster's members
        are started together)."""
        began = time.monotonic()
        probe = self.remote.run("id -u; command -v systemctl")
        if probe.rc != 0 or probe.stdout.split()[:1] != ["0"]:
            self._done(Action("root and systemd on the host", FAILED, [probe],
                              "commands must run as root (log in as root, or --sudo) on a systemd host"))
        arts = artifacts(self.member, self.binaries, self.certs)
        sftp = self._sftp()
        try:
            home = sftp.normalize(".")
            self.directories()
            done = [(art, self.install(art, sftp, home)) for art in arts]
        finally:
            sftp.close()
        changed = [art for art, action in done if action.status == CHANGED]
        unit_changed = any(art.target == self.member.unit_path for art in changed)
        restart = unit_changed or any(art.restarts_etcd for art in changed)
        self.daemon_reload(unit_changed)
        self.enable()
        if start:
            self.start(restart)
        self.progress(Action(f"bootstrap finished in {time.monotonic() - began:.1f}s", OK))
        return self.actions

    def directories(self) -> None:
        m = self.member
        ev = self.remote.run("stat -c '%%a %%n' -- %s %s", m.config_dir, m.data_dir)
        found = dict(reversed(line.split(" ", 1)) for line in ev.stdout.splitlines() if " " in line)
        if m.config_dir in found and m.data_dir in found:
            self._done(Action(f"mkdir -p {m.config_dir} {m.data_dir}", OK))
        else:
            mk = self.remote.run("mkdir -p -- %s %s", m.config_dir, m.data_dir)
            self._done(Action(f"mkdir -p {m.config_dir} {m.data_dir}", CHANGED if mk.ok else FAILED, [ev, mk]))
        want = f"{m.modes.data_dir:o}"
        if found.get(m.data_dir) == want:
            self._done(Action(f"chmod {want} {m.data_dir}", OK))
        else:
            ch = self.remote.run("chmod %s -- %s", want, m.data_dir)
            self._done(Action(f"chmod {want} {m.data_dir}", CHANGED if ch.ok else FAILED, [ch]))

    def install(self, art: Artifact, sftp, home: str) -> Action:
        name = f"install {art.target} ({art.mode:04o})"
        want_mode = f"{art.mode:o}"
        ev = self.remote.run("sha256sum -- %s && stat -c '%%a %%U:%%G' -- %s", art.target, art.target)
        lines = ev.stdout.split("\n")
        if ev.ok and lines[0].split()[:1] == [art.sha256()]:
            mode_owner = lines[1].split() if len(lines) > 1 else []
            if mode_owner == [want_mode, "root:root"]:
                return self._done(Action(name, OK))
            fix = self.remote.run("chown root:root -- %s && chmod %s -- %s", art.target, want_mode, art.target)
            return self._done(Action(name, CHANGED if fix.ok else FAILED, [ev, fix], "mode/owner"))
        staging = posixpath.join(home, art.name)
        try:
            with sftp.open(staging, "wb") as fh:
                fh.set_pipelined(True)
                fh.write(art.content())
        except OSError as exc:
            return self._done(Action(name, FAILED, [ev], f"upload to {staging}: {exc}"))
        # install beside the target, then rename over it: atomic, and a running binary is replaced
        # without "text file busy"; the staging copy in the home directory is moved away like the tutorial's mv
        tmp = f"{art.target}.kthw-new"
        inst = self.remote.run(
            "install -o root -g root -m %s -- %s %s && mv -f -- %s %s && rm -f -- %s",
            want_mode, staging, tmp, tmp, art.target, staging,
        )
        return self._done(Action(name, CHANGED if inst.ok else FAILED, [inst], "uploaded"))

    def daemon_reload(self, unit_changed: bool) -> None:
        ev = self.remote.run("systemctl show -p NeedDaemonReload --value -- %s", self.member.unit_name)
        if not unit_changed and ev.stdout.strip() != "yes":
            self._done(Action("systemctl daemon-reload", OK))
            return
        rl = self.remote.run("systemctl daemon-reload", timeout=60)
        self._done(Action("systemctl daemon-reload", CHANGED if rl.ok else FAILED, [rl]))

    def enable(self) -> None:
        ev = self.remote.run("systemctl is-enabled -- %s", self.member.service)
        if ev.stdout.strip() == "enabled":
            self._done(Action(f"systemctl enable {self.member.service}", OK))
            return
        en = self.remote.run("systemctl enable -- %s", self.member.service, timeout=60)
        self._done(Action(f"systemctl enable {self.member.service}", CHANGED if en.ok else FAILED, [en]))

    def start(self, restart: bool) -> None:
        svc = self.member.service
        active = self.remote.run("systemctl is-active -- %s", svc).stdout.strip() == "active"
        if active and not restart:
            self._done(Action(f"systemctl start {svc}", OK))
            return
        verb = "restart" if active else "start"
        ev = self.remote.run("systemctl %s -- %s", verb, svc, timeout=90)
        if not ev.ok:
            journal = self.remote.run("journalctl -u %s -n 20 --no-pager -o cat", svc)
            self._done(Action(f"systemctl {verb} {svc}", FAILED, [ev, journal], "etcd did not start"))
        self._done(Action(f"systemctl {verb} {svc}", CHANGED, [ev]))


def needs_restart(actions: list[Action]) -> bool:
    """A running etcd must be restarted to take what these actions changed (its unit or a binary)."""
    return any(a.name.startswith(("install", "systemctl daemon-reload")) and a.status == CHANGED for a in actions)


def start_together(members: list[tuple[Remote, Member, bool]], timeout: float = 90) -> dict[int, BootstrapError]:
    """Start etcd on every member of a new cluster at once (``restart`` where its unit or binary changed), then
    wait for each to be active: a new cluster forms only when a quorum of its members is up, so one member
    started (and waited for) alone would wait for the others. {index in ``members``: why it did not start}."""
    from core.wait import wait_for

    for remote, member, restart in members:
        remote.run("systemctl %s --no-block -- %s", "restart" if restart else "start", member.service)
    failures: dict[int, BootstrapError] = {}
    for i, (remote, member, _) in enumerate(members):
        def active(r: Remote = remote, m: Member = member) -> tuple[bool, str]:
            state = r.run("systemctl is-active -- %s", m.service).stdout.strip()
            return state == "active", state

        done, state, _ = wait_for(active, timeout, interval=0.5)
        if not done:
            journal = remote.run("journalctl -u %s -n 15 --no-pager -o cat", member.service)
            failures[i] = BootstrapError(Action(f"systemctl start {member.service}", FAILED, [journal],
                                                f"etcd is {state} after {timeout:.0f}s"))
    return failures


def report(actions: list[Action]) -> str:
    counts = {s: sum(a.status == s for a in actions) for s in (OK, CHANGED, FAILED)}
    return "\n".join(a.line() for a in actions) + "\n" + ", ".join(f"{n} {s}" for s, n in counts.items())


def bootstrap_hosts(names: list[str], make: Callable[[str], "Bootstrap"], forks: int = 5,
                    out=None) -> dict[str, str]:
    """Carry out the step on several hosts at once, at most ``forks`` at a time (Ansible's forks): one line
    per host and action as it happens, then a summary. {host: "ok" | "changed" | "failed: why"}."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    out = out or sys.stdout
    lock = threading.Lock()

    def say(line: str) -> None:
        with lock:
            print(line, file=out, flush=True)

    def one(name: str) -> str:
        boot = None
        try:
            boot = make(name)
            boot.progress = lambda a, n=name: say(f"{n}: {a.line()}")
            actions = boot.run()
        except BootstrapError as exc:
            return f"failed: {str(exc).splitlines()[0]}"
        except CheckFailure as exc:  # the connection lost (or never made) mid-way: which action it cut off
            why = exc.line() if isinstance(exc, PreconditionFailure) else exc.result.found
            done = [a.name for a in boot.actions] if boot is not None else []
            return f"failed: {why} (cut off after {done[-1] if done else 'the first action'}: the actions after it " \
                   f"did not finish; running the bootstrap again completes them)"
        except Exception as exc:  # noqa: BLE001 - one host's surprise must not stop the others
            return f"failed: {type(exc).__name__}: {exc}"
        return CHANGED if any(a.status == CHANGED for a in actions) else OK

    with ThreadPoolExecutor(max_workers=max(1, min(forks, len(names)))) as pool:
        results = dict(zip(names, pool.map(one, names)))
    counts = {k: sum(1 for v in results.values() if v.split(":")[0] == k) for k in (OK, CHANGED, FAILED)}
    say(f"== summary: {len(names)} hosts: {counts[OK]} ok, {counts[CHANGED]} changed, {counts[FAILED]} failed")
    for name, status in results.items():
        if status.startswith(FAILED):
            say(f"{name}: {status}")
    return results


def main(argv: list[str] | None = None) -> int:
    import testinfra

    from provision import certs as certs_mod
    from core import ssh
    from provision.binaries import BinariesError, ensure
    from core.model import ModelError, load
    from provision.targets import TargetError, check_hosts, check_ssh_config

    parser = argparse.ArgumentParser(prog="python -m provision.bootstrap", description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", default="server", help="comma-separated hosts (default: server)")
    parser.add_argument("--forks", type=int, default=5, help="hosts bootstrapped at once (default 5, as Ansible)")
    parser.add_argument("--ssh-config", default=None, help="SSH config (default: .lab/ssh_config if it exists)")
    parser.add_argument("--ssh-identity-file", default=None)
    parser.add_argument("--sudo", action="store_true", help="run commands with sudo")
    parser.add_argument("--etcd-config", default=None)
    parser.add_argument("--etcd-set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--etcd-binaries", default=None, help="directory in KTHW's layout (default: downloads/)")
    parser.add_argument("--certs-dir", default=None, help="ca.crt, kube-api-server.key/.crt (default: lab's)")
    args = parser.parse_args(argv)
    if args.forks < 1:
        parser.error("--forks must be 1 or more")
    ssh.install()
    root = Path(__file__).resolve().parent.parent
    ssh_config = args.ssh_config or (str(root / ".lab/ssh_config") if (root / ".lab/ssh_config").exists() else None)
    try:
        check_ssh_config(args.ssh_config)
        names = check_hosts(args.hosts)
        binaries = ensure("debian", Path(args.etcd_binaries) if args.etcd_binaries else None)
        load(args.etcd_config, args.etcd_set, name="server")  # bad settings: one line before any host
    except (ModelError, BinariesError, TargetError) as exc:
        print(f"bootstrap: error: {exc}", file=sys.stderr)
        return 2

    def make(name: str) -> Bootstrap:
        host = testinfra.get_host(f"paramiko://{name}", ssh_config=ssh_config,
                                  ssh_identity_file=args.ssh_identity_file, sudo=args.sudo)
        remote = Remote(host)
        said = remote.look("hostname -s").stdout.strip()  # the member is named after the host, as it says
        member = load(args.etcd_config, args.etcd_set, name=said or name.split("@")[-1].split(":")[0])
        try:
            certs = certs_mod.ensure(member, Path(args.certs_dir) if args.certs_dir else None)
        except certs_mod.CertsError as exc:
            raise BootstrapError(Action("certificates", FAILED, [], str(exc))) from None
        return Bootstrap(remote, member, binaries, certs)

    results = bootstrap_hosts(names, make, args.forks)
    return 1 if any(v.startswith(FAILED) for v in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
