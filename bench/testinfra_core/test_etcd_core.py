"""The step's core checks written by hand with pytest-testinfra, as a student would: the reference the suite's
audit is compared with in bench/wan.py (run alone: pytest bench/testinfra_core --hosts=... --ssh-config=...).

Twelve checks, each its own commands over testinfra's paramiko backend, nothing gathered ahead."""

import json


def test_etcd_binary(host):
    f = host.file("/usr/local/bin/etcd")
    assert f.exists and f.user == "root" and f.mode & 0o022 == 0


def test_etcdctl_binary(host):
    assert host.file("/usr/local/bin/etcdctl").exists


def test_config_dir(host):
    assert host.file("/etc/etcd").is_directory


def test_data_dir_mode(host):
    f = host.file("/var/lib/etcd")
    assert f.is_directory and f.mode == 0o700


def test_unit_file(host):
    f = host.file("/etc/systemd/system/etcd.service")
    assert f.exists and f.user == "root"


def test_service_enabled(host):
    assert host.service("etcd").is_enabled


def test_service_running(host):
    assert host.service("etcd").is_running


def test_client_port(host):
    assert host.socket("tcp://127.0.0.1:2379").is_listening


def test_peer_port(host):
    assert host.socket("tcp://127.0.0.1:2380").is_listening


def test_member_list(host):
    out = host.check_output("ETCDCTL_API=3 etcdctl member list -w json")
    members = json.loads(out)["members"]
    assert len(members) == 1 and members[0]["name"] == host.check_output("hostname -s")


def test_endpoint_health(host):
    assert "is healthy" in host.run("ETCDCTL_API=3 etcdctl endpoint health").stderr


def test_endpoint_status(host):
    out = json.loads(host.check_output("ETCDCTL_API=3 etcdctl endpoint status -w json"))
    assert out[0]["Status"]["leader"] == out[0]["Status"]["header"]["member_id"]
