"""pytest-bdd's step lookup, remembered per test module (suite/steplookup.py)."""

from types import SimpleNamespace

import pytest

from suite import steplookup


class Manager:
    """Stands in for pytest's fixture manager: only the fixture names are read from it."""

    def __init__(self, names):
        self.names = names


@pytest.fixture
def lookups(monkeypatch):
    asked = []

    def original(step, fixturemanager, node):
        asked.append((node.nodeid, step.name))
        yield from (f"def-of-{step.type}-{step.name}", "another")

    monkeypatch.setattr(steplookup, "_ORIGINAL", original)
    monkeypatch.setattr(steplookup, "_ANSWERS", {})
    monkeypatch.setattr(steplookup, "get_fixture_names", lambda fixturemanager: fixturemanager.names)
    return asked


def item(module: str, host: str):
    return SimpleNamespace(nodeid=f"{module}::test_x[paramiko://{host}]", parent=SimpleNamespace(nodeid=module))


def step(kind: str, text: str):
    return SimpleNamespace(type=kind, name=text)


def test_the_hosts_of_one_module_share_the_answer(lookups):
    fm = Manager(["a", "b"])
    first = list(steplookup.find_fixturedefs_for_step(step("given", "a host"), fm, item("f.py", "server")))
    again = list(steplookup.find_fixturedefs_for_step(step("given", "a host"), fm, item("f.py", "node-0")))
    assert first == again == ["def-of-given-a host", "another"]
    assert lookups == [("f.py::test_x[paramiko://server]", "a host")]


def test_another_step_module_type_or_set_of_fixtures_is_asked_again(lookups):
    fm = Manager(["a", "b"])
    steplookup.find_fixturedefs_for_step(step("given", "a host"), fm, item("f.py", "server"))
    steplookup.find_fixturedefs_for_step(step("given", "another host"), fm, item("f.py", "server"))
    steplookup.find_fixturedefs_for_step(step("then", "a host"), fm, item("f.py", "server"))
    steplookup.find_fixturedefs_for_step(step("given", "a host"), fm, item("g.py", "server"))
    steplookup.find_fixturedefs_for_step(step("given", "a host"), Manager(["a", "b", "c"]), item("f.py", "server"))
    assert len(lookups) == 5


def test_the_suite_installs_it_where_pytest_bdd_looks():
    import importlib

    steplookup.install()
    assert importlib.import_module("pytest_bdd.scenario").find_fixturedefs_for_step is steplookup.find_fixturedefs_for_step
