"""What etcdctl says about the member: member list, endpoint status, endpoint health, a round trip."""

from __future__ import annotations

import secrets

from core.evidence import Evidence, PreconditionFailure, Result
from core.etcdctl import command as etcdctl_command
from core.etcdctl import (
    MEMBER_PARSERS, EndpointStatus, MemberInfo, ParseError, health_of, status_json, status_table,
)
from core.i18n import N_
from core.remote import Remote
from core.version import version_in
from core.model import TUTORIAL_URL, Member, parse_initial_cluster

SEE = TUTORIAL_URL + "#verification"
FORMAT_ARGS = {"simple": "", "table": "-w table", "json": "-w json"}
SS_LISTENING = "ss -Htln"
HOSTNAME = "hostname -s"
ETCDCTL_TIMEOUT = 20


def ask(member: Member, args: str, endpoints: str = "") -> tuple[str, int]:
    """An etcdctl request to the member as the checks send it: (command, timeout)."""
    return etcdctl_command(member, args, endpoints=endpoints), ETCDCTL_TIMEOUT


def nobody_serves(member: Member, ss: Evidence) -> str:
    """'' when something listens on the client URL etcdctl talks to (or ``ss`` could not tell), else host:port."""
    from core.ss import parse_ss, split_address

    host, port = split_address(member.endpoint.split("://", 1)[1].rstrip("/"))
    listening = {(lst.address, lst.port) for lst in parse_ss(ss.stdout)}
    if ss.ok and not any(p == port and a in (host, "0.0.0.0", "::") for a, p in listening):
        return f"{host}:{port}"
    return ""


def moved_data_fix(member: Member) -> str:
    d = member.data_dir
    return (
        N_("the data in {d} belongs to another configuration; keep it aside and start fresh: "
           "systemctl stop {service} && mv {d} {d}.old && mkdir -p {d} && chmod {data_dir} {d} && "
           "systemctl start {service}").format(d=d, service=member.service, data_dir=format(member.modes.data_dir, 'o'))
    )


def serving(remote: Remote, member: Member) -> None:
    """Something listens on the client URL etcdctl talks to; else etcdctl would only time out."""
    ss = remote.look(SS_LISTENING)
    nobody = nobody_serves(member, ss)
    if nobody:
        raise PreconditionFailure(Result(
            what="etcdctl", ok=False, expected=N_("something listens on {nobody}").format(nobody=nobody),
            found=N_("nothing listens on {nobody}: etcd is not serving clients").format(nobody=nobody), evidence=[ss],
            fix=f"systemctl status {member.service} --no-pager; journalctl -u {member.service} -n 50 --no-pager",
            see=SEE))


def etcdctl(remote: Remote, member: Member, args: str, timeout: int = ETCDCTL_TIMEOUT, writes: bool = False,
            endpoints: str = "") -> Evidence:
    """Run etcdctl against the member's client URL; a missing etcdctl, or nothing listening on the client
    URL, is a precondition failure (one line, at once, instead of etcdctl's retries until its timeout)."""
    serving(remote, member)
    ev = (remote.run if writes else remote.look)(etcdctl_command(member, args, endpoints=endpoints), timeout=timeout)
    if ev.rc in (126, 127):
        raise PreconditionFailure(Result(
            what=f"etcdctl {args.split(' -')[0]}".strip(), ok=False, expected=f"{member.etcdctl_path} runs",
            found=(N_("{path} is not executable") if ev.rc == 126 else N_("{path} is missing")).format(path=member.etcdctl_path),
            evidence=[ev],
            fix=f"install -m {member.modes.binary:o} etcdctl {member.etcdctl_path}",
            see=TUTORIAL_URL + "#install-the-etcd-binaries"))
    return ev


def unreachable(member: Member, ev: Evidence, what: str) -> Result:
    return Result(
        what=what, ok=False, expected=N_("etcdctl gets an answer from {endpoint}").format(endpoint=member.endpoint),
        found=N_("etcdctl failed (exit {rc})").format(rc=ev.rc), evidence=[ev],
        fix=f"systemctl status {member.service} --no-pager; journalctl -u {member.service} -n 50 --no-pager", see=SEE)


