"""佐证材料: the photos, PDFs and documents that come with a return, archived per unit and indexed.

A file that is not a spreadsheet and arrived in the same e-mail or zip as a
unit's return (or in an e-mail from one unit's registered address) is that
unit's evidence for the period. It is stored byte for byte, never opened,
under `returns/<period>/佐证材料/<unit>/<sha256[:16]>_<name>` (one copy per
content: the same photo sent twice is stored and indexed once) and indexed in
`佐证材料索引.csv` beside it (UTF-8 with BOM, append-only, Chinese headers).

Nothing here trusts a name: an executable, a file whose name hides another
extension (照片.jpg.exe, a right-to-left mark) or whose content is a program
whatever its name, and macro-enabled documents are refused — kept out of the
evidence folder, archived with the other files received and reported as a
problem. Types offices send as evidence are listed; anything else received
is archived as before (file-skipped), never linked as evidence.

The 佐证材料 cell of each row is matched loosely to the unit's files: file
names it mentions, and counts such as 照片3张. Evidence named but not
received is a warning, never an error: the figures still count.
"""

from __future__ import annotations

import re
from dataclasses import astuple, dataclass, fields, replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Iterable, Sequence

from xlsxwriter.utility import xl_col_to_name

from pyxl.common.errors import PyxlError
from pyxl.common.files import append_csv, csv_value, read_csv_record
from pyxl.common.model import DutyTable, UnitReturn, split_row_key
from pyxl.common.problems import Problem, problem, register_code
from pyxl.distribution import layout
from pyxl.distribution.unit_sheet import file_name_part
from pyxl.returns.archive import store

STAGE = "collect"
EVIDENCE_REFUSED = register_code(
    "evidence-refused", "error",
    "随报表发来的附件是可执行程序、宏文档或伪装了扩展名（如 照片.jpg.exe）：未打开、未作为佐证材料，原样隔离存档；请对方只发送照片、PDF、Word 等文件。",
    STAGE,
)
EVIDENCE_MISSING = register_code(
    "evidence-missing", "warning",
    "「佐证材料」写了的文件（或照片张数）没有随报表收到：数据照常采用，请对方把佐证材料作为附件补发（与报表同一封邮件或同一个 .zip）。",
    STAGE,
)

FOLDER = "佐证材料"
INDEX_NAME = "佐证材料索引.csv"
COLUMN = "佐证材料"

# What offices send as evidence (by the name's last extension; the content is never opened).
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".heic", ".heif", ".webp"}
DOCUMENT_SUFFIXES = {".pdf", ".doc", ".docx", ".wps", ".ofd", ".rtf", ".txt", ".ppt", ".pptx", ".dps", ".odt", ".odp"}
MEDIA_SUFFIXES = {".mp4", ".mov", ".avi", ".wmv", ".mkv", ".3gp", ".mp3", ".m4a", ".amr", ".wav"}
EVIDENCE_SUFFIXES = IMAGE_SUFFIXES | DOCUMENT_SUFFIXES | MEDIA_SUFFIXES
# Programs, scripts, shortcuts and macro documents: never evidence, whatever they claim.
EXECUTABLE_SUFFIXES = {
    ".exe", ".com", ".scr", ".pif", ".cpl", ".msi", ".msp", ".dll", ".sys", ".bat", ".cmd", ".ps1", ".psm1",
    ".vbs", ".vbe", ".js", ".jse", ".wsf", ".wsh", ".hta", ".lnk", ".url", ".reg", ".jar", ".apk", ".sh",
    ".app", ".deb", ".rpm", ".iso", ".img", ".vhd", ".chm", ".inf", ".scf", ".gadget", ".application",
    ".docm", ".dotm", ".pptm", ".potm", ".ppsm", ".xlam", ".sldm",
}
# Content that is a program whatever the name says: Windows PE, ELF, Mach-O, a script's #!, a shortcut.
_PROGRAM_MAGIC = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe",
                  b"#!", b"L\x00\x00\x00\x01\x14\x02\x00")
# Characters that make a name read differently from what it is (照片‮gpj.exe shows as 照片exe.jpg).
_DECEPTIVE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def refusal(name: str, data: bytes) -> str | None:
    """Why `name` with these bytes must not be taken as evidence, or None. Nothing is opened or run."""
    base = PurePosixPath(name.replace("\\", "/")).name
    if _DECEPTIVE.search(base):
        return "文件名中含有改变显示顺序的隐藏字符（常用于把 .exe 伪装成 .jpg）"
    suffixes = [s.lower() for s in PurePosixPath(base.rstrip(" .")).suffixes]
    last = suffixes[-1] if suffixes else ""
    if last in EXECUTABLE_SUFFIXES:
        hidden = [s for s in suffixes[:-1] if s in EVIDENCE_SUFFIXES]
        if hidden:
            return f"文件名伪装成 {hidden[-1]}，实际是 {last} 程序或宏文档"
        return f"{last} 是可执行程序、脚本、快捷方式或含宏的文档"
    if base.rstrip(" .") != base:
        return "文件名以空格或点结尾（常用于隐藏真实扩展名）"
    if any(s in EXECUTABLE_SUFFIXES for s in suffixes[:-1]) and last in EVIDENCE_SUFFIXES:
        return f"文件名中藏着 {next(s for s in suffixes[:-1] if s in EXECUTABLE_SUFFIXES)} 程序扩展名"
    if data.startswith(_PROGRAM_MAGIC):
        return "内容是可执行程序（扩展名被改过）"
    return None


