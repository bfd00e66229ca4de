"""The office's own files: the duty document, the master workbook, a new workspace, the output folder."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from pyxl.common.config import CONFIG_NAME
from pyxl.common.errors import PyxlError
from pyxl.common.files import write_text_atomic
from pyxl.common.period import Period
from pyxl.common.problems import Problem
from pyxl.example import example_config
from pyxl.pipeline.result import StepResult
from pyxl.workspace import Workspace


def parse_document(workspace: Workspace, document: Path | None = None) -> StepResult:
    """Parse a duty document (default: the configured one, else the bundled example)."""
    duty = workspace.parse_document(document)
    units = {name for task in duty.tasks for name in (*task.lead_units, *task.responsible_units)}
    summary = [
        f"「{duty.title}」（{duty.year} 年）：{len(duty.sections)} 个部分、"
        f"{sum(len(s.subsections) for s in duty.sections)} 个小节、{len(duty.tasks)} 项任务、"
        f"{sum(len(t.targets) for t in duty.tasks)} 个量化指标、{sum(len(t.deadlines) for t in duty.tasks)} 个时限、"
        f"涉及 {len(units)} 个单位（含单位组）；发现问题 {len(duty.problems)} 个。"
    ]
    return StepResult(summary=summary, problems=list(duty.problems), data=duty)


def build_workbook(
    workspace: Workspace, document: Path | None = None, force: bool = False, reimport: bool = False, *, now: datetime
) -> StepResult:
    """Create workbook/Responsibilities.xlsm from a duty document.

    Refuses while Excel holds the workbook, and to replace it without `force`.
    With `force` the rows staff edited in 任务清单, 指标, 单位 and 设置 are
    carried over from the saved file; `reimport` takes 任务清单 and 指标 from
    the document again (单位 and 设置 stay). Units and aliases added to
    config.yaml since are merged into 单位. Either way the old file is backed
    up (named by `now`, passed in like all time) and replaced atomically.
    """
    from pyxl.document import parse
    from pyxl.master import build as workbook_build

    settings = workspace.config
    target = settings.workbook_path
    if target.parent.exists() and not target.parent.is_dir():
        raise PyxlError(f"{settings.relative(target.parent)} 是一个文件，不是文件夹：请改 config.yaml 的 paths.workbook，或移走这个文件。")
    # checked before parsing, so a refusal costs nothing; write_master checks again before writing
    workbook_build.check_replaceable(target, force, settings.relative(target))
    saved = workspace.saved
    summary: list[str] = []
    problems: list[Problem] = []
    if saved is not None and not reimport:
        content = workbook_build.MasterContent.carried_over(saved, settings)
        summary.append(f"已保留工作簿中的修改：任务 {len(content.tasks) - 1} 项、指标 {len(content.indicators) - 1} 个、"
                       f"单位 {len(content.units) - 1} 个。")
        if document is not None:
            summary.append(f"未重新导入 {document}：要按这个分工文件重新导入任务清单和指标（丢弃这两表中的修改），请加 --reimport。")
    else:
        # a re-import rewrites 任务清单 and 指标 only (as the ribbon's 导入分工文件 does): the
        # 单位 sheet's e-mails and aliases and the 设置 sheet stay, and names resolve through them
        directory = (workbook_build.MasterContent.carried_over(saved, settings).unit_directory(settings)
                     if saved is not None else settings.unit_directory())
        path = Path(document) if document is not None else settings.document_path
        duty = parse.parse_document(path, directory, settings.year)
        problems = list(duty.problems)
        if saved is not None:
            content = workbook_build.MasterContent.carried_over(saved, settings, table=duty, document=settings.relative(path))
        else:
            content = workbook_build.MasterContent.fresh(settings, duty, directory, document=settings.relative(path))
        summary.append(f"已导入「{duty.title}」：任务 {len(duty.tasks)} 项、指标 {sum(len(t.targets) for t in duty.tasks)} 个。")
        if saved is not None:
            summary.append("「单位」「设置」两表中的修改已保留。")
    summary += content.notes
    backup = workbook_build.write_master(target, content, now, force=force)
    summary.insert(0, f"已生成主控工作簿 {settings.relative(target)}。")
    if backup is not None:
        summary.append(f"原工作簿已备份为 {settings.relative(backup)}。")
    return StepResult(summary=summary, outputs=[target], problems=problems)


def excel_setup(workspace: Workspace, *, now: datetime) -> StepResult:
    """Write this machine's interpreter and PYTHONPATH into the workbook's xlwings.conf sheet.

    The workbook is rebuilt through the same path as `build_workbook --force`
    (never saved with openpyxl), keeping every edit the staff made.
    """
    from pyxl.master import build as workbook_build

    settings = workspace.config
    target = settings.workbook_path
    if workspace.saved is None:
        raise PyxlError(f"找不到主控工作簿 {settings.relative(target)}：请先运行 pyxl build-workbook。")
    workbook_build.check_not_open(target)
    saved = workspace.saved
    conf = workbook_build.machine_conf()
    content = workbook_build.MasterContent.carried_over(saved, settings, conf)
    backup = workbook_build.write_master(target, content, now, force=True)
    summary = [f"已把本机 Python 写入 {settings.relative(target)} 的 xlwings.conf 表："]
    summary += [f"  {key} = {value}" for key, value in conf.items()]
    if any(value.startswith("%") for value in conf.values()):
        summary.append("  （%…% 是本机用户或程序文件夹，在别的电脑上按同样方式安装的 Python 也能用；否则在那台电脑上再运行一次 pyxl excel-setup。）")
    expanded = {key: workbook_build.expand_portable(value, os.environ) for key, value in conf.items()}
    checked = [str(target), *(v for k, v in expanded.items() if k != "PYTHONPATH"), *expanded["PYTHONPATH"].split(";")]
    unsafe = {path: chars for path in checked if path and (chars := workbook_build.unsafe_path_chars(path))}
    summary += [f"注意：路径 {path} 中含有 {chars}，Excel 启动 Python 时会被命令提示符改写，按钮将无法运行："
                "请把文件夹改名（中文和空格没有问题）后再运行 pyxl excel-setup。" for path, chars in unsafe.items()]
    summary += content.notes
    summary.append(f"原工作簿已备份为 {settings.relative(backup)}。" if backup else "")
    return StepResult(summary=[line for line in summary if line], outputs=[target])


WORKSPACE_FOLDERS = ("inbox", "returns", "out", "workbook", "templates", "logs")


def init_workspace(folder: Path) -> StepResult:
    """Create a new workspace: the example config.yaml (with comments) and empty folders.

    The config names no duty document: nothing runs on the bundled example's
    tasks and units until the office has put its own document and units in.
    """
    folder = Path(folder)
    config = folder / CONFIG_NAME
    if folder.exists() and not folder.is_dir():
        raise PyxlError(f"{folder} 是一个文件，不是文件夹：新建工作目录请写一个新文件夹的名称，如 pyxl init 沁县督查。")
    if config.exists():
        raise PyxlError(f"{config} 已存在：新建工作目录请换一个空文件夹。")
    blocking = [name for name in WORKSPACE_FOLDERS if (folder / name).exists() and not (folder / name).is_dir()]
    if blocking:
        raise PyxlError(f"{folder} 中已有名为「{'、'.join(blocking)}」的文件：新建工作目录请换一个空文件夹。")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(config, example_config().read_text(encoding="utf-8"))
        made = [config]
        for name in WORKSPACE_FOLDERS:
            (folder / name).mkdir(exist_ok=True)
            made.append(folder / name)
    except OSError as error:
        raise PyxlError(f"无法在 {folder} 新建工作目录（{error.strerror or error}）：请换一个有写入权限的文件夹。") from None
    return StepResult(
        summary=[
            f"已新建工作目录 {folder}。接下来：",
            "  1. 把本区县的责任分工文件放进这个文件夹，在 config.yaml 的 paths.document 写上文件名；",
            "  2. 在 config.yaml 中改 district（区县名称）、year、office（称谓），把 units 换成本区县的单位名录和邮箱；",
            "  3. 运行 pyxl build-workbook，按提示补全单位名录后再运行 pyxl split。",
        ],
        outputs=made,
    )


def open_output_folder(workspace: Workspace, period: Period) -> StepResult:
    """The folder of the period's outputs (the ribbon opens it in Explorer)."""
    folder = workspace.settings.out_dir(period)
    folder.mkdir(parents=True, exist_ok=True)
    return StepResult(summary=[f"输出文件夹：{folder}"], outputs=[folder])
