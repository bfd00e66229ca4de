"""Were last month's 督办单 answered in time? One row per 督办单 issued, with the reply it got.

A 督办单 issued with a period's report carries a reply-by date; the unit
answers in its 回执 (pyxl.returns.replies). The next month's judgement reads
the list of 督办单 issued and every recorded reply and says, per unit:
按时回复, 逾期回复, 逾期未回复 — or 未到回复期限 while the date has not passed.
Late or missing answers feed the score's `notice_unanswered` deduction.

Pure: the issued list, the replies and `as_of` come in.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Mapping, Sequence

import pandas as pd

from pyxl.common.model import REPLY_COLUMNS
from pyxl.common.period import chinese_date

ON_TIME, LATE, MISSING, NOT_DUE = "按时回复", "逾期回复", "逾期未回复", "未到回复期限"


def _answers_text(reply) -> str:
    """The reply's answers in one cell: 1. 办理结果；整改措施：…；完成时间：2025年9月30日."""
    lines = []
    for answer in reply.answers:
        text = f"{answer.key}. {answer.result}"
        if answer.measures:
            text += f"；整改措施：{answer.measures}"
        if answer.done_by is not None:
            text += f"；完成时间：{chinese_date(answer.done_by)}"
        lines.append(text)
    return "\n".join(lines)


def reply_table(issued: Sequence[Mapping], replies: Sequence, as_of: date, notice_period: str) -> pd.DataFrame:
    """One row per 督办单 of `notice_period` (`issued`: unit, number, level, reply_by), with its reply's state.

    `replies` are the recorded replies to that period's 督办单 (accepted or
    not); the first accepted one decides whether it came in time, the latest
    accepted one's answers are shown. A 督办单 is 逾期未回复 once `as_of` is
    past its reply-by date without an accepted reply.
    """
    rows = []
    for notice in issued:
        unit, reply_by = notice["unit"], notice["reply_by"]
        own = [r for r in replies if r.unit == unit]
        accepted = sorted((r for r in own if r.accepted), key=lambda r: r.received)
        rejected = [r for r in own if not r.accepted]
        deadline = datetime.combine(reply_by + timedelta(days=1), datetime.min.time())
        note = ""
        if accepted:
            first, latest = accepted[0], accepted[-1]
            state = ON_TIME if first.received < deadline else LATE
            received, signed, answers = first.received, latest.signed_by, _answers_text(latest)
            if state == LATE:
                note = f"回复期限{reply_by.month}月{reply_by.day}日，{first.received.month}月{first.received.day}日回复"
        else:
            state = MISSING if as_of > reply_by else NOT_DUE
            received, signed, answers = None, "", ""
            if rejected:
                note = f"报回的回执有误未采用（{len(rejected)}份），请按问题清单修改后重报"
        rows.append({"unit": unit, "number": notice.get("number", ""), "notice_period": notice_period,
                     "level": notice.get("level", ""), "reply_by": reply_by, "received": received, "state": state,
                     "signed_by": signed, "answers": answers, "note": note})
    return pd.DataFrame(rows, columns=list(REPLY_COLUMNS))


def late_or_missing(table: pd.DataFrame) -> dict[str, str]:
    """unit → the score's reason, for each 督办单 answered late or not at all by its date."""
    reasons = {LATE: "督办单逾期回复", MISSING: "督办单逾期未回复"}
    return {str(row.unit): reasons[row.state] for row in table.itertuples(index=False) if row.state in reasons}


def reply_sentence(table: pd.DataFrame) -> str:
    """The 通报's line on last month's 督办单: how many, answered in time, late, not answered (named)."""
    if table.empty:
        return ""
    period = str(table["notice_period"].iloc[0])
    label = f"{int(period[:4])}年{int(period[5:7])}月" if len(period) == 7 else period

    def named(state: str) -> list[str]:
        return [str(u) for u in table.loc[table["state"] == state, "unit"]]

    on_time, late, missing, waiting = named(ON_TIME), named(LATE), named(MISSING), named(NOT_DUE)
    parts = [f"{label}督办单{len(table)}份，按时回复{len(on_time)}份"]
    if late:
        parts.append(f"逾期回复{len(late)}份（{'、'.join(late)}）")
    if missing:
        parts.append(f"逾期未回复{len(missing)}份（{'、'.join(missing)}）")
    if waiting:
        parts.append(f"未到回复期限{len(waiting)}份")
    return "，".join(parts) + "。"
