"""The desired state of the etcd member: defined once, validated, and read by everything else.

The Jinja2 unit template, the provisioner and every check derive their expectations from a
:class:`Member`. Defaults are those of Kubernetes The Hard Way, step 7 ("Bootstrapping the etcd
Cluster"), with the member named after the host (``server`` on the tutorial's control plane).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
TOKEN = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
RESTART_VALUES = ("no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always")
SERVICE_TYPES = ("simple", "exec", "forking", "oneshot", "dbus", "notify", "idle")
TUTORIAL_URL = (
    "https://github.com/kelseyhightower/kubernetes-the-hard-way/blob/master/docs/07-bootstrapping-etcd.md"
)


class ModelError(ValueError):
    """The desired state is invalid; the message is one line a user can act on."""


# The nine settings every edition gives etcd (as flags in its unit), in the tutorial's order; each is the
# Member attribute of the same name with "_" for "-".
BASE_FLAGS = ("name", "initial-advertise-peer-urls", "listen-peer-urls", "listen-client-urls",
              "advertise-client-urls", "initial-cluster-token", "initial-cluster", "initial-cluster-state", "data-dir")


@dataclass(frozen=True)
class Unit:
    """The systemd unit settings of the tutorial's etcd.service."""

    description: str = "etcd"
    documentation: str = "https://github.com/etcd-io/etcd"
    type: str = "notify"
    restart: str = "on-failure"
    restart_sec: int = 5
    wanted_by: str = "multi-user.target"
    # how the unit file spells etcd's flags (systemd and etcd read both spellings alike): flags written
    # --flag=value (the write-up writes --data-dir=/var/lib/etcd), and boolean flags written bare (--client-cert-auth)
    equals_flags: tuple[str, ...] = ("--data-dir",)
    bare_booleans: bool = False
    flag_order: tuple[str, ...] = ()  # the order the unit lists the flags in (empty: the model's order)


@dataclass(frozen=True)
class Modes:
    """File modes the step leaves behind (the tutorial: chmod 700 /var/lib/etcd)."""

    data_dir: int = 0o700
    config_dir: int = 0o755
    binary: int = 0o755
    unit: int = 0o644
    cert: int = 0o644
    key: int = 0o600


