"""Suite timings on the lab: `pytest features/` (reset + bootstrap + verify) and verify-only (audit of a
bootstrapped host), as medians, plus the SSH connections each run opened per host.

    .venv/bin/python bench/suite.py [--runs 5]

Targets on 2 cores: verify-only <= 3 s, bootstrap + verify <= 15 s, one SSH connection per host. The
disruptive scenarios (SIGKILL and RestartSec, a reboot) are timed apart: they wait on systemd by design.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the Python processes measured keep their bytecode, as make's runs do (the Makefile unexports
# PYTHONDONTWRITEBYTECODE): an environment that forbids it would measure compiling the project each time
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
REPORT_ARGS = ["-q", "-p", "no:cacheprovider", "--junitxml=/dev/null", "--html=/tmp/kthw-bench.html",
               "--cucumberjson=/tmp/kthw-bench.json"]


def run(args: list[str]) -> tuple[float, str, int]:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "pytest", "features/", *REPORT_ARGS, *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - start
    m = re.search(r"SSH connections opened: (.*)", out.stdout)
    return elapsed, m.group(1) if m else "?", out.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = []
    for label, extra in (("bootstrap + verify (lab)", ["-m", "not disruptive"]),
                         ("lab, with kill/stop/reboot", []),
                         ("verify only (audit)", ["--hosts=server", f"--ssh-config={ROOT / '.lab/ssh_config'}"])):
        times, conns, codes = [], set(), set()
        for _ in range(args.runs):
            t, c, rc = run(extra)
            times.append(t)
            conns.add(c)
            codes.add(rc)
        rows.append((label, times, ", ".join(sorted(conns)), codes))
    print(f"\n{'run':<28}{'median s':>10}{'min s':>10}{'max s':>10}  exit  SSH connections")
    for label, times, conns, codes in rows:
        print(f"{label:<28}{statistics.median(times):>10.2f}{min(times):>10.2f}{max(times):>10.2f}  "
              f"{','.join(map(str, sorted(codes))):<5} {conns}")
    print("(wall time of the whole pytest process, start-up and collection included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
