"""Per-unit sheets: which rows each unit gets, and what its workbook holds and protects."""

from __future__ import annotations

import csv
import hashlib
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from pyxl import pipeline
from pyxl.cli import main
from pyxl.common.errors import PyxlError
from pyxl.common.model import DutyTable, Group, ReturnRow, Target, Task, Unit, UnitDirectory
from pyxl.common.period import Period
from pyxl.common.units import UnitIndex
from pyxl.distribution import layout
from pyxl.distribution.split import build_unit_rows, plan_split, select_units, write_unit_files
from pyxl.distribution.unit_sheet import SheetRow, sheet_name_for, write_unit_workbook
from pyxl.workspace import Workspace

PERIOD = "2025-06"
DUE = date(2025, 7, 5)


# ---------------------------------------------------------------- helpers


def read_sheets(path: Path) -> dict[str, list[list[object]]]:
    """Every sheet's cell values, as python-calamine (what collect uses) reads them."""
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def identity_of(path: Path) -> dict[str, str]:
    rows = read_sheets(path)[layout.IDENTITY_SHEET]
    return {layout.cell_text(row[0]): layout.cell_text(row[1]) for row in rows if row and row[0] != ""}


def data_rows(path: Path) -> list[list[object]]:
    """The rows under the header of the visible sheet, down to the first empty 序号."""
    ident = identity_of(path)
    sheet = read_sheets(path)[ident[layout.ID_SHEET]]
    header = int(ident[layout.ID_HEADER_ROW])
    assert [layout.cell_text(v) for v in sheet[header - 1][: len(layout.COLUMNS)]] == list(layout.COLUMNS)
    rows = []
    for row in sheet[header:]:
        if layout.cell_text(row[0]) == "":
            break
        rows.append(row)
    return rows


def _target(metric: str, value: float, unit: str = "%", kind: str = "growth", stretch: float | None = None) -> Target:
    return Target(f"{metric}增长{value}{unit}", metric, value, unit, kind, ">=", stretch)


def small_duty() -> tuple[DutyTable, UnitIndex]:
    """Four tasks over two units, a closed group, an open group and an empty group."""
    directory = UnitDirectory(
        units=(
            Unit("区财政局", "区直部门"),
            Unit("区发展改革局", "区直部门"),
            Unit("文昌街道", "街镇"),
            Unit("马山镇", "街镇"),
            Unit("区档案馆", "区直部门"),
        ),
        groups=(
            Group("各街镇", ("文昌街道", "马山镇")),
            Group("相关部门", (), open=True),
            Group("各平台公司", ()),
        ),
    )
    tasks = [
        Task("1", "一", None, "地区生产总值增长5.6%。", ["区发展改革局"], ["区财政局", "各街镇"],
             targets=[_target("地区生产总值", 5.6, stretch=6.0)]),
        Task("2", "一", None, "一般公共预算收入增长4%。", ["区财政局"], ["各街镇", "相关部门"],
             targets=[_target("一般公共预算收入", 4), Target("新增企业300家以上", "新增企业", 300, "家", "count", ">=")]),
        Task("3", "二", None, "完善园区配套。", ["各街镇"], ["各平台公司"]),
        Task("4", "二", None, "化解金融风险。", ["区财政局"], []),
    ]
    return DutyTable("测试分工", 2025, [], tasks), UnitIndex(directory)


def sample_rows() -> list[SheetRow]:
    duty, index = small_duty()
    return build_unit_rows(duty, index, "区财政局")


# ---------------------------------------------------------------- rows


def test_lead_tasks_come_first_each_followed_by_its_targets():
    rows = sample_rows()
    assert [(r.key, r.role) for r in rows] == [
        ("2", "牵头"), ("2-1", "牵头"), ("2-2", "牵头"), ("4", "牵头"), ("1", "责任"),
    ]
    target = rows[2]
    assert (target.task_number, target.target_index, target.metric) == ("2", 1, "新增企业")
    assert target.target == "300家以上"
    assert rows[1].target == "增长4%以上"


def test_responsible_units_get_no_target_rows():
    duty, index = small_duty()
    assert [r.key for r in build_unit_rows(duty, index, "文昌街道")] == ["3", "1", "2"]


