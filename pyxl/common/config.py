"""Settings: config.yaml mapped onto typed settings.

Every setting is declared once here with its default and a help text (the
`description`), which `pyxl init` and the README show. Unknown keys and wrong
types are errors that name the key. Paths in the file are relative to the
folder that holds config.yaml, never to the working folder. The mail password
is never in the file: only the name of the environment variable holding it.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from datetime import date
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from pyxl.common.errors import PyxlError
from pyxl.common.model import Group, Unit, UnitDirectory

DISTRIBUTION_FOLDER = "分发"  # out/<period>/分发/: the unit workbooks and their manifest (Settings.distribution_dir)

CONFIG_NAME = "config.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PathSettings(_Strict):
    document: str = Field("", description="责任分工文件（.docx/.doc/.wps/.pdf/.xlsx/.xls/.et/.ods/.html/.txt/.md）；必填：把本区县的分工文件放进工作目录，写上文件名")
    workbook: str = Field("workbook/Responsibilities.xlsm", description="主控工作簿")
    inbox: str = Field("inbox", description="各单位报回的文件、邮件放在这里")
    returns: str = Field("returns", description="回收归档（原件只读保存）")
    out: str = Field("out", description="各期生成的文件")
    templates: str = Field("templates", description="邮件与通报模板；文件不存在时使用内置模板")
    logs: str = Field("logs", description="程序日志")


class PeriodSettings(_Strict):
    return_due_day: int = Field(5, ge=1, le=31, description="回收截止日：每期结束后下月的几号")
    due_rule: Literal["next", "previous", "none"] = Field(
        "next", description="截止日遇节假日、周末：next 顺延至下一个工作日 / previous 提前至前一个工作日 / none 不调整"
    )
    calendar: Literal["china", "weekdays"] = Field(
        "china", description="工作日历：china 按国务院公布的节假日与调休 / weekdays 仅周一至周五"
    )
    reply_working_days: int = Field(5, ge=1, le=30, description="督办单办理时限：印发后几个工作日内")
    current: str = Field("", description="当前期次（如 2025-06）；留空时命令行须用 --period 指定")


class ThresholdSettings(_Strict):
    yellow_ratio: float = Field(
        0.9, gt=0, le=1, description="累计指标：完成值达到序时目标的这一比例以上为黄灯，低于为红灯"
    )
    growth_yellow_points: float = Field(
        1.0, ge=0, description="增速指标：低于目标不超过这么多个百分点为黄灯，再低为红灯"
    )
    cumulative_band: Literal["ratio", "points"] = Field(
        "ratio", description="累计指标的灯号算法：ratio 按完成序时目标的比例（yellow_ratio）；points 按落后序时进度的百分点（green_points_behind、red_points_behind）"
    )
    green_points_behind: float = Field(
        0, ge=0, description="points 算法：落后序时进度不超过这么多个百分点（占全年目标）仍为绿灯"
    )
    red_points_behind: float = Field(
        30, ge=0, description="points 算法：落后序时进度超过这么多个百分点为红灯，介于两者之间为黄灯"
    )
    caught_up_light: Literal["own", "yellow"] = Field(
        "own", description="上月红灯、本月追平（本月为绿灯）的指标：own 按本月实际评灯 / yellow 本月亮黄灯一个月（有的城市规定「红灯追平转黄灯」）"
    )
    conflict_tolerance: float = Field(
        0.05, ge=0, description="两个单位报送同一指标的数值相差超过这一比例即为数据待核实"
    )
    stale_periods: int = Field(3, ge=2, description="进展情况连续这么多期相同视为连续未更新")


class NoticeSettings(_Strict):
    """Who gets a 督办单 and at which level (提示 / 督办 / 约谈建议); README「督办单发给谁」."""

    issue_from: Literal["提示", "督办", "约谈建议"] = Field(
        "提示", description="这一级别及以上的单位都发督办单：提示（只有黄色预警）/ 督办（有红色预警或欠序时进度的牵头任务）/ 约谈建议"
    )
    interview_tasks: int = Field(3, ge=1, description="约谈建议：本单位牵头的任务中至少这么多项欠序时进度、未报送或逾期")
    interview_share: float = Field(0.75, gt=0, le=1, description="约谈建议：且这些任务占本单位牵头任务的比例不低于这一比例")


class MailSettings(_Strict):
    host: str = Field("localhost", description="SMTP 服务器地址")
    port: int = Field(25, ge=1, le=65535, description="SMTP 端口（SSL 一般 465，STARTTLS 一般 587）")
    security: Literal["ssl", "starttls", "none"] = Field("none", description="加密方式：ssl / starttls / none")
    username: str = Field("", description="登录用户名；留空则不登录")
    password_env: str = Field(
        "PYXL_SMTP_PASSWORD", description="保存邮箱密码的环境变量名（密码不写在本文件里；也可存入系统钥匙串）"
    )
    sender: str = Field("督查室 <duchashi@example.gov.cn>", description="发件人")
    per_minute: int = Field(20, ge=0, description="每分钟最多发送几封（0 为不限速）")
    timeout: float = Field(30, gt=0, description="连接超时秒数（每一步等待服务器回复的最长时间）")
    allow_plain_login: bool = Field(
        False, description="是否允许在未加密（security: none）的连接上登录；密码会以明文经过网络，只在内网服务器确不支持加密时设为 true"
    )

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        from email.utils import parseaddr

        name, address = parseaddr(value)
        if not address or "@" not in address:
            raise ValueError(f"mail.sender「{value}」写法不对：应写成 名称 <邮箱>，如 督查室 <dcs@example.gov.cn>")
        check_address(address)
        return value


class InboxMailSettings(_Strict):
    """The office mailbox the units answer to, read over IMAP by `pyxl collect`."""

    host: str = Field("", description="收件（IMAP）服务器地址，如 imap.qq.com；留空则不从邮箱收取，只收 inbox 文件夹")
    port: int = Field(993, ge=1, le=65535, description="IMAP 端口（SSL 一般 993，STARTTLS 或不加密一般 143）")
    security: Literal["ssl", "starttls", "none"] = Field("ssl", description="加密方式：ssl / starttls / none（none 只用于本机测试）")
    username: str = Field("", description="邮箱登录名（一般是完整邮箱地址）")
    password_env: str = Field(
        "PYXL_IMAP_PASSWORD", description="保存邮箱密码或客户端授权码的环境变量名（密码不写在本文件里；也可存入系统钥匙串）"
    )
    folder: str = Field("INBOX", description="收取哪个文件夹（INBOX 即收件箱）")
    lookback_days: int = Field(
        40, ge=1, le=400, description="本期没有分发记录（表格不是用 pyxl 发的）时，收取最近多少天收到的邮件"
    )
    move_to: str = Field("", description="收取后把邮件移到这个文件夹（须已在邮箱中建好）；留空则邮件原样留在邮箱中")
    mark_read: bool = Field(False, description="收取后是否把邮件标为已读；默认不改动邮箱中的任何邮件")
    max_message_mb: float = Field(50, gt=0, description="单封邮件超过这么多 MB 不下载，列为问题请人工处理")
    ca_file: str = Field("", description="单位内网邮箱使用自签证书时，其根证书文件（.pem/.crt）；留空使用系统信任的证书")
    timeout: float = Field(60, gt=0, description="连接超时秒数")


class OfficeSettings(_Strict):
    """How the office names itself and its government in everything people read (通报, 督办单, mail)."""

    level: str = Field("", description="行政层级用字：区 / 县 / 市 / 旗 …；留空取区县名称的最后一个字（长清区 → 区）")
    government: str = Field("", description="政府全称；留空为「区县名称 + 人民政府」（长清区人民政府）")
    name: str = Field("", description="督查机构名称；留空为「政府全称 + 督查室」（长清区人民政府督查室）")
    bulletin_mark: str = Field("督查通报", description="通报版头的发文机关标志（红色大字）")
    number_prefix: str = Field("", description="文号前缀（如「长政督」），通报和督办单编号为 前缀〔年份〕期号 号；留空不写文号")


class ScoreSettings(_Strict):
    """The monthly score's rubric: a unit starts from `base` and loses these points."""

    base: float = Field(100, gt=0, description="每月基础分")
    missing_return: float = Field(10, ge=0, description="未报送扣分")
    late_return: float = Field(3, ge=0, description="逾期报送扣分")
    rejected_return: float = Field(2, ge=0, description="报表被退回扣分")
    problem: float = Field(0.5, ge=0, description="报表中每个问题扣分")
    problem_cap: float = Field(5, ge=0, description="报表问题每月最多扣分")
    task_behind: float = Field(2, ge=0, description="牵头任务欠序时进度，每项扣分")
    task_not_started: float = Field(3, ge=0, description="牵头任务未启动，每项扣分")
    task_overdue: float = Field(3, ge=0, description="任务逾期，每项扣分")
    indicator_red: float = Field(2, ge=0, description="牵头指标红灯，每个扣分")
    indicator_yellow: float = Field(1, ge=0, description="牵头指标黄灯，每个扣分")
    notice_unanswered: float = Field(5, ge=0, description="督办单逾期未回复扣分")


