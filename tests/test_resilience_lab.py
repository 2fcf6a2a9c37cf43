"""The resilience scenarios both ways: they pass on a correct host (make test runs them in the lab) and
fail, with the right fix, on a host whose unit lacks what they rely on."""

from __future__ import annotations

import pytest

from core.remote import Remote
from provision.faults import apply, by_id
from tests.labtools import audit, bootstrap_server, failed

pytestmark = [pytest.mark.lab, pytest.mark.slow]
HOST = "spare-0"  # a host of its own: these tests run beside those on server (tests/conftest.py)


@pytest.mark.parametrize("fault, select, scenario, fix", [
    ("restart-removed", "killed", "test_systemd_restarts_etcd_by_itself_after_it_is_killed[paramiko://{}]",
     "set Restart=on-failure and RestartSec=5"),
    ("not-enabled", "reboot", "test_after_a_reboot_etcd_runs_again_with_its_data[paramiko://{}]",
     "systemctl enable etcd"),
], ids=["restart-removed", "not-enabled"])
def test_a_resilience_scenario_fails_where_its_setting_is_missing(tmp_path, fault, select, scenario, fix):
    host, member, _ = bootstrap_server(HOST)
    apply(by_id(fault), Remote(host), member)
    rc, results, output = audit(tmp_path, "--disruptive", "--etcd-boot-timeout=20", "-k", select, host=HOST)
    assert rc == 1
    assert failed(results) == {scenario.format(HOST)}, output[-3000:]
    assert any(ln.startswith("fix:") and fix in ln for ln in output.splitlines())


def test_audits_run_the_resilience_scenarios_only_when_asked(tmp_path):
    bootstrap_server(HOST)
    rc, results, output = audit(tmp_path, "--disruptive", "-k", "killed or clean_stop or reboot", host=HOST)
    assert rc == 0, output[-3000:]
    assert sorted(results.values()) == ["passed"] * 3
