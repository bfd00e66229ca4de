"""The Excel shell: what the ribbon buttons of Responsibilities.xlsm run.

Every button calls one VBA callback, which runs `dispatch(<button id>, <token>)`;
the button id is the name of a pyxl.pipeline function. When the step has run,
`dispatch` writes a small report file named by the token in %TEMP%: the VBA
(workbook/vba/Ribbon.bas) looks for it, and without it tells the clerk in
Chinese that Python did not start or died first, and why that is likely. `dispatch` wraps the
calling book in an adapter and hands it to `run_button`, where all the logic
lives: save the book (so the pipeline, which reads the saved file, sees the
staff's edits), run the step, write its tables back a whole block at a time,
and tell the clerk what happened in a message box. A PyxlError is shown as
it is; anything else is a bug, logged with its traceback, and the message
box says where the log is.

The rows and chart specifications written (period tables, the 仪表盘, the
per-unit sheets) are built in pyxl.master.live. This is the only module that
imports xlwings, and only inside the real adapter, so everything else (and
the tests, through pyxl.master.memory) runs without Excel.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence

from openpyxl.utils.cell import get_column_letter

from pyxl import pipeline
from pyxl.common.config import CONFIG_NAME, Settings, load_settings
from pyxl.common.errors import PyxlError
from pyxl.common.files import storage_error, workspace_lock
from pyxl.common.logs import log_exception
from pyxl.common.model import SHEET_NAMES, Consolidation
from pyxl.common.period import Period
from pyxl.master import live as excel_tables
from pyxl.master import rows as master
from pyxl.master.live import ChartSpec, cell_ranges, excel_values, problem_rows
from pyxl.workspace import Workspace

if TYPE_CHECKING:  # the button that needs them imports them through the pipeline
    from pyxl.distribution.split import SplitPlan
    from pyxl.mail.deliver import Delivery

TITLE = "督查督办"
LIGHT_COLORS = {"green": "#C6EFCE", "yellow": "#FFEB9C", "red": "#FFC7CE"}
MAX_PROBLEMS_SHOWN = 8
MAX_SUMMARY_LINES = 12

Rows = list[list[Any]]


class WorkbookAdapter(Protocol):
    """What a button may do to the live workbook: whole tables, never cell by cell."""

    folder: Path  # the folder the workbook is saved in

    def read_table(self, sheet: str) -> Rows:
        """All rows of a sheet from A1 (empty cells None); [] when there is no such sheet."""

    def write_table(self, sheet: str, rows: Rows) -> None:
        """Replace a sheet's values with `rows` from A1, adding the sheet when missing."""

    def mark_cells(self, sheet: str, cells: Sequence[str], color: str) -> None:
        """Fill these cells (A1 names) with a colour (#RRGGBB)."""

    def set_charts(self, sheet: str, charts: Sequence[ChartSpec]) -> None:
        """Replace the sheet's charts with these native charts over its own cells."""

    def status(self, text: str | None) -> None:
        """Show text in the status bar; None gives the bar back to Excel."""

    def alert(self, message: str, title: str = TITLE) -> None:
        """A message box with an OK button."""

    def confirm(self, message: str, title: str = TITLE) -> bool:
        """A yes/no message box; True for yes."""

    def save(self) -> None:
        """Save the workbook to its file."""

    def open_folder(self, folder: Path) -> None:
        """Show a folder to the user (Explorer on Windows)."""


# ---------------------------------------------------------------- the core


def find_config(folder: Path) -> Path:
    """config.yaml of the workspace: beside the workbook or in a folder above it (workbook/ is one level down)."""
    for candidate in [folder, *list(Path(folder).parents)[:2]]:
        if (candidate / CONFIG_NAME).exists():
            return candidate / CONFIG_NAME
    raise PyxlError(
        f"找不到配置文件 {CONFIG_NAME}：主控工作簿应放在工作目录的 workbook 文件夹中，"
        f"工作目录里要有 {CONFIG_NAME}（可用 pyxl init 新建）。现在工作簿在 {folder}。"
    )


def current_period(workspace: Workspace) -> Period:
    """The period the buttons work on: 当前期次 of the 设置 sheet; none set, or config.yaml edited instead, stops the step."""
    if not workspace.settings.period.current:
        raise PyxlError("没有设置当前期次：请在「设置」表的「当前期次」填写期次（如 2025-06），保存后再点按钮。")
    return workspace.period()


def _cell(row: int, column: int) -> str:
    return f"{get_column_letter(column + 1)}{row}"  # column is 0-based


