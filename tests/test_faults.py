"""The fault catalogue on the lab: what only a real host can show. That each fault fails exactly its checks, with a
fix that names the remedy, is proven on the faults' recordings without a lab (tests/test_recordings.py, which
prints the detection table); here a clean bootstrap fails nothing and is judged as its stored recording is, and
each fault whose fixes are commands (``fix_runs``), applied to a freshly bootstrapped host, is judged as its
recording is and is repaired by the printed fixes run verbatim."""

from __future__ import annotations

import dataclasses

import pytest

from core.remote import Remote
from provision.faults import apply, load
from provision.lab import Lab
from tests.labtools import (RECORDINGS, SSH_CONFIG, FaultRounds, audit, bootstrap_server, detected,
                            differs_from_stored, failed, printed_fixes, run_features)

FAULTS = [f for f in load() if f.profile == "lab"]
FIX_RUNS = [f for f in FAULTS if f.fix_runs]


def test_the_catalogue_is_large_enough_and_well_formed():
    assert len(FAULTS) >= 20 and len(load()) >= 40
    for f in load():
        assert f.fails and f.fix and f.remedy and f.title
        assert f.fix_runs != bool(f.why_not_run)  # a fix is a command, or the catalogue says why not


@pytest.mark.lab
@pytest.mark.slow
def test_a_clean_bootstrap_fails_nothing(tmp_path):
    bootstrap_server()  # fresh from a reset
    rc, results, output = audit(tmp_path)
    detected("(none: clean bootstrap, lab)", str(len(failed(results))), "PASS" if rc == 0 else "FAIL")
    assert rc == 0 and not failed(results), output[-3000:]
    # the recording the checks are proven on is what such a host answers (python -m tests.recordings refreshes it)
    assert differs_from_stored(["server"], [RECORDINGS / "healthy" / "kthw-server-3.4.json"],
                               expected_version="3.4.23") == []


FAULT_HOSTS = tuple(f"fault-{i}" for i in range(7))  # the faults are applied in rounds, one host each


@dataclasses.dataclass
class Outcome:
    """What one fault did on its host: the apply script's evidence, the checks that failed, the fix lines of
    that host's failures, the fixes printed for it, and (fix_runs faults) what failed after running them."""
    host: str
    member: object
    applied: object
    rc: int
    got: set
    fix_lines: list
    fixes: list = dataclasses.field(default_factory=list)
    fix_errors: list = dataclasses.field(default_factory=list)
    after: set | None = None
    drift: list = dataclasses.field(default_factory=list)  # verdicts that differ from the fault's recording


class Rounds(FaultRounds):
    """The catalogue applied in rounds: each round resets as many lab hosts as it has faults, bootstraps them
    together, breaks each in its own way, audits them in one run, runs the printed fixes of the faults whose
    fixes are commands and audits those again. A fault whose state passes by itself (``lasts``) is applied and
    audited alone, at once, after the others. Each fault's test then reads its own host's results."""

    def __init__(self, faults: list, tmp_path):
        super().__init__(faults, len(FAULT_HOSTS), tmp_path)

    def _run(self, faults: list) -> None:
        from concurrent.futures import ThreadPoolExecutor

        hosts = FAULT_HOSTS[:len(faults)]
        Lab().reset(list(hosts))
        tmp = self.tmp / f"round-{len(self.done)}"
        tmp.mkdir()
        audits, drift, made = {}, {}, {}

        def compare(host_name: str, fault) -> list:  # the host as the fault's recording has it (the audit changes nothing)
            return differs_from_stored([host_name], [RECORDINGS / "faults" / f"{fault.id}.json"], set(fault.may_fail))

        with ThreadPoolExecutor(len(hosts)) as pool:
            booted = dict(zip(hosts, pool.map(lambda h: bootstrap_server(h, reset=False)[:2], hosts)))
            # every lasting fault applied once every host of the round is up, then audited at once
            lasting = [(h, f) for h, f in zip(hosts, faults) if not f.lasts]
            made.update(pool.map(lambda hf: (hf[0], (*booted[hf[0]], apply(hf[1], Remote(booted[hf[0]][0]), booted[hf[0]][1]))),
                                 lasting))
        if lasting:
            got = run_features(tmp, "--hosts=" + ",".join(h for h, _ in lasting), f"--ssh-config={SSH_CONFIG}")
            audits.update({h: got for h, _ in lasting})
            drift.update({h: compare(h, f) for h, f in lasting})
        for h, f in zip(hosts, faults):
            if f.lasts:  # a state that passes by itself (etcd exits 30 s after it starts without its directory):
                remote = Remote(booted[h][0])  # applied, audited and compared at once, alone; once more if it passed
                for _ in range(2):
                    made[h] = (*booted[h], apply(f, remote, booted[h][1]))
                    restarts = remote.run("systemctl show -p NRestarts --value %s", booted[h][1].service).stdout
                    audits[h] = run_features(tmp, f"--hosts={h}", f"--ssh-config={SSH_CONFIG}")
                    drift[h] = compare(h, f)
                    if remote.run("systemctl show -p NRestarts --value %s", booted[h][1].service).stdout == restarts:
                        break  # etcd did not exit meanwhile: the audit and the comparison saw the state
        repaired = []
        for host_name, fault in zip(hosts, faults):
            host, member, ev = made[host_name]
            rc, results, output = audits[host_name]
            out = self.done[fault.id] = Outcome(host_name, member, ev, rc, results.failed_checks(host_name),
                                                results.fix_lines(host_name), drift=drift[host_name])
            if fault.fix_runs and out.got:
                out.fixes = printed_fixes(output, host_name)
                remote = Remote(host)
                for fix in out.fixes:
                    ran = remote.run("bash -c %s", fix, timeout=60)
                    if not ran.ok:
                        out.fix_errors.append(ran.render())
                repaired.append(host_name)
        if repaired:
            _, results, _ = run_features(tmp, "--hosts=" + ",".join(repaired), f"--ssh-config={SSH_CONFIG}")
            for fault in faults:
                out = self.done[fault.id]
                if out.host in repaired:
                    out.after = results.failed_checks(out.host)