def list_members(remote: Remote, member: Member, fmt: str) -> tuple[Evidence, list[MemberInfo] | None, str]:
    """(evidence, members or None, why not)."""
    ev = etcdctl(remote, member, f"member list {FORMAT_ARGS[fmt]}".strip())
    if not ev.ok:
        return ev, None, N_("etcdctl failed (exit {rc})").format(rc=ev.rc)
    try:
        return ev, MEMBER_PARSERS[fmt](ev.stdout), ""
    except ParseError as exc:
        return ev, None, N_("cannot read the output: {exc}").format(exc=exc)


def _listed(ev: Evidence, members: list[MemberInfo] | None, why: str, member: Member, what: str) -> Result | None:
    if members is None:
        r = unreachable(member, ev, what)
        r.found = why
        return r
    return None


def exactly_configured(ev: Evidence, members: list[MemberInfo] | None, why: str, member: Member) -> Result:
    """The members are exactly those of --initial-cluster (one, in the tutorial's lab)."""
    want = sorted(parse_initial_cluster(member.initial_cluster))
    what = N_("the cluster has exactly {value} member{value2}: {items}").format(value=len(want), value2='s' if len(want) != 1 else '', items=', '.join(want))
    if (r := _listed(ev, members, why, member, what)) is not None:
        return r
    names = sorted(m.name or "(unstarted)" for m in members)
    return Result(
        what=what, ok=names == want, expected=", ".join(want), found=f"{len(members)}: {', '.join(names)}",
        evidence=[ev],
        fix=moved_data_fix(member) if len(want) == 1 else f"etcdctl member remove <ID> for members not in {want}",
        see=SEE)


def _only(members: list[MemberInfo], member: Member) -> MemberInfo | None:
    """This host's member: the one with its peer URLs (the name may be wrong, that is checked too)."""
    mine = [m for m in members if set(m.peer_urls) == set(member.peer_urls)]
    if len(mine) == 1:
        return mine[0]
    return members[0] if len(members) == 1 else None


def named_and_started(ev: Evidence, members: list[MemberInfo] | None, why: str, member: Member) -> Result:
    what = N_("the member is named {name} and started").format(name=member.name)
    if (r := _listed(ev, members, why, member, what)) is not None:
        return r
    m = _only(members, member)
    found = f"{m.name or '(no name)'}, {m.status}" if m else N_("no member with peer URL {items}").format(items=', '.join(member.peer_urls))
    ok = m is not None and m.name == member.name and m.status == "started"
    fix = (f"set --name {member.name} and --initial-cluster {member.initial_cluster} in {member.unit_path}, "
           f"systemctl daemon-reload; then {moved_data_fix(member)}")
    return Result(what=what, ok=ok, expected=f"{member.name}, started", found=found, evidence=[ev], fix=fix, see=SEE)


def advertised_urls(ev: Evidence, members: list[MemberInfo] | None, why: str, member: Member) -> Result:
    what = N_("the member advertises the configured peer and client URLs")
    if (r := _listed(ev, members, why, member, what)) is not None:
        return r
    m = next((x for x in members if x.name == member.name), None) or _only(members, member)
    want = (sorted(member.peer_urls), sorted(member.client_urls))
    found = (sorted(m.peer_urls), sorted(m.client_urls)) if m else None
    return Result(
        what=what,
        ok=found == want,
        expected=f"peer {', '.join(want[0])}; client {', '.join(want[1])}",
        found=f"peer {', '.join(found[0])}; client {', '.join(found[1])}" if found else f"{len(members)} members",
        evidence=[ev],
        fix=N_("set --initial-advertise-peer-urls {initial_advertise_peer_urls} and "
               "--advertise-client-urls {advertise_client_urls}; peer URLs are stored in the data: "
               "{moved_data_fix}").format(initial_advertise_peer_urls=member.initial_advertise_peer_urls, advertise_client_urls=member.advertise_client_urls, moved_data_fix=moved_data_fix(member)),
        see=SEE,
    )