def write_consolidation(book: WorkbookAdapter, consolidation: Consolidation) -> None:
    """The period's tables into their sheets (model.SHEET_NAMES), the lights coloured, and the 仪表盘 with its charts."""
    for sheet, rows in excel_tables.consolidation_rows(consolidation).items():
        book.write_table(sheet, rows)
    frame = consolidation.indicators
    if "light" in frame.columns and len(frame):
        column = list(frame.columns).index("light")
        for light, color in LIGHT_COLORS.items():
            cells = [_cell(i + 2, column) for i, value in enumerate(frame["light"]) if value == light]
            if cells:
                book.mark_cells(SHEET_NAMES["indicators"], cells, color)
    rows, charts = excel_tables.dashboard_block(consolidation)
    book.write_table(excel_tables.DASHBOARD_SHEET, rows)
    book.set_charts(excel_tables.DASHBOARD_SHEET, charts)


def _message(result: pipeline.StepResult, settings: Settings) -> str:
    lines = list(result.summary)
    if len(lines) > MAX_SUMMARY_LINES:  # a message box taller than the screen hides its OK button
        lines = lines[:MAX_SUMMARY_LINES] + [f"……共 {len(result.summary)} 行，其余从略。"]
    if result.problems:
        errors = sum(p.is_error for p in result.problems)
        lines.append(f"发现问题 {len(result.problems)} 个（错误 {errors} 个），详见「{SHEET_NAMES['problems']}」表：")
        lines += [f"· {p.where()}：{p.message}" for p in result.problems[:MAX_PROBLEMS_SHOWN]]
        if len(result.problems) > MAX_PROBLEMS_SHOWN:
            lines.append(f"……其余 {len(result.problems) - MAX_PROBLEMS_SHOWN} 个见「{SHEET_NAMES['problems']}」表。")
    return "\n".join(lines) or "完成。"


def _parse_document(book: WorkbookAdapter, workspace: Workspace, period: Callable[[], Period], now: datetime):
    result = pipeline.parse_document(workspace)
    existing = master.MasterData({master.SHEET_TASKS: book.read_table(master.SHEET_TASKS)})
    if len(existing.rows(master.SHEET_TASKS)) > 1 and not book.confirm(
        f"导入会用分工文件重新填写「{master.SHEET_TASKS}」和「{master.SHEET_INDICATORS}」两张表，"
        "表中已做的修改将被覆盖（保存过的旧文件不受影响）。确定导入吗？"
    ):
        return pipeline.StepResult(summary=["已取消导入，工作簿未改动。"])
    book.write_table(master.SHEET_TASKS, master.task_rows(result.data))
    book.write_table(master.SHEET_INDICATORS, master.indicator_rows(result.data))
    # 设置 says what the tasks were imported from (区县, 分工文件, 计划年度, 标题): the guard before splitting reads it
    settings = workspace.config
    fresh = {row[0]: row[1] for row in master.setting_rows(settings, result.data, settings.relative(settings.document_path))[1:]}
    rows = book.read_table(master.SHEET_SETTINGS) or [list(master.SETTING_HEADERS)]
    labels = [master.cell_str(row[0]) if row else "" for row in rows]
    for label in ("区县", "分工文件", "计划年度", "分工文件标题"):
        if label in labels:
            rows[labels.index(label)] = [label, fresh[label], *rows[labels.index(label)][2:]]
        else:
            rows.append([label, fresh[label], master.SETTING_ROWS[label][1]])
    book.write_table(master.SHEET_SETTINGS, rows)
    return result


def _names(units: Sequence[str], most: int = 5) -> str:
    """Units for a message box: the first few by name, then how many in all."""
    return "、".join(units[:most]) + (f"等 {len(units)} 个" if len(units) > most else "")


def _left_out(preview: Delivery) -> list[str]:
    """The units a send leaves out, named: no address, sent before, wrong attachment."""
    lines = []
    if preview.no_address:
        lines.append(f"没有邮箱、不会发送 {len(preview.no_address)} 个单位：{_names(preview.no_address)}（请在「单位」表填写邮箱）。")
    if preview.already:
        lines.append(f"此前已发送、不再发送 {len(preview.already)} 个单位：{_names(preview.already)}。")
    if preview.bad_attachment:
        lines.append(f"附件有误、不会发送 {len(preview.bad_attachment)} 个单位：{_names(preview.bad_attachment)}（请重新生成分单位表）。")
    return lines


def send_question(chosen: Period, preview: Delivery) -> str:
    """The question before a real send, with the counts the dry run planned."""
    planned = preview.planned
    return "\n".join([
        f"已生成{chosen.label}的邮件草稿（.eml，可在输出文件夹的 outbox 中打开预览）。",
        f"将向 {len(planned)} 个单位发送 {len(planned)} 封邮件（收件地址 {sum(map(len, planned.values()))} 个），"
        "每个单位只收到本单位的填报表。",
        *_left_out(preview),
        "现在发送吗？选「否」只保留草稿，不发送。",
    ])


