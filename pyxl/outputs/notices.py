"""The 督办单: which units get one, its items and form, its 回执, and the 督办单 folder with its list.

`notices` selects the units (the judgement's 督办级别) and their items;
`notice_context` is what the form shows; `write_notices` renders every
督办单 beside its 回执 and the list of those issued (督办单清单.csv), which the
next month reads back (`read_notice_list`) to see who answered in time.
The reply-by date comes in; nothing here reads the clock.
"""

from __future__ import annotations

import gc
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pyxl.common.collector import older_objects_frozen
from pyxl.common.files import replace_folder, staging_folder, write_staged
from pyxl.common.model import NOTICE_LEVELS, Consolidation
from pyxl.common.period import add_working_days
from pyxl.outputs.bulletin import Issuer, _issuer, letterhead_context
from pyxl.outputs.counting import (
    LAGGING,
    _closed,
    _item_subject,
    _text,
    format_date,
    format_percent,
    period_label,
    records,
    short_title,
    units_of,
)
from pyxl.outputs.render import ReportTemplates, render_docx_bytes

REPLY_WORKING_DAYS = 5
NOTICE_FOLDER = "督办单"
NOTICE_LIST = "督办单清单.csv"
NOTICE_LIST_COLUMNS = ("单位", "编号", "督办级别", "回复期限", "事项数", "督办单", "回执")
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def reply_by_date(as_of: date, working_days: int = REPLY_WORKING_DAYS, calendar: str = "china") -> date:
    """`working_days` working days after `as_of` (China's official calendar by default): the 督办单 reply-by date."""
    return add_working_days(as_of, working_days, calendar)


def safe_file_name(name: str) -> str:
    """A unit name usable as a file name on Windows and Linux."""
    return _UNSAFE.sub("_", name).strip(" .") or "_"


@dataclass
class Notice:
    """One unit's 督办单: its level (提示 / 督办 / 约谈建议), its items and the date to reply by."""

    unit: str
    items: list[dict]
    reply_by: date
    level: str = "督办"
    reason: str = ""


_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_SPACE_BY_CJK = re.compile(rf"(?<=[{_CJK}])[ \t]+(?=[0-9A-Za-z{_CJK}])|(?<=[0-9A-Za-z%{_CJK}])[ \t]+(?=[{_CJK}])")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")


def official_text(text: str) -> str:
    """Machine-made wording in the style of an official document: 2025年6月30日, not 2025-06-30; “” not 「」."""
    text = _ISO_DATE.sub(lambda m: f"{m.group(1)}年{int(m.group(2))}月{int(m.group(3))}日", text)
    text = _SPACE_BY_CJK.sub("", text)  # 截至 2025年7月8日 未报送 → 截至2025年7月8日未报送
    return text.replace("「", "“").replace("」", "”")


