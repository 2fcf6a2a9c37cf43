"""The local lab: real Debian 12 hosts (systemd as PID 1, sshd) booted with systemd-nspawn.

    python -m provision.lab up [HOST ...]      # default host: server
    python -m provision.lab down [HOST ...]    # default: all lab hosts (--purge also drops their files)
    python -m provision.lab reset [HOST ...]   # back to a freshly installed host
    python -m provision.lab reboot HOST        # a real reboot; files on the host survive it
    python -m provision.lab status

Each host is a container on the lab bridge with a static address and no route off it, with its own
writable overlay over one shared read-only bookworm image. ``up`` writes ``.lab/ssh_config``,
``.lab/known_hosts`` (each host's real host key) and ``.lab/machines.txt`` (KTHW's format).
"""

from __future__ import annotations

import argparse
import sys
from provision.lab.hosts import Lab
from provision.lab.settings import LabError, say



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m provision.lab", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("up", help="boot lab hosts (default: server)")
    p.add_argument("hosts", nargs="*", default=["server"])
    p = sub.add_parser("down", help="shut lab hosts down (default: all)")
    p.add_argument("hosts", nargs="*")
    p.add_argument("--purge", action="store_true", help="also delete the hosts' files and keys")
    p = sub.add_parser("reset", help="back to a freshly installed host")
    p.add_argument("hosts", nargs="*", default=["server"])
    p = sub.add_parser("reboot", help="reboot a host; its files survive")
    p.add_argument("host")
    p = sub.add_parser("allocate", help="give hosts their addresses without booting them")
    p.add_argument("hosts", nargs="+")
    sub.add_parser("status", help="what the lab has")
    sub.add_parser("image", help="build the base image if needed")
    args = parser.parse_args(argv)
    lab = Lab()
    try:
        if args.command == "up":
            lab.up(args.hosts)
        elif args.command == "down":
            lab.down(args.hosts, purge=args.purge)
        elif args.command == "reset":
            lab.reset(args.hosts)
        elif args.command == "reboot":
            lab.reboot(args.host)
        elif args.command == "allocate":
            for name, addr in sorted(lab.allocate(args.hosts).items()):
                if name in args.hosts:
                    say(f"lab: {name} has the address {addr}")
        elif args.command == "image":
            lab.preflight(need_build=True)
            say(f"lab: image {lab.ensure_image()}")
        else:
            print(lab.status())
    except LabError as exc:
        print(f"lab: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lab: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
