"""The flags each etcd release defines, read from the release's own binary: ``core/data/etcd-flags.json``.

    .venv/bin/python -m tests.etcdflags BINARY...

For each binary: every string in it shaped like a flag name is offered as ``--NAME=x --version``; Go's flag
package refuses a name it does not define ("flag provided but not defined"), so what passes is defined (also
the flags ``--help`` does not list). A defined flag is boolean when ``--version --NAME`` (no value, last) parses;
its default is what ``--help`` prints (``--name 'default'``); a flag etcd only warns about and ignores
("is no longer supported") is marked ignored. Nothing starts etcd: ``--version`` ends every run.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "core" / "data" / "etcd-flags.json"
NAME = re.compile(rb"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


def _run(binary: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=10)


def flags_of(binary: str) -> tuple[str, dict]:
    version = _run(binary, "--version").stdout.split()[2]
    data = Path(binary).read_bytes()
    candidates = sorted({m.decode() for m in NAME.findall(data) if 2 <= len(m) <= 60})

    def probe(name: str):
        out = _run(binary, f"--{name}=x", "--version")
        if "provided but not defined" in out.stderr:
            return None
        ignored = "no longer supported" in out.stderr
        boolean = "needs an argument" not in _run(binary, "--version", f"--{name}").stderr
        return name, {"boolean": boolean, **({"ignored": True} if ignored else {})}

    with ThreadPoolExecutor(8) as pool:
        found = dict(p for p in pool.map(probe, candidates) if p)
    for special in ("h", "help", "version"):
        found.pop(special, None)
    helptext = _run(binary, "--help").stdout + _run(binary, "--help").stderr
    for name, default in re.findall(r"^\s+--([a-z0-9-]+) '([^']*)'", helptext, re.M):
        if name in found:
            found[name]["default"] = default
    return version, dict(sorted(found.items()))


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    tables = json.loads(OUT.read_text()) if OUT.exists() else {}
    for binary in argv:
        version, table = flags_of(binary)
        tables[version] = table
        print(f"etcdflags: {version}: {len(table)} flags")
    OUT.write_text(json.dumps(dict(sorted(tables.items())), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
