"""Known deviations: checks that a correct setup of the tutorial fails by design, as data.

A deviation names a check id, the reason, and the profiles (or the editions of the tutorial's step) it holds for. When that check fails in such
a profile it is reported as a known deviation (with what was found), not as a failure; when it passes,
it is reported as passing.
"""

from __future__ import annotations

from dataclasses import dataclass
from core.i18n import N_


@dataclass(frozen=True)
class Deviation:
    check: str  # a check id (checks/catalog.py)
    reason: str
    profiles: tuple[str, ...] = ()
    editions: tuple[str, ...] = ()  # editions (core/editions.py) it holds for, whatever the profile
    cause: str = ""  # only a failure of this part of the check (Result.cause); "" any failure of it


LAB_TLS = N_("the tutorial's lab serves plain HTTP on loopback; production needs TLS (--profile production)")
ROOT_OWNED = N_("the tutorial runs etcd as root, so its data directory is root:root with mode 700, which is as "
              "strict; an etcd user is what the benchmark expects where etcd runs unprivileged")
ANY_RELEASE = N_("a lab may run any release; production should follow etcd's advice")
RELEASE_OWNER = N_("the 2020 text unpacks etcd's release with tar -xvf on the controller, as the login user (or as root, "
                 "which keeps the archive's owner), and sudo mv keeps that owner; whoever owns {name} can replace what "
                 "root runs: chown root:root /usr/local/bin/{name}")

DEVIATIONS: tuple[Deviation, ...] = (
    *(Deviation(f"cis.2.{n}", LAB_TLS, ("lab",)) for n in range(1, 8)),
    Deviation("cis.1.1.12", ROOT_OWNED, ("lab", "production")),
    Deviation("advice.etcd-version", ANY_RELEASE, ("lab",)),
    Deviation("member.hostname", N_("the current text asks to name the member after the hostname, but its unit "
              "hard-codes --name controller while the host is called server"), editions=("kthw-current",)),
    Deviation("advice.etcd-version", N_("the 2020 editions install etcd 3.4.10 / 3.4.15, below etcd's production "
              "minimum 3.4.22"), editions=("kthw-2020",)),
    *(Deviation(f"binary.{name}.installed", RELEASE_OWNER.format(name=name), editions=("kthw-2020",), cause="owner")
      for name in ("etcd", "etcdctl")),
)


def known(check_id: str, profile: str, edition: str | None = None, cause: str = "") -> Deviation | None:
    """The known deviation of this check in this profile or edition, if any; one that names a cause holds only
    for a failure of that cause (a binary's owner, not its mode or its absence)."""
    return next((d for d in DEVIATIONS if d.check == check_id and (not d.cause or d.cause == cause)
                 and (profile in d.profiles or (edition is not None and edition in d.editions))), None)
