"""The project's layers point one way (read from the source with ast, no import runs):

    features/ → steps/ → reporting/ → suite/ → checks/, provision/ → core/

core/ imports nothing of the project; checks/ and provision/ stand on core/ and never on each other;
suite/ (the pytest orchestration) uses both; steps/ and reporting/ build on suite/; nothing imports steps/.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "checks", "provision", "suite", "reporting", "steps")
ALLOWED = {
    "core": set(),
    "checks": {"core"},
    "provision": {"core"},
    "suite": {"core", "checks", "provision"},
    "reporting": {"core", "checks", "provision", "suite"},
    "steps": {"core", "checks", "provision", "suite"},
}


def imports_of(path: Path) -> set[str]:
    """The project's top-level packages a module imports (at the top or inside functions)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        out |= {n.split(".")[0] for n in names if n.split(".")[0] in PACKAGES}
    return out


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {p: set() for p in PACKAGES}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            edges[pkg] |= imports_of(path) - {pkg}
    return edges


def test_each_layer_imports_only_the_layers_below_it():
    for pkg, deps in graph().items():
        assert deps <= ALLOWED[pkg], f"{pkg}/ imports {sorted(deps - ALLOWED[pkg])}"


def test_no_import_cycle_between_top_level_packages():
    edges = graph()

    def reaches(start: str, goal: str, seen: frozenset = frozenset()) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in edges[start])

    cycles = [p for p in PACKAGES if reaches(p, p)]
    assert not cycles, f"import cycles through {cycles}"


def test_the_checker_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text("import os\nfrom core.model import Member\n\ndef f():\n    from checks import unit\n")
    assert imports_of(sample) == {"core", "checks"}
