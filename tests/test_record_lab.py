"""Recording a lab host and judging the recording with the lab down, as a student or an instructor would:
``python -m suite record`` then ``python -m checks judge``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.remote import Remote
from provision.lab import Lab
from tests.labtools import ROOT, SSH_CONFIG, bootstrap_server

pytestmark = [pytest.mark.lab, pytest.mark.slow]
HOST = "record-0"  # a host of its own: it is taken down (tests/conftest.py)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def verdicts(output: str) -> dict[str, str]:
    """{check id: verdict} of ``checks judge``'s lines (``HOST  ID  VERDICT  headline``)."""
    out = {}
    for line in output.splitlines():
        words = line.split()
        if len(words) >= 3 and words[2] in ("passed", "failed", "deviation", "skipped"):
            out[words[1]] = words[2]
    return out


def test_a_recording_of_a_lab_host_is_judged_without_the_host(tmp_path):
    host, member, _ = bootstrap_server(HOST)
    healthy, broken = tmp_path / "healthy.json", tmp_path / "broken.json"
    made = cli("suite", "record", f"--hosts={HOST}", f"--ssh-config={SSH_CONFIG}", "-o", str(healthy))
    assert made.returncode == 0, made.stderr
    assert Remote(host).run("chmod 755 -- %s", member.data_dir).ok
    made = cli("suite", "record", f"--hosts={HOST}", f"--ssh-config={SSH_CONFIG}", "--comment=chmod 755 the data dir",
               "-o", str(broken))
    assert made.returncode == 0, made.stderr
    assert "PRIVATE KEY" not in healthy.read_text() + broken.read_text()
    Lab().down([HOST])  # judged with no host
    judged = cli("checks", "judge", str(healthy))
    assert judged.returncode == 0, judged.stdout[-2000:]
    got = verdicts(judged.stdout)
    assert "failed" not in got.values() and got["dir.data"] == "passed" and got["cis.2.1"] == "deviation"
    assert got["life.restart-after-kill"] == "skipped" and judged.stdout.splitlines()[-1].startswith(f"{HOST}: PASS")
    judged = cli("checks", "judge", str(broken))
    assert judged.returncode == 1
    got = verdicts(judged.stdout)
    assert {c for c, v in got.items() if v == "failed"} == {"dir.data", "cis.1.1.11"}
    line = next(ln for ln in judged.stdout.splitlines() if " dir.data " in ln)
    assert "mode 0755" in line and "(fix: chmod 700 /var/lib/etcd)" in line


def test_bad_input_to_record_and_judge_is_one_line(tmp_path):
    out = cli("checks", "judge", str(tmp_path / "none.json"))
    assert out.returncode == 2 and out.stderr.strip().startswith("judge: error:") and "Traceback" not in out.stderr
    (tmp_path / "bad.json").write_text("{}")
    out = cli("checks", "judge", str(tmp_path / "bad.json"))
    assert out.returncode == 2 and "not a recording of this suite" in out.stderr
    out = cli("suite", "record", "--hosts=server:99999", "-o", str(tmp_path / "x.json"))
    assert out.returncode == 2 and out.stderr.startswith("record: error:") and "Traceback" not in out.stderr
