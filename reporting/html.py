"""Render a Run into one self-contained HTML page (inline CSS, no script, nothing loaded from elsewhere;
printed, every detail shows)."""

from __future__ import annotations

from pathlib import Path

import jinja2

from checks.catalog import CHECKS
from core.files import atomic_write
from core.i18n import N_, translator
from reporting.model import Run, link_label

TEMPLATES = Path(__file__).with_name("templates")


class _QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
    """jinja2's cache of compiled templates, except that a cache that cannot be written (a full or read-only
    temporary directory) only means compiling again, never a report not written."""

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """The templates compiled once per user and version of them (in a directory of this user's own in the
    temporary directory): compiling the report's templates took about a tenth of a second of every run."""
    try:
        return _QuietBytecodeCache()
    except (OSError, RuntimeError):  # no private directory to be had: compiled each time
        return None


def environment(run: Run) -> jinja2.Environment:
    """The templates' environment in the run's language: ``_("label {x}", x=...)`` for the suite's own words,
    ``|tr`` for a message (a check's what, expected, found), ``|fixtr`` for a fix (its comments)."""
    tr = translator(run.lang)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, bytecode_cache=_bytecode_cache(),
    )
    env.globals.update(_=tr.gettext, lang=run.lang, link_label=lambda url: tr(link_label(url)),
                       requirement=lambda cid: CHECKS[cid].requirement if cid in CHECKS else "")
    env.filters.update(tr=tr, fixtr=tr.comment)
    return env


def render(run: Run) -> str:
    return environment(run).get_template("index.html.j2").render(run=run)


def write(run: Run, path: Path) -> Path:
    atomic_write(path, render(run), 0o644)
    return path


def terminal_summary(run: Run) -> list[str]:
    """kube-bench style: counts per host, then the fixes for failed checks only. In the run's language, but for
    the tokens scripts read: ``[FAIL]``, ``run again:`` and the per-host summary line."""
    tr = translator(run.lang)
    lines = []
    if run.failures():
        lines.append(tr.gettext(N_("== Remediations (in the tutorial's order) ==")))
        for h in run.hosts():
            for group in run.fix_groups(h.name):
                o = group[0]
                if o.check or o.precondition:
                    lines.append(f"[FAIL] {o.host}: " + "; ".join(tr(g.headline) for g in group))
                    lines += [f"       {ln}" for ln in tr.comment(o.fix).splitlines()] if o.check else []
                else:
                    lines.append(f"[FAIL] {o.host}: " + tr.gettext(N_("{scenario} (unexpected error, see the report)"),
                                                                     scenario=tr(o.scenario)))
            again = run.rerun_command(h.name)
            if again:
                lines.append(f"       run again: {again}")
        lines.append("")
    if run.hints:
        lines += [f"[HINT] {host}: {tr(hint)}" for host, hint in sorted(run.hints.items())] + [""]
    noted = [(o.host, n) for o in run.outcomes for n in o.notes]
    if noted:
        lines.append(tr.gettext(N_("== Notes ==")))
        lines += [f"[NOTE] {host}: {tr(n)}" for host, n in noted]
        lines.append("")
    waived = [(o.host, o.message) for o in run.outcomes if o.status == "waived"]
    if waived:
        lines.append(tr.gettext(N_("== Waived ==")))
        lines += [f"[WAIVED] {host}: {tr(m)}" for host, m in waived]
        lines.append("")
    warned = [(o.host, w) for o in run.outcomes for w in o.warnings]
    if warned:
        lines.append(tr.gettext(N_("== Warnings ==")))
        lines += [f"[WARN] {host}: {tr(w)}" for host, w in warned]
        lines.append("")
    lines.append(tr.gettext(N_("== Summary ==")))
    for h in run.hosts():
        version = f", etcd {h.etcd_version}" if h.etcd_version else ""
        deviations = f", {h.deviation} known deviations" if h.deviation else ""
        deviations += f", {h.waived} waived" if h.waived else ""
        user = f", as {run.users[h.name]}" if run.users.get(h.name) else ""
        lines.append(f"{h.name}: {h.verdict} ({h.passed} passed, {h.failed} failed, {h.skipped} skipped"
                     f"{deviations}{version}{user})")
    return lines
