"""The class board in a real browser (Debian's headless Chromium, driven by Playwright): for a class of 30 and
every check, printed, it fits one A4 landscape page; on screen, failing hosts come first and a failed cell
leads to that failure's details in the report."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reporting import board, html
from tests.test_board import class_run

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
pytestmark = [pytest.mark.lab, pytest.mark.slow]  # needs Debian's chromium (make setup), not a lab host


def test_a_class_of_30_prints_on_one_landscape_page_and_links_failures(tmp_path):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: make setup installs it")
    run = class_run(30)
    html.write(run, tmp_path / "index.html")
    path = board.write(run, tmp_path / "class.html")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(path.as_uri())
        rows = page.locator("tbody tr[id^=row-]")
        assert rows.count() == 30 and rows.first.get_attribute("id") == "row-class-3"
        page.screenshot(path=str(Path(__file__).resolve().parent.parent / "reports" / "class-board.png"), full_page=True)
        pdf = page.pdf(format="A4", landscape=True, print_background=True)
        page.locator("td.cell.failed a").first.click()
        page.wait_for_load_state()
        assert page.url.endswith("index.html#" + next(o.anchor for o in run.to_fix("class-3")))
        target = page.locator(f"#{page.url.split('#')[1]}")
        assert target.count() == 1 and target.is_visible()
        browser.close()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == 1, pages