@dataclass(frozen=True)
class Member:
    """One etcd member as the tutorial configures it."""

    name: str = "server"
    initial_advertise_peer_urls: str = "http://127.0.0.1:2380"
    listen_peer_urls: str = "http://127.0.0.1:2380"
    listen_client_urls: str = "http://127.0.0.1:2379"
    advertise_client_urls: str = "http://127.0.0.1:2379"
    initial_cluster_token: str = "etcd-cluster-0"
    initial_cluster: str = ""  # empty: "<name>=<initial_advertise_peer_urls>"
    initial_cluster_state: str = "new"
    cluster_client_urls: str = ""  # every member's client URL, for etcdctl's cluster-wide view; empty: this member's
    data_dir: str = "/var/lib/etcd"
    config_dir: str = "/etc/etcd"
    bin_dir: str = "/usr/local/bin"
    unit_dir: str = "/etc/systemd/system"
    service: str = "etcd"
    certificates: tuple[str, ...] = ("ca.crt", "kube-api-server.key", "kube-api-server.crt")
    # TLS (the production profile; the tutorial's lab runs plain HTTP and leaves these empty)
    cert_file: str = ""
    key_file: str = ""
    trusted_ca_file: str = ""
    client_cert_auth: bool = False
    peer_cert_file: str = ""
    peer_key_file: str = ""
    peer_trusted_ca_file: str = ""
    peer_client_cert_auth: bool = False
    etcdctl_cert: str = ""  # the client certificate etcdctl presents (with etcdctl_key and trusted_ca_file)
    etcdctl_key: str = ""
    unit: Unit = field(default_factory=Unit)
    modes: Modes = field(default_factory=Modes)

    def __post_init__(self) -> None:
        if not self.initial_cluster:
            object.__setattr__(self, "initial_cluster", f"{self.name}={self.initial_advertise_peer_urls}")
        validate(self)

    # ----- derived paths -------------------------------------------------------------------
    @property
    def etcd_path(self) -> str:
        return f"{self.bin_dir}/etcd"

    @property
    def etcdctl_path(self) -> str:
        return f"{self.bin_dir}/etcdctl"

    @property
    def binaries(self) -> dict[str, str]:
        return {"etcd": self.etcd_path, "etcdctl": self.etcdctl_path}

    @property
    def unit_name(self) -> str:
        return f"{self.service}.service"

    @property
    def unit_path(self) -> str:
        return f"{self.unit_dir}/{self.unit_name}"

    @property
    def ca_cert(self) -> str:
        return self.certificates[0]

    @property
    def server_key(self) -> str:
        return self.certificates[1]

    @property
    def server_cert(self) -> str:
        return self.certificates[2]

    def config_file(self, name: str) -> str:
        return f"{self.config_dir}/{name}"

    def is_key(self, name: str) -> bool:
        """A private key among the certificates (kept 0600)."""
        return name == self.server_key or name.endswith(".key")

    # ----- derived expectations ------------------------------------------------------------
    TLS_FLAGS = (
        ("--cert-file", "cert_file"), ("--key-file", "key_file"), ("--trusted-ca-file", "trusted_ca_file"),
        ("--client-cert-auth", "client_cert_auth"), ("--peer-cert-file", "peer_cert_file"),
        ("--peer-key-file", "peer_key_file"), ("--peer-trusted-ca-file", "peer_trusted_ca_file"),
        ("--peer-client-cert-auth", "peer_client_cert_auth"),
    )

    def flags(self) -> list[tuple[str, str]]:
        """etcd's command-line flags in the tutorial's order, then the TLS flags that are set."""
        return self._base_flags() + [
            (flag, "true" if getattr(self, attr) is True else getattr(self, attr))
            for flag, attr in self.TLS_FLAGS if getattr(self, attr)
        ]

    @property
    def tls(self) -> bool:
        return self.endpoint.startswith("https://")

    def tls_files(self) -> dict[str, str]:
        """Every TLS file the member uses, by its setting name."""
        names = ("cert_file", "key_file", "trusted_ca_file", "peer_cert_file", "peer_key_file",
                 "peer_trusted_ca_file", "etcdctl_cert", "etcdctl_key")
        return {n: getattr(self, n) for n in names if getattr(self, n)}

    def etcdctl_tls_args(self) -> list[str]:
        if not self.etcdctl_cert:
            return []
        return [f"--cacert={self.trusted_ca_file}", f"--cert={self.etcdctl_cert}", f"--key={self.etcdctl_key}"]

    @property
    def cluster_size(self) -> int:
        return len(parse_initial_cluster(self.initial_cluster))

    def _base_flags(self) -> list[tuple[str, str]]:
        return [(f"--{flag}", getattr(self, flag.replace("-", "_"))) for flag in BASE_FLAGS]

    @property
    def peer_urls(self) -> list[str]:
        return split_urls(self.initial_advertise_peer_urls)

    @property
    def client_urls(self) -> list[str]:
        return split_urls(self.advertise_client_urls)

    def listen_endpoints(self, role: str | None = None) -> list[tuple[str, int]]:
        """(address, port) pairs etcd must listen on: its client and/or peer listen URLs."""
        urls = {"client": self.listen_client_urls, "peer": self.listen_peer_urls}
        chosen = [urls[role]] if role else list(urls.values())
        out = []
        for url in [u for value in chosen for u in split_urls(value)]:
            parts = urlsplit(url)
            out.append((parts.hostname or "", parts.port or 0))
        return out

    @property
    def client_port(self) -> int:
        return urlsplit(split_urls(self.listen_client_urls)[0]).port or 0

    @property
    def peer_port(self) -> int:
        return urlsplit(split_urls(self.listen_peer_urls)[0]).port or 0

    @property
    def endpoint(self) -> str:
        """The client URL etcdctl talks to."""
        return self.client_urls[0]

    @property
    def cluster_endpoints(self) -> str:
        """The --endpoints etcdctl uses for the cluster-wide checks: every member's client URL."""
        return self.cluster_client_urls or ",".join(self.client_urls)

    def member_id(self) -> str:
        """The member ID etcd derives for a new cluster: sha1(sorted peer URLs + token), first 8 bytes."""
        joined = "".join(sorted(self.peer_urls)) + self.initial_cluster_token
        return hashlib.sha1(joined.encode()).hexdigest()[:16]

    def replace(self, **changes: Any) -> "Member":
        """A copy with some fields changed; ``initial_cluster`` follows ``name`` unless given."""
        if "initial_cluster" not in changes and self.initial_cluster == _default_cluster(self):
            changes["initial_cluster"] = ""
        return dataclasses.replace(self, **changes)


def _default_cluster(m: Member) -> str:
    return f"{m.name}={m.initial_advertise_peer_urls}"


def split_urls(value: str) -> list[str]:
    return [u for u in value.split(",") if u]


