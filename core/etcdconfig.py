"""etcd's configuration as etcd applies it: each setting's value and where it comes from.

etcd takes its settings from three places, and its defaults for the rest. The rules, as etcd's source has them
(the same in 3.4, 3.5 and 3.6; ``etcdmain/config.go`` ``parse`` and ``configFromCmdLine``, ``pkg/flags/flag.go``
``SetFlagsFromEnv`` and ``verifyEnv``):

1. **A configuration file wins alone.** ``--config-file``, or else the variable ``ETCD_CONFIG_FILE``, names a YAML
   file; etcd then reads only it ("loaded server configuration, other configuration command line flags and
   environment variables will be ignored if provided"): every other flag and ``ETCD_*`` variable is ignored.
2. **Otherwise flags, then variables.** A flag on the command line sets its setting; a variable
   ``ETCD_<FLAG, upper case, - as _>`` sets a setting whose flag is not on the command line
   (``SetFlagsFromEnv``). A variable set to the empty string is not used (``if val != ""``).
3. **A flag and its variable both set: etcd refuses to start** ("conflicting environment variable ... is shadowed
   by corresponding command-line flag", ``verifyEnv``'s ``Fatalf``).
4. **An ``ETCD_*`` variable that names no flag is ignored** with a warning ("unrecognized environment variable"):
   a misspelt variable silently leaves its setting at the default.
5. **A flag etcd does not define, or an argument that is no flag, is refused** (Go's flag package: "flag provided
   but not defined"; etcd: "'%s' is not a valid flag"). A few old flags etcd only warns about and ignores.
6. **Defaults** where nothing sets a setting (``embed.NewConfig``); ``--initial-cluster`` left out follows
   ``--name`` and ``--initial-advertise-peer-urls`` (``name=URL``), as etcd derives it when the name is not
   ``default``. A key of the configuration file that etcd does not know is ignored without a word (YAML decoded
   into etcd's ``embed.Config``), and the file's TLS settings sit under ``client-transport-security`` and
   ``peer-transport-security``.

The flags each release defines (and which take no value, and their defaults) are read from the releases'
binaries (``core/data/etcd-flags.json``, made by ``tests/etcdflags.py``). The environment is the one systemd
gives the service: ``Environment=``, then each ``EnvironmentFile=`` in order, later ones overriding
(systemd.exec(5)); :func:`parse_environment_file` reads such a file as systemd does.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from core.i18n import N_

FLAGS_FILE = Path(__file__).with_name("data") / "etcd-flags.json"
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TLS_SECTIONS = {"client-transport-security": "", "peer-transport-security": "peer-"}
TLS_KEYS = {"cert-file", "key-file", "client-cert-file", "client-key-file", "client-cert-auth", "trusted-ca-file",
            "auto-tls", "allowed-cn", "allowed-hostname", "skip-client-san-verification"}
# the configuration file's keys that are no flag's name (embed/config.go's configYAML)
FILE_ONLY_KEYS = {"cors", "host-whitelist", "log-outputs", *TLS_SECTIONS}
# ETCD_* variables etcd reads itself, not as flags
SPECIAL_VARIABLES = {"ETCD_CONFIG_FILE", "ETCD_UNSUPPORTED_ARCH", "ETCD_VERSION"}
GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "ppc64le": "ppc64le", "s390x": "s390x", "armv7l": "arm"}


@functools.lru_cache(maxsize=1)
def tables() -> dict[str, dict[str, dict]]:
    return json.loads(FLAGS_FILE.read_text())


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", version)[:3]) or (0,)


def table_for(version: str | None) -> tuple[str, dict[str, dict], bool]:
    """The flag table of the release, or the nearest older one (exact: False): 3.6 is read with 3.5's."""
    known = tables()
    if version in known:
        return version, known[version], True
    want = _key(version or "")
    same_minor = [v for v in known if _key(v)[:2] == want[:2]]
    older = [v for v in known if _key(v) <= want] or list(known)
    chosen = max(same_minor or older, key=_key)
    return chosen, known[chosen], bool(same_minor)


