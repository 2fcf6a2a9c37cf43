"""Which host a test item runs on, in the words the user gave it."""

from __future__ import annotations


def host_name(host) -> str:
    """The host's name as the user gave it (paramiko/ssh: the host part of the spec; ansible: the inventory name)."""
    h = getattr(host.backend, "host", None)
    if isinstance(h, str):
        return h
    return getattr(h, "name", None) or host.backend.get_pytest_id()


def item_host(item):
    """The testinfra host a test item is parametrised with (None for tests without a host)."""
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("_testinfra_host") if callspec else None


def item_host_name(item) -> str | None:
    """:func:`host_name` of the item's host (None for tests without a host)."""
    host = item_host(item)
    return host_name(host) if host is not None else None
