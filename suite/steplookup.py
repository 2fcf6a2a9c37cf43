"""pytest-bdd's step lookup, remembered per test module.

For every step of every scenario pytest-bdd 9 asks pytest, fixture name by fixture name, which step
definitions are visible to the test and parse the step (``find_fixturedefs_for_step``). The answer depends on
the step (its type and text) and on where the test is (its module), not on the host a scenario runs for, so
an audit of many hosts asked the same questions once per host, a large part of its time under cProfile
(bench/classroom.py). :func:`install` keeps the first answer per
(module, step type, step text, number of fixture names) and gives it again.
"""

from __future__ import annotations

from collections.abc import Iterable
import importlib

from pytest_bdd.compat import get_fixture_names

bdd_scenario = importlib.import_module("pytest_bdd.scenario")  # the module: pytest_bdd.scenario is also a function

_ORIGINAL = bdd_scenario.find_fixturedefs_for_step
_ANSWERS: dict[tuple, tuple] = {}


def find_fixturedefs_for_step(step, fixturemanager, node) -> Iterable:
    parent = node.parent.nodeid if node.parent is not None else node.nodeid
    key = (id(fixturemanager), parent, step.type, step.name, len(get_fixture_names(fixturemanager)))
    found = _ANSWERS.get(key)
    if found is None:
        found = _ANSWERS[key] = tuple(_ORIGINAL(step=step, fixturemanager=fixturemanager, node=node))
    return iter(found)


def install() -> None:
    """Use the remembered lookup (pytest-bdd calls the module's global, so replacing it there is enough)."""
    bdd_scenario.find_fixturedefs_for_step = find_fixturedefs_for_step
