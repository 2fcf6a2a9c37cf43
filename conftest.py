"""pytest entry point: the suite's plugin (suite/), the step definitions (steps/) and the report (reporting/)."""

import pytest

pytest.register_assert_rewrite("steps", "reporting")

pytest_plugins = [
    "suite.target",
    "suite.plugin",
    "steps.host",
    "steps.files",
    "steps.service",
    "steps.network",
    "steps.etcdctl",
    "steps.provisioning",
    "steps.lifecycle",
    "steps.cis",
    "steps.cluster",
    "steps.quorum",
    "reporting.plugin",
]
