"""Escalation across months, the monthly score and the ranking, checked month by month."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from pyxl.common.config import ScoreSettings
from pyxl.common.model import (
    FLAG_COLUMNS, INDICATOR_COLUMNS, LEAD_COLUMNS, RETURN_COLUMNS, TASK_COLUMNS, UNIT_COLUMNS, Consolidation,
)
from pyxl.common.problems import PROBLEM_COLUMNS
from pyxl.judgement.escalation import escalate, escalation_table, repeat_cases, unit_levels
from pyxl.judgement.scoring import rank_units, score_period, year_assessment


def _flags(*items: tuple[str, str, str, str]) -> pd.DataFrame:
    return pd.DataFrame([{"flag": f, "level": lv, "unit": u, "key": k, "reason": ""} for u, k, f, lv in items],
                        columns=list(FLAG_COLUMNS))


BEHIND = ("区财政局", "12", "任务逾期", "red")
LAGGING = ("区民政局", "42-1", "指标滞后", "yellow")
ONCE = ("区水务局", "7", "指标滞后", "red")

# Four months: 区财政局 behind every month; 区民政局 behind twice, caught up in June, behind again in July;
# 区水务局 behind in May only.
MONTHS = [
    ("2025-04", _flags(BEHIND, LAGGING)),
    ("2025-05", _flags(BEHIND, LAGGING, ONCE)),
    ("2025-06", _flags(BEHIND)),
    ("2025-07", _flags(BEHIND, LAGGING)),
]


@pytest.mark.parametrize("month, expected", [
    (1, {("区财政局", "12"): ("提示", 1, "2025-04"), ("区民政局", "42-1"): ("提示", 1, "2025-04")}),
    (2, {("区财政局", "12"): ("督办", 2, "2025-04"), ("区民政局", "42-1"): ("督办", 2, "2025-04"),
         ("区水务局", "7"): ("提示", 1, "2025-05")}),
    (3, {("区财政局", "12"): ("约谈建议", 3, "2025-04")}),
    # caught up in June: 督办 fell to 提示, and behind again in July climbs back to 督办 — a new run from July
    (4, {("区财政局", "12"): ("约谈建议", 4, "2025-04"), ("区民政局", "42-1"): ("督办", 1, "2025-07")}),
])
def test_the_ladder_month_by_month(month, expected):
    table = escalation_table(escalate(MONTHS[:month]))
    got = {(r.unit, r.key): (r.step, r.months_running, r.first_period) for r in table.itertuples(index=False)}
    assert got == expected


def test_a_caught_up_item_steps_down_instead_of_vanishing():
    # 区民政局 at 督办 in May; clean in June and July: back to nothing only after two clean months
    months = [("2025-04", _flags(LAGGING)), ("2025-05", _flags(LAGGING)), ("2025-06", _flags()), ("2025-07", _flags(LAGGING))]
    assert unit_levels(escalate(months)) == {"区民政局": "督办"}
    months[2:] = [("2025-06", _flags()), ("2025-07", _flags()), ("2025-08", _flags(LAGGING))]
    assert unit_levels(escalate(months)) == {"区民政局": "提示"}


def test_the_ladder_is_the_offices_and_a_unit_takes_its_highest_item():
    ladder = ("蓝色督办单", "黄色督办单", "红色督办单")
    months = MONTHS[:2] + [("2025-06", _flags(BEHIND, ("区财政局", "3", "任务逾期", "red")))]
    assert unit_levels(escalate(months, ladder), ladder) == {"区财政局": "红色督办单"}


def test_repeat_cases_are_those_behind_months_running_longest_first():
    cases = repeat_cases(escalate(MONTHS), at_least=2)
    assert [(c.unit, c.key, c.months_running) for c in cases] == [("区财政局", "12", 4)]
    history = {item.unit: item.flagged_periods for item in escalate(MONTHS)}
    assert history == {"区财政局": ("2025-04", "2025-05", "2025-06", "2025-07"), "区民政局": ("2025-04", "2025-05", "2025-07")}


# ---------------------------------------------------------------- the score


def _consolidation(returns: list[dict], tasks: list[dict], indicators: list[dict], flags: pd.DataFrame) -> Consolidation:
    def table(rows, columns):
        return pd.DataFrame([{c: row.get(c) for c in columns} for row in rows], columns=list(columns))

    return Consolidation(
        period="2025-06", as_of=date(2025, 7, 8), year=2025, schedule_fraction=0.5, due_date=date(2025, 7, 5),
        tasks=table(tasks, TASK_COLUMNS), indicators=table(indicators, INDICATOR_COLUMNS),
        returns=table(returns, RETURN_COLUMNS), flags=flags, problems=pd.DataFrame(columns=list(PROBLEM_COLUMNS)),
        leads=pd.DataFrame(columns=list(LEAD_COLUMNS)), units=pd.DataFrame(columns=list(UNIT_COLUMNS)),
    )


def _month(missing=(), late=(), behind=(), red=()) -> Consolidation:
    units = ["区财政局", "区民政局", "区水务局", "区商务局"]
    returns = [{"unit": u, "returned": u not in missing, "late": (u in late) if u not in missing else None,
                "accepted": True if u not in missing else None, "problem_count": 0} for u in units]
    tasks = [{"number": str(i + 1), "lead_units": u, "category": "欠序时进度" if u in behind else "达序时进度"}
             for i, u in enumerate(units)]
    indicators = [{"key": f"{i + 1}-1", "lead_unit": u, "light": "red" if u in red else "green"} for i, u in enumerate(units)]
    return _consolidation(returns, tasks, indicators, _flags())


def test_a_months_score_names_every_deduction():
    rubric = ScoreSettings()
    scores = score_period(_month(missing=["区商务局"], late=["区水务局"], behind=["区民政局"], red=["区民政局"]), rubric,
                          unanswered=["区财政局"])
    by_unit = {r.unit: r for r in scores.itertuples(index=False)}
    assert by_unit["区商务局"].score == 100 - rubric.missing_return
    assert by_unit["区水务局"].score == 100 - rubric.late_return and "逾期报送" in by_unit["区水务局"].reasons
    assert by_unit["区民政局"].score == 100 - rubric.task_behind - rubric.indicator_red
    assert "牵头任务2欠序时进度" in by_unit["区民政局"].reasons and "指标2-1红灯" in by_unit["区民政局"].reasons
    assert by_unit["区财政局"].notices == rubric.notice_unanswered


def test_problems_cost_points_up_to_the_cap():
    month = _month()
    month.returns.loc[0, "problem_count"] = 40
    rubric = ScoreSettings(problem=0.5, problem_cap=5)
    assert score_period(month, rubric).iloc[0]["quality"] == 5


def test_ranking_month_by_month_with_its_change():
    rubric = ScoreSettings()
    months = {
        "2025-04": score_period(_month(behind=["区财政局"]), rubric),
        "2025-05": score_period(_month(missing=["区民政局"]), rubric),
        "2025-06": score_period(_month(behind=["区水务局"], red=["区水务局"]), rubric),
        "2025-07": score_period(_month(), rubric),
    }
    april = rank_units(dict(list(months.items())[:1]))
    assert list(april["unit"])[-1] == "区财政局" and set(april["change"]) == {"新上榜"}
    may = rank_units(dict(list(months.items())[:2]))
    row = may.set_index("unit").loc["区民政局"]
    assert row["rank"] == 4 and row["previous_rank"] == 1 and row["change"] == "下降3位"
    assert may.set_index("unit").loc["区财政局", "change"] == "上升3位"
    june = rank_units(dict(list(months.items())[:3])).set_index("unit")
    assert june.loc["区水务局", "rank"] == 4 and june.loc["区水务局", "year_total"] == 300 - 4
    july = rank_units(months).set_index("unit")
    assert set(july["rank"]) == {1} and july.loc["区水务局", "change"] == "上升3位"  # all tied on 100
    assessment = year_assessment(months)
    assert list(assessment["unit"])[0] == "区商务局" and assessment.iloc[0]["year_average"] == 100
    assert assessment.set_index("unit").loc["区民政局", "reporting"] == rubric.missing_return


# ---------------------------------------------------------------- four months through the pipeline

def test_four_months_climb_the_ladder_and_a_unit_that_reports_steps_down_and_up_the_ranking(settings):
    import random
    from datetime import datetime

    from openpyxl import load_workbook

    from pyxl import pipeline
    from pyxl.common.period import Period
    from pyxl.demo.clerk import UnitScript, fill_unit_workbook
    from pyxl.workspace import Workspace

    pipeline.build_workbook(Workspace.load(settings), now=datetime(2025, 4, 1, 9))
    workspace = Workspace.load(settings)
    reporter = "区财政局"
    months = [Period(2025, m) for m in (4, 5, 6, 7)]
    judged = {}
    for period in months:
        if period.month == 7:  # in July 区财政局 sends its sheet in on time
            pipeline.split_sheets(workspace, period, units=[reporter])
            sheet = next(settings.distribution_dir(period).glob(f"*{reporter}*.xlsx"))
            targets = {t.target_key(i): x for t in workspace.duty.tasks for i, x in enumerate(t.targets)}
            filled = settings.inbox_dir / sheet.name
            settings.inbox_dir.mkdir(exist_ok=True)
            fill_unit_workbook(sheet, filled, UnitScript(filled_date="2025-08-01"), targets,
                               period.schedule_fraction(2025), random.Random(1), datetime(2025, 8, 1, 10))
            pipeline.collect_returns(workspace, period, [filled], now=datetime(2025, 8, 1, 11))
        judged[period.month] = pipeline.consolidate_period(workspace, period, as_of=period.next().first_day.replace(day=10)).data

    def missing(month: int, unit: str):
        rows = judged[month].escalation
        found = rows[(rows["unit"] == unit) & (rows["flag"] == "逾期未报")]
        return tuple(found.iloc[0][["step", "months_running", "first_period"]]) if len(found) else None

    assert missing(4, "区民政局") == ("提示", 1, "2025-04")
    assert missing(5, "区民政局") == ("督办", 2, "2025-04")
    assert missing(6, "区民政局") == ("约谈建议", 3, "2025-04")
    assert missing(7, "区民政局") == ("约谈建议", 4, "2025-04")
    assert missing(6, reporter) == ("约谈建议", 3, "2025-04") and missing(7, reporter) is None

    june = judged[6].ranking.set_index("unit")
    assert june.loc[reporter, "rank"] == june.loc["区民政局", "rank"] == 1  # both missed every month: tied
    july = judged[7].ranking.set_index("unit")
    assert july.loc[reporter, "rank"] == 1 and july.loc[reporter, "change"] == "持平"
    assert july.loc["区民政局", "rank"] == 2 and july.loc["区民政局", "change"] == "下降1位"
    assert july.loc["区民政局", "months"] == 4 and july.loc[reporter, "year_total"] > july.loc["区民政局", "year_total"]
    scores = judged[7].scores.set_index("unit")
    assert "未报送" in scores.loc["区民政局", "reasons"] and "未报送" not in scores.loc[reporter, "reasons"]

    book = load_workbook(settings.out_dir(months[-1]) / "汇总_2025-07.xlsx", read_only=True)
    assert {"督办升级", "考核得分", "得分排名"} <= set(book.sheetnames)

    # the July 督办单 of a unit missing four months running says so, at the ladder's top
    from docx import Document

    pipeline.write_report(workspace, months[-1], as_of=date(2025, 8, 10))
    notice = Document(str(settings.out_dir(months[-1]) / "督办单" / "区民政局.docx"))
    text = "\n".join([p.text for p in notice.paragraphs] + [c.text for t in notice.tables for r in t.rows for c in r.cells])
    assert "自2025年4月起连续4个月预警" in text and "约谈建议" in text
    # and the July 通报 lists the repeat cases in section 三, longest first
    bulletin = "\n".join(p.text for p in Document(str(settings.out_dir(months[-1]) / "督查通报_2025-07.docx")).paragraphs)
    assert "反复预警事项" in bulletin
    assert "区民政局：2025年7月推进情况报送，逾期未报，自2025年4月起连续4个月预警，督办级别为约谈建议。" in bulletin
    assert f"{reporter}：2025年7月推进情况报送，逾期未报" not in bulletin  # it reported in July
    # the ranking stays in the summary unless the office publishes it (accountability.publish_ranking)
    from pyxl.outputs.bulletin import Issuer, bulletin_context, document_context

    assert "考核得分前" not in bulletin
    published = Issuer.from_settings(settings.model_copy(update={"accountability": settings.accountability.model_copy(
        update={"publish_ranking": True})}))
    context = document_context(bulletin_context(judged[7], settings.district), judged[7], published)
    assert context["ranking_sentence"].startswith(f"本月考核得分前5名：{reporter}（")


def test_the_ranking_is_in_the_bulletin_only_when_the_office_publishes_it():
    from pyxl.outputs.bulletin import ranking_sentence

    rubric = ScoreSettings()
    units = [f"单位{i:02d}" for i in range(12)]
    scores = pd.DataFrame({"unit": units, "score": [100 - i for i in range(12)]})
    months = {"2025-06": scores.assign(**{c: 0.0 for c in ("reporting", "progress", "indicators", "quality", "notices")}, reasons="")}
    sentence = ranking_sentence(rank_units(months))
    assert sentence.startswith("本月考核得分前5名：单位00（100.0分）、单位01（99.0分）")
    assert "后5名：单位07（93.0分）" in sentence and sentence.endswith("单位11（89.0分）。")
    assert ranking_sentence(rank_units({})) == "" and rubric.base == 100


def test_a_damaged_earlier_summary_counts_as_a_month_not_judged(tmp_path):
    from pyxl.outputs.summary import read_issued

    (tmp_path / "汇总_2025-05.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    assert read_issued(tmp_path / "汇总_2025-05.xlsx") is None
    assert read_issued(tmp_path / "汇总_2025-04.xlsx") is None  # never consolidated
