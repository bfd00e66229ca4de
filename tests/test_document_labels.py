"""Columns and labels by meaning, and numbering without limits."""

from __future__ import annotations

from datetime import date, datetime

import docx
import pytest
from county_documents import county_directory

from pyxl.document.labels import column_map, column_role
from pyxl.document.parse import parse_document, parse_text

TITLE = "沁源县2025年重点工作任务分工"


def _codes(duty) -> list[tuple[str, int | None]]:
    return [(p.code, p.line) for p in duty.problems]


# ---------------------------------------------------------------- labels in the text


@pytest.mark.parametrize("label", ["牵头单位", "牵头部门", "牵头责任单位", "主办单位"])
def test_lead_labels(label):
    duty = parse_text(f"{TITLE}\n1.新增城镇就业2000人。（{label}：县人社局；责任单位：各乡镇）\n", county_directory(), 2030)
    assert duty.tasks[0].lead_units == ["县人力资源和社会保障局"] and duty.tasks[0].responsible_units == ["各乡镇"]
    assert duty.tasks[0].text == "新增城镇就业2000人。" and duty.problems == []


@pytest.mark.parametrize("label", ["责任单位", "配合单位", "协办单位", "参与单位"])
def test_responsible_labels(label):
    duty = parse_text(f"{TITLE}\n1.新增城镇就业2000人。（牵头单位：县人社局；{label}：县财政局、各乡镇）\n", county_directory(), 2030)
    assert duty.tasks[0].lead_units == ["县人力资源和社会保障局"]
    assert duty.tasks[0].responsible_units == ["县财政局", "各乡镇"] and duty.problems == []


@pytest.mark.parametrize("label", ["责任领导", "分管领导", "分管县领导", "责任人", "联系人"])
def test_people_labels_are_never_units(label):
    duty = parse_text(
        f"{TITLE}\n1.新增城镇就业2000人。（{label}：赵丽；牵头单位：县人社局；责任单位：县财政局）\n", county_directory(), 2030
    )
    task = duty.tasks[0]
    assert task.lead_units == ["县人力资源和社会保障局"] and task.responsible_units == ["县财政局"]
    assert "赵丽" not in task.lead_units_raw + task.responsible_units_raw and "赵丽" not in task.text
    assert duty.problems == []  # no unknown-unit for a person


# ---------------------------------------------------------------- table columns


@pytest.mark.parametrize(
    "header, role",
    [
        ("牵头单位", "lead"), ("牵头部门", "lead"), ("牵头责任单位", "lead"), ("主办单位", "lead"),
        ("责任单位", "responsible"), ("配合单位", "responsible"), ("协办单位", "responsible"), ("参与单位", "responsible"),
        ("责任领导", "people"), ("分管领导", "people"), ("分管县领导", "people"), ("责任人", "people"), ("联系人", "people"),
        ("完成时限", "deadline"), ("时间节点", "deadline"), ("完成时间", "deadline"),
        ("序号", "number"), ("目标与任务", "text"), ("重点工作", "text"), ("备注", None),
        ("责任单位及责任人", "responsible"), ("牵头领导", "people"), ("牵头单位（部门）", "lead"),
    ],
)
def test_column_roles(header, role):
    assert column_role(header) == role
    assert column_role(f" {header[0]} {header[1:]} ") == role  # spaced out to fill the cell


def test_the_reported_header_maps_every_column():
    # 序号 | 目标与任务 | 分管县领导 | 牵头责任单位 | 责任单位: 牵头责任单位 was read as 责任单位 and the real one dropped
    assert column_map(("序号", "目标与任务", "分管县领导", "牵头责任单位", "责任单位")) == {
        "number": 0, "text": 1, "people": 2, "lead": 3, "responsible": 4,
    }


def _table_document(path, header, rows):
    document = docx.Document()
    document.add_paragraph(TITLE)
    table = document.add_table(rows=1 + len(rows), cols=len(header))
    for r, cells in enumerate([header, *rows]):
        for c, text in enumerate(cells):
            table.cell(r, c).text = text
    document.add_paragraph("")
    document.save(path)
    return path


