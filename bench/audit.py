"""Audit wall time for 1, 3 and 6 lab hosts, serial and with pytest-xdist, and SSH connections per host.

    .venv/bin/python bench/audit.py [--runs 3]

Uses lab hosts bench-0..5 (bootstrapped here, purged at the end). -n 2 is one worker per core on the
2-core machines this is meant for. Target: 6 hosts with -n in at most twice the time of one host.
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
sys.path.insert(0, str(ROOT))

import testinfra  # noqa: E402

from core.remote import Remote  # noqa: E402
from core import ssh  # noqa: E402
from provision import certs  # noqa: E402
from provision.binaries import ensure  # noqa: E402
from provision.bootstrap import Bootstrap  # noqa: E402
from provision.lab import Lab  # noqa: E402
from core.model import Member  # noqa: E402

HOSTS = [f"bench-{i}" for i in range(6)]
SSH_CONFIG = str(ROOT / ".lab/ssh_config")


def audit(hosts: list[str], workers: int, *extra: str) -> tuple[float, str, int]:
    args = [sys.executable, "-m", "pytest", "features/", "-q", "-p", "no:cacheprovider", "--junitxml=/dev/null",
            "--html=/tmp/kthw-bench.html", "--cucumberjson=/tmp/kthw-bench.json",
            "--etcd-report=/tmp/kthw-bench-index.html", f"--hosts={','.join(hosts)}", f"--ssh-config={SSH_CONFIG}"]
    if workers:
        args += ["-n", str(workers)]
    args += list(extra)
    start = time.perf_counter()
    out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=900)
    elapsed = time.perf_counter() - start
    m = re.search(r"SSH connections opened: (.*)", out.stdout)
    counts = sorted(set(re.findall(r": (\d+)", m.group(1)))) if m else ["?"]
    return elapsed, "/".join(counts), out.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    lab = Lab()
    lab.up(HOSTS)
    ssh.install()
    try:
        for name in HOSTS:
            member = Member(name=name)
            host = testinfra.get_host(f"paramiko://{name}", ssh_config=SSH_CONFIG)
            Bootstrap(Remote(host), member, ensure("debian"), certs.ensure(member)).run()
        rows, floors = [], []
        for count in (1, 3, 6):
            for workers in sorted({0, 2, count} if count > 1 else {0}):
                times, conns, codes = [], set(), set()
                for _ in range(args.runs):
                    t, c, rc = audit(HOSTS[:count], workers)
                    times.append(t)
                    conns.add(c)
                    codes.add(rc)
                rows.append((count, f"-n {workers}" if workers else "serial", times, conns, codes))
        # the floor: the same processes with no scenario selected (start-up, collection, reports)
        for workers in (0, 2, 6):
            times = [audit(HOSTS, workers, "-k", "no_such_scenario")[0] for _ in range(args.runs)]
            floors.append((6, f"-n {workers}" if workers else "serial", times))
    finally:
        lab.down(HOSTS, purge=True)
    one = statistics.median(rows[0][2])
    print(f"\n{'hosts':>5}  {'mode':<8}{'median s':>10}{'min s':>8}{'max s':>8}{'x 1 host':>10}  exit  SSH conns/host")
    for count, mode, times, conns, codes in rows:
        med = statistics.median(times)
        print(f"{count:>5}  {mode:<8}{med:>10.2f}{min(times):>8.2f}{max(times):>8.2f}{med / one:>10.2f}  "
              f"{','.join(map(str, sorted(codes))):<5} {', '.join(sorted(conns))}")
    print("(wall time of the whole pytest process; exit 0 = every host passed)")
    print("\nno scenario selected (-k no_such_scenario): what starting the processes costs")
    for count, mode, times in floors:
        med = statistics.median(times)
        print(f"{count:>5}  {mode:<8}{med:>10.2f}{min(times):>8.2f}{max(times):>8.2f}{med / one:>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
