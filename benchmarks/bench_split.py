"""Benchmark: per-unit workbooks for a province-sized synthetic case.

    .venv/bin/python benchmarks/bench_split.py [--units 500] [--tasks 1000] [--baseline 100]

1,000 tasks over 500 units (each task one lead unit and eight responsible
units, three in ten with a target), about 20 rows per unit. Reports
milliseconds per unit workbook for pyxl's writer (fast_book, XlsxWriter's bytes) and, in the
same run, for a naive baseline writing the same content cell by cell with
openpyxl; and peak traced memory while writing 100 and all units, which must
not grow with the number of units. Prints a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openpyxl  # noqa: E402
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side  # noqa: E402
from openpyxl.worksheet.datavalidation import DataValidation  # noqa: E402

from pyxl.common.model import STATUSES, DutyTable, Target, Task, Unit, UnitDirectory  # noqa: E402
from pyxl.common.units import UnitIndex  # noqa: E402
from pyxl.distribution import layout  # noqa: E402
from pyxl.distribution.split import plan_split, write_unit_files  # noqa: E402
from pyxl.common.period import chinese_date  # noqa: E402
from pyxl.common.sheet_text import CJK_WIDEN, wrapped_lines  # noqa: E402
from pyxl.distribution.unit_sheet import (  # noqa: E402
    _WIDTHS, NOTE, SheetRow, _row_height, instructions, plan_unit_sheet, sheet_name_for,
)
from pyxl.distribution.fast_book import FastBookWriter  # noqa: E402

PERIOD, DUE = "2025-06", date(2025, 7, 5)
TEXT = "围绕产业链构建人才链，鼓励政校企共建人才培养体系，扩展招才引智渠道，加快重点项目建设，推动项目早日竣工投产。"


def synthetic(tasks: int, units: int, seed: int = 7) -> tuple[DutyTable, UnitIndex]:
    rng = random.Random(seed)
    names = [f"第{i + 1:03d}单位" for i in range(units)]
    duty_tasks = []
    for i in range(tasks):
        lead = names[i % units]
        responsible = rng.sample([n for n in names if n != lead], 8)
        targets = []
        if i % 10 < 3:
            targets.append(Target(f"新增企业{100 + i}家以上", "新增企业", 100 + i, "家", "count", ">="))
        duty_tasks.append(Task(str(i + 1), "一", None, TEXT * (1 + i % 3), [lead], responsible, targets=targets))
    directory = UnitDirectory(tuple(Unit(n, "区直部门") for n in names))
    return DutyTable("基准", 2025, [], duty_tasks), UnitIndex(directory)


def naive_openpyxl(path: Path, unit: str, rows: list[SheetRow]) -> None:
    """The same workbook written the obvious way: cell by cell, styles set on each cell, with openpyxl.

    Same content as `write_unit_workbook` for a sheet without pre-filled
    answers: the title block, 15 columns with their widths, each row's locked
    and input cells styled as they are there (target rows shaded, questions a
    row does not ask closed in grey), row heights, the four validations with
    their prompts, the footer, the instructions, print setup, protection and
    the hidden identity sheet. Only what openpyxl has no call for is left out
    (the "number stored as text" marks).
    """
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = sheet_name_for(unit)
    book.properties.title, book.properties.creator = layout.title(2025, PERIOD), "pyxl"
    last_col = len(layout.COLUMNS)
    letter = openpyxl.utils.get_column_letter
    # each style object made once, as anyone would; what is naive is setting them cell by cell
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    fills = {color: PatternFill("solid", fgColor=color) for color in ("D9D9D9", "F2F2F2", "FFF2CC", "E7E6E6")}
    body, bold = Font(name="宋体", size=11), Font(name="宋体", size=11, bold=True)
    unlocked = Protection(locked=False)

    def put(row: int, col: int, value, font: Font, align: Alignment, fill: str | None = None, border: bool = True,
            locked: bool = True, number_format: str | None = None) -> None:
        cell = sheet.cell(row, col, value)
        cell.font, cell.alignment = font, align
        if border:
            cell.border = box
        if fill:
            cell.fill = fills[fill]
        if not locked:
            cell.protection = unlocked
        if number_format:
            cell.number_format = number_format

    title = layout.title(2025, PERIOD)
    put(1, 1, title, Font(name="黑体", size=16, bold=True), Alignment(horizontal="center", vertical="center"), border=False)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last_col)
    sheet.row_dimensions[1].height = 30
    put(2, 1, layout.UNIT_LABEL + unit, Font(name="宋体", size=12, bold=True), Alignment(vertical="center"), border=False)
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=6)
    put(2, 7, f"报送截止：{chinese_date(DUE)}（星期{'一二三四五六日'[DUE.weekday()]}）", Font(name="宋体", size=12, bold=True, color="C00000"),
        Alignment(horizontal="right", vertical="center"), border=False)
    sheet.merge_cells(start_row=2, start_column=7, end_row=2, end_column=last_col)
    sheet.row_dimensions[2].height = 22
    put(3, 1, NOTE, Font(name="宋体", size=10, color="595959"), Alignment(horizontal="left", vertical="center"), border=False)
    sheet.merge_cells(start_row=3, start_column=1, end_row=3, end_column=last_col)
    sheet.row_dimensions[3].height = 18
    for col, (title_text, width) in enumerate(zip(layout.COLUMNS, _WIDTHS), start=1):
        sheet.column_dimensions[letter(col)].width = width
        put(4, col, title_text, bold, Alignment(horizontal="center", vertical="center", wrap_text=True), fill="D9D9D9")
    sheet.row_dimensions[4].height = 30

    top = {horizontal: Alignment(horizontal=horizontal, vertical="top", wrap_text=True) for horizontal in (None, "center", "right")}
    indented = Alignment(vertical="top", wrap_text=True, indent=1)
    locked_align = ("center", None, "center", None, None, "center")
    input_align = {"本期完成值": "right", "完成进度(%)": "right", "状态": "center", "申请新完成时限": "center"}
    value_tasks, value_targets, asking = [], [], []
    for r, row in enumerate(rows, start=5):
        is_target = row.target_index is not None
        for col, (value, align) in enumerate(zip(row.locked_values, locked_align), start=1):
            put(r, col, value, bold if col == 1 and not is_target else body,
                indented if is_target and col == 2 else top[align], fill="F2F2F2" if is_target else None)
        for col, title_text in enumerate(layout.INPUT_COLUMNS, start=len(layout.LOCKED_COLUMNS) + 1):
            asked = title_text in row.asks
            put(r, col, None, body, top[input_align.get(title_text) if asked else None],
                fill="FFF2CC" if asked else "E7E6E6", locked=not asked,
                number_format="yyyy-mm-dd" if asked and title_text == "申请新完成时限" else None)
        (value_targets if is_target else value_tasks).append(f"G{r}")
        if "申请新完成时限" in row.asks:
            asking.append(f"N{r}")
        sheet.row_dimensions[r].height = _row_height(row, {})
    last = 4 + len(rows)

    def validation(cells: list[str], prompt_title: str, prompt: str, error: str, error_title: str = "请填写数字", **rule) -> None:
        if cells:
            check = DataValidation(**rule, showInputMessage=True, promptTitle=prompt_title, prompt=prompt,
                                   showErrorMessage=True, errorTitle=error_title, error=error, errorStyle="stop")
            for cell_range in cells:
                check.add(cell_range)
            sheet.add_data_validation(check)

    numbers = dict(type="decimal", operator="between", formula1="-999999999999", formula2="999999999999")
    validation(value_targets, "本期完成值（指标）", "填写年初至本期末的累计完成数（增速类指标填累计增速），只填数字，不带单位。",
               "本期完成值只能填数字（不带单位、不带%），例如 3400 或 5.2。", **numbers)
    validation(value_tasks, "本期完成值", "任务有可量化的累计完成数时填写数字，没有可留空；文字进展请写在“进展情况”。",
               "本期完成值只能填数字（不带单位），没有可留空。", **numbers)
    validation([f"H5:H{last}"], "完成进度(%)", "填 0—100 之间的数字，例如 60 表示完成 60%，不带%。",
               "完成进度只能填 0 到 100 之间的数字（不带%）。", type="decimal", operator="between", formula1="0", formula2="100")
    validation([f"I5:I{last}"], "状态", "请从下拉列表选择：" + "、".join(STATUSES) + "。", "状态只能是：" + "、".join(STATUSES) + "。",
               error_title="请从列表选择", type="list", formula1='"' + ",".join(STATUSES) + '"')
    validation(asking, "申请新完成时限", "确需延期时填写日期，如 2025-09-30，并在右侧填写申请理由；不申请则留空。",
               "申请新完成时限只能填日期，如 2025-09-30。", error_title="请填写日期", type="date", operator="between",
               formula1=str((date(2025, 1, 1) - date(1899, 12, 30)).days), formula2=str((date(2030, 12, 31) - date(1899, 12, 30)).days))

    footer = last + 2
    for label in layout.FOOTER_LABELS:
        down, col = layout.FOOTER_PLACES[label]
        put(footer + down, col + 1, label, bold, Alignment(horizontal="right"), border=False)
        value = sheet.cell(footer + down, col + 2)
        value.font, value.border, value.fill, value.protection = body, Border(bottom=thin), fills["FFF2CC"], unlocked
        if label == "填报日期":
            value.number_format = 'yyyy"年"m"月"d"日"'
            value.alignment = Alignment(horizontal="left")
        sheet.row_dimensions[footer + down].height = 24
    help_row = footer + 4
    text = instructions(DUE, False)
    put(help_row, 1, text, Font(name="宋体", size=10), Alignment(horizontal="left", vertical="top", wrap_text=True), border=False)
    sheet.merge_cells(start_row=help_row, start_column=1, end_row=help_row, end_column=last_col)
    lines = sum(wrapped_lines(line, int(sum(_WIDTHS) / CJK_WIDEN) - 4) for line in text.split("\n"))
    sheet.row_dimensions[help_row].height = lines * 14.2 + 6

    sheet.freeze_panes = "C5"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "4:4"
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top, sheet.page_margins.bottom = 0.5, 0.6
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    sheet.protection.sheet = True
    sheet.protection.formatRows = sheet.protection.formatColumns = False  # False: allowed
    sheet.protection.password = "pyxl"

    ident = book.create_sheet(layout.IDENTITY_SHEET)
    values = [unit, PERIOD, layout.TEMPLATE_VERSION, sheet.title, "4", layout.KEY_SEPARATOR.join(r.key for r in rows),
              layout.locked_hash(unit, PERIOD, (r.locked_values for r in rows))]
    for r, (key, val) in enumerate(zip(layout.IDENTITY_KEYS, values), start=1):
        ident.cell(r, 1, key)
        ident.cell(r, 2, val)
    ident.column_dimensions["A"].width, ident.column_dimensions["B"].width = 14, 60
    ident.protection.sheet = True
    ident.sheet_state = "hidden"
    book.save(path)


def timed_split(plan, folder: Path, only=None) -> float:
    start = time.perf_counter()
    write_unit_files(folder, folder.parent / "all.zip", plan, PERIOD, DUE, 2025, only=only)
    return time.perf_counter() - start


def peak_memory(plan, folder: Path, units: list[str]) -> float:
    gc.collect()
    tracemalloc.start()
    write_unit_files(folder, folder.parent / "all.zip", plan, PERIOD, DUE, 2025, only=units)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--baseline", type=int, default=100, help="units written by the naive baseline")
    parser.add_argument("--rounds", type=int, default=3, help="report the best of this many rounds")
    args = parser.parse_args()

    duty, index = synthetic(args.tasks, args.units)
    start = time.perf_counter()
    plan = plan_split(duty, index)
    plan_seconds = time.perf_counter() - start
    units = list(plan.rows)
    rows = [len(r) for r in plan.rows.values()]

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "分发"
        timed_split(plan, folder, only=units[:20])  # warm-up (imports, caches)
        sample = units[: args.baseline]
        total = writer = naive = float("inf")
        # best of several rounds, as timeit does: other processes only ever add time
        for _round in range(args.rounds):
            # the run as the CLI does it: every workbook, atomic writes, manifest and zip
            total = min(total, timed_split(plan, folder))
            # the writer alone, into memory, as split uses it: one FastBookWriter for the run
            start = time.perf_counter()
            fast = FastBookWriter()
            for unit in units:
                fast.write(plan_unit_sheet(unit, PERIOD, plan.rows[unit], DUE))
            writer = min(writer, time.perf_counter() - start)
            # the naive baseline, same content, cell by cell with openpyxl
            start = time.perf_counter()
            for unit in sample:
                naive_openpyxl(Path(tmp) / "naive.xlsx", unit, plan.rows[unit])
            naive = min(naive, time.perf_counter() - start)
        small = peak_memory(plan, folder, units[:100])
        large = peak_memory(plan, folder, units)

    per = lambda seconds, n: seconds / n * 1000  # noqa: E731
    print(f"合成案例：{args.tasks} 项任务、{len(units)} 个单位、每单位平均 {sum(rows) / len(rows):.1f} 行"
          f"（最少 {min(rows)}，最多 {max(rows)}）；分配用时 {plan_seconds * 1000:.0f} ms；"
          f"Python {sys.version.split()[0]}，{os.cpu_count()} 核，负载 {os.getloadavg()[0]:.1f}；取 {args.rounds} 轮中最快一轮")
    print()
    print("| 测量 | 每个单位表 (ms) | 说明 |")
    print("| --- | ---: | --- |")
    print(f"| pyxl 写出器（按形状套用 XlsxWriter 的样板，写入内存） | {per(writer, len(units)):.2f} | {len(units)} 个工作簿 |")
    print(f"| `pyxl split` 全流程（原子写入 + 分发清单 + 压缩包） | {per(total, len(units)):.2f} | 共 {total:.2f} s |")
    print(f"| 朴素基线：openpyxl 逐格写入同样内容 | {per(naive, len(sample)):.2f} | {len(sample)} 个工作簿 |")
    print()
    print("| 峰值内存（tracemalloc） | MiB |")
    print("| --- | ---: |")
    print(f"| 写 100 个单位表 | {small:.1f} |")
    print(f"| 写全部 {len(units)} 个单位表 | {large:.1f} |")


if __name__ == "__main__":
    main()
