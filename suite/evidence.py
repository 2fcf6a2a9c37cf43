"""Gather a host's evidence ahead of its scenarios, as the checks declare it (checks/catalog.py).

The plan is known before anything is sent: every command the run's checks need (``Check.needs``), then those
the first answers lead to (``Check.then``: the group of a ``User=``, etcdctl when something serves the client
URL). The quick commands of a round go in one SSH session (:meth:`Remote.look_many`: a session costs the host
about as much CPU as a quick command, and a class's audit is bound by the CPU). etcdctl requests may each wait
for their timeout on a member without a leader: ``endpoint status`` goes first, alone; when the member answers it
at once, its other requests go together too, else each goes at once in a session of its own, as
do the requests that ask the other members or try a refused client, whatever the member answers.

Nothing here changes a host: the remote refuses ``run`` meanwhile. What the host answered stays in its
:class:`Remote`; the scenarios judge from it (``Target.judge``), asking only what was not gathered.
"""

from __future__ import annotations

import shlex
from concurrent.futures import ThreadPoolExecutor

from checks import catalog
from core.answers import Ask
from core.model import Member
from core.remote import Remote

# hosts at once: a class of 30 on 2 cores measured faster with 8 than with 16 (bench/classroom.py); more hosts
# at once starve the scenarios' own thread of the CPU
MAX_THREADS = 8
ETCDCTL_THREADS = 8  # etcdctl requests at once on one host (sshd allows 10 sessions per connection by default)


def is_etcdctl(ask: Ask) -> bool:
    return "ETCDCTL_API=3 " in ask[0]


def asks_others(member: Member, ask: Ask) -> bool:
    """An etcdctl request to every member, or one that tries how the member refuses a client: it may wait for its
    timeout whatever this member answers."""
    command = ask[0]
    wide = member.cluster_size > 1 and f"--endpoints={shlex.quote(member.cluster_endpoints)}" in command
    refused = "--command-timeout=" in command and "--command-timeout=8s" not in command
    return wide or refused


def _quiet(remote: Remote, fn, *args) -> None:
    """Gathering never fails a scenario: a command that could not be asked is asked again by the scenario that
    needs it, which reports what happened in its own place."""
    if remote.broken:
        return
    try:
        fn(*args)
    except Exception:  # noqa: BLE001
        pass


def gather(remote: Remote, member: Member, profile: str = "lab", also: list[Ask] | None = None) -> int:
    """Ask a host everything the run's read-only checks will judge (and ``also``); how many commands it sent.

    A healthy host answers in two rounds (the first often asked already with the pre-flight: ``first_round``):
    the declared commands, then what their answers name with the member's etcdctl requests, which run only if the
    first of them (``endpoint status``) succeeds; what a round leaves unanswered is asked on its own, etcdctl's
    requests each at once."""
    sent = len(remote.history)
    checks = catalog.judged(profile)
    with remote.read_only(), ThreadPoolExecutor(max_workers=ETCDCTL_THREADS) as pool:
        first = [*(also or []), *catalog.plan(member, checks)]
        waiting = [pool.submit(_quiet, remote, remote.ask, [a]) for a in first if is_etcdctl(a) and not remote.known(a[0])]
        _quiet(remote, remote.ask, [a for a in first if not is_etcdctl(a)])
        second = [a for a in catalog.plan(member, checks, remote.answers()) if not remote.known(a[0])]
        wide = [a for a in second if is_etcdctl(a) and asks_others(member, a)]
        own = [a for a in second if is_etcdctl(a) and a not in wide]
        waiting += [pool.submit(_quiet, remote, remote.ask, [a]) for a in wide]
        lead = next((a for a in own if "endpoint status -w json" in a[0]), own[0] if own else None)
        batch = [a for a in second if not is_etcdctl(a)] + ([lead] if lead else []) + [a for a in own if a != lead]
        if len(batch) > 1:
            _quiet(remote, remote.look_many, batch, lead[0] if lead else None)
        left = [a for a in batch if not remote.known(a[0])]
        waiting += [pool.submit(_quiet, remote, remote.ask, [a]) for a in left if is_etcdctl(a)]
        _quiet(remote, remote.ask, [a for a in left if not is_etcdctl(a)])
        # a third round only for what the second names (a configuration file an environment file names)
        asked = {a[0] for a in first + second}
        third = [a for a in catalog.plan(member, checks, remote.answers()) if a[0] not in asked and not is_etcdctl(a)]
        if third:
            _quiet(remote, remote.ask, third)
        for w in waiting:
            w.result()
    return len(remote.history) - sent


def first_round(member: Member, profile: str, also: list[Ask] | None = None) -> list[Ask]:
    """What :func:`gather` asks first, but etcdctl's requests (which may wait for their timeouts): an audit asks it
    with the pre-flight, in one round."""
    return [a for a in [*(also or []), *catalog.plan(member, catalog.judged(profile))] if not is_etcdctl(a)]


def gather_all(hosts: list[tuple[Remote, Member]], profile: str = "lab") -> list[int]:
    """:func:`gather` on every host at once."""
    if not hosts:
        return []
    with ThreadPoolExecutor(max_workers=min(MAX_THREADS, len(hosts))) as pool:
        return list(pool.map(lambda h: gather(*h, profile), hosts))