def _send(book: WorkbookAdapter, workspace: Workspace, period: Callable[[], Period], now: datetime):
    """Dry run first (the drafts are the preview), then ask with its counts, and send only on yes."""
    chosen = period()

    def progress(verb: str) -> Callable[[int, int, str], None]:
        return lambda done, total, text: book.status(f"{TITLE}：正在{verb} {done}/{total} {text}")

    preview = pipeline.send_sheets(workspace, chosen, now=now, dry_run=True, progress=progress("生成草稿"))
    delivery = preview.data
    if not delivery.planned:
        return pipeline.StepResult(summary=["没有需要发送的邮件。", *_left_out(delivery), preview.summary[0]], outputs=preview.outputs)
    if not book.confirm(send_question(chosen, delivery)):
        return pipeline.StepResult(summary=["已取消发送，只生成了邮件草稿：", *preview.summary], outputs=preview.outputs)
    return pipeline.send_sheets(workspace, chosen, now=now, dry_run=False, progress=progress("发送"))


def _split(book: WorkbookAdapter, workspace: Workspace, period: Callable[[], Period], now: datetime):
    """The unit workbooks; with split.master_sheets, one sheet per unit in the live master too."""
    chosen = period()
    result = pipeline.split_sheets(workspace, chosen)
    if workspace.settings.split.master_sheets:
        result.summary.append(write_unit_sheets(book, result.data, workspace.settings.distribution_dir(chosen)))
    return result


def write_unit_sheets(book: WorkbookAdapter, plan: SplitPlan, folder: Path) -> str:
    """One sheet per unit of the split plan, whole rows per sheet; the line for the message box."""
    written, skipped = 0, []
    for unit, name, rows in excel_tables.unit_sheets(plan, folder):
        if rows is None:
            skipped.append(unit)
            continue
        book.status(f"{TITLE}：正在写入单位表 {written + 1}/{len(plan.rows)} {unit}")
        book.write_table(name, rows)
        written += 1
    line = f"已在主控工作簿中写入 {written} 张单位表（每个单位一张，表名即单位名）。"
    if skipped:
        line += f"未写入：{_names(skipped)}（表名与主控工作簿自带的表重名，或填报表未生成）。"
    return line


def _confirm(book: WorkbookAdapter, workspace: Workspace, period: Callable[[], Period], now: datetime):
    """List the 待确认 returns; confirm them all once the clerk says yes (after checking with the units)."""
    chosen = period()
    listed = pipeline.confirm_returns(workspace, chosen)
    waiting = sorted({entry.unit for entry in listed.data if entry.unit})
    if not waiting:
        return listed
    question = "\n".join([*listed.summary[:1], "", "已向这些单位核实是本单位报送的吗？选择「是」确认全部，它们即计入汇总；选择「否」不作改动。"])
    if not book.confirm(question):
        return pipeline.StepResult(summary=["已取消，待确认的报表未改动。"])
    return pipeline.confirm_returns(workspace, chosen, waiting)


def _send_back(book: WorkbookAdapter, workspace: Workspace, period: Callable[[], Period], now: datetime):
    """The rows of the 退回重报 sheet not yet done: drafts first, then ask, send on yes, and write each row's outcome."""
    chosen = period()
    rows = book.read_table(master.SHEET_SEND_BACK)
    requests = master.send_back_requests(rows) if rows else []
    if not requests:
        if not rows:
            book.write_table(master.SHEET_SEND_BACK, master.send_back_rows())
        return pipeline.StepResult(summary=[
            f"「{master.SHEET_SEND_BACK}」表中没有待处理的行：请每行填写一个要退回的单位和退回意见"
            "（「附上校验问题」填“否”则只写退回意见，不列校验发现的问题），保存后再点「退回重报」。"])

    def progress(verb: str) -> Callable[[int, int, str], None]:
        return lambda done, total, text: book.status(f"{TITLE}：正在{verb} {done}/{total} {text}")

    preview = pipeline.send_back_returns(workspace, chosen, requests, now=now, dry_run=True, progress=progress("生成草稿"))
    delivery, outcome = preview.data
    if delivery is None or not delivery.planned:
        book.write_table(master.SHEET_SEND_BACK, master.send_back_result_rows(rows, outcome))
        return pipeline.StepResult(summary=["没有需要发送的退回邮件。", *(_left_out(delivery) if delivery else []), *preview.summary],
                                   outputs=preview.outputs)
    question = "\n".join([
        "已生成退回重报邮件草稿（.eml，在输出文件夹的 outbox 中），附上各单位已填好原内容的填报表。",
        f"将退回 {len(delivery.planned)} 个单位的报表：{_names(list(delivery.planned))}。退回后在其重新报送前按「报表被退回」统计。",
        *_left_out(delivery),
        "现在发送吗？选「否」只保留草稿，不发送、不记为退回。",
    ])
    if not book.confirm(question):
        return pipeline.StepResult(summary=["已取消退回，只生成了邮件草稿：", *preview.summary], outputs=preview.outputs)
    result = pipeline.send_back_returns(workspace, chosen, requests, now=now, dry_run=False, progress=progress("发送"))
    book.write_table(master.SHEET_SEND_BACK, master.send_back_result_rows(rows, result.data[1]))
    return result


