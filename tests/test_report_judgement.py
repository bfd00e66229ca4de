"""`pyxl report` after `pyxl consolidate` takes the judgement consolidate kept — and judges again when anything it was made from changed.

A workspace of the bundled example where 区财政局 returned June's sheet; each test
runs the real CLI (consolidate, then report), changes one kind of input the
judgement reads, and checks that the 通报 shows the change. Reuse is proved by
the summary workbook and the kept judgement staying the very same files, and by
the consolidation core not being called at all.
"""

from __future__ import annotations

import hashlib
import hmac
import pickle
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from docx import Document
from test_consolidate_pipeline import _fill

from pyxl import pipeline
from pyxl.cli import main
from pyxl.common.config import load_settings
from pyxl.common.period import Period
from pyxl.distribution import layout
from pyxl.example import example_config, use_example_document
from pyxl.judgement import consolidate as core
from pyxl.pipeline import kept_judgement
from pyxl.pipeline.kept_judgement import JUDGEMENT_FILE
from pyxl.workspace import Workspace

JUNE = Period(2025, 6)
FINANCE, DEVELOPMENT = "区财政局", "区发展改革局"
AS_OF = "2025-07-10"


@pytest.fixture(scope="module")
def returned(tmp_path_factory) -> Path:
    """June's sheets sent to 区财政局 and 区发展改革局; 区财政局's filled sheet collected; 区发展改革局's waiting in filled/."""
    root = tmp_path_factory.mktemp("judged") / "工作目录"
    root.mkdir()
    shutil.copy(example_config(), root / "config.yaml")
    use_example_document(root)
    settings = load_settings(root / "config.yaml")
    pipeline.split_sheets(Workspace.load(settings), JUNE, units=[FINANCE, DEVELOPMENT])
    sent = {p.name: p for p in settings.distribution_dir(JUNE).glob("*.xlsx")}
    settings.inbox_dir.mkdir()
    _fill(next(p for n, p in sent.items() if FINANCE in n), settings.inbox_dir / "财政局6月.xlsx",
          {"2": {8: 50, 9: "按计划推进", 10: "收入稳步增长"}, "2-1": {7: 3.8}})  # growth 3.8% against 4%: a yellow light
    (root / "filled").mkdir()
    _fill(next(p for n, p in sent.items() if DEVELOPMENT in n), root / "filled" / "发改局6月.xlsx",
          {"1": {8: 55, 9: "按计划推进", 10: "一季度增长5.8%"}, "1-1": {7: 5.9}})
    pipeline.collect_returns(Workspace.load(settings), JUNE, None, now=datetime(2025, 7, 4, 16, 0))
    return root


@pytest.fixture
def root(returned: Path, tmp_path: Path) -> Path:
    target = tmp_path / "工作目录"
    shutil.copytree(returned, target)
    return target


def _cli(root: Path, *args: str) -> int:
    return main(["--config", str(root / "config.yaml"), *args])


def _report(root: Path, as_of: str = AS_OF) -> int:
    return _cli(root, "report", "--period", "2025-06", "--as-of", as_of)


def _bulletin(root: Path) -> str:
    document = Document(str(root / "out" / "2025-06" / "督查通报_2025-06.docx"))
    return "\n".join([p.text for p in document.paragraphs]
                     + [c.text for t in document.tables for r in t.rows for c in r.cells])


def _identity(path: Path) -> tuple[int, int]:
    """(inode, mtime): every write of the summary and the judgement replaces the file, so a new write is a new identity."""
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def _summary(root: Path) -> Path:
    return root / "out" / "2025-06" / "汇总_2025-06.xlsx"


def _kept(root: Path) -> Path:
    return root / "out" / "2025-06" / JUDGEMENT_FILE


def _consolidated(root: Path, as_of: str = AS_OF) -> tuple[tuple[int, int], tuple[int, int]]:
    """Consolidate and report once (the report reuses); the summary's and the kept judgement's identities."""
    _cli(root, "consolidate", "--period", "2025-06", "--as-of", as_of)
    before = _identity(_summary(root)), _identity(_kept(root))
    _report(root, as_of)
    assert (_identity(_summary(root)), _identity(_kept(root))) == before
    return before


def test_report_after_consolidate_takes_its_judgement(root, monkeypatch, capsys):
    assert _cli(root, "consolidate", "--period", "2025-06", "--as-of", AS_OF) == 1  # 49 units have not reported
    said = capsys.readouterr().out
    summary, kept = _identity(_summary(root)), _identity(_kept(root))

    def no_consolidation(*args, **kwargs):
        raise AssertionError("report consolidated again")

    monkeypatch.setattr(core, "consolidate", no_consolidation)
    assert _report(root) == 1
    printed = capsys.readouterr().out
    assert (_identity(_summary(root)), _identity(_kept(root))) == (summary, kept)  # neither written again
    # the report prints the consolidation's lines as consolidate did, and still names the summary beside the 通报
    consolidated = [line for line in said.splitlines() if not line.startswith("  ")]
    assert printed.splitlines()[:len(consolidated)] == consolidated
    assert "汇总表：out/2025-06/汇总_2025-06.xlsx" in printed and "已生成2025年6月督查通报" in printed
    text = _bulletin(root)
    assert "应报送单位51个，按时报送1个" in text and "其中黄灯1项" in text

    # a second report again takes it; remind (which judges too) takes it as well
    assert _report(root) == 1
    assert (_identity(_summary(root)), _identity(_kept(root))) == (summary, kept)
    reminded = pipeline.send_reminders(Workspace.load(load_settings(root / "config.yaml")), JUNE, date(2025, 7, 10),
                                       datetime(2025, 7, 10, 9), dry_run=True)
    assert len(reminded.outputs) > 0


