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
import json
import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Sequence

from pyxl import __version__, pipeline
from pyxl.common.config import CONFIG_NAME, Settings, load_settings
from pyxl.common.errors import PyxlError
from pyxl.common.logs import log_exception
from pyxl.common.period import Period
from pyxl.workspace import Workspace

EXIT_OK, EXIT_PROBLEMS, EXIT_FAILED = 0, 1, 2
# Commands of the month run with the master's 设置 sheet over config.yaml, as the ribbon does.


class _Parser(argparse.ArgumentParser):
    """Usage errors: one clear line and exit 2 (argparse's own behaviour, kept in Chinese)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        command = " ".join(self.prog.split()[1:2])  # "pyxl parse" → parse; the main parser has none
        usage = f"pyxl {command} --help" if command else "pyxl --help"
        self.exit(EXIT_FAILED, f"pyxl: 参数错误：{message}（{usage} 查看用法）\n")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期「{text}」格式不对，请写成 2025-07-05") from None


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except PyxlError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _terminal_progress(done: int, total: int, text: str) -> None:
    print(f"[{done}/{total}] {text}", file=sys.stderr, flush=True)


def _resolve_period(settings: Settings, given: Period | None) -> Period:
    if given is not None:
        return given
    if settings.period.current:
        return Period.parse(settings.period.current)
    raise PyxlError("没有指定期次：请加 --period 2025-06，或在 config.yaml 的 period.current 中设置当前期次。")


def _as_of(args: argparse.Namespace, period: Period) -> date:
    """Default 'as of' date: today, but no later than the end of the month after the period.

    The clock is read only here, in the shell. A bulletin for June is written
    in July; re-running June a year later must not find every deadline of the
    plan year passed, so the default stops at the end of July.
    """
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
    return pipeline.split_sheets(workspace, _resolve_period(workspace.settings, args.period), units=args.unit or None)


def cmd_send(workspace: Workspace, args: argparse.Namespace) -> pipeline.StepResult:
    return pipeline.send_sheets(
        workspace,
        _resolve_period(workspace.settings, args.period),
        now=datetime.now(),
        dry_run=args.dry_run,
        units=args.unit or None,
        resend=args.resend,
        progress=_terminal_progress,
    )


def cmd_remind(workspace: Workspace, args: argparse.Namespace) -> pipeline.StepResult:
    period = _resolve_period(workspace.settings, args.period)
    return pipeline.send_reminders(
        workspace, period, as_of=_as_of(args, period), now=datetime.now(), dry_run=args.dry_run,
        progress=_terminal_progress,
    )


def cmd_collect(workspace: Workspace, args: argparse.Namespace) -> pipeline.StepResult:
    return pipeline.collect_returns(workspace, _resolve_period(workspace.settings, args.period), args.paths or None,
                                    now=datetime.now(), progress=_terminal_progress)


def cmd_consolidate(workspace: Workspace, args: argparse.Namespace) -> pipeline.StepResult:
    period = _resolve_period(workspace.settings, args.period)
    return pipeline.consolidate_period(workspace, period, as_of=_as_of(args, period))


def cmd_report(workspace: Workspace, args: argparse.Namespace) -> pipeline.StepResult:
    period = _resolve_period(workspace.settings, args.period)
    return pipeline.write_report(workspace, period, as_of=_as_of(args, period))


def cmd_month(workspace: Workspace, args: argparse.Namespace) -> pipeline.StepResult:
    period = args.period_positional
    return pipeline.run_month(workspace, period, as_of=_as_of(args, period), now=datetime.now(), dry_run=args.dry_run)


def _add_period(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--period", type=_period, help="期次，如 2025-06（默认：config.yaml 的 period.current）")


def _add_as_of(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", type=_date, help="统计截至日期，如 2025-07-10（默认：今天，但不晚于期次的下一个月月底）")


def build_parser() -> argparse.ArgumentParser:
    """The `pyxl` argument parser: one sub-command per pipeline step, plus init and demo."""
    parser = _Parser(prog="pyxl", description="政府工作报告重点工作督查督办：分工、分发、回收、汇总、预警、通报。")
    parser.add_argument("--version", action="version", version=f"pyxl {__version__}")
    parser.add_argument("--config", type=Path, default=Path(CONFIG_NAME), help="配置文件（默认 ./config.yaml）")
    commands = parser.add_subparsers(dest="command", metavar="<命令>", parser_class=_Parser)

    def command(name: str, handler: Callable, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        # also accepted after the command (pyxl parse --config x.yaml); SUPPRESS keeps the main default
        sub.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="配置文件（默认 ./config.yaml）")
        return sub

    sub = commands.add_parser("init", help="新建工作目录（config.yaml 与空文件夹）", description="新建工作目录")
    sub.add_argument("dir", type=Path, help="新工作目录")
    sub.set_defaults(handler=None, needs_settings=False)

    sub = command("parse", cmd_parse, "解析责任分工文件，输出分工表摘要")
    sub.add_argument("document", nargs="?", type=Path, help="分工文件（Word/WPS、PDF、Excel/WPS 表格、网页或文本；默认使用配置或内置示例）")
    sub.add_argument("--json", action="store_true", help="以 JSON 输出完整分工表")

    sub = command("build-workbook", cmd_build_workbook, "生成主控工作簿 workbook/Responsibilities.xlsm")
    sub.add_argument("document", nargs="?", type=Path, help="分工文件（默认使用配置或内置示例）")
    sub.add_argument("--force", action="store_true", help="替换已有工作簿（保留工作人员的修改，并留备份）")
    sub.add_argument("--reimport", action="store_true", help="与 --force 同用：按分工文件重新导入任务清单和指标（丢弃这两表中的修改；单位、设置表保留）")

    command("excel-setup", cmd_excel_setup, "把本机 Python 的路径写入主控工作簿（xlwings.conf）")

    sub = command("split", cmd_split, "为每个单位生成本期填报表")
    _add_period(sub)
    sub.add_argument("--unit", action="append", help="只生成这个单位（可重复）")

    sub = command("send", cmd_send, "把各单位的填报表发到各单位邮箱")
    _add_period(sub)
    sub.add_argument("--dry-run", action="store_true", help="不发送，只在 outbox/ 写出邮件草稿（.eml）")
    sub.add_argument("--unit", action="append", help="只发这个单位（可重复）")
    sub.add_argument("--resend", action="store_true", help="与 --unit 同用：已发送成功的也重新发送")

    sub = command("remind", cmd_remind, "截止日后向未报送或被退回的单位发催报邮件")
    _add_period(sub)
    _add_as_of(sub)
    sub.add_argument("--dry-run", action="store_true", help="不发送，只写邮件草稿")

    sub = command("collect", cmd_collect, "收取各单位报回的文件：归档、识别、校验")
    _add_period(sub)
    sub.add_argument("paths", nargs="*", type=Path, help="文件、文件夹、.zip 或 .eml（默认 inbox/）")

    sub = command("consolidate", cmd_consolidate, "汇总本期报送并预警，写出 汇总_<期次>.xlsx")
    _add_period(sub)
    _add_as_of(sub)
    sub.add_argument("--json", action="store_true", help="以 JSON 输出汇总数据")

    sub = command("report", cmd_report, "生成督查通报（DOCX 与 HTML）和督办单")
    _add_period(sub)
    _add_as_of(sub)

    sub = command("month", cmd_month, "月度运行：收取、汇总、预警、通报、催报")
    sub.add_argument("period_positional", metavar="PERIOD", type=_period, help="期次，如 2025-06")
    _add_as_of(sub)
    group = sub.add_mutually_exclusive_group()
    group.add_argument("--dry-run", dest="dry_run", action="store_true", default=True, help="催报只写草稿（默认）")
    group.add_argument("--send", dest="dry_run", action="store_false", help="真正发出催报邮件")

    sub = commands.add_parser("demo", help="在示例区县上完整跑一遍一个月的流程", description="完整演示")
    sub.add_argument("--dir", type=Path, default=Path("demo-workspace"), help="演示工作目录（默认 ./demo-workspace）")
    sub.add_argument("--period", type=_period, default=Period(2025, 6), help="演示期次（默认 2025-06）")
    sub.set_defaults(handler=None, needs_settings=False)
    return parser


def _output_lines(outputs: list[Path], per_folder: int = 10) -> list[str]:
    """Each output once; a folder with many outputs (60 mail drafts) as one line with a count."""
    unique = list(dict.fromkeys(Path(p) for p in outputs))
    counts: dict[Path, int] = {}
    for path in unique:
        counts[path.parent] = counts.get(path.parent, 0) + 1
    lines: list[str] = []
    for path in unique:
        if counts[path.parent] <= per_folder:
            lines.append(str(path))
        elif f"{path.parent}{os.sep}" not in "".join(lines):
            lines.append(f"{path.parent}{os.sep}（{counts[path.parent]} 个文件）")
    return lines


def print_result(result: pipeline.StepResult, out=None) -> None:
    """Summary lines, then outputs, then problems (first 20), in Chinese."""
    out = out or sys.stdout
    for line in result.summary:
        print(line, file=out)
    for line in _output_lines(result.outputs):
        print(f"  输出：{line}", file=out)
    if result.problems:
        errors = sum(p.is_error for p in result.problems)
        print(f"发现问题 {len(result.problems)} 个（错误 {errors} 个）：", file=out)
        for item in result.problems[:20]:
            print(f"  [{item.code}] {item.where()}：{item.message}", file=out)
        if len(result.problems) > 20:
            print(f"  ……其余 {len(result.problems) - 20} 个见输出文件。", file=out)


def _run(args: argparse.Namespace) -> int:
    if args.command == "init":
        result = pipeline.init_workspace(args.dir)
    elif args.command == "demo":
        from pyxl.demo.run import run_demo

        result = run_demo(args.dir, args.period)
    else:
        result = args.handler(Workspace.load(load_settings(args.config)), args)
        if getattr(args, "json", False):
            print(json.dumps(result.data_json(), ensure_ascii=False, indent=1))
            return result.exit_code
    print_result(result)
    return result.exit_code


def _logs_folder(config: Path) -> Path:
    """The workspace's logs folder (paths.logs), or logs/ beside config.yaml when the config cannot be read."""
    try:
        return load_settings(config).logs_dir
    except Exception:  # the bug being logged may be in reading the config itself
        return Path(config).resolve().parent / "logs"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `pyxl` console script."""
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
    except KeyboardInterrupt:
        print("pyxl: 已中断。已写出的文件保持完整，重新运行即可继续。", file=sys.stderr)
        return EXIT_FAILED
    except Exception:  # a bug: keep the traceback for us, a sentence for the user
        log_path = log_exception(_logs_folder(args.config), " ".join(sys.argv))
        print(f"pyxl: 程序内部错误，详情已记入日志 {log_path}，请把该文件发给维护人员。", file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
