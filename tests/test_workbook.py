"""The master workbook Responsibilities.xlsm: built from text sources, read back, replaced safely.

The committed workbook/Responsibilities.xlsm is what `pyxl build-workbook`
makes in a fresh workspace (`pyxl init`) from the bundled example; to
refresh it after changing the sources:

    pyxl init /tmp/ws && python -c "from pyxl.example import use_example_document as u; u('/tmp/ws')"
    cd /tmp/ws && pyxl build-workbook && cp workbook/Responsibilities.xlsm <repo>/workbook/
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from pyxl import pipeline
from pyxl.common.config import Settings, load_settings
from pyxl.common.errors import PyxlError
from pyxl.document.parse import parse_document
from pyxl.example import use_example_document
from pyxl.master import build as workbook_build
from pyxl.master import rows as master
from pyxl.master import xlsm
from pyxl.master.memory import MemoryBook
from pyxl.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2025, 7, 1, 9, 30, 0)
SHEETS = ["使用说明", "任务清单", "指标", "单位", "设置", "申请审批", "销号", "退回重报", "xlwings.conf", "生成记录"]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Settings, Path]:
    """A workspace made from the example, with the workbook built once for the read-only tests."""
    import shutil

    from pyxl.example import example_config

    folder = tmp_path_factory.mktemp("ws")
    shutil.copy(example_config(), folder / "config.yaml")
    use_example_document(folder)
    settings = load_settings(folder / "config.yaml")
    pipeline.build_workbook(Workspace.load(settings), now=NOW)
    return settings, settings.workbook_path


def _code(text: str) -> list[str]:
    """A module's code lines: without Attribute lines or the VERSION/BEGIN..END preamble of a .cls export."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[0].startswith("VERSION "):
        end = lines.index("END")
        lines = lines[end + 1:]
    lines = [line.rstrip() for line in lines if not line.startswith("Attribute ")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


# ---------------------------------------------------------------- content


def test_opens_in_openpyxl_with_the_sheets_and_the_example_tasks(built):
    _, path = built
    book = openpyxl.load_workbook(path, read_only=False)  # reading is fine; never save it with openpyxl
    assert book.sheetnames == SHEETS
    assert book["xlwings.conf"].sheet_state == "hidden"
    assert book["生成记录"].sheet_state == "hidden"
    tasks = book["任务清单"]
    assert [c.value for c in tasks[1]] == list(master.TASK_HEADERS)
    assert tasks.max_row - 1 == 89
    assert tasks.freeze_panes == "A2"
    assert tasks.auto_filter.ref.startswith("A1:H")
    assert tasks.column_dimensions["D"].width > 40  # 任务内容 readable
    assert tasks["D2"].alignment.wrap_text
    assert [c.value for c in book["指标"][1]][:9] == list(master.INDICATOR_HEADERS[:9])
    assert [c.value for c in book["单位"][1]] == list(master.UNIT_HEADERS)
    labels = [row[0].value for row in book["设置"].iter_rows(min_row=2)]
    assert {"当前期次", "回收截止日", "黄灯比例"} <= set(labels)
    conf = {row[0].value: row[1].value for row in book["xlwings.conf"].iter_rows()}
    assert {"Interpreter_Win", "PYTHONPATH"} <= set(conf)


def test_every_visible_sheet_prints_on_a4_fit_to_width_with_its_header_on_each_page(built):
    _, path = built
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        if sheet.sheet_state != "visible":
            continue
        setup = sheet.page_setup
        assert setup.paperSize == 9, sheet.title
        assert setup.orientation == ("portrait" if sheet.title == "使用说明" else "landscape"), sheet.title
        # fitToWidth 1 is the file format's default, which XlsxWriter leaves out
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and (setup.fitToWidth or 1, setup.fitToHeight) == (1, 0), sheet.title
        assert "&P" in sheet.oddFooter.center.text, sheet.title
        if sheet.title != "使用说明":
            assert sheet.print_title_rows.replace("$", "") == "1:1", sheet.title
            assert all(sheet.cell(2, c).alignment.wrap_text for c in range(1, sheet.max_column + 1) if sheet.cell(2, c).value), sheet.title


def test_usage_sheet_describes_what_the_workbook_holds(built):
    from pyxl.common.model import SHEET_NAMES
    from pyxl.outputs.dashboard import SHEET_NAME

    _, path = built
    book = openpyxl.load_workbook(path)
    usage = "\n".join(str(c.value) for row in book["使用说明"].iter_rows() for c in row if c.value)
    for name in book.sheetnames:  # every sheet it has
        assert name in usage, name
    for name in (*SHEET_NAMES.values(), SHEET_NAME):  # and every sheet the buttons add to it
        assert name in usage, name
    for header in (*master.TASK_HEADERS, *master.UNIT_HEADERS):
        assert header in usage, header
    for button in workbook_build.ribbon_buttons():
        assert button.label in usage


def test_calamine_reads_the_same_duty_table_the_parser_makes(built):
    settings, path = built
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == SHEETS
    read = Workspace.load(settings).duty  # the saved master
    parsed = parse_document(settings.document_path, settings.unit_directory(), settings.year)
    assert len(read.tasks) == len(parsed.tasks) == 89
    assert read.problems == []
    assert (read.title, read.year, read.sections) == (parsed.title, parsed.year, parsed.sections)
    for mine, theirs in zip(read.tasks, parsed.tasks):
        fields = ("number", "section", "subsection", "text", "lead_units", "responsible_units", "targets", "deadlines")
        assert [getattr(mine, f) for f in fields] == [getattr(theirs, f) for f in fields], mine.number


def test_unit_directory_comes_from_the_unit_sheet(built):
    settings, _ = built
    directory = Workspace.load(settings).directory
    assert directory == settings.unit_directory()  # fresh build: the sheet holds config.yaml's units
    multi = next(u for u in directory.units if len(u.aliases) > 1)
    assert master.split_list(master.join_list(multi.aliases)) == list(multi.aliases)


# ---------------------------------------------------------------- the VBA project and the ribbon


@pytest.mark.filterwarnings("ignore")  # olevba's pyparsing deprecation noise
def test_vba_modules_read_back_identical_to_their_sources(built):
    from oletools.olevba import VBA_Parser
    from pyopenvba import ExcelFile

    _, path = built
    sources = xlsm.vba_sources()
    assert {"Ribbon", "xlwings", "Dictionary"} <= set(sources)
    with ExcelFile(path) as book:
        modules = book.vba_modules()
        assert book.validate() == []
    parser = VBA_Parser(str(path))
    try:
        extracted = {Path(name).stem: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()
    for name, (source, _) in sources.items():
        assert _code(modules[name]) == _code(source), f"pyOpenVBA: {name}"
        assert _code(extracted[name]) == _code(source), f"olevba: {name}"
    # The xlwings module is the installed package's, so its version equals the Python side's.
    import importlib.metadata

    assert f"'Version: {importlib.metadata.version('xlwings')}" in sources["xlwings"][0]


def test_vba_project_makes_excel_compile_from_source(built):
    from pyopenvba.cfb import CFB

    _, path = built
    with zipfile.ZipFile(path) as package:
        cfb = CFB.from_bytes(package.read("xl/vbaProject.bin"))
    assert cfb.get_stream_in_storage("VBA", "_VBA_PROJECT") == b"\xcc\x61\xff\xff\x00\x01\x00"
    assert not [n for n in cfb.list_streams_in_storage("VBA") if n.startswith("__SRP_")]


def test_own_vba_sources_are_ascii():
    paths = [*(REPO / "workbook" / "vba").glob("*.bas"), *(REPO / "workbook" / "vba").glob("*.cls")]
    assert paths
    for path in paths:
        path.read_bytes().decode("ascii")  # raises on any non-ASCII byte
    xlsm.ribbon_text_module().encode("ascii")  # the generated module of Chinese messages too


def _custom_ui(path: Path) -> dict[str, ElementTree.Element]:
    with zipfile.ZipFile(path) as package:
        return {name: ElementTree.fromstring(package.read(name)) for name in (xlsm.CUSTOM_UI_14, xlsm.CUSTOM_UI_12)}


def test_ribbon_parts_relationships_and_content_type(built):
    _, path = built
    with zipfile.ZipFile(path) as package:
        rels = ElementTree.fromstring(package.read("_rels/.rels"))
        types = package.read("[Content_Types].xml").decode("utf-8")
    targets = {r.get("Type"): r.get("Target") for r in rels}
    assert targets[xlsm.REL_UI_14] == xlsm.CUSTOM_UI_14
    assert targets[xlsm.REL_UI_12] == xlsm.CUSTOM_UI_12
    assert re.search(r'PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.sheet.macroEnabled.main\+xml"', types)
    parts = _custom_ui(path)
    assert parts[xlsm.CUSTOM_UI_14].tag == f"{{{xlsm.NS_UI_14}}}customUI"
    assert parts[xlsm.CUSTOM_UI_12].tag == f"{{{xlsm.NS_UI_12}}}customUI"
    tabs = [e.get("label") for e in parts[xlsm.CUSTOM_UI_14].iter() if e.tag.endswith("}tab")]
    assert tabs == ["督查督办"]


def test_every_button_calls_an_existing_public_sub_and_names_a_pipeline_step(built):
    from pyopenvba import ExcelFile

    _, path = built
    with ExcelFile(path) as book:
        code = "\n".join(book.vba_modules().values())
    subs = set(re.findall(r"^Public Sub (\w+)\(control As IRibbonControl\)", code, re.MULTILINE))
    for name, root in _custom_ui(path).items():
        buttons = [e for e in root.iter() if e.get("onAction")]
        assert len(buttons) == 11, name
        for button in buttons:
            assert button.get("onAction") in subs, (name, button.get("id"))
            assert callable(getattr(pipeline, button.get("id"))), button.get("id")
    labels = [b.label for b in workbook_build.ribbon_buttons()]
    assert labels == ["导入分工文件", "生成分单位表", "发送/预览邮件", "收取回执", "确认报表", "退回重报", "审批申请", "汇总与预警",
                      "销号", "生成通报", "打开输出文件夹"]


@pytest.mark.libreoffice
def test_libreoffice_opens_the_workbook_and_lists_the_modules(built):
    sys.path.insert(0, str(REPO / "tests"))
    from clerk import SYSTEM_PYTHON, require_libreoffice

    require_libreoffice()
    _, path = built
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(LANG="C.UTF-8", LC_ALL="C.UTF-8")
    run = subprocess.run([SYSTEM_PYTHON, str(REPO / "tests/data/workbook/list_vba_modules.py"), str(path), "90"],
                         capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    listed = json.loads(run.stdout.strip().splitlines()[-1])
    assert listed["sheets"] == SHEETS
    modules = {m for names in listed["libraries"].values() for m in names}
    assert {"Ribbon", "xlwings", "Dictionary", "ThisWorkbook"} <= modules


# ---------------------------------------------------------------- the committed workbook


def _content(path: Path) -> dict:
    from pyopenvba import ExcelFile

    book = CalamineWorkbook.from_path(str(path))
    sheets = {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}
    with ExcelFile(path) as vba:
        modules = {name: _code(source) for name, source in vba.vba_modules().items()}
    with zipfile.ZipFile(path) as package:
        parts = {name: package.read(name) for name in (xlsm.CUSTOM_UI_14, xlsm.CUSTOM_UI_12, "_rels/.rels",
                                                       "[Content_Types].xml")}
    return {"sheets": sheets, "modules": modules, "parts": parts}


def test_committed_workbook_is_what_the_build_makes(tmp_path):
    folder = tmp_path / "ws"
    pipeline.init_workspace(folder)
    use_example_document(folder)
    pipeline.build_workbook(Workspace.load(load_settings(folder / "config.yaml")), now=NOW)
    committed = REPO / "workbook" / "Responsibilities.xlsm"
    assert committed.exists(), "workbook/Responsibilities.xlsm is missing: build it (see this module's docstring)"
    assert _content(committed) == _content(folder / "workbook" / "Responsibilities.xlsm"), (
        "workbook/Responsibilities.xlsm is stale: rebuild it (see this module's docstring) and commit it"
    )


# ---------------------------------------------------------------- replacing it safely


def test_refuses_while_excel_holds_the_workbook(settings):
    pipeline.build_workbook(Workspace.load(settings), now=NOW)
    before = settings.workbook_path.read_bytes()
    workbook_build.lock_file(settings.workbook_path).write_bytes(b"\x00")
    with pytest.raises(PyxlError, match="正在 Excel 中打开"):
        pipeline.build_workbook(Workspace.load(settings), force=True, now=NOW)
    with pytest.raises(PyxlError, match="正在 Excel 中打开"):
        pipeline.excel_setup(Workspace.load(settings), now=NOW)
    assert settings.workbook_path.read_bytes() == before
    assert not (settings.workbook_path.parent / workbook_build.BACKUP_FOLDER).exists()


def test_refuses_to_replace_without_force(settings):
    pipeline.build_workbook(Workspace.load(settings), now=NOW)
    with pytest.raises(PyxlError, match="--force"):
        pipeline.build_workbook(Workspace.load(settings), now=NOW)


def _edit_like_a_clerk(settings: Settings) -> None:
    """Staff edit the master in Excel and save: a note, an annual-only mark, an e-mail, the period."""
    book = MemoryBook.open(settings.workbook_path)
    tasks, indicators, units, values = (book.read_table(s) for s in ("任务清单", "指标", "单位", "设置"))
    tasks[1][7] = "已与区发改局核实"
    indicators[1][7] = "是"
    units[1][4] = "new@changqing.example、second@changqing.example"
    next(row for row in values if row[0] == "当前期次")[1] = "2025-09"
    for name, rows in (("任务清单", tasks), ("指标", indicators), ("单位", units), ("设置", values)):
        book.write_table(name, rows)
    book.save()


def test_force_keeps_staff_edits_and_a_backup(settings):
    pipeline.build_workbook(Workspace.load(settings), now=NOW)
    _edit_like_a_clerk(settings)
    edited = settings.workbook_path.read_bytes()
    result = pipeline.build_workbook(Workspace.load(settings), force=True, now=datetime(2025, 7, 2, 8, 0, 5))
    backup = settings.workbook_path.parent / "备份" / "Responsibilities-20250702-080005.xlsm"
    assert backup.read_bytes() == edited
    assert any("备份" in line for line in result.summary)
    duty = Workspace.load(settings).duty
    assert duty.tasks[0].note == "已与区发改局核实"
    assert next(t for t in duty.tasks if t.targets).targets[0].annual_only
    unit = Workspace.load(settings).directory.units[0]
    assert unit.emails == ("new@changqing.example", "second@changqing.example")
    values = master.read_master(settings.workbook_path).settings_values()
    assert values["当前期次"] == "2025-09"


def test_reimport_rewrites_the_tasks_but_keeps_the_unit_and_setting_edits(settings):
    pipeline.build_workbook(Workspace.load(settings), now=NOW)
    _edit_like_a_clerk(settings)
    result = pipeline.build_workbook(Workspace.load(settings), force=True, reimport=True, now=datetime(2025, 7, 2, 8, 0, 0))
    duty = Workspace.load(settings).duty
    assert duty.tasks[0].note == ""  # 任务清单 and 指标 are the document's again
    assert not any(t.annual_only for task in duty.tasks for t in task.targets)
    # the e-mails the clerk typed into 单位 and the period in 设置 are not the document's to discard
    unit = Workspace.load(settings).directory.units[0]
    assert unit.emails == ("new@changqing.example", "second@changqing.example")
    assert master.read_master(settings.workbook_path).settings_values()["当前期次"] == "2025-09"
    assert any("单位" in line and "保留" in line for line in result.summary)


def _add_to_config(settings: Settings, text: str) -> Settings:
    path = settings.root / "config.yaml"
    config = path.read_text(encoding="utf-8")
    anchor = "  # 市直派驻机构\n"
    path.write_text(config.replace(anchor, text + anchor), encoding="utf-8")
    return load_settings(path)


def test_rebuild_takes_in_units_and_aliases_added_to_config_since(settings):
    pipeline.build_workbook(Workspace.load(settings), now=NOW)
    _edit_like_a_clerk(settings)
    settings = _add_to_config(
        settings,
        "  - {name: 区档案馆, kind: 区直部门, aliases: [区档案局], contact: 待填写, email: [daj@changqing.example]}\n",
    )
    config = (settings.root / "config.yaml").read_text(encoding="utf-8")
    (settings.root / "config.yaml").write_text(config.replace("aliases: [区发改局]", "aliases: [区发改局, 区发展和改革局]"),
                                               encoding="utf-8")
    settings = load_settings(settings.root / "config.yaml")
    result = pipeline.build_workbook(Workspace.load(settings), force=True, now=datetime(2025, 7, 2, 8, 0, 0))
    units = {u.name: u for u in Workspace.load(settings).directory.units}
    assert units["区档案馆"].emails == ("daj@changqing.example",)
    assert units["区发展改革局"].aliases == ("区发改局", "区发展和改革局")
    assert units["区发展改革局"].emails == ("new@changqing.example", "second@changqing.example")  # the clerk's
    assert any("区档案馆" in line for line in result.summary) and any("区发展和改革局" in line for line in result.summary)
    # a second rebuild has nothing new to take in
    again = pipeline.build_workbook(Workspace.load(settings), force=True, now=datetime(2025, 7, 2, 8, 0, 1))
    assert not any("config.yaml" in line for line in again.summary)


def test_reimport_resolves_names_through_aliases_typed_into_the_unit_sheet(settings, tmp_path):
    pipeline.build_workbook(Workspace.load(settings), now=NOW)
    book = MemoryBook.open(settings.workbook_path)
    units = book.read_table("单位")
    units[1][2] = "区发改局、发改委"  # the clerk teaches the master a new spelling
    book.write_table("单位", units)
    book.save()
    document = tmp_path / "分工.txt"
    document.write_text("2025年重点工作责任分工\n一、经济\n1.新增就业100人。（牵头单位：发改委）\n", encoding="utf-8")
    result = pipeline.build_workbook(Workspace.load(settings), document, force=True, reimport=True, now=datetime(2025, 7, 2, 8, 0, 0))
    assert result.problems == []
    assert Workspace.load(settings).duty.tasks[0].lead_units == ["区发展改革局"]


def test_failed_build_leaves_the_old_workbook_untouched(settings, tmp_path):
    pipeline.build_workbook(Workspace.load(settings), now=NOW)
    before = settings.workbook_path.read_bytes()
    broken = tmp_path / "分工.docx"
    broken.write_bytes(b"not a zip file")  # a damaged Word file: the import fails
    with pytest.raises(PyxlError):
        pipeline.build_workbook(Workspace.load(settings), broken, force=True, reimport=True, now=NOW)
    assert settings.workbook_path.read_bytes() == before
    assert not (settings.workbook_path.parent / workbook_build.BACKUP_FOLDER).exists()
    assert [p.name for p in settings.workbook_path.parent.iterdir()] == ["Responsibilities.xlsm"]


def test_two_rebuilds_in_one_second_keep_both_backups(settings):
    pipeline.build_workbook(Workspace.load(settings), now=NOW)
    original = settings.workbook_path.read_bytes()
    same_second = datetime(2025, 7, 2, 8, 0, 0)
    pipeline.build_workbook(Workspace.load(settings), force=True, now=same_second)
    rebuilt = settings.workbook_path.read_bytes()
    assert rebuilt != original  # the build time is in the file: the two backups are told apart
    pipeline.build_workbook(Workspace.load(settings), force=True, now=same_second)
    folder = settings.workbook_path.parent / "备份"
    assert (folder / "Responsibilities-20250702-080000.xlsm").read_bytes() == original  # not overwritten
    assert (folder / "Responsibilities-20250702-080000-2.xlsm").read_bytes() == rebuilt


def test_renamed_sheet_says_how_to_recover_without_a_dead_end(settings):
    pipeline.build_workbook(Workspace.load(settings), now=NOW)
    with zipfile.ZipFile(settings.workbook_path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace("name=\"单位\"".encode(), "name=\"单位名录\"".encode())
    with zipfile.ZipFile(settings.workbook_path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    for step in (lambda: Workspace.load(settings).duty, lambda: pipeline.build_workbook(Workspace.load(settings), force=True, now=NOW)):
        with pytest.raises(PyxlError) as raised:
            step()
        message = str(raised.value)
        assert "「单位」" in message and "备份" in message and "--reimport" not in message  # that would fail the same way


def test_damaged_master_is_refused_with_a_message(settings):
    settings.workbook_path.parent.mkdir(parents=True)
    settings.workbook_path.write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(PyxlError, match="无法读取主控工作簿"):
        Workspace.load(settings).duty
    with pytest.raises(PyxlError, match="无法读取主控工作簿"):
        pipeline.build_workbook(Workspace.load(settings), force=True, now=NOW)


def test_excel_setup_writes_this_python_and_keeps_edits(settings):
    pipeline.build_workbook(Workspace.load(settings), now=NOW)
    _edit_like_a_clerk(settings)
    pipeline.excel_setup(Workspace.load(settings), now=datetime(2025, 7, 3, 10, 0, 0))
    saved = master.read_master(settings.workbook_path)
    conf = saved.conf_values()
    assert conf["Interpreter_Win" if sys.platform != "darwin" else "Interpreter_Mac"] == sys.executable
    assert Path(conf["PYTHONPATH"], "pyxl", "__init__.py").exists()
    assert Workspace.load(settings).duty.tasks[0].note == "已与区发改局核实"
    # a later rebuild keeps the interpreter
    pipeline.build_workbook(Workspace.load(settings), force=True, reimport=True, now=datetime(2025, 7, 4, 10, 0, 0))
    assert master.read_master(settings.workbook_path).conf_values()["PYTHONPATH"] == conf["PYTHONPATH"]


def test_machine_conf_prefers_pythonw_on_windows(tmp_path):
    (tmp_path / "python.exe").write_bytes(b"")
    (tmp_path / "pythonw.exe").write_bytes(b"")
    conf = workbook_build.machine_conf(str(tmp_path / "python.exe"), "win32", environ={})
    assert conf["Interpreter_Win"] == str(tmp_path / "pythonw.exe")


# ---------------------------------------------------------------- reading what staff typed


def test_bad_cells_in_the_master_are_problems_with_their_cell(settings):
    pipeline.build_workbook(Workspace.load(settings), now=NOW)
    book = MemoryBook.open(settings.workbook_path)
    indicators = book.read_table("指标")
    indicators[1][2] = "六"  # 目标值 in words
    indicators[2][5] = "速度"  # not a kind
    indicators.append(["999", "不存在的任务的指标", 1, None, "个", "数量", "不低于", "否", None, ""])
    tasks = book.read_table("任务清单")
    tasks[2][6] = "6月底前（2025-13-45）"
    book.write_table("指标", indicators)
    book.write_table("任务清单", tasks)
    book.save()
    duty = Workspace.load(settings).duty
    found = {(p.code, p.sheet, p.cell) for p in duty.problems}
    assert found == {
        ("master-bad-cell", "指标", "C2"),
        ("master-bad-cell", "指标", "F3"),
        ("master-unknown-task", "指标", f"A{len(indicators)}"),
        ("master-bad-cell", "任务清单", "G3"),
    }
    assert len(duty.tasks) == 89


def test_a_unit_kind_is_the_offices_own_label_and_an_empty_one_is_other(settings):
    pipeline.build_workbook(Workspace.load(settings), now=NOW)
    book = MemoryBook.open(settings.workbook_path)
    units = book.read_table("单位")
    units[2][1] = "县直部门"  # a county's word for it
    units[3][1] = None
    book.write_table("单位", units)
    book.save()
    directory, problems = master.read_master(settings.workbook_path).unit_directory(settings)
    assert problems == []
    assert (directory.units[1].kind, directory.units[2].kind) == ("县直部门", "其他")


def test_deadline_cells_round_trip():
    from pyxl.common.model import Deadline

    deadlines = [Deadline("6月份竣工", date(2025, 6, 30)), Deadline("尽快", None), Deadline("2025-09-30", date(2025, 9, 30))]
    assert master.parse_deadlines(master.format_deadlines(deadlines)) == deadlines
    assert master.parse_deadlines(datetime(2025, 12, 31)) == [Deadline("2025-12-31", date(2025, 12, 31))]
    with pytest.raises(ValueError):
        master.parse_deadlines("年底（2025-02-30）")


def test_period_typed_into_excel_as_a_date_still_counts(settings):
    changed = master.apply_master_settings(settings, {"当前期次": datetime(2025, 9, 1), "回收截止日": 8.0})
    assert changed.period.current == "2025-09"
    assert changed.period.return_due_day == 8
    assert changed.root == settings.root
    assert master.apply_master_settings(settings, {"回收截止日": None}).period.return_due_day == settings.period.return_due_day


@pytest.mark.parametrize(
    "label, value, words",
    [
        ("回收截止日", 40, "不大于 31"),
        ("回收截止日", "下月", "应为整数"),
        ("黄灯比例", 90, "不大于 1"),  # a percentage typed as 90 instead of 90%
        ("连续未更新期数", 1.5, "整数"),
        ("当前期次", "2025年6月", "2025-06"),
    ],
)
def test_a_setting_that_cannot_be_right_stops_the_step_and_names_its_row(settings, label, value, words):
    with pytest.raises(PyxlError) as raised:
        master.apply_master_settings(settings, {label: value})
    message = str(raised.value)
    assert f"「设置」表中「{label}」" in message and words in message, message
