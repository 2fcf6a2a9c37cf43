"""The recorded hosts the checks are proven on without a lab (tests/test_recordings.py), made on the lab.

    .venv/bin/python -m tests.recordings                 # everything: healthy hosts, then every fault
    .venv/bin/python -m tests.recordings healthy         # the healthy hosts of each edition and profile
    .venv/bin/python -m tests.recordings stricter        # correct setups stricter than the tutorial's, and
                                                         # other ways to configure the same member
    .venv/bin/python -m tests.recordings unprepared      # hosts whose pre-flight fails
    .venv/bin/python -m tests.recordings faults [ID...]  # the faults of the catalogue (all, or those named)

Healthy: each edition and profile carried out by the suite in the lab (``pytest features/`` running only the
pre-flight, which prepares the hosts), then recorded with ``python -m suite record``'s own code; the tutorial's
member on Debian 12's etcd 3.4 and Debian 13's 3.5. Faults: each lab fault applied to a freshly bootstrapped
host (in rounds of seven hosts), each production fault to the first member of a three-member cluster (its
peers recorded too). Every file says in its ``comment`` what was done to the host. Needs root and the lab.
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.test_stricter_lab import AS_ETCD_USER

ROOT = Path(__file__).resolve().parent.parent
RECORDINGS = ROOT / "tests" / "data" / "recordings"
SSH_CONFIG = str(ROOT / ".lab" / "ssh_config")
FAULT_HOSTS = tuple(f"fault-{i}" for i in range(7))
CLUSTERS = (("etcd-3", "etcd-4", "etcd-5"), ("etcd-6", "etcd-7", "etcd-8"))

# name → (pytest options that carry the edition out in the lab, its lab hosts, edition, profile, the etcd expected)
HEALTHY = {
    "kthw-server-3.4": ((), ("server",), None, None, "3.4.23"),
    "kthw-server-3.5": (("--etcd-source=debian-trixie",), ("server",), None, None, "3.5.16"),
    "kthw-current-3.4": (("--edition=kthw-current",), ("server",), "kthw-current", None, "3.4.23"),
    "production-3.4": (("--profile=production",), ("etcd-0", "etcd-1", "etcd-2"), None, "production", "3.4.23"),
    "kthw-2020-3.4": (("--edition=kthw-2020",), ("controller-0", "controller-1", "controller-2"), "kthw-2020", None,
                      "3.4.23"),
    "kthw-2020-3.5": (("--edition=kthw-2020", "--etcd-source=debian-trixie"), ("controller-0", "controller-1",
                      "controller-2"), "kthw-2020", None, "3.5.16"),
    "kthw-current-3.5": (("--edition=kthw-current", "--etcd-source=debian-trixie"), ("server",), "kthw-current", None,
                         "3.5.16"),
    "production-3.5": (("--profile=production", "--etcd-source=debian-trixie"), ("etcd-0", "etcd-1", "etcd-2"), None,
                       "production", "3.5.16"),
}


# stricter setups than the tutorial's, made by hand on a bootstrapped host: correct, so they must pass
STRICTER = {
    "stricter-etcd-user": ("etcd runs as its own user, its data directory etcd:etcd 0700 (CIS 1.1.12)", AS_ETCD_USER),
    "stricter-restart-always": ("Restart=always, which restarts etcd in every case on-failure does", """set -e
