"""Editions of the step as data: each is a desired state, a profile and a set of lab hosts.

Students follow several editions of "Bootstrapping the etcd Cluster" (Kubernetes The Hard Way, step 7),
each with its own names: the write-up this suite is modelled on (member ``server``), the tutorial's
current text (its unit hard-codes ``--name controller``; etcd 3.6), and the long-lived editions of
2020-2021 (three controllers over TLS with ``ca.pem kubernetes.pem kubernetes-key.pem``, etcd 3.4).
``--edition NAME`` selects one; ``--etcd-config`` / ``--etcd-set`` apply on top. The known deviations of
an edition are checks' business (checks/deviations.py), named there by edition.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.model import Member, ModelError, build
from core.i18n import N_

TUTORIAL = "https://github.com/kelseyhightower/kubernetes-the-hard-way"


@dataclass(frozen=True)
class TLSFiles:
    """The file names (in the configuration directory) a TLS cluster's members use."""

    ca: str
    server_cert: str
    server_key: str
    client_cert: str
    client_key: str

    @property
    def shared(self) -> bool:
        """One certificate for the server, its peers and etcdctl (the 2020 editions' kubernetes.pem)."""
        return self.server_cert == self.client_cert

    def certificates(self) -> tuple[str, ...]:
        """CA, server key, server certificate first (what the model expects), then etcdctl's, once each."""
        names = (self.ca, self.server_key, self.server_cert, self.client_key, self.client_cert)
        return tuple(dict.fromkeys(names))


PRODUCTION_TLS = TLSFiles("ca.crt", "etcd-server.crt", "etcd-server.key", "etcdctl.crt", "etcdctl.key")
KTHW_2020_TLS = TLSFiles("ca.pem", "kubernetes.pem", "kubernetes-key.pem", "kubernetes.pem", "kubernetes-key.pem")
KTHW_2020_FLAG_ORDER = (
    "--name", "--cert-file", "--key-file", "--peer-cert-file", "--peer-key-file", "--trusted-ca-file",
    "--peer-trusted-ca-file", "--peer-client-cert-auth", "--client-cert-auth", "--initial-advertise-peer-urls",
    "--listen-peer-urls", "--listen-client-urls", "--advertise-client-urls", "--initial-cluster-token",
    "--initial-cluster", "--initial-cluster-state", "--data-dir",
)


@dataclass(frozen=True)
class Edition:
    name: str
    title: str
    text: str  # where the edition's text is
    profile: str  # "lab": one member over HTTP on loopback; "production": a cluster over TLS
    settings: dict = field(default_factory=dict)  # the desired state, on top of the model's defaults
    lab_hosts: tuple[str, ...] = ("server",)
    tls: TLSFiles | None = None  # a cluster's files
    etcd: str = ""  # the etcd release the edition installs
    differs: str = ""  # what differs from the default edition, in a line (README, list)
    text_cluster: tuple[tuple[str, str], ...] = ()  # the members and addresses the text writes in


EDITIONS: dict[str, Edition] = {e.name: e for e in (
    Edition("kthw-server", N_("the write-up: member server on the host server, plain HTTP on loopback"),
            f"{TUTORIAL}/blob/master/docs/07-bootstrapping-etcd.md", "lab", etcd="3.4 (Debian 12's etcd-server)",
            differs="the default: member named after the host (server), ca.crt and kube-api-server.* in /etc/etcd"),
    Edition("kthw-current", N_("the tutorial's current text: units/etcd.service with --name controller on the host server"),
            f"{TUTORIAL}/blob/master/units/etcd.service", "lab", {"name": "controller"}, etcd="v3.6.0-rc.3",
            differs="member controller (hard-coded in the unit) on the host server; its text asks for the hostname"),
    Edition("kthw-2020", N_("the 2020-2021 editions: controller-0..2 over TLS with one kubernetes certificate"),
            f"{TUTORIAL}/blob/ca96371/docs/07-bootstrapping-etcd.md", "production",
            {"unit.documentation": "https://github.com/coreos",
             "unit.equals_flags": ("--cert-file", "--key-file", "--peer-cert-file", "--peer-key-file",
                                   "--trusted-ca-file", "--peer-trusted-ca-file", "--data-dir"),
             "unit.bare_booleans": True, "unit.flag_order": KTHW_2020_FLAG_ORDER},
            lab_hosts=("controller-0", "controller-1", "controller-2"), tls=KTHW_2020_TLS, etcd="3.4.10 / 3.4.15",
            differs="three members controller-0..2 over TLS; ca.pem, kubernetes.pem, kubernetes-key.pem for server, "
                    "peers and etcdctl; ETCD_NAME=$(hostname -s), INTERNAL_IP",
            text_cluster=(("controller-0", "10.240.0.10"), ("controller-1", "10.240.0.11"),
                          ("controller-2", "10.240.0.12"))),
)}
DEFAULT = "kthw-server"
# the production profile (not an edition of the tutorial's text: what its text says production needs)
PRODUCTION = Edition("production", N_("three members over TLS with certificate authentication"), "", "production",
                     lab_hosts=("etcd-0", "etcd-1", "etcd-2"), tls=PRODUCTION_TLS)


