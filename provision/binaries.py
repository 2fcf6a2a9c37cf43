"""etcd and etcdctl in KTHW's layout: ``downloads/controller/etcd`` and ``downloads/client/etcdctl``.

Sources:
  debian         Debian 12's etcd-server / etcd-client packages (etcd 3.4.23), fetched with apt-get download
  debian-trixie  Debian 13's etcd-server / etcd-client (etcd 3.5.x), fetched from Debian's archive: the suite's
                 signed InRelease checked with gpgv and Debian's keyring, then Packages.xz and each .deb by SHA256

    python -m provision.binaries [--source debian|debian-trixie] [--arch amd64|arm64...] [--dest DIR]

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
import re
from dataclasses import dataclass
from pathlib import Path

from core.version import VersionError, etcd_version

ROOT = Path(__file__).resolve().parent.parent
SOURCES = {
    "debian": {"packages": ("etcd-server", "etcd-client"), "version": "3.4.23"},
    "debian-trixie": {"packages": ("etcd-server", "etcd-client"), "suite": "trixie"},
}
ARCHIVE = "http://deb.debian.org/debian"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
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
        """The version ``etcd --version`` prints (run locally), or the package's for another architecture."""
        if self.source().get("arch", "amd64") != "amd64":
            return self.source().get("version", "")
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


def _install(files: dict[str, Path], dest: Path, source: str, version: str, arch: str = "amd64") -> None:
    tmp = Path(tempfile.mkdtemp(prefix=".binaries-", dir=dest.parent))
    os.chmod(tmp, 0o755)
    try:
        for name, src in files.items():
            target = tmp / LAYOUT[name]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
            os.chmod(target, 0o755)
        (tmp / "SOURCE.json").write_text(json.dumps({"source": source, "version": version, "arch": arch}) + "\n")
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


def _get(url: str, dest: Path) -> Path:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=60) as resp, open(dest, "wb") as fh:
            shutil.copyfileobj(resp, fh)
    except OSError as exc:
        raise BinariesError(f"cannot fetch {url}: {exc}") from None
    return dest


def _sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def archive_debs(suite: str, packages: tuple[str, ...], arch: str, work: Path) -> list[Path]:
    """The packages' .deb files of one suite and architecture from Debian's archive, each verified:
    InRelease's signature (gpgv, Debian's keyring) → Packages.xz's SHA256 → each .deb's SHA256."""
    import lzma

    inrelease = _get(f"{ARCHIVE}/dists/{suite}/InRelease", work / "InRelease")
    check = subprocess.run(["gpgv", "--keyring", KEYRING, str(inrelease)], capture_output=True, text=True, timeout=60)
    if check.returncode != 0:
        raise BinariesError(f"{suite}/InRelease: bad or unknown signature ({check.stderr.strip()[-160:]})")
    index = f"main/binary-{arch}/Packages.xz"
    sums = re.findall(r"^ ([0-9a-f]{64}) +\d+ (\S+)$", inrelease.read_text(), re.MULTILINE)
    want = next((h for h, name in sums if name == index), None)
    if want is None:
        raise BinariesError(f"{suite} has no {index} (architecture {arch!r}?)")
    packages_xz = _get(f"{ARCHIVE}/dists/{suite}/{index}", work / "Packages.xz")
    if _sha256(packages_xz) != want:
        raise BinariesError(f"{suite}/{index}: SHA256 does not match the signed InRelease")
    stanzas = lzma.decompress(packages_xz.read_bytes()).decode().split("\n\n")
    out = []
    for pkg in packages:
        stanza = next((s for s in stanzas if re.search(rf"^Package: {re.escape(pkg)}$", s, re.MULTILINE)), None)
        if stanza is None:
            raise BinariesError(f"{suite} ({arch}) has no package {pkg}")
        filename = re.search(r"^Filename: (\S+)$", stanza, re.MULTILINE).group(1)
        digest = re.search(r"^SHA256: (\S+)$", stanza, re.MULTILINE).group(1)
        deb = _get(f"{ARCHIVE}/{filename}", work / Path(filename).name)
        if _sha256(deb) != digest:
            raise BinariesError(f"{filename}: SHA256 does not match the archive's Packages index")
        out.append(deb)
    return out


def extract_debs(debs: list[Path], work: Path) -> dict[str, Path]:
    for deb in debs:
        subprocess.run(["dpkg-deb", "-x", str(deb), str(work / "x")], check=True, timeout=120)
    files = {"etcd": work / "x/usr/bin/etcd", "etcdctl": work / "x/usr/bin/etcdctl"}
    for name, path in files.items():
        if not path.is_file():
            raise BinariesError(f"the Debian packages hold no {name} at /usr/bin/{name}")
    return files


def fetch_archive(dest: Path, source: str = "debian-trixie", arch: str = "amd64") -> None:
    spec = SOURCES[source]
    with tempfile.TemporaryDirectory() as work:
        files = extract_debs(archive_debs(spec["suite"], spec["packages"], arch, Path(work)), Path(work))
        if arch == "amd64":
            version = etcd_version(run_version(files["etcd"]))
        else:  # not runnable here: the version is the package's
            version = next(Path(work).glob("etcd-server_*.deb")).name.split("_")[1].split("-")[0]
        _install(files, dest, source, version, arch)


FETCHERS = {"debian": fetch_debian, "debian-trixie": fetch_archive}


def ensure(source: str = "debian", dest: Path | None = None, arch: str = "amd64") -> Binaries:
    """Fill ``dest`` from ``source`` unless it already holds binaries (theirs, or from that source)."""
    if source not in FETCHERS:
        raise BinariesError(f"unknown source {source!r}; choose one of: {', '.join(FETCHERS)}")
    dest = Path(dest or ROOT / "downloads")
    b = Binaries(dest)
    if b.present() and (not b.source() or (b.source().get("source") == source
                                           and b.source().get("arch", "amd64") == arch)):
        return b
    if arch != "amd64" and source != "debian-trixie":
        raise BinariesError(f"--arch {arch}: only the debian-trixie source serves other architectures")
    dest.parent.mkdir(parents=True, exist_ok=True)
    if source == "debian-trixie":
        fetch_archive(dest, source, arch)
    else:
        FETCHERS[source](dest)
    return b


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m provision.binaries", description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default="debian", choices=sorted(FETCHERS))
    parser.add_argument("--arch", default="amd64", help="Debian architecture (debian-trixie only), e.g. arm64")
    parser.add_argument("--dest", default=str(ROOT / "downloads"))
    args = parser.parse_args(argv)
    try:
        b = ensure(args.source, Path(args.dest), args.arch)
        origin = b.source().get("source", "your own files")
        print(f"binaries: {b.root}: etcd {b.version()} ({origin})")
    except (BinariesError, subprocess.SubprocessError) as exc:
        print(f"binaries: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
