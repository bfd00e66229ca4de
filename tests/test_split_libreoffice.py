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
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    rows = data_rows(path)
    sheet = openpyxl.load_workbook(path)[ident[layout.ID_SHEET]]
    locked = {f"{letters[c]}{header + 1 + i}": sheet.cell(header + 1 + i, c + 1).protection.locked for i in range(len(rows)) for c in range(len(layout.COLUMNS))}
    typed: dict[str, object] = {}
    expected: dict[tuple[str, str], object] = {}
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
            "佐证材料": f"现场照片{offset + 1}张；验收报告{offset}.pdf",
        }
        for title, value in values.items():
            address = f"{letters[layout.COLUMNS.index(title)]}{excel_row}"
            if locked[address]:  # a （同上） row asks only its figure, its task row everything else
                continue
            typed[address] = value
            expected[(key, title)] = value
    footer_start = header + len(rows) + 2
    footer = {"填报人": "张三", "单位负责人": "李四", "联系电话": "0531-87654321", "填报日期": date(2025, 7, 3)}
    for label in layout.FOOTER_LABELS:
        down, col = layout.FOOTER_PLACES[label]
        typed[f"{letters[col + 1]}{footer_start + down}"] = footer[label]
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
        for col, label in enumerate(row[:-1]):
            if layout.cell_text(label) in layout.FOOTER_LABELS:
                value = row[col + 1]
                got[("footer", layout.cell_text(label))] = value.date() if isinstance(value, datetime) else value
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


def _column_text(pdf: Path, header: str, next_header: str) -> str:
    """The text LibreOffice printed in one column of the sheet, read from the PDF's word boxes."""
    import re
    import subprocess

    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, timeout=60, check=True).stdout.decode("utf-8")
    pages = html.split("<page ")[1:]
    text = []
    for page in pages:
        words = [(float(x0), float(y0), float(x1), w) for x0, y0, x1, w in re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', page)]
        starts = [x0 for x0, _, _, w in words if w == header]
        ends = [x0 for x0, _, _, w in words if w == next_header]
        if not starts or not ends:
            continue
        left = max(x1 for x0, _, x1, w in words if w == "序号") + 2
        right = min(ends) - 15
        text += [w for x0, y0, x1, w in sorted(words, key=lambda t: (round(t[1]), t[0])) if left <= x0 < right and x1 <= right + 15]
    return "".join(text)


def test_rows_are_tall_enough_for_their_text_when_printed_by_libreoffice(settings, tmp_path):
    """LibreOffice drops the lines a too-short row cuts off from its PDF: every task text must print whole."""
    import os
    import shutil
    import subprocess

    require_libreoffice()
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext 未安装（Debian：poppler-utils）")
    pipeline.split_sheets(Workspace.load(settings), Period(2025, 6), units=["区发展改革局", "区住房城乡建设局"])
    sources = sorted(settings.distribution_dir("2025-06").glob("*.xlsx"))
    profile = (tmp_path / "lo").as_uri()
    for _ in range(2):  # a fresh profile's first start may exit before converting
        subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), *map(str, sources)],
                       capture_output=True, timeout=300, env={**os.environ, "LANG": "C.UTF-8"})
        if all((tmp_path / f"{s.stem}.pdf").exists() for s in sources):
            break
    for source in sources:
        printed = _column_text(tmp_path / f"{source.stem}.pdf", "任务内容", "本单位职责")
        texts = [layout.cell_text(r[1]) for r in data_rows(source)]
        assert len(texts) > 5
        for text in texts:
            assert "".join(text.split()) in printed, (source.name, text)
