"""pytest entry point: the suite's plugin (suite/), the step definitions (steps/) and the report (reporting/)."""

import pytest

pytest.register_assert_rewrite("steps", "reporting")

pytest_plugins = [
    "suite.early",  # first: the suite's options, and an audit's connections opened while the rest loads
    "suite.target",
    "suite.plugin",
    "steps.host",
    "steps.judged",
    "steps.etcdctl",
    "steps.provisioning",
    "steps.lifecycle",
    "steps.quorum",
    "reporting.plugin",
]
