"""What distance costs: the audit, a class's audit and the bootstrap of lab hosts made far away by a delaying
proxy on loopback (bench/delayproxy.py), against the floor and a hand-written pytest-testinfra file.

    .venv/bin/python bench/wan.py [--runs 3] [--rtt 0,50,100,200] [--hosts 10] [--only floor,audit]

At each round trip (ms) it measures, whole processes, medians of --runs:
  floor      ssh HOST etcdctl member list (OpenSSH, one connection, one command)
  audit 1    pytest features/ --hosts=wan-0
  audit N    pytest features/ --hosts=wan-0..N-1 (each host behind a proxy of its own)
  testinfra  pytest bench/testinfra_core (twelve core checks written by hand, testinfra's own backend)
  bootstrap  python -m provision.bootstrap on a freshly reset wan-0
  by hand    the reference: one scp of the binaries, the unit and the certificates, then one ssh running the
             tutorial's commands (on a freshly reset wan-0)
and prints seconds, round trips (seconds over the round trip) and the ratios; then where the audit of one host
spends them, by phase (``phases``, one process, medians): pytest's start and collection (no host), the SSH
connection, the pre-flight round (which carries the first round of evidence), the rest of the gathering (what the
first answers name, and etcdctl's requests), and the rest of the audit (judging and reporting 85 scenarios: the
audit's time less the others, which overlap it: the connection and the rounds run while pytest starts); and
``pytest alone``, pytest with the same plugins started in an empty directory (no suite). Traffic goes only to the lab's own hosts, through proxies on 127.0.0.1. Uses lab
hosts wan-0..N-1 (bootstrapped here, left up).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.path.insert(0, str(ROOT))

from bench.delayproxy import DelayProxy  # noqa: E402
from provision.lab import Lab  # noqa: E402

PY = sys.executable
LIMIT = 600  # seconds for any one measured process


def ssh_config(path: Path, ports: dict[str, int], addresses: dict[str, str]) -> str:
    blocks = [f"Host {name}\n  HostName 127.0.0.1\n  Port {port}\n  HostKeyAlias {addresses[name]}\n  User root\n"
              f"  IdentityFile {ROOT / '.lab/id_ed25519'}\n  IdentitiesOnly yes\n"
              f"  UserKnownHostsFile {ROOT / '.lab/known_hosts'}\n" for name, port in ports.items()]
    path.write_text("\n".join(blocks))
    return str(path)


def timed(cmd: list[str], cwd: Path = ROOT) -> tuple[float, int]:
    start = time.perf_counter()
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=LIMIT)
    return time.perf_counter() - start, out.returncode


def by_hand(config: str, host: str) -> list[str]:
    """The tutorial's commands as a student types them: one scp, one ssh."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([PY, "-m", "provision.render", "--member", host, "-o", f"{tmp}/etcd.service"], cwd=ROOT,
                       check=True, capture_output=True)
        files = [str(ROOT / "downloads/controller/etcd"), str(ROOT / "downloads/client/etcdctl"), f"{tmp}/etcd.service",
                 *(str(ROOT / ".lab/certs" / n) for n in ("ca.crt", "kube-api-server.key", "kube-api-server.crt"))]
        steps = ("mv etcd etcdctl /usr/local/bin/ && mkdir -p /etc/etcd /var/lib/etcd && chmod 700 /var/lib/etcd && "
                 "cp ca.crt kube-api-server.key kube-api-server.crt /etc/etcd/ && mv etcd.service /etc/systemd/system/ "
                 "&& systemctl daemon-reload && systemctl enable etcd && systemctl start etcd")
        start = time.perf_counter()
        subprocess.run(["scp", "-q", "-F", config, *files, f"{host}:"], check=True, timeout=LIMIT)
        subprocess.run(["ssh", "-F", config, host, steps], check=True, capture_output=True, timeout=LIMIT)
        return [str(time.perf_counter() - start)]


def phases(config: str, name: str, runs: int) -> dict[str, float]:
    """Seconds of each phase of one host's audit, medians of ``runs`` (each with a connection of its own)."""
    from core import ssh
    from core.model import Member
    from core.remote import Remote
    from checks.editions import probe
    from suite.evidence import first_round, gather
    from suite.target import preflight_or_fail

    import testinfra

    ssh.install()
    got: dict[str, list[float]] = {"connect": [], "pre-flight round": [], "gathering": []}
    member = Member(name=name)
    for _ in range(runs):
        host = testinfra.backend.get_backend(f"paramiko://{name}", ssh_config=config)
        remote = Remote(testinfra.host.Host(host))
        start = time.perf_counter()
        host.client  # the connection: TCP, key exchange, authentication
        got["connect"].append(time.perf_counter() - start)
        start = time.perf_counter()
        preflight_or_fail(remote, name, [("hostname -s", None), *first_round(member, "lab", [probe(member)])])
        got["pre-flight round"].append(time.perf_counter() - start)
        start = time.perf_counter()
        gather(remote, member, "lab", also=[probe(member)])
        got["gathering"].append(time.perf_counter() - start)
        host.client.close()
    collect = [PY, "-m", "pytest", "features/", "--collect-only", "-q", "-p", "no:cacheprovider", f"--hosts={name}",
               f"--ssh-config={config}"]
    out = {label: statistics.median(v) for label, v in got.items()}
    out["start + collection"] = statistics.median(timed(collect)[0] for _ in range(runs))
    return out


