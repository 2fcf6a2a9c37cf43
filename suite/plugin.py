"""The suite's pytest plugin: options, targets (lab, bootstrap, audit), collection, reports' start."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from core import ssh
from provision.targets import TargetError, check_hosts, check_ssh_config, hostspecs, parse_machines, select
from core import editions
from core.i18n import N_
from core.model import ModelError, load_settings
from suite import steplookup
from suite.early import runs_features
from suite.plan import PLAN_KEY, WORKER_INPUT, RunPlan, handed_down
from suite.hosts import host_name, item_host, item_host_name
from suite.target import AUDIT, BOOTSTRAP, LAB, MODE_KEY, TARGETS_KEY, Targets

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports"
LAB_SSH_CONFIG = ROOT / ".lab" / "ssh_config"
REPORT_OPTIONS_KEY = pytest.StashKey[dict]()  # what the run checks, for the report

# scenarios that change the host: never run while auditing unless asked for
CHANGING = {"bootstrap": N_("carries out the step again"), "writes": N_("writes to etcd"),
            "disruptive": N_("stops or kills etcd")}


def _runs_features(config: pytest.Config) -> bool:
    return runs_features(Path(config.invocation_params.dir), config.args)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    # with -n, keep each host on one worker (one SSH connection per host): xdist_group markers below
    if getattr(config.option, "numprocesses", None) and getattr(config.option, "dist", "no") == "no":
        config.option.dist = "loadgroup"


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """With --dist loadgroup (the default chosen above), each host's scenarios go to one worker."""
    if config.getvalue("dist") != "loadgroup" or not _runs_features(config):
        return None  # another run (the project's own tests) keeps pytest-xdist's own scheduling
    from suite.scheduling import make_scheduler

    return make_scheduler(config, log)


def _targets_from_machines(config: pytest.Config) -> tuple[dict[str, str], dict[str, str]]:
    """--machines FILE [--member ...] → sets --hosts; ({host name: member name}, {host name: address})."""
    opt = config.option
    if opt.hosts:
        raise pytest.UsageError("--machines and --hosts both name the targets: give one of them")
    try:
        text = Path(opt.machines).read_text()
        machines = select(parse_machines(text, opt.machines), [m for m in (opt.member or "").split(",") if m])
    except OSError as exc:
        raise pytest.UsageError(f"--machines {opt.machines}: {exc.strerror}") from None
    except TargetError as exc:
        raise pytest.UsageError(f"--machines: {exc}") from None
    specs = hostspecs(machines, opt.ssh_config)
    opt.hosts = ",".join(specs)
    addresses = {spec.split("@")[-1]: m.ip for spec, m in zip(specs, machines)}
    return {spec.split("@")[-1]: member for spec, member in specs.items()}, addresses


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    ssh.install()
    steplookup.install()
    opt = config.option
    try:
        edition = editions.selected(opt.edition, opt.profile)
    except ModelError as exc:
        raise pytest.UsageError(str(exc)) from None
    opt.profile = edition.profile
    plan = handed_down(config)  # decided once, on the controller: a worker takes its plan
    if plan is None:
        names: dict[str, str] = {}
        addresses: dict[str, str] = {}
        try:
            check_ssh_config(opt.ssh_config)
        except TargetError as exc:
            raise pytest.UsageError(str(exc)) from None
        if opt.machines:
            names, addresses = _targets_from_machines(config)
        if getattr(opt, "ansible_inventory", None):
            # the inventory's hosts, reached over the suite's own SSH backend (an SSH config made from it)
            from suite.inventory import InventoryError, to_ssh_config

            try:
                hosts, opt.ssh_config = to_ssh_config(opt.ansible_inventory, opt.hosts, opt.ssh_config)
            except InventoryError as exc:
                raise pytest.UsageError(f"--ansible-inventory: {exc}") from None
            made = Path(opt.ssh_config)
            config.add_cleanup(lambda: made.unlink(missing_ok=True))  # the run's own file, gone when it ends
            opt.hosts, opt.ansible_inventory = ",".join(hosts), None
        if opt.hosts is not None:
            try:
                opt.hosts = ",".join(check_hosts(opt.hosts))
            except TargetError as exc:
                raise pytest.UsageError(f"--hosts: {exc}") from None
        if opt.hosts is None:
            mode = LAB
            if _runs_features(config):
                opt.hosts = ",".join(edition.lab_hosts)
                opt.ssh_config = opt.ssh_config or str(LAB_SSH_CONFIG)
        else:
            mode = BOOTSTRAP if opt.bootstrap else AUDIT
        plan = RunPlan(mode, edition.name, edition.profile, opt.hosts, opt.ssh_config, names, addresses)
    config.stash[PLAN_KEY] = plan
    if opt.waivers:  # every process reads them (a worker judges its hosts' checks)
        from checks.catalog import ALIASES, CHECKS
        from suite.checkstep import WAIVERS_KEY
        from suite.waivers import WaiverError, load

        try:
            loaded = load(opt.waivers, set(CHECKS) | set(ALIASES))
        except WaiverError as exc:
            raise pytest.UsageError(str(exc)) from None
        config.stash[WAIVERS_KEY] = [w if w.check not in ALIASES else type(w)(ALIASES[w.check], w.justification,
                                                                              w.hosts, w.expires) for w in loaded]
    mode = plan.mode
    try:  # bad input: one line before anything runs (the member's name comes from each host later)
        editions.member(edition, load_settings(opt.etcd_config, opt.etcd_set), name="etcd-0",
                        cluster={"etcd-0": "10.0.0.1"})
    except ModelError as exc:
        raise pytest.UsageError(f"desired state: {exc}") from None
    for path, flag in ((opt.etcd_binaries, "--etcd-binaries"), (opt.certs_dir, "--certs-dir")):
        if path and not Path(path).is_dir():
            raise pytest.UsageError(f"{flag} {path}: no such directory")
    config.stash[MODE_KEY] = mode
    config.stash[TARGETS_KEY] = Targets(config)
    config.stash[TARGETS_KEY].member_names = dict(plan.member_names)
    config.stash[TARGETS_KEY].addresses = dict(plan.addresses)
    if _runs_features(config):
        REPORTS.mkdir(exist_ok=True)
        if getattr(opt, "xmlpath", None) is None:
            opt.xmlpath = str(REPORTS / "junit.xml")
        if hasattr(opt, "htmlpath") and opt.htmlpath is None:
            opt.htmlpath = str(REPORTS / "report.html")
            opt.self_contained_html = True
        if hasattr(opt, "cucumber_json_path") and opt.cucumber_json_path is None:
            opt.cucumber_json_path = str(REPORTS / "cucumber.json")
        options = {  # the keys are words of the report too
            N_("edition"): f"{edition.name}: {edition.title}",
            N_("profile"): N_("lab (the tutorial's single member over HTTP)") if opt.profile == "lab"
            else N_("production (3 members over TLS with certificate authentication)"),
            N_("target"): ({LAB: N_("local lab ({hosts})")}.get(mode) or N_("given hosts ({hosts})")).format(
                hosts=opt.hosts),
            N_("step"): N_("carried out by the suite") if mode in (LAB, BOOTSTRAP)
            else N_("audited as found (nothing changed)"),
        }
        if opt.etcd_set:
            options[N_("settings")] = " ".join(opt.etcd_set)
        if mode != AUDIT:
            options[N_("binaries")] = opt.etcd_binaries or f"downloads/ ({opt.etcd_source})"
        config.stash[REPORT_OPTIONS_KEY] = options  # the report (reporting/) starts from them
        config.stash[TARGETS_KEY].prefetch()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """pytest-xdist starts a worker: it gets the controller's plan, as data."""
    plan = node.config.stash.get(PLAN_KEY, None)
    if plan is not None:
        node.workerinput[WORKER_INPUT] = plan.to_dict()


