"""The suite in Korean (core/i18n.py, locale/): every message of the code, the templates and the features is in
the catalogue and translated; the compiled catalogue is the one the translations make; every failure the checks
report on the recorded hosts (tests/data/recordings/) reads in Korean, with no message left in English; the
tokens scripts read stay as they are; English stays the default."""

from __future__ import annotations

import datetime
import io
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from core.i18n import LOCALE_DIR, Translator, is_prose, language, translator

ROOT = Path(__file__).resolve().parent.parent
PO = LOCALE_DIR / "ko" / "LC_MESSAGES" / "kthw.po"
MO = PO.with_suffix(".mo")
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


@pytest.fixture(scope="module")
def po():
    return read_po(PO.open("rb"), locale="ko")


def test_every_message_has_a_korean_translation_with_the_same_values(po):
    untranslated = [m.id for m in po if m.id and (not m.string or m.fuzzy)]
    assert untranslated == [], f"{len(untranslated)} messages without a translation: {untranslated[:10]}"
    assert not po.fuzzy
    for m in po:
        if m.id:
            # a translation names no value its message does not have (it may leave out an English plural's "s")
            assert fields(m.string) <= fields(m.id), m.id
            assert HANGUL.search(m.string) or m.id.strip() in ("CIS {id}: {requirement}", "{found} ({problem})",
                                                              "{kind}, {mode}, {owner}{usable}", "FIFO") or \
                not is_prose(m.id) or m.string != m.id, m.id


def test_the_catalogue_holds_every_message_of_the_sources(po, tmp_path):
    """Extracted again with Babel (babel.cfg), the sources have no message the catalogue lacks: a new message
    fails here until make catalog merges it and it is translated."""
    pot = tmp_path / "kthw.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", "babel.cfg",
                    "--no-location", "-o", str(pot), "."], cwd=ROOT, check=True,
                   env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    extracted = {m.id for m in read_po(pot.open("rb")) if m.id}
    catalogued = {m.id for m in po if m.id}
    assert extracted - catalogued == set(), "run make catalog, then translate the new messages"
    assert len(extracted) > 400


def test_the_compiled_catalogue_is_the_translations(po):
    compiled = read_mo(MO.open("rb"))
    assert {m.id: m.string for m in compiled if m.id} == {m.id: m.string for m in po if m.id}


def test_every_failure_on_the_recorded_hosts_reads_in_korean():
    """Each failed check of every recorded host (healthy ones, each fault of the catalogue): its what, expected,
    found, the comments of its fix, its notes and warnings; no text reads as an English message left over."""
    from checks.judging import judge
    from core.answers import HostRecord

    tr = Translator("ko")
    failures = 0
    for path in sorted((ROOT / "tests" / "data" / "recordings").rglob("*.json")):
        for verdict in judge(HostRecord.load(path)):
            r = verdict.result
            if r is None:
                continue
            if not r.ok:
                failures += 1
                assert HANGUL.search(tr(r.what)) or not is_prose(r.what), r.what
                for text in (r.expected, r.found):
                    tr(text)
                fix = tr.comment(r.fix)
                assert fix.count("\n") == r.fix.count("\n")
                assert all(HANGUL.search(ln) for ln in fix.splitlines() if ln.startswith("# ")), fix
            for text in [*r.notes, r.warning]:
                tr(text)
    assert failures > 500
    assert tr.missed == set(), sorted(tr.missed)[:20]


def test_a_message_with_values_is_translated_around_them():
    tr = translator("ko")
    assert tr("etcd.service is active (running) (etcd's journal: no space left on device)") == \
        "etcd.service이(가) active (running) 상태다 (etcd 저널: no space left on device)"  # etcd's words stay
    assert tr("directory, mode 0755, owner root:root") == "디렉터리, 권한 0755, 소유자 root:root"
    assert tr("[dir.data] the data directory /var/lib/etcd") == "[dir.data] 데이터 디렉터리 /var/lib/etcd"
    assert tr("started: etcd-4, etcd-5; never published client URLs (never joined): etcd-3") == \
        "시작됨: etcd-4, etcd-5; 클라이언트 URL을 한 번도 알리지 않음 (합류하지 않음): etcd-3"
    fix = "# another etcd runs beside the service (its data directory stays where it is)\nkill 123"
    assert tr.comment(fix) == "# 서비스 옆에서 다른 etcd가 실행 중입니다 (그 데이터 디렉터리는 그대로 둡니다)\nkill 123"
    assert tr("LoadState=loaded ActiveState=active SubState=running") == \
        "LoadState=loaded ActiveState=active SubState=running"  # a value: nothing to translate, nothing missed
    assert tr.missed == set()
    tr("an English sentence nobody wrote a message for")
    assert tr.missed == {"an English sentence nobody wrote a message for"}
    tr.missed.clear()


