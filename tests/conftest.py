from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data():
    return lambda rel: (DATA / rel).read_text()


@pytest.fixture(scope="module")
def bootstrapped():
    """Lab host ``server`` fresh from a reset, bootstrapped with Debian's etcd: (host, member, actions)."""
    from tests.labtools import bootstrap_server

    return bootstrap_server()


def pytest_terminal_summary(terminalreporter) -> None:
    """The fault catalogue's detection table, after the run (output inside tests is captured)."""
    import sys

    faults = sys.modules.get("tests.test_faults")
    lines = faults.detection_table() if faults else []
    if lines:
        terminalreporter.section("fault detection")
        for line in lines:
            terminalreporter.write_line(line)
