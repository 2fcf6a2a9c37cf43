"""A class on the lab: 30 hosts up on the kernel's stock settings, bootstrapped at once (--forks), three of them
then broken, and the class audited in one run (serially, one SSH connection each): the 27 others pass, the three
fail, and the class's board (reports/class.html) in a real browser (Debian's Chromium) prints on one A4 landscape
page, failing hosts first, each failed cell leading to that failure's details in the report."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from provision.lab import Lab
from core.remote import Remote
from tests.labtools import ROOT, SSH_CONFIG, run_features

pytestmark = [pytest.mark.lab, pytest.mark.slow]
CLASS = [f"class-{i}" for i in range(30)]


def test_a_class_of_30_comes_up_is_bootstrapped_at_once_and_its_audit_passes_the_correct_hosts(tmp_path):
    lab = Lab()
    try:
        lab.reset(CLASS)  # up, fresh (a host left from an earlier run is started afresh)
        assert all(lab.is_running(h) for h in CLASS)
        out = subprocess.run([sys.executable, "-m", "provision.bootstrap", "--hosts", ",".join(CLASS), "--forks", "10"],
                             cwd=ROOT, capture_output=True, text=True, timeout=900)
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-1000:]
        assert out.stdout.splitlines()[-1] == "== summary: 30 hosts: 0 ok, 30 changed, 0 failed"
        _the_audit_and_board_of_a_class_with_three_hosts_broken(tmp_path)
    finally:
        lab.down(CLASS, purge=True)


BROKEN = {"class-3": "chmod 755 /var/lib/etcd", "class-7": "systemctl disable -q etcd",
          "class-12": "systemctl stop etcd"}


def _the_audit_and_board_of_a_class_with_three_hosts_broken(tmp_path: Path) -> None:
    import testinfra
    from playwright.sync_api import sync_playwright

    from core import ssh

    ssh.install()
    for name, command in BROKEN.items():
        assert Remote(testinfra.get_host(f"paramiko://{name}", ssh_config=SSH_CONFIG)).run(command).ok
    reports = tmp_path / "class"
    reports.mkdir()
    rc, results, output = run_features(tmp_path, f"--hosts={','.join(CLASS)}", f"--ssh-config={SSH_CONFIG}",
                                       f"--etcd-report={reports / 'index.html'}",
                                       f"--etcd-json={reports / 'results.json'}")
    assert rc == 1 and all(f"{h}: FAIL" in output for h in BROKEN), output[-3000:]
    assert all(f"{h}: PASS" in output for h in CLASS if h not in BROKEN), output[-3000:]
    line = next(ln for ln in output.splitlines() if ln.startswith("SSH connections opened:"))
    opened = dict(pair.split(": ") for pair in line.split(": ", 1)[1].split(", "))
    assert opened == {h: "1" for h in CLASS}, line  # one connection per host
    board = reports / "class.html"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(board.as_uri())
        rows = page.locator("tbody tr[id^=row-]")
        assert rows.count() == 30
        first = [rows.nth(i).get_attribute("id").removeprefix("row-") for i in range(3)]
        assert sorted(first) == sorted(BROKEN), first  # failing hosts first
        pdf = page.pdf(format="A4", landscape=True, print_background=True)
        page.screenshot(path=str(ROOT / "reports" / "class-board-lab.png"), full_page=True)
        cell = page.locator("#row-class-3 td.cell.failed a").first
        cell.click()
        page.wait_for_load_state()
        anchor = page.url.split("#")[1]
        assert page.url.startswith((reports / "index.html").as_uri()) and anchor.startswith("o-class-3-")
        target = page.locator(f"#{anchor}")
        assert target.count() == 1 and target.is_visible()
        assert "/var/lib/etcd" in target.inner_text()
        browser.close()
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # one printed landscape page
