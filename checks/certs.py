"""The certificates in /etc/etcd: they parse, are within their validity period, the key matches the
certificate, which is signed by the CA (RSA PKCS#1 v1.5 or PSS, ECDSA, Ed25519: the cryptography
library's own issuer verification).

The files are read over SSH (``cat``; nothing changes on the host) and judged locally with the
``cryptography`` package. The key's content never reaches the evidence: only a summary does.
"""

from __future__ import annotations

import datetime
import functools

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from core.evidence import Evidence, Result
from core.i18n import N_
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


@functools.lru_cache(maxsize=64)  # an RSA key's checks are slow; two scenarios read the same key
def load_key(data: bytes):
    """The key file's key: the private key, or its public key where the evidence was reduced to it
    (core.answers.reduce_secrets: what is judged of a key, its kind, size and pair, is the same)."""
    if b"-----BEGIN PUBLIC KEY-----" in data:
        return serialization.load_pem_public_key(data)
    return serialization.load_pem_private_key(data, password=None)


def public_of(key):
    return key.public_key() if hasattr(key, "public_key") else key


def key_matches(cert: x509.Certificate, key) -> bool:
    pub = serialization.PublicFormat.SubjectPublicKeyInfo
    enc = serialization.Encoding.DER
    return cert.public_key().public_bytes(enc, pub) == public_of(key).public_bytes(enc, pub)


EXPIRY_WARNING = datetime.timedelta(days=30)


def key_kind(key) -> str:
    name = type(key).__name__.lstrip("_").replace("PublicKey", "").replace("PrivateKey", "")
    size = getattr(key, "key_size", None)
    return f"{name}{f' {size}' if size else ''}"


def issued_by(cert: x509.Certificate, ca: x509.Certificate) -> str:
    """'' when ``ca`` signed ``cert``; else which of: wrong CA, wrong key type, bad signature."""
    if cert.issuer != ca.subject:
        return N_("wrong CA: issued by {rfc4514_string}, the CA is {rfc4514_string2}").format(rfc4514_string=cert.issuer.rfc4514_string(), rfc4514_string2=ca.subject.rfc4514_string())
    try:
        cert.verify_directly_issued_by(ca)
    except InvalidSignature:
        return N_("bad signature: not made by this CA's {key_kind} key").format(key_kind=key_kind(ca.public_key()))
    except (TypeError, UnsupportedAlgorithm) as exc:
        return N_("wrong key type: the CA's {key_kind} key cannot have made this signature ({exc})").format(key_kind=key_kind(ca.public_key()), exc=exc)
    except ValueError as exc:
        return N_("wrong key type or signature algorithm: {exc}").format(exc=exc)
    return ""