sed -i 's/^Restart=.*$/Restart=always/' /etc/systemd/system/etcd.service
systemctl daemon-reload
"""),
}
# other correct ways to configure the same member, made by hand on a bootstrapped host (the scripts in
# tests/data/variants/, their first line says what each does): they must pass, with notes
VARIANT_SCRIPTS = ROOT / "tests" / "data" / "variants"
VARIANTS = {p.stem: (p.read_text().splitlines()[0].lstrip("# "), p.read_text())
            for p in sorted(VARIANT_SCRIPTS.glob("variant-*.sh"))}
STRICTER_HOST = "spare-0"
# hosts the suite cannot check at all: their pre-flight fails (recorded with the probe's answer alone)
UNPREPARED = {
    "preflight-no-ss": ("ss is not installed (moved away: /usr/bin/ss.moved)", "mv /usr/bin/ss /usr/bin/ss.moved"),
}


def record(hosts, edition=None, profile=None, expected=None, comment=""):
    from suite.record import record_hosts

    return record_hosts(list(hosts), edition, profile, {}, SSH_CONFIG, expected_version=expected, comment=comment,
                        say=lambda line: None)


def healthy(names: list[str] | None = None) -> None:
    from provision.lab import Lab

    for name in names or list(HEALTHY):
        options, hosts, edition, profile, expected = HEALTHY[name]
        ran = subprocess.run([sys.executable, "-m", "pytest", "features/", "-q", "-p", "no:cacheprovider",
                              "--check=host.preflight", *options], cwd=ROOT, capture_output=True, text=True, timeout=900)
        if ran.returncode != 0:
            raise SystemExit(f"recordings: {name}: carrying it out failed:\n{ran.stdout[-3000:]}")
        records = record(hosts, edition, profile, expected, f"healthy: the suite's bootstrap of {name} in the lab")
        for i, (host, rec) in enumerate(records.items()):
            path = RECORDINGS / "healthy" / (f"{name}.json" if len(records) == 1 else f"{name}-{host}.json")
            rec.save(path)
            print(f"recordings: {path.relative_to(ROOT)}")
        Lab().down(list(hosts))


def stricter(names: list[str] | None = None) -> None:
    from core.remote import Remote
    from provision.lab import Lab
    from tests.labtools import bootstrap_server

    chosen = {**STRICTER, **VARIANTS}
    for name in names or list(chosen):
        what, script = chosen[name]
        host, member, _ = bootstrap_server(STRICTER_HOST)
        ev = Remote(host).run("sh -c %s", script.replace("{name}", member.name), timeout=90)
        if not ev.ok:
            raise SystemExit(f"recordings: {name}: {ev.render()}")
        kind = "another way to configure the same member" if name in VARIANTS else "stricter than the tutorial"
        rec = record([STRICTER_HOST], comment=f"healthy, {kind}: {what}")[STRICTER_HOST]
        path = rec.save(RECORDINGS / "healthy" / f"{name}.json")
        print(f"recordings: {path.relative_to(ROOT)}")
    Lab().down([STRICTER_HOST])


def unprepared(names: list[str] | None = None) -> None:
    from core.remote import Remote
    from provision.lab import Lab
    from tests.labtools import bootstrap_server

    for name in names or list(UNPREPARED):
        what, script = UNPREPARED[name]
        host, _, _ = bootstrap_server(STRICTER_HOST)
        Remote(host).run("sh -c %s", script, timeout=60)
        rec = record([STRICTER_HOST], comment=f"pre-flight fails: {what}")[STRICTER_HOST]
        path = rec.save(RECORDINGS / "unprepared" / f"{name}.json")
        print(f"recordings: {path.relative_to(ROOT)}")
    Lab().down([STRICTER_HOST])


def faults(ids: list[str] | None = None) -> None:
    from core.remote import Remote
    from provision.faults import apply, load
    from provision.faults.__main__ import bootstrap_cluster
    from provision.lab import Lab
    from tests.labtools import bootstrap_server

    chosen = [f for f in load() if not ids or f.id in ids]
    lab = [f for f in chosen if f.profile == "lab"]
    for i in range(0, len(lab), len(FAULT_HOSTS)):
        batch = lab[i:i + len(FAULT_HOSTS)]
        hosts = FAULT_HOSTS[:len(batch)]
        Lab().reset(list(hosts))

        def broken(pair):
            host_name, fault = pair
            host, member, _ = bootstrap_server(host_name, reset=False)
            apply(fault, Remote(host), member)
            return record([host_name], comment=f"fault {fault.id}: {fault.title}")[host_name]

        with ThreadPoolExecutor(len(hosts)) as pool:
            for fault, rec in zip(batch, pool.map(broken, zip(hosts, batch))):
                path = rec.save(RECORDINGS / "faults" / f"{fault.id}.json")
                print(f"recordings: {path.relative_to(ROOT)}")
    Lab().down(list(FAULT_HOSTS))
    production = [f for f in chosen if f.profile == "production"]
    for i in range(0, len(production), len(CLUSTERS)):
        batch = production[i:i + len(CLUSTERS)]
        clusters = CLUSTERS[:len(batch)]
        Lab().reset([h for c in clusters for h in c])

        def broken_cluster(pair):
            fault, hosts = pair
            members = bootstrap_cluster(hosts)
            remote, member = members[hosts[0]]
            apply(fault, remote, member, peers={h: members[h] for h in hosts[1:]})
            return record(hosts, profile="production", comment=f"fault {fault.id} on {hosts[0]}: {fault.title}")

        with ThreadPoolExecutor(len(clusters)) as pool:
            for fault, recs in zip(batch, pool.map(broken_cluster, zip(batch, clusters))):
                for role, (host, rec) in zip(("member", "peer-1", "peer-2"), recs.items()):
                    path = rec.save(RECORDINGS / "faults" / fault.id / f"{role}.json")
                    print(f"recordings: {path.relative_to(ROOT)}")
    Lab().down([h for c in CLUSTERS for h in c])


def main(argv: list[str]) -> int:
    what, *names = argv or ["all"]
    if what in ("all", "healthy"):
        healthy(names if what == "healthy" else None)
    if what in ("all", "stricter"):
        stricter(names if what == "stricter" else None)
    if what in ("all", "unprepared"):
        unprepared(names if what == "unprepared" else None)
    if what in ("all", "faults"):
        faults(names if what == "faults" else None)
    if what not in ("all", "healthy", "stricter", "unprepared", "faults"):
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