def test_groups_are_expanded_and_unassigned_groups_reported():
    duty, index = small_duty()
    plan = plan_split(duty, index)
    assert list(plan.rows) == ["区财政局", "区发展改革局", "文昌街道", "马山镇"]
    assert [r.key for r in plan.rows["马山镇"]] == ["3", "1", "2"]
    found = sorted((p.code, p.unit) for p in plan.problems)
    assert found == [
        ("split-empty-group", None),  # 各平台公司 has no members
        ("split-open-group", None),  # 相关部门 not assigned
        ("split-unit-without-tasks", "区档案馆"),
    ]
    assert all(not p.is_error for p in plan.problems)


def test_an_open_group_with_assigned_members_is_used():
    duty, index = small_duty()
    groups = tuple(g if g.name != "相关部门" else Group("相关部门", ("区档案馆",), open=True) for g in index.directory.groups)
    index = UnitIndex(UnitDirectory(index.directory.units, groups))
    plan = plan_split(duty, index)
    assert [r.key for r in plan.rows["区档案馆"]] == ["2"]
    assert "split-open-group" not in {p.code for p in plan.problems}


def test_select_units_by_alias_or_group_and_refuses_unknown_names():
    duty, index = small_duty()
    plan = plan_split(duty, index)
    assert select_units(plan, index, ["各街镇", "区财政局"]) == ["文昌街道", "马山镇", "区财政局"]
    with pytest.raises(PyxlError, match="区财政"):
        select_units(plan, index, ["区财政"])
    with pytest.raises(PyxlError, match="区档案馆"):
        select_units(plan, index, ["区档案馆"])  # in the directory, but owns no task


# ---------------------------------------------------------------- one workbook


@pytest.fixture
def book_path(tmp_path: Path) -> Path:
    path = tmp_path / "01_区财政局.xlsx"
    write_unit_workbook(path, "区财政局", PERIOD, sample_rows(), DUE)
    return path


def test_title_block_header_and_footer_follow_the_layout(book_path):
    sheet = read_sheets(book_path)["区财政局"]
    assert sheet[0][0] == "2025年《政府工作报告》重点工作推进情况（2025年6月）" == layout.title(2025, PERIOD)
    assert sheet[1][0] == layout.UNIT_LABEL + "区财政局"
    above = "\n".join(layout.cell_text(v) for row in sheet[:3] for v in row)
    assert "2025年7月5日" in above and "填报说明见表格下方" in above
    rows = data_rows(book_path)
    assert [layout.cell_text(r[0]) for r in rows] == ["2", "2-1", "2-2", "4", "1"]
    assert [r[2] for r in rows] == ["牵头", "牵头", "牵头", "牵头", "责任"]
    below = sheet[int(identity_of(book_path)[layout.ID_HEADER_ROW]) + len(rows):]
    labels = [layout.cell_text(v) for row in below for v in row if layout.cell_text(v) in layout.FOOTER_LABELS]
    assert labels == list(layout.FOOTER_LABELS)
    # the unit head signs off on the clerk's row
    signers = next(row for row in below if layout.cell_text(row[0]) == "填报人")
    assert layout.cell_text(signers[2]) == "单位负责人"
    assert "邮箱" in "\n".join(layout.cell_text(v) for row in below for v in row)  # the instructions, under the table


def test_only_input_columns_and_footer_values_are_unlocked(book_path):
    sheet = openpyxl.load_workbook(book_path)["区财政局"]
    assert sheet.protection.sheet is True
    assert not sheet.protection.password  # no password unless config sets one
    header = int(identity_of(book_path)[layout.ID_HEADER_ROW])
    for r in range(1, header + 1):  # title block and header
        assert all(sheet.cell(r, c).protection.locked for c in range(1, len(layout.COLUMNS) + 1))
    for r in range(header + 1, header + 6):
        locked = [sheet.cell(r, c).protection.locked for c in range(1, len(layout.COLUMNS) + 1)]
        # a lead's task row also takes a request for a new deadline; a target row or a responsible unit's row does not
        asks_request = "-" not in layout.cell_text(sheet.cell(r, 1).value) and sheet.cell(r, 3).value == layout.ROLE_LEAD
        reports = len(layout.INPUT_COLUMNS) - len(layout.REQUEST_COLUMNS)
        assert locked == [True] * len(layout.LOCKED_COLUMNS) + [False] * reports + [not asks_request] * len(layout.REQUEST_COLUMNS)
    footer = header + 5 + 2
    for label in layout.FOOTER_LABELS:
        down, col = layout.FOOTER_PLACES[label]
        assert sheet.cell(footer + down, col + 1).value == label and sheet.cell(footer + down, col + 1).protection.locked
        assert not sheet.cell(footer + down, col + 2).protection.locked


