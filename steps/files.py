"""Steps about files: binaries, directories, certificates."""

from pytest_bdd import parsers, then

from checks import binaries, certs, files
from core.evidence import require

CERT_ROLES = {"CA certificate": "ca_cert", "server key": "server_key", "server certificate": "server_cert"}


def cert_name(member, role: str) -> str:
    return getattr(member, CERT_ROLES[role])


@then(parsers.parse("the {binary} binary is installed"))
def binary_installed(target, binary):
    require(files.binary(target.remote, target.member, binary))


@then(parsers.parse("the {binary} binary reports the expected version"))
def binary_version(target, binary):
    require(binaries.reports_version(target.remote, target.member, binary, target.expected_version))


@then(parsers.parse("the {which} directory exists with its mode"))
def directory_mode(target, which):
    require(files.directory(target.remote, target.member, which))


@then(parsers.parse("the {role} file is in place"))
def certificate_in_place(target, role):
    require(files.certificate_file(target.remote, target.member, cert_name(target.member, role)))


@then(parsers.parse("the {role} file parses"))
def certificate_parses(target, role):
    require(certs.parses(target.remote, target.member, cert_name(target.member, role)))


@then("the server key matches the server certificate")
def key_matches(target):
    require(certs.key_pair(target.remote, target.member))


@then("the server certificate chains to the CA certificate")
def chains(target):
    require(certs.chain(target.remote, target.member))


@then("the server certificate names every address of the member")
def names_addresses(target):
    require(certs.names_addresses(target.remote, target.member))
