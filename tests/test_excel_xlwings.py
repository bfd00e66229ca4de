"""Smoke test of the real xlwings adapter on xlwings' remote engine (runs offline, no Excel).

The remote engine turns writes into JSON actions and never reads them back
(DESIGN.md), so this only checks that XlwingsBook calls real xlwings API
with whole blocks; the behaviour of the buttons is tested in test_excel.py.
"""

from __future__ import annotations

import re

import pytest
from test_report import sample_consolidation

from pyxl.excel import XlwingsBook
from pyxl.master.live import DASHBOARD_SHEET, dashboard_block


def _remote_xlwings(monkeypatch):
    """xlwings with its remote engine registered (it answers from JSON, offline)."""
    xw = pytest.importorskip("xlwings")
    # PolyForm Noncommercial, which names government institutions as permitted users.
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    if "remote" not in [engine.name for engine in xw.engines]:
        # xlwings registers the remote engine at import, only when the key was set by then.
        from xlwings.main import Engine
        from xlwings.pro import _xlremote

        xw.engines.add(Engine(impl=_xlremote.engine))
    return xw


@pytest.fixture
def remote_book(monkeypatch):
    xw = _remote_xlwings(monkeypatch)
    data = {
        "client": "Microsoft Office Scripts",
        "version": xw.__version__,
        "book": {"name": "Responsibilities.xlsm", "active_sheet_index": 0, "selection": "A1"},
        "names": [],
        "sheets": [
            {"name": "设置", "values": [["项目", "值", "说明"], ["当前期次", "2025-06", ""]], "pictures": [], "tables": []},
            {"name": DASHBOARD_SHEET, "values": [["旧仪表盘"]], "pictures": [], "tables": [],
             "charts": [{"name": "旧图表", "chart_type": "Pie", "left": 0, "top": 0, "width": 300, "height": 200}]},
        ],
    }
    return xw.Book(json=data)


def test_adapter_reads_and_writes_whole_blocks_through_xlwings(remote_book):
    book = XlwingsBook(remote_book)
    assert book.read_table("设置") == [["项目", "值", "说明"], ["当前期次", "2025-06", None]]
    assert book.read_table("没有这张表") == []
    book.write_table("预警", [["预警类型", "单位"], ["逾期未报", "区财政局"], ["任务逾期"]])
    book.mark_cells("设置", ["B2"], "#FFC7CE")
    book.alert("测试")
    actions = remote_book.json()["actions"]
    assert [a["func"] for a in actions] == ["addSheet", "sheetClearContents", "setRangeColor", "setValues",
                                            "setRangeColor", "alert"]
    values = next(a for a in actions if a["func"] == "setValues")["values"]
    # one padded block (the engine sends None as ""), every text with Excel's quote prefix: text stays text
    assert values == [["'预警类型", "'单位"], ["'逾期未报", "'区财政局"], ["'任务逾期", ""]]


def _absolute(address: str) -> str:
    """B5:C9 → $B$5:$C$9, as xlwings sends addresses."""
    return re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", address)


def test_adapter_replaces_the_dashboard_charts_with_native_charts(remote_book):
    rows, specs = dashboard_block(sample_consolidation())
    book = XlwingsBook(remote_book)
    book.write_table(DASHBOARD_SHEET, rows)
    book.set_charts(DASHBOARD_SHEET, specs)
    actions = [a for a in remote_book.json()["actions"] if "Chart" in a["func"]]
    assert actions[0]["func"] == "deleteChart"  # the old chart goes: a re-run does not pile charts up
    added = [a["args"] for a in actions if a["func"] == "addChart"]
    kinds = {"pie": "Pie", "bar_stacked": "BarStacked", "column": "ColumnClustered"}
    assert [(args[1], args[3], args[9]) for args in added] == [
        (kinds[spec.kind], _absolute(spec.source), _absolute(spec.anchor)) for spec in specs
    ]
    titles = [a["args"][1] for a in actions if a["func"] == "setChartTitle"]
    assert titles == [spec.title for spec in specs]
    axes = [a["args"][2] for a in actions if a["func"] == "setChartXAxisValues"]
    assert axes == [_absolute(spec.categories) for spec in specs]
    # the stacked bars list the unit with most tasks on top
    assert any(a["func"] == "setChartAxis" and a["args"][2] == {"reverse_order": True, "crosses": "maximum"} for a in actions)


def test_adapter_refuses_a_table_reaching_far_beyond_the_data(monkeypatch):
    """A value typed far to the right of a master table: one Chinese line, not a read of the whole grid out to it."""
    from pyxl.common.errors import PyxlError
    from pyxl.master.rows import MASTER_MAX_COLUMNS

    xw = _remote_xlwings(monkeypatch)
    width = MASTER_MAX_COLUMNS + 1
    rows = [["序号", "任务内容"] + [""] * (width - 2), ["1", "地区生产总值增长6%。"] + [""] * (width - 3) + ["误操作"]]
    data = {
        "client": "Microsoft Office Scripts", "version": xw.__version__,
        "book": {"name": "Responsibilities.xlsm", "active_sheet_index": 0, "selection": "A1"}, "names": [],
        "sheets": [{"name": "任务清单", "values": rows, "pictures": [], "tables": []}],
    }
    book = XlwingsBook(xw.Book(json=data))
    with pytest.raises(PyxlError, match="「任务清单」表的内容一直延伸到 GS2") as refused:
        book.read_table("任务清单")
    assert "Ctrl+End" in str(refused.value)