def test_report_without_a_kept_judgement_consolidates(root):
    assert _report(root) == 1
    assert _summary(root).exists() and _kept(root).exists()
    assert "应报送单位51个，按时报送1个" in _bulletin(root)


def test_a_new_return_in_the_archive(root):
    summary, _ = _consolidated(root)
    assert "按时报送1个" in _bulletin(root)
    _cli(root, "collect", "--period", "2025-06", str(root / "filled" / "发改局6月.xlsx"))
    _report(root)
    assert "应报送单位51个，按时报送1个，逾期报送1个" in _bulletin(root)  # collected today, after the due date
    assert _identity(_summary(root)) != summary  # judged again: the summary beside the 通报 is this judgement's


def test_an_office_adjustment_in_the_masters_request_sheet(root):
    settings = load_settings(root / "config.yaml")
    pipeline.build_workbook(Workspace.load(settings), now=datetime(2025, 6, 1, 9))
    _consolidated(root)
    assert "经审核调整完成时限的任务" not in _bulletin(root)
    pipeline.decide_requests(Workspace.load(settings), JUNE, now=datetime(2025, 6, 20, 9), task="8", adjust=True,
                             new_deadline=date(2025, 10, 31), decided=date(2025, 6, 20), note="规划调整")
    _report(root)
    assert "经审核调整完成时限的任务1项：任务8" in _bulletin(root)


def test_a_closure_in_the_masters_closure_sheet(root):
    settings = load_settings(root / "config.yaml")
    pipeline.build_workbook(Workspace.load(settings), now=datetime(2025, 6, 1, 9))
    _consolidated(root)
    assert "已销号" not in _bulletin(root)
    pipeline.close_tasks(Workspace.load(settings), JUNE, as_of=date(2025, 7, 10), now=datetime(2025, 6, 21, 9),
                         task="2", day=date(2025, 6, 21))
    _report(root)
    assert "已完成的任务中，已销号1项" in _bulletin(root)


def test_a_threshold_in_config_yaml(root):
    _consolidated(root)
    assert "其中黄灯1项" in _bulletin(root)
    config = root / "config.yaml"
    text = config.read_text(encoding="utf-8")
    assert "growth_yellow_points: 1.0 " in text
    config.write_text(text.replace("growth_yellow_points: 1.0 ", "growth_yellow_points: 0.1 ", 1), encoding="utf-8")
    _report(root)
    text = _bulletin(root)
    assert "其中红灯1项" in text and "黄灯" not in text


def test_another_as_of(root, capsys):
    _consolidated(root)
    capsys.readouterr()
    _report(root, "2025-07-06")  # before the due date (7 July): nobody is late yet
    assert "截至2025年7月6日" in capsys.readouterr().out
    assert "逾期未报" not in _bulletin(root)
    _report(root, AS_OF)
    assert "逾期未报" in _bulletin(root)


def test_an_earlier_months_summary(root):
    _consolidated(root)
    assert "自2025年5月起连续2个月预警" not in _bulletin(root)
    _cli(root, "consolidate", "--period", "2025-05", "--as-of", "2025-06-10")  # May judged after June: its 汇总 counts
    _report(root)
    assert "区农业农村局：2025年6月推进情况报送，逾期未报，自2025年5月起连续2个月预警" in _bulletin(root)


@pytest.mark.parametrize("damage", ["torn", "foreign", "not-a-judgement"])
def test_a_damaged_or_foreign_kept_judgement_is_judged_afresh(root, damage):
    summary, _ = _consolidated(root)
    kept = _kept(root)
    data = kept.read_bytes()
    head = len(kept_judgement._MAGIC)
    sealed = data[head + 32:]  # the seal (32 bytes), then what it seals: the names written with it, the fingerprint, the pickle
    if damage == "torn":
        kept.write_bytes(data[: len(data) // 2])
    elif damage == "foreign":  # sealed by another workspace (another key), with this workspace's fingerprint
        kept.write_bytes(kept_judgement._MAGIC + hmac.new(b"another workspace's key", sealed, hashlib.sha256).digest() + sealed)
    else:  # sealed with this workspace's key and fingerprint, but not a judgement
        start = 4 + int.from_bytes(sealed[:4], "big") + 32
        sealed = sealed[:start] + pickle.dumps({"tasks": []})
        key = layout.workspace_key(root)
        kept.write_bytes(kept_judgement._MAGIC + hmac.new(key, sealed, hashlib.sha256).digest() + sealed)
    assert _report(root) == 1
    assert "应报送单位51个，按时报送1个" in _bulletin(root)
    assert _identity(_summary(root)) != summary  # consolidated afresh, the summary written again
    again = _identity(_summary(root)), _identity(_kept(root))
    _report(root)  # and kept whole again: the next report takes it
    assert (_identity(_summary(root)), _identity(_kept(root))) == again


def test_a_summary_removed_or_edited_since_is_written_again(root):
    _consolidated(root)
    _summary(root).unlink()
    _report(root)
    assert _summary(root).exists()  # the report names it among its outputs: it is there, with this judgement
    written = _identity(_summary(root))
    _summary(root).write_bytes(b"edited by hand")
    _report(root)
    assert _identity(_summary(root)) != written and _summary(root).read_bytes()[:2] == b"PK"
