"""pytest-xdist: every scenario of one host on one worker (one SSH connection per host).

pytest-xdist's own grouping (``--dist loadgroup`` with ``xdist_group`` marks) renames each test's node id
with an ``@group`` suffix; pytest 9 derives node ids from their structured form and no longer sees that
suffix, so with pytest 9.2 and pytest-xdist 3.8 the groups are lost and a host's scenarios are spread
over every worker, each opening its own connection. The scheduler below groups by the host in the
test's id instead (``test_x[paramiko://server-etcdctl]`` → ``paramiko://server``); a production cluster
is one group, since its members are prepared together.
"""

from __future__ import annotations

from suite.hosts import item_host_name

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
        """Hosts dealt out to the workers at the start, in turn: a worker knows all its hosts from its
        first test on, and prepares them together (see :func:`queued_hosts`)."""

        def _split_scope(self, nodeid: str) -> str:
            return host_scope(nodeid, ids, cluster)

        def schedule(self) -> None:
            first = self.collection is None
            super().schedule()
            if not first or not self.workqueue:
                return
            nodes = [n for n in self.nodes if not n.shutting_down]
            turn = 0
            while self.workqueue and nodes:
                self._assign_work_unit(nodes[turn % len(nodes)])
                turn += 1
            for node in nodes:
                node.shutdown()  # after the tests it was sent

    return HostScheduling(config, log)


def queued_hosts(config) -> set[str]:
    """In a pytest-xdist worker: the hosts of the tests this worker was given (its current test's host
    included); empty elsewhere, or when pytest-xdist does not show its queue."""
    if not hasattr(config, "workerinput"):
        return set()
    interactor = next((p for p in config.pluginmanager.get_plugins() if type(p).__name__ == "WorkerInteractor"), None)
    queue, session = getattr(interactor, "torun", None), getattr(interactor, "session", None)
    if queue is None or session is None or not hasattr(queue, "lock"):
        return set()
    with queue.lock() as pending:
        indices = [i for i in pending if isinstance(i, int)]
    indices += [i for i in (getattr(interactor, "item_index", None), getattr(interactor, "nextitem_index", None))
                if isinstance(i, int)]
    hosts = set()
    for i in indices:
        name = item_host_name(session.items[i])
        if name is not None:
            hosts.add(name)
    return hosts
