"""The plan of a run, decided once on the controller and handed to pytest-xdist's workers as data.

What the run checks and how it reaches its hosts: the mode (``lab``: reset and carry out the step on the lab's
hosts; ``bootstrap``: carry it out on given hosts; ``audit``: change nothing), the edition and its profile, the
hosts as testinfra names them, the SSH config they are reached with, and what machines.txt says of them (the
member each runs, its address). A worker never decides again: it takes the controller's plan
(``pytest_configure_node`` puts it in the worker's input).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

PLAN_KEY = pytest.StashKey["RunPlan"]()
WORKER_INPUT = "etcd_plan"


@dataclass
class RunPlan:
    mode: str
    edition: str
    profile: str
    hosts: str | None = None  # comma-separated, as testinfra's --hosts
    ssh_config: str | None = None
    member_names: dict[str, str] = field(default_factory=dict)  # host → member name (machines.txt's HOST)
    addresses: dict[str, str] = field(default_factory=dict)  # host → address (machines.txt's IP)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "RunPlan":
        return cls(**data)


def handed_down(config: pytest.Config) -> RunPlan | None:
    """The controller's plan, on a pytest-xdist worker (None on the controller, or in a run without one)."""
    data = getattr(config, "workerinput", {}).get(WORKER_INPUT)
    return RunPlan.from_dict(data) if data else None
