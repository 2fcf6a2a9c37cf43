"""The failure format, redaction and quoting."""

import pytest

from core.evidence import CheckFailure, Evidence, PreconditionFailure, Result, quote_command, redact, require


def failing():
    return Result(
        what="the data directory /var/lib/etcd", ok=False, expected="directory, mode 0700", found="mode 0755",
        evidence=[Evidence("stat -c '%a' -- /var/lib/etcd", 0, "755\n")], fix="chmod 700 /var/lib/etcd")


def test_failure_reads_what_expected_found_evidence_fix():
    text = failing().render()
    lines = text.splitlines()
    assert [ln.split(":")[0].strip() for ln in lines if not ln.startswith(" ")] == [
        "what", "expected", "found", "evidence", "fix"]
    assert "$ stat -c '%a' -- /var/lib/etcd  (exit 0)" in text
    assert "          755" in text
    assert lines[-1] == "fix:      chmod 700 /var/lib/etcd"


def test_require_raises_with_the_format_and_passes_otherwise():
    with pytest.raises(CheckFailure) as err:
        require(failing())
    assert str(err.value).startswith("what:     the data directory")
    ok = Result(what="x", ok=True, expected="a", found="a")
    assert require(ok) is ok
    assert issubclass(PreconditionFailure, CheckFailure)


def test_private_keys_never_reach_the_evidence():
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc\n-----END RSA PRIVATE KEY-----"
    ev = Evidence("cat -- /etc/etcd/kube-api-server.key", 0, f"before\n{key}\nafter\n")
    text = ev.render()
    assert "MIIEow" not in text and "[private key redacted]" in text and "after" in text
    assert "PRIVATE KEY-----" not in redact("x -----BEGIN PRIVATE KEY-----\nQQ\n-----END PRIVATE KEY----- y")


def test_long_output_is_cut_in_the_middle():
    ev = Evidence("journalctl", 0, "\n".join(f"line {i}" for i in range(100)))
    text = ev.render(limit=10)
    assert "line 0" in text and "line 99" in text and "(90 lines cut)" in text and "line 50" not in text


def test_timeout_is_visible():
    assert "[timed out]" in Evidence("sleep 100", 124).render()


def test_arguments_are_quoted():
    assert quote_command("stat -c %%a -- %s", "/var/lib/etcd") == "stat -c %a -- /var/lib/etcd"
    assert quote_command("cat -- %s", "a b; rm -rf /") == "cat -- 'a b; rm -rf /'"


def test_credentials_are_redacted_but_the_cluster_token_is_not():
    text = redact("--password=hunter2 token: abc123 Authorization: Bearer eyJhbGci ETCDCTL_PASSWORD=pw "
                  "--auth-token simple --initial-cluster-token etcd-cluster-0")
    for secret in ("hunter2", "abc123", "eyJhbGci", "=pw"):
        assert secret not in text, text
    assert "--initial-cluster-token etcd-cluster-0" in text
    log = "simple token is not cryptographically signed"  # etcd's own log line stays as it is
    assert redact(log) == log


def test_path_expectations_state_how_they_compare():
    from checks.files import EXACT, STRICTER, ModeRule, OwnerRule, PathSpec, Stat

    assert ModeRule(0o700, EXACT).holds(0o700) and not ModeRule(0o700, EXACT).holds(0o500)
    assert ModeRule(0o644, STRICTER).holds(0o600) and ModeRule(0o644, STRICTER).holds(0o644)
    assert not ModeRule(0o644, STRICTER).holds(0o664) and not ModeRule(0o600, STRICTER).holds(0o604)
    assert OwnerRule(("root:root", "etcd:etcd")).holds("etcd", "etcd") and not OwnerRule().holds("etcd", "etcd")
    spec = PathSpec("d", "/var/lib/etcd", "directory", ModeRule(0o700), OwnerRule(), "fix")
    assert spec.expected() == "directory, mode 0700, owner root:root"
    assert spec.judge(Stat("directory", 0o700, "root", "root"))
    assert not spec.judge(Stat("directory", 0o755, "root", "root")) and not spec.judge(None)
    assert not spec.judge(Stat("regular file", 0o700, "root", "root"))
    assert ModeRule(0o644, STRICTER).describe() == "mode 0644 or stricter"


def test_etcds_own_user_may_own_what_it_uses_and_must_be_able_to_use_it():
    from checks.files import RUNNER, ModeRule, OwnerRule, PathSpec, Runner, Stat

    etcd = Runner("etcd", "etcd")
    owners = OwnerRule(("root:root", RUNNER), etcd)
    assert owners.holds("etcd", "etcd") and owners.holds("root", "root") and not owners.holds("nobody", "nogroup")
    assert owners.describe() == "owner root:root or etcd"
    assert OwnerRule(("root:root", RUNNER)).describe() == "owner root:root"  # etcd runs as root: no other owner
    data = PathSpec("d", "/var/lib/etcd", "directory", ModeRule(0o700), owners, "fix", needs=7)
    assert data.judge(Stat("directory", 0o700, "etcd", "etcd"))
    assert data.problem(Stat("directory", 0o700, "root", "root")) == "etcd runs as etcd, who cannot use it"
    key = PathSpec("k", "/etc/etcd/k.key", "regular file", ModeRule(0o600, "or stricter"), owners, "fix", needs=4)
    assert key.judge(Stat("regular file", 0o400, "etcd", "etcd"))
    assert key.problem(Stat("regular file", 0o600, "nobody", "nogroup")) == "owner nobody:nogroup"
    assert key.problem(Stat("regular file", 0o640, "root", "etcd")) == "mode 0640"
    assert Runner().can(Stat("directory", 0o000, "x", "y"), 7)


def test_a_binary_may_be_stricter_but_must_stay_runnable():
    from checks.files import RULES, ModeRule, OwnerRule, PathSpec, Stat

    kind, _, compare, owners, needs = RULES["binary"]
    etcd = PathSpec("e", "/usr/local/bin/etcd", kind, ModeRule(0o755, compare), OwnerRule(owners), "fix", needs=needs)
    assert etcd.judge(Stat("regular file", 0o700, "root", "root"))  # install -m 700: stricter, still runs
    assert etcd.problem(Stat("regular file", 0o644, "root", "root")) == \
        "etcd runs as root, who cannot run it: no execute bit"
    assert etcd.problem(Stat("regular file", 0o775, "root", "root")) == "mode 0775"


def test_a_lock_file_is_held_by_one_holder_until_its_block_ends(tmp_path):
    import fcntl

    from core.files import locked

    path = tmp_path / "sub" / ".lock"
    with locked(path):
        with open(path, "a") as other:  # another open file description, as another process would have
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    with open(path, "a") as other:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again