class AccountabilitySettings(_Strict):
    """How the office presses lagging units: the 督办 ladder, the score, whether rankings are published."""

    ladder: list[str] = Field(["提示", "督办", "约谈建议"], min_length=1, description="督办升级阶梯：同一事项连续预警逐级升级，赶上进度后逐级回落")
    repeat_after: int = Field(2, ge=2, description="连续预警这么多期的事项在通报中列为「反复预警」")
    score: ScoreSettings = Field(default_factory=ScoreSettings)
    publish_ranking: bool = Field(False, description="是否在督查通报中公布得分排名（默认只写入汇总表）")


class SplitSettings(_Strict):
    sheet_password: str = Field("", description="分单位表的工作表保护密码；留空则无密码（保护只防误改，不是安全措施）")
    master_sheets: bool = Field(False, description="生成分单位表时，是否同时在主控工作簿中为每个单位放一张表")


class UnitSettings(_Strict):
    name: str = Field(description="单位规范名称")
    kind: str = Field("其他", min_length=1, max_length=20, description="类别：办公室自己的分法，如 区直部门 / 县直部门 / 街镇 / 乡镇 / 平台公司")
    aliases: list[str] = Field(default_factory=list, description="文件中出现过的其他写法")
    contact: str = Field("", description="联系人")
    email: list[str] = Field(default_factory=list, description="邮箱（可多个）")
    phone: str = Field("", description="电话")

    @field_validator("email")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            check_address(address)
        return value


