"""A unit clerk fills a generated sheet in a real LibreOffice and saves it as .xlsx, .xls and .ods."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from clerk import ClerkError, FillJob, fill_workbooks, require_libreoffice
from test_split import data_rows, identity_of, read_sheets

from pyxl import pipeline
from pyxl.common.period import Period
from pyxl.distribution import layout
from pyxl.workspace import Workspace

pytestmark = pytest.mark.libreoffice


def _answers(path: Path) -> tuple[dict[str, object], dict[tuple[str, str], object]]:
    """Cells to type into every input column of every data row and the footer, and what each should read back."""
    ident = identity_of(path)
    header = int(ident[layout.ID_HEADER_ROW])
    rows = data_rows(path)
    typed: dict[str, object] = {}
    expected: dict[tuple[str, str], object] = {}
    letters = "ABCDEFGHIJKL"
    for offset, row in enumerate(rows):
        key = layout.cell_text(row[0])
        excel_row = header + 1 + offset
        values = {
            "本期完成值": 1200.5 + offset,
            "完成进度(%)": float(10 + offset),
            "状态": ("已完成", "按计划推进", "滞后", "未启动")[offset % 4],
            "进展情况": f"第{offset + 1}行进展：已开工建设，完成投资“{offset}”亿元。",
            "存在问题": "要素保障不足" if offset % 2 else "无",
            "下步措施": "加强调度，倒排工期",
        }
        for title, value in values.items():
            address = f"{letters[layout.COLUMNS.index(title)]}{excel_row}"
            typed[address] = value
            expected[(key, title)] = value
    footer_start = header + len(rows) + 2
    footer = {"填报人": "张三", "联系电话": "0531-87654321", "填报日期": date(2025, 7, 3)}
    for i, label in enumerate(layout.FOOTER_LABELS):
        typed[f"B{footer_start + i}"] = footer[label]
        expected[("footer", label)] = footer[label]
    return typed, expected


def _read_back(path: Path) -> dict[tuple[str, str], object]:
    ident = identity_of(path)
    sheet = read_sheets(path)[ident[layout.ID_SHEET]]
    header = int(ident[layout.ID_HEADER_ROW])
    got: dict[tuple[str, str], object] = {}
    rows = data_rows(path)
    for row in rows:
        for title in layout.INPUT_COLUMNS:
            got[(layout.cell_text(row[0]), title)] = row[layout.COLUMNS.index(title)]
    for row in sheet[header + len(rows):]:
        if row and layout.cell_text(row[0]) in layout.FOOTER_LABELS:
            value = row[1]
            got[("footer", layout.cell_text(row[0]))] = value.date() if isinstance(value, datetime) else value
    return got


def test_clerk_fills_in_libreoffice_and_every_format_reads_back(settings, tmp_path):
    require_libreoffice()
    pipeline.split_sheets(Workspace.load(settings), Period(2025, 6), units=["区财政局", "文昌街道"])
    folder = settings.out_dir("2025-06") / "分发"
    sources = sorted(folder.glob("*.xlsx"))
    assert len(sources) == 2

    jobs, expectations = [], {}
    for source in sources:
        typed, expected = _answers(source)
        outputs = [tmp_path / f"{source.stem}{suffix}" for suffix in (".xlsx", ".xls", ".ods")]
        jobs.append(FillJob(source, typed, outputs))
        expectations[source.name] = (expected, outputs, identity_of(source))
    # a clerk who tries to overwrite a locked task text is refused, in the same soffice session
    header = int(identity_of(sources[0])[layout.ID_HEADER_ROW])
    jobs.append(FillJob(sources[0], {f"B{header + 1}": "改掉任务内容"}, [tmp_path / "tampered.xlsx"]))

    with pytest.raises(ClerkError, match=f"B{header + 1}.*locked"):
        fill_workbooks(jobs)
    assert not (tmp_path / "tampered.xlsx").exists()

    for name, (expected, outputs, sent_identity) in expectations.items():
        for output in outputs:
            assert output.exists(), output
            got = _read_back(output)
            for place, value in expected.items():
                assert got.get(place) == value, (output.name, place)
            # recognisable by content: identity sheet kept, locked cells hash unchanged
            ident = identity_of(output)
            assert ident == sent_identity, output.name
            locked = [r[: len(layout.LOCKED_COLUMNS)] for r in data_rows(output)]
            key = layout.workspace_key(settings.root)  # split keys the hash with the workspace's secret
            assert layout.locked_hash(ident[layout.ID_UNIT], "2025-06", locked, key) == ident[layout.ID_HASH]
        saved = openpyxl.load_workbook(outputs[0])
        sheet = saved[identity_of(outputs[0])[layout.ID_SHEET]]
        assert sheet.protection.sheet and saved[layout.IDENTITY_SHEET].sheet_state != "visible"
