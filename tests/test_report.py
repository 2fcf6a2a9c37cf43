"""The student report's model, page and terminal summary, from a passing and a failing run."""

import datetime
import re
from html.parser import HTMLParser

from core.evidence import Evidence, Result
from reporting.html import render, terminal_summary
from reporting.model import Outcome, Run, Step
from suite.records import check_dict

KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEsecret\n-----END RSA PRIVATE KEY-----"


def outcome(host, scenario, status, check=None, feature="etcd's directories", precondition="", message=""):
    steps = [Step("Given", "a host where the etcd step was carried out", "passed", 0.01),
             Step("Then", "the data directory exists with its mode", status if status != "skipped" else "passed", 0.02)]
    return Outcome(f"features/test_etcd_step.py::{scenario}[{host}]", host, feature, "etcd_configuration.feature",
                   scenario, status, 0.03, steps, check, precondition, message)


def failing_check_args():
    return dict(what="the data directory /var/lib/etcd", ok=False, expected="directory, mode 0700",
                found="directory, mode 0755",
                evidence=[Evidence("stat -L -c '%F|%a' -- /var/lib/etcd", 0, "directory|755\n"),
                          Evidence("cat -- /etc/etcd/kube-api-server.key", 0, KEY + "\n")],
                fix="mkdir -p /var/lib/etcd && chmod 700 /var/lib/etcd",
                see="https://example.invalid/kthw#configure-the-etcd-server")


def failing_check():
    return check_dict(Result(**failing_check_args()))


def make_run(*outcomes, versions=None):
    start = datetime.datetime(2026, 11, 27, 8, 0, tzinfo=datetime.timezone.utc)
    return Run("0.1.0", {"profile": "lab", "target": "local lab (server)"}, start,
               start + datetime.timedelta(seconds=4), list(outcomes), versions or {})


class Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.details = []  # (class, open?)
        self.external = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "details":
            self.details.append((a.get("class", ""), "open" in a))
        if tag in ("script", "link", "img", "iframe") or (tag == "style" and a.get("src")):
            self.external.append(tag)


def test_passing_run():
    run = make_run(outcome("server", "The data directory exists", "passed"),
                   outcome("server", "A key round trip", "skipped", message="auditing changes nothing"),
                   versions={"server": "3.4.23"})
    [h] = run.hosts()
    assert (h.passed, h.failed, h.skipped, h.verdict, h.etcd_version) == (1, 0, 1, "PASS", "3.4.23")
    assert run.verdict == "PASS"
    page = render(run)
    p = Collect()
    p.feed(page)
    assert p.details == [("scenario passed", False), ("scenario skipped", False)]  # passes are collapsed
    assert p.external == []  # nothing is loaded from elsewhere
    assert "auditing changes nothing" in page and "3.4.23" in page and "PASS" in page
    assert terminal_summary(run) == ["== Summary ==", "server: PASS (1 passed, 0 failed, 1 skipped, etcd 3.4.23)"]


def test_failing_run_opens_failures_and_shows_evidence_and_fix():
    run = make_run(outcome("server", "The data directory exists", "failed", failing_check()),
                   outcome("server", "The configuration directory exists", "passed"),
                   outcome("node-0", "The data directory exists", "failed",
                           precondition="cannot check SSH connection to node-0: connection refused"),
                   versions={"server": "3.5.1"})
    assert run.verdict == "FAIL"
    assert [(h.name, h.verdict) for h in run.hosts()] == [("node-0", "FAIL"), ("server", "FAIL")]
    page = render(run)
    p = Collect()
    p.feed(page)
    assert ("scenario failed", True) in p.details and ("scenario passed", False) in p.details
    for text in ("the data directory /var/lib/etcd", "directory, mode 0755", "directory, mode 0700",
                 "$ stat -L -c &#39;%F|%a&#39; -- /var/lib/etcd", "(exit 0)",
                 "mkdir -p /var/lib/etcd &amp;&amp; chmod 700 /var/lib/etcd", "#configure-the-etcd-server",
                 "connection refused"):
        assert text in page, text
    assert "MIIEsecret" not in page and "[private key redacted]" in page
    # failing features come first within a host
    assert page.index("The data directory exists") < page.index("The configuration directory exists")
    summary = terminal_summary(run)
    assert summary[:4] == [
        "== Remediations (in the tutorial's order) ==",
        "[FAIL] node-0: cannot check SSH connection to node-0: connection refused",
        "[FAIL] server: the data directory /var/lib/etcd",
        "       mkdir -p /var/lib/etcd && chmod 700 /var/lib/etcd",
    ]
    assert "server: FAIL (1 passed, 1 failed, 0 skipped, etcd 3.5.1)" in summary


