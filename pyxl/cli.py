"""The command line: `pyxl <command>`, a thin shell over pyxl.pipeline.

Each command loads the settings, calls one pipeline function and prints its
result. Errors are turned into messages in one place (`main`): a PyxlError is
one Chinese line and exit 2; anything else is a bug, logged with its
traceback, and the user is told where the log is.

Exit codes a monthly script can trust: 0 done, 1 done with problems or flags
(reported), 2 could not run.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import json
import os
import re
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Sequence

from pyxl import __version__, pipeline
from pyxl.common.config import CONFIG_NAME, Settings, load_settings
from pyxl.common.errors import PyxlError
from pyxl.common.files import storage_error, workspace_lock, write_text_atomic
from pyxl.common.logs import log_exception
from pyxl.common.period import Period
from pyxl.common.problems import problems_to_csv
from pyxl.workspace import Workspace

EXIT_OK, EXIT_PROBLEMS, EXIT_FAILED = 0, 1, 2
# Commands of the month run with the master's 设置 sheet over config.yaml, as the ribbon does.


# argparse's own English messages (Python 3.10–3.13), as the clerk should read them
_ARGPARSE_MESSAGES: tuple[tuple[str, str], ...] = (
    (r"^argument (?P<arg>.+?): (?P<rest>.*)$", "参数 {arg}：{rest}"),
    (r"^the following arguments are required: (?P<args>.*)$", "缺少参数：{args}"),
    (r"^unrecognized arguments: (?P<args>.*)$", "无法识别的参数：{args}"),
    (r"^invalid choice: '?(?P<value>.*?)'? \(choose from (?P<choices>.*)\)$", "「{value}」不是可用的选项（可选：{choices}）"),
    (r"^invalid (?P<type>\S+) value: '?(?P<value>.*?)'?$", "「{value}」的写法不对"),
    (r"^expected one argument$", "后面要写一个值"),
    (r"^expected at most one argument$", "后面最多写一个值"),
    (r"^expected at least one argument$", "后面至少要写一个值"),
    (r"^expected (?P<n>\d+) arguments?$", "后面要写 {n} 个值"),
    (r"^not allowed with argument (?P<arg>.*)$", "不能与 {arg} 同时使用"),
    (r"^ambiguous option: (?P<option>\S+) could match (?P<matches>.*)$", "{option} 有歧义，可能是 {matches}"),
    (r"^one of the arguments (?P<args>.*) is required$", "须在 {args} 中选一个"),
    (r"^ignored explicit argument '?(?P<value>.*?)'?$", "多余的值「{value}」"),
)


def chinese_argparse_message(message: str) -> str:
    """An argparse error message in Chinese (`argument --period: invalid choice …` → `参数 --period：…`)."""
    for pattern, words in _ARGPARSE_MESSAGES:
        found = re.match(pattern, message)
        if found:
            parts = {key: chinese_argparse_message(value) if key == "rest" else value.replace("', '", "、").strip("'")
                     for key, value in found.groupdict().items()}
            return words.format(**parts)
    return message


class _Formatter(argparse.HelpFormatter):
    """Help in Chinese: 用法 instead of usage."""

    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[override]
        super().add_usage(usage, actions, groups, prefix="用法：" if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """The command line speaks Chinese: help, usage and errors; an error is one clear line and exit 2."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出")

    def error(self, message: str) -> None:  # type: ignore[override]
        command = " ".join(self.prog.split()[1:2])  # "pyxl parse" → parse; the main parser has none
        usage = f"pyxl {command} --help" if command else "pyxl --help"
        self.exit(EXIT_FAILED, f"pyxl: 参数错误：{chinese_argparse_message(message)}（{usage} 查看用法）\n")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期「{text}」格式不对，请写成 2025-07-05") from None


def _moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"时间「{text}」格式不对，请写成 2025-07-05 或 \"2025-07-05 16:30\"") from None


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except PyxlError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _terminal_progress(done: int, total: int, text: str) -> None:
    print(f"[{done}/{total}] {text}", file=sys.stderr, flush=True)


def _resolve_period(workspace: Workspace, given: Period | None) -> Period:
    """--period, else the master's 当前期次 (config.yaml's before the master exists); one within the plan year."""
    return workspace.period(given)


