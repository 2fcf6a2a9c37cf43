"""Render ``units/etcd.service`` from the desired state with Jinja2."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jinja2

from core.model import Member, ModelError, load

TEMPLATES = Path(__file__).with_name("templates")


def render_unit(member: Member) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    return env.get_template("etcd.service.j2").render(
        unit=member.unit, etcd_path=member.etcd_path, flags=member.flags()
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m provision.render", description=__doc__)
    parser.add_argument("--etcd-config", help="TOML file with the member's settings")
    parser.add_argument("--etcd-set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("-o", "--output", default="units/etcd.service")
    args = parser.parse_args(argv)
    try:
        member = load(args.etcd_config, args.etcd_set)
    except ModelError as exc:
        print(f"render: error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_unit(member))
    print(f"render: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