def test_password_is_set_when_configured(tmp_path):
    path = tmp_path / "a.xlsx"
    write_unit_workbook(path, "区财政局", PERIOD, sample_rows(), DUE, password="dcs2025")
    assert openpyxl.load_workbook(path)["区财政局"].protection.password


def test_status_dropdown_and_number_checks_with_input_messages(book_path):
    sheet = openpyxl.load_workbook(book_path)["区财政局"]
    header = int(identity_of(book_path)[layout.ID_HEADER_ROW])
    data = range(header + 1, header + 6)
    by_column: dict[str, list] = {}
    for rule in sheet.data_validations.dataValidation:
        for cells in rule.sqref.ranges:
            for col in range(cells.min_col, cells.max_col + 1):
                for row in range(cells.min_row, cells.max_row + 1):
                    by_column.setdefault(openpyxl.utils.get_column_letter(col), []).append((row, rule))
    status = {row: rule for row, rule in by_column["I"]}
    assert sorted(status) == list(data)
    rule = status[header + 1]
    assert rule.type == "list" and rule.formula1 == '"已完成,按计划推进,滞后,未启动"'
    percent = {row: rule for row, rule in by_column["H"]}
    assert sorted(percent) == list(data)
    rule = percent[header + 1]
    assert (rule.type, rule.formula1, rule.formula2) == ("decimal", "0", "100")
    assert rule.operator in (None, "between")  # "between" is the file format's default
    value = {row: rule for row, rule in by_column["G"]}
    assert sorted(value) == list(data)
    for rule in (*status.values(), *percent.values(), *value.values()):
        assert rule.showInputMessage and rule.prompt and rule.showErrorMessage and rule.error
    assert value[header + 2].type == "decimal" and "累计" in value[header + 2].prompt  # a target row
    assert "E" not in by_column and "J" not in by_column


def test_view_and_print_settings_help_the_clerk(book_path):
    sheet = openpyxl.load_workbook(book_path)["区财政局"]
    header = int(identity_of(book_path)[layout.ID_HEADER_ROW])
    assert sheet.freeze_panes == f"C{header + 1}"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.print_title_rows.replace("$", "") == f"{header}:{header}"
    assert sheet.cell(header + 1, 2).alignment.wrap_text and sheet.cell(header + 1, 10).alignment.wrap_text
    assert sheet.column_dimensions["B"].width >= 40 and sheet.column_dimensions["J"].width >= 30


def test_one_visible_sheet_and_a_hidden_identity_sheet(book_path):
    book = openpyxl.load_workbook(book_path)
    assert [(s.title, s.sheet_state) for s in book.worksheets] == [("区财政局", "visible"), (layout.IDENTITY_SHEET, "hidden")]
    assert book.vba_archive is None
    with zipfile.ZipFile(book_path) as archive:
        assert not any("vba" in name.lower() for name in archive.namelist())
    ident_rows = read_sheets(book_path)[layout.IDENTITY_SHEET]
    assert [layout.cell_text(row[0]) for row in ident_rows] == list(layout.IDENTITY_KEYS)
    ident = identity_of(book_path)
    assert ident[layout.ID_UNIT] == "区财政局"
    assert ident[layout.ID_PERIOD] == PERIOD
    assert ident[layout.ID_VERSION] == layout.TEMPLATE_VERSION
    assert ident[layout.ID_SHEET] == "区财政局"
    rows = data_rows(book_path)
    assert ident[layout.ID_KEYS].split(layout.KEY_SEPARATOR) == [layout.cell_text(r[0]) for r in rows]
    # the hash recomputed from what a reader sees in the locked cells
    locked = [r[: len(layout.LOCKED_COLUMNS)] for r in rows]
    assert ident[layout.ID_HASH] == layout.locked_hash("区财政局", PERIOD, locked)
    tampered = [list(r) for r in locked]
    tampered[0][1] += "（已完成）"
    assert ident[layout.ID_HASH] != layout.locked_hash("区财政局", PERIOD, tampered)


