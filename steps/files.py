"""Steps about files: binaries, directories, certificates."""


from suite.checkstep import check_then

from checks import binaries, certs, files
from core.evidence import require

CERT_ROLES = {"CA certificate": "ca_cert", "server key": "server_key", "server certificate": "server_cert"}


def cert_name(member, role: str) -> str:
    return getattr(member, CERT_ROLES[role])


@check_then("the {binary} binary is installed", "binary.{binary}.installed")
def binary_installed(target, binary):
    require(files.binary(target.remote, target.member, binary))


@check_then("the {binary} binary reports the expected version", "binary.{binary}.version")
def binary_version(target, binary):
    require(binaries.reports_version(target.remote, target.member, binary, target.expected_version))


@check_then("the {which} directory exists with its mode", "dir.{which}")
def directory_mode(target, which):
    require(files.directory(target.remote, target.member, which))


@check_then("the unit file is owned by root and writable by root only", "unit.file")
def unit_file(target):
    require(files.unit_file(target.remote, target.member))


@check_then("the {role} file is in place", "cert.{role}.in-place")
def certificate_in_place(target, role):
    require(files.certificate_file(target.remote, target.member, cert_name(target.member, role)))


@check_then("the {role} file parses", "cert.{role}.parses")
def certificate_parses(target, role):
    require(certs.parses(target.remote, target.member, cert_name(target.member, role)))


@check_then("the {role} is within its validity period", "cert.{role}.valid")
def certificate_valid(target, role):
    return require(certs.valid_now(target.remote, target.member, cert_name(target.member, role)))


@check_then("the server key matches the server certificate", "cert.key-pair")
def key_matches(target):
    require(certs.key_pair(target.remote, target.member))


@check_then("the server certificate chains to the CA certificate", "cert.chain")
def chains(target):
    require(certs.chain(target.remote, target.member))


@check_then("the server certificate names every address of the member", "cert.addresses")
def names_addresses(target):
    require(certs.names_addresses(target.remote, target.member))
