"""Consolidate takes the validations collect kept — and validates afresh when anything they depend on changed.

A month of the demo (50 units by mail: one late, one rejected for text in a
number cell, one sending another unit's sheet, evidence attached or missing),
then through the real pipeline: hostile returns (infinity and NaN in number
cells, formula-looking text, a cell far outside the sheet, half a sheet's XML),
a clerk who typed into a locked cell, two returns from a stranger's address
(待确认; one confirmed by the office), and a correction that supersedes a
unit's return — collected last, so the kept validations are collect's.

Reuse is proved by `collect.read_return` never being called (it raises);
validating afresh by it being called once for every unit's current return.
Each invalidation test changes one input a validation depends on and checks
that consolidate validates every return again and that its result shows the
change, so it fails when the kept validations ignore that input.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import shutil
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest
from hostile_corpus import UNIT as BASE_UNIT
from hostile_corpus import Base, an_email, broken_sheet_xml, far_cell, formula_strings, infinite_numbers
from test_collect_support import filled

import pyxl
from pyxl import pipeline
from pyxl.cli import main
from pyxl.common import sealed as sealed_files
from pyxl.common.config import load_settings
from pyxl.common.period import Period
from pyxl.demo.run import run_demo
from pyxl.distribution import layout
from pyxl.pipeline import archive, kept
from pyxl.returns import collect
from pyxl.returns.archive import current_by_unit, read_ledger
from pyxl.workspace import Workspace

JUNE = Period(2025, 6)
AS_OF = "2025-07-10"  # the demo's own: three days after the due date
BAIT = "长清年度工作报表汇总"  # in the correction's file name; an alias of another unit in the directory test


def _settings(root: Path):
    return load_settings(root / "config.yaml")


def _sent(root: Path, unit: str) -> Path:
    return next(_settings(root).distribution_dir(JUNE).glob(f"*_{unit}.xlsx"))


def _current(root: Path) -> dict:
    return current_by_unit(read_ledger(_settings(root).returns_dir(JUNE)), str(JUNE))


def _type_into_locked_task_text(book: openpyxl.Workbook) -> None:
    """The careless clerk: rewrites the first row's 任务内容, a locked cell."""
    sheet = book.worksheets[0]
    header = next(r for r in range(1, 30) if sheet.cell(r, 1).value == "序号")
    column = next(c for c in range(1, 20) if sheet.cell(header, c).value == "任务内容")
    sheet.cell(header + 1, column).value = "本单位改写的任务内容"


@pytest.fixture(scope="module")
def month(tmp_path_factory) -> SimpleNamespace:
    root = tmp_path_factory.mktemp("kept-validation") / "演示"
    run_demo(root)
    settings = _settings(root)
    accepted = sorted(unit for unit, entry in _current(root).items() if entry.status == "accepted")
    hostile, locked, strangers, corrected = accepted[:3], accepted[3], accepted[4:6], accepted[6]
    made = root.parent / "made"
    inbox = made / "batch"  # outside the workspace, so a copy of it can collect the same files again
    inbox.mkdir(parents=True)
    for unit, make in zip(hostile, (infinite_numbers, formula_strings, far_cell)):
        base = Base(made / unit, sent=SimpleNamespace(files={BASE_UNIT: _sent(root, unit)}))
        (inbox / f"{unit}_{make.__name__}.xlsx").write_bytes(make(base))
    base = Base(made / "broken", sent=SimpleNamespace(files={BASE_UNIT: _sent(root, accepted[7])}))
    (inbox / "broken.xlsx").write_bytes(broken_sheet_xml(base))
    filled(_sent(root, locked), inbox / f"{locked}.xlsx", _type_into_locked_task_text)
    for i, unit in enumerate(strangers):
        data = filled(_sent(root, unit), made / f"stranger{i}.xlsx").read_bytes()
        (inbox / f"stranger{i}.eml").write_bytes(an_email(
            "someone@mail.example", "Fri, 11 Jul 2025 08:00:00 +0800", [(f"{unit}.xlsx", data)],
            received=f"from b by mx.changqing.example; Fri, 11 Jul 2025 08:0{i}:00 +0800"))
    pipeline.collect_returns(Workspace.load(settings), JUNE, [inbox], now=datetime(2025, 7, 11, 9, 0),
                             received_at=datetime(2025, 7, 11, 8, 30))
    assert main(["--config", str(root / "config.yaml"), "confirm", "--period", str(JUNE), "--unit", strangers[0]]) == 0
    statuses = {e.status for e in read_ledger(settings.returns_dir(JUNE))}
    assert {"accepted", "rejected", "pending", "confirmed", "superseded"} <= statuses  # every kind
    assert _current(root)[strangers[0]].status == "confirmed"
    return SimpleNamespace(root=root, batch=inbox, strangers=strangers, locked=locked, corrected=corrected, hostile=hostile)