def test_previous_answers_are_prefilled(tmp_path):
    previous = {
        "2": ReturnRow("2", "2", None, status="按计划推进", percent=45.0, progress="已完成序时进度", issues="", next_steps="加强征管"),
        "2-1": ReturnRow("2-1", "2", 0, value=3.8, value_text="3.8", status="滞后", progress="受减税影响"),
        "4": ReturnRow("4", "4", None, status="进行中", percent=None, value=None, value_text="约一半"),  # invalid: not carried
        "9": ReturnRow("9", "9", None, progress="不在本期表中"),
    }
    path = tmp_path / "a.xlsx"
    write_unit_workbook(path, "区财政局", PERIOD, sample_rows(), DUE, previous=previous)
    rows = {layout.cell_text(r[0]): r for r in data_rows(path)}
    assert rows["2"][6:12] == ["", 45.0, "按计划推进", "已完成序时进度", "", "加强征管"]
    assert rows["2-1"][6:12] == [3.8, "", "滞后", "受减税影响", "", ""]
    assert rows["4"][6:12] == ["", "", "", "", "", ""]
    assert rows["1"][6:12] == ["", "", "", "", "", ""]
    assert "预填" in read_sheets(path)["区财政局"][2][0]
    # the pre-fill never touches the identity: same keys and hash as an empty sheet
    empty = tmp_path / "b.xlsx"
    write_unit_workbook(empty, "区财政局", PERIOD, sample_rows(), DUE)
    assert identity_of(path) == identity_of(empty)


@pytest.mark.parametrize(
    "unit",
    [
        "区发展改革局/统计局:联合专班",
        "长清区" + "重点项目建设推进工作领导小组办公室综合协调服务保障" * 2,  # 40+ characters
        "'[临时]*工作组?'",
        "History",
        "区" * 30 + "😀",  # a surrogate pair across the 31st code unit
    ],
)
def test_sheet_names_are_sanitised(tmp_path, unit):
    name = sheet_name_for(unit)
    assert len(name.encode("utf-16-le")) // 2 <= 31
    assert not set(name) & set("[]:*?/\\")
    assert not name.startswith("'") and not name.endswith("'")
    assert name.lower() != "history" and name
    path = tmp_path / "a.xlsx"
    assert write_unit_workbook(path, unit, PERIOD, sample_rows(), DUE) == name
    assert openpyxl.load_workbook(path).sheetnames == [name, layout.IDENTITY_SHEET]
    ident = identity_of(path)
    assert ident[layout.ID_UNIT] == unit and ident[layout.ID_SHEET] == name
    assert read_sheets(path)[name][1][0] == layout.UNIT_LABEL + unit


def test_sheet_name_is_kept_when_legal():
    assert sheet_name_for("区财政局") == "区财政局"


# ---------------------------------------------------------------- the whole period