@pytest.mark.parametrize(
    "lead, responsible, people, deadline",
    [
        ("牵头单位", "配合单位", "责任领导", "完成时限"),
        ("牵头部门", "协办单位", "分管领导", "时间节点"),
        ("主办单位", "参与单位", "责任人", "完成时间"),
        ("牵头责任单位", "责任单位", "分管县领导", "完成时限"),
    ],
)
def test_docx_table_columns_by_meaning(tmp_path, lead, responsible, people, deadline):
    # the people column stands between the units to show it is never taken for one
    header = ("序号", "目标与任务", lead, people, responsible, deadline, "备注")
    rows = [
        ("1", "新开工重点项目30个以上。", "县发改局", "王建国", "县住建局、县自然资源局", "2025年6月15日", ""),
        ("2", "新增城镇就业2000人。", "县人社局", "赵丽", "各乡镇", "年底前", "按季度报送"),
    ]
    duty = parse_document(_table_document(tmp_path / "分工.docx", header, rows), county_directory(), 2030)
    assert [(t.number, t.lead_units, t.responsible_units) for t in duty.tasks] == [
        ("1", ["县发展和改革局"], ["县住房和城乡建设局", "县自然资源局"]),
        ("2", ["县人力资源和社会保障局"], ["各乡镇"]),
    ]
    assert duty.task("1").deadlines[0].date == date(2025, 6, 15)  # the day itself, not the month's end
    assert duty.task("2").deadlines[0].date == date(2025, 12, 31)
    assert duty.problems == []


def test_a_section_row_without_a_number_opens_a_section(tmp_path):
    header = ("序号", "重点任务", "牵头单位", "责任单位")
    rows = [
        ("经济发展类", "经济发展类", "经济发展类", "经济发展类"),  # a merged row as python-docx reads it
        ("1", "地区生产总值增长6%。", "县发改局", "县统计局"),
        ("民生保障类", "", "", ""),  # a section written in the first cell only
        ("2", "新增城镇就业2000人。", "县人社局", "各乡镇"),
        ("注：完成时限均为2025年。", "", "", ""),
    ]
    path = tmp_path / "分类.docx"
    document = docx.Document()
    document.add_paragraph(TITLE)
    table = document.add_table(rows=1 + len(rows), cols=4)
    for r, cells in enumerate([header, *rows]):
        for c, text in enumerate(cells):
            table.cell(r, c).text = text
    table.cell(1, 0).merge(table.cell(1, 3)).text = "经济发展类"
    document.add_paragraph("")
    document.save(path)
    duty = parse_document(path, county_directory(), 2030)
    assert [(s.id, s.title) for s in duty.sections] == [("一", "经济发展类"), ("二", "民生保障类")]
    assert [(t.number, t.section, t.text) for t in duty.tasks] == [
        ("1", "一", "地区生产总值增长6%。"), ("2", "二", "新增城镇就业2000人。"),
    ]
    assert duty.problems == []


# ---------------------------------------------------------------- numbering


def test_a_thousand_tasks_none_glued_to_another():
    lines = [TITLE, "一、重点任务"] + [f"{n}.完成第{n}项工作。（牵头单位：县发改局）" for n in range(1, 1001)]
    duty = parse_text("\n".join(lines) + "\n", county_directory(), 2030)
    assert [t.number for t in duty.tasks] == [str(n) for n in range(1, 1001)]
    assert duty.task("1000").text == "完成第1000项工作。"
    assert duty.task("999").text == "完成第999项工作。"  # task 1000 is not its tail
    assert duty.problems == []


def test_star_and_other_prefixes():
    text = "\n".join([
        TITLE,
        "★1.地区生产总值增长6%。（牵头单位：县发改局）",
        "▲2.新增城镇就业2000人。（牵头单位：县人社局）",
        "●3、一般公共预算收入增长5%。（牵头单位：县财政局）",
        "第4项：新开工重点项目30个以上。（牵头单位：县发改局）",
    ])
    duty = parse_text(text + "\n", county_directory(), 2030)
    assert [t.number for t in duty.tasks] == ["★1", "2", "3", "4"]
    assert duty.task("2").text == "新增城镇就业2000人。" and duty.problems == []


def test_parenthesised_numbers_number_the_tasks_only_where_nothing_else_does():
    duty = parse_text(
        f"{TITLE}\n（一）经济发展\n（1）地区生产总值增长6%。（牵头单位：县发改局）\n（2）新增城镇就业2000人。（牵头单位：县人社局）\n",
        county_directory(), 2030,
    )
    assert [(t.number, t.subsection) for t in duty.tasks] == [("1", "（一）"), ("2", "（一）")]
    # under 1. 2., a （1）（2） is a point of the task, not a task
    duty = parse_text(
        f"{TITLE}\n1.抓好两件事：\n（1）新增城镇就业2000人；\n（2）新开工项目30个。（牵头单位：县发改局）\n", county_directory(), 2030
    )
    assert [t.number for t in duty.tasks] == ["1"] and "（2）新开工项目30个" in duty.tasks[0].text