@pytest.fixture
def root(month, tmp_path) -> Path:
    """A copy of the month, where a unit's correction is collected last: the kept validations are collect's.

    (The month itself is not used: a kept file names the paths and inodes of the files it was made from.)
    """
    target = tmp_path / "演示"
    shutil.copytree(month.root, target)
    settings = _settings(target)
    settings.inbox_dir.mkdir(exist_ok=True)
    unit = month.corrected
    before = _current(target)[unit]
    filled(_sent(target, unit), settings.inbox_dir / f"{unit}（{BAIT}）.xlsx",
           lambda book: book.worksheets[0].__setitem__("L5", "更正后的下步措施"))
    pipeline.collect_returns(Workspace.load(settings), JUNE, None, now=datetime(2025, 7, 11, 10, 0),
                             received_at=datetime(2025, 7, 11, 9, 30))
    assert _current(target)[unit].file != before.file  # the correction superseded the unit's return
    assert (settings.out_dir(JUNE) / kept.VALIDATION_FILE).exists()
    return target


@pytest.fixture
def validations(monkeypatch) -> list[str]:
    """Every return validated (its source), counted through the one read_return collect and read_archive call."""
    calls: list[str] = []
    real = collect.read_return

    def counted(*args, **kwargs):
        calls.append(kwargs["source"])
        return real(*args, **kwargs)

    monkeypatch.setattr(collect, "read_return", counted)
    return calls


def _never(*args, **kwargs):
    raise AssertionError("a return was validated again")


def _consolidate(root: Path) -> pipeline.StepResult:
    return pipeline.consolidate_period(Workspace.load(_settings(root)), JUNE, datetime.fromisoformat(AS_OF).date())


def _returns(root: Path) -> dict:
    return {r.unit: r for r in pipeline.archived_returns(Workspace.load(_settings(root)), JUNE)}


def _kept_file(root: Path) -> Path:
    return _settings(root).out_dir(JUNE) / kept.VALIDATION_FILE


def _codes(unit_return) -> list[tuple[str | None, str]]:
    return [(p.cell, p.code) for p in unit_return.problems]


def _same_judgement(a, b) -> None:
    for item in fields(a.data):
        left, right = getattr(a.data, item.name), getattr(b.data, item.name)
        if isinstance(left, pd.DataFrame):
            pd.testing.assert_frame_equal(left, right, obj=item.name)
        else:
            assert left == right, item.name
    assert a.summary == b.summary
    assert [(p.file, p.sheet, p.cell, p.code, p.message, p.unit) for p in a.problems] == \
           [(p.file, p.sheet, p.cell, p.code, p.message, p.unit) for p in b.problems]


def _afresh(root: Path, validations: list[str]) -> pipeline.StepResult:
    """Consolidate once, checking that every unit's current return was validated again."""
    validations.clear()
    result = _consolidate(root)
    assert sorted(validations) == sorted(entry.source for entry in _current(root).values())
    return result


# ---------------------------------------------------------------- the same answer, without validating again


def test_consolidate_with_the_kept_validations_judges_as_without_them(root, month, monkeypatch, validations):
    with monkeypatch.context() as patch:
        patch.setattr(collect, "read_return", _never)
        kept_result = _consolidate(root)
        kept_returns = _returns(root)
    problems_csv = (_settings(root).out_dir(JUNE) / collect.PROBLEMS_CSV.format(period=JUNE)).read_text(encoding="utf-8-sig")

    _kept_file(root).unlink()
    fresh_result = _afresh(root, validations)
    fresh_returns = _returns(root)
    _same_judgement(kept_result, fresh_result)
    assert problems_csv == (_settings(root).out_dir(JUNE) / collect.PROBLEMS_CSV.format(period=JUNE)).read_text(encoding="utf-8-sig")
    # the returns themselves, every field: rows, problems (evidence and 退回 marked as before), accepted
    assert kept_returns.keys() == fresh_returns.keys()
    for unit in kept_returns:
        assert repr(kept_returns[unit]) == repr(fresh_returns[unit]), unit  # repr: a NaN read from a cell equals itself
    # what the month holds: rejected returns (the demo's typo, the locked cell), hostile ones, the confirmed one
    assert sum(not r.accepted for r in kept_returns.values()) >= 2
    assert "formula-text" in {code for _, code in _codes(kept_returns[month.hostile[1]])}
    assert "locked-changed" in {code for _, code in _codes(kept_returns[month.locked])}
    assert kept_returns[month.strangers[0]].source.endswith("stranger0.eml!" + month.strangers[0] + ".xlsx")