def _manifest(folder: Path) -> list[dict[str, str]]:
    with open(folder / layout.MANIFEST_NAME, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_files_manifest_and_zip_are_reproducible(tmp_path):
    duty, index = small_duty()
    plan = plan_split(duty, index)
    folder, archive = tmp_path / "分发", tmp_path / "分单位表.zip"
    write_unit_files(folder, archive, plan, PERIOD, DUE, 2025)
    names = sorted(p.name for p in folder.glob("*.xlsx"))
    assert names == ["01_区财政局.xlsx", "02_区发展改革局.xlsx", "03_文昌街道.xlsx", "04_马山镇.xlsx"]
    manifest = _manifest(folder)
    assert list(manifest[0]) == list(layout.MANIFEST_COLUMNS)
    assert [(m["单位"], m["文件"], m["任务数"], m["指标数"]) for m in manifest] == [
        ("区财政局", "01_区财政局.xlsx", "3", "2"),
        ("区发展改革局", "02_区发展改革局.xlsx", "1", "1"),
        ("文昌街道", "03_文昌街道.xlsx", "3", "0"),
        ("马山镇", "04_马山镇.xlsx", "3", "0"),
    ]
    for m in manifest:
        assert m["SHA256"] == hashlib.sha256((folder / m["文件"]).read_bytes()).hexdigest()
    with zipfile.ZipFile(archive) as bundle:
        assert sorted(bundle.namelist()) == names
    first = {p.name: p.read_bytes() for p in [*folder.iterdir(), archive]}

    write_unit_files(folder, archive, plan, PERIOD, DUE, 2025)
    assert {p.name: p.read_bytes() for p in [*folder.iterdir(), archive]} == first
    assert not list(tmp_path.rglob(".~pyxl-*"))  # no temporaries left behind


def test_one_unit_rerun_keeps_the_others_and_a_full_run_drops_stale_files(tmp_path):
    duty, index = small_duty()
    folder, archive = tmp_path / "分发", tmp_path / "分单位表.zip"
    write_unit_files(folder, archive, plan_split(duty, index), PERIOD, DUE, 2025)
    before = (folder / "02_区发展改革局.xlsx").stat().st_mtime_ns
    duty.tasks[3].text = "化解金融风险，守住底线。"
    plan = plan_split(duty, index)
    output = write_unit_files(folder, archive, plan, PERIOD, DUE, 2025, only=["区财政局"])
    assert [p.name for p in output.written] == ["01_区财政局.xlsx"]
    assert (folder / "02_区发展改革局.xlsx").stat().st_mtime_ns == before
    assert len(_manifest(folder)) == 4
    assert "化解金融风险，守住底线。" in [r[1] for r in data_rows(folder / "01_区财政局.xlsx")]

    duty.tasks = duty.tasks[:1] + duty.tasks[3:]  # 文昌街道 and 马山镇 now only answer for task 1
    duty.tasks[0].responsible_units = ["区财政局"]
    output = write_unit_files(folder, archive, plan_split(duty, index), PERIOD, DUE, 2025)
    assert sorted(p.name for p in output.removed) == ["03_文昌街道.xlsx", "04_马山镇.xlsx"]
    assert sorted(p.name for p in folder.glob("*.xlsx")) == ["01_区财政局.xlsx", "02_区发展改革局.xlsx"]
    with zipfile.ZipFile(archive) as bundle:
        assert len(bundle.namelist()) == 2


def _expand(settings, name: str) -> list[str]:
    """Group members straight from config.yaml (independent of pyxl.common.units)."""
    group = settings.groups.get(name)
    if group is None:
        return [name]
    members: list[str] = []
    for member in group.members:
        members += [m for m in _expand(settings, member) if m not in members]
    return members


def test_every_unit_of_the_example_gets_exactly_its_tasks_and_targets(settings):
    duty = Workspace.load(settings).duty
    result = pipeline.split_sheets(Workspace.load(settings), Period(2025, 6))
    folder = settings.out_dir("2025-06") / "分发"

    lead: dict[str, list] = {}
    responsible: dict[str, list] = {}
    for task in duty.tasks:
        leads = {u for name in task.lead_units for u in _expand(settings, name)}
        others = {u for name in task.responsible_units for u in _expand(settings, name)} - leads
        for unit in leads:
            lead.setdefault(unit, []).append(task)
        for unit in others:
            responsible.setdefault(unit, []).append(task)
    expected: dict[str, list[tuple[str, str]]] = {}
    for unit in set(lead) | set(responsible):
        keys = []
        for task in lead.get(unit, []):
            keys.append((task.number, "牵头"))
            keys += [(f"{task.number}-{i + 1}", "牵头") for i in range(len(task.targets))]
        keys += [(task.number, "责任") for task in responsible.get(unit, [])]
        expected[unit] = keys
    assert {"文昌街道", "马山镇", "区财政局", "大学城管委会"} <= set(expected)  # group members included
    assert not {"各街镇", "相关部门"} & set(expected)

    manifest = _manifest(folder)
    assert sorted(m["单位"] for m in manifest) == sorted(expected)
    assert len(list(folder.glob("*.xlsx"))) == len(expected)
    for entry in manifest:
        path = folder / entry["文件"]
        ident = identity_of(path)
        assert ident[layout.ID_UNIT] == entry["单位"] and ident[layout.ID_PERIOD] == "2025-06"
        got = [(layout.cell_text(r[0]), r[2]) for r in data_rows(path)]
        assert got == expected[entry["单位"]], entry["单位"]
    # the open groups of the example (相关部门, 各部门) are reported, not guessed
    assert {p.code for p in result.problems} >= {"split-open-group"}
    assert result.exit_code == 0  # open groups are hints (severity warning): not errors to act on


def test_cli_split_one_unit_and_an_unknown_unit(settings, workspace, capsys):
    config = str(workspace / "config.yaml")
    assert main(["--config", config, "split", "--period", "2025-06", "--unit", "区财政局"]) in (0, 1)
    out = capsys.readouterr().out
    assert "为 1 个单位生成了填报表" in out
    files = list((workspace / "out" / "2025-06" / "分发").glob("*_区财政局.xlsx"))
    assert len(files) == 1 and len(list(files[0].parent.glob("*.xlsx"))) == 1
    assert main(["--config", config, "split", "--period", "2025-06", "--unit", "区财正局"]) == 2
    err = capsys.readouterr().err
    assert "区财正局" in err and "区财政局" in err and len(err.strip().splitlines()) == 1


def test_split_prefills_each_unit_from_its_last_accepted_return(settings, workspace):
    """May's return, collected through the pipeline, comes back pre-filled in July's sheet (June not returned)."""
    from datetime import datetime

    pipeline.split_sheets(Workspace.load(settings), Period(2025, 5), units=["区财政局"])
    sent = next((workspace / "out" / "2025-05" / "分发").glob("*_区财政局.xlsx"))
    header = int(identity_of(sent)[layout.ID_HEADER_ROW])
    rows = data_rows(sent)
    target_offset = next(i for i, r in enumerate(rows) if "-" in layout.cell_text(r[0]))
    book = openpyxl.load_workbook(sent)
    sheet = book.worksheets[0]
    sheet.cell(header + 1, 8, 40)
    sheet.cell(header + 1, 9, "按计划推进")
    sheet.cell(header + 1, 10, "五月进展：已完成序时任务。")
    sheet.cell(header + 1 + target_offset, 7, 3.9)  # task 2's only target repeats it: the （同上） row asks only the figure
    assert sheet.cell(header + 1 + target_offset, 9).protection.locked
    footer = header + len(rows) + 2
    for label, value in (("填报人", "李四"), ("联系电话", "0531-1234567"), ("填报日期", "2025-06-03")):
        down, col = layout.FOOTER_PLACES[label]
        sheet.cell(footer + down, col + 2, value)
    returned = workspace / "inbox" / "财政局5月.xlsx"
    returned.parent.mkdir(exist_ok=True)
    book.save(returned)
    collected = pipeline.collect_returns(Workspace.load(settings), Period(2025, 5), [returned], now=datetime(2025, 6, 3, 9, 0))
    assert [r.accepted for r in collected.data] == [True], collected.problems

    result = pipeline.split_sheets(Workspace.load(settings), Period(2025, 7), units=["区财政局"])
    assert any("预填" in line for line in result.summary)
    july = next((workspace / "out" / "2025-07" / "分发").glob("*_区财政局.xlsx"))
    got = data_rows(july)
    assert got[0][7:10] == [40.0, "按计划推进", "五月进展：已完成序时任务。"]
    assert got[target_offset][6] == 3.9 and got[target_offset][8] == ""
    assert all(r[6:12] == [""] * 6 for r in got[target_offset + 1:])


def test_prefilled_text_that_looks_like_a_formula_stays_text(tmp_path):
    """A unit's earlier answer "=cmd|..." comes back into next month's sheet as text, never a live formula."""
    previous = {"2": ReturnRow("2", "2", None, status="按计划推进", progress="=cmd|' /C calc'!A0", issues="+1 项", next_steps="@SUM(1)")}
    path = tmp_path / "a.xlsx"
    write_unit_workbook(path, "区财政局", PERIOD, sample_rows(), DUE, previous=previous)
    sheet = openpyxl.load_workbook(path)["区财政局"]
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith(("=", "+", "@"))]
    assert sorted(c.value for c in cells) == ["+1 项", "=cmd|' /C calc'!A0", "@SUM(1)"]
    assert all(c.data_type == "s" for c in cells)


