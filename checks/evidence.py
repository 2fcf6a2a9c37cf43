"""Gather a host's evidence ahead of the scenarios, its commands side by side.

The scenarios mostly wait for a host's answers, one command after another. The read-only checks below
are run once per host, several at a time: each command in its own session (channel) of the host's one
SSH connection, as sshd allows (MaxSessions, 10 by default); several hosts at once when one process
audits them. What they read stays in the host's :class:`Remote` cache, so the scenarios that follow judge
from it instead of waiting again. Nothing here may change a host: the remote refuses ``run`` meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from checks import binaries, certs, files, membership, network, service, unit
from checks.remote import ReadOnlyError, Remote
from provision.model import Member

MAX_THREADS = 16  # hosts at once
SESSIONS = 6  # commands at once on one host, below sshd's default MaxSessions (10)


def probes(remote: Remote, member: Member) -> list[Callable[[], object]]:
    """The read-only checks whose evidence the scenarios share."""
    r, m = remote, member
    out: list[Callable[[], object]] = []
    for name in m.binaries:
        out += [lambda n=name: files.binary(r, m, n), lambda n=name: binaries.reports_version(r, m, n)]
    out += [lambda w=which: files.directory(r, m, w) for which in ("data", "configuration")]
    for name in m.certificates:
        out += [lambda n=name: files.certificate_file(r, m, n), lambda n=name: certs.parses(r, m, n)]
    out += [lambda: certs.key_pair(r, m), lambda: certs.chain(r, m)]
    out += [lambda: unit.current(r, m), lambda: unit.verify(r, m), lambda: unit.no_unexpected_flags(r, m),
            lambda: service.enabled(r, m), lambda: service.running(r, m), lambda: network.listens_nowhere_else(r, m)]
    out += [lambda f=fmt: membership.list_members(r, m, f) for fmt in membership.FORMAT_ARGS]
    out += [lambda: membership.leader(r, m), lambda: membership.healthy(r, m), lambda: membership.hostname_matches(r, m),
            lambda: membership.version_matches(r, m)]
    return out


def gather(remote: Remote, member: Member) -> int:
    """Run the probes on one host; how many commands they sent. A failed probe is left to its scenario."""
    sent = len(remote.history)

    def attempt(probe) -> None:
        if remote.broken:  # the connection is gone: the scenarios will say so, once each
            return
        try:
            probe()
        except ReadOnlyError:
            raise  # a probe that would change the host is a bug, never skipped quietly
        except Exception:  # noqa: BLE001 - the scenario that needs it reports it, in its own place
            pass

    with remote.read_only(), ThreadPoolExecutor(max_workers=SESSIONS) as pool:
        list(pool.map(attempt, probes(remote, member)))
    return len(remote.history) - sent


def gather_all(pairs: list[tuple[Remote, Member]]) -> list[int]:
    """:func:`gather` on every host at once."""
    if not pairs:
        return []
    with ThreadPoolExecutor(max_workers=min(MAX_THREADS, len(pairs))) as pool:
        return list(pool.map(lambda p: gather(*p), pairs))
