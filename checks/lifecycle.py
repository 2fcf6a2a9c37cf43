"""etcd through kills, clean restarts and reboots: what systemd does by itself, and what survives.

Waits are bounded retries (:func:`wait_for`), never bare sleeps."""

from __future__ import annotations

import json
import secrets
import shlex
import time
from dataclasses import dataclass

from core.etcdctl import command as etcdctl_command
from core.evidence import CheckFailure, Evidence, Result
from checks.membership import etcdctl
from core.i18n import N_
from core.remote import Remote
from core.systemd import parse_show
from core.wait import wait_for
from core.model import TUTORIAL_URL, Member

SEE = TUTORIAL_URL + "#start-the-etcd-server"
MARGIN = 20  # seconds beyond RestartSec that a restart may take


@dataclass
class Noted:
    key: str
    value: str
    member_id: str
    evidence: list[Evidence]


def status(remote: Remote, member: Member) -> tuple[Evidence, dict[str, str]]:
    ev = remote.run("systemctl show -p MainPID -p ActiveState -p SubState -p NRestarts -p Result -- %s",
                    member.unit_name)
    return ev, parse_show(ev.stdout)


def member_id(remote: Remote, member: Member) -> tuple[Evidence, str]:
    ev = etcdctl(remote, member, "endpoint status -w json", writes=True)
    try:
        return ev, f"{int(json.loads(ev.stdout)[0]['Status']['header']['member_id']):016x}"
    except (ValueError, KeyError, IndexError):
        return ev, ""


def note(remote: Remote, member: Member) -> Noted:
    key, value = f"/kthw-etcd-suite/resilience-{secrets.token_hex(4)}", secrets.token_hex(8)
    put = etcdctl(remote, member, f"put {key} {value}", writes=True)
    ev, mid = member_id(remote, member)
    if put.stdout.strip() != "OK" or not mid:
        raise CheckFailure(Result(
            what=N_("a key written and the member's ID noted"), ok=False, expected=N_("put: OK and an ID"),
            found=f"put: {put.stdout.strip() or put.rc}, ID: {mid or 'none'}", evidence=[put, ev],
            fix=f"journalctl -u {member.service} -n 50 --no-pager", see=SEE))
    return Noted(key, value, mid, [put, ev])


def forget(remote: Remote, member: Member, noted: Noted) -> None:
    try:
        etcdctl(remote, member, f"del {noted.key}", writes=True)
    except CheckFailure:
        pass


