"""The lab's names, addresses and the files it writes (no host needed)."""

import ipaddress

import pytest

from provision.lab import (
    LabError, Settings, allocate_address, check_name, recipe_id, render_hosts_file, render_known_hosts,
    render_machines, render_network, render_ssh_config, supervisor_command,
)

NET = ipaddress.IPv4Network("10.240.0.0/24")


def settings(tmp_path, **env):
    return Settings.from_env({"KTHW_LAB_DIR": str(tmp_path / ".lab"), **env})


@pytest.mark.parametrize("name", ["server", "node-0", "node-1", "etcd-2", "a", "x" * 63])
def test_dns_labels_are_accepted(name):
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["Server", "node_0", "-a", "a-", "", "x" * 64, "a.b", "a b", "../x"])
def test_other_names_are_refused(name):
    with pytest.raises(LabError, match="not a DNS label"):
        check_name(name)


def test_kthw_hosts_have_fixed_addresses_others_take_free_ones():
    taken = {}
    for name in ("server", "node-0", "node-1", "etcd-0", "etcd-1"):
        taken[name] = allocate_address(name, taken, NET)
    assert taken == {"server": "10.240.0.10", "node-0": "10.240.0.20", "node-1": "10.240.0.21",
                     "etcd-0": "10.240.0.100", "etcd-1": "10.240.0.101"}
    assert allocate_address("server", taken, NET) == "10.240.0.10"  # stable
    squatter = {"other": "10.240.0.10"}
    assert allocate_address("server", squatter, NET) == "10.240.0.100"  # never shared


def test_subnet_runs_out_with_a_clear_message():
    small = ipaddress.IPv4Network("10.9.9.0/30")
    taken = {"a": "10.9.9.1", "b": "10.9.9.2"}
    with pytest.raises(LabError, match="no free address"):
        allocate_address("c", taken, small)


def test_settings_refuse_public_or_tiny_subnets(tmp_path):
    with pytest.raises(LabError, match="private"):
        settings(tmp_path, KTHW_LAB_SUBNET="8.8.8.0/24")
    with pytest.raises(LabError, match="KTHW_LAB_SUBNET"):
        settings(tmp_path, KTHW_LAB_SUBNET="nonsense")
    with pytest.raises(LabError, match="interface name"):
        settings(tmp_path, KTHW_LAB_BRIDGE="br;rm")
    assert settings(tmp_path).gateway == "10.240.0.1"


def test_machines_txt_is_kthws_format():
    text = render_machines({"node-0": "10.240.0.20", "server": "10.240.0.10", "node-1": "10.240.0.21"})
    assert text.splitlines() == [
        "10.240.0.10 server.kubernetes.local server",
        "10.240.0.20 node-0.kubernetes.local node-0 10.200.0.0/24",
        "10.240.0.21 node-1.kubernetes.local node-1 10.200.1.0/24",
    ]


def test_ssh_config_checks_host_keys(tmp_path):
    s = settings(tmp_path)
    text = render_ssh_config({"server": "10.240.0.10"}, s)
    assert "Host server server.kubernetes.local" in text
    assert "  HostName 10.240.0.10" in text and "  User root" in text
    assert f"  IdentityFile {tmp_path}/.lab/id_ed25519" in text
    assert f"  UserKnownHostsFile {tmp_path}/.lab/known_hosts" in text
    assert "StrictHostKeyChecking no" not in text and "GSSAPI" not in text
    assert "Host 10.240.0.*" in text  # targets given by address use the same key and known_hosts


def test_known_hosts_names_every_alias():
    line = render_known_hosts({"server": ("10.240.0.10", "ssh-ed25519 AAAAC3Nza root@server")}).strip()
    assert line == "server,server.kubernetes.local,10.240.0.10 ssh-ed25519 AAAAC3Nza"


def test_network_config_has_no_route_off_the_bridge():
    text = render_network("10.240.0.10", NET)
    assert "Address=10.240.0.10/24" in text
    assert "Gateway" not in text and "DHCP" not in text


def test_hosts_file_names_the_lab_hosts():
    text = render_hosts_file("server", {"server": "10.240.0.10", "node-0": "10.240.0.20"})
    assert "10.240.0.20 node-0.kubernetes.local node-0" in text and "127.0.1.1 server" in text


def test_supervisor_reboots_the_container_on_exit_133():
    cmd = supervisor_command("server", "/var/lib/kthw-lab/hosts/server/root", "kthwlab0")
    assert cmd[:2] == ["sh", "-c"]
    assert "--network-bridge=kthwlab0" in cmd[2] and "--machine=server" in cmd[2] and '"$rc" -eq 133' in cmd[2]


def test_recipe_id_changes_with_the_recipe(tmp_path, monkeypatch):
    s = settings(tmp_path)
    before = recipe_id(s)
    from provision.lab import image

    monkeypatch.setattr(image, "PACKAGES", image.PACKAGES + ("vim",))
    assert recipe_id(s) != before


def test_the_lab_needs_root_and_says_so_in_one_line(monkeypatch, capsys):
    import os

    import provision.lab as lab

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert lab.main(["up"]) == 1
    err = capsys.readouterr().err
    assert err == "lab: error: the lab needs root: run it as root (sudo -E .venv/bin/python -m provision.lab ...)\n"


def test_kernel_limits_are_raised_for_many_hosts_and_said_in_one_line(tmp_path, monkeypatch, capsys):
    from provision import lab
    from provision.lab import hosts

    instances, watches = tmp_path / "max_user_instances", tmp_path / "max_user_watches"
    instances.write_text("128\n")
    watches.write_text("999999999\n")
    monkeypatch.setattr(hosts, "KERNEL_LIMITS", ((str(instances), 32, 512), (str(watches), 16384, 524288)))
    changed = lab.ensure_kernel_limits(30)
    assert instances.read_text() == "960\n" and watches.read_text() == "999999999\n"  # never lowered
    assert changed == [f"lab: raised {str(instances).removeprefix('/proc/sys/').replace('/', '.')} from 128 to 960 "
                       "for 30 hosts"]
    assert lab.ensure_kernel_limits(3) == []  # enough already
