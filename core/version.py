"""What ``etcd --version`` / ``etcdctl version`` print, parsed."""

from __future__ import annotations

import re


class VersionError(ValueError):
    """No version in the text."""


def etcd_version(text: str) -> str:
    """'etcd Version: 3.4.23' / 'etcdctl version: 3.5.1' → '3.4.23'."""
    m = re.search(r"^(?:etcd|etcdctl) [Vv]ersion: (\S+)", text, re.MULTILINE)
    if not m:
        raise VersionError(f"no version in {text.strip()[:120]!r}")
    return m.group(1)


def version_in(text: str) -> str:
    """:func:`etcd_version`, or '' when the text names none (a binary that does not run, another program)."""
    try:
        return etcd_version(text)
    except VersionError:
        return ""