def kill(remote: Remote, member: Member) -> dict:
    """SIGKILL etcd's main process, noting when (the host's clock) and how often systemd had restarted it."""
    ev, before = status(remote, member)
    pid = before.get("MainPID", "0")
    killed = remote.run("kill -KILL %s && date +%%s.%%N", pid)
    try:
        at_host = float(killed.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        at_host = None
    return {"pid": pid, "restarts": before.get("NRestarts", "0"), "at": time.monotonic(), "at_host": at_host,
            "evidence": [ev, killed]}


def started_at(remote: Remote, member: Member) -> tuple[Evidence, float | None]:
    """When systemd started the service's current main process (its own record, the host's clock, whole seconds)."""
    ev = remote.run("systemctl show --timestamp=unix -p ExecMainStartTimestamp -- %s", member.unit_name)
    value = parse_show(ev.stdout).get("ExecMainStartTimestamp", "").lstrip("@")
    try:
        return ev, float(value)
    except ValueError:
        return ev, None


def restarted(remote: Remote, member: Member, killed: dict) -> Result:
    """systemd started a new etcd by itself, within RestartSec and a bound of the kill: judged by when systemd
    started it (its ExecMainStartTimestamp against the kill's time on the host), so a slow look at a busy host
    does not count against it. Whether the new etcd serves again is the member's next checks' business."""
    bound = member.unit.restart_sec + MARGIN

    def probe():
        ev, now = status(remote, member)
        return (now.get("MainPID") not in ("0", killed["pid"], None)
                and now.get("NRestarts") != killed["restarts"]), (ev, now)

    done, (ev, now), _ = wait_for(probe, bound)
    took = time.monotonic() - killed["at"]
    evidence = killed["evidence"] + [ev]
    if done:
        start_ev, start = started_at(remote, member)
        evidence.append(start_ev)
        known = start is not None and killed.get("at_host") is not None
        within = max(0.0, start - killed["at_host"]) if known else took
        ok = within <= bound + 1  # systemd's timestamp is in whole seconds
        found = (N_("pid {value} started by systemd {within}s after the kill, {value2} ({value3}), NRestarts "
                    "{restarts} -> {value4}").format(value=now.get('MainPID'), within=format(within, '.0f'), value2=now.get('ActiveState'), value3=now.get('SubState'), restarts=killed['restarts'], value4=now.get('NRestarts')))
    else:
        ok = False
        found = (N_("no new etcd after {took}s: {value} ({value2}), MainPID {value3}, NRestarts {restarts} "
                    "-> {value4}").format(took=format(took, '.1f'), value=now.get('ActiveState'), value2=now.get('SubState'), value3=now.get('MainPID'), restarts=killed['restarts'], value4=now.get('NRestarts')))
    return Result(
        what=N_("systemd restarts etcd by itself after SIGKILL"),
        ok=ok,
        expected=N_("a new etcd process within {bound}s (RestartSec={restart_sec} + {MARGIN}s)").format(bound=bound, restart_sec=member.unit.restart_sec, MARGIN=MARGIN),
        found=found,
        evidence=evidence,
        fix=f"set Restart={member.unit.restart} and RestartSec={member.unit.restart_sec} in [Service] of "
        f"{member.unit_path}; systemctl daemon-reload",
        see=SEE,
    )


def stop(remote: Remote, member: Member) -> Result:
    ev = remote.run("systemctl stop -- %s", member.service, timeout=90)
    sev, now = status(remote, member)
    ok = ev.ok and now.get("ActiveState") == "inactive" and now.get("Result") == "success"
    return Result(
        what=N_("etcd stops cleanly"), ok=ok, expected="ActiveState=inactive Result=success",
        found=f"ActiveState={now.get('ActiveState')} Result={now.get('Result')}", evidence=[ev, sev],
        fix=f"journalctl -u {member.service} -n 50 --no-pager", see=SEE)


def start(remote: Remote, member: Member) -> Result:
    ev = remote.run("systemctl start -- %s", member.service, timeout=90)
    sev, now = status(remote, member)
    ok = ev.ok and now.get("ActiveState") == "active"
    return Result(
        what=N_("etcd starts"), ok=ok, expected="ActiveState=active", found=f"ActiveState={now.get('ActiveState')}",
        evidence=[ev, sev], fix=f"journalctl -u {member.service} -n 50 --no-pager", see=SEE)


def data_consistent(remote: Remote, member: Member) -> Result:
    """The stopped member's data: write-ahead log segments, and a snapshot database etcdctl can read."""
    d = member.data_dir
    wal = remote.run("ls -1 -- %s/member/wal", d)
    db = remote.run(etcdctl_command(member, f"snapshot status {shlex.quote(d + '/member/snap/db')} -w json", endpoints=None))
    try:
        info = json.loads(db.stdout.strip().splitlines()[-1]) if db.ok else {}
    except (ValueError, IndexError):
        info = {}
    segments = [w for w in wal.stdout.split() if w.endswith(".wal")]
    ok = bool(segments) and bool(info.get("revision")) and info.get("totalKey", 0) > 0
    return Result(
        what=N_("the stopped member's data in {d} is consistent").format(d=d), ok=ok,
        expected=N_("WAL segments, and a snapshot database with keys and a revision"),
        found=f"{len(segments)} WAL segment(s); db: revision {info.get('revision', '?')}, {info.get('totalKey', '?')} keys",
        evidence=[wal, db], fix=N_("do not delete or edit {d} by hand; restore from a snapshot if it is damaged").format(d=d),
        see=SEE)


def same_member(remote: Remote, member: Member, noted: Noted) -> Result:
    seen: dict = {"evidence": [], "id": ""}

    def probe():
        ev, seen["id"] = member_id(remote, member)
        seen["evidence"] = [ev]
        return bool(seen["id"]), seen["id"]

    done, _, _ = wait_for(probe, 30)
    if not done and status(remote, member)[1].get("ActiveState") in ("activating", "active"):
        # starting by systemd's word, or started and not answering yet (a busy host): wait up to systemd's own
        # default start timeout (90 s); an etcd that answers with another ID is judged at once
        wait_for(probe, 60)
    return Result(
        what=N_("the member keeps its ID"), ok=seen["id"] == noted.member_id, expected=noted.member_id,
        found=seen["id"] or "no answer", evidence=seen["evidence"],
        fix=N_("the data directory {data_dir} must persist: do not remove it").format(data_dir=member.data_dir), see=SEE)


def reads_back(remote: Remote, member: Member, noted: Noted) -> Result:
    ev = etcdctl(remote, member, f"get {noted.key} --print-value-only", writes=True)
    return Result(
        what=N_("the key written before reads back"), ok=ev.ok and ev.stdout.strip() == noted.value, expected=noted.value,
        found=ev.stdout.strip() or f"nothing (exit {ev.rc})", evidence=[ev],
        fix=N_("the data directory {data_dir} must persist across restarts").format(data_dir=member.data_dir), see=SEE)


def boot_id(remote: Remote) -> str:
    return remote.run("cat /proc/sys/kernel/random/boot_id").stdout.strip()


def reboot(remote: Remote) -> dict:
    before = boot_id(remote)
    try:
        remote.run("systemctl reboot", timeout=10)
    except CheckFailure:
        pass  # the connection may drop as the host goes down
    return {"boot_id": before, "at": time.monotonic()}


def back_after_boot(remote: Remote, member: Member, rebooted: dict, timeout: float = 180) -> Result:
    seen: dict = {"found": "the host has not rebooted yet", "evidence": []}

    def probe():
        now = boot_id(remote)
        if not now or now == rebooted["boot_id"]:
            return False, None
        ev, st = status(remote, member)
        seen["found"], seen["evidence"] = f"{st.get('ActiveState')} ({st.get('SubState')})", [ev]
        return st.get("ActiveState") == "active" and st.get("SubState") == "running", None

    done, _, waited = wait_for(probe, timeout, interval=0.5)
    found = N_("active (running) {waited}s after the reboot").format(waited=format(waited, '.1f')) if done else seen["found"]
    return Result(
        what=N_("etcd runs again after a reboot"), ok=done, expected=f"active (running) within {timeout:.0f}s",
        found=found, evidence=seen["evidence"], fix=f"systemctl enable {member.service}", see=SEE)
