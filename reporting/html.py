"""Render a Run into one self-contained HTML page (inline CSS, no script, nothing loaded from elsewhere;
printed, every detail shows)."""

from __future__ import annotations

from pathlib import Path

import jinja2

from core.files import atomic_write
from reporting.model import Run, link_label

TEMPLATES = Path(__file__).with_name("templates")


def render(run: Run) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    return env.get_template("index.html.j2").render(run=run, link_label=link_label)


def write(run: Run, path: Path) -> Path:
    atomic_write(path, render(run), 0o644)
    return path


def terminal_summary(run: Run) -> list[str]:
    """kube-bench style: counts per host, then the fixes for failed checks only."""
    lines = []
    if run.failures():
        lines.append("== Remediations (in the tutorial's order) ==")
        for h in run.hosts():
            for group in run.fix_groups(h.name):
                o = group[0]
                if o.check or o.precondition:
                    lines.append(f"[FAIL] {o.host}: " + "; ".join(g.headline for g in group))
                    lines += [f"       {ln}" for ln in o.fix.splitlines()] if o.check else []
                else:
                    lines.append(f"[FAIL] {o.host}: {o.scenario} (unexpected error, see the report)")
            again = run.rerun_command(h.name)
            if again:
                lines.append(f"       run again: {again}")
        lines.append("")
    if run.hints:
        lines += [f"[HINT] {host}: {hint}" for host, hint in sorted(run.hints.items())] + [""]
    noted = [(o.host, n) for o in run.outcomes for n in o.notes]
    if noted:
        lines.append("== Notes ==")
        lines += [f"[NOTE] {host}: {n}" for host, n in noted]
        lines.append("")
    waived = [(o.host, o.message) for o in run.outcomes if o.status == "waived"]
    if waived:
        lines.append("== Waived ==")
        lines += [f"[WAIVED] {host}: {m}" for host, m in waived]
        lines.append("")
    warned = [(o.host, w) for o in run.outcomes for w in o.warnings]
    if warned:
        lines.append("== Warnings ==")
        lines += [f"[WARN] {host}: {w}" for host, w in warned]
        lines.append("")
    lines.append("== Summary ==")
    for h in run.hosts():
        version = f", etcd {h.etcd_version}" if h.etcd_version else ""
        deviations = f", {h.deviation} known deviations" if h.deviation else ""
        deviations += f", {h.waived} waived" if h.waived else ""
        user = f", as {run.users[h.name]}" if run.users.get(h.name) else ""
        lines.append(f"{h.name}: {h.verdict} ({h.passed} passed, {h.failed} failed, {h.skipped} skipped"
                     f"{deviations}{version}{user})")
    return lines
