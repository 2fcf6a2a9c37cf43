"""The production profile's three-member audit against the lab profile's one-member audit (the ratio).

    .venv/bin/python bench/production.py [--runs 3]

Uses lab hosts bench-0 (the tutorial's single member) and etcd-0..2 (the production cluster), each carried out
here, and audits them as they are (no bootstrap in the timed part). Prints the median wall time of each audit
and their ratio; target: the cluster's audit within 3x the single member's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import testinfra  # noqa: E402

from bench.audit import audit  # noqa: E402
from core import ssh  # noqa: E402
from core.model import Member  # noqa: E402
from core.remote import Remote  # noqa: E402
from provision import certs  # noqa: E402
from provision.binaries import ensure  # noqa: E402
from provision.bootstrap import Bootstrap  # noqa: E402
from provision.faults.__main__ import PRODUCTION_HOSTS, bootstrap_cluster  # noqa: E402
from provision.lab import Lab  # noqa: E402

SINGLE = "bench-0"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    lab = Lab()
    lab.up([SINGLE, *PRODUCTION_HOSTS])
    lab.reset([SINGLE, *PRODUCTION_HOSTS])
    ssh.install()
    try:
        host = testinfra.get_host(f"paramiko://{SINGLE}", ssh_config=str(ROOT / ".lab/ssh_config"))
        member = Member(name=SINGLE)
        Bootstrap(Remote(host), member, ensure("debian"), certs.ensure(member)).run()
        bootstrap_cluster(PRODUCTION_HOSTS)
        single, cluster = [], []
        for _ in range(args.runs):
            took, _, rc = audit([SINGLE], 0)
            if rc != 0:
                raise SystemExit(f"the single member's audit failed (exit {rc})")
            single.append(took)
            took, _, rc = audit(list(PRODUCTION_HOSTS), 0, "--profile=production")
            if rc != 0:
                raise SystemExit(f"the cluster's audit failed (exit {rc})")
            cluster.append(took)
    finally:
        lab.down([SINGLE, *PRODUCTION_HOSTS], purge=False)
    a, b = statistics.median(single), statistics.median(cluster)
    print(f"\n{'audit':<34}{'median s':>10}   (of {args.runs})")
    print(f"{'lab profile, 1 member':<34}{a:>10.2f}")
    print(f"{'production profile, 3 members':<34}{b:>10.2f}")
    print(f"{'ratio':<34}{b / a:>10.2f}   (target: at most 3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
