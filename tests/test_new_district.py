"""A new county sets up pyxl: from `pyxl init` to its first split, and every newcomer's slip on the way.

Each slip is a user mistake, so each ends in exit 2 and one Chinese line naming
what to change and where — never an internal error, never a silent run on the
bundled example.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
import yaml
from python_calamine import CalamineWorkbook

from pyxl.cli import main
from pyxl.common.model import LedgerEntry
from pyxl.master import rows as master
from pyxl.returns import archive

COUNTY = "沁县"
UNITS = [
    {"name": "县发展改革局", "kind": "县直部门", "aliases": ["县发改局"], "email": ["fgj@qinxian.example"]},
    {"name": "县财政局", "kind": "县直部门", "email": ["czj@qinxian.example"]},
    {"name": "县统计局", "kind": "县直部门", "email": ["tjj@qinxian.example"]},
    {"name": "县农业农村局", "kind": "县直部门", "email": ["nyj@qinxian.example"]},
    {"name": "定昌镇", "kind": "乡镇", "email": ["dingchang@qinxian.example"]},
    {"name": "郭村镇", "kind": "乡镇", "email": ["guocun@qinxian.example"]},
]
GROUPS = {"各乡镇": {"members": ["定昌镇", "郭村镇"]}, "相关部门": {"open": True, "aliases": ["相关单位"]}}
TITLE = "2025年沁县政府工作报告重点工作责任分工"
# (number, section, task, lead, responsible): what each format below writes
TASKS = [
    ("1", "一、稳定经济增长", "地区生产总值增长6%。", "县发展改革局", "县统计局、各乡镇"),
    ("2", "一、稳定经济增长", "一般公共预算收入增长5%。", "县财政局", "各乡镇"),
    ("3", "二、建设美丽乡村", "新建高标准农田2万亩，6月底前完成年度任务的一半。", "县农业农村局", "定昌镇、郭村镇"),
]


def _txt(folder: Path) -> Path:
    lines = [TITLE, ""]
    section = None
    for number, heading, text, lead, responsible in TASKS:
        if heading != section:
            lines += [heading, ""]
            section = heading
        lines += [f"{number}.{text}（牵头单位：{lead}；责任单位：{responsible}）", ""]
    path = folder / "沁县2025年重点工作责任分工.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _docx(folder: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(TITLE, level=1)
    section = None
    for number, heading, text, lead, responsible in TASKS:
        if heading != section:
            document.add_paragraph(heading)
            section = heading
        document.add_paragraph(f"{number}.{text}（牵头单位：{lead}；责任单位：{responsible}）")
    path = folder / "沁县2025年重点工作责任分工.docx"
    document.save(path)
    return path


def _xlsx(folder: Path) -> Path:
    """The 分工表 as a county office receives it: a title row, a header row, a merged row per section."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([TITLE])
    sheet.merge_cells("A1:E1")
    sheet.append(["序号", "目标与任务", "分管县领导", "牵头责任单位", "责任单位"])
    section = None
    for number, heading, text, lead, responsible in TASKS:
        if heading != section:
            sheet.append([heading])
            sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=5)
            section = heading
        sheet.append([int(number), text, "张三", lead, responsible])
    path = folder / "沁县2025年重点工作责任分工.xlsx"
    book.save(path)
    return path


DOCUMENTS = [
    pytest.param(_txt, id="txt"),
    pytest.param(_docx, id="docx"),
    pytest.param(_xlsx, id="xlsx"),  # a 县 whose 分工 is an Excel table (issue 14's walk)
]


def _config(folder: Path) -> dict:
    return yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))


