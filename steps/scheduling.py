"""pytest-xdist: every scenario of one host on one worker (one SSH connection per host).

pytest-xdist's own grouping (``--dist loadgroup`` with ``xdist_group`` marks) renames each test's node id
with an ``@group`` suffix; pytest 9 derives node ids from their structured form and no longer sees that
suffix, so with pytest 9.2 and pytest-xdist 3.8 the groups are lost and a host's scenarios are spread
over every worker, each opening its own connection. The scheduler below groups by the host in the
test's id instead (``test_x[paramiko://server-etcdctl]`` → ``paramiko://server``); a production cluster
is one group, since its members are prepared together.
"""

from __future__ import annotations

CLUSTER = "cluster"


def host_scope(nodeid: str, host_ids: list[str], cluster: bool = False) -> str:
    """The group of a test: its host's id (or the whole cluster); the node id itself when it has no host."""
    at, bracket = nodeid.rfind("@"), nodeid.rfind("]")
    if at > bracket >= 0:  # an xdist_group suffix, where pytest keeps it
        return nodeid[at + 1:]
    start = nodeid.find("[")
    if start < 0 or not nodeid.endswith("]"):
        return nodeid
    params = nodeid[start + 1:-1]
    for hid in sorted(host_ids, key=len, reverse=True):  # node-0 before node
        if params == hid or params.startswith(hid + "-"):
            return CLUSTER if cluster else hid
    return nodeid


def host_ids(config) -> list[str]:
    """The ids testinfra gives the hosts of this run (as its plugin computes them; nothing connects)."""
    import testinfra

    opt = config.option
    if not opt.hosts:
        return []
    hosts = testinfra.get_hosts(
        opt.hosts.split(","), connection=opt.connection, ssh_config=opt.ssh_config,
        ssh_identity_file=opt.ssh_identity_file, sudo=opt.sudo, sudo_user=opt.sudo_user,
        ansible_inventory=opt.ansible_inventory, force_ansible=opt.force_ansible,
    )
    return [h.backend.get_pytest_id() for h in hosts]


def make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    ids = host_ids(config)
    cluster = getattr(config.option, "profile", "lab") == "production"

    class HostScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return host_scope(nodeid, ids, cluster)

    return HostScheduling(config, log)
