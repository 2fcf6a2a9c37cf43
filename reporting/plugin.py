"""pytest hooks: the one failure format in pytest's output, the student report and the terminal summary."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from _pytest._code.code import ReprFileLocation, TerminalRepr

from core.evidence import CheckFailure, PreconditionFailure
from core.i18n import LANGUAGES, N_, language, translator
from provision import __version__
from pytest_bdd.reporting import ReportContext, test_report_context_registry
from provision.bootstrap import BootstrapError
from reporting import board, html, results
from suite.checkstep import CHECK_IDS_KEY, DEVIATION_KEY, NOTE_KEY, WAIVED_KEY, WARNING_KEY
from suite.hosts import item_host_name
from suite.plugin import REPORT_OPTIONS_KEY
from reporting.model import Run, outcome_from_report
from suite.records import check_dict, host_record, scenario_record

ROOT = Path(__file__).resolve().parent.parent
RUN_KEY = pytest.StashKey[Run]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("etcd step")
    group.addoption(
        "--etcd-json", default=str(ROOT / "reports" / "results.json"), metavar="PATH",
        help="where the results go as JSON, per host and check id (default reports/results.json; schema: "
             "reporting/results.schema.json)",
    )
    group.addoption(
        "--lang", choices=LANGUAGES, default=None,
        help="the language of the report, the class board and the terminal summary: en or ko (default: the "
             "locale's, LANG=ko_KR.UTF-8 → ko, else en); ids, commands and the summary lines stay as they are",
    )
    group.addoption(
        "--etcd-report", default=str(ROOT / "reports" / "index.html"), metavar="PATH",
        help="where the student report goes (default reports/index.html)",
    )


def start(config: pytest.Config, options: dict[str, str]) -> None:
    """A report of this run will be written (the suite runs features)."""
    run = Run(__version__, options, datetime.datetime.now().astimezone())
    run.lang = language(config.getoption("lang", None))
    from suite.plan import PLAN_KEY

    plan = config.stash.get(PLAN_KEY, None)
    run.rerun = rerun_template(list(config.invocation_params.args), lab=plan is not None and plan.mode == "lab")
    run.host_specs = host_specs(config.option.hosts or "")
    if plan is not None:
        run.plan_info = {"mode": plan.mode, "edition": plan.edition, "profile": plan.profile}
    config.stash[RUN_KEY] = run


# options of a run that choose its targets, its selection or where its reports go: a re-run sets its own
DROPPED = {"--hosts", "--machines", "--member", "--check", "--junitxml", "--junit-xml", "--html", "--cucumberjson",
           "--cucumber-json", "--etcd-report", "--etcd-json", "-n", "--numprocesses", "-k", "-m", "--ansible-inventory",
           "--self-contained-html", "-p"}
FLAGS_WITHOUT_VALUE = {"--self-contained-html"}
KEPT_WITH_VALUE = {"--ssh-config", "--ssh-identity-file", "--edition", "--profile", "--etcd-set", "--etcd-config",
                   "--etcd-binaries", "--etcd-source", "--certs-dir", "--etcd-version", "--etcd-boot-timeout",
                   "--sudo-user", "--connection", "--lang", "--waivers"}


def host_specs(hosts: str) -> dict[str, str]:
    """{host name: the spec the run was given}: a re-run logs in as the same user on the same port."""
    out = {}
    for spec in filter(None, (s.strip() for s in hosts.split(","))):
        name = spec.rpartition("@")[2]
        if name.startswith("["):
            name = name[1:].partition("]")[0]
        elif name.count(":") == 1:
            name = name.partition(":")[0]
        out[name] = spec
    return out


def rerun_template(args: list[str], lab: bool = False) -> str:
    """This run's command for one host and the checks that failed there: ``{hosts}`` and ``{checks}`` are
    filled in per host. A lab run re-runs in the lab (the host is reset and the step carried out again)."""
    import shlex

    kept: list[str] = []
    skip = take = False
    for arg in args:
        if skip or take:
            if take:
                kept.append(arg)
            skip = take = False
            continue
        name = arg.split("=", 1)[0]
        if name in DROPPED:
            skip = "=" not in arg and name not in FLAGS_WITHOUT_VALUE
            continue
        if not arg.startswith("-") or arg in ("-q", "-v", "-x", "-s"):
            continue  # paths, and pytest's own verbosity
        kept.append(arg)
        take = name in KEPT_WITH_VALUE and "=" not in arg
    pytest_cmd = ".venv/bin/pytest" if (ROOT / ".venv/bin/pytest").exists() else "pytest"
    target = [] if lab else ["--hosts={hosts}"]
    return " ".join([pytest_cmd, "features/", *target, *(shlex.quote(a) for a in kept), "--check={checks}"])


@pytest.hookimpl(tryfirst=True, specname="pytest_runtest_makereport")
def pytest_runtest_makereport_without_traceback(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport | None:
    """A check's failure or a known deviation is reported in the suite's own words, so pytest's traceback of
    the step machinery, which is costly to format (tens of ms per failure), is never built for it."""
    exc = call.excinfo.value if call.excinfo else None
    if not isinstance(exc, (CheckFailure, PreconditionFailure, BootstrapError)):
        return None
    sections = [(f"Captured {key} {when}", content) for when, key, content in item._report_sections]
    return pytest.TestReport(
        getattr(item, "id", item.nodeid), item.location, dict.fromkeys(item.keywords, 1), "failed", str(exc), call.when, sections,
        call.duration, call.start, call.stop, user_properties=item.user_properties,
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: pytest-bdd's wrapper has recorded the scenario
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """The scenario's record and its host's (suite/records.py): plain data that travels with the report through
    pytest-xdist, and all the report, the summary and the JUnit properties are written from."""
    report = yield
    if RUN_KEY not in item.config.stash:
        return report
    context = test_report_context_registry.get(report)
    wanted = call.when == "call" or (call.when == "setup" and (report.failed or report.skipped))
    ids = item.stash.get(CHECK_IDS_KEY, [])
    scenario = None
    if context is not None and wanted:
        context.scenario["tags"] = sorted(set(context.scenario.get("tags", [])) | {f"check:{i}" for i in ids})
        scenario = context.scenario
    warnings = item.stash.get(WARNING_KEY, []) if call.when == "call" else []
    if warnings:
        item.user_properties += [("warning", f"{cid}: {text}") for cid, text in warnings]
    found_deviations = item.stash.get(DEVIATION_KEY, []) if call.when == "call" and report.passed else []
    if found_deviations:  # JUnit XML takes a test case's properties from its item at teardown
        item.user_properties += [("known_deviation", f"{cid}: {reason}") for cid, reason, _ in found_deviations]
    found_waived = item.stash.get(WAIVED_KEY, []) if call.when == "call" and report.passed else []
    if found_waived:
        item.user_properties += [("waived", f"{cid}: {why}") for cid, why, _ in found_waived]
    host = item_host_name(item) or "local"
    record = report.etcd_record = scenario_record(item, host, scenario, ids, found_deviations, warnings)
    record["waived"] = [list(w) for w in found_waived]
    record["notes"] = [list(n) for n in item.stash.get(NOTE_KEY, [])] if call.when == "call" else []
    if record["notes"]:
        item.user_properties += [("note", f"{cid}: {text}") for cid, text in record["notes"]]
    record["ran"] = scenario is not None  # pytest-bdd described it (its cucumber JSON needs that description)
    report.etcd_host_record = host_record(item.config, host)
    exc = call.excinfo.value if call.excinfo else None
    failed_id = getattr(exc, "check_id", "")
    if not failed_id and isinstance(exc, (CheckFailure, PreconditionFailure)) and ids:
        failed_id = ids[-1]  # a step that prepares the check failed (e.g. listing the members): the check failed
    if failed_id:
        item.user_properties.append(("failed_check", failed_id))
    record["failed_check"] = failed_id
    record["status"] = ("waived" if found_waived else "deviation" if found_deviations else report.outcome) if (
        report.outcome in ("passed", "failed", "skipped")) else "failed"
    tag = f"[{failed_id}] " if failed_id else ""
    if isinstance(exc, PreconditionFailure):
        record["precondition"] = exc.line()
        _set_failure(report, item, f"precondition failed: {tag}{exc.line()}", "")
    elif isinstance(exc, CheckFailure):
        record["check"] = check_dict(exc.result, failed_id)
        _set_failure(report, item, f"check failed: {tag}{exc.result.what}", exc.result.render())
    elif isinstance(exc, BootstrapError):
        record["precondition"] = f"the step could not be carried out: {exc}".splitlines()[0]
        first, *rest = str(exc).splitlines() or [""]
        _set_failure(report, item, f"bootstrap failed: {first}", "\n".join(rest))
    return report


class SuiteFailure(TerminalRepr):
    """A failure in the suite's own format: one headline (pytest's short summary, JUnit's message), then details.

    The headline is the same whatever the environment: pytest prints a failure's whole text in its short
    summary when it runs on CI, and only the first line of a plain string elsewhere.
    """

    def __init__(self, headline: str, details: str, path: str, lineno: int) -> None:
        self.headline = headline
        self.details = details
        self.reprcrash = ReprFileLocation(path, lineno, headline)

    def toterminal(self, tw) -> None:
        tw.line(self.headline)
        for line in self.details.splitlines():
            tw.line(line)


def _location(report: pytest.TestReport, item: pytest.Item) -> tuple[str, int]:
    """Where the failure is: the failed Gherkin step in its feature file, else the test function."""
    record = getattr(report, "etcd_record", None) or {}
    scenario = record.get("scenario") if record.get("ran") else None
    if scenario:
        filename = Path(scenario["feature"]["filename"])
        try:
            filename = filename.relative_to(item.config.rootpath)
        except ValueError:
            pass
        failed = [step["line_number"] for step in scenario.get("steps", []) if step.get("failed")]
        return str(filename), failed[0] if failed else scenario["line_number"]
    path, lineno, _ = item.location
    return path, (lineno or 0) + 1


def _set_failure(report: pytest.TestReport, item: pytest.Item, headline: str, details: str) -> None:
    path, lineno = _location(report, item)
    report.etcd_record["failure"] = [headline, details, path, lineno]
    report.longrepr = SuiteFailure(headline, details, path, lineno)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    record = getattr(report, "etcd_record", None)
    if record is None:
        return
    failure = record.get("failure")
    if failure and not isinstance(report.longrepr, SuiteFailure):  # a report that came from an xdist worker
        report.longrepr = SuiteFailure(*failure)
    if record.get("ran") and report not in test_report_context_registry:  # from a worker: pytest-bdd's cucumber JSON
        test_report_context_registry[report] = ReportContext(scenario=record["scenario"],
                                                             name=report.nodeid.split("::")[-1])
    config = getattr(pytest_runtest_logreport, "config", None)
    if config is None or RUN_KEY not in config.stash:
        return
    run = config.stash[RUN_KEY]
    if report.when == "call" or (report.when == "setup" and (report.failed or report.skipped)):
        run.outcomes.append(outcome_from_report(report))
    gateway = getattr(getattr(getattr(report, "node", None), "gateway", None), "id", "main")
    run.add_host(getattr(report, "etcd_host_record", None) or {}, gateway)


def pytest_configure(config: pytest.Config) -> None:
    pytest_runtest_logreport.config = config  # logreport has no config argument
    if REPORT_OPTIONS_KEY in config.stash:  # the suite runs features: a report will be written
        start(config, config.stash[REPORT_OPTIONS_KEY])


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if RUN_KEY not in config.stash or hasattr(config, "workerinput"):
        return
    run = config.stash[RUN_KEY]
    run.finished = datetime.datetime.now().astimezone()
    if run.outcomes:
        report = Path(config.option.etcd_report)
        html.write(run, report)
        results.write(run, Path(config.option.etcd_json))
        board.write(run, report.with_name("class.html"), report.name)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if RUN_KEY not in config.stash or not config.stash[RUN_KEY].outcomes:
        return
    terminalreporter.section("etcd step")
    for line in html.terminal_summary(config.stash[RUN_KEY]):
        terminalreporter.write_line(line)
    run = config.stash[RUN_KEY]
    tr = translator(run.lang)
    if any(run.connections.values()):
        per_host = ", ".join(f"{h}: {n}" for h, n in sorted(run.connections.items()) if n)
        terminalreporter.write_line(tr.gettext(N_("SSH connections opened: {hosts}"), hosts=per_host))
    terminalreporter.write_line(tr.gettext(N_("student report: {path}"), path=config.option.etcd_report))
