"""The 督查通报, the 督办单 with their 回执, and the 任务历程 pages, from the period's current judgement."""

from __future__ import annotations

from datetime import date

from pyxl.common.period import Period
from pyxl.pipeline.judge import _judged_period
from pyxl.pipeline.result import StepResult
from pyxl.workspace import Workspace


def write_report(workspace: Workspace, period: Period, as_of: date) -> StepResult:
    """Write the bulletin (督查通报, DOCX and HTML) and the per-unit 督办单.

    Takes the period's judgement from the last `consolidate` when nothing it
    was made from has changed since, else consolidates afresh (writing
    汇总_<period>.xlsx), so the bulletin always shows the tables of the summary
    beside it (pipeline.judge._judged_period). Then writes
    out/<period>/督查通报_<period>.docx/.html and out/<period>/督办单/<unit>.docx
    for every unit the rule selects, each with its
    回执 (<unit>_回执.xlsx) and the list of those issued; the reply-by date is
    period.reply_working_days working days after `as_of`. Then the 任务历程
    pages (out/<period>/任务历程/).
    """
    # Imported here: docxtpl and matplotlib are only loaded by the steps that draw.
    from pyxl.outputs import history_pages, report  # noqa: F401 (loaded before the freeze below)
    from pyxl.common.collector import older_objects_frozen

    consolidated = _judged_period(workspace, period, as_of)
    # the modules and the judgement outlive the report: the cycle collector need not walk them again and again
    with older_objects_frozen():
        return _write_report(workspace, period, as_of, consolidated)


def _write_report(workspace: Workspace, period: Period, as_of: date, consolidated) -> StepResult:
    from pyxl.distribution import layout
    from pyxl.outputs import history_pages
    from pyxl.outputs.bulletin import Issuer
    from pyxl.outputs.counting import category_counts, format_date
    from pyxl.outputs.notices import NOTICE_FOLDER, reply_by_date
    from pyxl.outputs.render import ReportTemplates
    from pyxl.outputs.report import write_bulletin

    settings = workspace.settings
    consolidation = consolidated.data
    templates = ReportTemplates(
        bulletin_docx=settings.template_path("report/bulletin.docx"),
        bulletin_html=settings.template_path("report/bulletin.html.j2"),
        notice_docx=settings.template_path("report/notice.docx"),
    )
    reply_by = reply_by_date(as_of, settings.period.reply_working_days, settings.period.calendar)
    written = write_bulletin(consolidation, settings.out_dir(period), templates, Issuer.from_settings(settings),
                             reply_by, reply_key=layout.workspace_key(settings.root, create=True))
    notices = [path for path in written if path.parent.name == NOTICE_FOLDER and path.suffix == ".docx"]
    pages = history_pages.write_history_pages(consolidation, settings.out_dir(period),
                                                settings.template_path("report/task_history.html.j2"))
    counts = category_counts(consolidation.tasks)
    headline = "，".join(f"{row.category}{row.count}项" for row in counts.itertuples(index=False) if row.count)
    summary = [
        *consolidated.summary,
        f"已生成{period.label}督查通报：重点任务{len(consolidation.tasks)}项（{headline or '无任务'}）。",
        f"督办单{len(notices)}份（{'、'.join(p.stem for p in notices[:10])}{'等' if len(notices) > 10 else ''}），"
        f"请于{format_date(reply_by)}前回复（各附《督办单回执》，单位填写后报回，收取时自动登记）。"
        if notices
        else "本期没有红色预警，未生成督办单。",
        f"任务历程：{settings.relative(pages[0])}（每项任务一页，逐月对照）。",
    ]
    return StepResult(
        summary=summary,
        outputs=[*consolidated.outputs, *written, *pages],
        problems=consolidated.problems,
        attention=consolidated.attention,
        data=consolidation,
    )