def flag_to_env(name: str) -> str:
    return "ETCD_" + name.upper().replace("-", "_")


# ----- systemd's environment files ------------------------------------------------------------------------
def parse_environment_file(text: str) -> list[tuple[str, str]]:
    """A file of ``EnvironmentFile=``, read as systemd.exec(5) says (systemd's env-file parser): ``#`` and ``;``
    lines and lines without ``=`` ignored; blanks around the key and around an unquoted value dropped; an unquoted
    value keeps its inner blanks and quotes, a backslash keeps the next character and one at the end of a line
    continues it; ``'...'`` verbatim across lines; ``"..."`` across lines, a backslash special only before
    ``"`` ``\\`` ``$`` `````` and a newline. Assignments in order (a later one of the same name wins)."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        # the key: up to '=' or the end of the line
        j = i
        while j < n and text[j] not in "=\n":
            j += 1
        key = text[i:j].strip()
        if j >= n or text[j] == "\n" or key.startswith(("#", ";")):
            i = _line_end(text, i) + 1  # a comment, or a line without '='
            continue
        i = j + 1
        while i < n and text[i] in " \t\r":
            i += 1
        value, i = _value(text, i)
        if ENV_NAME.match(key):
            out.append((key, value))
    return out


def _line_end(text: str, i: int) -> int:
    j = text.find("\n", i)
    return len(text) if j < 0 else j


def _value(text: str, i: int) -> tuple[str, int]:
    n = len(text)
    if i < n and text[i] == "'":
        j = text.find("'", i + 1)
        j = n if j < 0 else j
        return text[i + 1:j], _line_end(text, j) + 1
    if i < n and text[i] == '"':
        out, i = [], i + 1
        while i < n and text[i] != '"':
            if text[i] == "\\" and i + 1 < n and text[i + 1] in '"\\`$\n':
                if text[i + 1] != "\n":
                    out.append(text[i + 1])
                i += 2
            else:
                out.append(text[i])
                i += 1
        return "".join(out), _line_end(text, i) + 1
    out = []
    while i < n and text[i] != "\n":
        if text[i] == "\\" and i + 1 < n:
            if text[i + 1] != "\n":
                out.append(text[i + 1])
            i += 2
            continue
        out.append(text[i])
        i += 1
    return "".join(out).rstrip(" \t\r"), i + 1


def parse_environment_property(value: str) -> list[tuple[str, str]]:
    """``Environment=`` as ``systemctl show`` prints it: assignments separated by blanks, one with blanks quoted."""
    import shlex

    try:
        items = shlex.split(value)
    except ValueError:
        items = value.split()
    return [tuple(item.split("=", 1)) for item in items if "=" in item]  # type: ignore[misc]


def environment_files(value: str) -> list[tuple[str, bool]]:
    """``EnvironmentFiles=`` as ``systemctl show`` prints it: (path, may be missing) in order."""
    return [(path, ignore == "yes") for path, ignore in re.findall(r"(\S+) \(ignore_errors=(yes|no)\)", value)]


# ----- the effective configuration ------------------------------------------------------------------------
@dataclass(frozen=True)
class Value:
    """A setting's value as etcd applies it, and where it comes from."""

    setting: str  # the flag's name: data-dir
    value: str
    source: str  # "flag", "variable", "config file" or "default"
    place: str = ""  # the unit, the environment file (or "Environment= of <unit>"), the configuration file
    key: str = ""  # as that place spells it: --data-dir, ETCD_DATA_DIR, data-dir

    def where(self) -> str:
        if self.source == "default":
            return "etcd's default"
        return N_("{key} in {place}").format(key=self.key, place=self.place)