def test_values_are_escaped():
    check = failing_check()
    check["found"] = "<script>alert(1)</script>"
    page = render(make_run(outcome("server", "x", "failed", check)))
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_page_is_one_file_with_inline_style():
    page = render(make_run(outcome("server", "x", "passed")))
    assert page.count("<style>") == 1 and not re.search(r"""(src|href)=["']https?://[^"']+\.(css|js)""", page)


def test_a_suite_failure_leads_with_one_headline_line():
    from reporting.plugin import SuiteFailure

    result = Result(**failing_check_args())
    failure = SuiteFailure(f"check failed: {result.what}", result.render(), "features/x.feature", 12)
    text = str(failure)
    assert text.splitlines()[0] == "check failed: the data directory /var/lib/etcd"
    assert "fix:      mkdir -p /var/lib/etcd && chmod 700 /var/lib/etcd" in text.splitlines()
    assert "MIIEsecret" not in text  # the evidence is redacted in the terminal too
    assert failure.reprcrash.message == "check failed: the data directory /var/lib/etcd"  # JUnit's message
    assert str(failure.reprcrash) == "features/x.feature:12: check failed: the data directory /var/lib/etcd"


def test_what_to_fix_leads_in_the_tutorials_order_with_deviations_apart_and_a_rerun_line():
    from reporting.model import DEVIATION

    cis = outcome("server", "CIS 1.1.11", "failed", failing_check(), feature="CIS")
    cis.feature_file = "etcd_cis.feature"
    binary = outcome("server", "etcd is installed", "failed", dict(failing_check(), what="etcd is installed",
                                                                    fix="install -m 755 etcd /usr/local/bin/etcd"),
                     feature="binaries")
    binary.feature_file, binary.failed_check = "etcd_binaries.feature", "binary.etcd.installed"
    cis.failed_check = "cis.1.1.11"
    deviation = outcome("server", "CIS 2.1", DEVIATION, feature="CIS", message="known deviation cis.2.1: plain HTTP")
    deviation.feature_file, deviation.check_ids = "etcd_cis.feature", ["cis.2.1"]
    passing = outcome("node-1", "The data directory exists", "passed")
    run = make_run(cis, deviation, binary, passing)
    run.rerun = ".venv/bin/pytest features/ --hosts={hosts} --ssh-config=c --check={checks}"
    assert [o.scenario for o in run.to_fix("server")] == ["etcd is installed", "CIS 1.1.11"]  # binaries first
    assert run.rerun_command("server") == (".venv/bin/pytest features/ --hosts=server --ssh-config=c "
                                           "--check=binary.etcd.installed,cis.1.1.11")
    assert run.rerun_command("node-1") == ""
    assert [h.name for h in run.hosts()] == ["server", "node-1"]  # failing hosts first
    assert run.hosts()[0].first_failure == "[binary.etcd.installed] etcd is installed"
    page = render(run)
    fix_at = page.index("What to fix on server")
    assert fix_at < page.index("Feature: binaries") < page.index("Feature: CIS")  # the list leads, features in order
    assert page.index("install -m 755 etcd /usr/local/bin/etcd", fix_at) < page.index("Feature: binaries")
    assert "Run again only what failed: <code>.venv/bin/pytest features/ --hosts=server" in page
    assert "node-1 passes: 1 checks passed" in page
    # the deviation is in its own collapsed section, not among the features
    dev_at = page.index("Known deviations of the tutorial on server (1)")
    assert page.index("CIS 2.1") > dev_at and '<details class="deviations">' in page
    summary = terminal_summary(run)
    assert summary[1] == "[FAIL] server: [binary.etcd.installed] etcd is installed"
    assert any(ln.strip().startswith("run again: .venv/bin/pytest features/ --hosts=server") for ln in summary)


