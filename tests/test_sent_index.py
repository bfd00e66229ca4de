"""The sent sheets are read once a split, not once a command: the issued-to index beside them follows their bytes."""

from __future__ import annotations

import json
import shutil
from datetime import datetime

from test_collect_support import OTHER, PERIOD, UNIT, filled

from pyxl import pipeline
from pyxl.common.period import Period
from pyxl.distribution import layout
from pyxl.returns import collect, sent
from pyxl.workspace import Workspace

NOW = datetime(2025, 7, 3, 9, 0)


def _sent(settings, unit):
    return next(p for p in settings.distribution_dir(PERIOD).glob("*.xlsx") if p.name.endswith(f"_{unit}.xlsx"))


THIRD = "马山镇"


def _forged_from_other(book):
    """OTHER's sheet claiming THIRD, OTHER's identity hash kept (a clerk copying a neighbour's sheet)."""
    ident = book[layout.IDENTITY_SHEET]
    for r in range(1, 12):
        if ident.cell(r, 1).value == layout.ID_UNIT:
            ident.cell(r, 2).value = THIRD
    book.worksheets[0]["A2"] = f"{layout.UNIT_LABEL}{THIRD}"


def _collect_three(settings):
    filled(_sent(settings, OTHER), settings.inbox_dir / "genuine.xlsx")
    filled(_sent(settings, UNIT), settings.inbox_dir / "tampered.xlsx", lambda b: b.worksheets[0].__setitem__("B7", "改过的任务"))
    filled(_sent(settings, OTHER), settings.inbox_dir / "forged.xlsx", _forged_from_other)
    result = pipeline.collect_returns(Workspace.load(settings), Period(2025, 6), None, now=NOW)
    return {(p.file, p.cell, p.code) for p in result.problems if p.is_error}


def _checked(settings):
    """Each file's (cell, code) errors when the archive is read again (consolidate, report)."""
    workspace = Workspace.load(settings)
    returns = collect.read_archive(settings.returns_dir(PERIOD), settings.root, workspace.duty, workspace.directory,
                                   sent_dir=settings.distribution_dir(PERIOD))
    return {(p.file, p.cell, p.code) for r in returns for p in r.problems if p.is_error}


def test_later_commands_read_only_the_sent_sheet_a_changed_return_is_compared_with(ws, monkeypatch):
    collected = _collect_three(ws)
    assert ("inbox/tampered.xlsx", "B7", "locked-changed") in collected
    assert ("inbox/forged.xlsx", None, "identity-forged") in collected
    index = json.loads((ws.distribution_dir(PERIOD) / sent.SentCopies.INDEX_NAME).read_text(encoding="utf-8"))
    assert set(index["files"]) == {p.name for p in ws.distribution_dir(PERIOD).glob("*.xlsx")}

    sent_files = {p.read_bytes(): p.name for p in ws.distribution_dir(PERIOD).glob("*.xlsx")}
    opened = []
    real = sent.read_book

    def counting(data):
        if data in sent_files:
            opened.append(sent_files[data])
        return real(data)

    monkeypatch.setattr(sent, "read_book", counting)
    again = _checked(ws)
    # the same errors as collect found, cell for cell; of the 51 sent sheets only UNIT's was opened (for B7)
    assert {(cell, code) for _file, cell, code in again} == {(cell, code) for _source, cell, code in collected}
    assert opened == [_sent(ws, UNIT).name]


def test_the_index_follows_the_sent_files_not_the_other_way_round(ws):
    _collect_three(ws)
    before = _checked(ws)
    index = ws.distribution_dir(PERIOD) / sent.SentCopies.INDEX_NAME
    index.write_text('{"key": {"reader"', encoding="utf-8")  # half-written: read the folder again
    assert _checked(ws) == before
    # OTHER's sheet taken out of the folder after it was indexed: its hash was issued to no one now,
    # so the copied identity sheet is no longer told forged, only changed (as reading the folder says)
    backup = ws.root / "other.xlsx"
    shutil.move(_sent(ws, OTHER), backup)
    after = _checked(ws)
    assert not any(code == "identity-forged" for _f, _c, code in after)
    assert any(code == "locked-changed" and file.endswith("forged.xlsx") for file, _c, code in after)
    # and back under another name: read again, not taken from the index by name
    shutil.move(backup, ws.distribution_dir(PERIOD) / backup.name)
    assert _checked(ws) == before
    name = json.loads(index.read_text(encoding="utf-8"))["files"]
    assert "other.xlsx" in name and len(name) == len(list(ws.distribution_dir(PERIOD).glob("*.xlsx")))


def test_a_folder_that_refuses_the_index_only_costs_speed(ws, monkeypatch):
    real = sent.write_text_atomic

    def refuse(path, *args, **kwargs):
        if path.name == sent.SentCopies.INDEX_NAME:
            raise PermissionError("read-only share")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(sent, "write_text_atomic", refuse)
    collected = _collect_three(ws)
    assert ("inbox/forged.xlsx", None, "identity-forged") in collected
    assert not (ws.distribution_dir(PERIOD) / sent.SentCopies.INDEX_NAME).exists()
