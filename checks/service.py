"""The etcd service as systemd runs it: loaded, enabled, active (running); the journal is the evidence."""

from __future__ import annotations

from core.i18n import N_, verbatim

import re

from core.etcdctl import shell_prefix
from core.evidence import Evidence, Result, quote_command
from core.remote import Remote
from checks.unit import show
from core.model import TUTORIAL_URL, Member

SEE = TUTORIAL_URL + "#start-the-etcd-server"


JOURNAL_LINES = 40


def journal_command(member: Member, lines: int = JOURNAL_LINES) -> str:
    return quote_command("journalctl -u %s -n %s --no-pager -o short-iso", member.unit_name, lines)


def main_pid_command(member: Member) -> str:
    return quote_command("systemctl show -p MainPID --value -- %s", member.unit_name)


def journal(remote: Remote, member: Member, lines: int = JOURNAL_LINES) -> Evidence:
    return remote.look(journal_command(member, lines))


def enabled(remote: Remote, member: Member) -> Result:
    ev, props = show(remote, member)
    state = props.get("UnitFileState", "")
    return Result(
        what=N_("{unit_name} is enabled (starts at boot)").format(unit_name=member.unit_name), ok=state == "enabled",
        expected="UnitFileState=enabled", found=f"UnitFileState={state or '(none)'}", evidence=[ev],
        fix=f"systemctl enable {member.service}", see=SEE)


# What etcd or systemd print for the mistakes students meet most → what it means, and the command that repairs it
# on this member when one can ("" when the repair is an edit or is done elsewhere). Checked in order against the
# service's journal; {placeholders} come from the desired state.
KNOWN_CAUSES: tuple[tuple[str, str, str], ...] = (
    ("has already been bootstrapped",
     N_("the cluster knows {name} but its data is gone: on a healthy member, {ctl} member remove <ID of {name}> && "
     "{ctl} member add {name} --peer-urls={initial_advertise_peer_urls}; then set --initial-cluster-state existing "
     "in {unit_path}, empty {data_dir}, systemctl daemon-reload && systemctl start {service}"), ""),
    ("couldn't find local name",
     N_("--name {name} must be one of the names in --initial-cluster ({initial_cluster})"), ""),
    ("address already in use",
     N_("another process holds etcd's port: ss -tlnp, stop it, then systemctl restart {service}"), ""),
    ("cannot assign requested address",
     N_("a listen URL names an address this host does not have (a wrong INTERNAL_IP?): ip -4 addr shows the host's "
     "own; set it in --listen-peer-urls / --listen-client-urls of {unit_path} on this member, then "
     "systemctl daemon-reload && systemctl restart {service}"), ""),
    ("cluster ID mismatch",
     N_("this member's data belongs to another cluster (another --initial-cluster-token, or data kept from an "
     "earlier try): with the same --initial-cluster-token on every member, move this member's data aside and "
     "start it again, on this member:"),
     "systemctl stop {service} && mv {data_dir} {data_dir}.old && mkdir -m 700 {data_dir} && systemctl start {service}"),
    ("exec format error",
     N_("{etcd_path} is built for another architecture (status=203/EXEC): install the release for this host's "
     "(uname -m) architecture, e.g. etcd-vX-linux-amd64 on x86_64, then systemctl restart {service}"), ""),
    ("certificate has expired or is not yet valid",
     N_("a certificate has expired or is not valid yet (check the clock: timedatectl): issue it again and copy it to "
     "{config_dir}/ on the member that presents it, then systemctl restart {service}"), ""),
    ("incompatible key usage",
     N_("a certificate lacks the extended key usage TLS asks of it: issue the member's certificate with both "
     "serverAuth and clientAuth (peers are clients of each other), copy it to {config_dir}/, restart {service}"), ""),
    ("bad certificate",
     N_("a peer refused this member's certificate (signed by another CA, or without the peer's address): issue it "
     "from the CA every member trusts and copy the same CA to every member's {config_dir}/"), ""),
    ("certificate signed by unknown authority",
     N_("this member does not trust the CA that signed a peer's certificate: copy the same CA to every member's "
     "{config_dir}/ and restart {service} on each"), ""),
    ("cannot fetch cluster info from peer urls",
     N_("--initial-cluster-state existing joins a running cluster: for a new cluster set --initial-cluster-state new "
     "in {unit_path}, then systemctl daemon-reload && systemctl restart {service}"), ""),
    ("no space left on device",
     N_("no space left on device: the filesystem of {data_dir} is full, etcd cannot write its write-ahead log or database. df -h {data_dir} "
     "shows it; free space there (or grow the disk), then systemctl restart {service}"), ""),
    ("conflicting environment variable",
     N_("a setting is given twice, as a flag in {unit_path} and as its ETCD_* variable (Environment= or an "
     "EnvironmentFile=): etcd refuses to start; keep one of them, then systemctl daemon-reload && "
     "systemctl restart {service}"), ""),
    ("flag provided but not defined",
     N_("etcd was given a flag its release does not define (misspelt, or of another release; {etcd_path} --help "
     "lists them): correct it in {unit_path}, then systemctl daemon-reload && systemctl restart {service}"), ""),
    ("is not a valid flag",
     N_("etcd was given an argument it does not know: in {unit_path} each ExecStart= line must end in one bare "
     "backslash (a quoted heredoc <<'EOF' writes two); then systemctl daemon-reload && systemctl restart {service}"),
     ""),
    ("i/o timeout",
     N_("the member's packets to its peers go unanswered on the peer port (a firewall drops them?): from each member, "
     "timeout 3 bash -c '</dev/tcp/<peer address>/{peer_port}' must connect; allow tcp {peer_port} between the "
     "members (nft list ruleset, iptables -S, the cloud's firewall rules)"), ""),
    ("connection refused",
     N_("the member's peers do not listen on the peer port {peer_port}: etcd is not started there. A new cluster waits "
     "for a quorum (Type=notify): start etcd on every member, at about the same time"), ""),
    ("publish error",
     N_("the member cannot reach a quorum of its peers (Type=notify waits for them): start etcd on every member at "
     "the same time and check that each reaches the others on the peer port {peer_port}"), ""),
    ("waiting for quorum",
     N_("the member cannot reach a quorum of its peers (Type=notify waits for them): start etcd on every member at "
     "the same time and check that each reaches the others on the peer port {peer_port}"), ""),
)


