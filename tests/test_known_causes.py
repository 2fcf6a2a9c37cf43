"""The service check names the fix for failures etcd states in its journal (the messages students meet)."""

import pytest

from checks.service import known_cause
from core.model import Member
from provision.profiles import production_member

# as etcd 3.4 writes them to the journal
ALREADY = "etcdmain: member 8e9e05c52164694d has already been bootstrapped"
LOCAL_NAME = ("etcdmain: couldn't find local name \"controller\" in the initial cluster configuration")
IN_USE = "etcdmain: listen tcp 127.0.0.1:2379: bind: address already in use"


def test_a_wiped_member_is_removed_and_added_again():
    m = production_member("etcd-1", {"etcd-0": "10.240.0.100", "etcd-1": "10.240.0.101", "etcd-2": "10.240.0.102"})
    fix, command = known_cause(f"Nov 27 etcd[812]: {ALREADY}\n", m)
    assert command == ""  # done on a healthy member, with an ID only the cluster knows
    assert "member remove <ID of etcd-1>" in fix
    assert "member add etcd-1 --peer-urls=https://10.240.0.101:2380" in fix
    assert "--cacert=/etc/etcd/ca.crt" in fix and "--initial-cluster-state existing" in fix


def test_a_name_outside_the_initial_cluster_and_a_taken_port():
    m = Member()
    assert known_cause(LOCAL_NAME, m) == (
        "--name server must be one of the names in --initial-cluster (server=http://127.0.0.1:2380)", "")
    assert known_cause(IN_USE, m)[0].startswith("another process holds etcd's port")


def test_an_unknown_journal_gives_no_specific_fix():
    assert known_cause("etcd[1]: something else entirely", Member()) == ("", "")


# what etcd 3.4 / 3.5 and systemd write for the field's other failures (the cause, then words of its fix)
FIELD = [
    ("etcdmain: listen tcp 10.240.0.99:2380: bind: cannot assign requested address", "ip -4 addr"),
    ('rafthttp: request cluster ID mismatch (got 1a2b want 3c4d)', "mv /var/lib/etcd /var/lib/etcd.old"),
    ("etcd.service: Failed to execute /usr/local/bin/etcd: Exec format error", "uname -m"),
    ("rejected connection from \"10.240.0.11:40000\" (error \"remote error: tls: bad certificate\")",
     "from the CA every member trusts"),
    ("x509: certificate has expired or is not yet valid: current time 2026-11-30T05:00:00Z is after 2025-01-01",
     "timedatectl"),
    ("tls: failed to verify certificate: x509: certificate specifies an incompatible key usage",
     "serverAuth and clientAuth"),
    ("etcdmain: cannot fetch cluster info from peer urls: could not retrieve cluster information",
     "--initial-cluster-state new"),
    ("etcdserver: publish error: etcdserver: request timed out", "at the same time"),
    ('rafthttp: failed to dial 8e9e05c52164694d on stream MsgApp v2 (dial tcp 10.240.0.101:2380: i/o timeout)',
     "allow tcp 2380 between the members"),
    ('rafthttp: health check for peer 8e9e05c52164694d could not connect: dial tcp 10.240.0.101:2380: connect: '
     'connection refused', "start etcd on every member"),
]


@pytest.mark.parametrize("journal, words", FIELD, ids=[w for _, w in FIELD])
def test_the_fields_failures_name_their_fix(journal, words):
    fix = " ".join(known_cause(f"Nov 30 server etcd[812]: {journal}\n", Member()))
    assert words in fix, fix


def test_a_cause_with_a_command_prints_it_on_its_own_line_after_the_meaning_as_a_comment():
    from checks.service import running
    from core.evidence import Evidence

    class Stub:  # the remote's answers: systemctl show, then the journal
        def look(self, cmd, *args):
            if cmd.startswith("journalctl"):
                return Evidence("journalctl", 0, "etcd[9]: rafthttp: request cluster ID mismatch (got 1 want 2)\n", "")
            return Evidence("systemctl show", 0, "LoadState=loaded\nActiveState=activating\nSubState=start\n", "")

    result = running(Stub(), Member())
    first, second = result.fix.splitlines()
    assert first.startswith("# this member's data belongs to another cluster")
    assert second == "systemctl stop etcd && mv /var/lib/etcd /var/lib/etcd.old && mkdir -m 700 /var/lib/etcd && systemctl start etcd"


def test_a_cluster_id_mismatch_names_the_member_that_holds_another_clusters_data():
    cluster = {"etcd-0": "10.240.0.100", "etcd-1": "10.240.0.101", "etcd-2": "10.240.0.102"}
    # as etcd 3.4 logs it on each side: the odd member sees every peer differ, its peers see only that member
    odd = ("request sent was ignored (cluster ID mismatch: peer[c5d77a510cb9c722]=dd76358ca0d20df8, local=4d425686c0e4dfa)\n"
           "request sent was ignored (cluster ID mismatch: peer[6ed9e6c5ede1c411]=dd76358ca0d20df8, local=4d425686c0e4dfa)\n")
    peer = ("request sent was ignored (cluster ID mismatch: peer[19d276795e9ab2bf]=4d425686c0e4dfa, local=dd76358ca0d20df8)\n"
            "request cluster ID mismatch (got 4d425686c0e4dfa want dd76358ca0d20df8)\n")
    why, command = known_cause(odd, production_member("etcd-0", cluster))
    assert why.startswith("this member's data belongs to another cluster") and "mv /var/lib/etcd" in command
    why, command = known_cause(peer, production_member("etcd-1", cluster))
    assert "the member with ID 19d276795e9ab2bf holds another cluster's data" in why and "nothing to do here" in why
    assert command == ""