def parse_initial_cluster(value: str) -> dict[str, list[str]]:
    """``a=http://x:2380,b=http://y:2380`` → {"a": [...], "b": [...]}."""
    out: dict[str, list[str]] = {}
    for item in value.split(","):
        name, sep, url = item.partition("=")
        if not sep or not name or not url:
            raise ModelError(f"initial_cluster: {item!r} is not NAME=URL")
        out.setdefault(name, []).append(url)
    return out


def _check_url(field_name: str, value: str) -> None:
    for url in split_urls(value) or [""]:
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            port = None
        if parts.scheme not in ("http", "https") or not parts.hostname or not port or parts.path not in ("", "/"):
            raise ModelError(f"{field_name}: {url!r} is not a URL like http://127.0.0.1:2379")


OPTIONAL = {"cert_file", "key_file", "trusted_ca_file", "peer_cert_file", "peer_key_file", "peer_trusted_ca_file",
            "etcdctl_cert", "etcdctl_key", "cluster_client_urls"}


def validate(m: Member) -> None:
    """Refuse anything that could not be written safely into a unit file or is not what etcd accepts."""
    for f in dataclasses.fields(m):
        value = getattr(m, f.name)
        values = value if isinstance(value, tuple) else [value]
        optional = f.name in OPTIONAL
        for v in values:
            if isinstance(v, str) and ((not v and not optional) or any(c.isspace() or ord(c) < 32 for c in v)
                                       or "\\" in v):
                raise ModelError(f"{f.name}: {v!r} must be non-empty, without spaces, newlines or backslashes")
            if isinstance(v, str) and ("%" in v or "$" in v):
                raise ModelError(f"{f.name}: {v!r}: systemd rewrites % (specifiers such as %H) and $ (variables) "
                                 "in ExecStart=, so etcd would get another value: leave them out")
    for f in dataclasses.fields(m.unit):
        v = getattr(m.unit, f.name)
        if isinstance(v, str) and (not v or any(c.isspace() or ord(c) < 32 for c in v)):
            raise ModelError(f"unit.{f.name}: {v!r} must be non-empty, without spaces or newlines")
    for flag in m.unit.equals_flags + m.unit.flag_order:
        if not re.fullmatch(r"--[a-z0-9-]+", flag):
            raise ModelError(f"unit.equals_flags/flag_order: {flag!r} is not a flag like --data-dir")
    if not DNS_LABEL.match(m.name):
        raise ModelError(f"name: {m.name!r} is not a DNS-1123 label (lower-case letters, digits and '-', at most 63)")
    for name in ("initial_advertise_peer_urls", "listen_peer_urls", "listen_client_urls", "advertise_client_urls"):
        _check_url(name, getattr(m, name))
    if m.cluster_client_urls:
        _check_url("cluster_client_urls", m.cluster_client_urls)
    for name, urls in parse_initial_cluster(m.initial_cluster).items():
        if not DNS_LABEL.match(name):
            raise ModelError(f"initial_cluster: member name {name!r} is not a DNS-1123 label")
        _check_url("initial_cluster", ",".join(urls))
    if not TOKEN.match(m.initial_cluster_token):
        raise ModelError(f"initial_cluster_token: {m.initial_cluster_token!r} may hold only letters, digits, '.', '_', '-'")
    if m.initial_cluster_state not in ("new", "existing"):
        raise ModelError(f"initial_cluster_state: {m.initial_cluster_state!r} is neither 'new' nor 'existing'")
    for name in ("data_dir", "config_dir", "bin_dir", "unit_dir"):
        p = getattr(m, name)
        if not PurePosixPath(p).is_absolute() or ".." in PurePosixPath(p).parts or p != p.rstrip("/") or p == "/":
            raise ModelError(f"{name}: {p!r} must be an absolute path below / without '..' or a trailing '/'")
    if not DNS_LABEL.match(m.service):
        raise ModelError(f"service: {m.service!r} is not a plain unit name")
    for c in m.certificates:
        if "/" in c or c.startswith("."):
            raise ModelError(f"certificates: {c!r} must be a plain file name")
    for name, path in m.tls_files().items():
        if not PurePosixPath(path).is_absolute() or ".." in PurePosixPath(path).parts:
            raise ModelError(f"{name}: {path!r} must be an absolute path")
    if bool(m.etcdctl_cert) != bool(m.etcdctl_key):
        raise ModelError("etcdctl_cert and etcdctl_key go together")
    if len(m.certificates) < 3:
        raise ModelError("certificates: expected at least: CA certificate, server key, server certificate")
    if m.unit.type not in SERVICE_TYPES:
        raise ModelError(f"unit.type: {m.unit.type!r} is not one of {', '.join(SERVICE_TYPES)}")
    if m.unit.restart not in RESTART_VALUES:
        raise ModelError(f"unit.restart: {m.unit.restart!r} is not one of {', '.join(RESTART_VALUES)}")
    if not isinstance(m.unit.restart_sec, int) or isinstance(m.unit.restart_sec, bool) or not 0 <= m.unit.restart_sec <= 3600:
        raise ModelError(f"unit.restart_sec: {m.unit.restart_sec!r} must be a whole number of seconds, 0 to 3600")
    for f in dataclasses.fields(m.modes):
        v = getattr(m.modes, f.name)
        if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 0o7777:
            raise ModelError(f"modes.{f.name}: {v!r} is not a file mode")