def test_a_month_collected_in_one_run_is_judged_alike_with_the_validations_collect_kept(month, tmp_path, monkeypatch,
                                                                                       validations):
    """Every kept validation made by collect itself: the demo's mails (copies kept by its mail server) and the batch at once."""
    root = tmp_path / "演示"
    shutil.copytree(month.root, root)
    settings = _settings(root)
    settings.returns_dir(JUNE).rename(tmp_path / "the archive set aside")
    pipeline.collect_returns(Workspace.load(settings), JUNE, [root / "邮件服务器" / "收件箱", month.batch],
                             now=datetime(2025, 7, 11, 9, 0), received_at=datetime(2025, 7, 8, 8, 30))
    current = _current(root)
    assert len(current) >= 45 and set(validations) >= {entry.source for entry in current.values()}
    with monkeypatch.context() as patch:
        patch.setattr(collect, "read_return", _never)
        kept_result = _consolidate(root)
        kept_returns = _returns(root)
    _kept_file(root).unlink()
    _same_judgement(kept_result, _afresh(root, validations))
    assert {u: repr(r) for u, r in kept_returns.items()} == {u: repr(r) for u, r in _returns(root).items()}
    assert {"accepted", "rejected", "pending"} <= {e.status for e in read_ledger(settings.returns_dir(JUNE))}


def test_a_second_consolidate_takes_what_the_first_validated_afresh(root, monkeypatch, validations):
    _kept_file(root).unlink()
    first = _afresh(root, validations)
    monkeypatch.setattr(collect, "read_return", _never)
    _same_judgement(first, _consolidate(root))


def test_collect_validates_only_the_files_it_collects(root, month, validations):
    settings = _settings(root)
    settings.inbox_dir.mkdir(exist_ok=True)
    unit = month.hostile[0]
    filled(_sent(root, unit), settings.inbox_dir / f"{unit}更正.xlsx")
    validations.clear()
    pipeline.collect_returns(Workspace.load(settings), JUNE, None, now=datetime(2025, 7, 12, 9, 0),
                             received_at=datetime(2025, 7, 12, 8, 0))
    assert validations == [f"inbox/{unit}更正.xlsx"]
    assert _returns(root)[unit].accepted  # the hostile return it replaced is no longer current


# ---------------------------------------------------------------- any input changed: validated afresh


def test_a_duty_table_edited_in_the_master(root, month, monkeypatch, validations):
    unit = month.corrected
    task = next(r.task_number for r in _returns(root)[unit].rows)
    path = _settings(root).workbook_path
    book = openpyxl.load_workbook(path, keep_vba=True)
    sheet = book["任务清单"]
    row = next(r for r in range(2, sheet.max_row + 1) if str(sheet.cell(r, 1).value) == task)
    sheet.cell(row, 1).value = "999"  # the office renumbered the task: the returns' rows of it are unknown now
    book.save(path)
    _afresh(root, validations)
    assert ("task-unknown" in {code for _, code in _codes(_returns(root)[unit])})


def test_an_alias_added_to_the_directory_in_config_yaml(root, month, validations):
    unit = month.corrected
    assert "file-names-other-unit" not in {code for _, code in _codes(_returns(root)[unit])}
    config = root / "config.yaml"
    text = config.read_text(encoding="utf-8")
    other = next(u for u in load_settings(config).unit_directory().units if u.name != unit)
    old = f"{{name: {other.name}, "
    assert old in text
    line = next(line for line in text.splitlines() if old in line)
    config.write_text(text.replace(line, line.replace("aliases: [", f"aliases: [{BAIT}, ", 1)), encoding="utf-8")
    _afresh(root, validations)
    assert "file-names-other-unit" in {code for _, code in _codes(_returns(root)[unit])}  # the file name now names another unit


def test_the_sheets_split_again(root, validations):
    before = _returns(root)
    pipeline.split_sheets(Workspace.load(_settings(root)), JUNE)  # the same sheets, written again
    _afresh(root, validations)
    assert {u: repr(r) for u, r in _returns(root).items()} == {u: repr(r) for u, r in before.items()}