def validity(cert: x509.Certificate, now: datetime.datetime | None = None) -> tuple[bool, str, str]:
    """(valid now, what was found, warning): not yet valid and expired fail; expiring within 30 days warns."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    span = N_("valid from {start} to {end} UTC").format(start=format(start, '%Y-%m-%d %H:%M'), end=format(end, '%Y-%m-%d %H:%M'))
    if now < start:
        return False, N_("not yet valid: {span} (the clock says {now})").format(span=span, now=format(now, '%Y-%m-%d %H:%M')), ""
    if now > end:
        return False, N_("expired: {span} ({days} days ago)").format(span=span, days=(now - end).days), ""
    left = end - now
    warning = N_("expires in {days} days ({end}): renew it soon").format(days=left.days, end=format(end, '%Y-%m-%d')) if left < EXPIRY_WARNING else ""
    return True, span, warning


def _read(remote: Remote, path: str) -> tuple[Evidence, bytes | None]:
    ev = remote.read(path)
    data = ev.stdout.encode() if ev.ok else None
    ev.stdout = N_("({value} bytes read)").format(value=len(ev.stdout)) if ev.ok else ev.stdout  # content stays out of the evidence
    return ev, data


def parses(remote: Remote, member: Member, name: str) -> Result:
    path = member.config_file(name)
    ev, data = _read(remote, path)
    is_key = member.is_key(name)
    what = (N_("{path} is a PEM private key") if is_key else N_("{path} is a PEM X.509 certificate")).format(path=path)
    if data is None:
        return Result(
            what=what, ok=False, expected=N_("a readable file"), found=N_("cannot read it"), evidence=[ev],
            fix=f"cp {name} {member.config_dir}/", see=SEE)
    try:
        if is_key:
            found = key_kind(load_key(data)) + " key"
        else:
            found = summary(load_certificate(data))
        ok = True
    except (ValueError, TypeError) as exc:
        found, ok = N_("does not parse: {exc}").format(exc=exc), False
    ev.note = found
    return Result(
        what=what, ok=ok, expected=N_("it parses"), found=found, evidence=[ev],
        fix=N_("copy a valid {name} from step 4's output: cp {name} {config_dir}/").format(name=name, config_dir=member.config_dir), see=SEE)


def key_pair(remote: Remote, member: Member) -> Result:
    cert_path, key_path = member.config_file(member.server_cert), member.config_file(member.server_key)
    ev1, cert_data = _read(remote, cert_path)
    ev2, key_data = _read(remote, key_path)
    what = N_("{key_path} is the key of {cert_path}").format(key_path=key_path, cert_path=cert_path)
    fix = N_("copy the matching pair from step 4: cp {server_key} {server_cert} {config_dir}/").format(server_key=member.server_key, server_cert=member.server_cert, config_dir=member.config_dir)
    try:
        cert, key = load_certificate(cert_data or b""), load_key(key_data or b"")
    except (ValueError, TypeError) as exc:
        return Result(
            what=what, ok=False, expected=N_("both parse"), found=N_("cannot load them: {exc}").format(exc=exc), evidence=[ev1, ev2],
            fix=fix, see=SEE)
    ok = key_matches(cert, key)
    return Result(
        what=what, ok=ok, expected=N_("the certificate's public key is the key's"),
        found=N_("they match") if ok else N_("different keys"), evidence=[ev1, ev2], fix=fix, see=SEE)


def chain(remote: Remote, member: Member) -> Result:
    cert_path, ca_path = member.config_file(member.server_cert), member.config_file(member.ca_cert)
    ev1, cert_data = _read(remote, cert_path)
    ev2, ca_data = _read(remote, ca_path)
    what = N_("{cert_path} is signed by {ca_path}").format(cert_path=cert_path, ca_path=ca_path)
    fix = N_("copy the CA and certificate of the same step 4 run: cp {ca_cert} {server_cert} "
             "{config_dir}/").format(ca_cert=member.ca_cert, server_cert=member.server_cert, config_dir=member.config_dir)
    try:
        cert, ca = load_certificate(cert_data or b""), load_certificate(ca_data or b"")
    except (ValueError, TypeError) as exc:
        return Result(
            what=what, ok=False, expected=N_("both parse"), found=N_("cannot load them: {exc}").format(exc=exc), evidence=[ev1, ev2],
            fix=fix, see=SEE)
    why = issued_by(cert, ca)
    ev1.note, ev2.note = summary(cert), summary(ca)
    return Result(
        what=what, ok=not why, expected=N_("issuer {rfc4514_string}, a valid signature of the CA's key").format(rfc4514_string=ca.subject.rfc4514_string()),
        found=why or "signed by the CA", evidence=[ev1, ev2], fix=fix, see=SEE)


def valid_now(remote: Remote, member: Member, name: str) -> Result:
    """The certificate is within its validity period (one expiring within 30 days passes with a warning)."""
    path = member.config_file(name)
    ev, data = _read(remote, path)
    what = N_("{path} is within its validity period").format(path=path)
    fix = (N_("issue {name} again (step 4: a new certificate signed by the CA), cp it to {config_dir}/ "
              "and systemctl restart {service}; if it is not yet valid, check the clock: timedatectl").format(name=name, config_dir=member.config_dir, service=member.service))
    try:
        cert = load_certificate(data or b"")
    except (ValueError, TypeError) as exc:
        return Result(
            what=what, ok=False, expected=N_("a certificate valid now"), found=N_("cannot load it: {exc}").format(exc=exc), evidence=[ev],
            fix=fix, see=SEE)
    ok, found, warning = validity(cert, getattr(remote, "taken", None))
    ev.note = summary(cert)
    return Result(
        what=what, ok=ok, expected=N_("valid now (notBefore <= now <= notAfter)"), found=found, evidence=[ev], fix=fix,
        see=SEE, warning=warning)


def names_addresses(remote: Remote, member: Member) -> Result:
    """The server certificate names every address clients and peers reach the member at (its SANs)."""
    from urllib.parse import urlsplit

    cert_path = member.config_file(member.server_cert)
    ev, data = _read(remote, cert_path)
    hosts = sorted({urlsplit(u).hostname for u in member.client_urls + member.peer_urls} - {None})
    what = f"{cert_path} names {', '.join(hosts)}"
    fix = (N_("issue the member's certificate with its name and address in the subject alternative "
              "names (step 4's ca.conf), then cp it to {config_dir}/ and systemctl restart {service}").format(config_dir=member.config_dir, service=member.service))
    try:
        cert = load_certificate(data or b"")
    except (ValueError, TypeError) as exc:
        return Result(
            what=what, ok=False, expected=", ".join(hosts), found=N_("cannot load it: {exc}").format(exc=exc), evidence=[ev], fix=fix,
            see=SEE)
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = set(sans.get_values_for_type(x509.DNSName)) | {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)}
    except x509.ExtensionNotFound:
        names = set()
    missing = [h for h in hosts if h not in names]
    ev.note = f"SANs: {', '.join(sorted(names)) or 'none'}"
    return Result(
        what=what, ok=not missing, expected=", ".join(hosts),
        found=f"missing {', '.join(missing)}" if missing else "all named", evidence=[ev], fix=fix, see=SEE)
