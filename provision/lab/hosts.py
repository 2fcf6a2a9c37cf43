"""The lab's hosts and their life cycle: booted with systemd-nspawn on the lab's bridge, each in its cgroups,
ready when sshd answers and systemd has started, shut down leaving nothing behind."""

from __future__ import annotations

import base64
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from core.files import atomic_write, locked
from core.wait import wait_for
from core.model import DNS_LABEL
from provision.lab.files import HostFiles, allocate_address
from provision.lab.image import ImageBuilder, recipe_id
from provision.lab.settings import (_LOCK, _LOCK_DEPTH, REBOOT_EXIT, STEP_JOBS, LabError, Settings, check_name, run,
                                    say)


# kernel settings a host's systemd needs one of per container: (path, at least this many per host, floor)
KERNEL_LIMITS = (
    ("/proc/sys/fs/inotify/max_user_instances", 32, 512),
    ("/proc/sys/fs/inotify/max_user_watches", 16384, 524288),
)


def ensure_kernel_limits(hosts: int) -> list[str]:
    """Raise the kernel's per-user limits that many containers' systemd exhaust (from about 22 hosts on:
    "Failed to create control group inotify object: Too many open files"); one line per change."""
    changed = []
    for path, per_host, floor in KERNEL_LIMITS:
        want = max(floor, per_host * hosts)
        try:
            have = int(Path(path).read_text().split()[0])
            if have < want:
                Path(path).write_text(f"{want}\n")
                changed.append(f"lab: raised {path.removeprefix('/proc/sys/').replace('/', '.')} from {have} to {want} "
                               f"for {hosts} hosts")
        except (OSError, ValueError) as exc:
            changed.append(f"lab: cannot raise {path} ({exc}); many hosts may fail to boot")
    for line in changed:
        say(line)
    return changed


def supervisor_command(name: str, root: Path, bridge: str) -> list[str]:
    """A shell loop that boots the container and boots it again when it asks for a reboot."""
    nspawn = " ".join(
        [
            "systemd-nspawn", "--boot", "--register=no", "--keep-unit", "--quiet",
            f"--directory={root}", f"--machine={name}", f"--hostname={name}",
            f"--network-bridge={bridge}", "--console=read-only", "--resolv-conf=off", "--timezone=off",
            "--link-journal=no", "systemd.show_status=true",
        ]
    )
    return ["sh", "-c", f'while :; do {nspawn}; rc=$?; [ "$rc" -eq {REBOOT_EXIT} ] || exit "$rc"; done']


