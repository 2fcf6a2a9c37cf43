"""What ``ss -Htlnp`` prints, parsed: listening sockets and the processes that own them."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Listener:
    address: str
    port: int
    pids: tuple[int, ...]
    process: str


def split_address(local: str) -> tuple[str, int]:
    """``127.0.0.1:2379`` / ``[::1]:2379`` / ``*:2379`` / ``0.0.0.0%lo:2379`` → (address, port)."""
    addr, _, port = local.rpartition(":")
    addr = addr.strip("[]").split("%")[0]
    return ("0.0.0.0" if addr == "*" else addr), int(port)


def parse_ss(text: str) -> list[Listener]:
    """``ss -Htlnp`` lines → listeners with the PIDs that own them."""
    out = []
    for line in text.splitlines():
        cols = line.split()
        if len(cols) < 5 or not cols[0].startswith("LISTEN"):
            continue
        address, port = split_address(cols[3])
        users = " ".join(cols[5:])
        pids = tuple(int(p) for p in re.findall(r"pid=(\d+)", users))
        m = re.search(r'\(\("([^"]+)"', users)
        out.append(Listener(address, port, pids, m.group(1) if m else ""))
    return out