def _as_of(args: argparse.Namespace, period: Period) -> date:
    """Default 'as of' date: today, but no later than the end of the month after the period.

    The clock is read only here, in the shell. A bulletin for June is written
    in July; re-running June a year later must not find every deadline of the
    plan year passed, so the default stops at the end of July. A date given
    before the period has even ended is a slip (the month of the period typed
    for the month after): refused.
    """
    if args.as_of is not None and args.as_of < period.last_day:
        raise PyxlError(
            f"--as-of {args.as_of.isoformat()} 早于期次 {period} 的最后一天 {period.last_day.isoformat()}：统计截至日期应在期次结束之后"
            f"（如 {period.due_date(5).isoformat()}），请改正或不写 --as-of。"
        )
    return args.as_of or min(date.today(), period.next().last_day)


# ---------------------------------------------------------------- commands
# Each takes (workspace, args) and returns a StepResult: the workspace is loaded once per command.


def cmd_parse(workspace: Workspace, args: argparse.Namespace) -> pipeline.StepResult:
    return pipeline.parse_document(workspace, args.document)


def cmd_build_workbook(workspace: Workspace, args: argparse.Namespace) -> pipeline.StepResult:
    return pipeline.build_workbook(workspace, args.document, force=args.force, reimport=args.reimport, now=datetime.now())


def cmd_excel_setup(workspace: Workspace, args: argparse.Namespace) -> pipeline.StepResult:
    return pipeline.excel_setup(workspace, now=datetime.now())


def cmd_split(workspace: Workspace, args: argparse.Namespace) -> pipeline.StepResult:
    return pipeline.split_sheets(workspace, _resolve_period(workspace, args.period), units=args.unit or None)


def cmd_send(workspace: Workspace, args: argparse.Namespace) -> pipeline.StepResult:
    return pipeline.send_sheets(
        workspace,
        _resolve_period(workspace, args.period),
        now=datetime.now(),
        dry_run=args.dry_run,
        units=args.unit or None,
        resend=args.resend,
        progress=_terminal_progress,
    )


def cmd_remind(workspace: Workspace, args: argparse.Namespace) -> pipeline.StepResult:
    period = _resolve_period(workspace, args.period)
    return pipeline.send_reminders(
        workspace, period, as_of=_as_of(args, period), now=datetime.now(), dry_run=args.dry_run,
        progress=_terminal_progress,
    )


def cmd_collect(workspace: Workspace, args: argparse.Namespace) -> pipeline.StepResult:
    return pipeline.collect_returns(workspace, _resolve_period(workspace, args.period), args.paths or None,
                                    now=datetime.now(), progress=_terminal_progress, received_at=args.received)


def cmd_confirm(workspace: Workspace, args: argparse.Namespace) -> pipeline.StepResult:
    return pipeline.confirm_returns(workspace, _resolve_period(workspace, args.period), args.unit)


def cmd_send_back(workspace: Workspace, args: argparse.Namespace) -> pipeline.StepResult:
    from pyxl.master.rows import SendBackRequest

    if args.note and not args.unit:
        raise PyxlError("--note 须与 --unit 一起使用，写明退回哪个单位的报表。")
    requests = [SendBackRequest(unit, args.note or "", not args.note_only) for unit in args.unit] if args.unit else None
    return pipeline.send_back_returns(workspace, _resolve_period(workspace, args.period), requests, now=datetime.now(),
                                      dry_run=args.dry_run, progress=_terminal_progress)


def cmd_decide(workspace: Workspace, args: argparse.Namespace) -> pipeline.StepResult:
    if (args.approve or args.refuse or args.adjust) and not args.task:
        raise PyxlError("审批或调整须用 --task 写明任务序号，如 pyxl decide --task 12 --approve。")
    result = "同意" if args.approve else "不同意" if args.refuse else None
    return pipeline.decide_requests(
        workspace, _resolve_period(workspace, args.period), now=datetime.now(), task=args.task, unit=args.unit,
        result=result, new_deadline=args.deadline, decided=args.date, note=args.note or "", adjust=args.adjust)


def cmd_close(workspace: Workspace, args: argparse.Namespace) -> pipeline.StepResult:
    period = _resolve_period(workspace, args.period)
    return pipeline.close_tasks(workspace, period, as_of=_as_of(args, period), now=datetime.now(), task=args.task,
                                day=args.date, note=args.note or "", undo=args.undo)


def cmd_consolidate(workspace: Workspace, args: argparse.Namespace) -> pipeline.StepResult:
    period = _resolve_period(workspace, args.period)
    return pipeline.consolidate_period(workspace, period, as_of=_as_of(args, period))


def cmd_report(workspace: Workspace, args: argparse.Namespace) -> pipeline.StepResult:
    period = _resolve_period(workspace, args.period)
    return pipeline.write_report(workspace, period, as_of=_as_of(args, period))


