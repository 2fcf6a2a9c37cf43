"""A class on the lab: up, concurrent bootstrap (--forks) and a serial audit of 1 and of N hosts; the ratios.

    .venv/bin/python bench/classroom.py [--hosts 30] [--forks 10] [--runs 1]

Uses lab hosts class-0..N-1 (purged at the end). Prints each phase's wall time for one host and for the
class, and the class-to-one ratio (targets: the audit of 30 hosts within 5x one host's).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the Python processes measured keep their bytecode, as make's runs do (the Makefile unexports
# PYTHONDONTWRITEBYTECODE): an environment that forbids it would measure compiling the project each time
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.path.insert(0, str(ROOT))

from provision.lab import Lab  # noqa: E402

SSH_CONFIG = str(ROOT / ".lab/ssh_config")


def timed(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    return time.perf_counter() - start, out


def phases(hosts: list[str], forks: int) -> dict[str, float]:
    lab = Lab()
    start = time.perf_counter()
    lab.up(hosts)
    lab.reset(hosts)
    took = {"up + reset": time.perf_counter() - start}
    took["bootstrap"], out = timed([sys.executable, "-m", "provision.bootstrap", "--hosts", ",".join(hosts),
                                    "--forks", str(forks)])
    if out.returncode != 0:
        raise SystemExit(f"bootstrap failed: {out.stdout[-500:]}{out.stderr[-500:]}")
    took["audit (serial)"], out = timed([sys.executable, "-m", "pytest", "features/", "-q", "-p", "no:cacheprovider",
                                         "--junitxml=/dev/null", "--html=/tmp/kthw-class.html",
                                         "--cucumberjson=/tmp/kthw-class.json", "--etcd-report=/tmp/kthw-class-index.html",
                                         f"--hosts={','.join(hosts)}", f"--ssh-config={SSH_CONFIG}"])
    if out.returncode != 0:
        raise SystemExit(f"audit failed: {out.stdout[-1500:]}")
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=30)
    parser.add_argument("--forks", type=int, default=10)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    names = [f"class-{i}" for i in range(args.hosts)]
    one: dict[str, list[float]] = {}
    many: dict[str, list[float]] = {}
    try:
        for _ in range(args.runs):
            for k, v in phases(names[:1], args.forks).items():
                one.setdefault(k, []).append(v)
            for k, v in phases(names, args.forks).items():
                many.setdefault(k, []).append(v)
    finally:
        Lab().down(names, purge=True)
    print(f"\n{'phase':<18}{'1 host s':>10}{f'{args.hosts} hosts s':>12}{'ratio':>8}   (medians of {args.runs})")
    for k in one:
        a, b = statistics.median(one[k]), statistics.median(many[k])
        print(f"{k:<18}{a:>10.2f}{b:>12.2f}{b / a:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
