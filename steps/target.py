"""The host under test: which member it should run, and getting it ready (lab, bootstrap or audit)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytest_bdd import given

from checks.core import CheckFailure, PreconditionFailure, Result
from checks.preflight import preflight
from checks.remote import Remote
from provision import certs as certs_mod
from provision.binaries import Binaries, BinariesError, ensure, etcd_version
from provision.bootstrap import Action, Bootstrap, BootstrapError
from provision.model import DNS_LABEL, Member, ModelError, load

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
    preflight: Result | None = None

    def bootstrap(self, progress=None) -> list[Action]:
        assert self.binaries is not None
        return Bootstrap(self.remote, self.member, self.binaries, self.certs, progress).run()


def host_name(host) -> str:
    """The host's name as the user gave it (paramiko/ssh: the host part of the spec; ansible: the inventory name)."""
    h = getattr(host.backend, "host", None)
    if isinstance(h, str):
        return h
    return getattr(h, "name", None) or host.backend.get_pytest_id()


def member_name(alias: str, remote: Remote) -> str:
    """The tutorial names the member after the host: the alias's first label, else the host's hostname."""
    label = alias.split(".")[0]
    try:
        ipaddress.ip_address(alias)
    except ValueError:
        if DNS_LABEL.match(label):
            return label
    return remote.run("hostname -s").stdout.strip() or label


def _failure(what: str, found: str, fix: str) -> PreconditionFailure:
    return PreconditionFailure(Result(what, False, "the host is ready for the checks", found, [], fix))


class Targets:
    """Prepares each host once per session; a failed preparation fails every scenario of that host alike."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.ready: dict[str, Target | BaseException] = {}
        self.preflight_hosts: set[str] = set()  # hosts whose pre-flight test is in this session
        self.member_names: dict[str, str] = {}  # host → member name, when known from machines.txt

    def mode(self) -> str:
        return self.config.stash[MODE_KEY]

    def get(self, host, preflight_test: bool = False) -> Target:
        """The prepared target; if preparing it failed, its pre-flight test reports why, once, and the
        host's scenarios are skipped (they fail with the same line when no pre-flight test runs)."""
        __tracebackhide__ = True
        name = host_name(host)
        if name not in self.ready:
            try:
                self.ready[name] = self._prepare(name, host)
            except (CheckFailure, BootstrapError) as exc:
                self.ready[name] = exc
        got = self.ready[name]
        if isinstance(got, BaseException):
            if not preflight_test and name in self.preflight_hosts:
                pytest.skip(f"{name} is not checked: it failed its pre-flight (test_preflight[{name}])")
            raise got
        return got

    def _prepare(self, name: str, host) -> Target:
        opt = self.config.option
        mode = self.mode()
        if mode == LAB:
            from provision.lab import Lab, LabError

            try:
                Lab().reset([name])  # a fresh host every run: no leftovers from earlier runs
            except LabError as exc:
                raise _failure(f"lab host {name}", str(exc), f"python -m provision.lab up {name}") from None
        remote = Remote(host)
        check = preflight(remote, name)
        if not check.ok:
            raise PreconditionFailure(check)
        try:
            member = load(opt.etcd_config, opt.etcd_set,
                          name=self.member_names.get(name) or member_name(name, remote))
        except ModelError as exc:
            raise _failure("the desired state", str(exc), "fix --etcd-config / --etcd-set") from None
        target = Target(name, remote, member, mode, expected_version=opt.etcd_version, preflight=check)
        if mode in (LAB, BOOTSTRAP):
            try:
                target.binaries = ensure(opt.etcd_source, Path(opt.etcd_binaries) if opt.etcd_binaries else None)
                target.certs = certs_mod.ensure(member, Path(opt.certs_dir) if opt.certs_dir else None)
                target.expected_version = target.expected_version or target.binaries.version()
            except (BinariesError, certs_mod.CertsError) as exc:
                raise _failure("the step's inputs", str(exc), "make setup") from None
            target.actions = target.bootstrap()
        ev = remote.run("%s --version", member.etcd_path)
        try:
            target.found_version = etcd_version(ev.stdout)
        except BinariesError:
            target.found_version = ""
        return target


MODE_KEY = pytest.StashKey[str]()
TARGETS_KEY = pytest.StashKey[Targets]()


@pytest.fixture
def etcd_target(request: pytest.FixtureRequest, host) -> Target:
    """The prepared target for this test's host."""
    return request.config.stash[TARGETS_KEY].get(host)


@pytest.fixture
def preflight_target(request: pytest.FixtureRequest, host) -> Target:
    return request.config.stash[TARGETS_KEY].get(host, preflight_test=True)


@given("a host where the etcd step was carried out", target_fixture="target")
def carried_out(etcd_target: Target) -> Target:
    return etcd_target
