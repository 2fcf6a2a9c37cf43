"""Everything one host answered, as a value: the evidence checks are judged on, live or recorded.

An :class:`Answers` maps each command sent (already quoted, as :func:`core.evidence.quote_command` writes it)
to its :class:`~core.evidence.Evidence`. It has the read side of :class:`core.remote.Remote` (``look``,
``read``) and no transport: a check judged on it runs no command. A command it does not hold answers with
exit ``None`` and the note ``not gathered``, so a judgement that asks for evidence it did not declare fails
visibly (and :attr:`Answers.asked` tells which commands it asked, for the test that declarations and
judgements agree).

A :class:`HostRecord` is one host's answers with the plan they are judged under (edition, profile, settings,
the member's name and cluster, the etcd version expected, when they were taken), serialised as JSON, one
file per host. Private keys never reach either: :func:`reduce_secrets` turns a PEM private key into its
public key before the evidence is kept.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from core.evidence import Evidence, quote_command

FORMAT = "kthw-etcd-recording/1"
Ask = tuple[str, "int | None"]  # a command (quoted) and its timeout in seconds (None: the remote's default)

PRIVATE_PEM = re.compile(r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?-----END \1PRIVATE KEY-----\n?", re.DOTALL)
PUBLIC_FROM_PRIVATE = "public key of the private key read (the private key is never kept)"


class NotReadOnly(RuntimeError):
    """A judgement asked to change the host: judgements only read."""


@functools.lru_cache(maxsize=64)  # loading a private key is slow, and every view of a host's answers reduces it
def _public_pem(block: str) -> str:
    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_pem_private_key(block.encode(), password=None)
    except (ValueError, TypeError) as exc:
        return f"[private key that does not load: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}]\n"
    except Exception as exc:  # noqa: BLE001 - an unsupported algorithm is as unusable to etcd as a broken key
        return f"[private key that does not load: {exc}]\n"
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def reduce_secrets(ev: Evidence) -> Evidence:
    """The evidence with every PEM private key in its output replaced by that key's public key (or by a line
    saying it does not load): what the judgements need of a key, and nothing that could be used as it."""
    if "PRIVATE KEY" not in ev.stdout and "PRIVATE KEY" not in ev.stderr:
        return ev
    out = PRIVATE_PEM.sub(lambda m: _public_pem(m.group(0)), ev.stdout)
    err = PRIVATE_PEM.sub("[private key]\n", ev.stderr)
    note = ev.note or (PUBLIC_FROM_PRIVATE if out != ev.stdout else "")
    if "PRIVATE KEY" in out:  # a block cut short, or written oddly: nothing of it is kept
        out = "[private key material removed]\n"
    return dataclasses.replace(ev, stdout=out, stderr=err, note=note)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


@dataclass
class Answers:
    """What a host answered, by command; the read side of a remote, without one."""

    answers: dict[str, Evidence] = field(default_factory=dict)
    expected_version: str | None = None  # the etcd version the plan expects (None: whatever is installed)
    taken: datetime.datetime = field(default_factory=_now)  # when the host answered (certificates' "now")
    name: str = ""
    asked: list[str] = field(default_factory=list)  # every command a judgement looked up, in order

    def __post_init__(self) -> None:
        self.answers = {c: reduce_secrets(e) for c, e in self.answers.items()}

    broken = False  # an answer set has no connection to lose

    @property
    def history(self) -> list[Evidence]:
        return list(self.answers.values())

    def look(self, template: str, *args: object, timeout: int | None = None) -> Evidence:
        command = quote_command(template, *args)
        self.asked.append(command)
        got = self.answers.get(command)
        if got is None:
            return Evidence(command, None, note="not gathered")
        return dataclasses.replace(got)

    def read(self, path: str, timeout: int | None = None) -> Evidence:
        return self.look("cat -- %s", path, timeout=timeout)

    def run(self, template: str, *args: object, timeout: int | None = None) -> Evidence:
        raise NotReadOnly(f"a judgement may not run {quote_command(template, *args)}")

    def has(self, command: str) -> bool:
        return command in self.answers


@dataclass
class Plan:
    """What a host is judged against: enough to build the same member on any checkout."""

    edition: str
    profile: str
    member_name: str
    settings: dict = field(default_factory=dict)  # --etcd-config / --etcd-set, as the model reads them
    cluster: dict[str, str] | None = None  # production: {member name: address}
    expected_version: str | None = None
    mode: str = "audit"

    def member(self):
        from core import editions

        edition = editions.EDITIONS.get(self.edition) or editions.selected(None, self.profile)
        return editions.member(edition, self.settings, name=self.member_name, cluster=self.cluster)


def _evidence_json(ev: Evidence) -> dict:
    out = {"command": ev.command, "rc": ev.rc, "stdout": ev.stdout, "stderr": ev.stderr}
    if ev.seconds:
        out["seconds"] = round(ev.seconds, 3)
    if ev.note:
        out["note"] = ev.note
    return out


@dataclass
class HostRecord:
    """One host's answers and the plan they are judged under; one JSON file per host."""

    host: str
    plan: Plan
    answers: list[Evidence]
    taken: str = ""  # ISO 8601, UTC
    comment: str = ""  # what was done to the host, or to the record, and why

    def to_json(self) -> str:
        data = {
            "format": FORMAT, "host": self.host, "taken": self.taken, "comment": self.comment,
            "plan": dataclasses.asdict(self.plan),
            "answers": [_evidence_json(reduce_secrets(e)) for e in self.answers],
        }
        return json.dumps(data, indent=1, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str = "recording") -> "HostRecord":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"{where}: not JSON ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"{where}: not a recording of this suite (format {FORMAT!r} expected)")
        plan = Plan(**data["plan"])
        answers = [Evidence(a["command"], a["rc"], a.get("stdout", ""), a.get("stderr", ""), a.get("note", ""),
                            a.get("seconds", 0.0)) for a in data["answers"]]
        return cls(data["host"], plan, answers, data.get("taken", ""), data.get("comment", ""))

    def save(self, path: str | Path) -> Path:
        from core.files import atomic_write

        path = Path(path)
        atomic_write(path, self.to_json(), mode=0o644)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "HostRecord":
        path = Path(path)
        try:
            text = path.read_text()
        except OSError as exc:
            raise ValueError(f"{path}: {exc.strerror}") from None
        return cls.from_json(text, str(path))

    def view(self) -> Answers:
        """The answers to judge on, as of when they were taken."""
        taken = datetime.datetime.fromisoformat(self.taken) if self.taken else _now()
        return Answers({e.command: e for e in self.answers}, self.plan.expected_version, taken, self.host)
