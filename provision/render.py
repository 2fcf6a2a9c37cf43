"""Render ``units/etcd.service`` from the desired state with Jinja2."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jinja2

from core import editions
from core.model import Member, ModelError, load_settings

TEMPLATES = Path(__file__).with_name("templates")


def render_unit(member: Member) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    order = {flag: i for i, flag in enumerate(member.unit.flag_order)}
    flags = sorted(member.flags(), key=lambda fv: order.get(fv[0], len(order)))  # stable: the rest keep theirs
    return env.get_template("etcd.service.j2").render(unit=member.unit, etcd_path=member.etcd_path, flags=flags)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m provision.render", description=__doc__)
    parser.add_argument("--edition", default=None, choices=list(editions.EDITIONS),
                        help="render the unit as this edition's text writes it (default: kthw-server)")
    parser.add_argument("--member", default=None, metavar="NAME",
                        help="the host the unit is for (default: server; a cluster edition: its first member)")
    parser.add_argument("--cluster", default=None, metavar="NAME=IP[,NAME=IP...]",
                        help="a cluster edition's members and addresses (default: those its text writes in)")
    parser.add_argument("--etcd-config", help="TOML file with the member's settings")
    parser.add_argument("--etcd-set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("-o", "--output", default="units/etcd.service")
    args = parser.parse_args(argv)
    try:
        edition = editions.get(args.edition or editions.DEFAULT)
        settings = load_settings(args.etcd_config, args.etcd_set)
        cluster = None
        if edition.profile == "production":
            pairs = [p.partition("=") for p in (args.cluster or "").split(",") if p]
            cluster = {n: a for n, _, a in pairs} if pairs else dict(edition.text_cluster)
            if not cluster or any(not n or not a for n, _, a in pairs):
                raise ModelError("--cluster: expected NAME=IP[,NAME=IP...]")
        name = args.member or (next(iter(cluster)) if cluster else "server")
        member = editions.member(edition, settings, name=name, cluster=cluster)
    except (ModelError, ValueError) as exc:
        print(f"render: error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_unit(member))
    print(f"render: wrote {out} ({edition.name}, member {member.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
