"""SSH settings as the user's own OpenSSH resolves them (``ssh -G`` run here, on configs written by the tests),
and host keys judged as ssh judges them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import subprocess

import paramiko
import pytest

from core import knownhosts
from core.sshconf import CONNECT_TIMEOUT, Hop, SSHConfigError, parse_hops, resolve


def test_include_with_a_glob_and_a_relative_path_as_ssh_reads_it(tmp_path, monkeypatch):
    """A config made only of Include: absolute globs, and relative paths, which ssh takes from ~/.ssh."""
    home = tmp_path / "home"
    (home / ".ssh" / "conf.d").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    (home / ".ssh" / "conf.d" / "lab.conf").write_text("Host server\n  HostName 10.9.9.9\n  User student\n")
    (tmp_path / "abs.d").mkdir()
    (tmp_path / "abs.d" / "a.conf").write_text("Host node-0\n  HostName 10.9.9.20\n  Port 2200\n")
    config = tmp_path / "config"
    config.write_text(f"Include conf.d/*.conf\nInclude {tmp_path}/abs.d/*.conf\n")
    s = resolve("server", str(config))
    assert (s.hostname, s.user, s.port) == ("10.9.9.9", "student", 22)
    n = resolve("node-0", str(config))
    assert (n.hostname, n.port) == ("10.9.9.20", 2200)


def test_match_blocks_and_tokens_apply_as_in_ssh_g(tmp_path):
    config = tmp_path / "config"
    config.write_text("Match host server user student\n  Port 2222\n"
                      "Match exec \"test -e /\" host node-*\n  User ops\n"
                      "Host *.lab\n  HostName %h.example.org\n")
    assert resolve("server", str(config), user="student").port == 2222
    assert resolve("server", str(config), user="root").port == 22
    assert resolve("node-1", str(config)).user == "ops"
    assert resolve("web.lab", str(config)).hostname == "web.lab.example.org"


def test_the_host_specs_user_and_port_win_as_ssh_l_and_p_do(tmp_path):
    config = tmp_path / "config"
    config.write_text("Host server\n  User root\n  Port 2222\n")
    s = resolve("server", str(config), user="student", port=22)
    assert (s.user, s.port) == ("student", 22)


def test_openssh_defaults_become_the_suites_safe_ones_and_set_values_are_kept(tmp_path):
    config = tmp_path / "config"
    config.write_text("Host set\n  ConnectTimeout 4\n  ServerAliveInterval 7\n  ServerAliveCountMax 2\n"
                      "  StrictHostKeyChecking accept-new\n  HostKeyAlias srv\n"
                      "  IdentityFile ~/.ssh/one\n  IdentityFile /k/two\n  IdentitiesOnly yes\n"
                      "  CertificateFile /k/two-cert.pub\n  UserKnownHostsFile /k/kh1 /k/kh2\n"
                      "Host off\n  StrictHostKeyChecking no\n")
    d = resolve("plain", str(config))
    assert d.connect_timeout == CONNECT_TIMEOUT and d.alive_interval > 0 and d.strict == "yes"  # "ask": nobody
    assert d.known_hosts_name == "plain" and not d.host_key_alias
    s = resolve("set", str(config))
    assert (s.connect_timeout, s.alive_interval, s.alive_count_max, s.strict) == (4, 7, 2, "accept-new")
    assert s.identity_files[:2] == (os.path.expanduser("~/.ssh/one"), "/k/two") and s.identities_only
    assert s.certificate_files == ("/k/two-cert.pub",) and s.user_known_hosts == ("/k/kh1", "/k/kh2")
    assert s.known_hosts_name == "srv"
    assert resolve("off", str(config)).strict == "no"
    assert resolve("plain", str(config), port=2200).known_hosts_name == "[plain]:2200"


def test_proxyjump_and_proxycommand(tmp_path):
    config = tmp_path / "config"
    config.write_text("Host behind\n  ProxyJump alice@jumpbox:2200,ssh://bob@gate2:22,gate\n"
                      "Host piped\n  HostName 10.0.0.5\n  ProxyCommand nc %h %p\n  ProxyJump ignored\n")
    s = resolve("behind", str(config))
    assert s.proxy_jump == (Hop("jumpbox", "alice", 2200), Hop("gate2", "bob", 22), Hop("gate"))
    p = resolve("piped", str(config))
    assert p.proxy_command == "nc 10.0.0.5 22" and p.proxy_jump == ()  # the first of the two wins, as in ssh
    assert parse_hops("none") == []
    with pytest.raises(SSHConfigError, match="no port number"):
        parse_hops("jumpbox:ssh")


def test_a_config_ssh_refuses_is_one_line(tmp_path):
    config = tmp_path / "config"
    config.write_text("Host server\n  Bogus yes\n")
    with pytest.raises(SSHConfigError) as err:
        resolve("server", str(config))
    assert "Bad configuration option: bogus" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(SSHConfigError, match="does not exist"):
        resolve("server", str(tmp_path / "missing"))


def test_without_an_openssh_client_the_run_names_the_package(tmp_path):
    """The audit stops with one line naming openssh-client when no ssh is on the PATH."""
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PATH=str(tmp_path))  # no ssh there
    out = subprocess.run([sys.executable, "-m", "pytest", "features/", "-q", "-p", "no:cacheprovider",
                          "--hosts=server"], cwd=root, capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 4, out.stdout + out.stderr
    assert "apt-get install openssh-client" in out.stderr and "Traceback" not in out.stdout + out.stderr


# ----- host keys ----------------------------------------------------------------------------------------------
@pytest.fixture
def keys(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    out = []
    for i in range(3):
        path = tmp_path / f"k{i}"
        path.write_bytes(Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()))
        out.append(paramiko.Ed25519Key.from_private_key_file(str(path)))
    return out


def _hashed(name: str) -> str:
    salt = os.urandom(20)
    digest = hmac.new(salt, name.encode(), hashlib.sha1).digest()
    return f"|1|{base64.b64encode(salt).decode()}|{base64.b64encode(digest).decode()}"


def _line(names: str, key, marker: str = "") -> str:
    return (f"{marker} " if marker else "") + f"{names} {key.get_name()} {key.get_base64()}\n"


def test_known_hashed_and_port_entries(tmp_path, keys):
    kh = tmp_path / "known_hosts"
    kh.write_text(_line(_hashed("10.0.0.10"), keys[0]) + _line("[10.0.0.11]:2222,other", keys[1])
                  + _line("*.lab,!bad.lab", keys[2]))
    files = [str(kh)]
    assert knownhosts.judge(keys[0], "10.0.0.10", files, "yes", "server") == "known"
    assert knownhosts.judge(keys[1], "[10.0.0.11]:2222", files, "yes", "node") == "known"
    assert knownhosts.judge(keys[2], "web.lab", files, "yes", "web") == "known"
    with pytest.raises(knownhosts.HostKeyRefused, match="unknown host key for bad"):
        knownhosts.judge(keys[2], "bad.lab", files, "yes", "bad")  # a negated pattern
    with pytest.raises(knownhosts.HostKeyRefused, match="unknown host key for node"):
        knownhosts.judge(keys[1], "10.0.0.11", files, "yes", "node")  # port 22 is another entry


def test_a_changed_key_is_refused_unless_checking_is_off(tmp_path, keys):
    kh = tmp_path / "known_hosts"
    kh.write_text(_line("10.0.0.10", keys[0]))
    for strict in ("yes", "accept-new"):
        with pytest.raises(paramiko.BadHostKeyException, match="has changed.*ssh-keygen -R '10.0.0.10'"):
            knownhosts.judge(keys[1], "10.0.0.10", [str(kh)], strict, "server")
    assert knownhosts.judge(keys[1], "10.0.0.10", [str(kh)], "no", "server") == "new"


def test_accept_new_adds_an_unknown_key_as_ssh_does(tmp_path, keys):
    kh = tmp_path / "known_hosts"
    policy = knownhosts.Policy("[10.0.0.12]:2200", [str(kh)], "accept-new", "node", str(kh))
    policy.missing_host_key(None, "10.0.0.12", keys[0])
    assert knownhosts.judge(keys[0], "[10.0.0.12]:2200", [str(kh)], "yes", "node") == "known"
    with pytest.raises(knownhosts.HostKeyRefused, match="nobody is there to answer"):
        knownhosts.judge(keys[1], "10.0.0.13", [str(kh)], "yes", "other")


def test_revoked_keys_and_host_certificates(tmp_path, keys):
    kh = tmp_path / "known_hosts"
    kh.write_text(_line("10.0.0.10", keys[0]) + _line("*", keys[0], "@revoked")
                  + _line("*.example.org", keys[1], "@cert-authority"))
    with pytest.raises(knownhosts.HostKeyRefused, match="@revoked"):
        knownhosts.judge(keys[0], "10.0.0.10", [str(kh)], "no", "server")
    with pytest.raises(knownhosts.HostKeyRefused, match="certified by a CA .*cannot be checked here"):
        knownhosts.judge(keys[2], "db.example.org", [str(kh)], "yes", "db")


def test_the_global_file_is_read_after_the_users(tmp_path, keys):
    user, system = tmp_path / "user", tmp_path / "global"
    system.write_text(_line("10.0.0.10", keys[0]))
    assert knownhosts.judge(keys[0], "10.0.0.10", [str(user), str(system)], "yes", "server") == "known"
