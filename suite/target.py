"""The host under test: which member it should run, and getting it ready (lab, bootstrap or audit)."""

from __future__ import annotations

from concurrent.futures import Future

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from core.evidence import CheckFailure, PreconditionFailure, Result
from suite.evidence import gather
from core.answers import Answers
from checks.binaries import version_command
from checks.editions import probe as edition_probe, suggest as suggest_edition
from core.i18n import N_
from core.remote import Remote
from provision import certs as certs_mod
from suite.hosts import host_name
from core.version import version_in
from provision.binaries import Binaries, BinariesError, ensure
from provision.bootstrap import Action, Bootstrap, BootstrapError
from core import editions
from core.model import DNS_LABEL, Member, ModelError, load_settings

ROOT = Path(__file__).resolve().parent.parent
LAB, BOOTSTRAP, AUDIT = "lab", "bootstrap", "audit"


@dataclass
class Target:
    """A host, the member it should run, and how the suite treats it."""

    name: str
    remote: Remote
    member: Member
    mode: str
    binaries: Binaries | None = None
    certs: dict[str, Path] = field(default_factory=dict)
    expected_version: str | None = None
    actions: list[Action] = field(default_factory=list)
    found_version: str = ""  # what `etcd --version` says on the host after preparation
    hint: str = ""  # an edition that matches the host better than the one selected (audits without --edition)
    preflight: Result | None = None
    # checks whose every answer the host had given, by the remote's generation then (see :meth:`answers`)
    _settled: dict = field(default_factory=dict, repr=False, compare=False)

    def answers(self, checks: list) -> "Answers":
        """The host's answers to what ``checks`` declare, asked for where not gathered yet (what the first answers
        name is asked next, and what those name after)."""
        from checks.catalog import plan

        key = tuple(c.id for c in checks)
        if self._settled.get(key) == self.remote.generation:  # all asked, and nothing answered since
            return self._view()
        self.remote.ask(plan(self.member, checks))
        view = self._view()
        for _ in range(2):  # what the first answers name, then what those name: asked only if new
            asks = [a for a in plan(self.member, checks, view) if not view.has(a[0])]
            if not asks:
                self._settled[key] = self.remote.generation
                break
            self.remote.ask(asks)
            view = self._view()
        return view

    def _view(self):
        view = self.remote.answers(self.expected_version)
        view.name = self.name
        return view

    def judge(self, check_id: str) -> Result:
        """The declared check's verdict on this host, judged on its answers alone."""
        from checks.catalog import get

        check = get(check_id)
        if check.judge is None:
            raise ValueError(f"{check_id} is judged by the scenario that acts on the host")
        return check.judge(self.member, self.answers([check]))

    def bootstrap(self, progress=None, start: bool = True) -> list[Action]:
        assert self.binaries is not None
        return Bootstrap(self.remote, self.member, self.binaries, self.certs, progress).run(start=start)


def member_name(alias: str, remote: Remote) -> str:
    """The tutorial names the member after the host, as the host says (``hostname -s``, what the 2020
    edition's ``ETCD_NAME=$(hostname -s)`` does), whatever alias or address it was reached by."""
    said = remote.look("hostname -s").stdout.strip()
    if DNS_LABEL.match(said):
        return said
    label = alias.split(".")[0]
    try:
        ipaddress.ip_address(alias)
    except ValueError:
        if DNS_LABEL.match(label):
            return label
    return said or label


def run_preflight(remote: Remote, name: str, also: list[tuple[str, int | None]] | None = None) -> Result:
    """The declared check host.preflight (checks/catalog.py), its command asked anew: whether the host is ready is
    asked of it now, not remembered. ``also``: read-only commands asked in the same round (one round trip)."""
    from checks.catalog import get

    declared = get("host.preflight")
    (command, timeout), = declared.asks(None)
    if not also:
        return declared.judge(None, Answers({command: remote.run(command, timeout=timeout)}, name=name))
    remote.forget()
    remote.ask([(command, timeout), *also])
    return declared.judge(None, Answers({command: remote.look(command, timeout=timeout)}, name=name))


def preflight_or_fail(remote: Remote, name: str, also: list[tuple[str, int | None]] | None = None) -> Result:
    check = run_preflight(remote, name, also)
    if not check.ok:
        raise PreconditionFailure(check)
    return check


def _failure(what: str, found: str, fix: str) -> PreconditionFailure:
    return PreconditionFailure(Result(
        what=what, ok=False, expected=N_("the host is ready for the checks"), found=found, evidence=[], fix=fix))


