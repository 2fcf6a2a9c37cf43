"""The class board (reports/class.html): failing hosts first, checks in the tutorial's order by feature, failed
cells linking to the report, per check how many hosts fail it. The class is made from the suite's own checks:
every declared check of the lab profile, on 30 hosts, some broken."""

from __future__ import annotations

import datetime
import re

from checks import catalog
from reporting.board import board, render
from reporting.model import Outcome, Run

FEATURE_FILES = {c.concern.upper() if c.concern == "cis" else c.concern.capitalize(): f"etcd_{c.concern}.feature"
                 for c in catalog.CHECKS.values() if c.concern != "preflight"}


def feature(c) -> str:
    return c.concern.upper() if c.concern == "cis" else c.concern.capitalize()


def class_run(hosts: int = 30, broken: dict[int, set[str]] | None = None) -> Run:
    broken = broken if broken is not None else {3: {"dir.data", "cis.1.1.11"}, 7: {"service.running"},
                                                12: {"config.name"}}
    run = Run("1", {}, datetime.datetime(2026, 12, 7, tzinfo=datetime.timezone.utc))
    checks = [c for c in catalog.judged("lab") if c.concern != "preflight"]
    for i in range(hosts):
        name = f"class-{i}"
        for c in checks:
            fails = c.id in broken.get(i, set())
            run.outcomes.append(Outcome(
                nodeid=f"features/test_etcd_step.py::test_{c.id}[paramiko://{name}]", host=name, feature=feature(c),
                feature_file=f"etcd_{c.concern}.feature", scenario=c.requirement, duration=0.01,
                status="failed" if fails else "passed", check_ids=[c.id], failed_check=c.id if fails else "",
                check={"id": c.id, "what": c.requirement, "expected": "x", "found": "y", "fix": "fix it",
                       "see": "", "evidence": []} if fails else None))
    run.finished = run.started
    return run


def test_failing_hosts_first_and_each_failed_cell_links_to_its_details():
    run = class_run()
    data = board(run)
    names = [s.name for s, _ in data["rows"]]
    assert names[:3] == ["class-3", "class-7", "class-12"] and len(names) == 30  # numbers sort as numbers
    assert names[3:6] == ["class-0", "class-1", "class-2"]
    assert data["failing"]["dir.data"] == 1 and data["failing"]["service.running"] == 1
    columns = [cid for _, ids in data["features"] for cid in ids]
    assert len(columns) == len(set(columns)) > 50
    page = render(run)
    failed = re.findall(r'<td class="cell failed"[^>]*><a href="index.html#(o-[^"]+)">', page)
    assert len(failed) == 4 and all(f'id="{a}"' not in page for a in failed)  # anchors of the report's page
    anchors = {o.anchor for o in run.outcomes if o.status == "failed"}
    assert set(failed) == anchors
    assert "<script" not in page and "<link" not in page and "src=" not in page  # self-contained


def test_the_columns_follow_the_tutorials_order():
    data = board(class_run(hosts=2, broken={}))
    features = [f for f, _ in data["features"]]
    from reporting.model import tutorial_rank

    ranks = [tutorial_rank(FEATURE_FILES.get(f, "")) for f in features]
    assert ranks == sorted(ranks) and features[-1].startswith("CIS")