@pytest.fixture(scope="module")
def rounds(tmp_path_factory):
    yield Rounds(FIX_RUNS, tmp_path_factory.mktemp("faults"))
    Lab().down(list(FAULT_HOSTS))


@pytest.mark.lab
@pytest.mark.slow
@pytest.mark.parametrize("fault", FIX_RUNS, ids=[f.id for f in FIX_RUNS])
def test_the_suite_catches_and_its_printed_fixes_repair(fault, rounds):
    out = rounds.outcome(fault)
    want = set(fault.fails)
    named = any(fault.fix_words(out.member) in ln for ln in out.fix_lines)
    verdict = "caught" if fault.explains(out.got) and named else "MISSED" if not out.got else "WRONG"
    detected(f"{fault.id} (lab host)", str(len(out.got)), verdict + (", fixed" if out.after == set() else ""))
    assert out.drift == [], out.drift
    assert out.got, f"nothing failed on {out.host} after applying the fault (apply: exit {out.applied.rc} {out.applied.stderr[-300:]})"
    assert fault.explains(out.got), (f"unexpected failures: {sorted(out.got - want - set(fault.may_fail))}; "
                                     f"not failing: {sorted(want - out.got)}")
    assert named, f"no remediation names {fault.fix_words(out.member)!r}: {out.fix_lines[:5]}"
    if not fault.fix_runs:
        assert fault.why_not_run  # the catalogue says why this fix is no command; its words were checked above
        return
    # the fixes the suite printed, run verbatim on the broken host, repair it
    assert out.fixes, f"no fix printed for {out.host}"
    assert not out.fix_errors, f"the printed fix failed: {out.fix_errors[0]}"
    assert out.after == set(), f"after the printed fixes {out.fixes}: {sorted(out.after or ())} still fail"


def run_cli(*args: str):
    import subprocess
    import sys

    from tests.labtools import ROOT

    return subprocess.run([sys.executable, "-m", "provision.faults", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_a_drill_only_draws_faults_of_the_profile_it_bootstraps():
    from provision.faults.__main__ import drill_faults

    assert drill_faults() == FAULTS  # never a production fault on the lab's one member
    assert drill_faults("production") == [f for f in load() if f.profile == "production"]
    assert {f.profile for f in load()} == {"lab", "production"}


def test_only_a_production_fault_acts_on_peers(tmp_path):
    from provision.faults import FaultError

    bad = tmp_path / "c.toml"
    bad.write_text('[[fault]]\nid = "x"\ntitle = "t"\napply = "true"\nfails = ["unit.file"]\nfix = "f"\n'
                   'remedy = "r"\nfix_runs = true\npeers_before = "systemctl stop etcd"\n')
    with pytest.raises(FaultError, match="only a production fault has peers"):
        load(bad)
    fault = next(f for f in load() if f.peers_before)
    with pytest.raises(FaultError, match="acts on the member's peers too"):
        apply(fault, remote=None, member=None)


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
    drill = json.loads((ROOT / ".lab/drill-lab.json").read_text())
    fault = next(f for f in FAULTS if f.id == drill["fault"])
    assert fault.id not in out.stdout and fault.title not in out.stdout
    assert "pytest features/ --hosts=server" in out.stdout
    rc, results, _ = audit(tmp_path)
    assert rc == 1 and failed(results)  # the suite finds something
    revealed = run_cli("reveal", "--profile", "lab")
    assert revealed.returncode == 0 and fault.id in revealed.stdout and "remedy:" in revealed.stdout