class Targets:
    """Prepares the hosts once per session; a failed preparation fails every scenario of that host alike.

    The lab profile prepares each host on its own (one member each); the production profile prepares
    all hosts together, since the members of a new cluster must start together."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.ready: dict[str, Target | BaseException] = {}
        self.preflight_hosts: set[str] = set()  # hosts whose pre-flight test is in this session
        self.member_names: dict[str, str] = {}  # host → member name, when known from machines.txt
        self.addresses: dict[str, str] = {}  # host → address, when known from machines.txt
        self.hosts: dict[str, object] = {}  # host name → the testinfra host the tests use
        self.selected: set[str] = set()  # the hosts whose scenarios run in this process
        self.pending: dict[str, Future] = {}  # host → its preparation, under way in a thread
        self.tracebacks: dict[str, object] = {}  # host → where its preparation failed, as first raised

    def mode(self) -> str:
        return self.config.stash[MODE_KEY]

    @property
    def profile(self) -> str:
        return getattr(self.config.option, "profile", "lab")

    @property
    def edition(self) -> editions.Edition:
        return editions.selected(getattr(self.config.option, "edition", None), self.profile)

    def get(self, host, preflight_test: bool = False) -> Target:
        """The prepared target; if preparing it failed, its pre-flight test reports why, once, and the
        host's scenarios are skipped (they fail with the same line when no pre-flight test runs)."""
        __tracebackhide__ = True
        name = host_name(host)
        if name not in self.ready and name in self.pending:  # reached while pytest collected (prefetch)
            self.ready[name] = self._guarded(self.pending.pop(name).result)
        if name not in self.ready:
            if self.profile == "production":
                failed = self._guarded(self._prepare_cluster)  # None when it went through
                if isinstance(failed, BaseException):  # unforeseen: every member fails with it, once prepared
                    for n in self.hosts:
                        self.ready.setdefault(n, failed)
                        self.tracebacks.setdefault(n, failed.__traceback__)
            elif name in (together := self._together()):
                if name not in self.pending:
                    self._prepare_together(together)
                self.ready[name] = self._guarded(self.pending.pop(name).result)
            else:
                self.ready[name] = self._guarded(self._prepare, name, host)
        got = self.ready[name]
        if isinstance(got, BaseException):
            self.tracebacks.setdefault(name, got.__traceback__)
            if not preflight_test and name in self.preflight_hosts:
                pytest.skip(N_("{name} is not checked: it failed its pre-flight (test_preflight[{name}])").format(name=name))
            # raised as it was first raised: raising it again would add this frame to its traceback each time
            raise got.with_traceback(self.tracebacks.get(name))
        return got

    def prefetch(self) -> None:
        """An audit's hosts, reached while pytest is still starting and collecting: the pre-flight and the rounds
        of evidence are under way, or in, when the first scenario asks (a far host's connection and rounds overlap
        pytest's own second of start-up). Read-only, so only an audit in this process prefetches: not the lab or a
        bootstrap (which change hosts), not a production cluster (prepared as a whole), not pytest-xdist (whose
        workers are dealt their hosts at collection), not --collect-only. The testinfra hosts are those the tests
        get (testinfra caches them by the same arguments): one SSH connection per host still."""
        import testinfra

        opt = self.config.option
        if (self.mode() != AUDIT or self.profile == "production" or not opt.hosts or opt.collectonly
                or getattr(opt, "numprocesses", None) or hasattr(self.config, "workerinput")):
            return
        from suite.early import host_arguments

        hosts = testinfra.get_hosts(opt.hosts.split(","), **host_arguments(opt))
        for host in hosts:
            self.hosts.setdefault(host_name(host), host)
            try:  # ssh -G here, one host after another: the threads below start no process while pytest collects
                host.backend.settings()
            except Exception:  # noqa: BLE001 - the host's preparation meets it again and reports it
                pass
        self._prepare_together(set(self.hosts))

    def _together(self) -> set[str]:
        """The hosts this process audits or bootstraps, when several: prepared (pre-flight, and the step with
        --bootstrap), and their evidence gathered, at once.
        A pytest-xdist worker takes the hosts it was dealt (suite/scheduling.py)."""
        if self.mode() == LAB:  # the lab resets its hosts one by one
            return set()
        if hasattr(self.config, "workerinput"):
            from suite.scheduling import queued_hosts

            hosts = queued_hosts(self.config)
        else:
            hosts = set(self.selected)
        return hosts if len(hosts) > 1 else set()

    def _prepare_together(self, hosts: set[str]) -> None:
        """Prepare the hosts in threads (8 at a time), in the order their scenarios run; each host's
        scenarios start as soon as that host is ready (see :meth:`get`), while the later hosts are still being
        prepared."""
        from concurrent.futures import ThreadPoolExecutor

        from suite.evidence import MAX_THREADS

        names = [n for n in self.hosts if n in hosts and n not in self.ready and n not in self.pending]
        pool = ThreadPoolExecutor(max_workers=min(MAX_THREADS, len(names)))
        # an interrupted run does not wait for hosts whose preparation has not begun
        self.config.add_cleanup(lambda: pool.shutdown(wait=True, cancel_futures=True))
        for name in names:
            self.pending[name] = pool.submit(self._guarded, self._prepare, name, self.hosts[name])

    def peers(self, target: Target) -> list[Target]:
        """The other prepared members of the target's cluster."""
        return [t for n, t in self.ready.items() if n != target.name and isinstance(t, Target)]

    @staticmethod
    def _guarded(fn, *args):
        """What ``fn`` returns, or the exception it raised: a host's preparation is tried once, whatever happened
        (an unexpected error too: trying again for each of its scenarios would reset or reconnect the host each
        time, and a class of 30 would take many minutes to report one bug)."""
        try:
            return fn(*args)
        except (CheckFailure, BootstrapError) as exc:
            return exc
        except Exception as exc:  # noqa: BLE001 - reported by each scenario of the host, as raised
            return exc

    def _reset_lab(self, names: list[str]) -> None:
        from provision.lab import Lab, LabError

        try:
            Lab().reset(names)  # a fresh host every run: no leftovers from earlier runs
        except LabError as exc:
            raise _failure(N_("lab host {items}").format(items=', '.join(names)), str(exc), f"python -m provision.lab up {' '.join(names)}") from None

    def _reach(self, name: str) -> tuple[Remote, Result, str]:
        """The pre-flight (the declared check host.preflight, asked anew), then the member's name as the host says."""
        remote = Remote(self.hosts[name])
        check = preflight_or_fail(remote, name, [("hostname -s", None), *self._first_round()])
        return remote, check, self.member_names.get(name) or member_name(name, remote)

    def _first_round(self) -> list[tuple[str, int | None]]:
        """An audit's first round of evidence, asked with the pre-flight: the quick commands the gathering asks
        first, planned for a member of any name (a single member's plan does not depend on it; what differs, the
        gathering asks)."""
        from suite.evidence import first_round

        if self.mode() != AUDIT or self.profile == "production":
            return []
        opt = self.config.option
        try:
            member = editions.member(self.edition, load_settings(opt.etcd_config, opt.etcd_set), name="server",
                                     cluster=None)
        except Exception:  # noqa: BLE001 - an edition that needs its cluster: the gathering plans it
            return []
        return first_round(member, self.profile, [edition_probe(member)])

    def _member(self, name: str, reached: tuple[Remote, Result, str], cluster: dict[str, str] | None) -> Target:
        """The member the host should run, in the run's edition with its settings (a cluster's: its addresses)."""
        opt = self.config.option
        remote, check, member_of = reached
        try:
            settings = load_settings(opt.etcd_config, opt.etcd_set)
            member = editions.member(self.edition, settings, name=member_of, cluster=cluster)
        except ModelError as exc:
            raise _failure("the desired state", str(exc), "fix --etcd-config / --etcd-set") from None
        return Target(name, remote, member, self.mode(), expected_version=opt.etcd_version, preflight=check)

    def _inputs(self, target: Target, certs: dict[str, Path] | None = None) -> None:
        opt = self.config.option
        try:
            target.binaries = ensure(opt.etcd_source, Path(opt.etcd_binaries) if opt.etcd_binaries else None)
            target.certs = certs or certs_mod.ensure(target.member, Path(opt.certs_dir) if opt.certs_dir else None)
            target.expected_version = target.expected_version or target.binaries.version()
        except (BinariesError, certs_mod.CertsError) as exc:
            raise _failure("the step's inputs", str(exc), "make setup") from None

    def _found_version(self, target: Target) -> None:
        """What ``etcd --version`` says on the host (and, auditing without --edition, the edition it matches)."""
        if self.mode() == AUDIT and not getattr(self.config.option, "edition", None):
            try:
                target.hint = suggest_edition(target.remote, target.member, self.edition)
            except CheckFailure:
                target.hint = ""
        ev = target.remote.look(version_command(target.member, "etcd"))
        target.found_version = version_in(ev.stdout)

    def _prepare(self, name: str, host) -> Target | BaseException:
        """One host through the pipeline (its outcome: the target, or why it could not be prepared)."""
        self.hosts.setdefault(name, host)
        return self._pipeline([name], cluster=False)[name]

    def _pipeline(self, names: list[str], cluster: bool) -> dict[str, Target | BaseException]:
        """Prepare hosts, stage by stage: the lab's reset, the pre-flight and the member's name, the member it
        should run, the step carried out (lab, --bootstrap), a cluster's start (its members together), the
        evidence gathered ahead of the scenarios, the version found. A host whose stage fails keeps that failure
        as its outcome and goes no further; the others go on. A cluster is a variant: its members' names and
        addresses make its initial cluster, and they start together."""
        out: dict[str, Target | BaseException] = {}

        def live() -> list[str]:
            return [n for n in names if n not in out]

        def each(stage, *args) -> dict[str, object]:
            """``stage(name, *args)`` on every host still going, at once when several."""
            from concurrent.futures import ThreadPoolExecutor

            from suite.evidence import MAX_THREADS

            going = live()
            if len(going) > 1:
                with ThreadPoolExecutor(max_workers=min(MAX_THREADS, len(going))) as pool:
                    got = dict(zip(going, pool.map(lambda n: self._guarded(stage, n, *args), going)))
            else:
                got = {n: self._guarded(stage, n, *args) for n in going}
            out.update({n: g for n, g in got.items() if isinstance(g, BaseException)})
            return {n: g for n, g in got.items() if not isinstance(g, BaseException)}

        if self.mode() == LAB:
            reset = self._guarded(self._reset_lab, names)
            if isinstance(reset, BaseException):
                return {n: reset for n in names}
        reached = each(self._reach)
        by_host: dict[str, str] = {}
        addresses: dict[str, str] | None = None  # a cluster's members: {member name: address}
        if cluster:
            found = self._guarded(self.cluster_addresses)
            if isinstance(found, BaseException):
                return {**{n: found for n in live()}, **out}
            by_host = found
            # each member is named after its host, as the host says (one that could not be reached: by its name)
            addresses = {(reached[n][2] if n in reached else self.member_names.get(n, n)): a
                         for n, a in by_host.items()}
        targets = each(lambda n: self._member(n, reached[n], addresses))
        if self.mode() in (LAB, BOOTSTRAP):
            def carry_out(n: str) -> None:
                t = targets[n]
                self._inputs(t, certs_mod.ensure_cluster(t.member, by_host[n], self.edition, addresses)
                             if cluster else None)
                t.actions = t.bootstrap(start=not cluster)
            each(carry_out)
            if cluster:
                started = [targets[n] for n in live()]
                out.update({t.name: exc for t, exc in start_together(started).items()})
        if cluster or self.mode() != LAB:  # the evidence of every check, ahead of the scenarios (the lab's act)
            # what the host's version and files say is asked in the same sessions as the checks' evidence
            each(lambda n: gather(targets[n].remote, targets[n].member, self.profile,
                                  also=[edition_probe(targets[n].member)]))
        each(lambda n: self._found_version(targets[n]))
        out.update({n: targets[n] for n in live()})
        return out

    def cluster_addresses(self) -> dict[str, str]:
        """{host name: address} of the production cluster: machines.txt, else the SSH config's HostName."""
        from core.sshconf import SSHConfigError, resolve

        out = {}
        config_path = self.config.option.ssh_config
        for name in self.hosts:
            try:
                addr = self.addresses.get(name) or resolve(name, config_path).hostname
            except SSHConfigError as exc:
                raise _failure("the production cluster", str(exc), "correct the SSH config (ssh -G shows it)") from None
            try:
                ipaddress.ip_address(addr)
            except ValueError:
                raise _failure("the production cluster", N_("no address known for {name}").format(name=name),
                               "give the hosts with --machines, or a HostName in the SSH config") from None
            out[name] = addr
        return out

    def _prepare_cluster(self) -> None:
        """The production profile's hosts, as one cluster."""
        self.ready.update(self._pipeline(sorted(self.hosts), cluster=True))


def start_together(targets: list[Target], timeout: float = 90) -> dict[Target, BaseException]:
    """:func:`provision.bootstrap.start_together` on the targets: restarted where the bootstrap changed the
    unit or a binary."""
    from provision.bootstrap import needs_restart, start_together as start

    failures = start([(t.remote, t.member, needs_restart(t.actions)) for t in targets], timeout)
    return {targets[i]: exc for i, exc in failures.items()}


MODE_KEY = pytest.StashKey[str]()
TARGETS_KEY = pytest.StashKey[Targets]()


@pytest.fixture
def etcd_target(request: pytest.FixtureRequest, host) -> Target:
    """The prepared target for this test's host."""
    return request.config.stash[TARGETS_KEY].get(host)


@pytest.fixture
def preflight_target(request: pytest.FixtureRequest, host) -> Target:
    return request.config.stash[TARGETS_KEY].get(host, preflight_test=True)
