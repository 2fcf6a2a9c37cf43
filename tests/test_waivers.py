"""--waivers: entries checked before anything runs (one line each), matched by check id or pattern and host,
applied through the end of their expires day."""

from __future__ import annotations

import datetime
import subprocess
import sys

import pytest

from suite.waivers import Waiver, WaiverError, find, load

KNOWN = {"dir.data", "cis.1.1.11", "cis.1.1.12", "config.name"}


def _file(tmp_path, text):
    path = tmp_path / "waivers.yml"
    path.write_text(text)
    return str(path)


def test_a_valid_file(tmp_path):
    got = load(_file(tmp_path, "- check: dir.data\n  hosts: [node-0]\n  justification: 0755 accepted\n"
                               "  expires: 2027-01-31\n- check: cis.1.1.*\n  justification: class image\n"), KNOWN)
    assert got == [Waiver("dir.data", "0755 accepted", ("node-0",), datetime.date(2027, 1, 31)),
                   Waiver("cis.1.1.*", "class image")]


@pytest.mark.parametrize("text, says", [
    ("- check: dir.dat\n  justification: x\n", "'dir.dat' names no known check"),
    ("- check: dir.data\n", "dir.data has no justification"),
    ("- check: dir.data\n  justification: ''\n", "dir.data has no justification"),
    ("- check: dir.data\n  justification: x\n  expires: someday\n", "is not a date"),
    ("- check: dir.data\n  justification: x\n  until: 2027-01-01\n", "unknown key 'until'"),
    ("check: dir.data\n", "a list of waivers is expected"),
    ("- [\n", "not YAML"),
])
def test_bad_files_are_one_line(tmp_path, text, says):
    with pytest.raises(WaiverError) as err:
        load(_file(tmp_path, text), KNOWN)
    assert says in str(err.value) and "\n" not in str(err.value)


def test_a_waiver_applies_to_its_hosts_through_its_last_day():
    w = Waiver("cis.1.1.*", "why", ("node-0",), datetime.date(2027, 1, 31))
    assert find([w], "cis.1.1.11", "node-0", datetime.date(2027, 1, 31)) == (w, None)
    assert find([w], "cis.1.1.11", "node-0", datetime.date(2027, 2, 1)) == (None, w)
    assert find([w], "cis.1.1.11", "node-1", datetime.date(2027, 1, 1)) == (None, None)
    assert find([w], "dir.data", "node-0", datetime.date(2027, 1, 1)) == (None, None)


def test_the_audit_refuses_a_waiver_of_no_known_check_in_one_line(tmp_path):
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    path = _file(tmp_path, "- check: dir.dat\n  justification: typo\n")
    out = subprocess.run([sys.executable, "-m", "pytest", "features/", "-q", "-p", "no:cacheprovider",
                          "--hosts=server", f"--waivers={path}"], cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 4 and f"ERROR: --waivers {path}: entry 1: 'dir.dat' names no known check" in out.stderr
    assert "Traceback" not in out.stdout + out.stderr
