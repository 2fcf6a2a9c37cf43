"""The rendered unit: equivalent to the tutorial's, with values from the model only."""

import re
import subprocess
import sys
from pathlib import Path

from core.model import Member, build
from provision.render import render_unit

ROOT = Path(__file__).resolve().parent.parent


def parse_flags(args: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """``--flag value`` / ``--flag=value`` pairs, written here apart from the suite's own parser (core/systemd.py)
    so that a mistake there cannot hide one in the render."""
    flags: dict[str, list[str]] = {}
    stray: list[str] = []
    it = iter(args)
    for arg in it:
        if not arg.startswith("--"):
            stray.append(arg)
            continue
        name, eq, value = arg[2:].partition("=")
        flags.setdefault(name, []).append(value if eq else next(it, ""))
    return flags, stray


def unit_meaning(text: str) -> dict:
    """Sections → keys → values, continuation lines joined, ExecStart split into argv.

    Trailing blanks after a backslash are dropped here: the tutorial's write-up has one, which its
    author meant as a continuation (systemd 252 does not: the lab's fault catalogue covers that).
    """
    text = re.sub(r"\\[ \t]+\n", "\\\n", text)
    text = text.replace("\\\n", " ")
    out: dict = {}
    section = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = out.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        section[key.strip()] = value.strip()
    argv = out["Service"].pop("ExecStart").split()
    flags, stray = parse_flags(argv[1:])
    out["Service"]["binary"] = argv[0]
    out["Service"]["flags"] = flags
    out["Service"]["stray"] = stray
    return out


def test_default_unit_is_equivalent_to_the_tutorials(data):
    assert unit_meaning(render_unit(Member())) == unit_meaning(data("seed/etcd.service"))


def test_default_unit_has_the_nine_flags_and_settings():
    meaning = unit_meaning(render_unit(Member()))
    svc = meaning["Service"]
    assert svc["Type"] == "notify" and svc["Restart"] == "on-failure" and svc["RestartSec"] == "5"
    assert meaning["Install"] == {"WantedBy": "multi-user.target"}
    assert len(svc["flags"]) == 9 and svc["stray"] == []
    assert svc["binary"] == "/usr/local/bin/etcd"


def test_every_value_comes_from_the_model():
    m = build({"name": "node-0", "data_dir": "/srv/etcd", "bin_dir": "/opt/bin", "unit.restart_sec": "7",
               "listen_client_urls": "http://127.0.0.1:12379,http://10.240.0.20:12379"})
    svc = unit_meaning(render_unit(m))["Service"]
    assert svc["binary"] == "/opt/bin/etcd"
    assert svc["flags"]["name"] == ["node-0"]
    assert svc["flags"]["initial-cluster"] == ["node-0=http://127.0.0.1:2380"]
    assert svc["flags"]["data-dir"] == ["/srv/etcd"]
    assert svc["flags"]["listen-client-urls"] == ["http://127.0.0.1:12379,http://10.240.0.20:12379"]
    assert svc["RestartSec"] == "7"


def test_rendered_lines_end_in_a_clean_continuation():
    for line in render_unit(Member()).splitlines():
        assert not re.search(r"\\\s+$", line), f"blank after a continuation: {line!r}"


# ----- editions: the unit rendered as each edition's text writes it ------------------------------------------
EDITIONS_DATA = Path(__file__).parent / "data" / "editions"


def heredoc_output(script: str, **env: str) -> str:
    """What an edition's ``cat <<EOF ... EOF`` writes, run by bash as the student's shell runs it."""
    start = script.index("<<EOF")
    body = script[script.index("\n", start) + 1:script.index("\nEOF\n", start) + 5]
    out = subprocess.run(["bash", "-c", "cat <<EOF\n" + body], capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", **env})
    return out.stdout


def render_cli(tmp_path, *args: str) -> str:
    out = tmp_path / "etcd.service"
    rc = subprocess.run([sys.executable, "-m", "provision.render", *args, "-o", str(out)], cwd=ROOT,
                        capture_output=True, text=True)
    assert rc.returncode == 0, rc.stderr
    return out.read_text()


def test_the_write_ups_unit_is_rendered_as_its_heredoc_writes_it(tmp_path):
    script = (EDITIONS_DATA / "kthw-server.jumpbox.sh").read_text()
    assert render_cli(tmp_path) == heredoc_output(script, ETCD_NAME="server")
    assert render_cli(tmp_path, "--edition", "kthw-server") == heredoc_output(script, ETCD_NAME="server")


def test_the_current_texts_unit_is_rendered_byte_for_byte(tmp_path):
    assert render_cli(tmp_path, "--edition", "kthw-current") == (EDITIONS_DATA / "kthw-current.etcd.service").read_text()


def test_the_2020_editions_unit_is_rendered_as_its_heredoc_writes_it(tmp_path):
    script = (EDITIONS_DATA / "kthw-2020.controller.sh").read_text()
    script = script.replace("{ip0}", "10.240.0.10").replace("{ip1}", "10.240.0.11").replace("{ip2}", "10.240.0.12")
    for name, ip in (("controller-0", "10.240.0.10"), ("controller-2", "10.240.0.12")):
        want = heredoc_output(script, ETCD_NAME=name, INTERNAL_IP=ip)
        assert render_cli(tmp_path, "--edition", "kthw-2020", "--member", name) == want


def test_render_refuses_a_bad_cluster_in_one_line(tmp_path):
    rc = subprocess.run([sys.executable, "-m", "provision.render", "--edition", "kthw-2020", "--cluster", "a=",
                         "-o", str(tmp_path / "u")], cwd=ROOT, capture_output=True, text=True)
    assert rc.returncode == 2 and rc.stderr.strip().count("\n") == 0 and "--cluster" in rc.stderr