# ---------------------------------------------------------------- what the clerk sees (issue 13)


def test_a_task_whose_targets_repeat_it_is_asked_once(settings):
    """Task 2 (一般公共预算收入增长5%) has one target saying the same: one row per question."""
    pipeline.split_sheets(Workspace.load(settings), Period(2025, 6), units=["区财政局"])
    path = next(settings.distribution_dir("2025-06").glob("*_区财政局.xlsx"))
    header = int(identity_of(path)[layout.ID_HEADER_ROW])
    sheet = openpyxl.load_workbook(path).worksheets[0]
    rows = {layout.cell_text(sheet.cell(r, 1).value): r for r in range(header + 1, header + 40) if sheet.cell(r, 1).value}
    asked = {key: [layout.COLUMNS[c - 1] for c in range(7, len(layout.COLUMNS) + 1) if not sheet.cell(r, c).protection.locked] for key, r in rows.items() if key[:1].isdigit()}
    assert sheet.cell(rows["2-1"], 2).value == "（同上）"
    assert asked["2-1"] == ["本期完成值"]
    assert asked["2"] == ["完成进度(%)", "状态", "进展情况", "存在问题", "下步措施", "佐证材料", "申请新完成时限", "申请理由"]
    # each input column is asked once for task 2 across its two rows (a request on the task row only)
    assert sorted(asked["2"] + asked["2-1"]) == sorted(layout.INPUT_COLUMNS)
    requests = [layout.COLUMNS.index(t) + 1 for t in layout.REQUEST_COLUMNS]
    assert [sheet.cell(rows["2-1"], c).protection.locked for c in requests] == [True, True]
    # no two rows of any unit's sheet show the same task text
    for book_path in settings.distribution_dir("2025-06").glob("*.xlsx"):
        texts = [layout.cell_text(r[1]) for r in data_rows(book_path) if layout.cell_text(r[1]) != "（同上）"]
        keys = [layout.cell_text(r[0]) for r in data_rows(book_path)]
        repeated = [(k, t) for k, t in zip(keys, texts) if texts.count(t) > 1 and "-" in k]
        assert len(repeated) <= sum(1 for k in keys if "-" in k)  # only targets quoting their own phrase


