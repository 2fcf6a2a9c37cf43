"""The lab's settings, its one-line errors and the names every part of it shares."""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from core.model import DNS_LABEL

ROOT = Path(__file__).resolve().parent.parent.parent
REBOOT_EXIT = 133  # systemd-nspawn's exit status when the container asked for a reboot
KTHW_ADDRESSES = {"server": 10, "node-0": 20, "node-1": 21}
# the running start jobs of a booting host: "job UNIT" for units installed under /etc/systemd/system (the step's
# own, as etcd.service), "other-job UNIT" for the image's
STEP_JOBS = ("systemctl list-jobs --no-legend --plain 2>/dev/null | while read -r id unit type state; do "
             "[ \"$state\" = running ] || continue; "
             "case \"$(systemctl show -p FragmentPath --value -- \"$unit\")\" in "
             "/etc/systemd/system/*) echo \"job $unit\";; *) echo \"other-job $unit\";; esac; done")


_LOCK = threading.RLock()  # the state lock's holder in this process (see Lab.state_lock)
_LOCK_DEPTH = [0]


class LabError(RuntimeError):
    """A lab failure with a one-line message for the user."""


@dataclass(frozen=True)
class Settings:
    cache: Path  # base images (outside the checkout)
    state: Path  # host layers and runtime files
    lab_dir: Path  # .lab/ in the checkout: key, ssh_config, known_hosts, machines.txt
    subnet: ipaddress.IPv4Network
    bridge: str
    mirror: str
    suite: str
    boot_timeout: float
    stop_timeout: float

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        try:
            subnet = ipaddress.IPv4Network(env.get("KTHW_LAB_SUBNET", "10.240.0.0/24"))
        except ValueError as exc:
            raise LabError(f"KTHW_LAB_SUBNET: {exc}") from None
        if subnet.prefixlen > 24 or not subnet.is_private:
            raise LabError("KTHW_LAB_SUBNET must be a private /24 or larger, e.g. 10.240.0.0/24")
        bridge = env.get("KTHW_LAB_BRIDGE", "kthwlab0")
        if not re.match(r"^[a-z][a-z0-9]{1,14}$", bridge):
            raise LabError(f"KTHW_LAB_BRIDGE: {bridge!r} is not a valid interface name")
        return cls(
            cache=Path(env.get("KTHW_LAB_CACHE", "/var/cache/kthw-lab")),
            state=Path(env.get("KTHW_LAB_STATE", "/var/lib/kthw-lab")),
            lab_dir=Path(env.get("KTHW_LAB_DIR", str(ROOT / ".lab"))),
            subnet=subnet,
            bridge=bridge,
            mirror=env.get("KTHW_LAB_MIRROR", "http://deb.debian.org/debian"),
            suite="bookworm",
            boot_timeout=float(env.get("KTHW_LAB_BOOT_TIMEOUT", "90")),
            stop_timeout=float(env.get("KTHW_LAB_STOP_TIMEOUT", "20")),
        )

    @property
    def gateway(self) -> str:
        return str(self.subnet.network_address + 1)

    @property
    def key_file(self) -> Path:
        return self.lab_dir / "id_ed25519"

    @property
    def ssh_config(self) -> Path:
        return self.lab_dir / "ssh_config"

    @property
    def known_hosts(self) -> Path:
        return self.lab_dir / "known_hosts"

    @property
    def machines(self) -> Path:
        return self.lab_dir / "machines.txt"


def say(msg: str) -> None:
    print(msg, flush=True)


# ----- pure functions (unit-tested) ----------------------------------------------------------
def check_name(name: str) -> str:
    if not DNS_LABEL.match(name):
        raise LabError(
            f"host name {name!r} is not a DNS label (lower-case letters, digits and '-', at most 63, "
            "e.g. server, node-0)"
        )
    return name

def run(cmd: list[str], check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise LabError(f"{' '.join(cmd)}: no answer within {timeout:.0f}s") from None
    if check and proc.returncode != 0:
        raise LabError(f"{' '.join(cmd)} failed ({proc.returncode}): {(proc.stderr or proc.stdout).strip()[:300]}")
    return proc

