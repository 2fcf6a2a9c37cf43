"""One line for each way an SSH connection fails."""

import errno
import socket

import paramiko
import pytest

from core.remote import describe_connection_error



def key_pair():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    blob = Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).split()[1]
    import base64

    return paramiko.PKey.from_type_string("ssh-ed25519", base64.b64decode(blob))


@pytest.mark.parametrize("exc, words", [
    (paramiko.ssh_exception.NoValidConnectionsError({("10.0.0.1", 22): OSError(errno.EHOSTUNREACH, "x")}),
     "no route to the host"),
    (paramiko.ssh_exception.NoValidConnectionsError({("10.0.0.1", 22): ConnectionRefusedError(111, "x")}),
     "connection refused (is sshd running?)"),
    (socket.timeout("timed out"), "no answer within the connection timeout"),
    (socket.gaierror(-2, "Name or service not known"), "cannot resolve the host name"),
    (paramiko.AuthenticationException("Authentication failed."), "authentication failed"),
    (paramiko.SSHException("Server '10.0.0.1' not found in known_hosts"), "unknown host key"),
])
def test_each_failure_is_one_line(exc, words):
    text = describe_connection_error(exc)
    assert words in text and "\n" not in text


def test_a_changed_host_key_names_both_keys():
    text = describe_connection_error(paramiko.BadHostKeyException("10.0.0.1", key_pair(), key_pair()))
    assert text.startswith("the host key of 10.0.0.1 has changed") and "refusing to connect" in text


class CountingHost:
    """Stands in for testinfra's host to count what the Remote sends (the caching logic only)."""

    def __init__(self):
        self.sent = []

    def run(self, command):
        self.sent.append(command)

        class Out:
            rc, stdout, stderr = 0, f"out {len(self.sent)}", ""
        return Out()


def test_read_only_evidence_is_reused_until_something_may_have_changed():
    from core.remote import Remote

    host = CountingHost()
    r = Remote(host)
    first = r.look("systemctl show -p MainPID -- %s", "etcd.service")
    again = r.look("systemctl show -p MainPID -- %s", "etcd.service")
    assert len(host.sent) == 1 and first.stdout == again.stdout == "out 1"
    again.stdout = "mutated by a caller"
    assert r.look("systemctl show -p MainPID -- %s", "etcd.service").stdout == "out 1"
    r.run("systemctl restart -- %s", "etcd")  # may change the host: forget what was seen
    assert r.look("systemctl show -p MainPID -- %s", "etcd.service").stdout == "out 3"
    assert host.sent[0] == "timeout -k 2 20 sh -c 'systemctl show -p MainPID -- etcd.service'"
