"""Smoke test of the real xlwings adapter on xlwings' remote engine (runs offline, no Excel).

The remote engine turns writes into JSON actions and never reads them back
(DESIGN.md), so this only checks that XlwingsBook calls real xlwings API
with whole blocks; the behaviour of the buttons is tested in test_excel.py.
"""

from __future__ import annotations

import pytest

from pyxl.excel import XlwingsBook


@pytest.fixture
def remote_book(monkeypatch):
    xw = pytest.importorskip("xlwings")
    # PolyForm Noncommercial, which names government institutions as permitted users.
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    if "remote" not in [engine.name for engine in xw.engines]:
        # xlwings registers the remote engine at import, only when the key was set by then.
        from xlwings.main import Engine
        from xlwings.pro import _xlremote

        xw.engines.add(Engine(impl=_xlremote.engine))
    data = {
        "client": "Microsoft Office Scripts",
        "version": xw.__version__,
        "book": {"name": "Responsibilities.xlsm", "active_sheet_index": 0, "selection": "A1"},
        "names": [],
        "sheets": [
            {"name": "设置", "values": [["项目", "值", "说明"], ["当前期次", "2025-06", ""]], "pictures": [], "tables": []},
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
    assert values == [["预警类型", "单位"], ["逾期未报", "区财政局"], ["任务逾期", ""]]  # one padded block (the engine sends None as "")
