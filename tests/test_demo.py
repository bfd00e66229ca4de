"""`pyxl demo` end to end in a temporary folder: every output of the month, nothing mocked."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from pyxl.cli import main
from pyxl.common.model import SHEET_NAMES
from pyxl.common.period import Period
from pyxl.demo.run import DEMO_MARKER, run_demo

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("demo") / "演示"
    return folder, run_demo(folder, Period(2025, 6))


def test_demo_writes_every_output_of_the_month(demo):
    folder, result = demo
    out = folder / "out" / "2025-06"
    assert (folder / "workbook" / "Responsibilities.xlsm").stat().st_size > 10_000
    unit_files = list((out / "分发").glob("*.xlsx"))
    assert len(unit_files) >= 10
    assert len(list((out / "outbox").glob("*.eml"))) == len(unit_files)
    assert list((folder / "returns" / "2025-06").iterdir())
    assert (out / "汇总_2025-06.xlsx").exists()
    assert (out / "督查通报_2025-06.docx").exists() and (out / "督查通报_2025-06.html").exists()
    assert list((out / "督办单").glob("*.docx"))
    assert list((folder / "邮件服务器").glob("*.eml"))


def test_demo_summary_matches_the_consolidated_tables(demo):
    folder, result = demo
    consolidation = result.data
    summary = "\n".join(result.summary)
    book = openpyxl.load_workbook(folder / "out" / "2025-06" / "汇总_2025-06.xlsx", read_only=True)
    returns = list(book[SHEET_NAMES["returns"]].iter_rows(values_only=True))
    assert len(returns) - 1 == len(consolidation.returns)
    states = consolidation.returns["status"]
    assert f"按时报送{int((states == '按时报送').sum())}个" in summary
    assert f"逾期未报{int((states == '逾期未报').sum())}个" in summary
    task_line = next(line for line in result.summary if line.startswith("任务："))
    printed = dict(item.rsplit(" ", 1) for item in task_line.removeprefix("任务：").rstrip("。").split("，"))
    counted = consolidation.tasks["category"].value_counts()
    assert {name: int(n) for name, n in printed.items()} == {name: int(counted.get(name, 0)) for name in printed}
    assert sum(int(n) for n in printed.values()) == len(consolidation.tasks) == 89


def test_demo_staged_defects_are_found(demo):
    folder, result = demo
    consolidation = result.data
    flags = set(consolidation.flags["flag"])
    assert "逾期未报" in flags  # the unit that never returned
    codes = set(consolidation.problems["code"])
    assert any("number" in code for code in codes)  # text typed into a number cell
    # 佐证材料: two units mail a 工作台账 with their sheet (archived under their name), one names a photo it never sends
    states = list(consolidation.evidence["state"])
    assert sorted(states) == ["已收到", "已收到", "未收到"] and "evidence-missing" in codes
    kept = sorted((folder / "returns" / "2025-06" / "佐证材料").glob("*/*.docx"))
    assert len(kept) == 2 and all(path.parent.name in path.name for path in kept)
    ledger = folder / "returns" / "2025-06" / "回收记录.csv"
    with ledger.open(encoding="utf-8-sig") as handle:
        statuses = [row["状态"] for row in csv.DictReader(handle)]  # the office reads it in Excel: Chinese
    assert "退回待改" in statuses and "采用" in statuses


def test_demo_refuses_a_folder_that_is_not_a_demo(tmp_path, capsys):
    folder = tmp_path / "我的工作目录"
    folder.mkdir()
    (folder / "重要.xlsx").write_bytes(b"keep me")
    assert main(["demo", "--dir", str(folder)]) == 2
    assert (folder / "重要.xlsx").read_bytes() == b"keep me"
    assert "演示" in capsys.readouterr().err


def test_demo_reruns_over_its_own_folder_with_the_same_result(demo):
    folder, first = demo
    assert (folder / DEMO_MARKER).exists()
    again = run_demo(folder, Period(2025, 6))
    for table in SHEET_NAMES:
        left = getattr(first.data, table).reset_index(drop=True)
        right = getattr(again.data, table).reset_index(drop=True)
        if table == "problems":  # archive paths are content hashes, so they match too
            left, right = left.astype(str), right.astype(str)
        assert left.equals(right), table
