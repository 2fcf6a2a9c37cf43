"""What a check is, what it produces, and the one failure format used everywhere.

A check keeps its requirement (``what``), the command that produced the evidence and the
remediation (the exact command that fixes it) together. A failed check reads:

    what:     the data directory /var/lib/etcd has mode 0700
    expected: 0700
    found:    0755
    evidence: $ stat -c '%a %U %G %F' -- /var/lib/etcd  (exit 0)
              755 root root directory
    fix:      chmod 700 /var/lib/etcd
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from core.i18n import N_

DEFAULT_TIMEOUT = 20  # seconds; every remote command is bounded
SECRET = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL
)


CREDENTIALS = (
    # key=value / key: value (ETCDCTL_PASSWORD=..., token: ..., "secret": "...")
    re.compile(r"(?i)((?:password|passwd|secret|(?<!cluster-)token)[\"']?\s*[=:]\s*[\"']?)([^\s\"',;]+)"),
    # --flag value
    re.compile(r"(?i)(--(?:password|passwd|secret|auth-token|token)\s+)(\S+)"),
    re.compile(r"(?i)(\bbearer\s+)(\S+)"),
)


def redact(text: str) -> str:
    """Private keys and credentials never appear in evidence, whatever a command printed.

    etcd's --initial-cluster-token names a cluster and is no credential: it stays visible.
    """
    text = SECRET.sub("[private key redacted]", text)
    for pattern in CREDENTIALS:
        text = pattern.sub(lambda m: m.group(1) + "[redacted]", text)
    return text


@dataclass
class Evidence:
    """A command that was run on the host and what it returned."""

    command: str
    rc: int | None
    stdout: str = ""
    stderr: str = ""
    note: str = ""
    seconds: float = 0.0  # how long the host took to answer (0 when not measured)

    @property
    def ok(self) -> bool:
        return self.rc == 0

    @property
    def timed_out(self) -> bool:
        return self.rc == 124

    def render(self, limit: int = 40) -> str:
        head = f"$ {self.command}  (exit {self.rc if self.rc is not None else '-'})"
        if self.timed_out:
            head += "  [timed out]"
        body = []
        for stream in (self.stdout, self.stderr):
            lines = redact(stream).rstrip("\n").splitlines()
            if len(lines) > limit:
                lines = lines[: limit // 2] + [N_("... ({value} lines cut) ...").format(value=len(lines) - limit)] + lines[-limit // 2 :]
            body += lines
        if self.note:
            body.append(f"({self.note})")
        return "\n".join([head] + body)


@dataclass(kw_only=True)
class Result:
    """The outcome of one check."""

    what: str
    ok: bool
    expected: str
    found: str
    evidence: list[Evidence] = field(default_factory=list)
    fix: str = ""
    see: str = ""
    warning: str = ""  # a check that holds but needs attention soon (e.g. a certificate about to expire)
    notes: list[str] = field(default_factory=list)  # what a check that held saw and let pass (a setting left at
    # etcd's default, a harmless extra setting): listed in the report, never a failure
    cause: str = ""  # which part of the requirement failed, where a check has several (e.g. "owner" of a file)

    def render(self) -> str:
        return render_failure(self.what, self.expected, self.found, self.evidence, self.fix, self.see)


def _block(label: str, text: str) -> list[str]:
    lines = str(text).splitlines() or [""]
    return [f"{label + ':':<10}{lines[0]}"] + [" " * 10 + ln for ln in lines[1:]]


def render_failure(what: str, expected: str, found: str, evidence: list[Evidence], fix: str, see: str = "") -> str:
    out = _block("what", what) + _block("expected", expected) + _block("found", found)
    if evidence:
        out += _block("evidence", "\n".join(e.render() for e in evidence))
    if fix:
        out += _block("fix", fix)
    if see:
        out += _block("see", see)
    return "\n".join(out)


class CheckFailure(AssertionError):
    """A check that did not hold; ``str()`` is the one failure format."""

    def __init__(self, result: Result):
        self.result = result
        super().__init__(result.render())


class PreconditionFailure(CheckFailure):
    """The check could not be made (e.g. no etcdctl): one line says why, no traceback."""

    def line(self) -> str:
        r = self.result
        return (N_("cannot check {what}: {found} (fix: {fix})") if r.fix else N_("cannot check {what}: {found}")).format(
            what=r.what, found=r.found, fix=r.fix)


class ConnectionLost(PreconditionFailure):
    """An established SSH connection was lost (the network went silent, or the host dropped it and refused a new
    one): reported once per host; what could not be asked afterwards is not judged."""

    def __init__(self, result: Result, host: str, remote: object):
        super().__init__(result)
        self.host, self.remote = host, remote

    def line(self) -> str:
        r = self.result
        return (N_("lost the SSH connection to {host} {found} (fix: {fix})") if r.fix
                else N_("lost the SSH connection to {host} {found}")).format(host=self.host, found=r.found, fix=r.fix)


def require(result: Result) -> Result:
    """Raise :class:`CheckFailure` unless the check holds."""
    __tracebackhide__ = True
    if not result.ok:
        raise CheckFailure(result)
    return result


def quote_command(template: str, *args: object) -> str:
    """testinfra's convention: ``"stat -c %%a -- %s", path`` with each argument shell-quoted."""
    return template % tuple(shlex.quote(str(a)) for a in args) if args else template