def select_checks(items: list[pytest.Item], patterns: list[str]) -> tuple[list, list]:
    """(kept, dropped): items whose scenario runs a check matching one of the patterns, and the others.
    The host's pre-flight is always kept: without it no check of the host runs."""
    import fnmatch

    from checks import catalog
    from suite.checkstep import CHECK_IDS_KEY

    patterns = [catalog.resolve(p) for p in patterns]
    unknown = [p for p in patterns if not fnmatch.filter(catalog.CHECKS, p)]
    if unknown:
        raise pytest.UsageError(f"--check: no check matches {', '.join(unknown)} (ids: python -m checks list)")
    keep, drop = [], []
    for item in items:
        ids = item.stash.get(CHECK_IDS_KEY, [])
        hit = "host.preflight" in ids or any(fnmatch.fnmatchcase(i, p) for i in ids for p in patterns)
        (keep if hit else drop).append(item)
    return keep, drop


def pytest_report_header(config: pytest.Config) -> str:
    mode = config.stash[MODE_KEY]
    hosts = getattr(config.option, "hosts", None) or "-"
    return f"etcd step: mode {mode} (hosts {hosts})"


def pytest_collection_finish(session: pytest.Session) -> None:
    """The hosts whose scenarios run in this process (after -k, -m and the like)."""
    if TARGETS_KEY not in session.config.stash:
        return
    targets = session.config.stash[TARGETS_KEY]
    for item in session.items:
        name = item_host_name(item)
        if name is not None:
            targets.selected.add(name)
    # what exists now (modules, the collected items) lives as long as the run: the garbage collector need not
    # walk it again in each full collection (it shows in a class's audit: bench/classroom.py)
    gc.freeze()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from suite.checkstep import CHECK_IDS_KEY, scenario_checks

    mode = config.stash[MODE_KEY]
    targets = config.stash[TARGETS_KEY]
    for item in items:
        ids = scenario_checks(item)
        item.stash[CHECK_IDS_KEY] = ids
        item.user_properties += [("check_id", cid) for cid in ids]
    wanted = [p for value in config.option.etcd_checks for p in value.split(",") if p]
    if wanted:
        keep, drop = select_checks(items, wanted)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
    for item in items:
        host = item_host(item)
        if host is not None:
            name = host_name(host)
            targets.hosts.setdefault(name, host)
            # a production cluster is prepared as a whole: all its hosts on one worker
            item.add_marker(pytest.mark.xdist_group("cluster" if config.option.profile == "production" else name))
            if item.originalname == "test_preflight":
                targets.preflight_hosts.add(name)
        if config.option.profile != "production" and item.get_closest_marker("production"):
            item.add_marker(pytest.mark.skip(reason=N_("production profile only (--profile production)")))
        elif mode == AUDIT and item.get_closest_marker("bootstrap"):
            item.add_marker(pytest.mark.skip(reason=N_("auditing: the step is not carried out (use --bootstrap)")))
        elif mode == AUDIT and not config.option.disruptive:
            for marker, why in CHANGING.items():
                if marker != "bootstrap" and item.get_closest_marker(marker):
                    item.add_marker(pytest.mark.skip(reason=N_(
                        "auditing changes nothing: this scenario {why} (use --disruptive)").format(why=why)))
                    break

