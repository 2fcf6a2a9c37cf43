"""``python -m suite record --hosts=... -o FILE``: ask hosts everything the checks judge, and keep it.

Each host is reached as the audit reaches it (the suite's SSH backend, the same target options), passes the
same pre-flight, gets the member it should run (named after the host, as the host says) and is asked, read
only, every command the run's checks declare (suite/evidence.py). What it answered is written with the plan
it is judged under (core/answers.py: one JSON file per host, private keys reduced to their public keys), so
that ``python -m checks judge FILE`` judges it the same on any checkout, with no host.
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import sys
from pathlib import Path

from core import editions
from core.answers import HostRecord, Plan
from core.evidence import PreconditionFailure
from core.model import ModelError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def connect(spec: str, ssh_config: str | None, identity: str | None = None, sudo: bool = False):
    import testinfra

    from core import ssh

    ssh.install()
    return testinfra.get_host(f"paramiko://{spec}", ssh_config=ssh_config, ssh_identity_file=identity, sudo=sudo)


def _address(spec: str, ssh_config: str | None) -> str:
    from core.sshconf import resolve

    name = spec.split("@")[-1].split(":")[0]
    addr = resolve(name, ssh_config).hostname
    ipaddress.ip_address(addr)  # a cluster member is named by its address in --initial-cluster
    return addr


def record_hosts(specs: list[str], edition_name: str | None = None, profile: str | None = None,
                 settings: dict | None = None,
                 ssh_config: str | None = None, identity: str | None = None, sudo: bool = False,
                 expected_version: str | None = None, comment: str = "", say=print) -> dict[str, HostRecord]:
    """{host: its record}; a host that fails its pre-flight is recorded with the probe's answer alone."""
    from checks.binaries import version_command
    from checks.editions import probe as edition_probe
    from checks.preflight import PROBE
    from core.remote import Remote
    from suite.evidence import gather
    from suite.hosts import host_name
    from suite.target import member_name, run_preflight

    edition = editions.selected(edition_name, profile)
    settings = settings or {}
    reached: dict[str, tuple[Remote, str, str]] = {}
    out: dict[str, HostRecord] = {}
    taken = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    for spec in specs:
        host = connect(spec, ssh_config, identity, sudo)
        name, remote = host_name(host), Remote(host)
        try:
            check = run_preflight(remote, name)
        except PreconditionFailure as exc:
            say(f"record: {name}: {exc.line()}")
            continue
        plan = Plan(edition.name, edition.profile, "", settings, None, expected_version)
        if not check.ok:
            say(f"record: {name}: pre-flight failed: {check.found} (fix: {check.fix})")
            out[name] = HostRecord(name, plan, list(check.evidence), taken, comment)
            continue
        reached[name] = (remote, member_name(name, remote), spec)
    cluster = None
    if edition.profile == "production":
        cluster = {member: _address(spec, ssh_config) for _, member, spec in reached.values()}
    for name, (remote, member_of, _) in reached.items():
        plan = Plan(edition.name, edition.profile, member_of, settings, cluster, expected_version)
        member = plan.member()
        probe = remote.history[0]  # the pre-flight's answer, asked first
        gather(remote, member, edition.profile, also=[edition_probe(member), (version_command(member, "etcd"), None)])
        answers = [probe, *remote.answers().answers.values()]
        assert probe.command == PROBE
        out[name] = HostRecord(name, plan, answers, taken, comment)
        say(f"record: {name}: {len(answers)} answers (member {member_of}, edition {edition.name})")
    return out


def main(argv: list[str] | None = None) -> int:
    from provision.targets import TargetError, check_hosts, check_ssh_config

    parser = argparse.ArgumentParser(prog="python -m suite record", description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", required=True, help="comma-separated hosts, as for the audit")
    parser.add_argument("--ssh-config", default=None, help="SSH config (default: ~/.ssh/config)")
    parser.add_argument("--ssh-identity-file", default=None)
    parser.add_argument("--sudo", action="store_true", help="log in as a user with passwordless sudo")
    parser.add_argument("--edition", default=None, choices=list(editions.EDITIONS))
    parser.add_argument("--profile", default=None, choices=("lab", "production"))
    parser.add_argument("--etcd-config", default=None, metavar="FILE")
    parser.add_argument("--etcd-set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--etcd-version", default=None, metavar="X.Y.Z", help="the etcd version the hosts must run")
    parser.add_argument("--comment", default="", help="what was done to the hosts (kept in the record)")
    parser.add_argument("-o", "--output", required=True, metavar="PATH",
                        help="the record's file (one host), or a directory for HOST.json files (several)")
    args = parser.parse_args(argv)
    try:
        check_ssh_config(args.ssh_config)
        specs = check_hosts(args.hosts)
        settings = load_settings(args.etcd_config, args.etcd_set)
        editions.selected(args.edition, args.profile)
    except (TargetError, ModelError) as exc:
        print(f"record: error: {exc}", file=sys.stderr)
        return 2
    records = record_hosts(specs, args.edition, args.profile, settings, args.ssh_config, args.ssh_identity_file, args.sudo,
                           args.etcd_version, args.comment)
    out = Path(args.output)
    several = len(specs) > 1 or out.is_dir()
    for name, rec in records.items():
        written = rec.save(out / f"{name}.json" if several else out)
        print(f"record: {name}: written to {written}")
    return 0 if len(records) == len(specs) else 1
