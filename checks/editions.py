"""Which edition of the step a host follows, read from the host (read only): a hint for audits run
without ``--edition`` whose host was set up by another edition's text."""

from __future__ import annotations

from checks.unit import show
from core.editions import EDITIONS, Edition
from core.evidence import quote_command
from core.i18n import N_
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
            return (N_("files {items} found in {config_dir}: try --edition {name}").format(items=' '.join(sorted(names)), config_dir=member.config_dir, name=edition.name))
    _, props = show(remote, member)
    flags, _ = parse_flags(exec_argv(props.get("ExecStart", ""))[1:])
    running = (flags.get("name") or [""])[-1]
    for edition in EDITIONS.values():
        fixed = edition.settings.get("name")
        if edition is not current and fixed and running == fixed != member.name:
            return (N_("the unit runs --name {fixed} on a host named {name}, as {name2}'s unit does: try "
                       "--edition {name2}").format(fixed=fixed, name=member.name, name2=edition.name))
    return ""