def test_links_say_what_they_point_at():
    from reporting.model import link_label

    assert link_label("https://github.com/aquasecurity/kube-bench/blob/main/cfg/cis-1.10/etcd.yaml") == \
        "CIS benchmark (kube-bench's definition)"
    assert link_label("https://github.com/kelseyhightower/kubernetes-the-hard-way/blob/master/docs/"
                      "07-bootstrapping-etcd.md#configure-the-etcd-server") == "the tutorial: configure the etcd server"
    assert link_label("https://etcd.io/docs/v3.5/op-guide/data_corruption/") == "etcd's documentation"


def test_rerun_keeps_how_hosts_are_reached_and_drops_the_selection():
    from reporting.plugin import rerun_template

    got = rerun_template(["features/", "--hosts=server,node-0", "--ssh-config=/x/ssh_config", "-q", "--junitxml",
                          "j.xml", "--edition", "kthw-2020", "-n", "2", "--check=cis.*", "--etcd-set", "name=a b"])
    assert got.endswith("features/ --hosts={hosts} --ssh-config=/x/ssh_config --edition kthw-2020 "
                        "--etcd-set 'name=a b' --check={checks}")
    assert rerun_template(["features/"], lab=True).endswith("features/ --check={checks}")


def test_rerun_reaches_each_host_as_the_run_did():
    """The re-run line keeps the user and port of each host spec, the config, sudo, edition and profile; after a
    failed pre-flight it runs the whole audit again."""
    from reporting.model import Outcome, Run
    from reporting.plugin import host_specs, rerun_template

    args = ["features/", "--hosts=student@server,node-0:2222,ops@[fd00::5]:22", "--ssh-config", "/x/cfg", "--sudo",
            "--edition=kthw-2020", "--profile", "production", "--ssh-identity-file=/k/id"]
    run = Run("1", {}, None)
    run.rerun = rerun_template(args)
    run.host_specs = host_specs(args[1].split("=", 1)[1])
    assert run.host_specs == {"server": "student@server", "node-0": "node-0:2222", "fd00::5": "ops@[fd00::5]:22"}

    def failing(host, check):
        return Outcome(nodeid=f"t[{host}]", host=host, feature="F", feature_file="", scenario="s", status="failed",
                       duration=0.0, steps=[], failed_check=check)

    run.outcomes = [failing("server", "dir.data"), failing("node-0", "host.preflight"),
                    failing("fd00::5", "unit.file")]
    assert run.rerun_command("server").endswith(
        "features/ --hosts=student@server --ssh-config /x/cfg --sudo --edition=kthw-2020 --profile production "
        "--ssh-identity-file=/k/id --check=dir.data")
    assert run.rerun_command("node-0").endswith(
        "features/ --hosts=node-0:2222 --ssh-config /x/cfg --sudo --edition=kthw-2020 --profile production "
        "--ssh-identity-file=/k/id")  # the pre-flight failed: nothing was judged, all again
    assert "--hosts='ops@[fd00::5]:22' " in run.rerun_command("fd00::5")


def test_the_report_is_written_when_its_template_cache_cannot_be(tmp_path, monkeypatch):
    """Compiled templates are kept in a cache of this user's own; a cache that cannot be written (a full or
    read-only temporary directory) costs a compilation, never the report."""
    import jinja2

    from reporting import html

    def full(self, bucket):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(jinja2.FileSystemBytecodeCache, "dump_bytecode", full)
    monkeypatch.setattr(jinja2.FileSystemBytecodeCache, "load_bytecode", lambda self, bucket: None)
    run = make_run(outcome("server", "A scenario", "passed"))
    assert "A scenario" in html.render(run)