def not_learner(ev: Evidence, members: list[MemberInfo] | None, why: str, member: Member) -> Result:
    what = N_("the member is a voting member, not a learner")
    if (r := _listed(ev, members, why, member, what)) is not None:
        return r
    m = _only(members, member)
    return Result(
        what=what, ok=m is not None and not m.is_learner, expected="is learner: false",
        found=f"is learner: {str(m.is_learner).lower()}" if m else f"{len(members)} members", evidence=[ev],
        fix=f"etcdctl member promote {m.id if m else '<ID>'}", see=SEE)


def derived_id(ev: Evidence, members: list[MemberInfo] | None, why: str, member: Member) -> Result:
    what = N_("the member ID is the one etcd derives from the peer URLs and cluster token")
    if (r := _listed(ev, members, why, member, what)) is not None:
        return r
    m = _only(members, member)
    want = member.member_id()
    return Result(
        what=what, ok=m is not None and m.id == want, expected=want, found=m.id if m else f"{len(members)} members",
        evidence=[ev], fix=moved_data_fix(member), see=SEE)


# ----- endpoint status and health ------------------------------------------------------------
def endpoint_status(remote: Remote, member: Member) -> tuple[list[Evidence], EndpointStatus | None, str]:
    ev = etcdctl(remote, member, "endpoint status -w json")
    table = etcdctl(remote, member, "endpoint status -w table")  # what a student sees, as evidence
    if not ev.ok:
        return [ev], None, N_("etcdctl failed (exit {rc})").format(rc=ev.rc)
    try:
        statuses = status_json(ev.stdout)
        if table.ok:
            status_table(table.stdout)  # the table must read too (3.4/3.5: 10 columns, 3.6: 16)
    except (ParseError, KeyError, ValueError) as exc:
        return [table, ev], None, N_("cannot read the output: {exc}").format(exc=exc)
    if len(statuses) != 1:
        return [table, ev], None, N_("{value} endpoints answered").format(value=len(statuses))
    return [table, ev], statuses[0], ""


def leader(remote: Remote, member: Member) -> Result:
    evidence, st, why = endpoint_status(remote, member)
    if member.cluster_size > 1:  # in a cluster one member leads: this one must know which
        what = N_("the member follows or is the cluster's leader")
        if st is None:
            return Result(
                what=what, ok=False, expected=N_("a leader ID"), found=why, evidence=evidence,
                fix=f"systemctl status {member.service}", see=SEE)
        return Result(
            what=what, ok=bool(st.leader), expected=N_("a leader ID"), found=st.leader or N_("no leader"), evidence=evidence,
            fix=f"systemctl status {member.service} --no-pager   # " + N_("on every member: a quorum of members must run"),
            see=SEE)
    what = "the member is the leader"
    if st is None:
        return Result(
            what=what, ok=False, expected="IS LEADER true", found=why, evidence=evidence,
            fix=f"systemctl status {member.service}", see=SEE)
    return Result(
        what=what, ok=st.is_leader, expected="IS LEADER true", found=f"IS LEADER {str(st.is_leader).lower()}",
        evidence=evidence, fix=f"journalctl -u {member.service} -n 50 --no-pager   # a single member leads itself",
        see=SEE)


def no_errors(remote: Remote, member: Member) -> Result:
    evidence, st, why = endpoint_status(remote, member)
    what = N_("endpoint status reports no errors")
    if st is None:
        return Result(
            what=what, ok=False, expected="ERRORS empty", found=why, evidence=evidence,
            fix=f"systemctl status {member.service}", see=SEE)
    return Result(
        what=what, ok=not st.errors, expected="ERRORS empty", found="; ".join(st.errors) or "none", evidence=evidence,
        fix=f"journalctl -u {member.service} -n 50 --no-pager", see=SEE)


