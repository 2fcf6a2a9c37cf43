"""Waivers on a real host: its data directory left at 0755 fails dir.data and cis.1.1.11; waived for that host,
both are reported waived with the justification and the host passes; the same waiver with an expires day past
fails them again, saying the waiver expired."""

from __future__ import annotations

import json

import pytest

from core.remote import Remote
from tests.labtools import SSH_CONFIG, bootstrap_server, run_features

pytestmark = [pytest.mark.lab, pytest.mark.slow]
HOST = "waive-0"


def test_a_waiver_accepts_a_deviation_until_it_expires(tmp_path):
    host, member, _ = bootstrap_server(HOST)
    assert Remote(host).run("chmod 755 -- %s", member.data_dir).ok
    args = (f"--hosts={HOST}", f"--ssh-config={SSH_CONFIG}", "--check=dir.*,cis.1.1.*",
            f"--etcd-json={tmp_path / 'results.json'}")
    rc, results, output = run_features(tmp_path, *args)
    assert rc == 1 and results.failed_checks(HOST) == {"dir.data", "cis.1.1.11"}, output[-2000:]

    waivers = tmp_path / "waivers.yml"
    waivers.write_text(f"- check: dir.data\n  hosts: [{HOST}]\n  justification: 0755 accepted for this exercise\n"
                       f"- check: cis.1.1.11\n  justification: 0755 accepted for this exercise\n  expires: 2999-12-31\n")
    rc, results, output = run_features(tmp_path, *args, f"--waivers={waivers}")
    assert rc == 0 and f"{HOST}: PASS" in output and "2 waived" in output, output[-2000:]
    assert f"[WAIVED] {HOST}: waived dir.data: 0755 accepted for this exercise" in output
    checks = {c["id"]: c for c in json.loads((tmp_path / "results.json").read_text())["hosts"][0]["checks"]}
    assert checks["dir.data"]["status"] == "waived" and checks["dir.data"]["reason"].startswith("0755 accepted")

    waivers.write_text("- check: dir.*\n  justification: 0755 accepted for this exercise\n  expires: 2001-01-31\n")
    rc, results, output = run_features(tmp_path, *args, f"--waivers={waivers}")
    assert rc == 1 and "dir.data" in results.failed_checks(HOST), output[-2000:]
    assert "its waiver expired on 2001-01-31: 0755 accepted for this exercise" in output