def test_numbering_restarting_per_subsection():
    text = "\n".join([
        TITLE, "一、经济发展", "（一）稳增长",
        "1.地区生产总值增长6%。（牵头单位：县发改局）", "2.固定资产投资增长8%。（牵头单位：县发改局）",
        "（二）促消费", "1.社会消费品零售总额增长5%。（牵头单位：县商务局）",
        "二、民生保障", "1.新增城镇就业2000人。（牵头单位：县人社局）",
    ])
    duty = parse_text(text + "\n", county_directory(), 2030)
    assert [t.number for t in duty.tasks] == ["一（一）-1", "一（一）-2", "一（二）-1", "二-1"]
    assert [p.code for p in duty.problems] == ["unknown-unit"]  # 县商务局 is not in this county's list


def test_a_repeated_number_under_one_heading_is_not_a_restart():
    text = f"{TITLE}\n一、经济发展\n1.甲。（牵头单位：县发改局）\n2.乙。（牵头单位：县发改局）\n1.丙。（牵头单位：县发改局）\n"
    duty = parse_text(text, county_directory(), 2030)
    assert [t.number for t in duty.tasks] == ["1", "2", "1b"]
    assert _codes(duty) == [("numbering-repeat", 5)]


# ---------------------------------------------------------------- the document's own title


def test_title_named_only_by_the_cover_notice():
    text = "\n".join([
        "沁源县人民政府办公室关于印发沁源县2025年政府工作报告重点工作任务分工方案的通知",
        "各乡（镇）人民政府，县直各有关单位：",
        "现将《沁源县2025年政府工作报告重点工作任务分工方案》印发给你们，请认真贯彻落实。",
        "沁源县人民政府办公室",
        "2025年3月5日",
        "一、经济发展",
        "1.地区生产总值增长6%。（牵头单位：县发改局）",
    ])
    duty = parse_text(text + "\n", county_directory(), 2030)
    assert duty.title == "沁源县2025年政府工作报告重点工作任务分工方案" and duty.year == 2025


def test_title_line_after_the_notice_wins_over_its_sentences():
    text = "\n".join([
        "现将《2025年重点工作任务分工》印发给你们，请认真贯彻落实。",
        "附件",
        "2025年政府工作报告重点工作任务分工",
        "1.地区生产总值增长6%。（牵头单位：县发改局）",
    ])
    assert parse_text(text + "\n", county_directory(), 2030).title == "2025年政府工作报告重点工作任务分工"


def test_sheet_with_section_rows_in_the_task_column_and_excel_dates(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([TITLE])  # a title row, not merged
    sheet.append(["序号", "工作任务", "县级责任领导", "主办单位", "协办单位", "时间节点"])
    sheet.append([None, "一、稳增长"])  # a section typed in the task's column
    sheet.append([1, "地区生产总值增长6%。", "王建国", "县发改局", "县统计局", datetime(2025, 9, 30)])
    sheet.append([None, "（一）项目建设"])
    sheet.append([2, "新开工重点项目30个以上。", "王建国", "县发改局", "县住建局", "6月底前"])
    sheet.append([None, "二、惠民生"])
    sheet.append([1, "新增城镇就业2000人。", "赵丽", "县人社局", "各乡镇", "年底前"])
    path = tmp_path / "分工表.xlsx"
    book.save(path)
    duty = parse_document(path, county_directory(), 2030)
    assert duty.title == TITLE and duty.year == 2025
    assert [(t.number, t.section, t.subsection, t.lead_units) for t in duty.tasks] == [
        ("一-1", "一", None, ["县发展和改革局"]),
        ("一-2", "一", "（一）", ["县发展和改革局"]),
        ("二-1", "二", None, ["县人力资源和社会保障局"]),
    ]
    assert duty.task("一-1").deadlines[0].date == date(2025, 9, 30)  # an Excel date in the 时间节点 column
    assert duty.task("一-1").text == "地区生产总值增长6%。" and duty.problems == []


def test_sections_numbered_in_the_number_column():
    rows = [
        ("序号", "重点任务", "牵头单位", "责任单位"),
        ("一", "经济发展", "", ""),
        ("1", "地区生产总值增长6%。", "县发改局", "县统计局"),
        ("（一）", "项目建设", "", ""),
        ("2", "新开工重点项目30个以上。", "县发改局", "县住建局"),
        ("二", "民生保障", "", ""),
        ("3", "新增城镇就业2000人。", "县人社局", "各乡镇"),
    ]
    text = TITLE + "\n" + "\n".join("| " + " | ".join(row) + " |" for row in rows) + "\n"
    duty = parse_text(text, county_directory(), 2030)
    assert [(s.id, s.title, [sub.id for sub in s.subsections]) for s in duty.sections] == [
        ("一", "经济发展", ["（一）"]), ("二", "民生保障", []),
    ]
    assert [(t.number, t.section, t.subsection) for t in duty.tasks] == [
        ("1", "一", None), ("2", "一", "（一）"), ("3", "二", None),
    ]
    assert duty.problems == []