def cmd_month(workspace: Workspace, args: argparse.Namespace) -> pipeline.StepResult:
    if args.period and args.period_positional and args.period != args.period_positional:
        raise PyxlError(f"期次写了两个（{args.period_positional} 和 --period {args.period}）：请只写 --period。")
    period = _resolve_period(workspace, args.period or args.period_positional)
    return pipeline.run_month(workspace, period, as_of=_as_of(args, period), now=datetime.now(), dry_run=args.dry_run,
                              received_at=args.received)


def _add_received(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--received", type=_moment, metavar="时间",
                        help="收件箱中散放的文件实际收到的日期（或时间），如 2025-07-05：不是邮件的文件没有到达时间的记录，"
                             "不写则按文件的修改时间（不可信时按收取时间）；邮件里的按邮件记录的时间")


def _add_period(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--period", type=_period, metavar="期次",
        help="期次，如 2025-06（默认：主控工作簿「设置」表的当前期次；尚未生成主控工作簿时为 config.yaml 的 period.current）",
    )


def _add_as_of(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", type=_date, metavar="日期", help="统计截至日期，如 2025-07-10（默认：今天，但不晚于期次的下一个月月底）")


def build_parser() -> argparse.ArgumentParser:
    """The `pyxl` argument parser: one sub-command per pipeline step, plus init and demo."""
    parser = _Parser(prog="pyxl", description="政府工作报告重点工作督查督办：分工、分发、回收、汇总、预警、通报。")
    parser.add_argument("--version", action="version", version=f"pyxl {__version__}", help="显示版本号并退出")
    parser.add_argument("--config", type=Path, default=Path(CONFIG_NAME), metavar="配置文件", help="配置文件（默认 ./config.yaml）")
    commands = parser.add_subparsers(dest="command", metavar="<命令>", parser_class=_Parser, title="命令")

    def command(name: str, handler: Callable, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        # also accepted after the command (pyxl parse --config x.yaml); SUPPRESS keeps the main default
        sub.add_argument("--config", type=Path, default=argparse.SUPPRESS, metavar="配置文件", help="配置文件（默认 ./config.yaml）")
        return sub

    sub = commands.add_parser("init", help="新建工作目录（config.yaml 与空文件夹）", description="新建工作目录")
    sub.add_argument("dir", type=Path, metavar="目录", help="新工作目录")
    sub.set_defaults(handler=None, needs_settings=False)

    sub = command("parse", cmd_parse, "解析责任分工文件，输出分工表摘要")
    sub.add_argument("document", nargs="?", type=Path, metavar="分工文件", help="分工文件（Word/WPS、PDF、Excel/WPS 表格、网页或文本；默认：config.yaml 的 paths.document）")
    sub.add_argument("--json", action="store_true", help="以 JSON 输出完整分工表")

    sub = command("build-workbook", cmd_build_workbook, "生成主控工作簿 workbook/Responsibilities.xlsm")
    sub.add_argument("document", nargs="?", type=Path, metavar="分工文件", help="分工文件（默认：config.yaml 的 paths.document）")
    sub.add_argument("--force", action="store_true", help="替换已有工作簿（保留工作人员的修改，并留备份）")
    sub.add_argument("--reimport", action="store_true", help="与 --force 同用：按分工文件重新导入任务清单和指标（丢弃这两表中的修改；单位、设置表保留）")

    command("excel-setup", cmd_excel_setup, "把本机 Python 的路径写入主控工作簿（xlwings.conf）")

    sub = command("split", cmd_split, "为每个单位生成本期填报表")
    _add_period(sub)
    sub.add_argument("--unit", action="append", metavar="单位", help="只生成这个单位（可重复）")

    sub = command("send", cmd_send, "把各单位的填报表发到各单位邮箱")
    _add_period(sub)
    sub.add_argument("--dry-run", action="store_true", help="不发送，只在 outbox/ 写出邮件草稿（.eml）")
    sub.add_argument("--unit", action="append", metavar="单位", help="只发这个单位（可重复）")
    sub.add_argument("--resend", action="store_true", help="与 --unit 同用：已发送成功的也重新发送")

    sub = command("remind", cmd_remind, "截止日后向未报送或被退回的单位发催报邮件")
    _add_period(sub)
    _add_as_of(sub)
    sub.add_argument("--dry-run", action="store_true", help="不发送，只写邮件草稿")

    sub = command("collect", cmd_collect, "收取各单位报回的文件：归档、识别、校验")
    _add_period(sub)
    sub.add_argument("paths", nargs="*", type=Path, metavar="路径", help="文件、文件夹、.zip 或 .eml（默认 inbox/）")
    _add_received(sub)

    sub = command("confirm", cmd_confirm, "确认待确认的报表（发件邮箱或日期存疑，已向单位核实）：确认后计入汇总")
    _add_period(sub)
    sub.add_argument("--unit", action="append", help="确认这个单位的待确认报表（可重复）；不写则只列出待确认的报表")

    sub = command("send-back", cmd_send_back, "退回重报：把单位本期的报表退回，邮件写明要改的单元格和退回意见，附上已填好原内容的填报表")
    _add_period(sub)
    sub.add_argument("--unit", action="append", metavar="单位", help="退回这个单位的报表（可重复）；不写则按主控工作簿「退回重报」表中尚未处理的行")
    sub.add_argument("--note", metavar="退回意见", help="督查室的退回意见，写进邮件（与 --unit 同用）")
    sub.add_argument("--note-only", action="store_true", help="只写退回意见，不列出校验发现的问题")
    sub.add_argument("--dry-run", action="store_true", help="不发送，只在 outbox/ 写出邮件草稿（.eml），不记为退回")

    sub = command("decide", cmd_decide, "审批延期申请：列出各单位的申请，记录同意或不同意；或由督查室直接调整完成时限")
    _add_period(sub)
    sub.add_argument("--task", metavar="序号", help="要审批（或调整）的任务序号")
    sub.add_argument("--unit", metavar="单位", help="同一任务有几个单位申请时，写明是哪个单位的申请")
    verdict = sub.add_mutually_exclusive_group()
    verdict.add_argument("--approve", action="store_true", help="同意延期")
    verdict.add_argument("--refuse", action="store_true", help="不同意延期（用 --note 写明理由，会在催报和督办单中告知该单位）")
    verdict.add_argument("--adjust", action="store_true", help="督查室直接调整完成时限（须写 --deadline）")
    sub.add_argument("--deadline", type=_date, metavar="日期", help="新完成时限，如 2025-09-30（同意时默认为申请的日期）")
    sub.add_argument("--date", type=_date, metavar="日期", help="审批日期（默认今天）：决定从该日期所在的期次起生效")
    sub.add_argument("--note", metavar="说明", help="说明或不同意的理由")

    sub = command("close", cmd_close, "销号：列出牵头单位都报已完成、待销号的任务，确认销号或撤销销号")
    _add_period(sub)
    _add_as_of(sub)
    sub.add_argument("--task", metavar="序号", help="要销号（或撤销销号）的任务序号")
    sub.add_argument("--undo", action="store_true", help="撤销销号")
    sub.add_argument("--date", type=_date, metavar="日期", help="销号日期（默认今天）：从该日期所在的期次起生效")
    sub.add_argument("--note", metavar="说明", help="说明")

    sub = command("consolidate", cmd_consolidate, "汇总本期报送并预警，写出 汇总_<期次>.xlsx")
    _add_period(sub)
    _add_as_of(sub)
    sub.add_argument("--json", action="store_true", help="以 JSON 输出汇总数据")

    sub = command("report", cmd_report, "生成督查通报（DOCX 与 HTML）和督办单")
    _add_period(sub)
    _add_as_of(sub)

    sub = command("month", cmd_month, "月度运行：收取、汇总、预警、通报、催报")
    _add_period(sub)
    sub.add_argument("period_positional", nargs="?", metavar="期次", type=_period, help="同 --period（旧写法，仍可用）")
    _add_as_of(sub)
    _add_received(sub)
    group = sub.add_mutually_exclusive_group()
    group.add_argument("--dry-run", dest="dry_run", action="store_true", default=True, help="催报只写草稿（默认）")
    group.add_argument("--send", dest="dry_run", action="store_false", help="真正发出催报邮件")

    sub = commands.add_parser("demo", help="在内置示例（长清区 2025）上完整跑一遍一个月的流程", description="完整演示")
    sub.add_argument("--dir", type=Path, default=Path("demo-workspace"), metavar="目录", help="演示工作目录（默认 ./demo-workspace）")
    sub.add_argument("--period", type=_period, default=Period(2025, 6), metavar="期次", help="演示期次（默认 2025-06）")
    sub.set_defaults(handler=None, needs_settings=False)
    return parser


def _output_lines(outputs: list[Path], per_folder: int = 10) -> list[str]:
    """Each output once; a folder with many outputs (60 mail drafts) as one line with a count."""
    unique = list(dict.fromkeys(Path(p) for p in outputs))
    parents = [path.parent for path in unique]  # each once: a province's report names over a thousand files
    counts: dict[Path, int] = {}
    for parent in parents:
        counts[parent] = counts.get(parent, 0) + 1
    lines: list[str] = []
    folded: set[Path] = set()
    for path, parent in zip(unique, parents):
        if counts[parent] <= per_folder:
            lines.append(str(path))
        elif parent not in folded:
            folded.add(parent)
            lines.append(f"{parent}{os.sep}（{counts[parent]} 个文件）")
    return lines


PROBLEMS_SHOWN = 20  # more than a screen: the rest go to a CSV whose path is printed


def print_result(result: pipeline.StepResult, out=None, problems_file: Path | None = None) -> None:
    """Summary lines, then outputs, then problems (the first PROBLEMS_SHOWN, the rest named by file), in Chinese."""
    out = out or sys.stdout
    for line in result.summary:
        print(line, file=out)
    for line in _output_lines(result.outputs):
        print(f"  输出：{line}", file=out)
    if result.problems:
        errors = sum(p.is_error for p in result.problems)
        hints = len(result.problems) - errors
        print(f"发现问题 {len(result.problems)} 个（错误 {errors} 个，提示 {hints} 个）：", file=out)
        for item in result.problems[:PROBLEMS_SHOWN]:
            print(f"  [{item.code}] {item.where()}：{item.message}", file=out)
        if len(result.problems) > PROBLEMS_SHOWN:
            where = problems_file or result.problems_file
            print(f"  ……其余 {len(result.problems) - PROBLEMS_SHOWN} 个见 {where}（全部 {len(result.problems)} 个）。", file=out)


def _write_problems(result: pipeline.StepResult, settings: Settings, command: str) -> Path | None:
    """Problems that do not fit on the screen, all of them, in out/问题清单_<command>.csv (unless the step wrote its own)."""
    if len(result.problems) <= PROBLEMS_SHOWN or result.problems_file is not None:
        return None
    path = settings.path(settings.paths.out) / f"问题清单_{command}.csv"
    write_text_atomic(path, problems_to_csv(result.problems), encoding="utf-8-sig")
    return Path(settings.relative(path))


def _run(args: argparse.Namespace) -> int:
    if args.command == "init":
        result = pipeline.init_workspace(args.dir)
    elif args.command == "demo":
        from pyxl.demo.run import run_demo

        result = run_demo(args.dir, args.period)
    else:
        settings = load_settings(args.config)
        with workspace_lock(settings.root):  # one command at a time per workspace
            result = args.handler(Workspace.load(settings), args)
        if getattr(args, "json", False):
            print(json.dumps(result.data_json(), ensure_ascii=False, indent=1))
            return result.exit_code
        print_result(result, problems_file=_write_problems(result, settings, args.command))
        return result.exit_code
    print_result(result)
    return result.exit_code


def _logs_folder(config: Path) -> Path:
    """The workspace's logs folder (paths.logs); the user's own log folder when there is no readable config.

    Never the working folder: a mistyped --config must not leave a logs/ folder wherever the clerk stood.
    """
    try:
        return load_settings(config).logs_dir
    except Exception:  # the bug being logged may be in reading the config itself
        import platformdirs

        return Path(platformdirs.user_log_dir("pyxl", appauthor=False))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `pyxl` console script."""
    # The interpreter's last cycle collections at exit walk every object the command made (a
    # province's report: a quarter of a second of CPU for nothing): the process is ending, so
    # its objects are left to the operating system. Output files are all closed by then.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_FAILED
    try:
        return _run(args)
    except PyxlError as error:
        print(f"pyxl: {error}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # `pyxl parse --json | head`: the reader left, nothing went wrong
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (so the interpreter's final flush stays quiet)
        return EXIT_OK
    except OSError as error:  # a full disk or a read-only folder met outside the atomic writes
        named = storage_error(error)
        if named is None:
            return _bug(args)
        print(f"pyxl: {named}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("pyxl: 已中断。已写出的文件保持完整，重新运行即可继续。", file=sys.stderr)
        return EXIT_FAILED
    except Exception:
        return _bug(args)


def _bug(args: argparse.Namespace) -> int:
    """A bug: keep the traceback for us, a sentence for the user."""
    log_path = log_exception(_logs_folder(args.config), " ".join(sys.argv))
    print(f"pyxl: 程序内部错误，详情已记入日志 {log_path}，请把该文件发给维护人员。", file=sys.stderr)
    return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
