"""Every feature of the etcd step, run against each target host, after one pre-flight per host."""

import pytest
from pytest_bdd import scenarios

from core.evidence import require

# the host fixture must be requested by the test itself for testinfra to parametrise it per host
pytestmark = pytest.mark.usefixtures("host")


def test_preflight(preflight_target):
    """The host answers over SSH, runs commands as root, runs systemd and has ss (checked once per host)."""
    require(preflight_target.preflight)


scenarios(".")
