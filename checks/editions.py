"""Which edition of the step a host follows, read from the host (read only): a hint for audits run
without ``--edition`` whose host was set up by another edition's text."""

from __future__ import annotations

from checks.unit import show
from core.editions import EDITIONS, Edition
from core.evidence import quote_command
from core.model import Member
from core.remote import Remote
from core.systemd import exec_argv, parse_flags


def probe(member: Member) -> tuple[str, None]:
    """What :func:`suggest` asks besides ``systemctl show``: the configuration directory's files."""
    return quote_command("ls -1 -- %s", member.config_dir), None


def suggest(remote: Remote, member: Member, current: Edition) -> str:
    """One line naming the edition the host's files or unit match ('' when none fits better)."""
    listing = remote.look(probe(member)[0])
    present = set(listing.stdout.split()) if listing.ok else set()
    for edition in EDITIONS.values():
        if edition is current or edition.tls is None:
            continue
        names = set(edition.tls.certificates())
        if names <= present and not set(member.certificates) <= present:
            return (f"files {' '.join(sorted(names))} found in {member.config_dir}: "
                    f"try --edition {edition.name}")
    _, props = show(remote, member)
    flags, _ = parse_flags(exec_argv(props.get("ExecStart", ""))[1:])
    running = (flags.get("name") or [""])[-1]
    for edition in EDITIONS.values():
        fixed = edition.settings.get("name")
        if edition is not current and fixed and running == fixed != member.name:
            return (f"the unit runs --name {fixed} on a host named {member.name}, as {edition.name}'s unit does: "
                    f"try --edition {edition.name}")
    return ""
