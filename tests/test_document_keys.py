"""Task keys from any numbering survive the loop: split → return → collect → consolidate → report.

A document that numbers its tasks again from 1 in each section keys them 一-2, 二-2;
their indicators are 一-2-1. A key used to be split on its first "-", so every return
of such a document was rejected as task-unknown. And a 1,000-task document keeps
task 1000 apart from task 999 all the way into the returns.
"""

from __future__ import annotations

import random
import re
import shutil
from datetime import date, datetime
from pathlib import Path

import docx
import pytest

from pyxl import pipeline
from pyxl.common.config import load_settings
from pyxl.common.model import Task, split_row_key
from pyxl.common.period import Period
from pyxl.demo.clerk import UnitScript, fill_unit_workbook
from pyxl.example import example_config
from pyxl.outputs.notices import notices
from pyxl.workspace import Workspace

PERIOD = Period(2025, 6)
NOW = datetime(2025, 7, 3, 9, 0)
HEADER = ("序号", "目标与任务", "分管区领导", "牵头责任单位", "责任单位", "完成时限")
RESTARTED = [
    ("一、经济发展主要预期目标", [
        ("1", "新增城镇就业8000人。", "王建国", "区人力资源社会保障局", "各街镇", "年底前"),
        ("2", "一般公共预算收入增长4%。", "李明", "区财政局", "区发展改革局", "年底前"),
    ]),
    ("二、重点工作任务", [
        ("1", "新开工重点项目50个以上。", "王建国", "区发展改革局", "区住房城乡建设局", "6月底前"),
        ("2", "新建改建农村公路100公里。", "赵丽", "区交通运输局", "区财政局", "年底前"),
    ]),
]


def _workspace(folder: Path, document: Path) -> Path:
    """A workspace whose config.yaml names `document` (a copy of the example's settings otherwise)."""
    folder.mkdir(parents=True)
    shutil.copy(document, folder / document.name)
    text = example_config().read_text(encoding="utf-8")
    text = re.sub(r'(?m)^  document: "".*$', f"  document: {document.name}", text)
    (folder / "config.yaml").write_text(text, encoding="utf-8")
    return folder / "config.yaml"


def _restarted_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("长清区2025年政府工作报告重点工作任务分工方案")
    table = document.add_table(rows=1, cols=len(HEADER))
    for column, text in enumerate(HEADER):
        table.cell(0, column).text = text
    for title, rows in RESTARTED:
        cells = table.add_row().cells
        cells[0].merge(cells[-1]).text = title
        for row in rows:
            cells = table.add_row().cells
            for column, text in enumerate(row):
                cells[column].text = text
    document.add_paragraph("")
    document.save(path)
    return path


def _return_everything(settings, duty, scripts: dict[str, UnitScript] | None = None) -> None:
    """Every unit fills its sheet as the demo clerk does and drops it into the inbox."""
    targets = {task.target_key(i): target for task in duty.tasks for i, target in enumerate(task.targets)}
    rng = random.Random(7)
    for sent in sorted(settings.distribution_dir(PERIOD).glob("*.xlsx")):
        unit = sent.stem.rsplit("_", 1)[-1]
        script = (scripts or {}).get(unit, UnitScript())
        fill_unit_workbook(sent, settings.inbox_dir / sent.name, script, targets, 0.5, rng, NOW)


def test_key_round_trip():
    task = Task("一-2", "一", None, "", [], [])
    numbers = {"一-2", "一-12", "43"}
    assert split_row_key("一-2", numbers) == ("一-2", None)
    assert split_row_key(task.target_key(0), numbers) == ("一-2", 0)
    assert split_row_key("一-12-3", numbers) == ("一-12", 2)
    assert split_row_key("43-1", numbers) == ("43", 0)
    assert split_row_key("43", numbers) == ("43", None)
    assert split_row_key("一-3", numbers) == ("一-3", None)  # no such task: not a target of task 一 either


def test_restart_numbered_document_returns_are_accepted_and_reported(tmp_path):
    config = _workspace(tmp_path / "工作目录", _restarted_docx(tmp_path / "分工方案.docx"))
    settings = load_settings(config)
    # the keys go through the master workbook the office keeps, and come back out of it
    pipeline.build_workbook(Workspace.load(settings), now=NOW)
    workspace = Workspace.load(settings)
    assert workspace.saved is not None
    assert [t.number for t in workspace.duty.tasks] == ["一-1", "一-2", "二-1", "二-2"]
    assert [len(t.targets) for t in workspace.duty.tasks] == [1, 1, 1, 1]
    pipeline.split_sheets(workspace, PERIOD)
    settings.inbox_dir.mkdir(exist_ok=True)
    # the 人社局 falls far behind, so its 督办单 lists its indicator and its task
    _return_everything(settings, workspace.duty, {"区人力资源社会保障局": UnitScript(pace=0.2, status="滞后")})

    collected = pipeline.collect_returns(Workspace.load(settings), PERIOD, None, now=NOW)
    assert [(p.file, p.code) for p in collected.problems if p.severity == "error"] == []
    assert collected.data and all(r.accepted for r in collected.data)
    rows = {row.key: (row.task_number, row.target_index) for r in collected.data for row in r.rows}
    assert rows["一-1"] == ("一-1", None) and rows["一-1-1"] == ("一-1", 0) and rows["二-2-1"] == ("二-2", 0)

    result = pipeline.write_report(Workspace.load(settings), PERIOD, date(2025, 7, 8)).data
    categories = dict(zip(result.tasks["number"].astype(str), result.tasks["category"]))
    assert set(categories) == {"一-1", "一-2", "二-1", "二-2"}
    assert "未报送" not in categories.values()  # every unit's return counted for its own tasks
    assert categories["一-1"] == "欠序时进度"
    indicators = set(result.indicators["key"].astype(str))
    assert {"一-1-1", "二-1-1", "二-2-1"} <= indicators
    [notice] = [n for n in notices(result, date(2025, 7, 15)) if n.unit == "区人力资源社会保障局"]
    subjects = {item["key"]: item["subject"] for item in notice.items}
    assert subjects["一-1-1"].startswith("指标一-1-1：") and "城镇" in subjects["一-1-1"]
    assert subjects["一-1"] == "任务一-1：新增城镇就业8000人"  # named by its short title (first clause)


@pytest.mark.slow
def test_a_thousand_tasks_split_and_collect_with_task_1000_apart(tmp_path):
    units = ["区发展改革局", "区财政局", "区住房城乡建设局", "区交通运输局", "区水务局"]
    lines = ["长清区2025年政府工作报告重点工作任务分工", "一、重点任务"]
    lines += [f"{n}.完成第{n}项重点工作。（牵头单位：{units[n % len(units)]}）" for n in range(1, 1001)]
    document = tmp_path / "千项任务.txt"
    document.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = load_settings(_workspace(tmp_path / "工作目录", document))
    workspace = Workspace.load(settings)
    assert len(workspace.duty.tasks) == 1000 and workspace.duty.task("1000").text == "完成第1000项重点工作。"
    pipeline.split_sheets(workspace, PERIOD)
    settings.inbox_dir.mkdir(exist_ok=True)
    _return_everything(settings, workspace.duty)
    collected = pipeline.collect_returns(Workspace.load(settings), PERIOD, None, now=NOW)
    assert [(p.file, p.code) for p in collected.problems if p.severity == "error"] == []
    keys = [row.key for r in collected.data for row in r.rows]
    assert sorted(keys, key=int) == [str(n) for n in range(1, 1001)]  # every task returned once, 1000 included
    assert all(r.accepted for r in collected.data)
