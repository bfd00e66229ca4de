"""汇总_<period>.xlsx read back with openpyxl: sheets, headers, formats, and text that stays text."""

from __future__ import annotations

from datetime import date, datetime

import openpyxl
from test_consolidate_support import (
    DEVELOPMENT,
    FINANCE,
    HOUSING,
    duty,
    run,
    target,
    task,
    task_row,
    unit_return,
    value_row,
)

from pyxl.common.model import FLAG_COLUMNS, INDICATOR_COLUMNS, RETURN_COLUMNS, SHEET_NAMES, TASK_COLUMNS
from pyxl.common.problems import PROBLEM_LABELS, Problem
from pyxl.outputs.summary import write_summary

EVIL = "=cmd|' /C calc'!A0"


def _consolidation():
    table = duty(
        task(1, lead=(FINANCE,), responsible=(HOUSING,), targets=[target(1200, stretch=1300), target(4, kind="growth", unit="%")]),
        task(2, lead=(DEVELOPMENT,), deadline=date(2025, 6, 30)),
    )
    formula_problem = Problem(code="formula-in-cell", message="单元格里是公式文本：已按文字读取。", file="returns/2025-06/区住房城乡建设局.xlsx",
                              sheet="填报表", cell="J5", severity="warning")
    current = [
        unit_return(FINANCE, task_row(1, "按计划推进", 50, EVIL, "+1 资金缺口"), value_row("1-1", 500), value_row("1-2", 4.2),
                    received=datetime(2025, 7, 6, 10, 15)),
        unit_return(HOUSING, task_row(1, "按计划推进", 40, "@SUM(A1)"), value_row("1-1", 620), problems=[formula_problem]),
    ]
    return run(table, current)


def test_summary_has_one_sheet_per_table_with_chinese_headers(tmp_path):
    consolidation = _consolidation()
    path = write_summary(tmp_path / "out" / "汇总_2025-06.xlsx", consolidation)
    assert path.exists() and not [p for p in path.parent.iterdir() if p.name.startswith(".~pyxl-")]
    book = openpyxl.load_workbook(path)
    names = [n for n in book.sheetnames if n in SHEET_NAMES.values()]
    assert names == list(SHEET_NAMES.values())
    for sheet, columns in [("任务进度", TASK_COLUMNS), ("指标进度", INDICATOR_COLUMNS), ("回收情况", RETURN_COLUMNS),
                           ("预警", FLAG_COLUMNS), ("问题", PROBLEM_LABELS)]:
        ws = book[sheet]
        assert [c.value for c in ws[1]] == list(columns.values()), sheet
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
    assert book["任务进度"].max_row == 1 + len(consolidation.tasks)
    assert book["预警"].max_row == 1 + len(consolidation.flags)


def test_values_are_shown_in_chinese_and_numbers_stay_numbers(tmp_path):
    book = openpyxl.load_workbook(write_summary(tmp_path / "s.xlsx", _consolidation()))
    indicators = {row[0]: row for row in book["指标进度"].iter_rows(min_row=2, values_only=True)}
    headers = [c.value for c in book["指标进度"][1]]
    first = dict(zip(headers, indicators["1-1"]))
    # FINANCE reports 500 and HOUSING 620: 数据待核实, no light until the office records the accepted figure
    assert (first["灯号"], first["本期完成值"], first["序时目标"], first["达到力争值"], first["类型"]) == ("待核实", 500, 600, None, "数量")
    assert first["比较"] == "不低于"  # comparators in words
    returns = {row[0]: dict(zip([c.value for c in book["回收情况"][1]], row))
               for row in book["回收情况"].iter_rows(min_row=2, values_only=True)}
    assert returns[FINANCE]["是否逾期"] == "是" and returns[FINANCE]["报送时间"] == datetime(2025, 7, 6, 10, 15)
    assert returns[DEVELOPMENT]["是否报送"] == "否" and returns[DEVELOPMENT]["报送时间"] is None
    tasks = {row[0]: dict(zip([c.value for c in book["任务进度"][1]], row))
             for row in book["任务进度"].iter_rows(min_row=2, values_only=True)}
    assert tasks["2"]["完成时限"] == datetime(2025, 6, 30)
    assert {row[1] for row in book["预警"].iter_rows(min_row=2, values_only=True)} <= {"红", "黄"}


def test_conditional_formats_colour_lights_categories_and_levels(tmp_path):
    book = openpyxl.load_workbook(write_summary(tmp_path / "s.xlsx", _consolidation()))

    def rules(sheet):
        found = {}
        for cf_range in book[sheet].conditional_formatting:
            for rule in cf_range.rules:
                found[rule.formula[0]] = (str(cf_range.sqref), rule.dxf.fill.bgColor.rgb if rule.dxf and rule.dxf.fill else None)
        return found

    lights = rules("指标进度")
    assert {'"红"', '"黄"', '"绿"'} <= set(lights)
    assert lights['"红"'][0].startswith("M2:M")  # the 灯号 column
    assert lights['"红"'][1] != lights['"绿"'][1]
    assert {'"欠序时进度"', '"未报送"', '"超序时进度"'} <= set(rules("任务进度"))
    assert {'"红"', '"黄"'} <= set(rules("预警"))
    assert {'"错误"', '"提示"'} <= set(rules("问题"))


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    book = openpyxl.load_workbook(write_summary(tmp_path / "s.xlsx", _consolidation()))
    cells = [cell for row in book["任务进度"].iter_rows(min_row=2) for cell in row]
    by_value = {cell.value: cell for cell in cells if isinstance(cell.value, str)}
    assert by_value[EVIL].data_type == "s"
    assert by_value["+1 资金缺口"].data_type == "s"
    assert any("@SUM(A1)" in str(cell.value) and cell.data_type == "s" for cell in cells)
    assert not any(cell.data_type == "f" for ws in book.worksheets for row in ws.iter_rows() for cell in row
                   if ws.title in SHEET_NAMES.values())


