"""``python -m checks list``: every check id, its concern and what it requires (and its CIS number)."""

from __future__ import annotations

import sys

from checks.catalog import CHECKS


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["list"]):
        print("usage: python -m checks list", file=sys.stderr)
        return 2
    width = max(len(i) for i in CHECKS)
    for c in CHECKS.values():
        ref = f"  (CIS {c.ref})" if c.ref else ""
        print(f"{c.id:<{width}}  {c.concern:<13} {c.requirement}{ref}")
    print(f"({len(CHECKS)} checks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