@dataclass
class Effective:
    """What etcd runs with, by setting, and what it refuses or ignores of what it is given."""

    values: dict[str, Value] = field(default_factory=dict)  # the settings something sets
    refused: list[str] = field(default_factory=list)  # why etcd would not start with this (one line each)
    ignored: list[Value] = field(default_factory=list)  # settings given that etcd does not apply
    unknown: list[Value] = field(default_factory=list)  # names etcd does not know (ETCD_*, file keys)
    config_file: str = ""
    version: str = ""  # the flag table used
    exact_table: bool = True
    defaults: dict[str, str] = field(default_factory=dict)

    def get(self, setting: str) -> Value:
        if setting in self.values:
            return self.values[setting]
        if setting == "initial-cluster" and "name" in self.values:
            name = self.values["name"].value
            peers = self.get("initial-advertise-peer-urls").value
            if name != "default":
                return Value(setting, ",".join(f"{name}={u}" for u in peers.split(",") if u), "default")
        if setting == "data-dir":
            return Value(setting, f"{self.get('name').value}.etcd", "default")  # relative to etcd's working directory
        return Value(setting, self.defaults.get(setting, ""), "default")


def _boolean(value: str) -> str:
    return "true" if value.lower() in ("", "true", "1", "t") else "false"


def from_flags(argv: list[str], env: list[tuple[str, str, str]], unit_place: str, version: str | None,
               read_file=None) -> Effective:
    """The configuration etcd applies given its arguments (argv[0] the binary) and its environment, as
    ``(name, value, place)`` in the order systemd sets them; ``read_file(path)`` gives a configuration file's
    text (None when it cannot be read)."""
    chosen, table, exact = table_for(version)
    eff = Effective(version=chosen, exact_table=exact,
                    defaults={k: v.get("default", "") for k, v in table.items()})
    flags: dict[str, Value] = {}
    args = argv[1:]
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("-") or arg in ("-", "--"):
            why = (N_(" (a line's continuation backslash with something after it, a blank or a second backslash, "
                      "ends ExecStart= there: the lines after it are not etcd's)") if arg.strip("\\") == "" else "")
            eff.refused.append(N_('"{arg}" in ExecStart= of {unit_place} is no flag: etcd refuses it ("\'{arg}\' is not a '
                                  'valid flag"){why}').format(arg=arg, unit_place=unit_place, why=why))
            continue
        name, eq, value = arg.lstrip("-").partition("=")
        spec = table.get(name)
        if spec is None:
            eff.refused.append(N_("--{name} in {unit_place}: etcd {chosen} defines no such flag and refuses to start "
                                  '("flag provided but not defined")').format(name=name, unit_place=unit_place, chosen=chosen))
            if not eq and i < len(args) and not args[i].startswith("-"):
                i += 1
            continue
        if not eq:
            if spec["boolean"]:
                value = "true"
            elif i < len(args):
                value, i = args[i], i + 1
            else:
                eff.refused.append(N_('--{name} in {unit_place} has no value: etcd refuses it ("flag needs an argument")').format(name=name, unit_place=unit_place))
                continue
        if spec["boolean"]:
            value = _boolean(value)
        v = Value(name, value, "flag", unit_place, f"--{name}")
        if spec.get("ignored"):
            eff.ignored.append(v)
            continue
        flags[name] = v  # Go's flag package: the last of a repeated flag wins
    environ = {}
    for key, value, place in env:  # the last assignment of a name wins, as systemd sets them
        environ[key] = (value, place)
    config = flags.get("config-file")
    if config is None and environ.get("ETCD_CONFIG_FILE", ("",))[0]:
        value, place = environ["ETCD_CONFIG_FILE"]
        config = Value("config-file", value, "variable", place, "ETCD_CONFIG_FILE")
    if config is not None:  # rule 1: the file alone
        eff.config_file = config.value
        eff.values["config-file"] = config
        eff.ignored += [v for k, v in flags.items() if k != "config-file"]
        eff.ignored += [Value(k[5:].lower().replace("_", "-"), val, "variable", place, k)
                        for k, (val, place) in environ.items() if k.startswith("ETCD_") and k not in SPECIAL_VARIABLES]
        text = read_file(config.value) if read_file else None
        if text is None:
            eff.refused.append(N_("the configuration file {value} ({where}) cannot be read: etcd does not start").format(value=config.value, where=config.where()))
        else:
            _from_file(eff, text, config.value, table)
        return eff
    eff.values.update(flags)
    for key, (value, place) in environ.items():
        if not key.startswith("ETCD_") or key in SPECIAL_VARIABLES:
            continue
        name = key[5:].lower().replace("_", "-")
        spec = table.get(name)
        v = Value(name, value, "variable", place, key)
        if spec is None or flag_to_env(name) != key:
            eff.unknown.append(v)  # rule 4
        elif value == "":
            continue  # rule 2: an empty variable is not used
        elif name in flags:  # rule 3
            eff.refused.append(N_("{key} in {place} and --{name} in {unit_place} both set it: etcd refuses to start "
                                  '("conflicting environment variable is shadowed by corresponding command-line flag")').format(key=key, place=place, name=name, unit_place=unit_place))
        elif spec.get("ignored"):
            eff.ignored.append(v)
        else:
            eff.values[name] = Value(name, _boolean(value) if spec["boolean"] else value, "variable", place, key)
    return eff


