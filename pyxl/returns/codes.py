"""The problems of one return: their codes, and the Checker that files them under the file's name.

The codes are registered here, once, for every module that reads returns
(`pyxl.returns.check`, `pyxl.returns.cells`, `pyxl.returns.collect`; the
unreadable-file codes also for `pyxl.common.spreadsheets`), so `pyxl.codes_doc`
and the tests find them by importing this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyxl.common.problems import Problem, problem, register_code

STAGE = "collect"


def collect_code(code: str, severity: str, description: str) -> str:
    """Register a problem code of the collect step (for a return, or a 回执 in pyxl.returns.replies)."""
    return register_code(code, severity, description, STAGE)  # type: ignore[arg-type]


# Unreadable files (codes shared with pyxl.common.spreadsheets)
FILE_CORRUPT = collect_code("file-corrupt", "error", "文件已损坏，无法打开：请对方用 Excel 或 WPS 重新保存后发送。")
FILE_NOT_SHEET = collect_code("file-not-spreadsheet", "error", "文件扩展名是表格但内容不是（如改了扩展名的 PDF）或是空文件：请对方发送填报表本身。")
FILE_TOO_LARGE = collect_code("file-too-large", "error", "文件过大或解压后过大（疑似压缩炸弹），未读取：请对方发送原填报表。")
SHEET_TOO_LARGE = collect_code("sheet-too-large", "error", "工作表有内容的范围远超填报表（行数、列数或工作表数超过上限，如误操作在远处单元格留下内容）：已整份搁置未读，请对方删除多余内容后重发。")
CELL_TOO_LONG = collect_code("cell-too-long", "error", "某个单元格的文字超过 32767 个字符（Excel 单元格的上限），不会被截断使用：已整份搁置，请对方精简后重发。")
FILE_CRASHED = collect_code("file-crashed", "error", "读取这个文件时程序出错或中途中断：文件已原样归档并跳过（下次不再读取），其余文件照常收取；请把日志发给维护人员，并请对方另存后重发。")
FILE_ENCRYPTED = collect_code("file-encrypted", "error", "工作簿设置了打开密码，无法读取：请对方取消密码后重发。")
# Recognition
IDENTITY_FORGED = collect_code("identity-forged", "error", "隐藏识别表的校验值不是本室下发时写入的（识别表被伪造，或从别的表复制后改过）：报表未采用，请对方在本期下发的原表上填写后重发。")
IDENTITY_MISSING = collect_code("identity-missing", "warning", "隐藏的识别表 pyxl_id 不见了（可能把内容复制到了新文件），已按标题、填报单位和序号识别：请核对，今后请在下发的原表上填写。")
TABLE_NOT_FOUND = collect_code("table-not-found", "error", "找不到填报表（表头行「序号……下步措施」）：请在下发的原表上填写后重发。")
UNIT_UNRECOGNISED = collect_code("unit-unrecognised", "error", "无法确定是哪个单位的报表（识别表和 A2「填报单位」都没有）：请在下发的原表上填写后重发。")
UNIT_UNKNOWN = collect_code("unit-unknown", "error", "报表中的单位不在单位名录中：请核对单位名称，或在单位名录中补充该单位（或别名）。")
PERIOD_MISMATCH = collect_code("period-mismatch", "error", "报表的期次与本次收取的期次不同（报错了月份或用了旧表）：请对方用本期下发的表重新填报。")
TEMPLATE_VERSION = collect_code("template-version", "warning", "报表模板版本与当前版本不同：数据照常读取，请核对。")
SHEET_RENAMED = collect_code("sheet-renamed", "warning", "填报表的工作表被改了名，已按内容找到并读取：今后请勿改工作表名。")
SENT_BY_OTHER = collect_code("sent-by-other-unit", "error", "报表由另一个单位的邮箱发来：请与该单位核实后，由本单位重新报送。")
SENDER_UNVERIFIED = collect_code("sender-unverified", "warning", "报表从一个不是该单位登记邮箱的地址发来：已归档，标为「待确认」，不替换该单位已采用的报表；请向该单位核实后用 pyxl confirm 确认（或在单位名录中补登该邮箱）。")
DATE_DOUBTFUL = collect_code("date-doubtful", "warning", "邮件的日期在未来，或早于本期填报表下发的时间：已归档，标为「待确认」，不替换该单位已采用的报表；请核实后用 pyxl confirm 确认。")
NAMED_OTHER = collect_code("file-names-other-unit", "warning", "文件名写的是另一个单位，内容是本单位的报表：以内容为准，请核对是否发错。")
# Structure
COLUMN_MISSING = collect_code("column-missing", "error", "表头缺少某一列或列名被改：请在下发的原表上填写，勿改表头。")
COLUMN_MOVED = collect_code("column-moved", "warning", "表头各列的顺序被调整，已按列名读取：今后请勿移动列。")
ROW_DELETED = collect_code("row-deleted", "error", "下发表中的某一行（任务或指标）被删除：请恢复该行并填报。")
ROW_INSERTED = collect_code("row-inserted", "error", "表中多出了下发时没有的行（或序号被改、重复）：请删除多出的行，其内容写在对应任务的「进展情况」中。")
ROW_REORDERED = collect_code("row-reordered", "warning", "行的顺序被调整，已按序号读取：今后请勿排序或移动行。")
LOCKED_CHANGED = collect_code("locked-changed", "error", "锁定的任务内容、职责、指标、目标值或时限被改动：请恢复原文，意见写在「存在问题」中。")
TASK_UNKNOWN = collect_code("task-unknown", "error", "序号在分工表中找不到对应的任务或指标：请用本期下发的表重新填报。")
# Values
VALUE_NOT_NUMBER = collect_code("value-not-number", "error", "「本期完成值」不是数字：请只填数字（如 1200 或 12.5），文字说明写在「进展情况」中。")
VALUE_READ_AS = collect_code("value-interpreted", "warning", "「本期完成值」或「完成进度(%)」填的是文字（如 1,200、1.2万、约60%、全角数字），已按其含义读成数字；填「无」「—」「/」的按未填处理：请核对读取结果。")
PERCENT_NOT_NUMBER = collect_code("percent-not-number", "error", "「完成进度(%)」不是数字：请填 0 到 100 之间的数字。")
PERCENT_RANGE = collect_code("percent-out-of-range", "error", "「完成进度(%)」不在 0 到 100 之间：请填 0 到 100 之间的数字。")
STATUS_INVALID = collect_code("status-invalid", "error", "「状态」不是可选的四项之一（已完成、按计划推进、滞后、未启动）：请从下拉列表中选择。")
FORMULA_NO_VALUE = collect_code("formula-no-value", "error", "单元格是公式但没有保存计算结果：请在 Excel/WPS 中打开、重新计算并保存，或直接填数值。")
FORMULA_TEXT = collect_code("formula-text", "warning", "单元格文字以 = + - @ 开头、形如公式（如 =HYPERLINK(...) 或 DDE 命令 =cmd…）：只按文字保存，不会执行；请核对内容。")
REQUEST_DATE_INVALID = collect_code("request-date-invalid", "warning", "「申请新完成时限」不是日期（如写了「三季度」「9月底」）：延期申请未受理，报表其余内容照常采用；确需延期请填日期（如 2025-09-30）并写明理由后重报。")
REQUEST_INCOMPLETE = collect_code("request-incomplete", "warning", "延期申请只填了「申请新完成时限」和「申请理由」中的一项：申请未受理，报表其余内容照常采用；确需延期请两项都填后重报。")
RETURN_EMPTY = collect_code("return-empty", "error", "报表中所有填报栏都是空的：请填写后重发。")


# ---------------------------------------------------------------- one file's problems


@dataclass
class Checker:
    """Collects the problems of one file, all with the same position prefix."""

    file: str
    sheet: str | None = None
    unit: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def add(self, code: str, message: str, cell: str | None = None, sheet: str | None = "") -> None:
        self.problems.append(
            problem(code, message, file=self.file, sheet=self.sheet if sheet == "" else sheet, cell=cell, unit=self.unit)
        )
