"""The production cluster seen from one member: every member started and voting, one leader, one
cluster ID, all healthy; plain HTTP and clients without a certificate refused."""

from __future__ import annotations

from checks.core import Result
from checks.etcdctl import ParseError, health_json, members_json, status_json
from checks.membership import etcdctl
from checks.remote import Remote
from provision.model import Member, parse_initial_cluster

SEE = "https://etcd.io/docs/v3.5/op-guide/security/"


def all_started(remote: Remote, member: Member) -> Result:
    want = sorted(parse_initial_cluster(member.initial_cluster))
    ev = etcdctl(remote, member, "member list -w json")
    try:
        members = members_json(ev.stdout) if ev.ok else []
    except ParseError:
        members = []
    started = sorted(m.name for m in members if m.status == "started")
    learners = [m.name for m in members if m.is_learner]
    ok = started == want and len(members) == len(want) and not learners
    found = f"started: {', '.join(started) or 'none'}" + (f"; learners: {', '.join(learners)}" if learners else "")
    return Result(f"every member ({', '.join(want)}) is started and votes", ok, f"started: {', '.join(want)}", found,
                  [ev], f"start etcd on every member together: systemctl start {member.service}", SEE)


def one_leader(remote: Remote, member: Member) -> Result:
    ev = etcdctl(remote, member, "endpoint status --cluster -w json")
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
    return Result("the members agree on one leader and one cluster ID", ok,
                  f"{size} endpoints, one leader, one cluster ID", found, [ev],
                  f"journalctl -u {member.service} -n 50 --no-pager   # on every member", SEE)


def cluster_healthy(remote: Remote, member: Member) -> Result:
    ev = etcdctl(remote, member, "endpoint health --cluster -w json")
    try:
        health = health_json(ev.stdout) if ev.stdout.strip() else []
    except (ParseError, KeyError):
        health = []
    ok = ev.ok and len(health) == member.cluster_size and all(h.healthy for h in health)
    found = ", ".join(f"{h.endpoint} {'healthy' if h.healthy else 'unhealthy'}" for h in health) or f"exit {ev.rc}"
    return Result("every member is healthy", ok, f"{member.cluster_size} healthy endpoints", found, [ev],
                  f"systemctl status {member.service} on the unhealthy members", SEE)


def plain_http_refused(remote: Remote, member: Member) -> Result:
    url = member.endpoint.replace("https://", "http://", 1)
    ev = remote.look("ETCDCTL_API=3 %s --endpoints=%s --dial-timeout=2s --command-timeout=4s endpoint health",
                     member.etcdctl_path, url)
    answered = ev.ok and "is healthy" in (ev.stdout + ev.stderr)
    return Result(f"etcd does not answer plain HTTP on {url}", member.tls and not answered,
                  "no answer over plain HTTP", "etcd answered over plain HTTP" if answered else "refused",
                  [ev], f"serve clients over https only: --listen-client-urls {member.listen_client_urls}", SEE)


def no_cert_refused(remote: Remote, member: Member) -> Result:
    ev = remote.look("ETCDCTL_API=3 %s --endpoints=%s --cacert=%s --dial-timeout=2s --command-timeout=4s "
                     "endpoint health", member.etcdctl_path, member.endpoint, member.trusted_ca_file or "/dev/null")
    text = (ev.stdout + ev.stderr).lower()
    answered = ev.ok and "is healthy" in text
    # refused for want of a certificate: the TLS handshake fails on the client certificate
    by_cert = any(w in text for w in ("bad certificate", "certificate required", "tls: ", "x509"))
    found = ("answered without a client certificate" if answered else
             "refused by the TLS handshake" if by_cert else "no TLS answer at all (is it serving TLS?)")
    return Result("a client without a certificate is refused", member.tls and not answered and by_cert,
                  "refused (client-cert-auth)", found,
                  [ev], f"set --client-cert-auth and --trusted-ca-file in {member.unit_path}", SEE)
