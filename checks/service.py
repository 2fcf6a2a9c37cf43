"""The etcd service as systemd runs it: loaded, enabled, active (running); the journal is the evidence."""

from __future__ import annotations

from core.etcdctl import shell_prefix
from core.evidence import Evidence, Result
from core.remote import Remote
from checks.unit import show
from core.model import TUTORIAL_URL, Member

SEE = TUTORIAL_URL + "#start-the-etcd-server"


def journal(remote: Remote, member: Member, lines: int = 15) -> Evidence:
    return remote.look("journalctl -u %s -n %s --no-pager -o short-iso", member.unit_name, lines)


def enabled(remote: Remote, member: Member) -> Result:
    ev, props = show(remote, member)
    state = props.get("UnitFileState", "")
    return Result(
        f"{member.unit_name} is enabled (starts at boot)", state == "enabled", "UnitFileState=enabled",
        f"UnitFileState={state or '(none)'}", [ev], f"systemctl enable {member.service}", SEE,
    )


def known_cause(journal_text: str, member: Member) -> str:
    """The fix for a failure etcd states in its journal, for the messages students meet most."""
    ctl = shell_prefix(member)
    if "has already been bootstrapped" in journal_text:
        return (f"the cluster knows {member.name} but its data is gone: on a healthy member, "
                f"{ctl} member remove <ID of {member.name}> && {ctl} member add {member.name} "
                f"--peer-urls={member.initial_advertise_peer_urls}; then set --initial-cluster-state existing in "
                f"{member.unit_path}, empty {member.data_dir}, systemctl daemon-reload && systemctl start {member.service}")
    if "couldn't find local name" in journal_text:
        return f"--name {member.name} must be one of the names in --initial-cluster ({member.initial_cluster})"
    if "address already in use" in journal_text:
        return "another process holds etcd's port: ss -tlnp, stop it, then systemctl restart " + member.service
    return ""


def running(remote: Remote, member: Member) -> Result:
    ev, props = show(remote, member)
    state = (props.get("LoadState"), props.get("ActiveState"), props.get("SubState"))
    ok = state == ("loaded", "active", "running")
    evidence = [ev] if ok else [ev, journal(remote, member)]
    fix = f"systemctl start {member.service}; if it fails: journalctl -u {member.service} -n 50 --no-pager"
    cause = "" if ok else known_cause(evidence[-1].stdout, member)
    if cause:
        fix = f"{cause}\n{fix}"
    if props.get("LoadState") == "not-found":
        fix = f"mv ~/{member.unit_name} {member.unit_dir}/ && systemctl daemon-reload && systemctl start {member.service}"
    return Result(
        f"{member.unit_name} is active (running)", ok, "LoadState=loaded ActiveState=active SubState=running",
        "LoadState={} ActiveState={} SubState={}".format(*state) + (f" Result={props.get('Result')}" if not ok else ""),
        evidence, fix, SEE,
    )


def main_pid(remote: Remote, member: Member) -> tuple[Evidence, int]:
    ev = remote.look("systemctl show -p MainPID --value -- %s", member.unit_name)
    try:
        return ev, int(ev.stdout.strip() or 0)
    except ValueError:
        return ev, 0
