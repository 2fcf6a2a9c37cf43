"""Lab timings: cold image build, warm `up`, `reset` and `down` of 1, 3, 10 and 30 hosts, `reboot` (medians).

    .venv/bin/python bench/lab.py [--runs 3] [--cold] [--sizes 1,3,10,30]

Uses hosts named bench-0..29 (purged at the end), so a student's lab is left alone. --cold also
builds the base image from scratch into a temporary cache (about a minute, from Debian's mirror).
Targets on 2 cores: warm up of one host <= 5 s, of three <= 10 s, reset <= 3 s.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from provision.lab import Lab, Settings  # noqa: E402

HOSTS = [f"bench-{i}" for i in range(30)]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold", action="store_true", help="also time a cold image build")
    parser.add_argument("--sizes", default="1,3,10,30", help="how many hosts at once (comma separated)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    lab = Lab()
    results: dict[str, list[float]] = {}
    if args.cold:
        tmp = Path(tempfile.mkdtemp(prefix="kthw-bench-cache-"))
        cold = Lab(dataclasses.replace(Settings.from_env(), cache=tmp))
        results["cold image build"] = [timed(cold.ensure_image)]
        shutil.rmtree(tmp, ignore_errors=True)
    lab.ensure_image()
    lab.down(HOSTS)
    try:
        for _ in range(args.runs):
            for n in sizes:
                hosts = HOSTS[:n]
                label = f"{n} host{'s' if n > 1 else ''}"
                results.setdefault(f"up {label}", []).append(timed(lambda: lab.up(hosts)))
                results.setdefault(f"reset {label}", []).append(timed(lambda: lab.reset(hosts)))
                if n == 1:
                    results.setdefault("reboot 1 host", []).append(timed(lambda: lab.reboot(hosts[0])))
                results.setdefault(f"down {label}", []).append(timed(lambda: lab.down(hosts)))
    finally:
        lab.down(HOSTS, purge=True)
    print(f"\n{'operation':<20}{'median s':>10}{'min s':>10}{'max s':>10}  runs")
    for name, values in results.items():
        print(f"{name:<20}{statistics.median(values):>10.2f}{min(values):>10.2f}{max(values):>10.2f}  {len(values)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
