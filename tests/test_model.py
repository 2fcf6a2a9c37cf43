"""The desired state: defaults from the tutorial, derived values, validation, overrides."""

import pytest

from core.model import Member, ModelError, build, load, load_settings, parse_assignments


def test_defaults_are_the_tutorials():
    m = Member()
    assert m.name == "server"
    assert dict(m.flags()) == {
        "--name": "server",
        "--initial-advertise-peer-urls": "http://127.0.0.1:2380",
        "--listen-peer-urls": "http://127.0.0.1:2380",
        "--listen-client-urls": "http://127.0.0.1:2379",
        "--advertise-client-urls": "http://127.0.0.1:2379",
        "--initial-cluster-token": "etcd-cluster-0",
        "--initial-cluster": "server=http://127.0.0.1:2380",
        "--initial-cluster-state": "new",
        "--data-dir": "/var/lib/etcd",
    }
    assert (m.etcd_path, m.etcdctl_path, m.unit_path) == (
        "/usr/local/bin/etcd", "/usr/local/bin/etcdctl", "/etc/systemd/system/etcd.service")
    assert m.modes.data_dir == 0o700 and m.modes.key == 0o600
    assert (m.unit.type, m.unit.restart, m.unit.restart_sec, m.unit.wanted_by) == (
        "notify", "on-failure", 5, "multi-user.target")


def test_member_id_is_the_one_the_tutorial_prints():
    assert Member().member_id() == "6702b0a34e2cfd39"
    # the ID depends on the peer URLs and the token, not on the name
    assert Member(name="controller").member_id() == "6702b0a34e2cfd39"
    assert Member(initial_cluster_token="other").member_id() != "6702b0a34e2cfd39"


def test_initial_cluster_follows_the_name():
    assert Member(name="node-0").initial_cluster == "node-0=http://127.0.0.1:2380"
    assert Member().replace(name="node-1").initial_cluster == "node-1=http://127.0.0.1:2380"
    explicit = Member(initial_cluster="a=http://10.0.0.1:2380,b=http://10.0.0.2:2380", name="a")
    assert explicit.replace(name="b").initial_cluster == explicit.initial_cluster


def test_listen_endpoints_by_role():
    m = Member()
    assert m.listen_endpoints("client") == [("127.0.0.1", 2379)]
    assert m.listen_endpoints("peer") == [("127.0.0.1", 2380)]
    assert m.listen_endpoints() == [("127.0.0.1", 2379), ("127.0.0.1", 2380)]
    assert (m.client_port, m.peer_port, m.endpoint) == (2379, 2380, "http://127.0.0.1:2379")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"name": "Server"}, "DNS-1123"),
        ({"name": "-x"}, "DNS-1123"),
        ({"name": "a" * 64}, "DNS-1123"),
        ({"name": "server\n--force-new-cluster"}, "without spaces, newlines"),
        ({"listen_client_urls": "http://127.0.0.1:2379 --debug"}, "without spaces"),
        ({"listen_client_urls": "127.0.0.1:2379"}, "is not a URL"),
        ({"listen_client_urls": "ftp://127.0.0.1:2379"}, "is not a URL"),
        ({"listen_client_urls": "http://127.0.0.1"}, "is not a URL"),
        ({"listen_client_urls": "http://127.0.0.1:99999"}, "is not a URL"),
        ({"initial_cluster": "server"}, "NAME=URL"),
        ({"initial_cluster_token": "a;b"}, "may hold only"),
        ({"initial_cluster_state": "old"}, "neither 'new' nor 'existing'"),
        ({"data_dir": "var/lib/etcd"}, "absolute path"),
        ({"data_dir": "/var/lib/../etc"}, "absolute path"),
        ({"data_dir": "/var/lib/etcd\\x"}, "backslashes"),
        ({"certificates": ("ca.crt", "../k.key", "k.crt")}, "plain file name"),
    ],
)
def test_invalid_settings_are_refused_with_one_line(changes, message):
    with pytest.raises(ModelError, match=message) as err:
        Member(**changes)
    assert "\n" not in str(err.value)


def test_unit_settings_are_validated():
    with pytest.raises(ModelError, match="unit.restart"):
        build({"unit.restart": "sometimes"})
    with pytest.raises(ModelError, match="unit.type"):
        build({"unit": {"type": "weird"}})
    with pytest.raises(ModelError, match="restart_sec"):
        build({"unit.restart_sec": "-1"})
    with pytest.raises(ModelError, match="unit.description"):
        build({"unit.description": "etcd\nExecStartPre=/bin/rm -rf /"})


def test_overrides_from_assignments_and_file(tmp_path):
    m = build(parse_assignments(["name=controller", "unit.restart_sec=10", "modes.data_dir=0750"]))
    assert m.name == "controller" and m.unit.restart_sec == 10 and m.modes.data_dir == 0o750
    assert m.initial_cluster == "controller=http://127.0.0.1:2380"
    cfg = tmp_path / "etcd.toml"
    cfg.write_text('[etcd]\nname = "node-0"\ndata_dir = "/srv/etcd"\n[etcd.unit]\nrestart = "always"\n')
    m = load(str(cfg), ["initial_cluster_token=t-1"])
    assert (m.name, m.data_dir, m.unit.restart, m.initial_cluster_token) == ("node-0", "/srv/etcd", "always", "t-1")