def pytest_alone(runs: int) -> float:
    """pytest with the plugins the suite installs, started in an empty directory (no conftest, no features): what
    any audit run through pytest costs before the suite's own first line."""
    with tempfile.TemporaryDirectory() as empty:
        cmd = [PY, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
        return statistics.median(timed(cmd, cwd=Path(empty))[0] for _ in range(runs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rtt", default="0,50,100,200", help="round trips in ms")
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--only", default="", help="the measures to take, by the start of their label "
                                                   "(floor,audit,testinfra,bootstrap,by hand; default all)")
    args = parser.parse_args()
    only = [o.strip() for o in args.only.split(",") if o.strip()]
    wanted = lambda label: not only or any(label.startswith(o) for o in only) or label == "floor"  # noqa: E731
    names = [f"wan-{i}" for i in range(args.hosts)]
    lab = Lab()
    lab.up(names)
    boot = subprocess.run([PY, "-m", "provision.bootstrap", f"--hosts={','.join(names)}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=LIMIT)
    if boot.returncode != 0:
        print(boot.stdout[-2000:], boot.stderr[-2000:])
        return 1
    addresses = lab.addresses()
    print(f"{'rtt ms':>6} {'measure':<10} {'seconds':>8} {'round trips':>12} {'x floor':>8} {'x testinfra':>12}")
    for rtt in [int(x) for x in args.rtt.split(",")]:
        with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
            proxies = {n: stack.enter_context(DelayProxy((addresses[n], 22), rtt / 2000)) for n in names}
            config = ssh_config(Path(tmp) / "ssh_config", {n: p.port for n, p in proxies.items()}, addresses)
            audit = [PY, "-m", "pytest", "features/", "-q", "-p", "no:cacheprovider", "--junitxml=/dev/null",
                     f"--html={tmp}/r.html", f"--cucumberjson={tmp}/c.json", f"--etcd-report={tmp}/i.html",
                     f"--ssh-config={config}"]
            measures = {
                "floor": ["ssh", "-F", config, names[0], "ETCDCTL_API=3 etcdctl member list"],
                "audit 1": [*audit, f"--hosts={names[0]}"],
                f"audit {len(names)}": [*audit, f"--hosts={','.join(names)}"],
                "testinfra": [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", "/dev/null",
                              "--confcutdir", str(ROOT / "bench"), str(ROOT / "bench/testinfra_core"),
                              f"--hosts={names[0]}", f"--ssh-config={config}"],
            }
            got: dict[str, float] = {}
            for label, cmd in measures.items():
                if not wanted(label):
                    continue
                runs = [timed(cmd) for _ in range(args.runs)]
                if any(rc not in (0,) for _, rc in runs):
                    print(f"{rtt:>6} {label:<10} failed (exit {[rc for _, rc in runs]}): {shlex.join(cmd)[:200]}")
                got[label] = statistics.median(s for s, _ in runs)
            for label, tool in (("bootstrap", "suite"), ("by hand", "hand")):
                if not wanted(label):
                    continue
                runs = []
                for _ in range(args.runs):
                    with contextlib.redirect_stdout(io.StringIO()):
                        lab.reset([names[0]])
                    if tool == "suite":
                        runs.append(timed([PY, "-m", "provision.bootstrap", f"--hosts={names[0]}",
                                           f"--ssh-config={config}"])[0])
                    else:
                        runs.append(float(by_hand(config, names[0])[0]))
                got[label] = statistics.median(runs)
            for label, seconds in got.items():
                trips = f"{seconds / (rtt / 1000):12.1f}" if rtt else f"{'-':>12}"
                vs_testinfra = f"{seconds / got['testinfra']:12.2f}" if "testinfra" in got else f"{'-':>12}"
                print(f"{rtt:>6} {label:<10} {seconds:8.2f} {trips} {seconds / got['floor']:8.2f} {vs_testinfra}",
                      flush=True)
            if "audit 1" in got:
                parts = phases(config, names[0], args.runs)
                parts["judging, reporting"] = max(got["audit 1"] - sum(parts.values()), 0.0)
                print(f"{rtt:>6} audit 1 by phase: " + ", ".join(
                    f"{label} {sec:.2f} s" + (f" ({sec / (rtt / 1000):.1f} rt)" if rtt else "")
                    for label, sec in parts.items()) + f"; pytest alone {pytest_alone(args.runs):.2f} s", flush=True)
            if rtt and {"bootstrap", "by hand", "audit 1", f"audit {len(names)}"} <= set(got):
                print(f"{rtt:>6} audit 1 vs by hand: bootstrap / by hand = {got['bootstrap'] / got['by hand']:.2f}; "
                      f"audit {len(names)} / audit 1 = {got[f'audit {len(names)}'] / got['audit 1']:.2f}", flush=True)
    lab.reset([names[0]])
    subprocess.run([PY, "-m", "provision.bootstrap", f"--hosts={names[0]}"], cwd=ROOT, capture_output=True, timeout=LIMIT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