def version_matches(remote: Remote, member: Member, expected: str | None = None) -> Result:
    """The running etcd's version equals the installed binary's (and the provisioned one's, when known)."""
    evidence, st, why = endpoint_status(remote, member)
    binary = remote.look("%s --version", member.etcd_path)
    evidence.append(binary)
    what = N_("the running etcd is the installed binary's version")
    installed = version_in(binary.stdout)
    want = expected or installed or N_("the installed binary's version")
    if st is None:
        return Result(
            what=what, ok=False, expected=want, found=why, evidence=evidence,
            fix=f"systemctl restart {member.service}", see=SEE)
    ok = bool(installed) and st.version == installed and (expected is None or installed == expected)
    found = f"running {st.version}, installed {installed or '(unknown)'}"
    if installed and st.version != installed:
        fix = f"systemctl restart {member.service}"
    elif binary.rc == 126:  # the installed binary may not be run: its mode is what is wrong
        fix = f"chmod {member.modes.binary:o} {member.etcd_path}"
    else:
        fix = f"install etcd {expected or '(the release of the step)'} to {member.etcd_path} and restart {member.service}"
    return Result(what=what, ok=ok, expected=want, found=found, evidence=evidence, fix=fix, see=SEE)


def healthy(remote: Remote, member: Member) -> Result:
    ev = etcdctl(remote, member, "endpoint health -w json")
    what = N_("{endpoint} is healthy").format(endpoint=member.endpoint)
    health, unread = health_of(ev.stdout)
    ev.note = unread or ev.note
    ok = ev.ok and len(health) == 1 and health[0].healthy
    found = ", ".join((N_("{endpoint} healthy ({detail})") if h.healthy else N_("{endpoint} unhealthy ({detail})"))
                      .format(endpoint=h.endpoint, detail=h.detail) for h in health)
    fix = f"systemctl status {member.service} --no-pager; journalctl -u {member.service} -n 50"
    if not ok:
        from checks.service import with_cause

        fix = with_cause(remote, member, fix)
    return Result(
        what=what, ok=ok, expected=N_("healthy: committed a proposal"), found=found or N_("no answer (exit {rc})").format(rc=ev.rc),
        evidence=[ev], fix=fix, see=SEE)


def round_trip(remote: Remote, member: Member) -> Result:
    """put, get and delete a key of the suite's own (the only write the suite makes to etcd)."""
    key = f"/kthw-etcd-suite/check-{secrets.token_hex(4)}"
    value = secrets.token_hex(8)
    put = etcdctl(remote, member, f"put {key} {value}", writes=True)
    get = etcdctl(remote, member, f"get {key} --print-value-only", writes=True)
    delete = etcdctl(remote, member, f"del {key}", writes=True)
    ok = put.ok and put.stdout.strip() == "OK" and get.ok and get.stdout.strip() == value and delete.stdout.strip() == "1"
    found = f"put: {put.stdout.strip() or put.rc}, get: {get.stdout.strip() or get.rc}, del: {delete.stdout.strip() or delete.rc}"
    return Result(
        what=N_("a key can be written, read back and deleted"), ok=ok, expected=f"put: OK, get: {value}, del: 1",
        found=found, evidence=[put, get, delete], fix=f"journalctl -u {member.service} -n 50 --no-pager", see=SEE)


def hostname_matches(remote: Remote, member: Member) -> Result:
    """The tutorial names the member after the host: the host's short hostname is the member's name."""
    ev = remote.look(HOSTNAME)
    found = ev.stdout.strip()
    return Result(
        what=N_("the host's hostname is {name}, the member's name").format(name=member.name), ok=ev.ok and found == member.name,
        expected=member.name, found=found or N_("no answer (exit {rc})").format(rc=ev.rc), evidence=[ev],
        fix=N_("hostnamectl set-hostname {name}   # and name it in /etc/hosts, as in the tutorial's "
               "step 3").format(name=member.name),
        see=TUTORIAL_URL.replace("07-bootstrapping-etcd.md", "03-compute-resources.md"))
