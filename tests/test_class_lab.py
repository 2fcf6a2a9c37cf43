"""A class on the lab: 30 hosts up on the kernel's stock settings, bootstrapped at once (--forks), audited in
one run (serially, one SSH connection each)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from provision.lab import Lab
from tests.labtools import ROOT, SSH_CONFIG, run_features

pytestmark = [pytest.mark.lab, pytest.mark.slow]
CLASS = [f"class-{i}" for i in range(30)]


def test_a_class_of_30_comes_up_is_bootstrapped_at_once_and_passes_its_audit(tmp_path):
    lab = Lab()
    try:
        lab.reset(CLASS)  # up, fresh (a host left from an earlier run is started afresh)
        assert all(lab.is_running(h) for h in CLASS)
        out = subprocess.run([sys.executable, "-m", "provision.bootstrap", "--hosts", ",".join(CLASS), "--forks", "10"],
                             cwd=ROOT, capture_output=True, text=True, timeout=900)
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-1000:]
        assert out.stdout.splitlines()[-1] == "== summary: 30 hosts: 0 ok, 30 changed, 0 failed"
        rc, results, output = run_features(tmp_path, f"--hosts={','.join(CLASS)}", f"--ssh-config={SSH_CONFIG}")
        assert rc == 0, output[-3000:]
        assert all(f"{h}: PASS" in output for h in CLASS)
        line = next(ln for ln in output.splitlines() if ln.startswith("SSH connections opened:"))
        opened = dict(pair.split(": ") for pair in line.split(": ", 1)[1].split(", "))
        assert opened == {h: "1" for h in CLASS}, line  # one connection per host
    finally:
        lab.down(CLASS, purge=True)
