"""Every check of the suite by its stable id: what it requires, in which concern, and its outside reference.

An id names a resource and an attribute (goss's resource keys, kube-bench's numbered ids): it does not
change when a scenario is renamed. The step that runs a check names its id (steps/); the fault
catalogue, the known deviations and the CIS mapping name checks by these ids and nothing else
(tests/test_check_ids.py proves each id they name exists here, and that every id here is run by a
scenario).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckInfo:
    id: str
    requirement: str  # "Ensure that ...", as kube-bench writes its checks
    concern: str  # the feature it belongs to: binaries, configuration, certificates, ...
    ref: str = ""  # an outside reference (the CIS Benchmark's number)


BINARIES = ("etcd", "etcdctl")
CERT_ROLES = ("ca-certificate", "server-key", "server-certificate")
FLAGS = ("name", "initial-advertise-peer-urls", "listen-peer-urls", "listen-client-urls", "advertise-client-urls",
         "initial-cluster-token", "initial-cluster", "initial-cluster-state", "data-dir")
SETTINGS = ("type", "restart", "restartsec", "wantedby")
ROLES = ("client", "peer")
FORMATS = ("simple", "table", "json")
CIS = {  # check id → (CIS number, requirement)
    "cis.2.1": ("2.1", "etcd serves clients with a certificate and key"),
    "cis.2.2": ("2.2", "etcd requires client certificates"),
    "cis.2.3": ("2.3", "etcd does not use self-signed automatic TLS for clients"),
    "cis.2.4": ("2.4", "etcd talks to peers with a certificate and key"),
    "cis.2.5": ("2.5", "etcd requires peer certificates"),
    "cis.2.6": ("2.6", "etcd does not use self-signed automatic TLS for peers"),
    "cis.2.7": ("2.7", "etcd trusts a CA of its own for clients and peers"),
    "cis.1.1.11": ("1.1.11", "the data directory is 700 or stricter"),
    "cis.1.1.12": ("1.1.12", "the data directory is owned by the user etcd runs as, etcd:etcd"),
}


def _catalog() -> dict[str, CheckInfo]:
    out: list[CheckInfo] = [CheckInfo("host.preflight", "the host answers over SSH, runs commands as root, runs "
                                      "systemd and has ss", "preflight")]
    for b in BINARIES:
        out += [CheckInfo(f"binary.{b}.installed", f"{b} is installed, an executable owned by root", "binaries"),
                CheckInfo(f"binary.{b}.version", f"{b} reports the expected version", "binaries")]
    out += [CheckInfo("dir.configuration", "the configuration directory exists with its mode", "configuration"),
            CheckInfo("dir.data", "the data directory exists and only etcd's user can enter it", "configuration"),
            CheckInfo("unit.file", "the unit file is owned by root and writable by root only", "configuration"),
            CheckInfo("unit.loaded", "systemd has loaded the unit from the unit directory as it is on disk",
                      "configuration"),
            CheckInfo("unit.verify", "systemd-analyze verify accepts the unit", "configuration"),
            CheckInfo("unit.no-other-flag", "the unit runs the installed etcd with no other flag", "configuration")]
    out += [CheckInfo(f"unit.flag.{f}", f"the unit runs etcd with the configured --{f}", "configuration")
            for f in FLAGS]
    for role in CERT_ROLES:
        out += [CheckInfo(f"cert.{role}.in-place", f"the {role.replace('-', ' ')} file is in place", "certificates"),
                CheckInfo(f"cert.{role}.parses", f"the {role.replace('-', ' ')} file parses", "certificates")]
    out += [CheckInfo(f"cert.{role}.valid", f"the {role.replace('-', ' ')} is within its validity period (a warning "
                      "when it expires within 30 days)", "certificates") for role in ("ca-certificate", "server-certificate")]
    out += [CheckInfo("cert.key-pair", "the server key belongs to the server certificate", "certificates"),
            CheckInfo("cert.chain", "the server certificate is signed by the CA", "certificates"),
            CheckInfo("cert.addresses", "the server certificate names every address of the member", "certificates")]
    out += [CheckInfo("service.enabled", "etcd is enabled to start at boot", "service"),
            CheckInfo("service.running", "etcd is active (running)", "service")]
    out += [CheckInfo(f"service.{s}", f"the service has the configured {s}", "service") for s in SETTINGS]
    out += [CheckInfo(f"net.{r}.listens", f"the etcd process listens on its {r} URL", "network") for r in ROLES]
    out += [CheckInfo("net.nowhere-else", "the etcd process listens on no other address", "network")]
    for fmt in FORMATS:
        out += [CheckInfo(f"members.{fmt}.exact", f"member list ({fmt}) shows exactly the configured members",
                          "membership"),
                CheckInfo(f"members.{fmt}.started", f"member list ({fmt}) shows the member named as configured "
                          "and started", "membership"),
                CheckInfo(f"members.{fmt}.urls", f"member list ({fmt}) shows the configured peer and client URLs",
                          "membership"),
                CheckInfo(f"members.{fmt}.voting", f"member list ({fmt}) shows a voting member, not a learner",
                          "membership"),
                CheckInfo(f"members.{fmt}.id", f"member list ({fmt}) shows the ID derived from the configuration",
                          "membership")]
    out += [CheckInfo("member.hostname", "the host's hostname is the member's name", "membership"),
            CheckInfo("endpoint.leader", "endpoint status shows the member leading", "membership"),
            CheckInfo("endpoint.no-errors", "endpoint status shows no errors", "membership"),
            CheckInfo("endpoint.version", "the running etcd is the installed version", "membership"),
            CheckInfo("endpoint.healthy", "endpoint health reports the member healthy", "membership"),
            CheckInfo("kv.round-trip", "a key can be written, read back and deleted", "membership")]
    out += [CheckInfo("bootstrap.idempotent", "a second bootstrap changes nothing", "provisioning"),
            CheckInfo("bootstrap.no-restart", "a second bootstrap does not restart etcd", "provisioning")]
    out += [CheckInfo("life.noted", "a key is written and the member's ID noted", "resilience"),
            CheckInfo("life.restart-after-kill", "systemd restarts etcd within RestartSec and a bound after a "
                      "SIGKILL", "resilience"),
            CheckInfo("life.stop", "etcd stops cleanly with systemctl", "resilience"),
            CheckInfo("life.start", "etcd starts with systemctl", "resilience"),
            CheckInfo("life.data-consistent", "a stopped member's data directory holds a readable snapshot "
                      "database and write-ahead log", "resilience"),
            CheckInfo("life.back-after-boot", "etcd is active again after a reboot", "resilience"),
            CheckInfo("life.same-member", "the member keeps its ID", "resilience"),
            CheckInfo("life.key-reads-back", "the key written before reads back", "resilience")]
    out += [CheckInfo("cluster.started", "every configured member is started and none is a learner", "cluster"),
            CheckInfo("cluster.one-leader", "every member reports the same leader and cluster ID", "cluster"),
            CheckInfo("cluster.healthy", "endpoint health of the whole cluster reports every member healthy",
                      "cluster"),
            CheckInfo("cluster.no-plain-http", "plain HTTP to the client URL gets no answer", "cluster"),
            CheckInfo("cluster.client-cert-required", "a TLS client without a certificate is refused", "cluster")]
    out += [CheckInfo("quorum.stop-peers", "other members stop when asked", "quorum"),
            CheckInfo("quorum.write-succeeds", "with quorum, a write through this member succeeds", "quorum"),
            CheckInfo("quorum.sees-leader", "with quorum, this member sees a leader", "quorum"),
            CheckInfo("quorum.write-fails", "without quorum, a write fails with a clear error", "quorum"),
            CheckInfo("quorum.whole-again", "every member is healthy again and the writes read back", "quorum")]
    out += [CheckInfo(cid, text, "cis", ref=number) for cid, (number, text) in CIS.items()]
    out += [CheckInfo("advice.etcd-version", "the etcd version has no known data-corruption bug and meets etcd's "
                      "production minimum (etcd's own advice)", "cis")]
    return {c.id: c for c in out}


CHECKS: dict[str, CheckInfo] = _catalog()


def slug(value: str) -> str:
    """How a step's parameter appears in a check id: ``CA certificate`` → ``ca-certificate``."""
    return "-".join(str(value).lower().split())


def get(check_id: str) -> CheckInfo:
    if check_id not in CHECKS:
        raise KeyError(f"no check {check_id!r}")
    return CHECKS[check_id]
