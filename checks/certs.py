"""The certificates in /etc/etcd: they parse, the key matches the certificate, which chains to the CA.

The files are read over SSH (``cat``; nothing changes on the host) and judged locally with the
``cryptography`` package. The key's content never reaches the evidence: only a summary does.
"""

from __future__ import annotations

import functools

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from core.evidence import Evidence, Result
from core.remote import Remote
from core.model import TUTORIAL_URL, Member

SEE = TUTORIAL_URL + "#configure-the-etcd-server"


def summary(cert: x509.Certificate) -> str:
    return (
        f"subject={cert.subject.rfc4514_string()} issuer={cert.issuer.rfc4514_string()} "
        f"notAfter={cert.not_valid_after_utc:%Y-%m-%d}"
    )


@functools.lru_cache(maxsize=64)
def load_certificate(data: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(data)


@functools.lru_cache(maxsize=64)  # an RSA key's checks take ~50 ms; two scenarios read the same key
def load_key(data: bytes):
    return serialization.load_pem_private_key(data, password=None)


def key_matches(cert: x509.Certificate, key) -> bool:
    pub = serialization.PublicFormat.SubjectPublicKeyInfo
    enc = serialization.Encoding.DER
    return cert.public_key().public_bytes(enc, pub) == key.public_key().public_bytes(enc, pub)


def signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    if cert.issuer != ca.subject:
        return False
    pub = ca.public_key()
    try:
        if isinstance(pub, rsa.RSAPublicKey):
            pub.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
        elif isinstance(pub, ec.EllipticCurvePublicKey):
            pub.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        else:
            pub.verify(cert.signature, cert.tbs_certificate_bytes)
    except Exception:
        return False
    return True


def _read(remote: Remote, path: str) -> tuple[Evidence, bytes | None]:
    ev = remote.read(path)
    data = ev.stdout.encode() if ev.ok else None
    ev.stdout = f"({len(ev.stdout)} bytes read)" if ev.ok else ev.stdout  # content stays out of the evidence
    return ev, data


def parses(remote: Remote, member: Member, name: str) -> Result:
    path = member.config_file(name)
    ev, data = _read(remote, path)
    is_key = member.is_key(name)
    what = f"{path} is a PEM {'private key' if is_key else 'X.509 certificate'}"
    if data is None:
        return Result(what, False, "a readable file", "cannot read it", [ev], f"cp {name} {member.config_dir}/", SEE)
    try:
        if is_key:
            key = load_key(data)
            found = f"{type(key).__name__.lstrip('_')} of {key.key_size} bits"
        else:
            found = summary(load_certificate(data))
        ok = True
    except (ValueError, TypeError) as exc:
        found, ok = f"does not parse: {exc}", False
    ev.note = found
    return Result(what, ok, "it parses", found, [ev], f"copy a valid {name} from step 4's output: cp {name} {member.config_dir}/", SEE)


def key_pair(remote: Remote, member: Member) -> Result:
    cert_path, key_path = member.config_file(member.server_cert), member.config_file(member.server_key)
    ev1, cert_data = _read(remote, cert_path)
    ev2, key_data = _read(remote, key_path)
    what = f"{key_path} is the key of {cert_path}"
    fix = f"copy the matching pair from step 4: cp {member.server_key} {member.server_cert} {member.config_dir}/"
    try:
        cert, key = load_certificate(cert_data or b""), load_key(key_data or b"")
    except (ValueError, TypeError) as exc:
        return Result(what, False, "both parse", f"cannot load them: {exc}", [ev1, ev2], fix, SEE)
    ok = key_matches(cert, key)
    return Result(what, ok, "the certificate's public key is the key's", "they match" if ok else "different keys",
                  [ev1, ev2], fix, SEE)


def chain(remote: Remote, member: Member) -> Result:
    cert_path, ca_path = member.config_file(member.server_cert), member.config_file(member.ca_cert)
    ev1, cert_data = _read(remote, cert_path)
    ev2, ca_data = _read(remote, ca_path)
    what = f"{cert_path} is signed by {ca_path}"
    fix = f"copy the CA and certificate of the same step 4 run: cp {member.ca_cert} {member.server_cert} {member.config_dir}/"
    try:
        cert, ca = load_certificate(cert_data or b""), load_certificate(ca_data or b"")
    except (ValueError, TypeError) as exc:
        return Result(what, False, "both parse", f"cannot load them: {exc}", [ev1, ev2], fix, SEE)
    ok = signed_by(cert, ca)
    ev1.note, ev2.note = summary(cert), summary(ca)
    return Result(what, ok, f"issuer {ca.subject.rfc4514_string()}, signature valid",
                  "signed by the CA" if ok else f"issuer {cert.issuer.rfc4514_string()}, signature not valid for this CA",
                  [ev1, ev2], fix, SEE)


def names_addresses(remote: Remote, member: Member) -> Result:
    """The server certificate names every address clients and peers reach the member at (its SANs)."""
    from urllib.parse import urlsplit

    cert_path = member.config_file(member.server_cert)
    ev, data = _read(remote, cert_path)
    hosts = sorted({urlsplit(u).hostname for u in member.client_urls + member.peer_urls} - {None})
    what = f"{cert_path} names {', '.join(hosts)}"
    fix = (f"issue the member's certificate with its name and address in the subject alternative names "
           f"(step 4's ca.conf), then cp it to {member.config_dir}/ and systemctl restart {member.service}")
    try:
        cert = load_certificate(data or b"")
    except (ValueError, TypeError) as exc:
        return Result(what, False, ", ".join(hosts), f"cannot load it: {exc}", [ev], fix, SEE)
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = set(sans.get_values_for_type(x509.DNSName)) | {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)}
    except x509.ExtensionNotFound:
        names = set()
    missing = [h for h in hosts if h not in names]
    ev.note = f"SANs: {', '.join(sorted(names)) or 'none'}"
    return Result(what, not missing, ", ".join(hosts), f"missing {', '.join(missing)}" if missing else "all named",
                  [ev], fix, SEE)
