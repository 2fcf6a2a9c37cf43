"""A real browser (Debian's headless Chromium, driven by Playwright) reads the report of a lab run in
which one check fails: the fix is on the first screen ("What to fix"), the failure, its evidence and its
fix are visible without a click, and the printed page shows every detail. The same audit with --lang ko: the
terminal summary and the report's "What to fix" in Korean, no message left in English."""

from pathlib import Path

import pytest

from core.remote import Remote
from tests.labtools import audit, bootstrap_server

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
pytestmark = [pytest.mark.lab, pytest.mark.slow]
HOST = "spare-0"  # a host of its own: these tests run beside those on server (tests/conftest.py)
KOREAN: dict = {}  # the same audit with --lang ko: (its reports' directory, its output)


@pytest.fixture(scope="module")
def failing_report(tmp_path_factory):
    host, member, _ = bootstrap_server(HOST)
    out = tmp_path_factory.mktemp("report")
    remote = Remote(host)
    assert remote.run("chmod 755 -- %s", member.data_dir).ok
    try:
        rc, _, _ = audit(out, f"--etcd-report={out / 'index.html'}", host=HOST)
        ko = out / "ko"
        ko.mkdir()
        rc_ko, _, output_ko = audit(ko, f"--etcd-report={ko / 'index.html'}", f"--etcd-json={ko / 'results.json'}",
                                    "--lang", "ko", host=HOST)
    finally:
        assert remote.run("chmod 700 -- %s", member.data_dir).ok
    assert rc == 1 and rc_ko == 1
    KOREAN["run"] = (ko, output_ko)
    return out / "index.html"


def test_a_failing_audit_in_korean(failing_report):
    """--lang ko: the terminal summary and the report's "What to fix" in Korean, the tokens scripts read as they
    are; counted, no message of the run is left untranslated."""
    import json
    import re

    from playwright.sync_api import sync_playwright

    from core.i18n import Translator

    ko, output = KOREAN["run"]
    hangul = re.compile(r"[\uac00-\ud7a3]")
    summary = output[output.index("etcd step ="):]
    lines = summary.splitlines()
    assert "== 고칠 것 (튜토리얼 순서) ==" in lines and "== 요약 ==" in lines
    fails = [ln for ln in lines if ln.startswith(f"[FAIL] {HOST}: ")]
    assert len(fails) == 1 and fails[0].startswith(f"[FAIL] {HOST}: [dir.data] 데이터 디렉터리 /var/lib/etcd; "
                                                   "[cis.1.1.11] CIS 1.1.11: /var/lib/etcd의 권한이 700 또는 더 엄격이다")
    assert any(ln.startswith("       run again: ") and "--lang ko" in ln for ln in lines)
    assert any(ln.startswith(f"{HOST}: FAIL (") for ln in lines)  # the line scripts read, as it was
    assert all(hangul.search(ln) for ln in lines if ln.startswith(("== ", "[FAIL]", "[NOTE]", "학생")))
    # every text of the run's results, through the catalogue: none left over
    tr = Translator("ko")
    data = json.loads((ko / "results.json").read_text())
    texts = 0
    for host in data["hosts"]:
        for check in host["checks"]:
            for key in ("what", "expected", "found"):
                if check.get(key):
                    tr(check[key])
                    texts += 1
            tr.comment(check.get("fix") or "")
            for key in ("feature", "scenario", "reason"):
                if check.get(key):
                    tr(check[key])
                    texts += 1
    assert texts > 100 and tr.missed == set(), sorted(tr.missed)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS[1:], headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto((ko / "index.html").as_uri())
        to_fix = page.locator("section.to-fix")
        heading = to_fix.locator("h3").inner_text()
        assert heading == f"{HOST}에서 고칠 것 (2), 튜토리얼 순서", heading
        item = to_fix.locator("li").first.inner_text()
        assert "데이터 디렉터리 /var/lib/etcd" in item and "chmod 700 /var/lib/etcd" in item, item
        assert to_fix.locator("p.rerun").inner_text().startswith("실패한 것만 다시 실행:")
        assert page.locator("html").get_attribute("lang") == "ko"
        shot = ROOT / "reports" / "report-ko-screenshot.png"
        page.screenshot(path=str(shot), full_page=False)
        browser.close()
    assert shot.stat().st_size > 10_000



def test_failure_evidence_and_fix_are_visible_without_clicking(failing_report, tmp_path):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: make setup installs it")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS[1:], headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        requests = []
        context.on("request", lambda r: requests.append(r.url))
        page = context.new_page()
        page.goto(failing_report.as_uri())
        failed = page.locator("details.scenario.failed")
        assert failed.count() == 2  # the data directory scenario and CIS 1.1.11
        scenario = failed.filter(has_text="The data directory exists and only etcd's user can enter it")
        assert scenario.count() == 1
        assert scenario.get_attribute("open") is not None
        for text in ("The data directory exists and only etcd's user can enter it",
                     "directory, mode 0755, owner root:root",  # found
                     "directory, mode 0700, owner root:root",  # expected
                     "$ stat -L -c '%F|%a|%U|%G|%u|%g' -- /var/lib/etcd",  # evidence
                     "chmod 700 /var/lib/etcd"):  # fix (the mode alone is wrong)
            assert scenario.get_by_text(text, exact=False).first.is_visible(), text
        assert page.locator(".verdict.v-FAIL").first.is_visible()
        # the fix leads the page: "What to fix" lists it within the first screen, before any feature
        to_fix = page.locator("section.to-fix")
        fix = to_fix.locator("pre.fix").filter(has_text="chmod 700 /var/lib/etcd").first
        box = fix.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 1000, box
        assert to_fix.get_by_text("dir.data").first.is_visible()
        assert to_fix.locator("p.rerun").inner_text().startswith("Run again only what failed:")
        assert "--check=dir.data,cis.1.1.11" in to_fix.locator("p.rerun").inner_text()
        # known deviations are apart and collapsed
        deviations = page.locator("details.deviations")
        assert deviations.count() == 1 and deviations.get_attribute("open") is None
        # passes are collapsed: their steps are not shown until clicked
        passed = page.locator("details.scenario.passed").filter(has=page.locator("ol.steps li")).first
        assert passed.get_attribute("open") is None
        assert not passed.locator("ol.steps").is_visible()
        # an audit skips the scenarios that would change the host: under their own feature, by title, one line each
        body = page.locator("main").inner_text()
        assert "(not a feature)" not in body and "test_" not in body and "paramiko://" not in body
        skipped = page.locator("p.feature-skipped")
        assert skipped.count() >= 2, body[:2000]
        resilience = skipped.filter(has_text="systemd restarts etcd by itself after it is killed")
        assert resilience.count() == 1 and "auditing changes nothing" in resilience.inner_text()
        shot = ROOT / "reports" / "report-screenshot.png"
        shot.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(shot), full_page=False)
        # printed (a student hands it in), every detail shows, passes and deviations included
        page.emulate_media(media="print")
        assert passed.locator("ol.steps").is_visible()
        assert deviations.locator("li").first.is_visible()
        page.screenshot(path=str(ROOT / "reports" / "report-print-screenshot.png"), full_page=False)
        browser.close()
    assert [u for u in requests if not u.startswith("file://")] == []  # the page loads nothing from elsewhere
    assert shot.stat().st_size > 10_000
