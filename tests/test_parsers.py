"""Reading etcdctl, ss and systemctl output recorded from etcd 3.4, 3.5 and the write-up's 3.6."""

import pytest

from core import etcdctl as e
from core.ss import parse_ss, split_address
from core.systemd import exec_argv, normalise, parse_flags, parse_show
from core.version import etcd_version

SEED_MEMBER = e.MemberInfo("6702b0a34e2cfd39", "server", ("http://127.0.0.1:2380",), ("http://127.0.0.1:2379",), False)


@pytest.mark.parametrize("source", ["seed", "etcd-3.4", "etcd-3.5"])
@pytest.mark.parametrize("fmt", ["simple", "table"])
def test_member_list_simple_and_table(data, source, fmt):
    assert e.MEMBER_PARSERS[fmt](data(f"{source}/member_list_{fmt}.txt")) == [SEED_MEMBER]


@pytest.mark.parametrize("source", ["etcd-3.4", "etcd-3.5"])
def test_member_list_json_has_decimal_ids_and_no_false_learner(data, source):
    text = data(f"{source}/member_list_json.txt")
    assert "7422689351297727801" in text and "isLearner" not in text
    assert e.members_json(text) == [SEED_MEMBER]


def test_member_list_learner_unstarted_and_several_urls():
    text = ("6702b0a34e2cfd39, started, server, http://127.0.0.1:2380, http://127.0.0.1:2379, false\n"
            "8e9e05c52164694d, unstarted, , http://10.0.0.2:2380, , true\n"
            "91bc3c398fb3c146, started, b, http://10.0.0.3:2380,http://10.0.1.3:2380, http://10.0.0.3:2379, false\n")
    members = e.members_simple(text)
    assert [m.status for m in members] == ["started", "unstarted", "started"]
    assert members[1].is_learner and members[2].peer_urls == ("http://10.0.0.3:2380", "http://10.0.1.3:2380")
    js = '{"members":[{"ID":10276657743932975437,"peerURLs":["http://10.0.0.2:2380"],"isLearner":true}]}'
    assert e.members_json(js) == [e.MemberInfo("8e9e05c52164694d", "", ("http://10.0.0.2:2380",), (), True)]


@pytest.mark.parametrize("source, version, columns", [
    ("seed", "3.6.0-rc.3", 16), ("etcd-3.4", "3.4.23", 10), ("etcd-3.5", "3.5.1", 10)])
def test_endpoint_status_table_across_versions(data, source, version, columns):
    text = data(f"{source}/endpoint_status_table.txt")
    assert len(e.parse_table(text)[0]) == columns
    [st] = e.status_table(text)
    assert (st.endpoint, st.id, st.version, st.is_leader, st.is_learner, st.errors) == (
        "127.0.0.1:2379", "6702b0a34e2cfd39", version, True, False, ())


@pytest.mark.parametrize("source, version", [("etcd-3.4", "3.4.23"), ("etcd-3.5", "3.5.1")])
def test_endpoint_status_json(data, source, version):
    [st] = e.status_json(data(f"{source}/endpoint_status_json.txt"))
    assert (st.id, st.version, st.is_leader, st.raft_term) == ("6702b0a34e2cfd39", version, True, 2)


def test_endpoint_status_json_follower_with_errors():
    text = ('[{"Endpoint":"a:2379","Status":{"header":{"member_id":1},"version":"3.5.9","leader":2,'
            '"errors":["NOSPACE"]}}]')
    [st] = e.status_json(text)
    assert not st.is_leader and st.errors == ("NOSPACE",) and st.id == "0000000000000001"


@pytest.mark.parametrize("source", ["etcd-3.4", "etcd-3.5"])
def test_endpoint_health(data, source):
    [j] = e.health_json(data(f"{source}/endpoint_health_json.txt"))
    assert j.healthy and j.endpoint.endswith("127.0.0.1:2379")


def test_parse_errors_are_clear():
    with pytest.raises(e.ParseError, match="no table"):
        e.members_table("Error: context deadline exceeded")
    with pytest.raises(e.ParseError, match="not JSON"):
        e.members_json("{")
    with pytest.raises(e.ParseError, match="fields"):
        e.members_simple("6702b0a34e2cfd39, started")


@pytest.mark.parametrize("source", ["seed/ss_tnlp.txt", "etcd-3.4/ss_htlnp.txt", "etcd-3.5/ss_htlnp.txt"])
def test_ss_listeners_by_pid(data, source):
    etcd = [(x.address, x.port) for x in parse_ss(data(source)) if x.process == "etcd"]
    assert sorted(etcd) == [("127.0.0.1", 2379), ("127.0.0.1", 2380)]


def test_ss_addresses():
    assert split_address("[::]:22") == ("::", 22)
    assert split_address("*:2379") == ("0.0.0.0", 2379)
    assert split_address("127.0.0.53%lo:53") == ("127.0.0.53", 53)
    [x] = parse_ss('LISTEN 0 4096 0.0.0.0:2379 0.0.0.0:* users:(("etcd",pid=7,fd=8),("etcd",pid=9,fd=8))')
    assert x.pids == (7, 9)


