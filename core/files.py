"""Local files written whole or not at all, and lock files that make processes take turns."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path


@contextlib.contextmanager
def locked(path: Path):
    """Hold an exclusive lock on ``path`` (created, with its directory, if missing) until the block ends:
    one process at a time, across processes (flock); the lock goes with the process if it dies."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield fh


def atomic_write(path: Path, data: str | bytes, mode: int | None = None) -> bool:
    """Write ``data`` to ``path`` through a temporary file and a rename; True when the content changed."""
    path = Path(path)
    raw = data.encode() if isinstance(data, str) else data
    try:
        if path.read_bytes() == raw and (mode is None or (path.stat().st_mode & 0o7777) == mode):
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if mode is None else mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True
