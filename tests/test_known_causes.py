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
    fix = known_cause(f"Nov 27 etcd[812]: {ALREADY}\n", m)
    assert "member remove <ID of etcd-1>" in fix
    assert "member add etcd-1 --peer-urls=https://10.240.0.101:2380" in fix
    assert "--cacert=/etc/etcd/ca.crt" in fix and "--initial-cluster-state existing" in fix


def test_a_name_outside_the_initial_cluster_and_a_taken_port():
    m = Member()
    assert known_cause(LOCAL_NAME, m) == "--name server must be one of the names in --initial-cluster (server=http://127.0.0.1:2380)"
    assert known_cause(IN_USE, m).startswith("another process holds etcd's port")


def test_an_unknown_journal_gives_no_specific_fix():
    assert known_cause("etcd[1]: something else entirely", Member()) == ""


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
]


@pytest.mark.parametrize("journal, words", FIELD, ids=[w for _, w in FIELD])
def test_the_fields_failures_name_their_fix(journal, words):
    fix = known_cause(f"Nov 30 server etcd[812]: {journal}\n", Member())
    assert words in fix, fix