def _save_config(folder: Path, data: dict) -> None:
    (folder / "config.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _county(folder: Path, write_document=_txt) -> Path:
    """`pyxl init`, then the settings edited as the county's clerk would: district, units, groups, mail, document."""
    assert main(["init", str(folder)]) == 0
    document = write_document(folder)
    data = _config(folder)
    data["district"] = COUNTY
    data["paths"]["document"] = document.name
    data["mail"]["sender"] = "沁县政府督查室 <dcs@qinxian.example>"
    data["units"] = UNITS
    data["groups"] = GROUPS
    _save_config(folder, data)
    return folder / "config.yaml"


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "程序内部错误" not in lines[0]
    return lines[0]


def _settings_sheet(config: Path) -> dict[str, str]:
    book = CalamineWorkbook.from_path(str(config.parent / "workbook" / "Responsibilities.xlsm"))
    rows = book.get_sheet_by_name(master.SHEET_SETTINGS).to_python()
    return {master.cell_str(row[0]): master.cell_str(row[1]) for row in rows[1:]}


def _unit_sheet(config: Path) -> list[str]:
    book = CalamineWorkbook.from_path(str(config.parent / "workbook" / "Responsibilities.xlsm"))
    return [master.cell_str(row[0]) for row in book.get_sheet_by_name(master.SHEET_UNITS).to_python()[1:] if row[0]]


# ---------------------------------------------------------------- the walk


@pytest.mark.parametrize("write_document", DOCUMENTS)
def test_a_county_goes_from_init_to_its_first_split(tmp_path, capsys, write_document):
    config = _county(tmp_path / "沁县督查", write_document)

    code, out, err = _run(capsys, "--config", str(config), "build-workbook")
    assert code == 0, out + err  # its one open group is not in the document: a clean import
    assert "任务 3 项" in out
    settings = _settings_sheet(config)
    assert settings["区县"] == COUNTY and settings["分工文件"].startswith("沁县2025年")
    assert sorted(_unit_sheet(config)) == sorted(u["name"] for u in UNITS)  # none of the example's 51

    code, out, err = _run(capsys, "--config", str(config), "split", "--period", "2025-06")
    assert code == 0, out + err
    written = sorted(p.stem for p in (config.parent / "out" / "2025-06" / "分发").glob("*.xlsx"))
    assert len(written) == len(UNITS) and all(any(u["name"] in name for name in written) for u in UNITS)

    code, out, err = _run(capsys, "--config", str(config), "send", "--period", "2025-06", "--dry-run")
    assert code == 0, out + err
    drafts = list((config.parent / "out" / "2025-06" / "outbox").glob("*.eml"))
    text = b"".join(p.read_bytes() for p in drafts).decode("utf-8", "replace")
    import email

    subjects = [str(email.header.make_header(email.header.decode_header(email.message_from_bytes(p.read_bytes())["Subject"])))
                for p in drafts]
    assert all(subject.startswith("【沁县人民政府督查室】") for subject in subjects), subjects
    assert "长清" not in text and "长清" not in "".join(subjects)


# ---------------------------------------------------------------- no silent example


def test_a_fresh_workspace_without_a_document_refuses_instead_of_using_the_example(tmp_path, capsys):
    folder = tmp_path / "新区县"
    assert main(["init", str(folder)]) == 0
    capsys.readouterr()
    for command in (["build-workbook"], ["split", "--period", "2025-06"], ["parse"]):
        code, out, err = _run(capsys, "--config", str(folder / "config.yaml"), *command)
        assert code == 2 and out == ""
        assert "paths.document" in _one_line(err)
    assert not (folder / "out" / "2025-06").exists()


def test_a_master_built_for_another_district_refuses_to_split_or_mail_until_reimported(tmp_path, capsys):
    config = _county(tmp_path / "ws")
    assert main(["--config", str(config), "build-workbook"]) == 0
    data = _config(config.parent)
    data["district"] = "武乡县"  # the config now says another county; the master's tasks are 沁县's
    _save_config(config.parent, data)
    capsys.readouterr()
    for command in ("split", "send"):
        code, _, err = _run(capsys, "--config", str(config), command, "--period", "2025-06")
        line = _one_line(err)
        assert code == 2 and "沁县" in line and "武乡县" in line and "--reimport" in line
    assert main(["--config", str(config), "build-workbook", "--force", "--reimport"]) == 0
    assert _settings_sheet(config)["区县"] == "武乡县"
    assert main(["--config", str(config), "split", "--period", "2025-06"]) == 0


# ---------------------------------------------------------------- one home per setting


def test_config_edits_after_the_build_are_refused_naming_the_settings_sheet_then_applied_by_a_rebuild(tmp_path, capsys):
    config = _county(tmp_path / "ws")
    assert main(["--config", str(config), "build-workbook"]) == 0
    data = _config(config.parent)
    data["period"]["current"] = "2025-07"
    data["period"]["return_due_day"] = 10
    _save_config(config.parent, data)
    capsys.readouterr()

    code, _, err = _run(capsys, "--config", str(config), "split")
    line = _one_line(err)
    assert code == 2 and "period.return_due_day" in line and "「设置」表" in line and "回收截止日" in line

    data["period"]["return_due_day"] = 5  # back as built: now only the period differs
    _save_config(config.parent, data)
    code, _, err = _run(capsys, "--config", str(config), "split")
    line = _one_line(err)
    assert code == 2 and "period.current" in line and "当前期次" in line and "--period" in line
    assert main(["--config", str(config), "split", "--period", "2025-06"]) == 0  # --period overrides both homes

    data["period"]["return_due_day"] = 10
    _save_config(config.parent, data)
    code, out, _ = _run(capsys, "--config", str(config), "build-workbook", "--force")
    assert code == 0 and "「当前期次」按 config.yaml 改为「2025-07」" in out
    assert (_settings_sheet(config)["当前期次"], _settings_sheet(config)["回收截止日"]) == ("2025-07", "10")
    code, out, _ = _run(capsys, "--config", str(config), "split")
    assert code == 0 and "2025年7月" in out and "2025年8月11日" in out  # 10 August is a Sunday: due on Monday


def test_a_replaced_unit_list_replaces_the_unit_sheet_and_names_units_tasks_still_need(tmp_path, capsys):
    folder = tmp_path / "ws"
    assert main(["init", str(folder)]) == 0
    from pyxl.example import use_example_document

    use_example_document(folder)  # first set up as the example district
    config = folder / "config.yaml"
    assert main(["--config", str(config), "build-workbook"]) == 0
    assert len(_unit_sheet(config)) == 51

    data = _config(folder)  # the county's list, but the tasks not yet re-imported
    data["units"] = UNITS
    data["groups"] = GROUPS
    _save_config(folder, data)
    capsys.readouterr()
    code, out, _ = _run(capsys, "--config", str(config), "build-workbook", "--force")
    assert code == 0
    left = _unit_sheet(config)
    assert len(left) == 51 + len(UNITS)  # the example's tasks still name every one of its units: kept, and said so
    assert "51 个单位已不在 config.yaml 的 units 中，但任务清单仍写着它们" in out
    assert "区发展改革局（第 1、4、" in out and "--reimport" in out

    document = _txt(folder)
    data["paths"]["document"] = document.name
    data["district"] = COUNTY
    _save_config(folder, data)
    code, out, _ = _run(capsys, "--config", str(config), "build-workbook", "--force", "--reimport")
    assert code == 0
    assert sorted(_unit_sheet(config)) == sorted(u["name"] for u in UNITS)  # no task names them now: all gone
    assert "已从「单位」表移除 config.yaml 中已没有、也没有任务涉及的单位：区发展改革局" in out and "等 51 个" in out


# ---------------------------------------------------------------- the command line's own slips


def test_init_on_an_existing_file_is_a_usage_error_and_writes_no_log_here(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "沁县").write_text("not a folder", encoding="utf-8")
    code, _, err = _run(capsys, "init", "沁县")
    assert code == 2 and "是一个文件，不是文件夹" in _one_line(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["沁县"]


def test_demo_into_an_existing_file_is_a_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "演示").write_text("not a folder", encoding="utf-8")
    code, _, err = _run(capsys, "demo", "--dir", "演示")
    assert code == 2 and "是一个文件，不是文件夹" in _one_line(err)


def test_config_pointing_at_a_folder_is_a_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys, "--config", str(tmp_path), "split")
    assert code == 2 and f"--config {tmp_path / 'config.yaml'}" in _one_line(err)
    assert list(tmp_path.iterdir()) == []  # no logs/ left in the working folder


