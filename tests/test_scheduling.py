"""pytest-xdist grouping: each host's scenarios go to one worker (see suite/scheduling.py)."""

from suite.scheduling import CLUSTER, host_scope

IDS = ["paramiko://node", "paramiko://node-0", "paramiko://server", "ansible://web-1"]
F = "features/test_etcd_step.py::"


def test_the_host_is_read_from_the_test_id():
    assert host_scope(F + "test_preflight[paramiko://server]", IDS) == "paramiko://server"
    assert host_scope(F + "test_binary_reports_its_version[paramiko://server-etcdctl]", IDS) == "paramiko://server"
    # a host whose name is another's prefix: the longest id that fits wins
    assert host_scope(F + "test_binary_reports_its_version[paramiko://node-0-etcd]", IDS) == "paramiko://node-0"
    assert host_scope(F + "test_binary_reports_its_version[paramiko://node-etcd]", IDS) == "paramiko://node"
    assert host_scope(F + "test_preflight[ansible://web-1]", IDS) == "ansible://web-1"


def test_a_production_cluster_is_one_group():
    assert host_scope(F + "test_preflight[paramiko://node-0]", IDS, cluster=True) == CLUSTER
    assert host_scope(F + "test_preflight[paramiko://server]", IDS, cluster=True) == CLUSTER


def test_tests_without_a_known_host_are_their_own_group():
    assert host_scope("tests/test_model.py::test_defaults", IDS) == "tests/test_model.py::test_defaults"
    assert host_scope(F + "test_x[paramiko://elsewhere]", IDS) == F + "test_x[paramiko://elsewhere]"


def test_an_xdist_group_suffix_is_honoured_where_pytest_keeps_it():
    assert host_scope(F + "test_preflight[paramiko://server]@server", IDS) == "server"


def test_outside_a_worker_no_hosts_are_queued():
    from types import SimpleNamespace

    from suite.scheduling import queued_hosts

    assert queued_hosts(SimpleNamespace()) == set()