def check_address(address: str) -> str:
    """An e-mail address as a unit's clerk can receive it; ValueError in Chinese otherwise.

    Only the form is checked (no DNS lookup): `[czj 财政局]` or `czj@` is a
    typo to fix before any mail goes out, not a failed delivery later.
    """
    found = _normalized_address(str(address).strip())
    if found is None:
        raise ValueError(
            f"邮箱「{address}」写法不对：应写成 名称@域名，如 czj@example.gov.cn（多个邮箱写成列表 [甲@…, 乙@…]）"
        )
    return found


@functools.lru_cache(maxsize=4096)  # config.yaml and the master's 单位 sheet name the same 500 addresses
def _normalized_address(address: str) -> str | None:
    from email_validator import EmailNotValidError, validate_email  # 25 ms of imports, only when an address is checked

    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


class GroupSettings(_Strict):
    members: list[str] = Field(default_factory=list, description="成员单位（规范名称）")
    open: bool = Field(False, description="开放性表述（如「相关部门」），须由督查室手工指定，程序不猜")
    aliases: list[str] = Field(default_factory=list, description="其他写法")


class Settings(_Strict):
    district: str = Field("长清区", description="区县名称")
    year: int = Field(2025, ge=2000, le=2100, description="计划年度")
    paths: PathSettings = Field(default_factory=PathSettings)
    period: PeriodSettings = Field(default_factory=PeriodSettings)
    thresholds: ThresholdSettings = Field(default_factory=ThresholdSettings)
    notices: NoticeSettings = Field(default_factory=NoticeSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    inbox_mail: InboxMailSettings = Field(default_factory=InboxMailSettings)
    split: SplitSettings = Field(default_factory=SplitSettings)
    office: OfficeSettings = Field(default_factory=OfficeSettings)
    accountability: AccountabilitySettings = Field(default_factory=AccountabilitySettings)
    units: list[UnitSettings] = Field(default_factory=list, description="单位名录")
    groups: dict[str, GroupSettings] = Field(default_factory=dict, description="单位组（如 各街镇）")

    _root: Path = PrivateAttr(default_factory=Path.cwd)

    @model_validator(mode="after")
    def _names_are_unique(self) -> "Settings":
        seen: dict[str, str] = {}
        owners = [(f"单位「{u.name}」", [u.name, *u.aliases]) for u in self.units]
        owners += [(f"单位组「{name}」", [name, *g.aliases]) for name, g in self.groups.items()]
        for owner, names in owners:
            for name in names:
                if name in seen and seen[name] != owner:
                    raise ValueError(f"名称「{name}」同时属于{seen[name]}和{owner}：一个名称或别名只能属于一个单位或单位组，请删去其中一处")
                seen[name] = owner
        for name, group in self.groups.items():
            # a typo here would silently leave a 街道 without its sheet
            for member in group.members:
                if member not in self.groups and not any(u.name == member for u in self.units):
                    raise ValueError(
                        f"单位组「{name}」的成员「{member}」不是 units 中的单位名称（也不是单位组）：请改成单位的规范名称，或先在 units 中添加该单位"
                    )
        return self

    # ---- the office's own wording (区/县/市, names), never hard-coded in a template
    @property
    def level(self) -> str:
        """区, 县, 市 …: office.level, else the district name's last character."""
        return self.office.level or self.district[-1:]

    @property
    def government_name(self) -> str:
        """The government's full name (长清区人民政府)."""
        return self.office.government or f"{self.district}人民政府"

    @property
    def office_name(self) -> str:
        """The supervision office's name (长清区人民政府督查室)."""
        return self.office.name or f"{self.government_name}督查室"

    # ---- paths, resolved against the folder of config.yaml
    @property
    def root(self) -> Path:
        """The workspace: the folder holding config.yaml."""
        return self._root

    def path(self, relative: str) -> Path:
        """A path from config.yaml, resolved against the workspace unless absolute."""
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self._root / candidate

    @property
    def document_path(self) -> Path:
        """The duty document of paths.document; unset stops the step (only `pyxl demo` uses the bundled example)."""
        if not self.paths.document.strip():
            raise PyxlError(
                f"config.yaml 没有设置分工文件（paths.document）：请把本{self.level or '区县'}的责任分工文件放进工作目录 {self.root}，"
                "在 config.yaml 的 paths.document 写上文件名后再运行（只想看演示请运行 pyxl demo）。"
            )
        return self.path(self.paths.document)

    @property
    def workbook_path(self) -> Path:
        return self.path(self.paths.workbook)

    @property
    def inbox_dir(self) -> Path:
        return self.path(self.paths.inbox)

    @property
    def logs_dir(self) -> Path:
        return self.path(self.paths.logs)

    def returns_dir(self, period: object) -> Path:
        """returns/<period>/: the period's archive of returned files."""
        return self.path(self.paths.returns) / str(period)

    def distribution_dir(self, period: object) -> Path:
        """out/<period>/分发/: the unit workbooks of a period and their manifest."""
        return self.out_dir(period) / DISTRIBUTION_FOLDER

    def due_date(self, period) -> date:
        """The period's return due date: period.return_due_day of the next month, moved to a working day by period.due_rule."""
        return period.due_date(self.period.return_due_day, self.period.due_rule, self.period.calendar)

    def out_dir(self, period: object) -> Path:
        """out/<period>/: everything generated for the period."""
        return self.path(self.paths.out) / str(period)

    def template_path(self, relative: str) -> Path:
        """A template from the workspace's templates/ folder, else the bundled default."""
        local = self.path(self.paths.templates) / relative
        if local.exists():
            return local
        bundled = Path(str(files("pyxl.templates"))) / relative
        if bundled.exists():
            return bundled
        raise PyxlError(f"找不到模板「{relative}」：请检查 {self.paths.templates}/ 文件夹，或删除它以使用内置模板。")

    def relative(self, path: Path) -> str:
        """A path as the user knows it: relative to the workspace when inside it."""
        try:
            return Path(path).resolve().relative_to(self._root.resolve()).as_posix()
        except ValueError:
            return str(path)

    def unit_directory(self) -> UnitDirectory:
        """config.yaml's units and groups as the model's UnitDirectory."""
        units = tuple(
            Unit(u.name, u.kind, tuple(u.aliases), u.contact, tuple(u.email), u.phone) for u in self.units
        )
        groups = tuple(Group(name, tuple(g.members), g.open, tuple(g.aliases)) for name, g in self.groups.items())
        return UnitDirectory(units, groups)


_EXPECTED = {
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数（不带小数）",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文字（数字请加引号，如 \"2025-06\"）",
    "list_type": "应为列表，如 [甲, 乙]",
    "dict_type": "应为「键: 值」形式的一组设置",
    "model_type": "应为「键: 值」形式的一组设置",
    "model_attributes_type": "应为「键: 值」形式的一组设置",
}
_BOUNDS = {"greater_than_equal": ("ge", "不小于"), "less_than_equal": ("le", "不大于"),
           "greater_than": ("gt", "大于"), "less_than": ("lt", "小于")}


def _key_of(loc: tuple, data: object) -> str:
    """`units 第 3 项（区财政局）.kind`: list positions counted from 1 and named when they can be."""
    parts: list[str] = []
    node = data
    for part in loc:
        if isinstance(part, int):
            name = node[part].get("name") if isinstance(node, list) and part < len(node) and isinstance(node[part], dict) else None
            parts[-1:] = [f"{parts[-1] if parts else ''} 第 {part + 1} 项" + (f"（{name}）" if name else "")]
            node = node[part] if isinstance(node, list) and part < len(node) else None
        else:
            parts.append(str(part))
            node = node.get(part) if isinstance(node, dict) else None
    return ".".join(parts)


def expected_value(error: dict) -> str:
    """What a pydantic error says the value should be, in Chinese (应为整数, 应不大于 31 …)."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "literal_error":
        expected = f"应为以下之一：{ctx.get('expected', '')}".replace("' or '", "'、'").replace("', '", "'、'")
    elif kind in _BOUNDS:
        name, words = _BOUNDS[kind]
        expected = f"应{words} {ctx.get(name)}"
    elif kind == "string_too_short":
        expected = f"不能少于 {ctx.get('min_length')} 个字" if ctx.get("min_length", 1) > 1 else "不能为空"
    elif kind == "string_too_long":
        expected = f"不能多于 {ctx.get('max_length')} 个字"
    else:
        expected = _EXPECTED.get(kind, error["msg"])
    return expected


def _describe_error(error: dict, data: object = None) -> str:
    """One Chinese clause per pydantic error, naming the key as the user wrote it."""
    key = _key_of(tuple(error["loc"]), data) or "(顶层)"
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return f"「{key}」不是可用的设置项（拼写错误？）"
    if kind == "missing":
        return f"缺少必填项「{key}」"
    if kind == "value_error":  # our own checks: the message says it all (the input may be the whole file)
        message = str(ctx.get("error", error["msg"]))
        return f"「{key}」{message}" if error["loc"] else message
    return f"「{key}」的值不对：{expected_value(error)}（现在是 {error.get('input')!r}）"


# libyaml's safe loader, same schema as yaml.safe_load: a province's config.yaml lists 500 units,
# which the pure-Python loader takes 0.3 s to read on every command, libyaml 0.05 s.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# PyYAML's problems, as the clerk would say them (the rest: "写法有误")
_YAML_PROBLEMS = {
    "mapping values are not allowed here": "此处不能再写「键: 值」（冒号后面要加空格，值里有冒号请加引号）",
    "could not find expected ':'": "缺少冒号「:」（每行应写成「键: 值」）",
    "found character '\\t' that cannot start any token": "用了制表符（Tab）缩进：请改用空格",
    "found undefined alias": "引用了未定义的别名（值以 * 开头时请加引号）",
    "did not find expected key": "缩进不对齐",
    "did not find expected node content": "缺少值",
    "did not find expected ',' or ']'": "方括号列表没有闭合（缺少「]」或逗号）",
    "did not find expected ',' or '}'": "花括号没有闭合（缺少「}」或逗号）",
    "expected ',' or ']'": "方括号列表没有闭合（缺少「]」或逗号）",
    "expected ',' or '}'": "花括号没有闭合（缺少「}」或逗号）",
    "found unexpected end of stream": "引号没有闭合",
    "found duplicate anchor": "重复的锚点",
    "expected <block end>, but found": "缩进不对齐",
    "found unknown escape character": "双引号中有无法识别的反斜杠转义（路径请用单引号或 /）",
}


def yaml_error_text(error: Exception) -> str:
    """`第 12 行第 5 列：缩进不对齐（…）`: where PyYAML stopped and why, in Chinese."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = str(getattr(error, "problem", "") or "")
    reason = next((words for english, words in _YAML_PROBLEMS.items() if problem.startswith(english)), "写法有误")
    where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark is not None else "中"
    return f"{where}有误：{reason}。请对照 pyxl init 生成的示例改正（缩进用空格，冒号后加空格）。"


def load_settings(path: str | Path = CONFIG_NAME) -> Settings:
    """Read config.yaml; every problem is one PyxlError naming the key."""
    config_path = Path(path)
    if config_path.is_dir():
        raise PyxlError(f"{config_path} 是文件夹，不是配置文件：请写成 --config {config_path / CONFIG_NAME}。")
    if not config_path.exists():
        raise PyxlError(f"找不到配置文件 {config_path}：请在工作目录运行，或用 --config 指定，或先运行 pyxl init 新建工作目录。")
    try:
        text = config_path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PyxlError(f"配置文件 {config_path} 不是 UTF-8 编码：请用记事本「另存为」UTF-8 编码后再试。") from None
    except OSError as error:
        raise PyxlError(f"无法读取配置文件 {config_path}（{error.strerror or error}）：请检查文件权限，或关闭占用它的程序。") from None
    try:
        data = yaml.load(text, Loader=_YAML_LOADER) or {}
    except yaml.YAMLError as libyaml_error:
        error = libyaml_error
        try:  # libyaml words its errors its own way: say where and why as PyYAML does
            yaml.safe_load(text)
        except yaml.YAMLError as described:
            error = described
        raise PyxlError(f"配置文件 {config_path} {yaml_error_text(error)}") from None
    if not isinstance(data, dict):
        raise PyxlError(f"配置文件 {config_path} 的顶层应是「键: 值」的列表。")
    try:
        settings = Settings.model_validate(data)
    except ValidationError as error:
        details = "；".join(_describe_error(e, data) for e in error.errors())
        raise PyxlError(f"配置文件 {config_path} 有误：{details}。") from None
    settings._root = config_path.resolve().parent
    return settings
