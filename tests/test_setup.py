"""The set-up on a machine that lacks what the tutorial's jumpbox lacks: no ensurepip (Debian's python3-venv not
installed) gives one line naming the package, never a Python traceback; bin/check needs no make."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def without_ensurepip(tmp_path):
    """A copy of what the set-up reads, and a Python whose ensurepip cannot be imported (as on Debian without
    python3-venv: the module is not there)."""
    clone = tmp_path / "clone"
    (clone / "bin").mkdir(parents=True)
    for name in ("bin/check", "Makefile", "requirements-audit.txt", "requirements.txt"):
        shutil.copy2(ROOT / name, clone / name)
    shadow = tmp_path / "shadow" / "ensurepip"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'ensurepip'\")\n")
    env = dict(os.environ, PYTHONPATH=str(shadow.parent))
    return clone, env


def test_bin_check_names_python3_venv(without_ensurepip):
    clone, env = without_ensurepip
    out = subprocess.run(["sh", "bin/check", "server"], cwd=clone, capture_output=True, text=True, env=env, timeout=60)
    text = out.stdout + out.stderr
    assert out.returncode == 2 and text.strip().splitlines() == [
        "bin/check: python3 cannot make a virtual environment (no ensurepip): sudo apt-get install -y python3-venv"]
    assert not (clone / ".venv").exists()


def test_make_check_names_python3_venv(without_ensurepip):
    clone, env = without_ensurepip
    out = subprocess.run(["make", "-s", "check", "HOSTS=server"], cwd=clone, capture_output=True, text=True, env=env,
                         timeout=60)
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "sudo apt-get install -y python3-venv" in text and "Traceback" not in text
    assert not (clone / ".venv").exists()


def test_bin_check_usage_is_one_line():
    out = subprocess.run(["sh", str(ROOT / "bin/check")], capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and out.stdout.startswith("usage: bin/check HOSTS")
