"""``python -m checks list``: every check id, its feature and what it requires (``--fixes``: and its remedy).
``python -m checks judge FILE...``: judge recorded hosts (``python -m suite record``) without any host."""

from __future__ import annotations

import sys

from checks.catalog import ALIASES, CHECKS

USAGE = "usage: python -m checks list [--fixes] | python -m checks judge RECORDING.json..."


def list_checks(fixes: bool) -> int:
    width = max(len(i) for i in CHECKS)
    for c in CHECKS.values():
        ref = f"  (CIS {c.ref})" if c.ref else ""
        was = [old for old, new in ALIASES.items() if new == c.id]
        ref += f"  (was {', '.join(was)})" if was else ""
        print(f"{c.id:<{width}}  {c.concern:<13} {c.requirement}{ref}")
        if fixes and c.fix:
            print(f"{'':<{width}}  {'':<13} fix: {c.fix}")
    print(f"({len(CHECKS)} checks)")
    return 0


def judge_files(paths: list[str]) -> int:
    from checks.judging import FAILED, judge
    from core.answers import HostRecord

    failed = 0
    for path in paths:
        try:
            record = HostRecord.load(path)
        except ValueError as exc:
            print(f"judge: error: {exc}", file=sys.stderr)
            return 2
        verdicts = judge(record)
        width = max(len(v.check) for v in verdicts)
        for v in verdicts:
            print(f"{record.host}  {v.check:<{width}}  {v.status:<9}  {v.headline}".rstrip())
        bad = sum(v.status == FAILED for v in verdicts)
        counts = {s: sum(v.status == s for v in verdicts) for s in ("passed", "failed", "deviation", "skipped")}
        print(f"{record.host}: {'FAIL' if bad else 'PASS'} ({', '.join(f'{n} {s}' for s, n in counts.items())}; "
              f"recorded {record.taken or 'at an unknown time'}, edition {record.plan.edition})")
        failed += bad
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args in ([], ["list"], ["list", "--fixes"]):
        return list_checks("--fixes" in args)
    if args[0] == "judge" and len(args) > 1:
        return judge_files(args[1:])
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # the output was cut short (| head): nothing more to say
        sys.stderr.close()
        sys.exit(1)