# ----- the lab ----------------------------------------------------------------------------------
class Lab(ImageBuilder, HostFiles):
    """The lab's hosts: their life cycle (up, down, reset, reboot), on the image (provision/lab/image.py) and
    with the files each host gets (provision/lab/files.py)."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings.from_env()

    # paths
    def image_dir(self) -> Path:
        return self.settings.cache / f"{self.settings.suite}-{recipe_id(self.settings)}"

    def host_dir(self, name: str) -> Path:
        return self.settings.state / "hosts" / name

    def known(self) -> list[str]:
        d = self.settings.state / "hosts"
        return sorted(p.name for p in d.iterdir() if (p / "address").exists()) if d.is_dir() else []

    def addresses(self) -> dict[str, str]:
        return {n: (self.host_dir(n) / "address").read_text().strip() for n in self.known()}

    # prerequisites
    def preflight(self, need_build: bool = False) -> None:
        if os.geteuid() != 0:
            raise LabError("the lab needs root: run it as root (sudo -E .venv/bin/python -m provision.lab ...)")
        if not shutil.which("systemd-nspawn"):
            raise LabError("systemd-nspawn not found: apt-get install systemd-container (or run 'make setup')")
        if need_build and not shutil.which("debootstrap"):
            raise LabError("debootstrap not found: apt-get install debootstrap (or run 'make setup')")
        if not shutil.which("ip"):
            raise LabError("ip not found: apt-get install iproute2")
        for p in (self.settings.cache, self.settings.state):
            p.mkdir(parents=True, exist_ok=True)
            free = shutil.disk_usage(p).free
            if free < (1 << 30):
                raise LabError(f"only {free >> 20} MiB free under {p}: the lab needs 1 GiB; free some disk")

    # state of a host
    def pid(self, name: str) -> int | None:
        try:
            pid = int((self.host_dir(name) / "pid").read_text())
        except (OSError, ValueError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        return pid if b"systemd-nspawn" in cmdline and f"--machine={name}".encode() in cmdline else None

    def is_running(self, name: str) -> bool:
        return self.pid(name) is not None

    def is_mounted(self, name: str) -> bool:
        target = str(self.host_dir(name) / "root")
        with open("/proc/self/mounts") as fh:
            return any(line.split()[1] == target for line in fh)

    # network
    def ensure_bridge(self) -> None:
        b = self.settings.bridge
        if run(["ip", "link", "show", b], check=False).returncode != 0:
            run(["ip", "link", "add", b, "type", "bridge"])
            run(["ip", "addr", "add", f"{self.settings.gateway}/{self.settings.subnet.prefixlen}", "dev", b])
        run(["ip", "link", "set", b, "up"])

    def drop_bridge(self) -> None:
        if run(["ip", "link", "show", self.settings.bridge], check=False).returncode == 0:
            run(["ip", "link", "delete", self.settings.bridge])

    def _start(self, name: str) -> None:
        d = self.host_dir(name)
        console = open(d / "console.log", "ab")
        groups = cgroup_dirs(name)
        for g in groups:
            g.mkdir(parents=True, exist_ok=True)

        def enter_cgroup() -> None:
            # each container gets a cgroup of its own: containers sharing one fight over it
            for g in groups:
                (g / "cgroup.procs").write_text(str(os.getpid()))

        proc = subprocess.Popen(
            supervisor_command(name, d / "root", self.settings.bridge),
            stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=enter_cgroup,
        )
        console.close()
        (d / "pid").write_text(str(proc.pid))
        def started() -> tuple[bool, None]:
            if proc.poll() is not None:
                raise LabError(f"{name}: systemd-nspawn exited at once ({proc.returncode}): {self.console_tail(name)}")
            return self.pid(name) is not None, None

        wait_for(started, 10, 0.05, tolerate=())
        # /proc/PID/cmdline of the shell loop names the machine: pid() recognises it
        if self.pid(name) is None:
            raise LabError(f"{name}: the container did not start: {self.console_tail(name)}")

    def console_tail(self, name: str, lines: int = 5) -> str:
        try:
            text = (self.host_dir(name) / "console.log").read_text(errors="replace")
        except OSError:
            return "(no console output)"
        text = re.sub(r"\x1b\[[0-9;?]*[ -/]*[@-~]", "", text)  # colours of systemd's status lines
        text = text.replace("\x1b[", "").replace("\x1b", "")  # an escape cut short by an ellipsis
        tail = [ln.strip() for ln in text.splitlines() if ln.strip()][-lines:]
        return " | ".join(tail) or "(no console output)"

    def wait_ready(self, name: str, timeout: float | None = None) -> str:
        """Wait until sshd answers with the expected host key and systemd reports running/degraded, or is
        still starting only units the step installed (an etcd that waits for peers not up yet)."""
        timeout = self.settings.boot_timeout if timeout is None else timeout
        addr = self.addresses()[name]
        deadline = time.monotonic() + timeout

        def ready() -> tuple[bool, str]:
            if not self.is_running(name):
                raise LabError(f"{name}: the container stopped while booting: {self.console_tail(name)}")
            try:
                with socket.create_connection((addr, 22), timeout=1):
                    pass
            except OSError as exc:
                return False, f"port 22: {exc.strerror or exc}"
            try:
                left = max(1, min(3, int(deadline - time.monotonic())))
                rc, out = self.ssh(name, f"timeout {left} systemctl is-system-running --wait; "
                                         "systemctl --failed --plain --no-legend | sed 's/^/failed /'; "
                                         + STEP_JOBS, timeout=left + 10)
            except LabError as exc:
                return False, str(exc)
            lines = out.splitlines()
            state = lines[0].strip() if lines and not lines[0].startswith(("failed ", "job ", "other-job ")) else ""
            failed = [ln.split()[1] for ln in lines if ln.startswith("failed ")]
            step_jobs = [ln.split()[1] for ln in lines if ln.startswith("job ")]
            others = [ln.split()[1] for ln in lines if ln.startswith("other-job ")]
            if state == "running":
                return True, "running"
            if state == "degraded":
                return True, f"degraded (failed: {', '.join(failed)})"
            if step_jobs and not others:
                # what keeps systemd starting is a unit the step installed (etcd waiting for its peers, a
                # broken unit left by a test): the host itself is up; the step's checks judge that unit
                return True, f"up, systemd still starting {', '.join(step_jobs)}"
            return False, f"systemd reports {state or 'nothing'}" + (f" (starting {', '.join(others)})" if others else "")

        done, last, _ = wait_for(ready, timeout, 0.2, tolerate=())
        if done:
            return last
        raise LabError(f"{name}: not ready after {timeout:.0f}s ({last or 'no answer on port 22'}); "
                       f"console: {self.console_tail(name)}")

    def ssh(self, name: str, command: str, timeout: float = 30) -> tuple[int, str]:
        """Run a command as root on a lab host over SSH, checking its host key."""
        import paramiko

        addr = self.addresses()[name]
        client = paramiko.SSHClient()
        kind, blob = self.host_key(name).split()[:2]
        client.get_host_keys().add(addr, kind, paramiko.PKey.from_type_string(kind, base64.b64decode(blob)))
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            client.connect(addr, username="root", key_filename=str(self.settings.key_file), timeout=5,
                           banner_timeout=5, auth_timeout=5, look_for_keys=False, allow_agent=False)
            _, stdout, _ = client.exec_command(command, timeout=timeout)
            out = stdout.read().decode(errors="replace")
            return stdout.channel.recv_exit_status(), out
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise LabError(f"{name}: ssh: {exc or type(exc).__name__}") from None
        finally:
            client.close()

    # commands
    def up(self, names: list[str]) -> None:
        names = [check_name(n) for n in names]
        self.preflight()
        image = self.ensure_image()
        client_pub = self.ensure_client_key()
        with self.state_lock():
            self.ensure_bridge()
            taken = self.allocate(names)
            ensure_kernel_limits(len(set(names) | {n for n in self.known() if self.is_running(n)}))
            started = []
            for name in names:
                if self.is_running(name) and not self.answers_ssh(name, taken[name]):
                    say(f"lab: {name} is running but does not answer SSH: restarting it")
                    self._stop(name)
                self._prepare(name, image, client_pub)
                if self.is_running(name):
                    say(f"lab: {name} is already running ({taken[name]})")
                    continue
                if cgroup_pids(name):  # a container left without its supervisor: stop it first
                    self._stop(name)
                    self._prepare(name, image, client_pub)
                self._start(name)
                started.append(name)
            self.write_client_files()
        with ThreadPoolExecutor(max_workers=max(1, len(started))) as pool:
            results = dict(zip(started, pool.map(self._ready_or_error, started)))
        again = [n for n, r in results.items() if isinstance(r, LabError) and self.is_running(n)]
        for name in again:  # a boot that never finished (seen now and then): one more boot, then it is reported
            say(f"lab: {name} did not finish booting ({str(results[name]).split(';')[0]}); booting it once more")
            self._stop(name)
            self._prepare(name, image, client_pub)
            self._start(name)
        if again:
            with ThreadPoolExecutor(max_workers=len(again)) as pool:
                results.update(zip(again, pool.map(self._ready_or_error, again)))
        errors = [r for r in results.values() if isinstance(r, LabError)]
        for name, r in results.items():
            if not isinstance(r, LabError):
                say(f"lab: {name} is up at {taken[name]} ({r}); ssh -F {self._rel(self.settings.ssh_config)} {name}")
        if errors:
            raise LabError("; ".join(str(e) for e in errors))

    def allocate(self, names: list[str]) -> dict[str, str]:
        """Give each host its address (once; kept across runs) without booting it: processes that later
        boot different hosts side by side never pick the same free address."""
        names = [check_name(n) for n in names]
        with self.state_lock():
            taken = self.addresses()
            for name in names:
                if name not in taken:
                    addr = allocate_address(name, taken, self.settings.subnet)
                    self.host_dir(name).mkdir(parents=True, exist_ok=True)
                    atomic_write(self.host_dir(name) / "address", addr + "\n", 0o644)
                    taken[name] = addr
        return taken

    @contextlib.contextmanager
    def state_lock(self):
        """One process at a time picks addresses, writes the client files, adds or drops the bridge and
        starts hosts (lab runs side by side: one must not drop the bridge another is starting hosts on).
        Re-entrant within a process."""
        with _LOCK:
            if _LOCK_DEPTH[0]:
                _LOCK_DEPTH[0] += 1
                try:
                    yield
                finally:
                    _LOCK_DEPTH[0] -= 1
                return
            with locked(self.settings.state / ".lock"):
                _LOCK_DEPTH[0] = 1
                try:
                    yield
                finally:
                    _LOCK_DEPTH[0] = 0

    def answers_ssh(self, name: str, address: str, timeout: float = 3.0) -> bool:
        """Port 22 accepts and sends an SSH banner within ``timeout`` (a host that is up but unusable does not)."""
        try:
            with socket.create_connection((address, 22), timeout=timeout) as sock:
                sock.settimeout(timeout)
                return sock.recv(4).startswith(b"SSH-")
        except OSError:
            return False

    def _ready_or_error(self, name: str):
        try:
            return self.wait_ready(name)
        except LabError as exc:
            return exc

    def _rel(self, p: Path) -> str:
        try:
            return str(p.relative_to(Path.cwd()))
        except ValueError:
            return str(p)

    def _stop(self, name: str) -> None:
        """Power the container off (SIGTERM to systemd-nspawn), then kill whatever is left in its cgroup."""
        pid = self.pid(name)
        if pid is not None:
            children = child_pids(pid)
            for child in children:
                signal_quietly(child, signal.SIGTERM)
            if not children:
                signal_quietly(-pid, signal.SIGTERM)
        def gone(kill: bool = False) -> tuple[bool, None]:
            if kill:
                kill_cgroup(name)
            return not (self.is_running(name) or cgroup_pids(name)), None

        wait_for(gone, self.settings.stop_timeout, 0.1, tolerate=())
        if self.is_running(name) or cgroup_pids(name):
            say(f"lab: {name} did not power off within {self.settings.stop_timeout:.0f}s; killing it")
            if pid is not None:
                signal_quietly(-pid, signal.SIGKILL)
            wait_for(lambda: gone(kill=True), 10, 0.1, tolerate=())
        if self.is_mounted(name):
            root = str(self.host_dir(name) / "root")
            if run(["umount", root], check=False).returncode != 0:
                run(["umount", "--lazy", root])
        for g in cgroup_dirs(name):
            remove_cgroup(g)
        veth = f"vb-{name}"[:15]
        if run(["ip", "link", "show", veth], check=False).returncode == 0:
            run(["ip", "link", "delete", veth], check=False)
        (self.host_dir(name) / "pid").unlink(missing_ok=True)

    def down(self, names: list[str] | None, purge: bool = False) -> None:
        self.preflight()
        names = [check_name(n) for n in names] if names else sorted(set(self.known()) | set(cgroup_hosts()))
        with ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
            list(pool.map(self._stop, names))
        for name in names:
            if purge:
                shutil.rmtree(self.host_dir(name), ignore_errors=True)
            say(f"lab: {name} is down" + (" and its files are gone" if purge else ""))
        with self.state_lock():
            if not any(self.is_running(n) for n in self.known()):
                self.drop_bridge()
            self.write_client_files()

    def reset(self, names: list[str]) -> None:
        names = [check_name(n) for n in names]
        self.preflight()
        with ThreadPoolExecutor(max_workers=max(1, len(names))) as pool:
            list(pool.map(self._stop, names))
        for name in names:
            for sub in ("upper", "work"):
                shutil.rmtree(self.host_dir(name) / sub, ignore_errors=True)
            (self.host_dir(name) / "console.log").unlink(missing_ok=True)
        self.up(names)

    def reboot(self, name: str, timeout: float | None = None) -> None:
        check_name(name)
        if not self.is_running(name):
            raise LabError(f"{name} is not running: python -m provision.lab up {name}")
        rc, before = self.ssh(name, "cat /proc/sys/kernel/random/boot_id")
        # the host's own systemd reboots it; the supervisor boots the container again
        try:
            self.ssh(name, "systemctl reboot", timeout=10)
        except LabError:
            pass  # the connection may drop as the host goes down
        total = self.settings.boot_timeout if timeout is None else timeout

        def new_boot() -> tuple[bool, None]:
            try:
                rc, after = self.ssh(name, "cat /proc/sys/kernel/random/boot_id", timeout=5)
            except LabError:
                return False, None
            return rc == 0 and bool(after.strip()) and after.strip() != before.strip(), None

        done, _, waited = wait_for(new_boot, total, 0.2, tolerate=())
        if done:
            say(f"lab: {name} rebooted: {self.wait_ready(name, max(1, total - waited))}")
            return
        raise LabError(f"{name}: did not come back from the reboot; console: {self.console_tail(name)}")

    def status(self) -> str:
        image = self.image_dir()
        lines = [
            f"image   {image} ({'built' if (image / '.kthw-image').exists() else 'not built'})",
            f"bridge  {self.settings.bridge} {self.settings.gateway}/{self.settings.subnet.prefixlen} "
            f"({'up' if run(['ip', 'link', 'show', self.settings.bridge], check=False).returncode == 0 else 'absent'})",
            f"{'HOST':<16}{'ADDRESS':<16}{'STATE':<10}PID",
        ]
        for name, addr in self.addresses().items():
            pid = self.pid(name)
            lines.append(f"{name:<16}{addr:<16}{'running' if pid else 'stopped':<10}{pid or '-'}")
        return "\n".join(lines)



def cgroup_dirs(name: str) -> list[Path]:
    """The cgroups a host's container runs in, one per mounted hierarchy that systemd uses."""
    base = Path("/sys/fs/cgroup")
    if (base / "cgroup.controllers").exists():  # unified hierarchy only
        return [base / "kthw-lab" / name]
    return [p / "kthw-lab" / name for p in (base / "systemd", base / "unified") if (p / "cgroup.procs").exists()]