verbatim(*(pattern for pattern, _, _ in KNOWN_CAUSES))  # etcd's and systemd's own words: never translated
MISMATCH = re.compile(r"cluster ID mismatch: peer\[([0-9a-f]+)\]=([0-9a-f]+), local=([0-9a-f]+)")


def odd_peers(journal_text: str, member: Member) -> list[str]:
    """The member IDs of the peers whose cluster ID differs from this member's, when they are fewer than all
    its peers: then those peers hold another cluster's data, not this member ([] when it is this member's)."""
    peers = sorted({m.group(1) for m in MISMATCH.finditer(journal_text)})
    return peers if peers and len(peers) < member.cluster_size - 1 else []


def cause_named(journal_text: str) -> str:
    """The message of the known cause the journal shows ("" for none): what a headline names."""
    return next((p for p, _, _ in KNOWN_CAUSES if p.lower() in journal_text.lower()), "")


def known_cause(journal_text: str, member: Member) -> tuple[str, str]:
    """(what it means, the command that repairs it here or "") for a failure etcd or systemd states in the
    journal, for the messages students meet most; ("", "") for any other."""
    others = odd_peers(journal_text, member)
    if others:  # both sides log the mismatch: the odd one out is the member whose cluster ID its peers do not share
        ids = ", ".join(others)
        return (N_("the member with ID {ids} holds another cluster's data (another --initial-cluster-token, "
                   "or data kept from an earlier try), not this one: on that member (etcdctl member list -w "
                   "table shows its peer URL), systemctl stop {service} && mv {data_dir} {data_dir}.old && "
                   "mkdir -m 700 {data_dir} && systemctl start {service}; nothing to do here").format(ids=ids, service=member.service, data_dir=member.data_dir), "")
    for pattern, why, command in KNOWN_CAUSES:
        if pattern.lower() in journal_text.lower():
            values = {"ctl": shell_prefix(member), "peer_port": str(member.peer_port)}
            values.update({k: str(getattr(member, k)) for k in (
                "name", "initial_advertise_peer_urls", "unit_path", "data_dir", "service", "initial_cluster",
                "etcd_path", "config_dir")})
            return why.format(**values), command.format(**values)
    return "", ""


# systemd's exit status when it could not start the service's program at all (EXIT_EXEC)
EXIT_EXEC = "203"


def exec_failed(member: Member) -> str:
    """What status=203/EXEC means when the journal does not say why (its lines may be gone or not written yet)."""
    return (N_("systemd could not execute {etcd_path} (status=203/EXEC); {etcd_path} --version says "
               "why: Exec format error = built for another architecture than this host's (uname -m), "
               "Permission denied = chmod {binary} {etcd_path}, No such file = install it there").format(etcd_path=member.etcd_path, binary=format(member.modes.binary, 'o')))


def with_cause(remote: Remote, member: Member, fix: str, props: dict[str, str] | None = None) -> str:
    """``fix`` led by what the journal says went wrong, when it is a failure students meet (a shell comment, and
    the command that repairs it in place of ``fix`` when there is one); failing that, what systemd's exit status
    of the service's program says."""
    why, command = known_cause(journal(remote, member).stdout, member)
    if not why and (props or {}).get("ExecMainStatus") == EXIT_EXEC:
        why = exec_failed(member)
    return f"# {why}\n{command or fix}" if why else fix


def running(remote: Remote, member: Member) -> Result:
    ev, props = show(remote, member)
    state = (props.get("LoadState"), props.get("ActiveState"), props.get("SubState"))
    ok = state == ("loaded", "active", "running")
    evidence = [ev] if ok else [ev, journal(remote, member)]
    cause = "" if ok else cause_named(evidence[-1].stdout)
    fix = f"systemctl start {member.service} || journalctl -u {member.service} -n 50 --no-pager"
    if not ok:  # the meaning as a shell comment: the printed lines stay safe to paste
        fix = with_cause(remote, member, fix, props)
    if props.get("LoadState") == "not-found":
        fix = f"mv ~/{member.unit_name} {member.unit_dir}/ && systemctl daemon-reload && systemctl start {member.service}"
    return Result(
        what=(N_("{unit_name} is active (running) (etcd's journal: {cause})") if cause
              else N_("{unit_name} is active (running)")).format(unit_name=member.unit_name, cause=cause), ok=ok,
        expected="LoadState=loaded ActiveState=active SubState=running",
        found="; ".join(["LoadState={} ActiveState={} SubState={}".format(*state) + (f" Result={props.get('Result')}" if not ok else "")]
                        + ([N_("etcd's journal: {cause}").format(cause=cause)] if cause else [])),
        evidence=evidence, fix=fix, see=SEE)


def main_pid(remote: Remote, member: Member) -> tuple[Evidence, int]:
    ev = remote.look(main_pid_command(member))
    try:
        return ev, int(ev.stdout.strip() or 0)
    except ValueError:
        return ev, 0
