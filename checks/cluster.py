"""The production cluster seen from one member: every member started and voting, one leader, one
cluster ID, all healthy; plain HTTP and clients without a certificate refused."""

from __future__ import annotations

from core.evidence import Result
from core.etcdctl import command as etcdctl_command
from core.etcdctl import ParseError, health_of, members_json, status_json
from checks.membership import etcdctl
from core.i18n import N_
from core.remote import Remote
from core.model import Member, parse_initial_cluster

SEE = "https://etcd.io/docs/v3.5/op-guide/security/"
# a request etcd must refuse is retried by etcdctl until this runs out (a refusal is never quicker); a member
# that wrongly accepts it answers within milliseconds (the same request with a certificate is the control)
REFUSAL_WAIT = "2s"


def all_started(remote: Remote, member: Member) -> Result:
    """etcdctl calls a member "started" once it has a name, which the members of a new cluster get from
    --initial-cluster before they ever run; one that has run has also published its client URLs."""
    want = sorted(parse_initial_cluster(member.initial_cluster))
    ev = etcdctl(remote, member, "member list -w json", endpoints=member.cluster_endpoints)
    try:
        members = members_json(ev.stdout) if ev.ok else []
    except ParseError:
        members = []
    started = sorted(m.name for m in members if m.status == "started" and m.client_urls)
    silent = sorted(m.name for m in members if m.status == "started" and not m.client_urls)
    learners = [m.name for m in members if m.is_learner]
    ok = started == want and len(members) == len(want) and not learners
    found = "; ".join([N_("started: {items}").format(items=", ".join(started) or N_("none"))]
                      + ([N_("learners: {items}").format(items=", ".join(learners))] if learners else [])
                      + ([N_("never published client URLs (never joined): {items}").format(items=", ".join(silent))]
                         if silent else []))
    return Result(
        what=N_("every member ({items}) is started and votes").format(items=', '.join(want)), ok=ok, expected=N_("started: {items}").format(items=", ".join(want)),
        found=found, evidence=[ev],
        fix=f"systemctl start {member.service}   # " + N_("on every member, at about the same time"), see=SEE)


def one_leader(remote: Remote, member: Member) -> Result:
    ev = etcdctl(remote, member, "endpoint status --cluster -w json", endpoints=member.cluster_endpoints)
    try:
        statuses = status_json(ev.stdout) if ev.ok else []
    except (ParseError, KeyError, ValueError):
        statuses = []
    leaders = {s.leader for s in statuses}
    clusters = {s.cluster_id for s in statuses}
    leading = [s.endpoint for s in statuses if s.is_leader]
    size = member.cluster_size
    ok = len(statuses) == size and len(leaders) == 1 and "" not in leaders and len(clusters) == 1 and len(leading) == 1
    found = (f"{len(statuses)} endpoints; leaders seen: {', '.join(sorted(leaders)) or 'none'}; "
             f"cluster IDs: {', '.join(sorted(clusters)) or 'none'}; leading: {', '.join(leading) or 'none'}")
    return Result(
        what=N_("the members agree on one leader and one cluster ID"), ok=ok,
        expected=N_("{size} endpoints, one leader, one cluster ID").format(size=size), found=found, evidence=[ev],
        fix=f"journalctl -u {member.service} -n 50 --no-pager   # " + N_("on every member"), see=SEE)


def cluster_healthy(remote: Remote, member: Member) -> Result:
    ev = etcdctl(remote, member, "endpoint health --cluster -w json", endpoints=member.cluster_endpoints)
    health, _ = health_of(ev.stdout)
    ok = ev.ok and len(health) == member.cluster_size and all(h.healthy for h in health)
    found = ", ".join((N_("{endpoint} healthy") if h.healthy else N_("{endpoint} unhealthy")).format(endpoint=h.endpoint)
                      for h in health) or f"exit {ev.rc}"
    fix = f"systemctl status {member.service} --no-pager   # " + N_("on the unhealthy members")
    if not ok:
        from checks.service import with_cause

        fix = with_cause(remote, member, fix)
    return Result(
        what=N_("every member is healthy"), ok=ok, expected=N_("{cluster_size} healthy endpoints").format(cluster_size=member.cluster_size), found=found,
        evidence=[ev], fix=fix, see=SEE)


def plain_http_command(member: Member) -> str:
    """etcdctl asking the client URL over plain HTTP."""
    url = member.endpoint.replace("https://", "http://", 1)
    return etcdctl_command(member, "endpoint health", endpoints=url, tls="none", command_timeout=REFUSAL_WAIT)


def no_cert_command(member: Member) -> str:
    """etcdctl asking the client URL over TLS, trusting the CA but with no certificate of its own."""
    return etcdctl_command(member, "endpoint health", tls="ca", command_timeout=REFUSAL_WAIT)


def plain_http_refused(remote: Remote, member: Member) -> Result:
    url = member.endpoint.replace("https://", "http://", 1)
    ev = remote.look(plain_http_command(member))
    answered = ev.ok and "is healthy" in (ev.stdout + ev.stderr)
    return Result(
        what=N_("etcd does not answer plain HTTP on {url}").format(url=url), ok=member.tls and not answered,
        expected=N_("no answer over plain HTTP"), found=N_("etcd answered over plain HTTP") if answered else N_("refused"),
        evidence=[ev], fix=N_("serve clients over https only: --listen-client-urls {listen_client_urls}").format(listen_client_urls=member.listen_client_urls),
        see=SEE)


def no_cert_refused(remote: Remote, member: Member) -> Result:
    """The same TLS request to the client URL, with and without etcdctl's client certificate: etcd must
    answer the first and refuse the second (so it is the certificate that makes the difference)."""
    without = remote.look(no_cert_command(member))
    with_cert = etcdctl(remote, member, "endpoint health")
    answers = lambda ev: ev.ok and "is healthy" in (ev.stdout + ev.stderr)  # noqa: E731
    ok = member.tls and answers(with_cert) and not answers(without)
    found = "; ".join([N_("with a certificate: {answer}").format(answer=N_("answered") if answers(with_cert) else N_("no answer")),
                       N_("without: {answer}").format(answer=N_("answered") if answers(without) else N_("refused"))])
    fix = f"set --client-cert-auth and --trusted-ca-file in {member.unit_path}"
    if member.tls and not answers(with_cert):  # nothing to compare: the member's other failures say why
        fix = (f"systemctl status {member.service} --no-pager   # " + N_(
            "etcd does not answer even with etcdctl's certificate: whether it refuses clients without one cannot be "
            "told until it does"))
    return Result(
        what=N_("a client without a certificate is refused"), ok=ok,
        expected=N_("with a certificate: answered; without: refused"), found=found, evidence=[with_cert, without],
        fix=fix, see=SEE)
