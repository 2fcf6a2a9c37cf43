import os
from pathlib import Path

import pytest

# the audits these tests run in subprocesses print pytest's own lines (the short test summary) cut to the
# terminal's width, which differs between a terminal, this machine and CI: one width everywhere
os.environ["COLUMNS"] = "240"
# and one language: the suite speaks the locale's (LANG=ko_KR.UTF-8 → Korean); the tests that want Korean ask
for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
    os.environ[var] = "C.UTF-8"

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data():
    return lambda rel: (DATA / rel).read_text()


@pytest.fixture(scope="module")
def bootstrapped():
    """Lab host ``server`` fresh from a reset, bootstrapped with Debian's etcd: (host, member, actions)."""
    from tests.labtools import bootstrap_server

    return bootstrap_server()


# Lab tests that use the same lab hosts run one after another on one pytest-xdist worker (--dist loadgroup);
# the groups run beside each other. The hosts of each group: server and node-0..2 (most tests), fault-0..6 (the
# fault catalogue's rounds), etcd-0..2 (the production cluster), etcd-3..8 (the production faults' clusters),
# spare-0 (the resilience scenarios, the stricter setups, the report in a browser), spare-1 (a host that fails to
# boot, a container whose supervisor died, other ways to configure the member), many-0..2 (bootstrapping several hosts),
# controller-0..2 (the 2020 edition), class-0..29 (a class), jumpbox and reach-0 (reaching hosts as ssh does),
# far-0 and far-1 (far hosts), gate-0..2 (a CI gate's three hosts), record-0 (recorded, then taken down), student-0 (a student's server),
# waive-0 (waivers).
LAB_GROUPS = {
    "tests/test_production_lab.py::test_a_production_fault": "production-faults",
    "tests/test_production_lab.py": "production",
    "tests/test_bootstrap_many_lab.py": "many",
    "tests/test_class_lab.py": "class",
    "tests/test_resilience_lab.py": "spare",
    "tests/test_stricter_lab.py": "spare",
    "tests/test_report_browser.py": "spare",
    "tests/test_lab.py::test_a_boot_timeout_names_the_host_and_its_console": "spare-1",
    "tests/test_lab.py::test_down_kills_a_container_whose_supervisor_died": "spare-1",
    "tests/test_variants_lab.py": "spare-1",
    "tests/test_reach_lab.py": "reach",
    "tests/test_far_lab.py": "far",
    "tests/test_gate_lab.py": "gate",
    "tests/test_record_lab.py": "record",
    "tests/test_jumpbox_lab.py": "student",
    "tests/test_waivers_lab.py": "waive",
    "tests/test_board_browser.py": "board",
    "tests/test_faults.py::test_the_suite_catches": "faults",
    "tests/test_editions_lab.py::test_the_2020_edition": "controllers",
}


SERVER_MODULES = (  # modules whose lab tests use server and node-0..2
    "tests/test_audit_lab.py", "tests/test_editions_lab.py", "tests/test_faults.py", "tests/test_lab.py",
    "tests/test_suite_lab.py",
)
FIRST = ("server", "production", "spare", "controllers", "many", "class", "faults", "production-faults", "spare-1",
         "gate", "far", "reach", "student", "record", "waive", "board")  # longest first


def group_of(nodeid: str) -> str:
    """The group a test runs in: the lab hosts it uses, else its own module."""
    for prefix, group in LAB_GROUPS.items():
        if nodeid.startswith(prefix):
            return group
    module = nodeid.split("::")[0]
    return "server" if module in SERVER_MODULES else module


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:  # a new lab test module must say which lab hosts it uses
        if item.get_closest_marker("lab") and group_of(item.nodeid) not in FIRST:
            raise pytest.UsageError(f"{item.nodeid.split('::')[0]} has lab tests: add it to SERVER_MODULES or "
                                    "LAB_GROUPS in tests/conftest.py")


def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's --dist loadgroup loses its groups under pytest 9 (see suite/scheduling.py): the project's
    tests are grouped by :func:`group_of` here, the longest groups dealt out first."""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

        def schedule(self) -> None:
            if self.collection is not None or not self._check_nodes_have_same_collection():
                return super().schedule()
            self.collection = list(next(iter(self.registered_collections.values())))
            work: dict[str, dict[str, bool]] = {}
            for nodeid in self.collection:
                work.setdefault(self._split_scope(nodeid), {})[nodeid] = False
            order = sorted(work, key=lambda s: (FIRST.index(s) if s in FIRST else len(FIRST), -len(work[s])))
            for scope in order:
                self.workqueue[scope] = work[scope]
            for _ in range(max(0, len(self.nodes) - len(self.workqueue))):
                self.assigned_work.popitem()[0].shutdown()
            for node in self.nodes:
                self._assign_work_unit(node)

    return GroupScheduling(config, log)


def runs_fault_tests(config) -> bool:
    """This run includes the fault catalogue's lab tests (the whole of tests/, or their modules)."""
    faults = ("tests", "test_faults.py", "test_production_lab.py")
    return "not lab" not in config.option.markexpr and any(
        a.split("::")[0].rstrip("/").endswith(faults) for a in map(str, config.args))


def pytest_sessionstart(session) -> None:
    # the controller of a run with the fault tests starts the table afresh
    if not hasattr(session.config, "workerinput") and runs_fault_tests(session.config):
        from tests.labtools import DETECTION

        DETECTION.unlink(missing_ok=True)


def pytest_terminal_summary(terminalreporter) -> None:
    """The fault catalogue's detection table, after a run of the fault tests (output inside tests is captured)."""
    from tests.labtools import detection_table

    lines = detection_table() if runs_fault_tests(terminalreporter.config) else []
    if lines:
        terminalreporter.section("fault detection")
        for line in lines:
            terminalreporter.write_line(line)
