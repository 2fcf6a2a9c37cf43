"""Read etcdctl's output (3.4, 3.5 and 3.6; simple, table and JSON formats) into plain records.

JSON IDs are decimal, table and simple IDs hex; JSON fields are omitempty (a false ``isLearner``
is absent). ``endpoint status`` tables have 10 columns in 3.4/3.5 and 16 in 3.6.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field


class ParseError(ValueError):
    pass


@dataclass(frozen=True)
class MemberInfo:
    id: str  # 16 hex digits
    name: str
    peer_urls: tuple[str, ...]
    client_urls: tuple[str, ...]
    is_learner: bool

    @property
    def status(self) -> str:
        return "started" if self.name else "unstarted"


@dataclass(frozen=True)
class EndpointStatus:
    endpoint: str
    id: str
    version: str
    is_leader: bool
    is_learner: bool
    raft_term: int
    raft_index: int
    errors: tuple[str, ...] = field(default_factory=tuple)
    leader: str = ""  # the leader's ID (JSON only)
    cluster_id: str = ""


@dataclass(frozen=True)
class EndpointHealth:
    endpoint: str
    healthy: bool
    detail: str


def hex_id(value: int | str) -> str:
    """A member ID as etcdctl's tables print it: lower-case hex, 16 digits."""
    if isinstance(value, str):
        value = int(value, 16)
    return f"{value:016x}"


def _bool(text: str) -> bool:
    t = text.strip().lower()
    if t not in ("true", "false"):
        raise ParseError(f"expected true or false, found {text!r}")
    return t == "true"


def _urls(text: str) -> tuple[str, ...]:
    return tuple(u.strip() for u in text.split(",") if u.strip())


def parse_table(text: str) -> list[dict[str, str]]:
    """An etcdctl ``-w table`` (tablewriter) into rows keyed by upper-case header."""
    rows = [ln for ln in text.splitlines() if ln.strip().startswith("|")]
    if not rows:
        raise ParseError("no table in the output")
    split = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in rows]
    header, body = split[0], split[1:]
    for r in body:
        if len(r) != len(header):
            raise ParseError(f"a row has {len(r)} cells, the header {len(header)}")
    return [dict(zip(header, r)) for r in body]


# ----- member list ------------------------------------------------------------------------
def members_simple(text: str) -> list[MemberInfo]:
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split(", ")]
        if len(cells) < 5:
            raise ParseError(f"member line has {len(cells)} fields: {line!r}")
        learner = _bool(cells[5]) if len(cells) > 5 else False
        out.append(MemberInfo(hex_id(cells[0]), cells[2], _urls(cells[3]), _urls(cells[4]), learner))
    return out


def members_table(text: str) -> list[MemberInfo]:
    out = []
    for row in parse_table(text):
        try:
            out.append(
                MemberInfo(
                    hex_id(row["ID"]), row["NAME"], _urls(row["PEER ADDRS"]), _urls(row["CLIENT ADDRS"]),
                    _bool(row.get("IS LEARNER", "false")),
                )
            )
        except KeyError as exc:
            raise ParseError(f"member table has no {exc} column") from None
    return out


def members_json(text: str) -> list[MemberInfo]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ParseError(f"not JSON: {exc}") from None
    out = []
    for m in data.get("members", []):
        out.append(
            MemberInfo(
                hex_id(int(m["ID"])), m.get("name", ""), tuple(m.get("peerURLs", ())),
                tuple(m.get("clientURLs", ())), bool(m.get("isLearner", False)),
            )
        )
    return out


MEMBER_PARSERS = {"simple": members_simple, "table": members_table, "json": members_json}


# ----- endpoint status ----------------------------------------------------------------------
def status_table(text: str) -> list[EndpointStatus]:
    out = []
    for row in parse_table(text):
        try:
            out.append(
                EndpointStatus(
                    row["ENDPOINT"], hex_id(row["ID"]), row["VERSION"], _bool(row["IS LEADER"]),
                    _bool(row.get("IS LEARNER", "false")), int(row["RAFT TERM"]), int(row["RAFT INDEX"]),
                    tuple(e for e in [row.get("ERRORS", "")] if e),
                )
            )
        except KeyError as exc:
            raise ParseError(f"status table has no {exc} column") from None
    return out


def status_json(text: str) -> list[EndpointStatus]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ParseError(f"not JSON: {exc}") from None
    out = []
    for item in data:
        st = item["Status"]
        member = int(st["header"]["member_id"])
        out.append(
            EndpointStatus(
                item["Endpoint"], hex_id(member), st.get("version", ""), int(st.get("leader", 0)) == member,
                bool(st.get("isLearner", False)), int(st.get("raftTerm", 0)), int(st.get("raftIndex", 0)),
                tuple(st.get("errors", ()) or ()),
                hex_id(int(st["leader"])) if st.get("leader") else "",
                hex_id(int(st["header"]["cluster_id"])) if st["header"].get("cluster_id") else "",
            )
        )
    return out


# ----- endpoint health ----------------------------------------------------------------------
def health_json(text: str) -> list[EndpointHealth]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ParseError(f"not JSON: {exc}") from None
    return [EndpointHealth(d["endpoint"], bool(d.get("health")), d.get("error") or d.get("took", "")) for d in data]


def health_of(text: str) -> tuple[list[EndpointHealth], str]:
    """``endpoint health -w json`` read: (the endpoints' health, '' or why it could not be read); nothing printed
    (etcdctl gave up) is no endpoint."""
    if not text.strip():
        return [], ""
    try:
        return health_json(text), ""
    except (ParseError, KeyError) as exc:
        return [], f"cannot read the output: {exc}"


# ----- the one way an etcdctl command line is built ------------------------------------------
def command(member, args: str, *, endpoints: str | None = "", tls: str = "client", dial: str = "2s",
            command_timeout: str = "8s") -> str:
    """``ETCDCTL_API=3 <etcdctl> --endpoints=... --dial-timeout=... [TLS] <args>``, every value quoted.

    ``endpoints``: "" for the member's client URL, None for none (offline subcommands such as
    ``snapshot status``). ``tls``: "client" (the member's --cacert/--cert/--key when it has them),
    "ca" (only --cacert: a TLS client without a certificate) or "none". ``args`` is written as given:
    the caller quotes what it puts there.
    """
    import shlex

    q = shlex.quote
    parts = ["ETCDCTL_API=3", q(member.etcdctl_path)]
    if endpoints is not None:
        parts += [f"--endpoints={q(endpoints or member.endpoint)}", f"--dial-timeout={dial}",
                  f"--command-timeout={command_timeout}"]
        if tls == "client":
            parts += [q(a) for a in member.etcdctl_tls_args()]
        elif tls == "ca":
            parts.append(f"--cacert={q(member.trusted_ca_file or '/dev/null')}")
    parts.append(args)
    return " ".join(p for p in parts if p)


def shell_prefix(member) -> str:
    """etcdctl as a student types it on the host (for fixes): the binary with the member's TLS flags."""
    return " ".join(["ETCDCTL_API=3", member.etcdctl_path, *member.etcdctl_tls_args()])
