"""The lab's base image: a debootstrapped Debian 12 with what the step needs, built once, atomically."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from provision.lab.settings import LabError, Settings, run, say


RECIPE_VERSION = 3  # bump when the customisation below changes


PACKAGES = (
    "systemd", "systemd-sysv", "dbus", "openssh-server", "iproute2", "ca-certificates", "procps",
    "psmisc", "curl", "openssl", "sudo", "less", "tree", "nftables",
)


MASKED_UNITS = ("apt-daily.timer", "apt-daily-upgrade.timer", "e2scrub_all.timer", "fstrim.timer")


def recipe(settings: Settings) -> dict:
    return {
        "suite": settings.suite,
        "variant": "minbase",
        "packages": sorted(PACKAGES),
        "masked": sorted(MASKED_UNITS),
        "version": RECIPE_VERSION,
    }


def recipe_id(settings: Settings) -> str:
    return hashlib.sha256(json.dumps(recipe(settings), sort_keys=True).encode()).hexdigest()[:12]


class ImageBuilder:
    """Building the one read-only base image every host boots from (a mixin of :class:`Lab`)."""

    # base image
    def ensure_image(self) -> Path:
        final = self.image_dir()
        if (final / ".kthw-image").exists():
            return final
        self.preflight(need_build=True)
        tmp = self.settings.cache / f".build-{final.name}-{os.getpid()}"
        for stale in self.settings.cache.glob(f".build-{final.name}-*"):
            shutil.rmtree(stale, ignore_errors=True)
        say(f"lab: building the base image {final.name} with debootstrap (once; about a minute) ...")
        start = time.monotonic()
        cmd = [
            "debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}",
            self.settings.suite, str(tmp), self.settings.mirror,
        ]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        tail: list[str] = []
        tty = sys.stdout.isatty()
        last = 0.0
        assert proc.stdout
        for line in proc.stdout:
            line = line.rstrip()
            tail = (tail + [line])[-15:]
            if not line.startswith("I: "):
                continue
            # progress with elapsed time, so a long step never looks hung: one updating line on a
            # terminal, a line every few seconds in a log
            now = time.monotonic() - start
            if tty:
                print(f"\r[{now:5.0f}s] {line[3:][:70]:<70}", end="", flush=True)
            elif now - last >= 5:
                print(f"[{now:5.0f}s] {line[3:][:100]}", flush=True)
                last = now
        rc = proc.wait()
        if tty:
            print()
        if rc != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise LabError(f"debootstrap failed (exit {rc}): {' | '.join(tail[-3:])}")
        self._customise(tmp)
        (tmp / ".kthw-image").write_text(json.dumps(recipe(self.settings), sort_keys=True) + "\n")
        os.replace(tmp, final)  # atomic: an interrupted build is never used
        say(f"lab: image ready in {time.monotonic() - start:.0f}s at {final}")
        return final

    def _customise(self, root: Path) -> None:
        for key in (root / "etc/ssh").glob("ssh_host_*"):
            key.unlink()  # every host gets its own host key
        run(["chroot", str(root), "systemctl", "enable", "systemd-networkd", "ssh"])
        run(["chroot", str(root), "systemctl", "mask", *MASKED_UNITS])
        (root / "etc/machine-id").write_text("")  # a fresh machine id on each host's first boot
        (root / "etc/hostname").write_text("localhost\n")
        (root / "etc/apt/apt.conf.d/99kthw-lab").write_text('APT::Periodic::Enable "0";\n')
