"""The per-unit sheet as a contract between `split` (writes it) and `collect` (reads it back).

A unit clerk fills this sheet in Excel or WPS without pyxl, so everything
`collect` relies on to recognise and check a return is defined here once:
the header titles, which columns are input, the hidden identity sheet and
the hash of the locked cells.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Iterable, Sequence

TEMPLATE_VERSION = "2"

# Header titles of the table, exactly these, in this order.
COLUMNS: tuple[str, ...] = (
    "序号",
    "任务内容",
    "本单位职责",
    "指标",
    "目标值",
    "完成时限",
    "本期完成值",
    "完成进度(%)",
    "状态",
    "进展情况",
    "存在问题",
    "下步措施",
    "佐证材料",
    "申请新完成时限",
    "申请理由",
)
# Columns a lead unit fills only when it asks for a new deadline (a request is optional).
REQUEST_COLUMNS: tuple[str, ...] = ("申请新完成时限", "申请理由")
LOCKED_COLUMNS: tuple[str, ...] = COLUMNS[:6]
INPUT_COLUMNS: tuple[str, ...] = COLUMNS[6:]
# The columns each template version wrote: sheets sent before an upgrade come back in their own
# layout and are read by their own header (version 1 ended at 下步措施).
VERSION_COLUMNS: dict[str, tuple[str, ...]] = {"1": COLUMNS[:12], TEMPLATE_VERSION: COLUMNS}


def columns_of(version: str | None) -> tuple[str, ...]:
    """The header titles a sheet of template `version` carries; the current ones for an unknown version."""
    return VERSION_COLUMNS.get(version or "", COLUMNS)
# ReturnRow field for each input column.
INPUT_FIELDS = {
    "本期完成值": "value",
    "完成进度(%)": "percent",
    "状态": "status",
    "进展情况": "progress",
    "存在问题": "issues",
    "下步措施": "next_steps",
    "佐证材料": "evidence",
    "申请新完成时限": "requested_deadline",
    "申请理由": "request_reason",
}
ROLE_LEAD = "牵头"
ROLE_RESPONSIBLE = "责任"

# The title block, from A1 down. The title names the period as people write it
# (2025年6月; sheets sent before this version wrote 2025-06, which collect still
# reads) and A2 starts with UNIT_LABEL followed by the unit's name, so a return
# whose identity sheet was lost can still be recognised by its visible text.
TITLE_TEMPLATE = "{year}年《政府工作报告》重点工作推进情况（{label}）"
UNIT_LABEL = "填报单位："


def title(year: int, period: str) -> str:
    """The sheet's title for `period` (2025-06): …推进情况（2025年6月）."""
    return TITLE_TEMPLATE.format(year=year, label=f"{int(period[:4])}年{int(period[5:7])}月")


# The footer, on rows below the data rows: each label cell holds exactly the
# label and the clerk types the value into the cell right of it. The unit
# head signs off beside the clerk who filled the sheet in.
FOOTER_LABELS: tuple[str, ...] = ("填报人", "单位负责人", "联系电话", "填报日期")
# Where each label sits: (rows below the first footer row, 0-based column); its value is one column right.
FOOTER_PLACES: dict[str, tuple[int, int]] = {"填报人": (0, 0), "单位负责人": (0, 2), "联系电话": (1, 0), "填报日期": (2, 0)}

# The list of files that `split` writes beside the unit workbooks
# (out/<period>/分发/分发清单.csv, UTF-8 with BOM), read by `mail`.
MANIFEST_NAME = "分发清单.csv"
MANIFEST_COLUMNS: tuple[str, ...] = ("单位", "文件", "任务数", "指标数", "SHA256")

# The hidden sheet that identifies a return by content, never by file name.
# Key/value pairs in columns A:B, one per row, in this order.
IDENTITY_SHEET = "pyxl_id"
ID_UNIT = "单位"
ID_PERIOD = "期次"
ID_VERSION = "模板版本"
ID_SHEET = "填报表"  # name of the visible sheet
ID_HEADER_ROW = "表头行"  # 1-based Excel row of the header titles
ID_KEYS = "行键"  # row keys (序号) of the data rows, top to bottom, joined by ","
ID_HASH = "锁定内容哈希"
IDENTITY_KEYS = (ID_UNIT, ID_PERIOD, ID_VERSION, ID_SHEET, ID_HEADER_ROW, ID_KEYS, ID_HASH)
KEY_SEPARATOR = ","


def cell_text(value: object) -> str:
    """One cell's content as text, the same whichever program saved the file.

    Spreadsheet programs may turn 3400 into 3400.0 or keep trailing spaces;
    the hash and the comparisons must not see a change where a person sees none.
    """
    if type(value) is str:  # most cells, and every locked one: looked at first
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(value, ".12g")
    return str(value).strip()


# The identity hash is keyed with a secret only the office's workspace holds
# (never in config.yaml, never sent): anyone can compute a plain SHA-256, so a
# plain hash would let a sheet be forged from another unit's sheet.
SECRET_NAME = ".pyxl-secret"
KEYED_PREFIX = "hmac-sha256:"


def workspace_key(root: Path, create: bool = False) -> bytes | None:
    """The workspace's secret key for identity hashes; made once (by split) when `create`; None when there is none."""
    path = Path(root) / SECRET_NAME
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        if not create:
            return None
    except (OSError, ValueError):
        return None
    key = secrets.token_bytes(32)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # readable by the office's account only
    with os.fdopen(handle, "w", encoding="ascii") as stream:
        stream.write(key.hex() + "\n")
    return key


def locked_hash(unit: str, period: str, rows: Iterable[Sequence[object]], key: bytes | None = None) -> str:
    """A hash over the unit, the period and the locked columns of every data row.

    `rows` holds, for each data row top to bottom, the values of LOCKED_COLUMNS.
    With the workspace's `key` it is an HMAC written as "hmac-sha256:<hex>";
    without, a plain SHA-256 (sheets made before workspaces had a key).
    """
    # one text, hashed at once: the same bytes as row by row, without two updates and an encoding a row
    text = f"{unit}\x1e{period}\x1e" + "".join("\x1f".join(map(cell_text, row)) + "\x1e" for row in rows)
    if key is None:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    return KEYED_PREFIX + hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
