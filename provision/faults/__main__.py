"""python -m provision.faults list | apply ID [--host H] [--force] | drill [--host H | --profile production] | reveal"""

from __future__ import annotations

import argparse
import datetime
import json
import secrets
import sys
from pathlib import Path

from provision.faults import FaultError, apply, by_id, load
from core.editions import PRODUCTION

ROOT = Path(__file__).resolve().parent.parent.parent


def drill_file(profile: str) -> Path:
    """The last drill of a profile (one each: a lab drill and a cluster drill can be under way together)."""
    return ROOT / ".lab" / f"drill-{profile}.json"


def last_drill(profile: str | None) -> Path:
    """The drill ``reveal`` tells: the profile's, else the most recent of any profile."""
    if profile:
        return drill_file(profile)
    made = [p for p in (drill_file("lab"), drill_file("production")) if p.exists()]
    return max(made, key=lambda p: p.stat().st_mtime) if made else drill_file("lab")


def connect(name: str, ssh_config: str | None):
    import testinfra

    from core.remote import Remote
    from core import ssh

    ssh.install()
    config = ssh_config or str(ROOT / ".lab/ssh_config")
    return Remote(testinfra.get_host(f"paramiko://{name}", ssh_config=config))


PRODUCTION_HOSTS = PRODUCTION.lab_hosts


def drill_faults(profile: str = "lab") -> list:
    """A drill bootstraps the tutorial's single member (lab) or the three-member TLS cluster (production):
    only the faults of that profile apply."""
    return [f for f in load() if f.profile == profile]


def lab_host(name: str) -> bool:
    from provision.lab import Lab

    return name in Lab().known()


def bootstrap(remote, member) -> None:
    from provision import certs
    from provision.binaries import ensure
    from provision.bootstrap import Bootstrap

    Bootstrap(remote, member, ensure("debian"), certs.ensure(member)).run()


def bootstrap_cluster(names: tuple[str, ...]) -> dict:
    """The production cluster carried out on the lab hosts ``names``: each member installed, then all started
    at once (a new cluster forms only with a quorum). {host: (remote, member)}."""
    from provision import certs
    from provision.binaries import ensure
    from provision.bootstrap import Bootstrap, needs_restart, start_together
    from provision.lab import Lab
    from provision.profiles import production_member

    cluster = {n: a for n, a in Lab().addresses().items() if n in names}
    members = {n: (connect(n, None), production_member(n, cluster)) for n in names}
    binaries = ensure("debian")
    restart = [needs_restart(Bootstrap(remote, member, binaries, certs.ensure_production(member, cluster[n]))
                             .run(start=False)) for n, (remote, member) in members.items()]
    failures = start_together([(r, m, again) for (r, m), again in zip(members.values(), restart)])
    if failures:
        i, exc = next(iter(failures.items()))
        raise FaultError(f"{list(members)[i]}: {exc.action.detail} once the cluster was started")
    return members


def main(argv: list[str] | None = None) -> int:
    from core.model import ModelError, load as load_member

    parser = argparse.ArgumentParser(prog="python -m provision.faults", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the catalogue")
    p = sub.add_parser("apply", help="break a bootstrapped host in one known way")
    p.add_argument("fault")
    p.add_argument("--host", default="server")
    p.add_argument("--ssh-config", default=None)
    p.add_argument("--force", action="store_true", help="allow a host that is not a lab host")
    p = sub.add_parser("drill", help="reset a lab host, carry out the step, break it in a random way")
    p.add_argument("--host", default="server")
    p.add_argument("--profile", choices=("lab", "production"), default="lab",
                   help="production: the three-member TLS cluster on lab hosts etcd-0..2, one member broken")
    p = sub.add_parser("reveal", help="what the last drill broke, and the remedy")
    p.add_argument("--profile", choices=("lab", "production"), default=None,
                   help="the last drill of this profile (default: the last drill of any)")
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            faults = load()
            width = max(len(f.id) for f in faults)
            for f in faults:
                print(f"{f.id:<{width}}  {f.title}")
            print(f"({len(faults)} faults)")
            return 0
        if args.command == "reveal":
            recorded = last_drill(args.profile)
            if not recorded.exists():
                raise FaultError("no drill recorded: python -m provision.faults drill")
            drill = json.loads(recorded.read_text())
            fault = by_id(drill["fault"])
            if drill.get("profile") == "production":
                from provision.lab import Lab
                from provision.profiles import production_member

                cluster = {n: a for n, a in Lab().addresses().items() if n in PRODUCTION_HOSTS}
                member = production_member(drill["host"], cluster)
            else:
                member = load_member(None, [], name=drill["host"])
            print(f"{drill['host']} was broken at {drill['at']} with '{fault.id}': {fault.title}")
            print(f"remedy: {fault.remedy_text(member)}")
            return 0
        if args.command == "apply":
            fault = by_id(args.fault)
            if not args.force and (args.ssh_config or not lab_host(args.host)):
                raise FaultError(f"{args.host} is not a lab host: faults break hosts, add --force if you mean it")
            member = load_member(None, [], name=args.host.split(".")[0])
            ev = apply(fault, connect(args.host, args.ssh_config), member)
            print(f"applied '{fault.id}' to {args.host}: {fault.title}" + ("" if ev.ok else f" (exit {ev.rc})"))
            return 0
        # drill
        from provision.lab import Lab

        hosts = PRODUCTION_HOSTS if args.profile == "production" else (args.host,)
        missing = [h for h in hosts if not lab_host(h)]
        if missing:
            raise FaultError(f"{', '.join(missing)} not a lab host: python -m provision.lab up {' '.join(hosts)}")
        Lab().reset(list(hosts))
        fault = secrets.choice(drill_faults(args.profile))
        if args.profile == "production":
            members = bootstrap_cluster(hosts)
            broken = secrets.choice(hosts)
            remote, member = members[broken]
            apply(fault, remote, member, peers={h: m for h, m in members.items() if h != broken})
        else:
            broken = args.host
            member = load_member(None, [], name=broken)
            remote = connect(broken, None)
            bootstrap(remote, member)
            apply(fault, remote, member)
        recorded = drill_file(args.profile)
        recorded.parent.mkdir(exist_ok=True)
        recorded.write_text(json.dumps({"host": broken, "fault": fault.id, "profile": args.profile,
                                     "at": datetime.datetime.now().isoformat(timespec="seconds")}) + "\n")
        where = ", ".join(hosts)
        print(f"{'the cluster ' + where if len(hosts) > 1 else where} now has one thing wrong with its etcd step. "
              "Find it and fix it by hand:")
        print(f"  ssh -F .lab/ssh_config {hosts[0]}")
        profile = " --profile=production" if args.profile == "production" else ""
        print(f"  .venv/bin/pytest features/ --hosts={','.join(hosts)} --ssh-config=.lab/ssh_config{profile}")
        print("When the suite passes, or you give up: python -m provision.faults reveal")
        return 0
    except (FaultError, ModelError) as exc:
        print(f"faults: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a lab or connection failure: one line
        from core.evidence import CheckFailure
        from provision.lab import LabError

        if isinstance(exc, (LabError, CheckFailure)):
            print(f"faults: error: {exc.result.found if isinstance(exc, CheckFailure) else exc}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