def notices(consolidation: Consolidation, reply_by: date) -> list[Notice]:
    """A 督办单 for every unit the judgement selects (单位情况's 督办级别, a rule in settings.notices).

    Items: the unit's flags, each (kind, item) once and red first — a contested
    figure is listed once with every unit's figure, a rejected return with each
    cell to fix — then each task whose lead is this unit and whose own report is
    欠序时进度, unless a flag already names it.
    """
    flags = consolidation.flags
    tasks = consolidation.tasks
    titles = dict(zip(tasks["number"].astype(str), tasks["short_title"].map(_text)))
    metrics = dict(zip(consolidation.indicators["key"].astype(str), consolidation.indicators["metric"].map(_text)))
    expected = dict(zip(tasks["number"].astype(str), tasks["expected_percent"]))
    leads = consolidation.leads
    units = consolidation.units
    # each item's run of months (督办升级): the 督办单 says how long it has been behind
    history = {(str(r.unit), _text(r.key), str(r.flag)): r for r in records(consolidation.escalation)}
    unanswered: dict[str, list] = {}
    for row in records(consolidation.replies):
        if row.state == "逾期未回复":
            unanswered.setdefault(str(row.unit), []).append(row)
    result = []
    # each unit's flags, lagging lead rows and refusals grouped once in plain rows, not filtered per notified unit
    own_flags: dict[str, list] = {}
    for row in records(flags):
        for named in dict.fromkeys(units_of(row.unit)):
            own_flags.setdefault(named, []).append(row)
    lagging: dict[str, list] = {}
    for lead in records(leads[leads["category"] == LAGGING]):
        lagging.setdefault(lead.unit, []).append(lead)
    refused: dict[str, list] = {}
    for answer in records(consolidation.refusals):
        refused.setdefault(answer.unit, []).append(answer)
    ranks = {"red": 0, "yellow": 2}
    for record in records(units[units["notice_level"].map(_text) != ""]):
        unit = record.unit
        own = sorted(own_flags.get(unit, []), key=lambda row: ranks.get(row.level, 3))  # stable: red, yellow, the rest
        ordered: list[tuple[int, dict]] = []
        seen: set[tuple[str, str]] = set()
        for row in own:
            key = _text(row.key)
            if (row.flag, key) in seen:
                continue
            seen.add((row.flag, key))
            ordered.append(
                (
                    ranks.get(row.level, 3),
                    {
                        "flag": _text(row.flag),
                        "level": "红色" if row.level == "red" else "黄色",
                        "key": key,
                        "subject": _item_subject(key, metrics, titles, consolidation.period),
                        "reason": official_text(_text(row.reason)),
                    },
                )
            )
        flagged_keys = {item["key"] for _, item in ordered}
        for lead in lagging.get(unit, []):
            key = str(lead.number)
            if key in flagged_keys:
                continue
            percent = format_percent(lead.percent)
            issues = _closed(lead.issues)
            ordered.append(
                (
                    1,
                    {
                        "flag": LAGGING,
                        "level": "—",
                        "key": key,
                        "subject": _item_subject(key, metrics, titles, consolidation.period),
                        "reason": (f"完成进度{percent}，" if percent else "本单位报“滞后”，")
                        + f"低于序时进度{format_percent(expected.get(key))}。"
                        + (f"存在问题：{issues}" if issues else ""),
                    },
                )
            )
        # last month's 督办单 left unanswered past its reply date: the unit is reminded on this one
        for row in unanswered.get(unit, []):
            ordered.append((1, {
                "flag": "督办单逾期未回复", "level": "—", "key": "",
                "subject": f"{period_label(row.notice_period)}督办单（{_text(row.number)}）",
                "reason": f"回复期限{format_date(row.reply_by)}已过，未收到办理结果回执，请即报回。"
                          + (f"{_text(row.note)}。" if _text(row.note) else ""),
            }))
        # the office's answer to a request it refused (pyxl.common.life): one sentence, after the flags
        for answer in refused.get(unit, []):
            ordered.append((4, {"flag": "延期申请答复", "level": "—", "key": str(answer.number),
                                "subject": _item_subject(str(answer.number), metrics, titles, consolidation.period),
                                "reason": answer.sentence}))
        items = [item for _, item in sorted(ordered, key=lambda pair: pair[0])]
        level, reason = _text(record.notice_level), _text(record.reason)
        climbed = _ladder_level(history, unit)
        if climbed and level in NOTICE_LEVELS and NOTICE_LEVELS.index(climbed) > NOTICE_LEVELS.index(level):
            level, reason = climbed, "同一事项连续预警，督办升级"
        for item in items:
            item["reason"] += _history_note(history.get((unit, item["key"], item["flag"])), consolidation.period)
        result.append(Notice(unit=unit, items=items, reply_by=reply_by, level=level, reason=reason))
    return result


def _ladder_level(history: dict[tuple[str, str, str], object], unit: str) -> str:
    """The highest 督办升级 step among the unit's items this month ('' when none climbed)."""
    steps = [row.step for (owner, _, _), row in history.items() if owner == unit and row.step in NOTICE_LEVELS]
    return max(steps, key=NOTICE_LEVELS.index, default="")


def _history_note(row: object, period: str) -> str:
    """（自2025年4月起连续3个月预警）for an item behind again; nothing the first month."""
    if row is None or int(row.months_running) < 2:
        return ""
    return f"（自{period_label(str(row.first_period))}起连续{int(row.months_running)}个月预警）"


_TASK_SUBJECT = re.compile(r"^(任务[\d-]+：)(.+)$", re.DOTALL)


def _short_subject(subject: str) -> str:
    """任务8：加快重点项目建设，推动… → 任务8：加快重点项目建设 (targets and the return line stay as they are)."""
    match = _TASK_SUBJECT.match(subject)
    return f"{match.group(1)}{short_title(match.group(2))}" if match else subject


