"""Every check of the suite, declared once: its id, its feature, its requirement, the step sentence that runs
it, the evidence it needs and the pure judgement of that evidence.

A declaration (:class:`Check`) states:

- ``id``: a resource and an attribute (goss's resource keys, kube-bench's numbered ids); it does not change
  when a scenario is renamed;
- ``concern``: the feature it belongs to (binaries, configuration, certificates, ...);
- ``requirement``: what it requires, as kube-bench's "Ensure that ..." texts;
- ``step``: the Gherkin sentence that runs it (one sentence per family; steps/judged.py binds them);
- ``needs(member)``: the commands whose answers it judges, and ``then(member, answers)``: those it needs after
  the first answers are in (the group of a ``User=``; etcdctl only when something serves the client URL);
- ``judge(member, answers)``: a :class:`~core.evidence.Result` from the answers alone
  (:class:`core.answers.Answers`: it runs no command), with the exact fix for what it found;
- ``fix``: the remedy in a few words (``python -m checks list --fixes``);
- ``action``: for a check whose evidence is an action on the host (a restart, a write, a second bootstrap),
  what the action is: it is judged by the scenario that performs it, never on recorded answers;
- ``profiles``: the profiles it applies to (empty: every one);
- ``shows(member)``: the values its sentence writes out (the data directory's path and mode, a setting's value):
  the features write the default edition's, which tests/test_check_ids.py proves equal to the model's.

Families (the nine flags, the CIS items, the certificate roles, the formats of ``member list``) are written
once here; tests/test_check_ids.py proves the features' Examples equal to them. The fault catalogue, the
known deviations and the reports name checks by these ids and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from checks import binaries, certs, cis, cluster, config, files, membership, network, preflight, process, service, unit
from core.answers import Answers, Ask
from core.evidence import Result
from core.i18n import N_
from core.model import BASE_FLAGS, Member, TUTORIAL_URL

Needs = Callable[[Member], list[Ask]]
Then = Callable[[Member, Answers], list[Ask]]
Judge = Callable[[Member, Answers], Result]


@dataclass(frozen=True)
class Check:
    id: str
    concern: str
    requirement: str
    step: str = ""  # the Gherkin sentence (a template of the family's parameter, when it has one)
    needs: Needs | None = None
    judge: Judge | None = None
    then: Then | None = None
    fix: str = ""
    action: str = ""
    ref: str = ""  # an outside reference (the CIS Benchmark's number)
    profiles: tuple[str, ...] = ()
    family: str = ""  # the id template of its family ("" for a check of its own)
    kind: str = "then"  # the step's keyword: given, when or then
    shows: Callable[[Member], dict[str, str]] | None = None  # the values its sentence writes out, for a member

    def applies(self, profile: str) -> bool:
        return not self.profiles or profile in self.profiles

    def asks(self, member: Member, answers: Answers | None = None) -> list[Ask]:
        """The commands it needs: the first round, or (given the first round's answers) the second."""
        if answers is None:
            return list(self.needs(member)) if self.needs else []
        return list(self.then(member, answers)) if self.then else []


CheckInfo = Check  # the name the catalog had before checks were declared with their evidence


def slug(value: str) -> str:
    """How a step's parameter appears in a check id: ``CA certificate`` → ``ca-certificate``."""
    return "-".join(str(value).lower().split())


# ----- the families, written once --------------------------------------------------------------------
BINARIES = ("etcd", "etcdctl")
DIRECTORIES = ("configuration", "data")
FLAGS = BASE_FLAGS
CERT_ROLES = {"CA certificate": "ca_cert", "server key": "server_key", "server certificate": "server_cert"}
VALIDITY_ROLES = ("CA certificate", "server certificate")
SETTINGS = tuple(unit.SETTINGS)  # Type, Restart, RestartSec, WantedBy
ROLES = ("client", "peer")
FORMATS = tuple(membership.FORMAT_ARGS)
CIS = {  # CIS number → requirement (kube-bench's cfg/cis-1.10 numbering)
    "2.1": N_("etcd serves clients with a certificate and key"),
    "2.2": N_("etcd requires client certificates"),
    "2.3": N_("etcd does not use self-signed automatic TLS for clients"),
    "2.4": N_("etcd talks to peers with a certificate and key"),
    "2.5": N_("etcd requires peer certificates"),
    "2.6": N_("etcd does not use self-signed automatic TLS for peers"),
    "2.7": N_("etcd trusts a CA of its own for clients and peers"),
    "1.1.11": N_("the data directory is 700 or stricter"),
    "1.1.12": N_("the data directory is owned by etcd:etcd"),
}


def cert_name(member: Member, role: str) -> str:
    """The file of a certificate role (``server key`` → ``kube-api-server.key`` in the tutorial's names)."""
    return getattr(member, CERT_ROLES[role])


# ----- the evidence, by what it reads ------------------------------------------------------------
def _show(m: Member) -> Ask:
    return unit.show_command(m), None


def _stat(path: str) -> Ask:
    return files.stat_command(path), None


def _read(path: str) -> Ask:
    from core.evidence import quote_command

    return quote_command("cat -- %s", path), None


def _journal(m: Member) -> Ask:
    return service.journal_command(m), None


def _etcdctl(*requests: tuple[str, str]) -> Then:
    """etcdctl requests (args, endpoints: "" for the member's own, "cluster" for every member's), asked only when
    something serves the client URL: otherwise the judgement says so from ``ss`` (etcdctl would only time out)."""
    def then(m: Member, a: Answers) -> list[Ask]:
        if membership.nobody_serves(m, a.look(membership.SS_LISTENING)):
            return []
        return [membership.ask(m, args, m.cluster_endpoints if where == "cluster" else where)
                for args, where in requests]
    return then


def _path_and_runner(path_of: Callable[[Member], str]) -> tuple[Needs, Then]:
    """A path whose owner may be the user etcd runs as: its stat, systemd's User=, and that user's group."""
    return (lambda m: [_stat(path_of(m)), _show(m)]), files.runner_asks


SS = (membership.SS_LISTENING, None)
STATUS = (("endpoint status -w json", ""), ("endpoint status -w table", ""))


def _checks() -> list[Check]:
    out = [Check("host.preflight", "preflight", N_("the host answers over SSH, runs commands as root, runs systemd "
                 "and has ss"), needs=lambda m: [(preflight.PROBE, preflight.PROBE_TIMEOUT)],
                 judge=lambda m, a: preflight.judge(a.look(preflight.PROBE), a.name or "the host"),
                 fix="log in as root (or with passwordless sudo, --sudo) on a host booted with systemd, with iproute2")]

    def family(template: str, values, concern: str, requirement: str, step: str, needs, judge, then=None,
               fix: str = "", ref_by_value: bool = False, shows=None, **extra) -> None:
        """One check per value: ``needs``, ``then`` and ``judge`` take the value as their last argument;
        ``requirement`` is a template of the value (``{v}``) or a text per value."""
        for v in values:
            key = template.split("{")[1].split("}")[0]
            text = requirement[v] if isinstance(requirement, dict) else requirement.format(v=v)
            out.append(Check(
                template.format(**{key: slug(v)}), concern, text, step,
                (lambda m, v=v: needs(m, v)), (lambda m, a, v=v: judge(m, a, v)),
                (lambda m, a, v=v: then(m, a, v)) if then else None, fix, family=template,
                ref=v if ref_by_value else "", shows=(lambda m, v=v: shows(m, v)) if shows else None, **extra))

    def one(cid: str, concern: str, requirement: str, step: str, needs=None, judge=None, then=None, fix: str = "",
            **extra) -> None:
        out.append(Check(cid, concern, requirement, step, needs, judge, then, fix, **extra))

    # binaries
    family("binary.{binary}.installed", BINARIES, N_("binaries"), N_("{v} is installed, an executable owned by root"),
           "the {binary} binary is installed",
           lambda m, b: [_stat(m.binaries[b]), _show(m)], lambda m, a, b: files.binary(a, m, b),
           lambda m, a, b: files.runner_asks(m, a), "install -o root -g root -m 755 the binary in its directory")
    family("binary.{binary}.version", BINARIES, N_("binaries"), N_("{v} reports the expected version"),
           "the {binary} binary reports the expected version",
           lambda m, b: [(binaries.version_command(m, b), None), (binaries.UNAME, None)],
           lambda m, a, b: binaries.reports_version(a, m, b, a.expected_version),
           fix="install the release of the step (for the host's architecture)")
    # configuration
    family("dir.{which}", DIRECTORIES, N_("configuration"),
           {"configuration": N_("the configuration directory exists with its mode"),
            "data": N_("the data directory exists and only etcd's user can enter it")},
           "the {which} directory {path} exists with mode {mode}",
           lambda m, w: [_stat(m.data_dir if w == "data" else m.config_dir), _show(m)],
           lambda m, a, w: files.directory(a, m, w), lambda m, a, w: files.runner_asks(m, a),
           "mkdir -p the directory and chmod it to the model's mode",
           shows=lambda m, w: {"path": files.directory_spec(m, w)[0], "mode": files.directory_spec(m, w)[1]})
    one("dir.data.in-use", "configuration", N_("etcd keeps its database in the data directory"),
        "etcd keeps its database in the data directory",
        lambda m: [_stat(files.database_path(m)), _show(m)],
        lambda m, a: files.data_in_use(a, m),
        fix="start etcd on the data directory: it creates its database there")
    one("unit.file", "configuration", N_("the unit file is owned by root and writable by root only"),
        "the unit file is owned by root and writable by root only",
        lambda m: [_stat(m.unit_path)], lambda m, a: files.unit_file(a, m), fix="chown root:root and chmod 644 the unit")
    one("unit.loaded", "configuration", N_("systemd has loaded the unit from the unit directory as it is on disk"),
        "systemd has loaded the unit from the unit directory", lambda m: [_show(m)], lambda m, a: unit.loaded(a, m),
        fix="install the unit in /etc/systemd/system and systemctl daemon-reload")
    one("unit.verify", "configuration", N_("systemd-analyze verify accepts the unit"), "systemd-analyze verify accepts the unit",
        lambda m: [(unit.verify_command(m), unit.VERIFY_TIMEOUT)], lambda m, a: unit.verify(a, m),
        fix="correct what systemd-analyze verify names in the unit")
    family("config.{flag}", FLAGS, N_("configuration"), N_("etcd runs with the configured {v}, wherever it is set (flag, "
           "ETCD_* variable, configuration file, or etcd's default)"),
           "etcd's {flag} is {value}",
           lambda m, f: config.needs(m), lambda m, a, f: config.setting(a, m, f), lambda m, a, f: config.asks(m, a),
           fix="set the value where etcd takes it from (the unit's flag, the variable, the file), restart etcd",
           shows=lambda m, f: {"value": dict(m.flags())[f"--{f}"]})
    one("config.no-other-setting", "configuration", N_("the unit runs the installed etcd, and no other setting changes what "
        "the step claims (harmless ones are noted, unknown ones fail)"),
        "the unit passes no flag beyond the configured ones", config.needs,
        lambda m, a: config.no_other(a, m), config.asks,
        fix="remove the setting that changes the step (or the unknown one) from where it is set, restart etcd")
    # certificates
    family("cert.{role}.in-place", CERT_ROLES, N_("certificates"), N_("the {v} file is in place"), "the {role} file is in place",
           lambda m, r: [_stat(m.config_file(cert_name(m, r))), _show(m)],
           lambda m, a, r: files.certificate_file(a, m, cert_name(m, r)), lambda m, a, r: files.runner_asks(m, a),
           "cp the file from step 4 to the configuration directory")
    family("cert.{role}.parses", CERT_ROLES, N_("certificates"), N_("the {v} file parses"), "the {role} file parses",
           lambda m, r: [_read(m.config_file(cert_name(m, r)))], lambda m, a, r: certs.parses(a, m, cert_name(m, r)),
           fix="copy a valid file from step 4")
    family("cert.{role}.valid", VALIDITY_ROLES, N_("certificates"),
           N_("the {v} is within its validity period (a warning when it expires within 30 days)"),
           "the {role} is within its validity period",
           lambda m, r: [_read(m.config_file(cert_name(m, r)))], lambda m, a, r: certs.valid_now(a, m, cert_name(m, r)),
           fix="issue the certificate again (step 4), or set the clock right")
    one("cert.key-pair", "certificates", N_("the server key belongs to the server certificate"),
        "the server key matches the server certificate",
        lambda m: [_read(m.config_file(m.server_cert)), _read(m.config_file(m.server_key))],
        lambda m, a: certs.key_pair(a, m), fix="copy the matching key and certificate of step 4")
    one("cert.chain", "certificates", N_("the server certificate is signed by the CA"),
        "the server certificate chains to the CA certificate",
        lambda m: [_read(m.config_file(m.server_cert)), _read(m.config_file(m.ca_cert))],
        lambda m, a: certs.chain(a, m), fix="copy the CA and the certificate of the same step 4 run")
    one("cert.addresses", "certificates", N_("the server certificate names every address of the member"),
        "the server certificate names every address of the member", lambda m: [_read(m.config_file(m.server_cert))],
        lambda m, a: certs.names_addresses(a, m), fix="issue the certificate with every address in its SANs")
    # service
    one("service.enabled", "service", N_("etcd is enabled to start at boot"), "the etcd service is enabled",
        lambda m: [_show(m)], lambda m, a: service.enabled(a, m), fix="systemctl enable etcd")
    one("service.running", "service", N_("etcd is active (running)"), "the etcd service is active and running",
        lambda m: [_show(m), _journal(m)], lambda m, a: service.running(a, m),
        fix="systemctl start etcd, after what its journal names")
    one("process.as-unit", "service", N_("the running etcd is the one the unit describes: started with the arguments it "
        "gives etcd now"), "the running etcd has the arguments the unit gives it", lambda m: [_show(m)],
        lambda m, a: process.as_unit(a, m), process.asks,
        fix="systemctl restart etcd (first moving its data where the unit now points)")
    one("process.only-one", "service", N_("the host runs one etcd: the service's, and no other (started by hand, "
        "under another unit, left from an earlier try)"), "no other etcd runs on the host",
        lambda m: [_show(m), (process.ETCD_PROCESSES, None), (network.SS_PROCESSES, None)],
        lambda m, a: process.only_one(a, m), fix="stop the other etcd (kill it, or disable its unit)")
    family("service.{setting}", SETTINGS, N_("service"), N_("the service has the configured {v}"),
           "the etcd service has {setting}={value}",
           lambda m, s: [{"RestartSec": (unit.bus_command(m, "RestartUSec"), None),
                          "WantedBy": (unit.cat_command(m), None)}.get(s, _show(m))],
           lambda m, a, s: unit.setting(a, m, s), fix="set it in the unit, daemon-reload and restart etcd",
           shows=lambda m, s: {"value": str(unit.SETTINGS[s][4](m.unit))})
    # network
    net = lambda m, *_: [(service.main_pid_command(m), None), (network.SS_PROCESSES, None)]  # noqa: E731
    family("net.{role}.listens", ROLES, N_("network"), N_("the etcd process listens on its {v} URL"),
           "the etcd process listens on its {role} URL", net, lambda m, a, r: network.listens_on(a, m, r),
           fix="set the listen URL in the unit, or free the port")
    one("net.nowhere-else", "network", N_("the etcd process listens on no other address"),
        "the etcd process listens on no other address", net, lambda m, a: network.listens_nowhere_else(a, m),
        fix="listen only on the URLs of the step")
    # membership
    listing = {
        "exact": (N_("member list ({v}) shows exactly the configured members"), "it lists exactly the configured members",
                  membership.exactly_configured),
        "started": (N_("member list ({v}) shows the member named as configured and started"),
                    "the member is named as configured and started", membership.named_and_started),
        "urls": (N_("member list ({v}) shows the configured peer and client URLs"),
                 "the member advertises the configured peer and client URLs", membership.advertised_urls),
        "voting": (N_("member list ({v}) shows a voting member, not a learner"), "the member is not a learner",
                   membership.not_learner),
        "id": (N_("member list ({v}) shows the ID derived from the configuration"),
               "the member has the ID etcd derives from its configuration", membership.derived_id),
    }
    for attr, (requirement, step, judgement) in listing.items():
        family("members.{format}." + attr, FORMATS, N_("membership"), requirement, step,
               lambda m, f: [SS], lambda m, a, f, j=judgement: j(*membership.list_members(a, m, f), m),
               lambda m, a, f: _etcdctl((f"member list {membership.FORMAT_ARGS[f]}".strip(), ""))(m, a),
               "etcd started on a data directory of this configuration")
    one("member.hostname", "membership", N_("the host's hostname is the member's name"), "the host's hostname is the member's name",
        lambda m: [(membership.HOSTNAME, None)], lambda m, a: membership.hostname_matches(a, m),
        fix="hostnamectl set-hostname, or name the member after the host")
    one("endpoint.leader", "membership", N_("endpoint status shows the member leading"),
        "the endpoint status shows the member as leader", lambda m: [SS], lambda m, a: membership.leader(a, m),
        _etcdctl(*STATUS), fix="a single member leads itself: see its journal")
    one("endpoint.no-errors", "membership", N_("endpoint status shows no errors"), "the endpoint status shows no errors",
        lambda m: [SS], lambda m, a: membership.no_errors(a, m), _etcdctl(*STATUS), fix="see etcd's journal")
    one("endpoint.version", "membership", N_("the running etcd is the installed version"),
        "the endpoint status shows the installed etcd version",
        lambda m: [SS, (binaries.version_command(m, "etcd"), None)],
        lambda m, a: membership.version_matches(a, m, a.expected_version), _etcdctl(*STATUS),
        fix="systemctl restart etcd after installing the release of the step")
    one("endpoint.healthy", "membership", N_("endpoint health reports the member healthy"), "the endpoint is healthy",
        lambda m: [SS, _journal(m)], lambda m, a: membership.healthy(a, m), _etcdctl(("endpoint health -w json", "")),
        fix="what etcd's journal names")
    one("kv.round-trip", "membership", N_("a key can be written, read back and deleted"),
        "a key written to etcd can be read back and deleted", action="writes a key to etcd, reads it and deletes it",
        fix="see etcd's journal")
    # provisioning, resilience (actions on the host)
    for cid, requirement, step, action in (
            ("bootstrap.idempotent", N_("a second bootstrap changes nothing"), "every action reports ok",
             "carries out the step a second time"),
            ("bootstrap.no-restart", N_("a second bootstrap does not restart etcd"), "etcd was not restarted",
             "carries out the step a second time")):
        one(cid, "provisioning", requirement, step, None, None, action=action)
    for cid, requirement, step, kind in (
            ("life.noted", N_("a key is written and the member's ID noted"), "a key written to etcd and the member's ID noted",
             "given"),
            ("life.restart-after-kill", N_("systemd restarts etcd within RestartSec and a bound after a SIGKILL"),
             "systemd restarts etcd within its restart delay and a bound", "then"),
            ("life.stop", N_("etcd stops cleanly with systemctl"), "etcd is stopped with systemctl", "when"),
            ("life.start", N_("etcd starts with systemctl"), "etcd is started with systemctl", "when"),
            ("life.data-consistent", N_("a stopped member's data directory holds a readable snapshot database and "
             "write-ahead log"), "the data directory holds a readable snapshot database and write-ahead log", "then"),
            ("life.back-after-boot", N_("etcd is active again after a reboot"), "etcd is active again after the boot", "then"),
            ("life.same-member", N_("the member keeps its ID"), "the member keeps its ID", "then"),
            ("life.key-reads-back", N_("the key written before reads back"), "the key reads back", "then")):
        one(cid, "resilience", requirement, step, None, None, action="kills, stops, starts or reboots etcd", kind=kind)
    # the production cluster, seen from this member
    production = ("production",)
    one("cluster.started", "cluster", N_("every configured member is started and none is a learner"),
        "etcdctl lists every configured member as started and none as a learner", lambda m: [SS],
        lambda m, a: cluster.all_started(a, m), _etcdctl(("member list -w json", "cluster")),
        fix="start etcd on every member at about the same time", profiles=production)
    one("cluster.one-leader", "cluster", N_("every member reports the same leader and cluster ID"),
        "every member reports the same leader and the same cluster ID", lambda m: [SS],
        lambda m, a: cluster.one_leader(a, m), _etcdctl(("endpoint status --cluster -w json", "cluster")),
        fix="see each member's journal", profiles=production)
    one("cluster.healthy", "cluster", N_("endpoint health of the whole cluster reports every member healthy"),
        "etcdctl endpoint health of the whole cluster reports every member healthy", lambda m: [SS, _journal(m)],
        lambda m, a: cluster.cluster_healthy(a, m), _etcdctl(("endpoint health --cluster -w json", "cluster")),
        fix="what the unhealthy members' journals name", profiles=production)
    one("cluster.no-plain-http", "cluster", N_("plain HTTP to the client URL gets no answer"),
        "a client speaking plain HTTP to the client URL gets no answer from etcd",
        lambda m: [(cluster.plain_http_command(m), None)], lambda m, a: cluster.plain_http_refused(a, m),
        fix="serve clients over https only", profiles=production)
    one("cluster.client-cert-required", "cluster", N_("a TLS client without a certificate is refused"),
        "a TLS client without a client certificate is refused", lambda m: [SS, (cluster.no_cert_command(m), None)],
        lambda m, a: cluster.no_cert_refused(a, m), _etcdctl(("endpoint health", "")),
        fix="--client-cert-auth with --trusted-ca-file", profiles=production)
    for cid, requirement, step, kind in (
            ("quorum.stop-peers", N_("other members stop when asked"), r"(?P<count>one|two) other members? (is|are) stopped",
             "when"),
            ("quorum.write-succeeds", N_("with quorum, a write through this member succeeds"),
             "a write through this member succeeds", "then"),
            ("quorum.sees-leader", N_("with quorum, this member sees a leader"), "this member sees a leader", "then"),
            ("quorum.write-fails", N_("without quorum, a write fails with a clear error"),
             "a write through this member fails with a clear error", "then"),
            ("quorum.whole-again", N_("every member is healthy again and the writes read back"),
             "every member is healthy again and the writes read back", "then")):
        one(cid, "quorum", requirement, step, None, None, action="stops and starts the member's peers", kind=kind,
            profiles=production)
    # the CIS benchmark, and etcd's own advice
    family("cis.{cis_id}", CIS, N_("cis"), CIS, "CIS check {cis_id} holds",
           lambda m, n: [_stat(m.data_dir)] if n.startswith("1.") else config.needs(m), lambda m, a, n: cis.check(a, m, n),
           lambda m, a, n: [] if n.startswith("1.") else config.asks(m, a),
           fix="the production profile's TLS flags; the data directory 700, owned by etcd", ref_by_value=True)
    one("advice.etcd-version", "cis", N_("the etcd version has no known data-corruption bug and meets etcd's "
        "production minimum (etcd's own advice)"), "the etcd version follows etcd's own advice",
        lambda m: [(binaries.version_command(m, "etcd"), None)], lambda m, a: cis.advice(a, m),
        fix="install a supported etcd release (3.4.22+, 3.5.6+)")
    return out


CHECKS: dict[str, Check] = {c.id: c for c in _checks()}
CONCERNS = tuple(dict.fromkeys(c.concern for c in CHECKS.values()))  # the features' order: the tutorial's
SEE = TUTORIAL_URL


# ids a check had before it judged etcd's applied setting rather than the unit's flag: still accepted (--check,
# python -m checks list) and resolved to the check's id now
ALIASES = {**{f"unit.flag.{f}": f"config.{f}" for f in FLAGS}, "unit.no-other-flag": "config.no-other-setting"}


def resolve(pattern: str) -> str:
    """An id or pattern of ``--check`` in today's ids: ``unit.flag.name`` → ``config.name``,
    ``unit.flag.*`` → ``config.*``."""
    if pattern in ALIASES:
        return ALIASES[pattern]
    if pattern.startswith("unit.flag."):
        return "config." + pattern.removeprefix("unit.flag.")
    return pattern


def get(check_id: str) -> Check:
    check_id = resolve(check_id)
    if check_id not in CHECKS:
        raise KeyError(f"no check {check_id!r}")
    return CHECKS[check_id]


def judged(profile: str | None = None) -> list[Check]:
    """The checks judged on answers (not actions), of the profile when given."""
    return [c for c in CHECKS.values() if c.judge and (profile is None or c.applies(profile))]


def plan(member: Member, checks: list[Check], answers: Answers | None = None) -> list[Ask]:
    """Every command the checks need, each once, in order: the first round, or the second given the first's
    answers."""
    seen: dict[str, int | None] = {}
    for c in checks:
        for command, timeout in c.asks(member, answers):
            if command not in seen or (timeout or 0) > (seen[command] or 0):
                seen[command] = timeout
    return list(seen.items())
