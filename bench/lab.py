"""Lab timings: cold image build, warm `up` of 1 and 3 hosts, `reset`, `reboot`, `down` (medians).

    .venv/bin/python bench/lab.py [--runs 3] [--cold]

Uses hosts named bench-0..2 (purged at the end), so a student's lab is left alone. --cold also
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

HOSTS = ["bench-0", "bench-1", "bench-2"]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold", action="store_true", help="also time a cold image build")
    args = parser.parse_args()
    lab = Lab()
    results: dict[str, list[float]] = {k: [] for k in ("up 1 host", "up 3 hosts", "reset 1 host",
                                                       "reboot 1 host", "down 3 hosts")}
    if args.cold:
        tmp = Path(tempfile.mkdtemp(prefix="kthw-bench-cache-"))
        cold = Lab(dataclasses.replace(Settings.from_env(), cache=tmp))
        results["cold image build"] = [timed(cold.ensure_image)]
        shutil.rmtree(tmp, ignore_errors=True)
    lab.ensure_image()
    lab.down(HOSTS)
    try:
        for _ in range(args.runs):
            results["up 1 host"].append(timed(lambda: lab.up(HOSTS[:1])))
            results["reset 1 host"].append(timed(lambda: lab.reset(HOSTS[:1])))
            results["reboot 1 host"].append(timed(lambda: lab.reboot(HOSTS[0])))
            lab.down(HOSTS)
            results["up 3 hosts"].append(timed(lambda: lab.up(HOSTS)))
            results["down 3 hosts"].append(timed(lambda: lab.down(HOSTS)))
    finally:
        lab.down(HOSTS, purge=True)
    print(f"\n{'operation':<20}{'median s':>10}{'min s':>10}{'max s':>10}  runs")
    for name, values in results.items():
        print(f"{name:<20}{statistics.median(values):>10.2f}{min(values):>10.2f}{max(values):>10.2f}  {len(values)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