def _from_file(eff: Effective, text: str, path: str, table: dict[str, dict]) -> None:
    import yaml

    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        eff.refused.append(N_("{path} is not YAML etcd can read ({value}): etcd does not start").format(path=path, value=str(exc).splitlines()[0]))
        return
    if not isinstance(data, dict):
        eff.refused.append(N_("{path} is not a mapping of settings: etcd does not start").format(path=path))
        return
    for key, value in data.items():
        key = str(key)
        if key in TLS_SECTIONS and isinstance(value, dict):
            for sub, subvalue in value.items():
                name = TLS_SECTIONS[key] + str(sub)
                v = Value(name, _text(subvalue), "config file", path, f"{key}.{sub}")
                if str(sub) in TLS_KEYS:
                    eff.values[name] = v
                else:
                    eff.unknown.append(v)
        elif key in FILE_ONLY_KEYS or (key in table and key not in _tls_flags() and key != "config-file"):
            eff.values[key] = Value(key, _text(value), "config file", path, key)
        else:
            eff.unknown.append(Value(key, _text(value), "config file", path, key))


def _tls_flags() -> set[str]:
    return {p + k for p in TLS_SECTIONS.values() for k in TLS_KEYS}


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(v) for v in value)
    return "" if value is None else str(value)


# ----- settings the tutorial does not make --------------------------------------------------------------
HARMLESS, WEAKENS, UNCLASSIFIED = "harmless", "weakens", "unclassified"


def _loopback_urls(value: str) -> bool:
    for url in filter(None, value.split(",")):
        host = urlsplit(url).hostname or ""
        if host == "localhost":
            continue
        try:
            if not ipaddress.ip_address(host).is_loopback:
                return False
        except ValueError:
            return False
    return True


def _off(why: str):
    return lambda value, arch: (HARMLESS, N_("off")) if value == "false" else (WEAKENS, why)


