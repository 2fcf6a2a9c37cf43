"""Known deviations: checks that a correct setup of the tutorial fails by design, as data.

A deviation names a check id, the reason, and the profiles it holds for. When that check fails in such
a profile it is reported as a known deviation (with what was found), not as a failure; when it passes,
it is reported as passing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Deviation:
    check: str  # a check id (checks/catalog.py)
    reason: str
    profiles: tuple[str, ...]


LAB_TLS = "the tutorial's lab serves plain HTTP on loopback; production needs TLS (--profile production)"
ROOT_OWNED = ("the tutorial runs etcd as root, so its data directory is root:root with mode 700, which is as "
              "strict; an etcd user is what the benchmark expects where etcd runs unprivileged")
ANY_RELEASE = "a lab may run any release; production should follow etcd's advice"

DEVIATIONS: tuple[Deviation, ...] = (
    *(Deviation(f"cis.2.{n}", LAB_TLS, ("lab",)) for n in range(1, 8)),
    Deviation("cis.1.1.12", ROOT_OWNED, ("lab", "production")),
    Deviation("advice.etcd-version", ANY_RELEASE, ("lab",)),
)


def known(check_id: str, profile: str) -> Deviation | None:
    """The known deviation of this check in this profile, if any."""
    return next((d for d in DEVIATIONS if d.check == check_id and profile in d.profiles), None)
