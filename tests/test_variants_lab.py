"""Other correct ways to configure the member, set up by hand over SSH on a bootstrapped host (the scripts in
tests/data/variants/) and audited as a user would: etcd configured by an EnvironmentFile passes, with notes
saying where each setting comes from; a weakening variable added to that file fails naming it and the file;
etcd configured by a --config-file YAML passes."""

from __future__ import annotations

import pytest

from core.remote import Remote
from tests.labtools import ROOT, audit, bootstrap_server, failed

pytestmark = [pytest.mark.lab, pytest.mark.slow]
HOST = "spare-1"  # a host of its own (tests/conftest.py)
VARIANTS = ROOT / "tests" / "data" / "variants"


def configured(name: str) -> Remote:
    host, member, _ = bootstrap_server(HOST)
    remote = Remote(host)
    script = (VARIANTS / f"{name}.sh").read_text().replace("{name}", member.name)
    ev = remote.run("sh -c %s", script, timeout=90)
    assert ev.ok, ev.render()
    return remote


def test_etcd_configured_by_an_environment_file_passes_and_a_weakening_variable_there_fails(tmp_path):
    remote = configured("variant-environment-file")
    assert remote.run("systemctl show -p ExecStart --value etcd").stdout.count("--") == 0  # no flag at all
    rc, results, output = audit(tmp_path, host=HOST)
    assert rc == 0 and not failed(results), output[-3000:]
    assert "[NOTE]" in output and "data-dir is set by ETCD_DATA_DIR in /etc/etcd/etcd.env" in output
    assert remote.run("echo ETCD_UNSAFE_NO_FSYNC=true >> /etc/etcd/etcd.env && systemctl restart etcd").ok
    rc, results, output = audit(tmp_path, "--check=config.*", host=HOST)
    assert rc == 1 and results.failed_checks(HOST) == {"config.no-other-setting"}, output[-3000:]
    assert "ETCD_UNSAFE_NO_FSYNC=true in /etc/etcd/etcd.env" in output
    assert "sed -i '/^ETCD_UNSAFE_NO_FSYNC=/d' /etc/etcd/etcd.env" in output  # the fix edits that file


def test_etcd_configured_by_a_configuration_file_passes(tmp_path):
    configured("variant-config-file")
    rc, results, output = audit(tmp_path, host=HOST)
    assert rc == 0 and not failed(results), output[-3000:]
    assert "name is set by name in /etc/etcd/etcd.conf.yml" in output


@pytest.mark.parametrize("name, note", [
    ("variant-default-left-out", "initial-cluster-state is left at etcd's default, new, which is the step's value"),
    ("variant-harmless-extras", "--quota-backend-bytes=8589934592 in /etc/systemd/system/etcd.service: tuning"),
])
def test_a_default_left_out_and_harmless_extra_settings_pass_with_notes(tmp_path, name, note):
    configured(name)
    rc, results, output = audit(tmp_path, host=HOST)
    assert rc == 0 and not failed(results), output[-3000:]
    assert "== Notes ==" in output and note in output


def test_a_full_data_filesystem_names_no_space_left_on_device_in_the_headline(tmp_path):
    remote = configured("variant-default-left-out")  # any correct member
    assert remote.run("systemctl stop etcd; rm -rf /var/lib/etcd/member; "
                      "mount -t tmpfs -o size=1m,mode=700 tmpfs /var/lib/etcd; "
                      "timeout 20 systemctl start etcd || true; sleep 2").ok
    try:
        rc, results, output = audit(tmp_path, "--check=service.running", host=HOST)
    finally:
        remote.run("systemctl stop etcd; umount /var/lib/etcd")
    headline = next(ln for ln in output.splitlines() if "[service.running]" in ln)
    assert rc == 1 and "no space left on device" in headline, output[-3000:]
    assert "df -h /var/lib/etcd" in output
