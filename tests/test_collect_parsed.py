"""Each return parsed once: collect keeps its cells beside the archive, later reads reuse them and stay right."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from test_collect_support import OTHER, PERIOD, UNIT, filled

from pyxl import pipeline
from pyxl.common import files, sealed
from pyxl.common.model import UnitDirectory
from pyxl.common.period import Period
from pyxl.common.spreadsheets import Book, Sheet, Unreadable
from pyxl.distribution import layout
from pyxl.returns import check, codes, collect, parsed, sent
from pyxl.workspace import Workspace

NOW = datetime(2025, 7, 3, 9, 0)




def _sent(settings, unit):
    return next(p for p in settings.distribution_dir(PERIOD).glob("*.xlsx") if p.name.endswith(f"_{unit}.xlsx"))


def _collected(settings):
    layout.workspace_key(settings.root, create=True)  # as split makes it: the parsed forms are sealed with it
    filled(_sent(settings, UNIT), settings.inbox_dir / "a.xlsx")
    filled(_sent(settings, OTHER), settings.inbox_dir / "b.xlsx", lambda b: b.worksheets[0].__setitem__("H7", 150))
    pipeline.collect_returns(Workspace.load(settings), Period(2025, 6), None, now=NOW)
    return Workspace.load(settings)


def _archive(settings, workspace):
    return collect.read_archive(settings.returns_dir(PERIOD), settings.root, workspace.duty, workspace.directory,
                                sent_dir=settings.distribution_dir(PERIOD))


def _never_read(data):
    raise AssertionError("an archived original was read again")


def test_collect_parses_each_return_once_and_the_archive_is_read_from_that(ws, monkeypatch):
    workspace = _collected(ws)
    fresh = [
        check.read_return((ws.root / r.file).read_bytes(), file=r.file, source=r.source, sha256=r.sha256,
                            received=r.received, period=str(PERIOD), duty=workspace.duty, directory=workspace.directory)
        for r in _archive(ws, workspace)
    ]
    originals = {(ws.root / r.file).read_bytes() for r in fresh}
    real = check.read_book

    def only_sent_copies(data):  # the sheets we sent may be read (to say who a hash was issued to); originals never
        return _never_read(data) if data in originals else real(data)

    monkeypatch.setattr(check, "read_book", only_sent_copies)  # a return read again
    monkeypatch.setattr(sent, "read_book", only_sent_copies)  # a sent sheet read for its locked cells
    monkeypatch.setattr(parsed, "read_book", _never_read)
    kept = _archive(ws, workspace)  # consolidate, report, split's pre-fill: no original opened
    assert [(r.unit, r.accepted, r.rows) for r in kept] == [(r.unit, r.accepted, r.rows) for r in fresh]
    assert [[(p.cell, p.code) for p in r.problems] for r in kept] == [[(p.cell, p.code) for p in r.problems] for r in fresh]
    assert {r.unit for r in kept} == {UNIT, OTHER} and [r.accepted for r in kept].count(False) == 1
    # the originals are untouched, the parsed forms sit beside them
    assert (ws.returns_dir(PERIOD) / parsed.FILE_NAME).exists()


def test_validation_is_not_cached_a_changed_directory_counts(ws):
    workspace = _collected(ws)
    assert all(r.unit for r in _archive(ws, workspace))
    # staff drop a unit from the directory: its kept return no longer resolves to a unit
    directory = UnitDirectory(tuple(u for u in workspace.directory.units if u.name != UNIT), workspace.directory.groups)
    again = collect.read_archive(ws.returns_dir(PERIOD), ws.root, workspace.duty, directory)
    problems = {p.code for r in again for p in r.problems}
    assert codes.UNIT_UNKNOWN in problems


@pytest.mark.parametrize("damage", ["torn", "another key", "other reader", "foreign", "missing"])
def test_a_damaged_foreign_or_outdated_cache_is_read_again_from_the_originals(ws, damage, monkeypatch):
    workspace = _collected(ws)
    before = _archive(ws, workspace)
    path = ws.returns_dir(PERIOD) / parsed.FILE_NAME
    kept = path.read_bytes()
    key = layout.workspace_key(ws.root)
    empty = {sha: {"kind": "xlsx", "sheets": []} for sha in parsed.ParsedCache(ws.returns_dir(PERIOD), key)._entries()}
    assert empty  # the two returns are kept
    if damage == "torn":
        path.write_bytes(kept[: len(kept) // 2])  # half-written
    elif damage == "another key":  # copied from another office's workspace: its books are not unpickled here
        sealed.keep_sealed(path, parsed._MAGIC, b"another office" * 3, [], parsed._stamp(), empty)
    elif damage == "other reader":  # an older reader's books, sealed by us: not used
        monkeypatch.setattr(parsed, "READER_VERSION", "0")
        sealed.keep_sealed(path, parsed._MAGIC, key, [], parsed._stamp(), empty)
        monkeypatch.undo()
    elif damage == "foreign":  # sealed by us, yet not a map of books
        sealed.keep_sealed(path, parsed._MAGIC, key, [], parsed._stamp(), ["not", "books"])
    else:
        path.unlink()
    read = []
    real = parsed.read_book
    monkeypatch.setattr(parsed, "read_book", lambda data: read.append(data) or real(data))
    after = _archive(ws, workspace)
    assert len(read) == 2  # both originals read again
    assert [(r.unit, r.accepted, r.rows) for r in after] == [(r.unit, r.accepted, r.rows) for r in before]
    assert [[(p.cell, p.code) for p in r.problems] for r in after] == [[(p.cell, p.code) for p in r.problems] for r in before]
    again = parsed.ParsedCache(ws.returns_dir(PERIOD), key)  # written anew, by this reader
    assert sorted(again._entries()) == sorted(empty) and all(again.get(sha).sheets for sha in empty)


def test_a_cache_is_kept_only_in_a_workspace_with_a_key_and_the_former_json_is_removed(tmp_path):
    book = Book("xlsx", [Sheet("表", True, [["a"]])])
    keyless = parsed.ParsedCache(tmp_path, None)
    keyless.put("abc", book)
    keyless.save()
    assert not (tmp_path / parsed.FILE_NAME).exists() and keyless.get("abc") is None
    (tmp_path / ".parsed.json").write_text("{}", encoding="utf-8")  # an earlier version's cache
    keyed = parsed.ParsedCache(tmp_path, b"k" * 32)
    keyed.put("abc", book)
    keyed.save()
    assert (tmp_path / parsed.FILE_NAME).exists() and not (tmp_path / ".parsed.json").exists()
    assert parsed.ParsedCache(tmp_path, b"k" * 32).get("abc") == book
    assert parsed.ParsedCache(tmp_path, b"x" * 32).get("abc") is None


def test_every_cell_type_comes_back_as_it_was_read(tmp_path):
    rows = [["文字", 3.5, 3.0, 7, True, None, ""],
            [datetime(2025, 7, 3, 16, 5), date(2025, 7, 3), time(9, 30), timedelta(hours=2), float("nan"), "=SUM(A1)", "d"]]
    book = Book("xlsx", [Sheet("表", True, rows, {"G2": "=SUM(A1)"}, {"B1"}), Sheet("pyxl_id", False, [["unit", "区财政局"]])])
    cache = parsed.ParsedCache(tmp_path, b"k" * 32)
    cache.put("abc", book)
    cache.put("bad", Unreadable("cell-too-long", "单元格过长", sheet="表", cell="B7"))
    cache.save()
    again = parsed.ParsedCache(tmp_path, b"k" * 32)
    back = again.get("abc")
    assert [s.name for s in back.sheets] == ["表", "pyxl_id"] and back.sheets[1].visible is False
    first, second = back.sheets[0].rows
    assert first == rows[0] and [type(v) for v in first] == [type(v) for v in rows[0]]  # 3.0 stays a float, 7 an int
    assert second[:4] == rows[1][:4] and second[4] != second[4] and second[5:] == rows[1][5:]
    assert back.sheets[0].uncached_formulas == {"G2": "=SUM(A1)"} and back.sheets[0].percent_cells == {"B1"}
    assert again.get("bad") == Unreadable("cell-too-long", "单元格过长", sheet="表", cell="B7")  # where, too
    assert again.get("unknown") is None


def test_a_folder_that_refuses_the_cache_only_costs_speed(ws, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError("read-only share")

    real = files.write_bytes_atomic
    monkeypatch.setattr(files, "write_bytes_atomic",
                        lambda target, data: refuse() if target.name == parsed.FILE_NAME else real(target, data))
    workspace = _collected(ws)
    assert {r.unit for r in _archive(ws, workspace)} == {UNIT, OTHER}
    assert not (ws.returns_dir(PERIOD) / parsed.FILE_NAME).exists()



def test_the_month_reads_the_archive_once_and_consolidates_as_consolidate_does(ws, monkeypatch):
    from datetime import date

    filled(_sent(ws, UNIT), ws.inbox_dir / "a.xlsx")
    filled(_sent(ws, OTHER), ws.inbox_dir / "b.xlsx", lambda b: b.worksheets[0].__setitem__("H7", 150))
    reads = []
    original = collect.read_archive
    monkeypatch.setattr(collect, "read_archive", lambda *a, **k: reads.append(a[0]) or original(*a, **k))
    month = pipeline.run_month(Workspace.load(ws), Period(2025, 6), as_of=date(2025, 7, 8), now=NOW, dry_run=True)
    # collect's summary, then consolidate, report and remind take the same returns
    assert reads == [ws.returns_dir(PERIOD)]
    alone = pipeline.consolidate_period(Workspace.load(ws), Period(2025, 6), as_of=date(2025, 7, 8)).data
    for name in ("tasks", "indicators", "returns", "flags"):
        assert getattr(month.data, name).equals(getattr(alone, name)), name