def test_systemctl_show_and_execstart(data):
    props = parse_show(data("etcd-3.4/systemctl_show.txt"))
    assert (props["Type"], props["Restart"], props["RestartUSec"]) == ("notify", "on-failure", "5s")
    argv = exec_argv(props["ExecStart"])
    assert argv[0] == "/usr/local/bin/etcd" and len(argv) == 19
    flags, stray = parse_flags(argv[1:])
    assert flags["name"] == ["server"] and stray == []


def test_flags_compare_by_meaning():
    flags, stray = parse_flags(["--name=server", "-data-dir", "/var/lib/etcd/", "--client-cert-auth",
                                "--listen-client-urls", "http://b:2379,http://a:2379/", "oops"])
    assert flags == {"name": ["server"], "data-dir": ["/var/lib/etcd/"], "client-cert-auth": ["true"],
                     "listen-client-urls": ["http://b:2379,http://a:2379/"]}
    assert stray == ["oops"]
    assert normalise("data-dir", "/var/lib/etcd/") == normalise("data-dir", "/var/lib/etcd")
    assert normalise("listen-client-urls", "http://b:2379,http://a:2379/") == normalise(
        "listen-client-urls", "http://a:2379,http://b:2379")
    assert normalise("name", "server") != normalise("name", "controller")


def test_seed_unit_as_systemd_252_parses_it():
    # systemd keeps the backslash followed by a blank as an argument and ends ExecStart there
    argv = exec_argv("{ path=/usr/local/bin/etcd ; argv[]=/usr/local/bin/etcd --name server "
                     "--listen-peer-urls http://127.0.0.1:2380 \\ ; ignore_errors=no ; start_time=[n/a] }")
    flags, stray = parse_flags(argv[1:])
    assert stray == ["\\"] and "listen-client-urls" not in flags


@pytest.mark.parametrize("source, version", [("etcd-3.4", "3.4.23"), ("etcd-3.5", "3.5.1")])
def test_versions(data, source, version):
    text = data(f"{source}/versions.txt")
    assert etcd_version(text) == version
    etcdctl_line = next(ln for ln in text.splitlines() if ln.startswith("etcdctl"))
    assert etcd_version(etcdctl_line) == version


def test_install_section_as_systemctl_cat_shows_it():
    from core.systemd import install_wanted_by

    text = ("# /etc/systemd/system/etcd.service\n[Service]\nWantedBy=nothing\n[Install]\nWantedBy=multi-user.target\n"
            "\n# /etc/systemd/system/etcd.service.d/x.conf\n[Install]\nWantedBy=\nWantedBy=default.target\n")
    assert install_wanted_by(text) == ["default.target"]
    assert install_wanted_by("[Install]\nWantedBy=a.target b.target\n") == ["a.target", "b.target"]


@pytest.mark.parametrize("version, bad", [
    ("3.4.23", ""), ("3.5.6", ""), ("3.6.0-rc.3", ""), ("3.5.1", "can corrupt data"), ("3.5.0", "can corrupt data"),
    ("3.4.21", "below 3.4.22"), ("3.5.4", "below 3.5.6"), ("3.3.27", "out of support"), ("", "unknown"),
])
def test_versions_etcd_advises_against(version, bad):
    from checks.cis import bad_version

    assert (bad in bad_version(version)) if bad else bad_version(version) == ""


def test_endpoint_status_json_carries_leader_and_cluster_id(data):
    [st] = e.status_json(data("etcd-3.5/endpoint_status_json.txt"))
    assert st.leader == "6702b0a34e2cfd39" and st.cluster_id == f"{2151082258482421681:016x}"


def test_unit_object_paths_are_encoded_as_systemd_does():
    from checks.unit import unit_object_path

    assert unit_object_path("etcd.service") == "/org/freedesktop/systemd1/unit/etcd_2eservice"
    assert unit_object_path("etcd-cluster.service") == "/org/freedesktop/systemd1/unit/etcd_2dcluster_2eservice"
    assert unit_object_path("2etcd.service").startswith("/org/freedesktop/systemd1/unit/_32etcd")


def test_restart_values_accepted_are_those_that_restart_in_each_case_the_wanted_one_does():
    from checks.unit import restarts_covering
    from core.model import RESTART_VALUES

    assert restarts_covering("on-failure") == ["on-failure", "always"]
    assert restarts_covering("always") == ["always"]
    assert restarts_covering("no") == ["no"]  # no restart wanted: exactly that
    assert set(restarts_covering("on-abort")) == {"on-abort", "on-abnormal", "on-failure", "always"}
    for value in RESTART_VALUES:  # every value systemd knows is in the table
        assert restarts_covering(value)[0] == value and "always" in restarts_covering(value) or value == "no"
