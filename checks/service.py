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


# What etcd or systemd print for the mistakes students meet most → what it means and what to do. Checked in
# order against the service's journal; {placeholders} come from the desired state.
KNOWN_CAUSES: tuple[tuple[str, str], ...] = (
    ("has already been bootstrapped",
     "the cluster knows {name} but its data is gone: on a healthy member, {ctl} member remove <ID of {name}> && "
     "{ctl} member add {name} --peer-urls={initial_advertise_peer_urls}; then set --initial-cluster-state existing "
     "in {unit_path}, empty {data_dir}, systemctl daemon-reload && systemctl start {service}"),
    ("couldn't find local name",
     "--name {name} must be one of the names in --initial-cluster ({initial_cluster})"),
    ("address already in use",
     "another process holds etcd's port: ss -tlnp, stop it, then systemctl restart {service}"),
    ("cannot assign requested address",
     "a listen URL names an address this host does not have (a wrong INTERNAL_IP?): ip -4 addr shows the host's "
     "own; set it in --listen-peer-urls / --listen-client-urls of {unit_path} on this member, then "
     "systemctl daemon-reload && systemctl restart {service}"),
    ("cluster ID mismatch",
     "this member's data belongs to another cluster (another --initial-cluster-token, or data kept from an "
     "earlier try): on this member, systemctl stop {service} && mv {data_dir} {data_dir}.old && mkdir -m 700 "
     "{data_dir} && systemctl start {service}, with the same --initial-cluster-token on every member"),
    ("exec format error",
     "{etcd_path} is built for another architecture (status=203/EXEC): install the release for this host's "
     "(uname -m) architecture, e.g. etcd-vX-linux-amd64 on x86_64, then systemctl restart {service}"),
    ("certificate has expired or is not yet valid",
     "a certificate has expired or is not valid yet (check the clock: timedatectl): issue it again and copy it to "
     "{config_dir}/ on the member that presents it, then systemctl restart {service}"),
    ("incompatible key usage",
     "a certificate lacks the extended key usage TLS asks of it: issue the member's certificate with both "
     "serverAuth and clientAuth (peers are clients of each other), copy it to {config_dir}/, restart {service}"),
    ("bad certificate",
     "a peer refused this member's certificate (signed by another CA, or without the peer's address): issue it "
     "from the CA every member trusts and copy the same CA to every member's {config_dir}/"),
    ("certificate signed by unknown authority",
     "this member does not trust the CA that signed a peer's certificate: copy the same CA to every member's "
     "{config_dir}/ and restart {service} on each"),
    ("cannot fetch cluster info from peer urls",
     "--initial-cluster-state existing joins a running cluster: for a new cluster set --initial-cluster-state new "
     "in {unit_path}, then systemctl daemon-reload && systemctl restart {service}"),
    ("is not a valid flag",
     "etcd was given an argument it does not know: in {unit_path} each ExecStart= line must end in one bare "
     "backslash (a quoted heredoc <<'EOF' writes two); then systemctl daemon-reload && systemctl restart {service}"),
    ("publish error",
     "the member cannot reach a quorum of its peers (Type=notify waits for them): start etcd on every member at "
     "the same time and check that each reaches the others on the peer port {peer_port}"),
    ("waiting for quorum",
     "the member cannot reach a quorum of its peers (Type=notify waits for them): start etcd on every member at "
     "the same time and check that each reaches the others on the peer port {peer_port}"),
)


def known_cause(journal_text: str, member: Member) -> str:
    """The fix for a failure etcd or systemd states in the journal, for the messages students meet most."""
    for pattern, cause in KNOWN_CAUSES:
        if pattern.lower() in journal_text.lower():
            values = {"ctl": shell_prefix(member), "peer_port": str(member.peer_port)}
            values.update({k: str(getattr(member, k)) for k in (
                "name", "initial_advertise_peer_urls", "unit_path", "data_dir", "service", "initial_cluster",
                "etcd_path", "config_dir")})
            return cause.format(**values)
    return ""


def running(remote: Remote, member: Member) -> Result:
    ev, props = show(remote, member)
    state = (props.get("LoadState"), props.get("ActiveState"), props.get("SubState"))
    ok = state == ("loaded", "active", "running")
    evidence = [ev] if ok else [ev, journal(remote, member)]
    fix = f"systemctl start {member.service} || journalctl -u {member.service} -n 50 --no-pager"
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
