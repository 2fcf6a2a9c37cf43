"""reports/results.json: every check of every host by its id, with its status, valid against its schema."""

from __future__ import annotations

import datetime
import json

import jsonschema
import pytest

from core.evidence import Evidence, Result
from reporting.model import Outcome, Run
from reporting.results import SCHEMA, results
from suite.records import check_dict


def _run() -> Run:
    run = Run("1.0", {}, datetime.datetime(2026, 12, 7, tzinfo=datetime.timezone.utc))
    run.plan_info = {"mode": "audit", "edition": "kthw-server", "profile": "lab"}
    run.host_specs = {"node-0": "student@node-0"}
    run.users = {"node-0": "student"}

    def o(host, scenario, status, ids, **kw):
        return Outcome(nodeid=f"t::{scenario}[{host}]", host=host, feature="F", feature_file="etcd_configuration.feature",
                       scenario=scenario, status=status, duration=0.1, check_ids=ids, **kw)

    run.outcomes = [
        o("server", "data dir", "passed", ["dir.data"], warnings=["[dir.data] soon"]),
        o("server", "cis", "deviation", ["cis.2.1", "cis.2.2"], deviations={"cis.2.1": "plain HTTP; in the lab only"},
          message="known deviation cis.2.1: plain HTTP; in the lab only (found x)"),
        o("node-0", "data dir", "failed", ["dir.data", "cis.1.1.11"], failed_check="dir.data",
          check=check_dict(Result(what="/var/lib/etcd is 0700", ok=False, expected="0700", found="0755",
                                  fix="chmod 700 /var/lib/etcd",
                                  evidence=[Evidence("stat -c %a /var/lib/etcd", 0, "755")]), "dir.data")),
        o("node-0", "resilience", "skipped", ["life.restart-after-kill"], message="audits do not kill etcd"),
        o("node-1", "pre-flight", "failed", ["host.preflight"], failed_check="host.preflight",
          precondition="cannot check SSH connection to node-1: connection refused (fix: ssh node-1 true)"),
    ]
    run.finished = run.started
    return run


def test_results_validate_and_hold_every_check_with_its_status():
    data = results(_run())
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    hosts = {h["name"]: h for h in data["hosts"]}
    assert [h["name"] for h in data["hosts"]] == ["node-0", "node-1", "server"]  # failing first
    server = {c["id"]: c for c in hosts["server"]["checks"]}
    assert server["dir.data"] == {"id": "dir.data", "feature": "F", "scenario": "data dir", "status": "passed",
                                  "warning": "soon"}
    assert server["cis.2.1"]["status"] == "deviation" and server["cis.2.1"]["reason"] == "plain HTTP; in the lab only"
    assert server["cis.2.2"]["status"] == "passed"
    node0 = {c["id"]: c for c in hosts["node-0"]["checks"]}
    assert node0["dir.data"]["status"] == "failed" and node0["dir.data"]["fix"] == "chmod 700 /var/lib/etcd"
    assert node0["dir.data"]["evidence"] == [{"command": "stat -c %a /var/lib/etcd", "rc": 0}]
    assert node0["cis.1.1.11"]["status"] == "skipped" and "not judged" in node0["cis.1.1.11"]["reason"]
    assert node0["life.restart-after-kill"] == {"id": "life.restart-after-kill", "feature": "F",
                                                "scenario": "resilience", "status": "skipped",
                                                "reason": "audits do not kill etcd"}
    assert hosts["node-0"]["reached_as"] == "student@node-0" and hosts["node-0"]["user"] == "student"
    pre = hosts["node-1"]["checks"][0]
    assert pre["status"] == "failed" and "connection refused" in pre["what"] and pre["fix"] == "ssh node-1 true"
    assert data["run"]["verdict"] == "FAIL" and data["run"]["mode"] == "audit"


def test_the_schema_refuses_what_a_reader_could_not_use():
    data = results(_run())
    schema = json.loads(SCHEMA.read_text())
    broken = json.loads(json.dumps(data))
    broken["hosts"][0]["checks"][0]["status"] = "ok"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
    broken = json.loads(json.dumps(data))
    del broken["hosts"][0]["checks"][0]["fix"]  # node-0's dir.data failed: a failure always has its fix
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_what_to_fix_names_the_checks_of_one_fix_in_one_line():
    from reporting.html import render, terminal_summary

    run = _run()
    cis = run.outcomes[2]
    run.outcomes.append(Outcome(nodeid="t::cis[node-0]", host="node-0", feature="CIS", feature_file="etcd_cis.feature",
                                scenario="cis", status="failed", duration=0.1, check_ids=["cis.1.1.11"],
                                failed_check="cis.1.1.11", check=dict(cis.check, id="cis.1.1.11", what="the data directory is 700")))
    lines = terminal_summary(run)
    fails = [ln for ln in lines if ln.startswith("[FAIL] node-0:")]
    assert fails == ["[FAIL] node-0: [dir.data] /var/lib/etcd is 0700; [cis.1.1.11] the data directory is 700"]
    assert sum(ln.strip() == "chmod 700 /var/lib/etcd" for ln in lines) == 1
    page = render(run)
    to_fix = page.split('<section class="to-fix" id="host-node-0-fix">')[1].split("</section>")[0]
    assert to_fix.count('<pre class="fix">chmod 700 /var/lib/etcd</pre>') == 1 and to_fix.count("<li>") == 1
    assert "cis.1.1.11" in to_fix and "dir.data" in to_fix
