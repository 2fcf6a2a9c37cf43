"""Gather the evidence of several hosts at once, ahead of their scenarios.

Auditing hosts one after another spends most of its time waiting for each host's answers. When one
process audits several hosts, the read-only checks below are run once per host, the hosts in parallel
threads (one SSH connection each, as always); what they read stays in the host's :class:`Remote` cache,
so the scenarios that follow judge from it instead of waiting again. Nothing here may change a host: the
remote refuses ``run`` meanwhile. Within one host the quick commands go together in one SSH session (two
rounds: what the first answers names the second; see :func:`prefetch`): a session costs the host about as
much CPU as a quick command itself, and a class's audit is bound by the CPU. Then ``etcdctl endpoint status``
goes alone: when the member answers it at once, its other requests to that member go together too; else each
goes at once in a session of its own (on a member without a leader each waits for its whole timeout), as do
the requests that ask the other members or try a refused client, whatever the member answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from checks import binaries, cluster, files, membership, network, service, unit
from core.model import Member
from core.remote import Deferred, ReadOnlyError, Remote

# hosts at once: a class of 30 on 2 cores measured 11.1 / 12.9 s (medians of 4, two rounds) with 8, against
# 12.5 / 13.9 s with 16; more hosts at once starve the scenarios' own thread of the CPU
MAX_THREADS = 8
ETCDCTL_THREADS = 8  # etcdctl requests at once on one host (sshd allows 10 sessions per connection by default)


def probes(remote: Remote, member: Member) -> list[Callable[[], object]]:
    """The read-only checks whose evidence the scenarios share."""
    r, m = remote, member
    out: list[Callable[[], object]] = []
    for name in m.binaries:
        out += [lambda n=name: files.binary(r, m, n), lambda n=name: binaries.reports_version(r, m, n)]
    out += [lambda w=which: files.directory(r, m, w) for which in ("data", "configuration")]
    out += [lambda: files.unit_file(r, m)]
    for name in m.certificates:  # read only: parsing keys is the checks' own (costly) work
        out += [lambda n=name: files.certificate_file(r, m, n), lambda n=name: r.read(m.config_file(n))]
    out += [lambda: unit.current(r, m), lambda: unit.verify(r, m), lambda: unit.no_unexpected_flags(r, m),
            lambda: unit.setting(r, m, "RestartSec"), lambda: unit.setting(r, m, "WantedBy"),
            lambda: service.enabled(r, m), lambda: service.running(r, m), lambda: network.listens_nowhere_else(r, m),
            lambda: membership.serving(r, m)]  # what each etcdctl request checks first
    return out


def etcdctl_probes(remote: Remote, member: Member) -> list[Callable[[], object]]:
    """The read-only checks that ask etcd itself (each may wait for etcdctl's timeout)."""
    return [*own_etcdctl_probes(remote, member), *wide_etcdctl_probes(remote, member)]


def own_etcdctl_probes(remote: Remote, member: Member) -> list[Callable[[], object]]:
    """Those that ask this member only, endpoint status first: when it answers at once, so do the others."""
    r, m = remote, member
    out: list[Callable[[], object]] = [lambda: membership.leader(r, m)]
    out += [lambda f=fmt: membership.list_members(r, m, f) for fmt in membership.FORMAT_ARGS]
    out += [lambda: membership.healthy(r, m), lambda: membership.hostname_matches(r, m),
            lambda: membership.version_matches(r, m)]
    return out


def wide_etcdctl_probes(remote: Remote, member: Member) -> list[Callable[[], object]]:
    """Those that ask the other members too, or try how the member refuses a client: each may wait for its
    timeout whatever this member answers."""
    r, m = remote, member
    out: list[Callable[[], object]] = []
    if m.tls:
        out += [lambda: cluster.no_cert_refused(r, m), lambda: cluster.plain_http_refused(r, m)]
    if m.cluster_size > 1:  # the cluster seen from this member
        out += [lambda: cluster.all_started(r, m), lambda: cluster.one_leader(r, m), lambda: cluster.cluster_healthy(r, m)]
    return out


PREFETCH_ROUNDS = 3  # a check that reads what an earlier command named (ls, then stat of each file) asks in rounds


def _attempt(remote: Remote, probe) -> None:
    if remote.broken:  # the connection is gone: the scenarios will say so, once each
        return
    try:
        probe()
    except ReadOnlyError:
        raise  # a probe that would change the host is a bug, never skipped quietly
    except Exception:  # noqa: BLE001 - the scenario that needs it reports it, in its own place
        pass


def prefetch(remote: Remote, quick: list[Callable[[], object]]) -> int:
    """Ask what the quick probes will ask, in one SSH session per round (see :meth:`Remote.look_many`): the
    probes are run while the remote only notes their commands, the noted commands are sent together, and again
    for what their answers lead to. How many sessions were used."""
    sessions = 0
    for _ in range(PREFETCH_ROUNDS):
        with remote.recording() as noted:
            for probe in quick:
                try:
                    _attempt(remote, probe)
                except Deferred:
                    pass
        if not noted or remote.broken:
            break
        try:
            remote.look_many(noted)
        except Exception:  # noqa: BLE001 - the probes below ask again, one command at a time, and report
            break
        sessions += 1
    return sessions


def gather(remote: Remote, member: Member, also: list[Callable[[], object]] | None = None) -> int:
    """Run the probes on one host (and ``also``, read-only too); how many commands they sent. A failed probe is
    left to its scenario."""
    sent = len(remote.history)
    quick = [*(also or []), *probes(remote, member)]
    own, wide = own_etcdctl_probes(remote, member), wide_etcdctl_probes(remote, member)
    with remote.read_only():
        prefetch(remote, quick)
        with ThreadPoolExecutor(max_workers=ETCDCTL_THREADS) as pool:
            asked = [pool.submit(_attempt, remote, p) for p in wide]
            if _answers_at_once(remote, own[0], pool, asked):
                prefetch(remote, own[1:])  # the member answers: its other requests together, one session
            asked += [pool.submit(_attempt, remote, p) for p in own[1:]]  # (each at once, if not)
            for probe in quick:
                _attempt(remote, probe)
            for one in asked:
                one.result()
    return len(remote.history) - sent


ANSWERS_AT_ONCE = 2.0  # seconds: an etcd member with a leader answers etcdctl in milliseconds


def _answers_at_once(remote: Remote, probe, pool: ThreadPoolExecutor, asked: list) -> bool:
    """Start the probe in the pool (added to ``asked``); whether the request it sends first succeeded within
    :data:`ANSWERS_AT_ONCE`. When it does not, the caller need not wait for it to end."""
    with remote.recording() as noted:
        try:
            _attempt(remote, probe)
        except Deferred:
            pass
    if not noted:
        return False
    first = pool.submit(_attempt, remote, probe)
    asked.append(first)
    try:
        first.result(timeout=ANSWERS_AT_ONCE)
    except Exception:  # noqa: BLE001 - not answered in time (or failed): the others go each on its own
        return False
    return any(ev.command == noted[0][0] and ev.ok for ev in list(remote.history))


def gather_all(pairs: list[tuple[Remote, Member]]) -> list[int]:
    """:func:`gather` on every host at once."""
    if not pairs:
        return []
    with ThreadPoolExecutor(max_workers=min(MAX_THREADS, len(pairs))) as pool:
        return list(pool.map(lambda p: gather(*p), pairs))
