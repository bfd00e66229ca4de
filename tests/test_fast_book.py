"""The fast unit-workbook writer gives XlsxWriter's bytes, for units of every shape and every kind of text."""

from __future__ import annotations

import io
import random
from datetime import date

import openpyxl
import pytest

from pyxl.common.model import STATUSES, ReturnRow
from pyxl.distribution import layout
from pyxl.distribution.fast_book import FastBookWriter
from pyxl.distribution.unit_sheet import SheetRow, plan_unit_sheet, write_plan

PERIOD, DUE = "2025-06", date(2025, 7, 5)
# Texts a duty document or a unit's last return can hold: markup characters, quotes, line
# breaks, control characters, Excel's own _xHHHH_ escape written literally, spaces at the
# ends, characters outside the BMP, the two non-characters.
AWKWARD = [
    "推进A&B项目<一期>建设，\"重点\"工程'如期'完工",
    "第一行\n第二行\r\n第三行\t制表",
    "含控制字符\x01\x07\x1f的文本",
    "字面的 _x0041_ 与 _X00ff_ 转义",
    "  前后有空格  ",
    "\n以换行开头",
    "只在结尾有空格 ",
    "只在结尾换行\n",
    "生僻字𠀀𠮷与表情😀",
    "非字符\ufffe\uffff结尾",
    "",
]
UNIT_NAMES = [
    "区财政局", "第 1 单位", "O'Brien街道", "2025专班", "AB12", "R1C1", "区发展改革局（区粮食和储备局）",
    "A&B<公司>", "单位名称特别长特别长特别长特别长特别长特别长特别长特别长",
]


def rows_for(rng: random.Random, count: int, targets: bool, asks_dates: bool) -> list[SheetRow]:
    rows: list[SheetRow] = []
    for n in range(1, count + 1):
        role = layout.ROLE_LEAD if n % 2 else layout.ROLE_RESPONSIBLE
        asks = layout.INPUT_COLUMNS if role == layout.ROLE_LEAD and asks_dates else tuple(
            c for c in layout.INPUT_COLUMNS if c not in layout.REQUEST_COLUMNS)
        text = rng.choice(AWKWARD[:-1]) + "任务" * rng.randint(1, 60)
        rows.append(SheetRow(str(n), str(n), None, text, role, deadline=rng.choice(["", "6月底前", "年底前"]), asks=asks))
        if targets and role == layout.ROLE_LEAD and n % 3 == 1:
            rows.append(SheetRow(f"{n}-1", str(n), 0, "（同上）", role, metric="新增企业", target="300家以上",
                                 deadline="年底前", asks=("本期完成值",)))
    return rows


def previous_for(rng: random.Random, rows: list[SheetRow]) -> dict[str, ReturnRow]:
    previous = {}
    for row in rows:
        if rng.random() < 0.6:
            previous[row.key] = ReturnRow(
                row.key, row.task_number, row.target_index,
                value=rng.choice([None, 3400.0, 5.6, -2.25, 1e-7, 123456789012.0, 0.1 + 0.2]),
                value_text=rng.choice(["", "约1200"]),
                percent=rng.choice([None, 0.0, 60.0, 33.3]),
                status=rng.choice([None, *STATUSES]),
                progress=rng.choice(AWKWARD), issues=rng.choice(AWKWARD), next_steps=rng.choice(["", "继续推进"]),
                evidence=rng.choice(["", "照片3张；验收报告.pdf"]),
            )
    return previous


def plans(seed: int = 11):
    """Units of many shapes, each shape several times, with every kind of awkward text."""
    rng = random.Random(seed)
    for i in range(60):
        rows = rows_for(rng, rng.randint(0 if i == 0 else 1, 30), targets=i % 3 != 0, asks_dates=i % 4 != 0)
        previous = previous_for(rng, rows) if i % 2 else None
        yield plan_unit_sheet(
            UNIT_NAMES[i % len(UNIT_NAMES)] + ("" if i < len(UNIT_NAMES) else str(i)), PERIOD, rows, DUE,
            previous=previous, password="dcs2025" if i % 5 == 0 else "", as_returned=i % 6 == 1,
            footer_values={"填报人": "张三", "联系电话": "0531-8888"} if i % 7 == 0 else None,
            key=b"k" * 32 if i % 2 else None,
        )


def reference(plan) -> bytes:
    buffer = io.BytesIO()
    write_plan(plan, buffer)
    return buffer.getvalue()


def test_every_workbook_is_byte_for_byte_xlsxwriters_and_the_fast_path_is_taken():
    writer = FastBookWriter()
    all_plans = list(plans())
    for plan in all_plans:
        assert writer.write(plan) == reference(plan), plan.sheet_name
    assert writer.fallbacks == 0
    # most workbooks were written from a template, not by XlsxWriter
    assert writer.shapes <= len(all_plans) // 3


def test_a_text_xlsxwriter_would_take_for_markup_is_written_as_the_text_it_is():
    rows = [SheetRow("1", "1", None, "任务", layout.ROLE_LEAD)]
    markup = "<r>进展顺利</r>"
    previous = {"1": ReturnRow("1", "1", None, progress=markup)}
    writer = FastBookWriter()
    writer.write(plan_unit_sheet("区财政局", PERIOD, rows, DUE))  # the shape's template first
    data = writer.write(plan_unit_sheet("区交通局", PERIOD, rows, DUE, previous=previous))
    assert writer.fallbacks == 0
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    progress = layout.COLUMNS.index("进展情况") + 1
    assert sheet.cell(5, progress).value == markup
    # a unit whose own text is the shape's first still gets its text, from a template cut from a plain copy
    alone = FastBookWriter().write(plan_unit_sheet("区交通局", PERIOD, rows, DUE, previous=previous))
    assert openpyxl.load_workbook(io.BytesIO(alone)).worksheets[0].cell(5, progress).value == markup


def test_a_text_longer_than_xlsxwriter_keeps_whole_is_left_to_xlsxwriter():
    rows = [SheetRow("1", "1", None, "长" * 40000, layout.ROLE_LEAD)]
    plan = plan_unit_sheet("区财政局", PERIOD, rows, DUE)
    assert FastBookWriter().write(plan) == reference(plan)


@pytest.mark.parametrize("name", ["第 1 单位", "O'Brien街道", "AB12", "A&B<公司>"])
def test_sheet_names_excel_must_quote_keep_their_print_titles(name):
    rows = [SheetRow("1", "1", None, "任务", layout.ROLE_LEAD)]
    writer = FastBookWriter()
    writer.write(plan_unit_sheet("区财政局", PERIOD, rows, DUE))  # the template has a name that needs no quotes
    plan = plan_unit_sheet(name, PERIOD, rows, DUE)
    data = writer.write(plan)
    assert data == reference(plan) and writer.fallbacks == 0
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert (sheet.title, sheet.print_title_rows) == (plan.sheet_name, "$4:$4")


def test_a_unit_sent_back_gets_its_markup_like_text_back_as_text(tmp_path):
    from pyxl.distribution.unit_sheet import write_unit_workbook

    rows = [SheetRow("1", "1", None, "任务", layout.ROLE_LEAD)]
    markup = "<r><t>加粗</t></r>"
    path = tmp_path / "退回.xlsx"
    write_unit_workbook(path, "区财政局", PERIOD, rows, DUE, previous={"1": ReturnRow("1", "1", None, progress=markup)},
                        as_returned=True)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert sheet.cell(5, layout.COLUMNS.index("进展情况") + 1).value == markup
