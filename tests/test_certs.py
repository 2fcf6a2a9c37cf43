"""Certificate judgements without a host: signatures of every key type the tutorial's step 4 might use
(RSA PKCS#1 v1.5 and PSS, ECDSA, Ed25519), the three ways a chain is wrong, and validity periods."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

from checks.certs import issued_by, validity

NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)


def name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make(subject: str, issuer: str, key, signer, *, pss: bool = False, days=(-1, 365), now=NOW):
    builder = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now + datetime.timedelta(days=days[0]))
               .not_valid_after(now + datetime.timedelta(days=days[1])))
    if isinstance(signer, ed25519.Ed25519PrivateKey):
        return builder.sign(signer, None)
    if pss:
        return builder.sign(signer, hashes.SHA256(),
                            rsa_padding=padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH))
    return builder.sign(signer, hashes.SHA256())


KEYS = {
    "rsa-pkcs1v15": lambda: rsa.generate_private_key(65537, 2048),
    "rsa-pss": lambda: rsa.generate_private_key(65537, 2048),
    "ecdsa-p256": lambda: ec.generate_private_key(ec.SECP256R1()),
    "ed25519": ed25519.Ed25519PrivateKey.generate,
}


@pytest.mark.parametrize("kind", KEYS)
def test_a_certificate_signed_by_its_ca_passes_whatever_the_key_type(kind):
    ca_key, key = KEYS[kind](), ec.generate_private_key(ec.SECP256R1())
    ca = make("CA", "CA", ca_key, ca_key, pss=kind == "rsa-pss")
    cert = make("server", "CA", key, ca_key, pss=kind == "rsa-pss")
    assert issued_by(cert, ca) == ""


def test_a_certificate_of_another_ca_is_named_wrong_ca():
    ca_key, other_key, key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    ca = make("CA", "CA", ca_key, ca_key)
    cert = make("server", "Other CA", key, other_key)
    assert issued_by(cert, ca).startswith("wrong CA: issued by CN=Other CA, the CA is CN=CA")


def test_a_ca_of_the_same_name_but_another_key_is_named_bad_signature():
    ca_key, impostor_key, key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    ca = make("CA", "CA", ca_key, ca_key)
    cert = make("server", "CA", key, impostor_key)
    assert issued_by(cert, ca).startswith("bad signature")


def test_a_signature_the_cas_key_type_cannot_make_is_named_wrong_key_type():
    rsa_key, ec_key, key = KEYS["rsa-pkcs1v15"](), ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = make("CA", "CA", rsa_key, rsa_key)  # an RSA CA ...
    cert = make("server", "CA", key, ec_key)  # ... but the certificate carries an ECDSA signature
    assert issued_by(cert, ca).startswith("wrong key type")


def test_validity_periods():
    key = ec.generate_private_key(ec.SECP256R1())
    ok, found, warning = validity(make("s", "s", key, key, days=(-1, 365)), NOW)
    assert ok and not warning and found.startswith("valid from 2026-05-31")
    ok, found, warning = validity(make("s", "s", key, key, days=(-400, -1)), NOW)
    assert not ok and found.startswith("expired: valid from 2025-") and "1 days ago" in found
    ok, found, warning = validity(make("s", "s", key, key, days=(2, 365)), NOW)
    assert not ok and found.startswith("not yet valid")
    ok, found, warning = validity(make("s", "s", key, key, days=(-1, 10)), NOW)
    assert ok and warning.startswith(("expires in 9 days", "expires in 10 days"))
