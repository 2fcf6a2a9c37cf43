"""Quorum of the production cluster: stop members, write through the survivor, bring them back."""

from __future__ import annotations

import secrets

from core.evidence import Result
from core.etcdctl import ParseError, health_of, status_json
from core.i18n import N_
from core.wait import wait_for
from checks.membership import etcdctl
from core.model import Member

SEE = "https://etcd.io/docs/v3.5/faq/#what-is-failure-tolerance"


def stop(peer) -> Result:
    ev = peer.remote.run("systemctl stop -- %s", peer.member.service, timeout=60)
    return Result(
        what=N_("etcd stops on {name}").format(name=peer.name), ok=ev.ok, expected="stopped", found=f"exit {ev.rc}", evidence=[ev],
        fix=f"systemctl stop {peer.member.service}", see=SEE)


def start(peers) -> list:
    for p in peers:  # together: one member alone cannot regain quorum
        p.remote.run("systemctl start --no-block -- %s", p.member.service)
    return peers


def write(remote, member: Member, written: list) -> tuple[bool, object]:
    key, value = f"/kthw-etcd-suite/quorum-{secrets.token_hex(4)}", secrets.token_hex(8)
    ev = etcdctl(remote, member, f"put {key} {value}", writes=True, timeout=30, endpoints=member.cluster_endpoints)
    ok = ev.ok and ev.stdout.strip() == "OK"
    if ok:
        written.append((key, value))
    return ok, ev


def write_succeeds(remote, member: Member, written: list) -> Result:
    ok, ev = write(remote, member, written)
    return Result(
        what=N_("a write succeeds with one member of three down"), ok=ok, expected="put: OK",
        found=ev.stdout.strip() or f"exit {ev.rc}: {ev.stderr.strip()[-200:]}", evidence=[ev],
        fix="two of three members must run: systemctl start etcd on the others", see=SEE)


def write_fails(remote, member: Member, written: list) -> Result:
    ok, ev = write(remote, member, written)
    text = (ev.stdout + ev.stderr).lower()
    clear = any(w in text for w in ("deadline exceeded", "timed out", "no leader", "unavailable", "failed"))
    return Result(
        what=N_("a write fails with a clear error when quorum is lost"),
        ok=not ok and clear,
        expected=N_("an error (no leader / deadline exceeded), nothing written"),
        found=(ev.stdout + ev.stderr).strip()[-300:]
               or f"exit {ev.rc}",
        evidence=[ev],
        fix="a cluster without quorum must refuse writes: check the etcd version",
        see=SEE,
    )


def sees_leader(remote, member: Member) -> Result:
    ev = etcdctl(remote, member, "endpoint status -w json", writes=True)
    try:
        st = status_json(ev.stdout)[0] if ev.ok else None
    except (ParseError, KeyError, ValueError, IndexError):
        st = None
    return Result(
        what=N_("this member sees a leader"), ok=bool(st and st.leader), expected=N_("a leader ID"),
        found=(st.leader if st else "") or N_("no leader"), evidence=[ev], fix="two of three members must run", see=SEE)


def whole_again(remote, member: Member, written: list, timeout: float = 90) -> Result:
    def healthy():
        ev = etcdctl(remote, member, "endpoint health -w json", writes=True, endpoints=member.cluster_endpoints)
        health, _ = health_of(ev.stdout)
        return (len(health) == member.cluster_size and all(h.healthy for h in health)), ev

    done, ev, waited = wait_for(healthy, timeout, interval=1)
    lost = []
    for key, value in written:
        got = etcdctl(remote, member, f"get {key} --print-value-only", writes=True, endpoints=member.cluster_endpoints)
        if got.stdout.strip() != value:
            lost.append(key)
        etcdctl(remote, member, f"del {key}", writes=True, endpoints=member.cluster_endpoints)
    return Result(
        what=N_("every member is healthy again and nothing written is lost"), ok=done and not lost,
        expected=N_("{cluster_size} healthy members, {value} key(s) read back").format(cluster_size=member.cluster_size, value=len(written)),
        found=(N_("healthy after {waited}s").format(waited=format(waited, '.0f')) if done else "not all healthy") + (f"; lost: {', '.join(lost)}" if lost else ""),
        evidence=[ev] if ev else [], fix="systemctl start etcd on every member; journalctl -u etcd -n 50", see=SEE)