# what a setting the tutorial does not make does to what it claims: setting → judge(value, host arch) →
# (class, why). Anything that does not change the member, its addresses, its data or its security is harmless.
_TUNING = (
    "log-level", "logger", "log-outputs", "log-output", "log-package-levels", "enable-log-rotation",
    "log-rotation-config-json", "auto-compaction-mode", "auto-compaction-retention", "quota-backend-bytes",
    "snapshot-count", "heartbeat-interval", "election-timeout", "max-request-bytes", "max-txn-ops", "max-snapshots",
    "max-wals", "max-concurrent-streams", "grpc-keepalive-min-time", "grpc-keepalive-interval",
    "grpc-keepalive-timeout", "backend-batch-interval", "backend-batch-limit", "backend-bbolt-freelist-type",
    "experimental-backend-bbolt-freelist-type", "initial-election-tick-advance", "pre-vote", "metrics",
    "experimental-initial-corrupt-check", "experimental-corrupt-check-time", "experimental-compact-hash-check-enabled",
    "experimental-compact-hash-check-time", "experimental-compaction-batch-limit", "experimental-watch-progress-notify-interval",
    "experimental-warning-apply-duration", "warning-unary-request-duration", "experimental-warning-unary-request-duration",
    "experimental-compaction-sleep-interval", "experimental-snapshot-catchup-entries", "snapshot-catchup-entries",
    "experimental-bootstrap-defrag-threshold-megabytes", "experimental-enable-lease-checkpoint",
    "experimental-enable-lease-checkpoint-persist", "experimental-memory-mlock", "auth-token", "bcrypt-cost",
    "auth-token-ttl", "enable-grpc-gateway", "experimental-stop-grpc-service-on-defrag", "raft-read-timeout",
    "raft-write-timeout", "experimental-downgrade-check-time", "tls-min-version", "cors", "host-whitelist",
)
CLASSES = {name: (lambda value, arch: (HARMLESS, N_("tuning that changes nothing the step claims"))) for name in _TUNING}
CLASSES.update({
    "debug": _off(N_("logs every request, with its keys and values")),
    "strict-reconfig-check": lambda value, arch: ((HARMLESS, N_("etcd's default")) if value == "true" else
                                                  (WEAKENS, N_("lets a membership change break quorum"))),
    "listen-metrics-urls": lambda value, arch: ((HARMLESS, N_("metrics on loopback only")) if _loopback_urls(value) else
                                                (WEAKENS, N_("serves etcd's metrics on {value}, beyond loopback").format(value=value))),
    "enable-pprof": _off(N_("serves Go's profiler (/debug/pprof) on the client URLs")),
    "auto-tls": _off(N_("makes etcd sign its own client certificate (CIS 2.3)")),
    "peer-auto-tls": _off(N_("makes etcd sign its own peer certificate (CIS 2.6)")),
    "force-new-cluster": _off(N_("discards the cluster's membership at every start")),
    "enable-v2": _off(N_("serves the deprecated v2 API, outside v3's authentication")),
    "experimental-enable-v2v3": lambda value, arch: (WEAKENS, N_("serves the v2 API emulated on v3")),
    "unsafe-no-fsync": _off(N_("writes without fsync: a crash can lose committed data")),
    "experimental-peer-skip-client-san-verification": _off(N_("skips checking peers' certificate addresses")),
    "listen-client-http-urls": lambda value, arch: (WEAKENS, N_("listens for clients also on {value}").format(value=value)),
    "wal-dir": lambda value, arch: (WEAKENS, N_("keeps the write-ahead log in {value}, outside the data directory").format(value=value)),
    "discovery": lambda value, arch: (WEAKENS, N_("bootstraps the cluster from a discovery service, not "
                                      "--initial-cluster")),
    "discovery-srv": lambda value, arch: (WEAKENS, N_("bootstraps the cluster from DNS SRV records")),
    "cipher-suites": lambda value, arch: (UNCLASSIFIED, N_("restricts or widens TLS cipher suites")),
    "ETCD_UNSUPPORTED_ARCH": lambda value, arch: (
        (HARMLESS, N_("lets etcd start on {value}, this host's architecture").format(value=value)) if value == GOARCH.get(arch, arch)
        else (WEAKENS, N_("names {value}, not this host's architecture ({value2})").format(value=value or '(nothing)', value2=GOARCH.get(arch, arch)))),
})


def classify(setting: str, value: str, arch: str = "") -> tuple[str, str]:
    """A setting the tutorial does not make: (harmless | weakens | unclassified, what it does)."""
    judge = CLASSES.get(setting)
    if judge is None:
        return UNCLASSIFIED, N_("a setting etcd knows that this suite does not classify yet")
    return judge(value, arch)