def notice_context(notice: Notice, consolidation: Consolidation, issuer: "Issuer | str", serial: int) -> dict:
    """What the 督办单 form shows: 编号, level, the items, 办理时限 and the unit's 联系人 and 电话 when the settings know them."""
    issuer = _issuer(issuer)
    year, _, month = str(consolidation.period).partition("-")
    contact, phone = issuer.contacts.get(notice.unit, ("", ""))
    return {
        **letterhead_context(issuer, consolidation.period, consolidation.as_of),
        "number": f"{issuer.number_prefix or '督办'}〔{year}〕{month.lstrip('0')}-{serial:02d}号",
        "level": _text(notice.level) or "督办",  # 提示 / 督办 / 约谈建议
        "unit": notice.unit,
        "period_label": period_label(consolidation.period),
        # a task is named by its first clause, as in the 通报 (the form has one page)
        "items": [{**item, "subject": _short_subject(_text(item.get("subject")))} for item in notice.items],
        "item_count": len(notice.items),
        "level_reason": notice.reason,
        "reply_by": format_date(notice.reply_by),
        "reply_file": f"{safe_file_name(notice.unit)}_回执.xlsx",
        "as_of": format_date(consolidation.as_of),
        "contact": contact,
        "phone": phone,
    }


def reply_items(items: list[dict]) -> list:
    """The 督办单's items as its 回执 lists them (numbered as on the form, the same words)."""
    from pyxl.distribution.notice_reply import ReplyItem

    def line(item: dict) -> str:
        level = f"，{item['level']}" if item.get("level") and item.get("level") != "—" else ""
        return f"{_text(item.get('subject')).rstrip('。')}（{_text(item.get('flag'))}{level}）：{_text(item.get('reason'))}"

    return [ReplyItem(str(number), line(item)) for number, item in enumerate(items, start=1)]


def read_notice_list(folder: Path) -> list[dict]:
    """The 督办单 issued for a period (督办单/督办单清单.csv, written with them): unit, number, level, reply_by (date), items.

    Empty when that period issued none or was reported before the list existed.
    """
    import csv

    path = Path(folder) / NOTICE_LIST
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return []
    found = []
    for row in csv.DictReader(io.StringIO(text)):
        try:
            reply_by = date.fromisoformat((row.get("回复期限") or "").strip())
        except ValueError:
            continue
        found.append({"unit": (row.get("单位") or "").strip(), "number": (row.get("编号") or "").strip(),
                      "level": (row.get("督办级别") or "").strip(), "reply_by": reply_by,
                      "items": int(row.get("事项数") or 0)})
    return [row for row in found if row["unit"]]


def _notice_list_text(rows: list[list[str]]) -> str:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(NOTICE_LIST_COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue()


def write_notices(
    consolidation: Consolidation, out_dir: Path, templates: ReportTemplates, issuer: Issuer, reply_by: date,
    reply_key: bytes | None = None,
) -> list[Path]:
    """Write 督办单/<unit>.docx, each beside its 回执, and 督办单清单.csv into `out_dir`; return the paths.

    Each 回执 (督办单/<unit>_回执.xlsx) is the workbook the unit answers in, its
    identity keyed with `reply_key`; the list (unit, 编号, level, reply-by date)
    is what the next month reads to see who answered in time. The folder is
    written beside the old one and swapped in, so it never mixes notices of two
    runs and a unit no longer flagged loses its old notice.
    """
    from pyxl.distribution.notice_reply import FILE_SUFFIX, reply_workbook_bytes

    out_dir = Path(out_dir)
    written: list[Path] = []
    folder = out_dir / NOTICE_FOLDER
    # staged beside the old folder with normal permissions (mkdtemp's would be 0700), then swapped in
    with staging_folder(out_dir) as staging:
        # A rendered document holds reference cycles only the cycle collector frees: at a
        # province's hundreds of 督办单, collect every few (everything older is frozen out of
        # the walk, so each collection is cheap) to keep memory flat in the number of units.
        with older_objects_frozen():
            listed = []
            for serial, notice in enumerate(notices(consolidation, reply_by), start=1):
                target = staging / f"{safe_file_name(notice.unit)}.docx"
                context = notice_context(notice, consolidation, issuer, serial)
                # written straight into the staging folder: nobody sees it before the swap
                target.write_bytes(render_docx_bytes(templates.notice_docx, context))
                reply = write_staged(staging, f"{safe_file_name(notice.unit)}{FILE_SUFFIX}", reply_workbook_bytes(
                    unit=notice.unit, period=str(consolidation.period), number=context["number"],
                    reply_by=notice.reply_by, items=reply_items(context["items"]), office=issuer.office, key=reply_key,
                ), folder)
                written += [folder / target.name, folder / reply.name]
                listed.append([notice.unit, context["number"], context["level"], notice.reply_by.isoformat(),
                               str(len(notice.items)), target.name, reply.name])
                if serial % 5 == 0:
                    gc.collect()
        if listed:
            write_staged(staging, NOTICE_LIST, _notice_list_text(listed).encode("utf-8-sig"), folder)
            written.append(folder / NOTICE_LIST)
        replace_folder(staging, folder)
    return written