def test_host_name_is_the_default_member_name():
    assert build({}, name="node-1").name == "node-1"
    assert build({"name": "controller"}, name="node-1").name == "controller"


def test_bad_overrides_say_what_is_wrong(tmp_path):
    with pytest.raises(ModelError, match="unknown setting 'nmae'"):
        build({"nmae": "x"})
    with pytest.raises(ModelError, match="KEY=VALUE"):
        parse_assignments(["name"])
    with pytest.raises(ModelError, match="not a number"):
        build({"unit.restart_sec": "five"})
    with pytest.raises(ModelError, match="No such file"):
        load(str(tmp_path / "missing.toml"))
    bad = tmp_path / "bad.toml"
    bad.write_text("name = ")
    with pytest.raises(ModelError, match="not valid TOML"):
        load(str(bad))


def test_production_members_serve_tls_on_their_own_addresses():
    from provision.profiles import production_member

    cluster = {"etcd-0": "10.240.0.100", "etcd-1": "10.240.0.101", "etcd-2": "10.240.0.102"}
    m = production_member("etcd-1", cluster)
    flags = dict(m.flags())
    assert flags["--listen-peer-urls"] == "https://10.240.0.101:2380"
    assert flags["--initial-cluster"] == ("etcd-0=https://10.240.0.100:2380,etcd-1=https://10.240.0.101:2380,"
                                          "etcd-2=https://10.240.0.102:2380")
    assert flags["--client-cert-auth"] == "true" and flags["--peer-client-cert-auth"] == "true"
    assert flags["--cert-file"] == "/etc/etcd/etcd-server.crt" and flags["--trusted-ca-file"] == "/etc/etcd/ca.crt"
    assert m.tls and m.cluster_size == 3 and m.endpoint == "https://10.240.0.101:2379"
    assert m.etcdctl_tls_args() == ["--cacert=/etc/etcd/ca.crt", "--cert=/etc/etcd/etcdctl.crt",
                                    "--key=/etc/etcd/etcdctl.key"]
    assert m.is_key("etcdctl.key") and not m.is_key("etcdctl.crt")
    # etcdctl's cluster-wide view asks every member, not only the one it runs on
    assert m.cluster_endpoints == "https://10.240.0.100:2379,https://10.240.0.101:2379,https://10.240.0.102:2379"
    assert "--cluster-client-urls" not in flags  # the suite's setting, not etcd's
    # each member's ID is derived from its own peer URL and the token
    ids = {production_member(n, cluster).member_id() for n in cluster}
    assert len(ids) == 3


def test_the_lab_profile_has_no_tls_flags():
    assert len(Member().flags()) == 9 and not Member().tls and Member().etcdctl_tls_args() == []
    assert Member().cluster_endpoints == "http://127.0.0.1:2379"


def test_cluster_client_urls_must_be_urls():
    with pytest.raises(ModelError, match="cluster_client_urls"):
        build({"cluster_client_urls": "10.0.0.1:2379"})


def test_boolean_settings_from_the_command_line():
    assert build({"client_cert_auth": "true"}).client_cert_auth is True
    with pytest.raises(ModelError, match="not true or false"):
        build({"client_cert_auth": "yes please"})


def test_settings_apply_to_every_production_member_except_what_the_hosts_decide():
    from provision.profiles import production_member

    cluster = {"etcd-0": "10.240.0.100", "etcd-1": "10.240.0.101", "etcd-2": "10.240.0.102"}
    settings = load_settings(None, ["data_dir=/var/lib/etcd-cluster", "unit.restart_sec=4", "config_dir=/etc/etcd-tls"])
    m = production_member("etcd-2", cluster, settings)
    flags = dict(m.flags())
    assert flags["--data-dir"] == "/var/lib/etcd-cluster" and m.unit.restart_sec == 4
    assert flags["--cert-file"] == "/etc/etcd-tls/etcd-server.crt" and m.etcdctl_key == "/etc/etcd-tls/etcdctl.key"
    assert flags["--listen-client-urls"] == "https://10.240.0.102:2379,https://127.0.0.1:2379"
    for key in ("name=other", "listen-client-urls=https://0.0.0.0:2379", "cluster_client_urls=https://a:2379"):
        with pytest.raises(ModelError, match="derives this from each member's host"):
            production_member("etcd-2", cluster, load_settings(None, [key]))


@pytest.mark.parametrize("setting", ["data_dir=/var/lib/etcd%H", "initial_cluster_token=a$b", "name=${HOST}",
                                     "config_dir=/etc/etcd$X"])
def test_values_systemd_would_rewrite_in_execstart_are_refused_in_one_line(setting):
    with pytest.raises(ModelError) as exc:
        load(None, [setting])
    assert "systemd rewrites %" in str(exc.value) and "\n" not in str(exc.value)
