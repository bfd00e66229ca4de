"""The shared model's small helpers."""

import math
import pickle

import numpy as np
import pandas as pd
import pytest

from pyxl.common.model import DutyTable, Target, Task, is_missing


def test_missing_cells_are_the_ways_pandas_says_empty_and_nothing_else():
    for empty in (None, math.nan, np.nan, pd.NaT, pd.NA, np.float64("nan")):
        assert is_missing(empty), empty
    for present in ("", "无", 0, 0.0, False, [], ["区财政局"], pd.Timestamp("2025-07-05"), np.int64(3)):
        assert not is_missing(present), present


def _task(number: str, targets=()) -> "Task":
    return Task(number, "一", None, f"第{number}项任务", ["区财政局"], [], targets=list(targets))


def test_a_task_is_found_by_number_even_after_the_table_changes():
    target = Target("新增企业260家", "新增企业", 260, "家", "count", ">=")
    duty = DutyTable("分工", 2025, [], [_task("1"), _task("2", [target]), _task("2"), _task("★3")])
    assert duty.task("2").targets == [target]  # the first of two with one number, as the scan did
    assert duty.task("★3").number == "★3"
    with pytest.raises(KeyError):
        duty.task("4")
    # staff add and renumber rows after the first lookup: the index follows
    duty.tasks.append(_task("4"))
    duty.tasks[0] = _task("1A")
    assert duty.task("4").number == "4"
    assert duty.task("1A").number == "1A"
    with pytest.raises(KeyError):
        duty.task("1")
    assert "_positions" not in duty.to_json()  # the index is not part of the table


def test_target_units_name_each_target_row_by_its_key():
    duty = DutyTable("分工", 2025, [], [
        _task("1", [Target("增长5%", "地区生产总值", 5, "%", "growth", ">="),
                    Target("投资10亿元", "投资", 10, "亿元", "amount", ">=")]),
        _task("2"),
    ])
    assert duty.target_units() == {"1-1": "%", "1-2": "亿元"}
    duty.tasks.append(_task("3", [Target("新增企业5家", "新增企业", 5, "家", "count", ">=")]))
    assert duty.target_units()["3-1"] == "家"


def test_a_returns_row_by_key_is_the_first_of_that_key_and_follows_changes_to_its_rows():
    from datetime import datetime

    from pyxl.common.model import ReturnRow, UnitReturn

    first, repeated, target = ReturnRow("3", "3", None, progress="先"), ReturnRow("3", "3", None, progress="后"), ReturnRow("3-1", "3", 0)
    item = UnitReturn("区财政局", "2025-06", "returns/x.xlsx", "0" * 64, datetime(2025, 7, 3), rows=[first, repeated])
    assert item.row("3") is first and item.row("3-1") is None
    item.rows.append(target)  # grown after the first question
    assert item.row("3-1") is target
    item.rows = [repeated]  # replaced
    assert item.row("3") is repeated and item.row("3-1") is None
    kept = pickle.loads(pickle.dumps(item))  # kept between commands: the index is not
    assert "_rows_by_key" not in kept.__dict__ and kept == item and kept.row("3").progress == "后"


def test_a_return_row_comes_back_from_a_pickle_with_every_field():
    from dataclasses import fields
    from datetime import date, datetime

    from pyxl.common.model import ReturnRow, UnitReturn

    values = {"key": "3-1", "task_number": "3", "target_index": 0, "value": 5.5, "value_text": "5.5家", "percent": 60.0,
              "status": "滞后", "progress": "进展", "issues": "问题", "next_steps": "措施", "evidence": "照片3张",
              "requested_deadline": date(2025, 9, 30), "request_reason": "理由", "cell_row": 7}
    assert set(values) == {item.name for item in fields(ReturnRow)}  # a new field is given a value here too
    row = ReturnRow(**values)
    kept = pickle.loads(pickle.dumps(UnitReturn("区财政局", "2025-06", "f", "0", datetime(2025, 7, 3), rows=[row])))
    assert kept.rows == [row] and kept.rows[0] is not row and kept.row("3-1") == row