def test_a_sent_sheet_gone_from_the_distribution(root, month, validations):
    locked = month.locked
    cells = [cell for cell, code in _codes(_returns(root)[locked]) if code == "locked-changed"]
    assert cells and all(cells)  # the sent sheet says which locked cell changed
    _sent(root, locked).unlink()
    _afresh(root, validations)
    assert [cell for cell, code in _codes(_returns(root)[locked]) if code == "locked-changed"] == [None]


def test_another_secret_key(root, validations):
    assert sum(r.accepted for r in _returns(root).values()) > 40
    (root / layout.SECRET_NAME).write_text(hashlib.sha256(b"another key").hexdigest() + "\n", encoding="ascii")
    _afresh(root, validations)
    returns = _returns(root).values()
    # no identity sheet's hash verifies under another key: each reads as changed since it was sent
    assert not any(r.accepted for r in returns)
    assert all("locked-changed" in {code for _, code in _codes(r)} for r in returns if r.rows)


def test_a_return_confirmed_in_the_ledger(root, month, validations):
    unit = month.strangers[1]
    before = _returns(root)[unit]
    assert main(["--config", str(root / "config.yaml"), "confirm", "--period", str(JUNE), "--unit", unit]) == 0
    _afresh(root, validations)
    after = _returns(root)[unit]
    assert after.file != before.file and "stranger1.eml" in after.source


def test_a_pyxl_source_file_changed(root, validations):
    source = Path(pyxl.__file__).parent / "returns" / "check.py"
    stat = source.stat()
    try:
        os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        _afresh(root, validations)
    finally:
        os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))


# ---------------------------------------------------------------- a kept file not whole, not ours: never unpickled


@pytest.mark.parametrize("damage", ["flipped", "torn", "foreign", "not-validations"])
def test_a_damaged_or_foreign_kept_file_is_never_unpickled(root, monkeypatch, validations, damage):
    path = _kept_file(root)
    data = path.read_bytes()
    magic = archive._MAGIC
    sealed = data[len(magic) + 32:]
    key = layout.workspace_key(root)
    if damage == "flipped":  # one byte of the pickle changed, the seal left as it was
        at = len(data) - 100
        path.write_bytes(data[:at] + bytes([data[at] ^ 1]) + data[at + 1:])
    elif damage == "torn":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "foreign":  # sealed by another workspace's key, this workspace's fingerprint
        path.write_bytes(magic + hmac.new(b"another workspace's key", sealed, hashlib.sha256).digest() + sealed)
    else:  # sealed with this workspace's key and fingerprint, but not validations
        sealed = sealed[:4 + 32] + pickle.dumps({"a": "b"})
        path.write_bytes(magic + hmac.new(key, sealed, hashlib.sha256).digest() + sealed)
    unpickled = []
    real = pickle.loads
    def loads(payload, *args, **kwargs):  # the kept validations' payload (the parsed returns beside the archive are pickled too)
        if path.exists() and path.read_bytes().endswith(bytes(payload)):
            unpickled.append(payload)
        return real(payload, *args, **kwargs)

    monkeypatch.setattr(sealed_files.pickle, "loads", loads)
    _afresh(root, validations)
    # the seal is checked before anything is unpickled; sealed but not validations: unpickled, then refused
    assert len(unpickled) == (damage == "not-validations")
    validations.clear()
    monkeypatch.setattr(collect, "read_return", _never)
    _consolidate(root)  # and kept whole again by the consolidate that validated afresh


def test_a_kept_file_that_cannot_be_written_only_costs_speed(root, month, monkeypatch, validations):
    from pyxl.common import files
    from pyxl.common.errors import PyxlError

    real = files.write_bytes_atomic

    def refuse(target, data):
        if Path(target).name == kept.VALIDATION_FILE:
            raise PyxlError("磁盘已满")  # as write_bytes_atomic says a full disk
        return real(target, data)

    monkeypatch.setattr(files, "write_bytes_atomic", refuse)
    _kept_file(root).unlink()
    assert _afresh(root, validations).data is not None  # consolidate runs to the end
    assert not _kept_file(root).exists()
    settings = _settings(root)
    filled(_sent(root, month.hostile[0]), settings.inbox_dir / "更正.xlsx")
    result = pipeline.collect_returns(Workspace.load(settings), JUNE, None, now=datetime(2025, 7, 12, 9, 0),
                                      received_at=datetime(2025, 7, 12, 8, 0))
    assert result.exit_code in (0, 1) and not _kept_file(root).exists()