def _open_folder(book: WorkbookAdapter, workspace: Workspace, period: Callable[[], Period], now: datetime):
    result = pipeline.open_output_folder(workspace, period())
    book.open_folder(result.outputs[0])
    return result


def _decide(book: WorkbookAdapter, workspace: Workspace, period: Callable[[], Period], now: datetime):
    """Requests of the returns into 申请审批 (the staff decide in the sheet itself; the book was saved first)."""
    result = pipeline.decide_requests(workspace, period(), now=now, write=False)
    book.write_table(master.SHEET_REQUESTS, result.data)
    return result


def _close(book: WorkbookAdapter, workspace: Workspace, period: Callable[[], Period], now: datetime):
    """Tasks waiting for 销号 into the 销号 sheet (the staff fill in the date there)."""
    result = pipeline.close_tasks(workspace, period(), as_of=now.date(), now=now, write=False)
    book.write_table(master.SHEET_CLOSURES, result.data)
    return result


# button id → what it runs: (book, workspace, period, now) → StepResult
STEPS: dict[str, Callable[..., pipeline.StepResult]] = {
    "parse_document": _parse_document,
    "split_sheets": _split,
    "send_sheets": _send,
    "collect_returns": lambda book, workspace, period, now: pipeline.collect_returns(
        workspace, period(), None, now=now, progress=lambda done, total, text: book.status(f"{TITLE}：{done}/{total} {text}")),
    "confirm_returns": _confirm,
    "send_back_returns": _send_back,
    "decide_requests": _decide,
    "consolidate_period": lambda book, workspace, period, now: pipeline.consolidate_period(workspace, period(), as_of=now.date()),
    "close_tasks": _close,
    "write_report": lambda book, workspace, period, now: pipeline.write_report(workspace, period(), as_of=now.date()),
    "open_output_folder": _open_folder,
}

# Steps that check files: their problems (or none) replace the 问题 sheet.
PROBLEM_STEPS = {"parse_document", "split_sheets", "collect_returns"}


def run_button(book: WorkbookAdapter, button_id: str, now: datetime) -> pipeline.StepResult | None:
    """Run one ribbon button against a workbook; every outcome ends in one message box.

    Returns the step's result, or None when it could not run (the message
    box has said why).
    """
    log_folder = book.folder / "logs"
    try:
        step = STEPS.get(button_id)
        if step is None:
            raise PyxlError(f"按钮「{button_id}」没有对应的功能：请用 pyxl build-workbook --force 重新生成主控工作簿。")
        book.status(f"{TITLE}：正在运行……")
        settings = load_settings(find_config(book.folder))
        log_folder = settings.logs_dir
        with workspace_lock(settings.root):  # never beside a CLI command on the same workspace
            book.save()  # the workspace reads the saved file: staff edits must be in it
            workspace = Workspace.load(settings)
            result = step(book, workspace, lambda: current_period(workspace), now)
            if isinstance(result.data, Consolidation):
                write_consolidation(book, result.data)
            elif button_id in PROBLEM_STEPS:
                book.write_table(SHEET_NAMES["problems"], problem_rows(result.problems))
            book.save()
        book.alert(_message(result, workspace.settings))
        return result
    except PyxlError as error:
        book.alert(str(error))
    except OSError as error:
        named = storage_error(error)
        if named is None:
            log_path = log_exception(log_folder, f"ribbon button {button_id}")
            book.alert(f"程序内部错误，详情已记入日志 {log_path}，请把该文件发给维护人员。")
        else:
            book.alert(str(named))
    except Exception:  # a bug: the traceback for the maintainer, a sentence for the clerk
        log_path = log_exception(log_folder, f"ribbon button {button_id}")
        book.alert(f"程序内部错误，详情已记入日志 {log_path}，请把该文件发给维护人员。")
    finally:
        book.status(None)
    return None


