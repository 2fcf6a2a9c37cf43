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