class Answers:
    """A remote that answers each command from a table (the first key the command starts with)."""

    def __init__(self, table: dict):
        self.table = table

    def look(self, cmd, *args, **_):
        from core.evidence import Evidence

        for start, (rc, out, err) in self.table.items():
            if cmd.startswith(start):
                return Evidence(cmd % args if args else cmd, rc, out, err)
        raise AssertionError(f"unexpected command {cmd!r}")


def test_a_binary_for_another_architecture_names_the_hosts_release_not_its_mode():
    from checks.binaries import reports_version

    # as dash prints it for etcd's arm64 build on an x86_64 host (exit 126, like a missing x bit)
    remote = Answers({"/usr/local/bin/etcd --version": (126, "", "sh: 1: /usr/local/bin/etcd: Exec format error\n"),
                      "uname -m": (0, "x86_64\n", "")})
    result = reports_version(remote, Member(), "etcd")
    assert not result.ok and "exec format error" in result.found
    assert "uname -m" in result.fix and "etcd-vX-linux-amd64" in result.fix and "chmod" not in result.fix
    assert [e.command for e in result.evidence][-1] == "uname -m"


def test_a_binary_without_its_x_bit_is_still_fixed_with_chmod():
    from checks.binaries import reports_version

    remote = Answers({"/usr/local/bin/etcd --version": (126, "", "sh: 1: /usr/local/bin/etcd: Permission denied\n")})
    result = reports_version(remote, Member(), "etcd")
    assert not result.ok and result.fix == "chmod 755 /usr/local/bin/etcd" and "permission denied" in result.found


def test_status_203_names_what_may_be_wrong_when_the_journal_has_lost_the_reason():
    from checks.service import running

    show = "LoadState=loaded\nActiveState=failed\nSubState=failed\nResult=exit-code\nExecMainStatus=203\n"
    remote = Answers({"systemctl show": (0, show, ""), "journalctl": (0, "systemd[1]: Failed to start etcd.\n", "")})
    result = running(remote, Member())
    comment, command = result.fix.splitlines()
    assert comment.startswith("# systemd could not execute /usr/local/bin/etcd (status=203/EXEC)")
    assert "uname -m" in comment and "chmod 755 /usr/local/bin/etcd" in comment
    assert command.startswith("systemctl start etcd")
    # another exit status: no such guess
    remote.table["systemctl show"] = (0, show.replace("=203", "=1"), "")
    assert running(remote, Member()).fix.startswith("systemctl start etcd")


def test_a_process_that_listens_nowhere_does_not_pass_for_listening_nowhere_else():
    """In a restart loop etcd exists for a moment of each cycle, before it opens a socket: "no other address"
    is then no evidence, and the check fails as etcd not serving (it once passed or failed by the moment)."""
    from checks.network import listens_nowhere_else

    ss = ('LISTEN 0 4096 127.0.0.1:2379 0.0.0.0:* users:(("etcd",pid=812,fd=8))\n'
          'LISTEN 0 4096 127.0.0.1:2380 0.0.0.0:* users:(("etcd",pid=812,fd=7))\n')
    for pid, ok, found in (("812", True, "nothing else"), ("913", False, "pid 913 listens nowhere"),
                           ("0", False, "etcd has no main process")):
        remote = Answers({"systemctl show -p MainPID": (0, pid + "\n", ""), "ss -Htlnp": (0, ss, "")})
        result = listens_nowhere_else(remote, Member())
        assert result.ok == ok and result.found.startswith(found), (pid, result.found)
        assert ok or result.fix.startswith("systemctl start etcd")


@pytest.mark.parametrize("delay, ok", [(6, True), (40, False)])
def test_a_restart_after_a_kill_is_timed_by_systemds_own_record(delay, ok):
    """How long systemd took to start a new etcd is read from systemd (ExecMainStartTimestamp against the kill's
    time on the host), not from when a busy host let the suite look."""
    from checks.lifecycle import restarted

    killed_at = 1796059000.25
    remote = Answers({"systemctl show --timestamp=unix": (0, f"ExecMainStartTimestamp=@{int(killed_at + delay)}\n", ""),
                      "systemctl show -p MainPID": (0, "MainPID=579\nNRestarts=1\nActiveState=activating\n"
                                                       "SubState=start\nResult=success\n", "")})
    remote.run = remote.look
    killed = {"pid": "176", "restarts": "0", "at": 0.0, "at_host": killed_at, "evidence": []}
    result = restarted(remote, Member(), killed)
    assert result.ok is ok, result.found
    assert f"pid 579 started by systemd {delay}s after the kill" in result.found