# ----- loading overrides ---------------------------------------------------------------------
def _coerce(section: type, key: str, value: Any) -> Any:
    fields = {f.name: f for f in dataclasses.fields(section)}
    if key not in fields:
        raise ModelError(f"unknown setting {key!r}; known: {', '.join(sorted(fields))}")
    default = getattr(section(), key) if section is not Member else _MEMBER_DEFAULTS[key]
    if isinstance(default, bool):
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise ModelError(f"{key}: {value!r} is not true or false")
        return value
    if isinstance(default, int) and isinstance(value, str):
        try:
            return int(value, 8) if section is Modes else int(value)
        except ValueError:
            raise ModelError(f"{key}: {value!r} is not a number") from None
    if isinstance(default, tuple) and isinstance(value, str):
        return tuple(v for v in value.split(",") if v)
    if isinstance(default, tuple) and isinstance(value, list):
        return tuple(value)
    if type(default) is not type(value) and not (section is Member and key == "initial_cluster"):
        raise ModelError(f"{key}: {value!r} should be a {type(default).__name__}")
    return value


_MEMBER_DEFAULTS = {
    f.name: (f.default if f.default is not dataclasses.MISSING else None) for f in dataclasses.fields(Member)
}


def build(settings: dict[str, Any] | None = None, *, name: str | None = None) -> Member:
    """A Member from a mapping such as a parsed config file: top-level keys, ``unit.*`` and ``modes.*``.

    ``name`` (the target host's name) is the default member name when the settings set none.
    """
    settings = dict(settings or {})
    unit_kw: dict[str, Any] = {}
    modes_kw: dict[str, Any] = {}
    member_kw: dict[str, Any] = {}
    for key, value in settings.items():
        if isinstance(value, dict) and key in ("unit", "modes"):
            for k, v in value.items():
                settings_target = unit_kw if key == "unit" else modes_kw
                settings_target[k] = _coerce(Unit if key == "unit" else Modes, k, v)
        elif "." in key:
            section, _, k = key.partition(".")
            if section not in ("unit", "modes"):
                raise ModelError(f"unknown setting {key!r}")
            (unit_kw if section == "unit" else modes_kw)[k] = _coerce(Unit if section == "unit" else Modes, k, value)
        elif key in ("unit", "modes"):
            raise ModelError(f"{key}: expected a table of settings")
        else:
            member_kw[key.replace("-", "_")] = _coerce(Member, key.replace("-", "_"), value)
    if name is not None and "name" not in member_kw:
        member_kw["name"] = name
    try:
        return Member(unit=Unit(**unit_kw), modes=Modes(**modes_kw), **member_kw)
    except TypeError as exc:  # pragma: no cover - guarded by _coerce
        raise ModelError(str(exc)) from None


def parse_assignments(items: list[str]) -> dict[str, Any]:
    """``["name=server", "unit.restart_sec=5"]`` → a settings mapping for :func:`build`."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ModelError(f"--etcd-set {item!r}: expected KEY=VALUE, e.g. name=server")
        out[key.strip()] = value
    return out


def load_settings(config_file: str | None = None, assignments: list[str] | None = None) -> dict[str, Any]:
    """The settings of a TOML config file (optional) overridden by KEY=VALUE assignments."""
    settings: dict[str, Any] = {}
    if config_file:
        try:
            with open(config_file, "rb") as fh:
                data = tomllib.load(fh)
        except OSError as exc:
            raise ModelError(f"config file {config_file}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ModelError(f"config file {config_file}: not valid TOML ({exc})") from None
        settings.update(data["etcd"] if isinstance(data.get("etcd"), dict) else data)
    settings.update(parse_assignments(assignments or []))
    return settings


def load(config_file: str | None = None, assignments: list[str] | None = None, *, name: str | None = None) -> Member:
    """The member from a TOML config file (optional) overridden by KEY=VALUE assignments."""
    return build(load_settings(config_file, assignments), name=name)
