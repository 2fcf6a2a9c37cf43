"""``python -m suite record ...``: the suite's commands that need targets (see suite/record.py)."""

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] != "record":
        print("usage: python -m suite record --hosts=HOST[,HOST...] [target options] -o PATH", file=sys.stderr)
        return 2
    from suite.record import main as record

    return record(args[1:])


if __name__ == "__main__":
    sys.exit(main())