def test_a_bug_without_a_readable_config_is_logged_in_the_user_log_folder_not_here(tmp_path, capsys, monkeypatch):
    from pyxl import pipeline

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "state"))

    def broken(folder):
        raise RuntimeError("a bug")

    monkeypatch.setattr(pipeline, "init_workspace", broken)
    code, _, err = _run(capsys, "init", "x")
    assert code == 3 and "程序内部错误" in err
    assert not (tmp_path / "logs").exists()
    assert list((tmp_path / "state").rglob("*.log"))


@pytest.mark.parametrize(
    "argv, words",
    [
        (["split", "--bogus"], "无法识别的参数：--bogus"),
        (["splitt"], "「splitt」不是可用的选项"),
        (["split", "--period"], "参数 --period：后面要写一个值"),
        (["init"], "缺少参数：目录"),
    ],
)
def test_argument_errors_are_chinese_one_liners(argv, words, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    line = _one_line(err)
    assert words in line and "usage" not in line.lower() and "argument" not in line


def test_help_speaks_chinese(capsys):
    with pytest.raises(SystemExit):
        main(["split", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("用法：pyxl split") and "显示本帮助并退出" in out and "usage" not in out
    assert "主控工作簿「设置」表的当前期次" in out  # what --period really defaults to


def test_a_yaml_slip_names_line_and_column_in_chinese(tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text("district: 沁县\nyear: 2025\npaths:\n  document: 分工.docx\n   workbook: x.xlsm\n", encoding="utf-8")
    code, _, err = _run(capsys, "--config", str(config), "split")
    line = _one_line(err)
    assert code == 2 and "第 5 行第 12 列" in line and "mapping" not in line


def test_an_address_that_is_not_an_address_is_refused_when_the_settings_are_read(tmp_path, capsys):
    config = _county(tmp_path / "ws")
    data = _config(config.parent)
    data["units"][1]["email"] = ["[czj 财政局]"]
    _save_config(config.parent, data)
    capsys.readouterr()
    code, _, err = _run(capsys, "--config", str(config), "build-workbook")
    line = _one_line(err)
    assert code == 2 and "[czj 财政局]" in line and "县财政局" in line


def test_month_takes_period_like_every_other_command(tmp_path, capsys):
    config = _county(tmp_path / "ws")
    assert main(["--config", str(config), "build-workbook"]) == 0
    assert main(["--config", str(config), "split", "--period", "2025-06"]) == 0
    (config.parent / "inbox").mkdir(exist_ok=True)
    capsys.readouterr()
    code, out, err = _run(capsys, "--config", str(config), "month", "--period", "2025-06", "--as-of", "2025-07-08")
    assert code in (0, 1) and "2025年6月" in out, err  # every unit is overdue: flags, exit 1
    code, out_positional, _ = _run(capsys, "--config", str(config), "month", "2025-06", "--as-of", "2025-07-08")
    assert code in (0, 1) and "2025年6月" in out_positional  # the old spelling still works


@pytest.mark.parametrize(
    "argv, words",
    [
        (["report", "--period", "2024-06"], "不在计划年度 2025 年内"),
        (["consolidate", "--period", "2025-06", "--as-of", "2025-06-10"], "早于期次 2025-06 的最后一天 2025-06-30"),
    ],
)
def test_a_period_outside_the_plan_or_an_as_of_before_its_end_is_refused_in_one_line(tmp_path, capsys, argv, words):
    config = _county(tmp_path / "ws")
    assert main(["--config", str(config), "build-workbook"]) == 0
    capsys.readouterr()
    code, out, err = _run(capsys, "--config", str(config), *argv)
    assert code == 2 and out == "" and words in _one_line(err)


def test_the_plan_year_of_a_built_master_is_its_document_s_not_config_yaml_s(tmp_path, capsys):
    # config.yaml still says 2024, the document's title 2025: the master records 计划年度 2025 at the build,
    # and --period is checked against that year (read from 设置, without rebuilding the task rows)
    config = _county(tmp_path / "ws")
    data = _config(config.parent)
    data["year"] = 2024
    _save_config(config.parent, data)
    assert main(["--config", str(config), "build-workbook"]) == 0
    capsys.readouterr()
    code, out, err = _run(capsys, "--config", str(config), "report", "--period", "2024-06", "--as-of", "2024-07-08")
    assert code == 2 and out == "" and "不在计划年度 2025 年内" in _one_line(err)
    code, out, err = _run(capsys, "--config", str(config), "consolidate", "--period", "2025-06", "--as-of", "2025-07-08")
    assert code in (0, 1) and "2025年6月" in out, err


def test_an_unknown_unit_is_reported_once_with_all_its_tasks(tmp_path, capsys):
    config = _county(tmp_path / "ws")
    document = config.parent / "分工.txt"
    document.write_text(
        f"{TITLE}\n\n一、稳定经济增长\n\n"
        "1.地区生产总值增长6%。（牵头单位：县发展改革局；责任单位：县能源局）\n\n"
        "2.一般公共预算收入增长5%。（牵头单位：县财政局；责任单位：县能源局）\n\n"
        "3.规上工业增加值增长8%。（牵头单位：县能源局；责任单位：各乡镇）\n",
        encoding="utf-8",
    )
    code, out, _ = _run(capsys, "--config", str(config), "parse", str(document))
    unknown = [line for line in out.splitlines() if "[unknown-unit]" in line]
    assert code == 1 and len(unknown) == 1 and "「县能源局」" in unknown[0] and "第 1、2、3 项" in unknown[0]


def test_a_problem_list_longer_than_the_screen_goes_to_a_csv_whose_path_is_printed(tmp_path, capsys):
    config = _county(tmp_path / "ws")
    document = config.parent / "分工.txt"
    items = "\n\n".join(f"{n}.任务{n}。（牵头单位：县单位{n}局）" for n in range(1, 31))
    document.write_text(f"{TITLE}\n\n一、稳定经济增长\n\n{items}\n", encoding="utf-8")
    code, out, _ = _run(capsys, "--config", str(config), "parse", str(document))
    assert code == 1
    last = out.strip().splitlines()[-1]
    assert "其余 10 个见 out/问题清单_parse.csv（全部 30 个）" in last
    with (config.parent / "out" / "问题清单_parse.csv").open(encoding="utf-8-sig") as handle:
        assert len(list(csv.reader(handle))) == 31  # header and all thirty


# ---------------------------------------------------------------- the collect ledger


def test_the_collect_ledger_is_chinese_and_an_old_english_one_is_still_read_and_extended(tmp_path):
    entry = LedgerEntry("returns/2025-06/a.xlsx", "inbox/a.xlsx", "县财政局", "2025-06", "2025-07-03T10:00:00", "ab" * 32, "accepted", 0, "")
    fresh = tmp_path / "new"
    archive.append_ledger(fresh, [entry])
    rows = list(csv.reader(io.StringIO((fresh / archive.LEDGER_NAME).read_text(encoding="utf-8-sig"))))
    assert rows[0][:3] == ["存档文件", "来源", "单位"] and "采用" in rows[1]
    assert archive.read_ledger(fresh) == [entry]

    old = tmp_path / "old"
    old.mkdir()
    header = ",".join(archive.LEDGER_COLUMNS)
    (old / archive.LEDGER_NAME).write_bytes(
        ("\ufeff" + header + "\r\nreturns/2025-06/a.xlsx,inbox/a.xlsx,县财政局,2025-06,2025-07-03T10:00:00,"
         + "ab" * 32 + ",rejected,2,\r\n").encode("utf-8")
    )
    later = LedgerEntry("returns/2025-06/b.xlsx", "inbox/b.xlsx", "县财政局", "2025-06", "2025-07-04T10:00:00", "cd" * 32, "accepted", 0, "")
    archive.append_ledger(old, [later])
    entries = archive.read_ledger(old)
    assert [e.status for e in entries] == ["rejected", "accepted"]
    assert (old / archive.LEDGER_NAME).read_text(encoding="utf-8-sig").splitlines()[-1].endswith(",accepted,0,")


# ---------------------------------------------------------------- the master's 设置 sheet


def _edit_settings(config: Path, label: str, value) -> None:
    """A clerk edits one row of the saved master's 设置 sheet (saved through the build path, as Excel would)."""
    from pyxl.master.memory import MemoryBook

    book = MemoryBook.open(config.parent / "workbook" / "Responsibilities.xlsm")
    rows = [list(row) for row in book.read_table(master.SHEET_SETTINGS)]
    next(row for row in rows if row and row[0] == label)[1] = value
    book.write_table(master.SHEET_SETTINGS, rows)
    book.save()


def test_the_district_typed_into_the_settings_sheet_is_refused_naming_config_yaml(tmp_path, capsys):
    config = _county(tmp_path / "ws")
    assert main(["--config", str(config), "build-workbook"]) == 0
    _edit_settings(config, "区县", "武乡县")  # the wrong place: 区县 is config.yaml's
    capsys.readouterr()
    code, _, err = _run(capsys, "--config", str(config), "split", "--period", "2025-06")
    line = _one_line(err)
    assert code == 2 and "区县只在 config.yaml 中修改" in line


def test_a_period_set_in_the_settings_sheet_still_wins_over_an_unchanged_config(tmp_path, capsys):
    config = _county(tmp_path / "ws")
    assert main(["--config", str(config), "build-workbook"]) == 0
    _edit_settings(config, "当前期次", "2025-05")  # the right place: no complaint about config.yaml's 2025-06
    _edit_settings(config, "回收截止日", 8)
    capsys.readouterr()
    code, out, err = _run(capsys, "--config", str(config), "split")
    assert code == 0, err
    assert "2025年5月" in out and "2025年6月9日" in out  # 8 June is a Sunday: due on Monday


def test_the_ribbon_import_re_points_the_settings_sheet_at_the_new_document(tmp_path):
    from datetime import datetime

    from pyxl.excel import run_button
    from pyxl.master.memory import MemoryBook

    folder = tmp_path / "ws"
    assert main(["init", str(folder)]) == 0
    from pyxl.example import use_example_document

    use_example_document(folder)
    config = folder / "config.yaml"
    assert main(["--config", str(config), "build-workbook"]) == 0
    data = _config(folder)
    data.update(district=COUNTY, units=UNITS, groups=GROUPS)
    data["paths"]["document"] = _txt(folder).name
    _save_config(folder, data)

    book = MemoryBook.open(folder / "workbook" / "Responsibilities.xlsm")
    book.answers = [True]
    run_button(book, "split_sheets", datetime(2025, 7, 1, 9, 0))
    assert "--reimport" in book.alerts[-1]  # another district's master: nothing split
    run_button(book, "parse_document", datetime(2025, 7, 1, 9, 0))
    settings = {row[0]: row[1] for row in book.read_table(master.SHEET_SETTINGS)[1:]}
    assert settings["区县"] == COUNTY and settings["分工文件"] == "沁县2025年重点工作责任分工.txt"
    run_button(book, "split_sheets", datetime(2025, 7, 1, 9, 0))  # saves the book first: the guard reads the new 设置
    written = [p.name for p in (folder / "out" / "2025-06" / "分发").glob("*.xlsx")]
    assert len(written) == len(UNITS) and not [name for name in written if "区" in name], book.alerts[-1]


def test_an_address_changed_in_config_yaml_after_the_build_is_refused_then_taken_by_a_rebuild(tmp_path, capsys):
    config = _county(tmp_path / "ws")
    assert main(["--config", str(config), "build-workbook"]) == 0
    # the 单位 sheet is the home of e-mails now; the clerk edits config.yaml instead
    data = _config(config.parent)
    data["units"][1]["email"] = ["caizheng@qinxian.example"]
    _save_config(config.parent, data)
    capsys.readouterr()
    code, _, err = _run(capsys, "--config", str(config), "send", "--period", "2025-06", "--dry-run")
    line = _one_line(err)
    assert code == 2 and "县财政局" in line and "caizheng@qinxian.example" in line and "「单位」表" in line

    code, out, _ = _run(capsys, "--config", str(config), "build-workbook", "--force")
    assert code == 0 and "「县财政局」的邮箱按 config.yaml 改为「caizheng@qinxian.example」" in out
    assert main(["--config", str(config), "split", "--period", "2025-06"]) == 0
    capsys.readouterr()
    code, out, _ = _run(capsys, "--config", str(config), "send", "--period", "2025-06", "--dry-run")
    assert code == 0 and "县财政局 → caizheng@qinxian.example" in out


def test_an_address_changed_in_the_unit_sheet_is_simply_used(tmp_path, capsys):
    from pyxl.master.memory import MemoryBook

    config = _county(tmp_path / "ws")
    assert main(["--config", str(config), "build-workbook"]) == 0
    book = MemoryBook.open(config.parent / "workbook" / "Responsibilities.xlsm")
    rows = [list(row) for row in book.read_table(master.SHEET_UNITS)]
    next(row for row in rows if row[0] == "县财政局")[4] = "caizheng@qinxian.example"
    book.write_table(master.SHEET_UNITS, rows)
    book.save()
    assert main(["--config", str(config), "split", "--period", "2025-06"]) == 0
    capsys.readouterr()
    code, out, _ = _run(capsys, "--config", str(config), "send", "--period", "2025-06", "--dry-run")
    assert code == 0 and "县财政局 → caizheng@qinxian.example" in out


def test_a_unit_or_alias_added_to_config_yaml_after_the_build_counts_at_once(tmp_path, capsys):
    config = _county(tmp_path / "ws")
    assert main(["--config", str(config), "build-workbook"]) == 0
    data = _config(config.parent)
    data["units"][1]["aliases"] = ["财政局"]
    _save_config(config.parent, data)
    capsys.readouterr()
    code, out, err = _run(capsys, "--config", str(config), "split", "--period", "2025-06", "--unit", "财政局")
    assert code == 0, err
    written = [p.name for p in (config.parent / "out" / "2025-06" / "分发").glob("*.xlsx")]
    assert len(written) == 1 and "县财政局" in written[0]


def test_a_current_period_outside_the_plan_year_stops_the_ribbon_too(tmp_path):
    from datetime import datetime

    from pyxl.excel import run_button
    from pyxl.master.memory import MemoryBook

    config = _county(tmp_path / "ws")
    assert main(["--config", str(config), "build-workbook"]) == 0
    _edit_settings(config, "当前期次", "2024-06")
    book = MemoryBook.open(config.parent / "workbook" / "Responsibilities.xlsm")
    run_button(book, "split_sheets", datetime(2024, 7, 1, 9, 0))
    assert "当前期次 2024-06 不在计划年度 2025 年内" in book.alerts[-1]
    assert not (config.parent / "out" / "2024-06").exists()