def get(name: str) -> Edition:
    if name not in EDITIONS:
        raise ModelError(f"no edition {name!r}; known: {', '.join(EDITIONS)}")
    return EDITIONS[name]


def selected(edition: str | None, profile: str | None) -> Edition:
    """The edition a run checks: ``--edition``, else the profile's (lab: the write-up; production)."""
    if edition:
        chosen = get(edition)
        if profile and profile != chosen.profile:
            raise ModelError(f"--edition {edition} is a {chosen.profile} setup: drop --profile {profile}")
        return chosen
    return PRODUCTION if profile == "production" else EDITIONS[DEFAULT]


# what a cluster edition derives from each member's host and address; a config file or --etcd-set may not change it
DERIVED = ("name", "initial_advertise_peer_urls", "listen_peer_urls", "listen_client_urls", "advertise_client_urls",
           "initial_cluster", "cluster_client_urls")


def cluster_member(name: str, cluster: dict[str, str], settings: dict | None = None,
                   tls: TLSFiles = PRODUCTION_TLS, base: dict | None = None) -> Member:
    """The member ``name`` of a cluster {member name: address}, each serving on its own address over TLS.
    ``base`` is the edition's desired state; ``settings`` (a config file's, ``--etcd-set``'s) apply on top,
    except what is derived from the hosts."""
    if name not in cluster:
        raise ValueError(f"{name} is not a member of the cluster ({', '.join(cluster)})")
    fixed = sorted(k for k in (settings or {}) if k.replace("-", "_") in DERIVED)
    if fixed:
        raise ModelError(f"{', '.join(fixed)}: a cluster derives this from each member's host and address "
                         "(give the hosts with --hosts or --machines instead)")
    addr = cluster[name]
    config_dir = {**(base or {}), **(settings or {})}.get("config_dir", "/etc/etcd")
    conf = lambda f: f"{config_dir}/{f}"  # noqa: E731
    values = dict(base or {})
    values.update({
        "name": name,
        "initial_advertise_peer_urls": f"https://{addr}:2380",
        "listen_peer_urls": f"https://{addr}:2380",
        "listen_client_urls": f"https://{addr}:2379,https://127.0.0.1:2379",
        "advertise_client_urls": f"https://{addr}:2379",
        "initial_cluster": ",".join(f"{n}=https://{a}:2380" for n, a in sorted(cluster.items())),
        "cluster_client_urls": ",".join(f"https://{a}:2379" for _, a in sorted(cluster.items())),
        "certificates": tls.certificates(),
        "cert_file": conf(tls.server_cert), "key_file": conf(tls.server_key), "trusted_ca_file": conf(tls.ca),
        "client_cert_auth": True,
        "peer_cert_file": conf(tls.server_cert), "peer_key_file": conf(tls.server_key),
        "peer_trusted_ca_file": conf(tls.ca), "peer_client_cert_auth": True,
        "etcdctl_cert": conf(tls.client_cert), "etcdctl_key": conf(tls.client_key),
    })
    values.update(settings or {})
    return build(values)


def member(edition: Edition, settings: dict | None = None, *, name: str | None = None,
           cluster: dict[str, str] | None = None) -> Member:
    """The desired state of one member of an edition: the edition's settings, then ``settings`` on top.
    ``name`` is the host's own name, used unless the edition or the settings fix one."""
    if edition.profile == "production":
        if cluster is None or name is None:
            raise ValueError("a cluster edition needs the member's name and the cluster's addresses")
        return cluster_member(name, cluster, settings, edition.tls or PRODUCTION_TLS, edition.settings)
    return build({**edition.settings, **(settings or {})}, name=name)
