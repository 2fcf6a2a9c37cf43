"""The class board (``reports/class.html``, written beside the report when a run has two or more hosts): hosts as
rows, failing first; checks as columns in the tutorial's order, grouped by feature; each cell the check's status
on that host, a failed one linking to its details in the report; per check, how many hosts fail it. One
self-contained page that prints on one A4 landscape sheet for a class of 30."""

from __future__ import annotations

from pathlib import Path

from core.files import atomic_write
from core.i18n import Translator, translator
from reporting.model import Run
from reporting.results import _checks_of

LETTER = {"passed": "✓", "failed": "✗", "skipped": "·", "deviation": "d", "waived": "w"}


def board(run: Run, tr: Translator | None = None) -> dict:
    """{"features": [(feature, [check id, ...])], "rows": [(host summary, {id: (status, anchor, title)})],
    "failing": {id: hosts failing it}}."""
    tr = tr or translator("en")
    columns: dict[str, list[str]] = {}
    rows = []
    failing: dict[str, int] = {}
    for summary in run.hosts():  # failing hosts first
        cells: dict[str, tuple[str, str, str]] = {}
        for o in run._ordered(summary.name):
            for entry in _checks_of(o):
                cid = entry["id"]
                ids = columns.setdefault(entry["feature"], [])
                if cid not in ids:
                    ids.append(cid)
                status = entry["status"]
                if cid in cells and cells[cid][0] == "failed":
                    continue
                title = f"{cid}: {tr.gettext(status)}" + (
                    f" ({tr(entry.get('reason') or entry.get('found') or '')})" if status != "passed" else "")
                cells[cid] = (status, o.anchor, title)
        for cid, (status, _, _) in cells.items():
            failing[cid] = failing.get(cid, 0) + (status == "failed")
        rows.append((summary, cells))
    return {"features": list(columns.items()), "rows": rows, "failing": failing}


def render(run: Run, report_name: str = "index.html") -> str:
    from reporting.html import environment

    return environment(run).get_template("class.html.j2").render(
        run=run, report=report_name, letter=LETTER, **board(run, translator(run.lang)))


def write(run: Run, path: Path, report_name: str = "index.html") -> Path | None:
    """The board, when the run has two or more hosts."""
    if len(run.hosts()) < 2:
        return None
    atomic_write(path, render(run, report_name), 0o644)
    return path
