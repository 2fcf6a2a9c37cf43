"""Every feature of the etcd step, run against each target host."""

import pytest
from pytest_bdd import scenarios

# the host fixture must be requested by the test itself for testinfra to parametrise it per host
pytestmark = pytest.mark.usefixtures("host")

scenarios(".")