def remove_cgroup(path: Path) -> None:
    """Remove a cgroup and the empty ones below it, deepest first."""
    if not path.is_dir():
        return
    for top, _, _ in os.walk(path, topdown=False):  # deepest first; vanished directories passed over
        try:
            os.rmdir(top)
        except OSError:
            pass


def cgroup_hosts() -> list[str]:
    """Hosts that have a cgroup, whether or not the lab still knows them (a purged or crashed host)."""
    dirs = cgroup_dirs("x")
    parent = dirs[0].parent if dirs else None
    if parent is None or not parent.is_dir():
        return []
    return sorted(p.name for p in parent.iterdir() if p.is_dir() and DNS_LABEL.match(p.name))


def cgroup_pids(name: str) -> list[int]:
    """Every process of a host's container (its cgroup and all below it)."""
    dirs = cgroup_dirs(name)
    if not dirs or not dirs[0].is_dir():
        return []
    pids: list[int] = []
    # os.walk, not rglob: a stopping container removes its cgroups while they are listed, and os.walk
    # passes over a directory that is gone (rglob raises)
    for top, _, _ in os.walk(dirs[0]):
        try:
            pids += [int(p) for p in Path(top, "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            pass
    return pids


def kill_cgroup(name: str) -> None:
    for g in cgroup_dirs(name):
        if (g / "cgroup.kill").exists():
            try:
                (g / "cgroup.kill").write_text("1")
            except OSError:
                pass
    for pid in cgroup_pids(name):
        signal_quietly(pid, signal.SIGKILL)


def signal_quietly(pid: int, sig: int) -> None:
    """kill(2) that ignores processes already gone; a negative pid is a process group."""
    try:
        if pid < 0:
            os.killpg(-pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def child_pids(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]
