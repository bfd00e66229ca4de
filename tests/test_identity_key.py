"""The identity sheet's hash is keyed with a per-workspace secret: a sheet cannot be forged from another sheet."""

from __future__ import annotations

import stat
from datetime import datetime

import pytest
from test_collect_support import OTHER, UNIT, filled

from pyxl import pipeline
from pyxl.common.period import Period
from pyxl.distribution import layout
from pyxl.workspace import Workspace

JUNE = Period(2025, 6)


@pytest.fixture
def split_ws(settings):
    pipeline.split_sheets(Workspace.load(settings), JUNE, units=[UNIT, OTHER])
    return settings


def _sent(settings, unit):
    return next((settings.out_dir(JUNE) / "分发").glob(f"*_{unit}.xlsx"))


def _identity(book):
    ws = book["pyxl_id"]
    return {ws.cell(r, 1).value: ws.cell(r, 2) for r in range(1, 10) if ws.cell(r, 1).value}


def _pretend(unit, rehash):
    """Another unit's sheet made to claim `unit`: with a plain hash recomputed (anyone can), or the old keyed one kept."""
    def change(book):
        ident = _identity(book)
        ident[layout.ID_UNIT].value = unit
        if rehash:
            sheet = book.worksheets[0]
            header = int(ident[layout.ID_HEADER_ROW].value)
            keys = ident[layout.ID_KEYS].value.split(",")
            rows = [[sheet.cell(header + 1 + i, c).value for c in range(1, 7)] for i in range(len(keys))]
            ident[layout.ID_HASH].value = layout.locked_hash(unit, str(JUNE), rows)
        sheet = book.worksheets[0]
        sheet["A2"] = f"{layout.UNIT_LABEL}{unit}"

    return change


def test_the_secret_is_made_once_kept_private_and_never_sent(split_ws):
    secret = split_ws.root / layout.SECRET_NAME
    key = secret.read_text(encoding="ascii").strip()
    assert len(bytes.fromhex(key)) == 32 and stat.S_IMODE(secret.stat().st_mode) == 0o600
    pipeline.split_sheets(Workspace.load(split_ws), JUNE, units=[UNIT])
    assert secret.read_text(encoding="ascii").strip() == key  # made once per workspace
    assert key not in (split_ws.root / "config.yaml").read_text(encoding="utf-8")
    for path in (split_ws.out_dir(JUNE)).rglob("*"):
        if path.is_file():
            assert key.encode() not in path.read_bytes()
    import openpyxl

    written = _identity(openpyxl.load_workbook(_sent(split_ws, UNIT)))[layout.ID_HASH].value
    assert written.startswith(layout.KEYED_PREFIX)


def test_genuine_tampered_and_forged_sheets_are_told_apart(split_ws):
    inbox = split_ws.inbox_dir
    filled(_sent(split_ws, UNIT), inbox / "genuine.xlsx")
    filled(_sent(split_ws, UNIT), inbox / "tampered.xlsx", lambda book: book.worksheets[0].__setitem__("B7", "改过的任务"))
    filled(_sent(split_ws, OTHER), inbox / "forged_rehashed.xlsx", _pretend(UNIT, rehash=True))
    filled(_sent(split_ws, OTHER), inbox / "forged_kept_hash.xlsx", _pretend(UNIT, rehash=False))
    result = pipeline.collect_returns(Workspace.load(split_ws), JUNE, None, now=datetime(2025, 7, 3, 9, 0))
    found = {(p.file, p.cell, p.code) for p in result.problems if p.is_error}
    assert found == {
        ("inbox/tampered.xlsx", "B7", "locked-changed"),
        ("inbox/forged_rehashed.xlsx", None, "identity-forged"),
        ("inbox/forged_kept_hash.xlsx", None, "identity-forged"),
    }
    accepted = {r.source for r in result.data if r.accepted}
    assert accepted == {"inbox/genuine.xlsx"}