def is_evidence_type(name: str) -> bool:
    """Whether a file of this name is a kind offices send as evidence (photo, document, recording)."""
    return PurePosixPath(name.replace("\\", "/")).suffix.lower() in EVIDENCE_SUFFIXES


def is_image(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() in IMAGE_SUFFIXES


# ---------------------------------------------------------------- the index


@dataclass(frozen=True)
class EvidenceFile:
    """One line of 佐证材料索引.csv: one evidence file as stored."""

    file: str  # archived copy, relative to the workspace
    name: str  # the file's own name as the unit sent it
    size: int  # bytes
    sha256: str
    received: str  # ISO date-time, as the return's ledger line
    unit: str
    period: str
    came_with: str  # the return it came with (archive path), empty when it came alone
    source: str  # what carried it: inbox/x.eml!照片.jpg
    sender: str = ""


INDEX_HEADERS = {
    "file": "存档文件", "name": "原文件名", "size": "大小（字节）", "sha256": "SHA256", "received": "收到时间",
    "unit": "单位", "period": "期次", "came_with": "随附报表", "source": "来源", "sender": "发件人",
}
_FIELD_OF = {header: name for name, header in INDEX_HEADERS.items()}


def folder(returns_dir: Path) -> Path:
    return Path(returns_dir) / FOLDER


def store_evidence(returns_dir: Path, unit: str, sha256: str, name: str, data: bytes) -> Path:
    """Keep `data` as `unit`'s evidence (never rewritten when already there); its path."""
    return store(folder(returns_dir) / file_name_part(unit), sha256, name, data)


def read_index(returns_dir: Path) -> list[EvidenceFile]:
    """Every evidence file of the period, oldest first; [] before the first."""
    path = folder(returns_dir) / INDEX_NAME
    reader = read_csv_record(path, "佐证材料索引")
    entries: list[EvidenceFile] = []
    for raw in reader or ():
        row = {_FIELD_OF.get(k, k): csv_value(v or "") for k, v in raw.items() if k is not None}
        try:
            entries.append(EvidenceFile(**{f.name: row.get(f.name, "") for f in fields(EvidenceFile)} | {"size": int(row.get("size") or 0)}))
        except (TypeError, ValueError):
            raise PyxlError(f"佐证材料索引 {path} 有一行无法读取：请勿手工修改它；如已改动，请从备份恢复。") from None
    return entries


def append_index(returns_dir: Path, entries: Sequence[EvidenceFile]) -> Path | None:
    """Add lines at the end; earlier lines stay exactly as they were."""
    if not entries:
        return None
    return append_csv(folder(returns_dir) / INDEX_NAME, [INDEX_HEADERS[f.name] for f in fields(EvidenceFile)],
                      (astuple(entry) for entry in entries))


# ---------------------------------------------------------------- matching a row's words to the files

_FILE_MENTION = re.compile(r"[^\s，,；;、：:（）()《》“”\"'【】]+?\.[A-Za-z][A-Za-z0-9]{1,4}\b")
_PHOTO_COUNT = re.compile(r"(?:照片|图片|相片|现场图)\s*(\d{1,3})\s*(?:张|幅|份)?|(\d{1,3})\s*张\s*(?:照片|图片|相片)?")
_NOTHING = {"", "无", "暂无", "-", "—", "——", "/", "／", "none"}


def mentions(text: str) -> tuple[list[str], int]:
    """(file names the text mentions, photos it counts) — 照片3张；验收报告.pdf → (['验收报告.pdf'], 3)."""
    names = [m.group(0) for m in _FILE_MENTION.finditer(text)]
    photos = sum(int(a or b) for a, b in _PHOTO_COUNT.findall(text))
    return names, photos


def _matches(mention: str, name: str) -> bool:
    mention, name = mention.lower(), name.lower()
    if mention == name:
        return True
    stem, mention_stem = PurePosixPath(name).stem, PurePosixPath(mention).stem
    return bool(mention_stem) and (mention_stem == stem or mention_stem in stem)


def files_for(text: str, files: Sequence[EvidenceFile]) -> list[EvidenceFile]:
    """The unit's files the row's 佐证材料 text names (by file name); [] when it names none."""
    names, _ = mentions(text)
    return [f for f in files if any(_matches(m, f.name) for m in names)]


def evidence_cell(row_number: int | None) -> str | None:
    if row_number is None:
        return None
    return f"{xl_col_to_name(layout.COLUMNS.index(COLUMN))}{row_number}"


def check_named(unit_return: UnitReturn, files: Sequence[EvidenceFile]) -> list[Problem]:
    """A warning for each row naming a file, or more photos, than the unit's evidence holds."""
    found = []
    images = sum(is_image(f.name) for f in files)
    for row in unit_return.rows:
        if not row.evidence:  # nearly every row
            continue
        text = row.evidence.strip()
        if text.lower() in _NOTHING:
            continue
        names, photos = mentions(text)
        lacking = [m for m in names if not any(_matches(m, f.name) for f in files)]
        where = dict(file=unit_return.source or unit_return.file, sheet=None, cell=evidence_cell(row.cell_row), unit=unit_return.unit)
        if lacking:
            found.append(problem(EVIDENCE_MISSING, f"序号「{row.key}」的佐证材料写了「{'」「'.join(lacking)}」，但没有收到这个文件："
                                                   "请把它与报表作为同一封邮件的附件（或打包在同一个 .zip 中）补发。", **where))
        elif photos and images < photos:
            found.append(problem(EVIDENCE_MISSING, f"序号「{row.key}」的佐证材料写了照片 {photos} 张，本期只收到该单位的照片 {images} 张："
                                                   "请补发照片。", **where))
        elif not names and not photos and not files:
            found.append(problem(EVIDENCE_MISSING, f"序号「{row.key}」写了佐证材料「{text[:30]}」，但没有收到该单位的任何佐证文件："
                                                   "请把佐证材料作为附件补发。", **where))
    return found


def with_evidence(unit_return: UnitReturn, files: Sequence[EvidenceFile]) -> UnitReturn:
    """The return with its evidence warnings as of `files` (earlier ones replaced: the files may have come since)."""
    if unit_return.unit is None:
        return unit_return
    kept = [p for p in unit_return.problems if p.code != EVIDENCE_MISSING]
    return replace(unit_return, problems=kept + check_named(unit_return, files))


# ---------------------------------------------------------------- the summary's list


def _moment(text: str) -> datetime | str:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return text


def evidence_rows(returns: Iterable[UnitReturn], files: Sequence[EvidenceFile], period: str,
                  duty: DutyTable | None = None) -> list[dict]:
    """EVIDENCE_COLUMNS records: each row's evidence with the files it names; then each unit's files no row names.

    A row that names evidence not received has one record with no file.
    """
    by_unit: dict[str, list[EvidenceFile]] = {}
    for entry in files:
        by_unit.setdefault(entry.unit, []).append(entry)
    numbers = {task.number for task in duty.tasks} if duty is not None else set()
    records = []

    def task_text(key: str) -> str:
        if duty is None:
            return ""
        number, _ = split_row_key(key, numbers)
        try:
            text = duty.task(number).text
        except KeyError:
            return ""
        return text if len(text) <= 40 else text[:39] + "…"

    def record(unit: str, key: str, said: str, entry: EvidenceFile | None, state: str) -> dict:
        return {
            "key": key, "task": task_text(key) if key else "", "unit": unit, "period": period, "said": said,
            "name": entry.name if entry else "", "size_kb": round(entry.size / 1024, 1) if entry else None,
            "received": _moment(entry.received) if entry else None, "file": entry.file if entry else "", "state": state,
        }

    seen_units = set()
    for item in returns:
        if item.unit is None:
            continue
        seen_units.add(item.unit)
        own = by_unit.get(item.unit, [])
        named: set[str] = set()
        for row in item.rows:
            said = (row.evidence or "").strip()
            if said.lower() in _NOTHING:
                continue
            names, photos = mentions(said)
            matched = files_for(said, own)
            if photos:  # 照片3张: the unit's photos not named by a file name
                matched += [f for f in own if is_image(f.name) and f not in matched]
            named.update(f.sha256 for f in matched)
            lacking = [m for m in names if not any(_matches(m, f.name) for f in own)]
            for entry in matched:
                records.append(record(item.unit, row.key, said, entry, "已收到"))
            if lacking or not matched:
                missing = record(item.unit, row.key, said, None, "未收到" if lacking or not own else "未写明文件名")
                missing["name"] = "、".join(lacking)  # the files the row names that never came
                records.append(missing)
        for entry in own:
            if entry.sha256 not in named:
                records.append(record(item.unit, "", "", entry, "未对应到任务"))
    for unit, own in by_unit.items():
        if unit not in seen_units:
            records.extend(record(unit, "", "", entry, "未对应到任务") for entry in own)
    return records
