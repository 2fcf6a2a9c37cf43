"""Ansible inventories become SSH config blocks for the suite's own backend (no host is reached here)."""

from __future__ import annotations

import os

import pytest

from suite.inventory import InventoryError, hosts_of, ssh_block, to_ssh_config

INVENTORY = """[etcd]
server ansible_host=10.240.0.10 ansible_user=student ansible_port=2222 ansible_ssh_private_key_file=/k/id
[etcd:vars]
ansible_ssh_common_args='-o UserKnownHostsFile=/k/known_hosts -o StrictHostKeyChecking=accept-new'
[workers]
node-0 ansible_host=10.240.0.20
[cluster:children]
etcd
workers
"""


def test_an_inventory_becomes_ssh_config_blocks(tmp_path):
    inv = tmp_path / "inventory.ini"
    inv.write_text(INVENTORY)
    user_config = tmp_path / "ssh_config"
    user_config.write_text("Host *\n  ConnectTimeout 5\n")
    names, path = to_ssh_config(str(inv), "ansible://etcd", str(user_config))
    text = open(path).read()
    assert names == ["server"]
    assert ("Host server\n  HostName 10.240.0.10\n  User student\n  Port 2222\n  IdentityFile /k/id\n"
            "  UserKnownHostsFile /k/known_hosts\n  StrictHostKeyChecking accept-new\n") in text
    from core.sshconf import resolve

    settings = resolve("server", path)  # as ssh reads it: the user's own config still applies after
    assert (settings.connect_timeout, settings.user, settings.port) == (5, "student", 2222)
    os.unlink(path)
    for spec in (None, "ansible://cluster"):
        names, path = to_ssh_config(str(inv), spec, str(user_config))
        os.unlink(path)
        assert names == ["server", "node-0"]


def test_bad_inventories_and_groups_are_one_line(tmp_path):
    inv = tmp_path / "inventory.ini"
    inv.write_text(INVENTORY)
    with pytest.raises(InventoryError, match="no group 'nope'"):
        to_ssh_config(str(inv), "ansible://nope", None)
    assert hosts_of({"all": {"children": ["g"]}, "g": {"hosts": ["a", "b"]}}, "all") == ["a", "b"]
    assert ssh_block("h", {}) == "Host h\n"


def test_an_inventory_that_is_not_there_is_named_not_read_as_empty(tmp_path):
    with pytest.raises(InventoryError, match=f"{tmp_path / 'nope.ini'}: no such file or directory"):
        to_ssh_config(str(tmp_path / "nope.ini"), None, None)
