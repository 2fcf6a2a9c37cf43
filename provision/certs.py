"""The certificates the etcd step copies to /etc/etcd: ca.crt, kube-api-server.key, kube-api-server.crt.

They come from a directory the user names (KTHW step 4's output), or are generated once for the lab:
a CA and a server certificate with the kube-api-server names of KTHW's ca.conf.
"""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from core.files import atomic_write, locked
from core.model import Member

ROOT = Path(__file__).resolve().parent.parent
KUBE_API_SERVER_DNS = (
    "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster",
    "kubernetes.svc.cluster.local", "server.kubernetes.local", "api-server.kubernetes.local",
)
KUBE_API_SERVER_IPS = ("127.0.0.1", "10.32.0.1")


class CertsError(RuntimeError):
    pass


def _name(cn: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "Washington"),
        x509.NameAttribute(NameOID.LOCALITY_NAME, "Seattle"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def _pem_key(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)


def new_ca(bits: int = 2048):
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("CA")).issuer_name(_name("CA"))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(_now()).not_valid_after(_now() + datetime.timedelta(days=3653))
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def issue(ca, ca_key, cn: str, dns: tuple[str, ...] = (), ips: tuple[str, ...] = (), server: bool = True, bits: int = 2048,
          valid: tuple[int, int] = (0, 3653), usages: list | None = None, key=None):
    """A certificate signed by the CA, for TLS servers (and their peers) or clients; ``valid`` is (from, to)
    in days from now; ``usages`` the extended key usages (default: server and client, or client only)."""
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=bits)
    if usages is None:
        usages = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH] if server else [
            ExtendedKeyUsageOID.CLIENT_AUTH]
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn)).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(_now() + datetime.timedelta(days=valid[0]))
        .not_valid_after(_now() + datetime.timedelta(days=valid[1]))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    )
    if usages:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    sans = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def generate(dest: Path, member: Member, bits: int = 2048) -> None:
    """A CA and a kube-api-server certificate signed by it (KTHW's names), written with the keys 0600."""
    ca, ca_key = new_ca(bits)
    cert, key = issue(ca, ca_key, "kubernetes", KUBE_API_SERVER_DNS, KUBE_API_SERVER_IPS, bits=bits)
    atomic_write(dest / member.ca_cert, pem(ca), 0o644)
    atomic_write(dest / "ca.key", _pem_key(ca_key), 0o600)
    atomic_write(dest / member.server_key, _pem_key(key), 0o600)
    atomic_write(dest / member.server_cert, pem(cert), 0o644)


def _one_at_a_time(fn):
    """Certificates are made by one process (or thread) at a time: test runs side by side in a fresh checkout
    must not make two CAs for one cluster (a member issued by one, its peers by the other)."""
    import functools

    @functools.wraps(fn)
    def one(*args, **kwargs):
        with locked(ROOT / ".lab" / ".certs.lock"):
            return fn(*args, **kwargs)

    return one


@_one_at_a_time
def ensure_production(member: Member, address: str, directory: Path | None = None) -> dict[str, Path]:
    """The production profile's files for one member: the shared CA, the member's server/peer certificate
    (its name and address in the SANs) and etcdctl's client certificate; generated once, keys 0600."""
    from provision.profiles import CA_CERT, CLIENT_CERT, CLIENT_KEY, SERVER_CERT, SERVER_KEY

    base = directory or ROOT / ".lab" / "certs-production"
    if not (base / CA_CERT).is_file() or not (base / "ca.key").is_file():
        ca, ca_key = new_ca()
        atomic_write(base / "ca.key", _pem_key(ca_key), 0o600)
        atomic_write(base / CA_CERT, pem(ca), 0o644)
    ca = x509.load_pem_x509_certificate((base / CA_CERT).read_bytes())
    ca_key = serialization.load_pem_private_key((base / "ca.key").read_bytes(), password=None)
    own = base / member.name
    marker = own / "address"
    if not marker.is_file() or marker.read_text().strip() != address or not (own / SERVER_CERT).is_file():
        cert, key = issue(ca, ca_key, member.name, (member.name, f"{member.name}.kubernetes.local", "localhost"),
                          (address, "127.0.0.1"))
        atomic_write(own / SERVER_KEY, _pem_key(key), 0o600)
        atomic_write(own / SERVER_CERT, pem(cert), 0o644)
        client, client_key = issue(ca, ca_key, "etcdctl", server=False)
        atomic_write(own / CLIENT_KEY, _pem_key(client_key), 0o600)
        atomic_write(own / CLIENT_CERT, pem(client), 0o644)
        atomic_write(marker, (address + "\n").encode(), 0o644)
    return {CA_CERT: base / CA_CERT, SERVER_KEY: own / SERVER_KEY, SERVER_CERT: own / SERVER_CERT,
            CLIENT_KEY: own / CLIENT_KEY, CLIENT_CERT: own / CLIENT_CERT}


@_one_at_a_time
def ensure(member: Member, directory: Path | None = None) -> dict[str, Path]:
    """The three files by name: from ``directory`` when given, else the lab's (generated once)."""
    if directory is not None:
        files = {n: Path(directory) / n for n in member.certificates}
        missing = [str(p) for p in files.values() if not p.is_file()]
        if missing:
            raise CertsError(f"certificate directory {directory}: missing {', '.join(missing)}")
        return files
    lab = ROOT / ".lab" / "certs"
    if not all((lab / n).is_file() for n in member.certificates):
        generate(lab, member)
    return {n: lab / n for n in member.certificates}


KTHW_2020_DNS = ("kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster",
                 "kubernetes.svc.cluster.local")
KTHW_2020_SERVICE_IP = "10.32.0.1"


@_one_at_a_time
def ensure_kthw_2020(cluster: dict[str, str], directory: Path | None = None) -> dict[str, Path]:
    """The 2020 edition's step 4: a CA (ca.pem) and one ``kubernetes`` certificate (kubernetes.pem,
    kubernetes-key.pem) for the API server, every etcd member, its peers and etcdctl, naming 10.32.0.1,
    every controller's address, 127.0.0.1 and the kubernetes.default names. Generated once per cluster."""
    from core.editions import KTHW_2020_TLS as tls

    base = directory or ROOT / ".lab" / "certs-kthw-2020"
    ips = (KTHW_2020_SERVICE_IP, *sorted(cluster.values()), "127.0.0.1")
    marker = base / "addresses"
    if not marker.is_file() or marker.read_text().split() != list(ips) or not (base / tls.server_cert).is_file():
        ca, ca_key = new_ca()
        cert, key = issue(ca, ca_key, "kubernetes", KTHW_2020_DNS, ips)
        atomic_write(base / "ca-key.pem", _pem_key(ca_key), 0o600)
        atomic_write(base / tls.ca, pem(ca), 0o644)
        atomic_write(base / tls.server_key, _pem_key(key), 0o600)
        atomic_write(base / tls.server_cert, pem(cert), 0o644)
        atomic_write(marker, " ".join(ips) + "\n", 0o644)
    return {name: base / name for name in tls.certificates()}


def ensure_cluster(member: Member, address: str, edition, cluster: dict[str, str]) -> dict[str, Path]:
    """The TLS files of one member of a cluster edition, made as that edition's step 4 makes them: one certificate
    for every member, its peers and etcdctl (the 2020 editions), or one per member and one for etcdctl."""
    if edition.tls is not None and edition.tls.shared:
        return ensure_kthw_2020(cluster)
    return ensure_production(member, address)
