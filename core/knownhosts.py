"""Host keys checked as ``ssh`` checks them (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT").

paramiko's own known-hosts reading skips marker lines without a word (``@cert-authority``, ``@revoked``) and looks
a host up only under its own name. This reads the files ssh reads (``UserKnownHostsFile`` then
``GlobalKnownHostsFile``) and judges a server's key under the name ssh uses (``HostKeyAlias``, ``[host]:port`` off
port 22): plain and hashed (``|1|``) names, patterns with ``*``, ``?`` and ``!``, ``@revoked`` keys refused,
``StrictHostKeyChecking`` yes / accept-new / no as ssh has them. Host certificates (``@cert-authority``) cannot be
checked by paramiko, which never asks a server for one: such a host is refused in one line saying so.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import re
import threading
from dataclasses import dataclass

import paramiko


class HostKeyRefused(paramiko.SSHException):
    """The server's key is not one ssh would accept; the message says why and what to do, in one line."""


class HostKeyChanged(paramiko.BadHostKeyException):
    """The known_hosts files hold another key of the same kind for the host (paramiko's own exception, whose
    message says what to do)."""

    def __init__(self, name: str, got: paramiko.PKey, expected: paramiko.PKey, message: str):
        super().__init__(name, got, expected)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Entry:
    marker: str  # "", "@cert-authority" or "@revoked"
    patterns: str
    keytype: str
    blob: bytes
    path: str

    def matches(self, name: str) -> bool:
        if self.patterns.startswith("|1|"):
            try:
                _, _, salt, digest = self.patterns.split("|")[:4]
                mac = hmac.new(base64.b64decode(salt), name.encode(), hashlib.sha1).digest()
                return hmac.compare_digest(mac, base64.b64decode(digest))
            except (ValueError, TypeError):
                return False
        hit = False
        for pattern in self.patterns.split(","):
            negated = pattern.startswith("!")
            if _pattern(pattern.lstrip("!")).fullmatch(name.lower()):
                if negated:
                    return False
                hit = True
        return hit


@functools.lru_cache(maxsize=4096)
def _pattern(pattern: str) -> re.Pattern:
    """ssh's wildcards: ``*`` and ``?`` only (``[host]:port`` is plain text, not a character class)."""
    return re.compile(re.escape(pattern.lower()).replace(r"\*", ".*").replace(r"\?", "."))


_CACHE: dict[str, tuple[tuple, list[Entry]]] = {}
_LOCK = threading.Lock()


def entries(path: str) -> list[Entry]:
    """The lines of one known_hosts file, read once per version of the file."""
    try:
        st = os.stat(path)
    except OSError:
        return []
    stamp = (st.st_mtime_ns, st.st_size)
    with _LOCK:
        got = _CACHE.get(path)
    if got and got[0] == stamp:
        return got[1]
    out = []
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        return []
    for line in text.splitlines():
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        marker = fields.pop(0) if fields[0].startswith("@") else ""
        if len(fields) < 3:
            continue
        try:
            blob = base64.b64decode(fields[2])
        except ValueError:
            continue
        out.append(Entry(marker, fields[0], fields[1], blob, path))
    with _LOCK:
        _CACHE[path] = (stamp, out)
    return out


def judge(key: paramiko.PKey, name: str, files: list[str], strict: str, shown: str) -> str:
    """"known" when a file holds ``key`` for ``name``; "new" when none names the host and ``strict`` lets a new
    key in (the caller adds it, as ssh does); else :class:`HostKeyRefused` with why."""
    blob = key.asbytes()
    kind = key.get_name()
    found = [e for path in files for e in entries(path) if e.matches(name)]
    for e in found:
        if e.marker == "@revoked" and e.blob == blob:
            raise HostKeyRefused(f"the host key of {shown} is marked @revoked in {e.path}: refusing to connect")
    plain = [e for e in found if not e.marker]
    if any(e.blob == blob for e in plain):
        return "known"
    same_kind = [e for e in plain if e.keytype == kind]
    if same_kind and strict != "no":
        known = same_kind[0]
        raise HostKeyChanged(name, key, paramiko.PKey.from_type_string(known.keytype, known.blob), (
            f"the host key of {name} has changed ({shown} offers {kind} {key.fingerprint}, not the key in "
            f"{known.path}): refusing to connect; if the host was rebuilt on purpose: ssh-keygen -R '{name}' -f "
            f"{known.path}"))
    cas = [e for e in found if e.marker == "@cert-authority"]
    if cas and not plain and strict != "no":
        raise HostKeyRefused(
            f"{shown}'s host key is certified by a CA (@cert-authority in {cas[0].path}), and host certificates "
            f"cannot be checked here (paramiko does not support them): add the host's own key, e.g. "
            f"ssh-keyscan -p PORT HOST, compared with ssh-keygen -lf /etc/ssh/ssh_host_{kind.replace('ssh-', '')}"
            f"_key.pub on the host, to {files[0] if files else '~/.ssh/known_hosts'}")
    if strict in ("accept-new", "no"):
        return "new"
    where = ", ".join(p for p in files if os.path.exists(p)) or "no known_hosts file"
    raise HostKeyRefused(
        f"unknown host key for {shown} ({name} is not in {where}; StrictHostKeyChecking asks, and nobody is "
        f"there to answer): connect once with ssh {shown} and check the fingerprint it shows ({kind} "
        f"{key.fingerprint}), or add the key to {files[0] if files else '~/.ssh/known_hosts'}")


def add(path: str, name: str, key: paramiko.PKey) -> None:
    """Append a key as ``ssh`` does for a new host it accepts (accept-new, no)."""
    if not path or path == os.devnull:
        return
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"{name} {key.get_name()} {key.get_base64()}\n")
    except OSError:
        pass  # ssh too goes on when it cannot record a key


class Policy(paramiko.MissingHostKeyPolicy):
    """paramiko's hook for a host whose key it does not hold: the client holds none, so every key comes here."""

    def __init__(self, name: str, files: list[str], strict: str, shown: str, add_to: str):
        self.name, self.files, self.strict, self.shown, self.add_to = name, files, strict, shown, add_to

    def missing_host_key(self, client, hostname, key) -> None:
        if judge(key, self.name, self.files, self.strict, self.shown) == "new":
            add(self.add_to, self.name, key)
