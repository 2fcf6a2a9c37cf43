"""An audit's SSH connections, opened while pytest is still loading the suite.

pytest parses its command line in full only once every plugin is loaded, a good half second after it starts,
and the suite reaches its hosts from ``pytest_configure`` (``Targets.prefetch``). This plugin, the first the
root conftest names, adds the suite's options and, when the run is an audit in one process (the features,
``--hosts``, no ``--bootstrap``, ``--machines``, ``--ansible-inventory``, production profile, ``-n`` or
``--collect-only``), reads the command line itself and opens each host's SSH connection in a thread of its own
while the rest of the suite loads: far away, the connection is about five round trips (bench/wan.py). The hosts
are testinfra's own, made with the arguments the run makes them with later, so there is still one connection
per host; one that cannot be made is reported where it would have been (:meth:`core.ssh.CheckedParamikoBackend.
connect_ahead`). A reading that differs from pytest's later one only costs the connection made ahead."""

from __future__ import annotations

import os
import shlex
import threading
from pathlib import Path

import pytest

from core import editions

ROOT = Path(__file__).resolve().parent.parent
AHEAD = 8  # connections made at once (as many hosts as suite.evidence prepares at once)


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    add_options(parser)
    config = pluginmanager.get_plugin("pytestconfig")
    if config is not None:
        try:
            connect_ahead(audited_hosts(parser, config))
        except Exception:  # noqa: BLE001 - only a head start: the run makes its connections as usual
            pass


def audited_hosts(parser: pytest.Parser, config: pytest.Config) -> tuple[list[str], dict] | None:
    """(host specs, testinfra's arguments) of an audit in this process, read from the command line as pytest
    will read it; None for any other run."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return None
    args = [*shlex.split(os.environ.get("PYTEST_ADDOPTS", "")), *config.invocation_params.args]
    ns = parser.parse_known_args(args)
    if (not getattr(ns, "hosts", None) or ns.bootstrap or ns.machines or getattr(ns, "ansible_inventory", None)
            or getattr(ns, "collectonly", False) or getattr(ns, "numprocesses", None)
            or editions.selected(ns.edition, ns.profile).profile == "production"):
        return None
    if not runs_features(Path(config.invocation_params.dir), getattr(ns, "file_or_dir", None) or []):
        return None
    from provision.targets import check_hosts, check_ssh_config

    check_ssh_config(ns.ssh_config)  # as pytest_configure will: a config ssh refuses stops the run there
    return check_hosts(ns.hosts), host_arguments(ns)


def host_arguments(opt) -> dict:
    """testinfra's arguments for the run's hosts, from its options: testinfra keeps one host (and one connection)
    per spec and arguments, so the connections made ahead, the prefetch and the tests use these same ones."""
    return dict(connection=opt.connection, ssh_config=opt.ssh_config, ssh_identity_file=opt.ssh_identity_file,
                sudo=opt.sudo, sudo_user=opt.sudo_user, ansible_inventory=opt.ansible_inventory,
                force_ansible=opt.force_ansible)


def runs_features(here: Path, args: list[str]) -> bool:
    """Whether the run's paths (relative to ``here``) name the features or a file in them."""
    features = ROOT / "features"
    for arg in args:
        path = (here / arg.split("::")[0]).resolve()
        if path == features or features in path.parents:
            return True
    return False


def connect_ahead(audit: tuple[list[str], dict] | None) -> None:
    """Open the hosts' connections in threads (``AHEAD`` at a time) that nothing waits for."""
    if audit is None:
        return
    import testinfra

    from core import remote, ssh  # noqa: F401 - imported here, not by the threads while pytest imports the rest

    ssh.install()
    hosts, kwargs = audit
    backends = [h.backend for h in testinfra.get_hosts(hosts, **kwargs) if hasattr(h.backend, "connect_ahead")]
    turns = threading.Semaphore(AHEAD)

    def connect(backend) -> None:
        with turns:
            backend.connect_ahead()

    for backend in backends:
        threading.Thread(target=connect, args=(backend,), name="kthw-connect-ahead", daemon=True).start()


def add_options(parser: pytest.Parser) -> None:
    """The suite's own options."""
    g = parser.getgroup("etcd step", "Kubernetes The Hard Way: bootstrapping the etcd cluster")
    g.addoption("--etcd-config", default=None, metavar="FILE", help="TOML file with the member's desired state")
    g.addoption("--waivers", default=None, metavar="FILE",
                help="YAML list of accepted deviations: check (id or pattern), hosts, justification, expires")
    g.addoption("--etcd-set", action="append", default=[], metavar="KEY=VALUE",
                help="override one setting of the desired state, e.g. name=controller (repeatable)")
    g.addoption("--profile", default=None, choices=("lab", "production"),
                help="lab: the tutorial's single member over HTTP (default); production: 3 members over TLS")
    g.addoption("--edition", default=None, choices=list(editions.EDITIONS),
                help="the edition of the tutorial's step the hosts follow: its names, profile and known deviations "
                     "(default kthw-server; see the README)")
    g.addoption("--bootstrap", action="store_true", help="carry out the step on --hosts before checking them")
    g.addoption("--disruptive", action="store_true",
                help="with --hosts: also run scenarios that write to etcd or stop it")
    g.addoption("--etcd-binaries", default=None, metavar="DIR",
                help="etcd/etcdctl in KTHW's layout (controller/etcd, client/etcdctl); default downloads/")
    g.addoption("--etcd-source", default="debian", choices=("debian", "debian-trixie"),
                help="where the set-up takes the binaries from when the directory is empty")
    g.addoption("--certs-dir", default=None, metavar="DIR",
                help="directory with ca.crt, kube-api-server.key and kube-api-server.crt (default: generated)")
    g.addoption("--machines", default=None, metavar="FILE",
                help="KTHW machines.txt (IP FQDN HOST [SUBNET]): check the rows whose HOST is server, or --member")
    g.addoption("--member", default=None, metavar="NAME[,NAME...]",
                help="with --machines: the hosts (HOST column) that run etcd members")
    g.addoption("--etcd-boot-timeout", type=float, default=120, metavar="SECONDS",
                help="how long a rebooted host may take to run etcd again (default 120)")
    g.addoption("--check", dest="etcd_checks", action="append", default=[], metavar="ID[,ID...]",
                help="run only the scenarios of these checks (ids or patterns such as cis.* or config.*; the old ids unit.flag.* and unit.no-other-flag still work)")
    g.addoption("--etcd-version", default=None, metavar="X.Y.Z",
                help="the etcd version the hosts must run (default: the provisioned binaries' version)")