def test_english_is_the_default_and_the_locale_chooses_korean():
    assert language(None, {}) == "en"
    assert language(None, {"LANG": "ko_KR.UTF-8"}) == "ko"
    assert language(None, {"LANG": "C.UTF-8"}) == "en" and language(None, {"LANG": "de_DE.UTF-8"}) == "en"
    assert language(None, {"LC_ALL": "ko_KR.UTF-8", "LANG": "en_US.UTF-8"}) == "ko"
    assert language("en", {"LANG": "ko_KR.UTF-8"}) == "en"
    with pytest.raises(ValueError, match="--lang fr: the suite speaks en, ko"):
        language("fr", {})
    en = translator("en")
    assert en("the data directory /var/lib/etcd") == "the data directory /var/lib/etcd" and en.missed == set()


def failing_run(lang: str):
    from reporting.model import Outcome, Run

    run = Run("1", {}, datetime.datetime(2026, 12, 7, tzinfo=datetime.timezone.utc), lang=lang)
    run.rerun = ".venv/bin/pytest features/ --hosts={hosts} --check={checks}"
    check = {"id": "dir.data", "what": "the data directory /var/lib/etcd",
             "expected": "directory, mode 0700, owner root:root", "found": "directory, mode 0755, owner root:root",
             "fix": "chmod 700 /var/lib/etcd", "see": "", "evidence": []}
    for host in ("server", "node-0"):
        run.outcomes.append(Outcome(
            nodeid=f"features/test_etcd_step.py::test_data[paramiko://{host}]", host=host,
            feature="etcd's directories and unit are configured as the tutorial says",
            feature_file="etcd_configuration.feature", scenario="The data directory exists and only etcd's user "
            "can enter it", status="failed", duration=0.1, check_ids=["dir.data"], failed_check="dir.data",
            check=check))
    run.finished = run.started
    return run


def test_the_terminal_summary_in_korean_keeps_the_tokens_scripts_read():
    from reporting.html import terminal_summary

    lines = terminal_summary(failing_run("ko"))
    assert lines[0] == "== 고칠 것 (튜토리얼 순서) =="
    assert "[FAIL] server: [dir.data] 데이터 디렉터리 /var/lib/etcd" in lines
    assert "       run again: .venv/bin/pytest features/ --hosts=server --check=dir.data" in lines
    assert "== 요약 ==" in lines and "server: FAIL (0 passed, 1 failed, 0 skipped)" in lines
    english = terminal_summary(failing_run("en"))
    assert english[0] == "== Remediations (in the tutorial's order) ==" and "== Summary ==" in english


def test_the_report_and_the_class_board_in_korean():
    from reporting import board, html

    page = html.render(failing_run("ko"))
    assert '<html lang="ko">' in page
    assert "server에서 고칠 것 (1), 튜토리얼 순서" in page and "실패한 것만 다시 실행:" in page
    assert "데이터 디렉터리 /var/lib/etcd" in page and "디렉터리, 권한 0755, 소유자 root:root" in page
    assert "<dt>요구 사항</dt><dd>데이터 디렉터리가 있고 etcd의 사용자만 들어갈 수 있다</dd>" in page
    assert "What to fix" not in page
    grid = board.render(failing_run("ko"))
    assert "반 현황판: 호스트 2대의 etcd 단계" in grid and "실패한 호스트 수" in grid and "Class board" not in grid
    assert "What to fix on server" in html.render(failing_run("en"))