# ---------------------------------------------------------------- real Excel


def _rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


_CHART_TYPES = {"pie": "pie", "bar_stacked": "bar_stacked", "column": "column_clustered"}


class XlwingsBook:
    """The adapter over a live xlwings Book: one COM call per table."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.folder = Path(book.fullname).parent

    def _sheet(self, name: str) -> Any | None:
        return next((sheet for sheet in self.book.sheets if sheet.name == name), None)

    def read_table(self, sheet: str) -> Rows:
        found = self._sheet(sheet)
        if found is None:
            return []
        last = found.used_range.last_cell
        # a value typed far outside the table would make this one read a grid out to it (XFD1048576: 17 billion cells)
        refused = master.far_cell_refusal(self.book.name, sheet, last.row, last.column)
        if refused is not None:
            raise refused
        return found.range((1, 1), (last.row, last.column)).options(ndim=2).value or []

    def write_table(self, sheet: str, rows: Rows) -> None:
        found = self._sheet(sheet)
        if found is None:
            found = self.book.sheets.add(sheet, after=self.book.sheets[len(self.book.sheets) - 1])
        found.clear_contents()  # keeps the sheet's formats (widths, wrap, frozen header)
        found.used_range.color = None  # but not the fills of the last marks
        width = max((len(row) for row in rows), default=0)
        if width:
            # text as text: a formula-like string from a return must never become a formula
            found.range("A1").value = excel_values([list(row) + [None] * (width - len(row)) for row in rows])

    def mark_cells(self, sheet: str, cells: Sequence[str], color: str) -> None:
        found = self._sheet(sheet)
        if found is None:
            return
        for address in cell_ranges(cells):  # runs of rows as ranges, each address within Excel's 255 characters
            found.range(address).color = _rgb(color)

    def set_charts(self, sheet: str, charts: Sequence[ChartSpec]) -> None:
        found = self._sheet(sheet)
        if found is None:
            return
        for chart in reversed(list(found.charts)):  # from the last: indices shift on delete
            chart.delete()
        for spec in charts:
            chart = found.charts.add(
                anchor=found.range(spec.anchor), width=spec.width, height=spec.height,
                chart_type=_CHART_TYPES[spec.kind], source=found.range(spec.source), plot_by="columns",
            )
            chart.set_x_axis_values(found.range(spec.categories))
            chart.title = spec.title
            if spec.kind == "bar_stacked":
                # bars draw the first row at the bottom: reverse so the top row is on top, value axis kept below
                chart.category_axis.set(reverse_order=True, crosses="maximum")
            chart.legend.position = "right" if spec.kind == "pie" else "bottom"

    def status(self, text: str | None) -> None:
        self.book.app.status_bar = text if text else False

    def alert(self, message: str, title: str = TITLE) -> None:
        self.book.app.alert(message, title=title)

    def confirm(self, message: str, title: str = TITLE) -> bool:
        return self.book.app.alert(message, title=title, buttons="yes_no") == "yes"

    def save(self) -> None:
        self.book.save()

    def open_folder(self, folder: Path) -> None:
        if sys.platform == "win32":
            os.startfile(folder)  # type: ignore[attr-defined]  # noqa: S606
        else:
            subprocess.Popen(["open" if sys.platform == "darwin" else "xdg-open", str(folder)])  # noqa: S603


REPORT_PREFIX = "pyxl-ribbon-"  # workbook/vba/Ribbon.bas looks for %TEMP%\pyxl-ribbon-<token>.txt


def report_path(token: str, environ: dict[str, str] | None = None) -> Path:
    """Where `dispatch` reports back to the VBA: %TEMP%, as the VBA expands it, then Python's temp folder."""
    if not re.fullmatch(r"[A-Za-z0-9]{1,40}", token):
        raise ValueError(f"a report token is ASCII letters and digits: {token!r}")
    environ = os.environ if environ is None else environ
    return Path(environ.get("TEMP") or tempfile.gettempdir()) / f"{REPORT_PREFIX}{token}.txt"


def dispatch(button_id: str, token: str = "") -> None:
    """Entry point of the VBA callback: run one button against the calling workbook.

    With a token (Windows), report back once the step has run, so the VBA knows
    Python started and pyxl was there; the step's own outcome has been shown in
    a message box by then.
    """
    import xlwings as xw

    result = run_button(XlwingsBook(xw.Book.caller()), button_id, now=datetime.now())
    if token:
        report_path(token).write_text("done\n" if result is not None else "stopped\n", encoding="utf-8")