def test_rewriting_replaces_the_file_in_one_step(tmp_path):
    consolidation = _consolidation()
    path = tmp_path / "汇总_2025-06.xlsx"
    path.write_bytes(b"old")
    write_summary(path, consolidation)
    assert openpyxl.load_workbook(path).sheetnames[0] == "任务进度"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["汇总_2025-06.xlsx"]


def test_columns_fit_their_widest_text_and_wrapped_rows_are_tall_enough(tmp_path):
    """Widths and heights as a reader needs them: a narrow column as wide as its widest line, a row as tall as its longest wrapped text."""
    from pyxl.common.sheet_text import display_width, row_height, wrapped_lines

    long = "资金到位率偏低，" * 12 + "\n" + "第二行说明"
    table = duty(task(1, lead=(FINANCE,), responsible=(HOUSING,)), task(2, lead=(DEVELOPMENT,)))
    problems = [Problem(code="formula-in-cell", message=long, file="returns/2025-06/区财政局.xlsx", sheet="填报表", cell="J5",
                        severity="warning"),
                Problem(code="formula-in-cell", message="短", file="returns/2025-06/区住房城乡建设局.xlsx", sheet="一张名字很长的工作表",
                        cell="K6", severity="warning")]
    current = [unit_return(FINANCE, task_row(1, "按计划推进", 50), problems=problems[:1]),
               unit_return(HOUSING, task_row(1, "按计划推进", 40), problems=problems[1:])]
    book = openpyxl.load_workbook(write_summary(tmp_path / "s.xlsx", run(table, current)))
    sheet = book["问题"]
    headers = [c.value for c in sheet[1]]
    rows = [dict(zip(headers, row)) for row in sheet.iter_rows(min_row=2, values_only=True)]
    by_message = {row["说明"]: n for n, row in enumerate(rows, start=2)}
    # 说明 wraps in a fixed-width column (50): the row holds every line of it; a one-line message keeps the default height
    lines = wrapped_lines(long, 50 - 1.5)
    assert lines > 2 and abs(sheet.row_dimensions[by_message[long]].height - row_height(lines)) < 0.5  # XlsxWriter rounds to pixels
    assert sheet.row_dimensions[by_message["短"]].height is None
    letter = {header: cell.column_letter for header, cell in zip(headers, sheet[1])}
    assert int(sheet.column_dimensions[letter["说明"]].width) == 50
    # 工作表 is not wrapped: as wide as its widest value or header, plus 2
    widest = max(display_width(str(row["工作表"] or "")) for row in rows)
    assert int(sheet.column_dimensions[letter["工作表"]].width) == max(widest, display_width("工作表")) + 2


def test_every_sheet_prints_legibly_wide_ones_on_pages_side_by_side(tmp_path):
    """No sheet shrinks below 70 % to fit one page wide: a wide one prints over pages side by side, each starting with 序号."""
    book = openpyxl.load_workbook(write_summary(tmp_path / "s.xlsx", _consolidation()))
    one_page = 140  # width units one A4 landscape page shows at 100 % (default margins)
    wide = []
    for sheet in book.worksheets:
        if sheet.title == "仪表盘":  # laid out as one printed page of its own
            continue
        setup = sheet.page_setup
        assert (setup.orientation, setup.paperSize, sheet.print_title_rows) == ("landscape", 9, "$1:$1"), sheet.title
        stored = {col: dim.width for dim in sheet.column_dimensions.values() if dim.min for col in range(dim.min, dim.max + 1)}
        widths = [stored[col] for col in range(1, sheet.max_column + 1)]  # XlsxWriter writes equal neighbours as one range
        pages = setup.fitToWidth or 1  # 1 is the file format's default, which XlsxWriter leaves out
        repeated = sheet.print_title_cols
        again = sum(widths[: {"$A:$A": 1, "$A:$C": 3}[repeated]]) if repeated else 0
        scale = min(1.0, pages * one_page / (sum(widths) + (pages - 1) * again))
        assert scale >= 0.7, (sheet.title, pages, sum(widths))
        assert (pages > 1) == bool(repeated) == (sum(widths) > one_page / 0.7), sheet.title
        if pages > 1:
            assert setup.pageOrder == "overThenDown"
            wide.append(sheet.title)
    assert {"任务进度", "指标进度", "任务历程"} <= set(wide)  # the wide data sheets of any month
