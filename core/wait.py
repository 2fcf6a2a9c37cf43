"""The one bounded wait: poll until done or a deadline passes (never a bare sleep)."""

from __future__ import annotations

import time
from collections.abc import Callable

from core.evidence import CheckFailure


def wait_for(probe: Callable[[], tuple[bool, object]], timeout: float, interval: float = 0.25,
             tolerate: tuple[type[BaseException], ...] = (CheckFailure,)):
    """Call ``probe`` until it reports done or ``timeout`` passes: (done, last value, seconds waited).

    Exceptions of the ``tolerate`` kinds count as "not yet" (e.g. the host is still rebooting)."""
    start = time.monotonic()
    while True:
        try:
            done, value = probe()
        except tolerate as exc:
            done, value = False, getattr(getattr(exc, "result", None), "found", str(exc))
        waited = time.monotonic() - start
        if done or waited >= timeout:
            return done, value, waited
        time.sleep(interval)
