"""The certificates the etcd step copies to /etc/etcd: ca.crt, kube-api-server.key, kube-api-server.crt.

They come from a directory the user names (KTHW step 4's output), or are generated once for the lab:
a CA and a server certificate with the kube-api-server names of KTHW's ca.conf.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from provision.model import Member

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


def generate(dest: Path, member: Member, bits: int = 2048) -> None:
    """A CA and a kube-api-server certificate signed by it, written with the key 0600."""
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("CA")).issuer_name(_name("CA"))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3653))
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    sans = [x509.DNSName(d) for d in KUBE_API_SERVER_DNS] + [
        x509.IPAddress(ipaddress.ip_address(i)) for i in KUBE_API_SERVER_IPS
    ]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("kubernetes")).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3653))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    dest.mkdir(parents=True, exist_ok=True)
    files = {
        member.ca_cert: (ca.public_bytes(serialization.Encoding.PEM), 0o644),
        member.server_key: (_pem_key(key), 0o600),
        member.server_cert: (cert.public_bytes(serialization.Encoding.PEM), 0o644),
        "ca.key": (_pem_key(ca_key), 0o600),
    }
    for name, (data, mode) in files.items():
        path = dest / name
        fd = os.open(path.with_suffix(path.suffix + ".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(path.with_suffix(path.suffix + ".tmp"), path)


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
