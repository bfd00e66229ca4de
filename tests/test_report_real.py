"""The bulletin and the dashboard from a real consolidation of the bundled example (89 tasks)."""

from __future__ import annotations

from datetime import date, datetime

import openpyxl
import pytest
import xlsxwriter
from test_dashboard import _cells, _charts
from test_report import TEMPLATES, _docx_text, _headline, _html_text

from pyxl.common.config import load_settings
from pyxl.common.model import ReturnRow, UnitReturn
from pyxl.common.period import Period
from pyxl.common.units import UnitIndex
from pyxl.document.parse import parse_document
from pyxl.example import example_config, example_document
from pyxl.judgement.consolidate import consolidate, task_roles
from pyxl.outputs.counting import lagging_items
from pyxl.outputs.notices import NOTICE_LIST, safe_file_name
from pyxl.outputs.report import write_bulletin
from pyxl.outputs.dashboard import add_dashboard

JUNE = Period(2025, 6)
# status and percentage a clerk reports, by task number (deterministic, covers every category)
ANSWERS = [("已完成", 100), ("按计划推进", 70), ("按计划推进", 50), ("滞后", 20), ("未启动", None), ("按计划推进", 55)]


def _returns(duty, directory) -> list[UnitReturn]:
    roles = task_roles(duty, UnitIndex(directory))
    rows: dict[str, list[ReturnRow]] = {}
    for position, task in enumerate(duty.tasks):
        status, percent = ANSWERS[position % len(ANSWERS)]
        for unit in roles[task.number].leads:
            unit_rows = rows.setdefault(unit, [])
            unit_rows.append(
                ReturnRow(key=task.number, task_number=task.number, target_index=None, status=status, percent=percent,
                          progress=f"{task.number}号任务按计划推进。", issues="要素保障不足。" if status == "滞后" else "")
            )
            for index, target in enumerate(task.targets):
                factor = (0.3, 0.55, 0.7)[(position + index) % 3]
                value = target.value if target.kind == "growth" else round(target.value * factor, 2)
                if target.kind == "growth" and position % 3 == 0:
                    value = target.value - 2  # a red growth target
                unit_rows.append(ReturnRow(key=task.target_key(index), task_number=task.number, target_index=index,
                                           value=value, value_text=str(value)))
    units = sorted(rows)
    missing, late = units[0], units[1]
    made = []
    for unit in units:
        if unit == missing:
            continue
        day = 8 if unit == late else 3
        made.append(UnitReturn(unit=unit, period=str(JUNE), file=f"returns/2025-06/{unit}.xlsx", sha256="0" * 64,
                               received=datetime(2025, 7, day, 10, 0), rows=rows[unit], accepted=True))
    return made


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    settings = load_settings(example_config())
    directory = settings.unit_directory()
    duty = parse_document(example_document(), directory, settings.year)
    consolidation = consolidate(duty, directory, _returns(duty, directory), {}, JUNE, date(2025, 7, 10),
                                settings.thresholds, settings.period.return_due_day)
    out = tmp_path_factory.mktemp("real") / "2025-06"
    paths = write_bulletin(consolidation, out, TEMPLATES, settings.district, date(2025, 7, 17))
    return consolidation, out, paths


def test_real_consolidation_covers_the_bulletin_cases(real):
    consolidation, _, _ = real
    assert len(consolidation.tasks) == 89
    assert {"已完成", "超序时进度", "达序时进度", "欠序时进度", "未启动"} <= set(consolidation.tasks["category"])
    assert (consolidation.indicators["light"] == "red").any()


def test_real_bulletin_numbers_match_the_tables(real):
    consolidation, out, _ = real
    docx = _docx_text(out / "督查通报_2025-06.docx")
    html = _html_text(out / "督查通报_2025-06.html")
    for phrase in _headline(consolidation):
        assert phrase in docx and phrase in html
    lagging = lagging_items(consolidation)
    assert len(lagging) > 0
    for item in lagging.itertuples():
        assert f"{item.kind}{item.key}：" in docx and f"{item.kind}{item.key}：" in html


def test_real_notices_for_every_unit_the_rule_selects(real):
    consolidation, out, paths = real
    flags = consolidation.flags
    red_units = {unit for cell in flags.loc[flags["level"] == "red", "unit"].dropna() for unit in cell.split("、") if unit}
    assert red_units
    units = consolidation.units
    selected = set(units.loc[units["notice_level"] != "", "unit"])
    assert red_units <= selected  # a red flag always earns a 督办单 under the default rule
    assert {p.name for p in (out / "督办单").iterdir()} == {
        f"{safe_file_name(u)}{suffix}" for u in selected for suffix in (".docx", "_回执.xlsx")} | {NOTICE_LIST}


def test_real_dashboard_series(real, tmp_path):
    consolidation, _, _ = real
    path = tmp_path / "汇总_2025-06.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    add_dashboard(workbook, consolidation)
    workbook.close()
    book = openpyxl.load_workbook(path)
    (series,) = _charts(path)["doughnutChart"]
    counts = consolidation.tasks["category"].value_counts()
    for label, value in zip(_cells(book, series["categories"]), _cells(book, series["values"])):
        assert value == counts.get(label, 0)
