"""machines.txt and SSH configs into testinfra host specs."""

import pytest

from provision.targets import Machine, TargetError, hostspecs, parse_machines, select, ssh_config_knows

KTHW = """\
10.0.0.10 server.kubernetes.local server
10.0.0.20 node-0.kubernetes.local node-0 10.200.0.0/24
10.0.0.21 node-1.kubernetes.local node-1 10.200.1.0/24   # a comment
"""


def test_parse_kthw_machines():
    ms = parse_machines(KTHW)
    assert ms[0] == Machine("10.0.0.10", "server.kubernetes.local", "server")
    assert ms[2].subnet == "10.200.1.0/24"


@pytest.mark.parametrize("text, message", [
    ("10.0.0.10 server\n", "expected 'IP FQDN HOST"),
    ("server server.kubernetes.local server\n", "is not an IP address"),
    ("\n# nothing\n", "no machines listed"),
])
def test_bad_machines_files_say_where(text, message):
    with pytest.raises(TargetError, match=message):
        parse_machines(text, "m.txt")


def test_select_server_by_default_or_named_members():
    ms = parse_machines(KTHW)
    assert [m.host for m in select(ms)] == ["server"]
    assert [m.host for m in select(ms, ["node-0", "node-1"])] == ["node-0", "node-1"]
    with pytest.raises(TargetError, match="no row for etcd-9"):
        select(ms, ["etcd-9"])


def test_reach_by_name_when_the_ssh_config_knows_it_else_by_ip(tmp_path):
    cfg = tmp_path / "ssh_config"
    cfg.write_text("Host server\n  HostName 10.0.0.10\nHost 10.0.0.2?\n  User admin\nHost *\n  ConnectTimeout 5\n")
    assert ssh_config_knows(str(cfg), "server") and not ssh_config_knows(str(cfg), "node-9")
    ms = parse_machines(KTHW + "192.168.50.7 x.kubernetes.local x\n")
    assert hostspecs(ms, str(cfg)) == {"server": "server", "10.0.0.20": "node-0", "10.0.0.21": "node-1",
                                       "root@192.168.50.7": "x"}
    assert hostspecs(ms[:1], str(tmp_path / "missing")) == {"root@10.0.0.10": "server"}


def test_the_user_and_port_of_the_host_spec_win_over_the_ssh_config(tmp_path):
    """As ``ssh student@server`` does: a config block saying ``User root`` does not change whom we log in as."""
    import testinfra

    from core import ssh

    config = tmp_path / "ssh_config"
    config.write_text("Host server\n  HostName 10.240.0.10\n  User root\n  Port 2222\n")
    ssh.install()
    given = testinfra.get_host("paramiko://student@server:22", ssh_config=str(config)).backend.settings()
    assert (given.user, given.port, given.hostname) == ("student", 22, "10.240.0.10")
    plain = testinfra.get_host("paramiko://server", ssh_config=str(config)).backend.settings()
    assert (plain.user, plain.port) == ("root", 2222)  # nothing given: the config says


def test_an_ssh_config_that_is_not_there_is_a_one_line_usage_error(tmp_path):
    """As ``ssh -F`` refuses a missing file: a mistyped path is not silently "no config" (the hosts would then
    fail as unknown names, far from the cause)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-m", "pytest", "features/", "-q", "-p", "no:cacheprovider",
                          "--hosts=server", f"--ssh-config={tmp_path / 'nope'}"],
                         cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 4 and f"ERROR: --ssh-config {tmp_path / 'nope'}: no such file" in out.stderr
    assert "Traceback" not in out.stdout + out.stderr


@pytest.mark.parametrize("hosts, message", [
    ("", "no host given"),
    (",,", "no host given"),
    ("server:99999", "port '99999' is not a number from 1 to 65535"),
    ("root@server:ssh", "port 'ssh' is not"),
    ("paramiko://root@", "no host name"),
    ("[::1]:0", "port '0' is not"),
    ("root@fe80::1", "an IPv6 address goes in brackets"),
])
def test_hosts_no_host_can_be_are_refused_in_one_line(hosts, message):
    from provision.targets import check_hosts

    with pytest.raises(TargetError, match=message):
        check_hosts(hosts)


def test_hosts_in_each_form_testinfra_reads_are_accepted():
    from provision.targets import check_hosts

    hosts = "server, root@10.0.0.10:22,,paramiko://student@node-0:2222,[fe80::1]:22,local://,ssh://server,"
    assert check_hosts(hosts) == ["server", "root@10.0.0.10:22", "paramiko://student@node-0:2222", "[fe80::1]:22",
                                  "local://", "ssh://server"]