def test_due_date_on_the_sheet_is_a_working_day(settings):
    """June's returns are due on the 5th of July, a Saturday: the sheet says Monday 7 July."""
    pipeline.split_sheets(Workspace.load(settings), Period(2025, 6), units=["区财政局"])
    path = next(settings.distribution_dir("2025-06").glob("*_区财政局.xlsx"))
    text = "\n".join(layout.cell_text(v) for row in read_sheets(path)["区财政局"] for v in row)
    assert "报送截止：2025年7月7日（星期一）" in text and "2025年7月7日（星期一）前" in text
    assert "2025-06" not in text.split("\n")[0]


def test_frozen_rows_leave_most_of_a_laptop_screen_for_the_table(book_path):
    """A 1366×768 laptop shows about 430 pt of sheet at 100 %: the frozen rows take at most a quarter."""
    sheet = openpyxl.load_workbook(book_path)["区财政局"]
    header = int(identity_of(book_path)[layout.ID_HEADER_ROW])
    assert sheet.freeze_panes == f"C{header + 1}"
    frozen = sum(sheet.row_dimensions[r].height or 15 for r in range(1, header + 1))
    assert frozen <= 430 / 4, frozen
    frozen_width = sum(sheet.column_dimensions[c].width for c in "AB")
    assert frozen_width <= 60  # about 430 of a laptop's 1366 pixels


def test_manifest_and_zip_hold_the_bytes_on_disk_after_a_one_unit_rerun(tmp_path):
    """The zip and the manifest's hashes are made from the bytes as written, and from the files of units not rewritten."""
    duty, index = small_duty()
    folder, archive = tmp_path / "分发", tmp_path / "分单位表.zip"
    write_unit_files(folder, archive, plan_split(duty, index), PERIOD, DUE, 2025)
    (folder / "04_马山镇.xlsx").unlink()  # a unit's file lost from the folder: neither listed nor zipped
    duty.tasks[3].text = "化解金融风险，守住底线。"
    write_unit_files(folder, archive, plan_split(duty, index), PERIOD, DUE, 2025, only=["区财政局"])
    on_disk = {p.name: p.read_bytes() for p in folder.glob("*.xlsx")}
    assert sorted(on_disk) == ["01_区财政局.xlsx", "02_区发展改革局.xlsx", "03_文昌街道.xlsx"]
    manifest = _manifest(folder)
    assert [m["文件"] for m in manifest] == sorted(on_disk)
    for m in manifest:
        assert m["SHA256"] == hashlib.sha256(on_disk[m["文件"]]).hexdigest()
    with zipfile.ZipFile(archive) as bundle:
        assert bundle.namelist() == sorted(on_disk)
        assert {name: bundle.read(name) for name in bundle.namelist()} == on_disk
    assert "化解金融风险，守住底线。" in [r[1] for r in data_rows(folder / "01_区财政局.xlsx")]

