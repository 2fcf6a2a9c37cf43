"""Profiles: ``lab`` is the tutorial's step (one member, loopback, plain HTTP); ``production`` is what the
tutorial says production needs: three members (an odd number) on their own addresses, over HTTPS, with
client and peer certificate authentication (KTHW's older editions ran three controllers this way)."""

from __future__ import annotations

from core.model import Member, ModelError, build

PRODUCTION_HOSTS = ("etcd-0", "etcd-1", "etcd-2")  # the lab's hosts for the production profile
SERVER_CERT, SERVER_KEY = "etcd-server.crt", "etcd-server.key"
CLIENT_CERT, CLIENT_KEY = "etcdctl.crt", "etcdctl.key"
CA_CERT = "ca.crt"


# what the profile derives from each member's host and address; a config file or --etcd-set may not change it
DERIVED = ("name", "initial_advertise_peer_urls", "listen_peer_urls", "listen_client_urls", "advertise_client_urls",
           "initial_cluster", "cluster_client_urls")


def production_member(name: str, cluster: dict[str, str], settings: dict | None = None) -> Member:
    """The member ``name`` of a cluster {member name: address}, each serving on its own address; ``settings``
    (a config file's, ``--etcd-set``'s) apply on top, except what the profile derives from the hosts."""
    if name not in cluster:
        raise ValueError(f"{name} is not a member of the cluster ({', '.join(cluster)})")
    fixed = sorted(k for k in (settings or {}) if k.replace("-", "_") in DERIVED)
    if fixed:
        raise ModelError(f"{', '.join(fixed)}: the production profile derives this from each member's host and "
                         "address (give the hosts with --hosts or --machines instead)")
    addr = cluster[name]
    config_dir = (settings or {}).get("config_dir", "/etc/etcd")
    conf = lambda f: f"{config_dir}/{f}"  # noqa: E731
    values = {
        "name": name,
        "initial_advertise_peer_urls": f"https://{addr}:2380",
        "listen_peer_urls": f"https://{addr}:2380",
        "listen_client_urls": f"https://{addr}:2379,https://127.0.0.1:2379",
        "advertise_client_urls": f"https://{addr}:2379",
        "initial_cluster": ",".join(f"{n}=https://{a}:2380" for n, a in sorted(cluster.items())),
        "cluster_client_urls": ",".join(f"https://{a}:2379" for _, a in sorted(cluster.items())),
        "certificates": (CA_CERT, SERVER_KEY, SERVER_CERT, CLIENT_KEY, CLIENT_CERT),
        "cert_file": conf(SERVER_CERT), "key_file": conf(SERVER_KEY), "trusted_ca_file": conf(CA_CERT),
        "client_cert_auth": True,
        "peer_cert_file": conf(SERVER_CERT), "peer_key_file": conf(SERVER_KEY), "peer_trusted_ca_file": conf(CA_CERT),
        "peer_client_cert_auth": True,
        "etcdctl_cert": conf(CLIENT_CERT), "etcdctl_key": conf(CLIENT_KEY),
    }
    values.update(settings or {})
    return build(values)
