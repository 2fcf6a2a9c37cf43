"""Editions as presets: each is data; settings apply on top; a cluster edition derives what it must."""

from __future__ import annotations

import pytest

from core import editions
from core.model import ModelError


def test_settings_apply_on_top_of_an_edition():
    current = editions.get("kthw-current")
    m = editions.member(current, {"data_dir": "/var/lib/etcd-x"}, name="server")
    assert (m.name, m.data_dir, m.initial_cluster) == ("controller", "/var/lib/etcd-x", "controller=http://127.0.0.1:2380")
    assert editions.member(current, {"name": "server"}, name="server").name == "server"
    assert editions.member(editions.get("kthw-server"), None, name="server-b").name == "server-b"  # the host's name


def test_the_2020_edition_uses_its_own_files_for_server_peers_and_etcdctl():
    e = editions.get("kthw-2020")
    cluster = dict(e.text_cluster)
    m = editions.member(e, {"unit.restart_sec": "4"}, name="controller-1", cluster=cluster)
    assert m.certificates == ("ca.pem", "kubernetes-key.pem", "kubernetes.pem")
    assert (m.cert_file, m.peer_cert_file, m.etcdctl_cert) == ("/etc/etcd/kubernetes.pem",) * 3
    assert m.listen_client_urls == "https://10.240.0.11:2379,https://127.0.0.1:2379" and m.unit.restart_sec == 4
    with pytest.raises(ModelError, match="derives this from each member"):
        editions.member(e, {"name": "x"}, name="controller-1", cluster=cluster)


def test_editions_and_profiles_are_chosen_together():
    assert editions.selected(None, None).name == "kthw-server"
    assert editions.selected(None, "production").name == "production"
    assert editions.selected("kthw-2020", None).profile == "production"
    with pytest.raises(ModelError, match="drop --profile lab"):
        editions.selected("kthw-2020", "lab")
    with pytest.raises(ModelError, match="no edition 'kthw-1999'"):
        editions.get("kthw-1999")
