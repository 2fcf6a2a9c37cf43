"""Mutation testing of the suite: each fault of the catalogue, applied to a correctly bootstrapped lab
host, makes the suite fail in exactly the checks the catalogue names (by check id), with a remediation that names
the fix; a clean bootstrap fails nothing. Prints a detection table."""

from __future__ import annotations

import pytest

from core.remote import Remote
from provision.faults import apply, load
from provision.lab import Lab
from tests.labtools import audit, bootstrap_server, failed, printed_fixes

FAULTS = [f for f in load() if f.profile == "lab"]
TABLE: list[tuple[str, str, str]] = []  # printed at the end of the run by tests/conftest.py


def detection_table() -> list[str]:
    """The detection table: fault → failed checks → verdict."""
    if not TABLE:
        return []
    return [f"{'fault':<32} {'failed checks':>16}  verdict"] + [
        f"{fault_id:<32} {count:>16}  {verdict}" for fault_id, count, verdict in TABLE
    ]


def test_the_catalogue_is_large_enough_and_well_formed():
    assert len(FAULTS) >= 20 and len(load()) >= 40
    for f in load():
        assert f.fails and f.fix and f.remedy and f.title
        assert f.fix_runs != bool(f.why_not_run)  # a fix is a command, or the catalogue says why not


@pytest.mark.lab
@pytest.mark.slow
def test_a_clean_bootstrap_fails_nothing(tmp_path):
    Lab().reset(["server"])
    bootstrap_server()
    rc, results, output = audit(tmp_path)
    TABLE.append(("(none: clean bootstrap)", str(len(failed(results))), "PASS" if rc == 0 else "FAIL"))
    assert rc == 0 and not failed(results), output[-3000:]


@pytest.mark.lab
@pytest.mark.slow
@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
def test_the_suite_catches(fault, tmp_path):
    Lab().reset(["server"])
    host, member, _ = bootstrap_server()
    ev = apply(fault, Remote(host), member)
    rc, results, output = audit(tmp_path)
    got = results.failed_checks("server")
    want = set(fault.fails)
    fix_lines = [ln for ln in output.splitlines() if ln.startswith("fix:") or "(fix: " in ln]
    named = any(fault.fix_words(member) in ln for ln in fix_lines)
    verdict = "caught" if got == want and named else "MISSED" if not got else "WRONG"
    TABLE.append((fault.id, str(len(got)), verdict))
    assert rc == 1, f"nothing failed after applying the fault (apply: exit {ev.rc} {ev.stderr[-300:]})"
    assert got == want, f"unexpected failures: {sorted(got - want)}; not failing: {sorted(want - got)}"
    assert named, f"no remediation names {fault.fix_words(member)!r}: {fix_lines[:5]}"
    if not fault.fix_runs:
        assert fault.why_not_run  # the catalogue says why this fix is no command; its words were checked above
        return
    # the fixes the suite printed, run verbatim on the broken host, repair it
    fixes = printed_fixes(output)
    assert fixes, output[-2000:]
    remote = Remote(host)
    for fix in fixes:
        ev = remote.run("bash -c %s", fix, timeout=60)
        assert ev.ok, f"the printed fix failed: {ev.render()}"
    rc, results, output = audit(tmp_path)
    TABLE[-1] = (fault.id, TABLE[-1][1], TABLE[-1][2] + ", fixed")
    assert rc == 0 and not failed(results), f"after the printed fixes {fixes}: {sorted(failed(results))}"


def run_cli(*args: str):
    import subprocess
    import sys

    from tests.labtools import ROOT

    return subprocess.run([sys.executable, "-m", "provision.faults", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_a_drill_only_draws_faults_of_the_tutorials_single_member():
    from provision.faults.__main__ import drill_faults

    assert drill_faults() == FAULTS  # never a production fault on the lab's one member
    assert {f.profile for f in load()} == {"lab", "production"}


def test_cli_lists_the_catalogue():
    out = run_cli("list")
    assert out.returncode == 0
    assert f"({len(load())} faults)" in out.stdout and "data-dir-mode" in out.stdout


def test_cli_refuses_hosts_outside_the_lab():
    out = run_cli("apply", "stopped", "--host", "example.com")
    assert out.returncode == 1
    assert out.stderr.strip() == ("faults: error: example.com is not a lab host: faults break hosts, "
                                  "add --force if you mean it")
    out = run_cli("apply", "no-such-fault")
    assert out.returncode == 1 and "no fault 'no-such-fault'" in out.stderr


@pytest.mark.lab
@pytest.mark.slow
def test_a_drill_breaks_the_host_without_saying_how_and_reveal_tells(tmp_path):
    import json

    from tests.labtools import ROOT

    out = run_cli("drill", "--host", "server")
    assert out.returncode == 0, out.stderr
    drill = json.loads((ROOT / ".lab/drill.json").read_text())
    fault = next(f for f in FAULTS if f.id == drill["fault"])
    assert fault.id not in out.stdout and fault.title not in out.stdout
    assert "pytest features/ --hosts=server" in out.stdout
    rc, results, _ = audit(tmp_path)
    assert rc == 1 and failed(results)  # the suite finds something
    revealed = run_cli("reveal")
    assert revealed.returncode == 0 and fault.id in revealed.stdout and "remedy:" in revealed.stdout
