"""Parse: the bundled 长清区 document against its reviewed golden file, and every other format."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from conftest import DATA, REPO

from pyxl.cli import main
from pyxl.common.errors import PyxlError
from pyxl.common.model import UnitDirectory
from pyxl.document.parse import parse_document, parse_text
from pyxl.example import example_document

PARSE_DATA = DATA / "parse"
GOLDEN = REPO / "tests" / "golden" / "parse_example.json"


@pytest.fixture(scope="module")
def directory():
    from pyxl.common.config import load_settings
    from pyxl.example import example_config

    return load_settings(example_config()).unit_directory()


@pytest.fixture(scope="module")
def example(directory):
    return parse_document(example_document(), directory, 2024)


def _codes(duty) -> list[tuple[str, int | None]]:
    return [(p.code, p.line) for p in duty.problems]


# ---------------------------------------------------------------- the bundled example


def test_cli_json_matches_the_reviewed_golden_file(workspace, capsys):
    code = main(["--config", str(workspace / "config.yaml"), "parse", "--json"])
    produced = json.loads(capsys.readouterr().out)
    assert produced == json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert code == 0  # two open groups (相关部门, 各部门) to assign by hand: hints, not errors


def test_example_structure(example):
    assert example.year == 2025  # from the title, not the default year
    assert example.title == "2025年《政府工作报告》重点工作责任分工"
    assert [t.number for t in example.tasks] == [str(n) for n in range(1, 90)]
    assert [s.id for s in example.sections] == list("一二三四五六七八")
    assert example.sections[5].title == "聚焦改革创新、聚力质效提升,以更新理念激活内生动能"  # ## **六、…**
    assert [s.id for s in example.sections[3].subsections] == ["（一）", "（二）", "（三）"]
    assert example.sections[7].title == "政府自身建设"
    assert (example.task("7").section, example.task("7").subsection) == ("一", None)
    assert (example.task("55").section, example.task("55").subsection) == ("六", "（一）")  # ### **(一)…**
    assert (example.task("89").section, example.task("89").subsection) == ("八", None)
    assert _codes(example) == [("open-group", 23), ("open-group", 265)]


def test_example_units(example):
    one = example.task("1")
    assert one.lead_units == ["区发展改革局"]
    assert one.responsible_units[0] == "大学城管委会" and one.responsible_units[-1] == "各街镇"
    six = example.task("6")  # 「（牵头\n\n单位：…」: the label itself broken across a blank line
    assert six.lead_units == ["区发展改革局", "区农业农村局"] and six.responsible_units == ["各街镇"]
    assert six.text == "城乡居民人均可支配收入分别增长 5.5%和 6%以上。"
    assert example.task("33").lead_units_raw == ["区发展改革局"]  # 「区发展改革\n\n局」
    assert example.task("33").responsible_units[0] == "区教育体育局"
    assert example.task("33").responsible_units_raw[0] == "区教育局体育局"
    assert example.task("13").lead_units_raw == ["区工业和信息化和科技局"]
    assert example.task("13").lead_units == ["区工业信息化和科技局"]
    assert example.task("26").responsible_units == ["区工业信息化和科技局", "崮云湖街道"]  # 茵云湖 typo
    assert example.task("39").lead_units == ["区城管局"]  # 区域管局 typo
    assert example.task("34").lead_units == ["区投资促进局"]  # labels in their own paragraph
    assert example.task("53").responsible_units == ["文昌街道", "平安街道", "归德街道"]  # half-width (牵头单位:…;…)
    assert example.task("8").lead_units == ["区投资促进局", "大学城管委会"]
    assert "牵头" not in "".join(t.text for t in example.tasks)


def test_example_targets(example):
    (gdp,) = example.task("1").targets
    assert (gdp.metric, gdp.value, gdp.unit, gdp.kind, gdp.comparator, gdp.stretch) == (
        "地区生产总值", 5.6, "%", "growth", ">=", 5.6,
    )
    assert [(t.metric, t.value) for t in example.task("6").targets] == [
        ("城镇居民人均可支配收入", 5.5), ("农村居民人均可支配收入", 6.0),
    ]
    (jobs,) = example.task("68").targets
    assert (jobs.value, jobs.unit, jobs.kind) == (3400, "人", "count")
    money = example.task("29").targets[1]
    assert (money.value, money.unit, money.kind) == (1000, "亿元", "amount")
    assert example.task("43").targets[1].value == 12000  # 1.2万个
    assert example.task("45").targets[0].value == 660000 and example.task("45").targets[0].kind == "measure"
    (zero,) = example.task("62").targets
    assert (zero.value, zero.comparator) == (0, "<=")
    base_stations = example.task("16").targets
    assert [t.value for t in base_stations] == [5, 3000]  # 5G is a name, 「3000个\n\n以上」 a target
    for quiet in ("52", "64", "69", "81", "34"):  # PM2.5, 12345, 15 分钟, 三年行动, "2+2"
        assert all(t.value not in (2.5, 12345, 15, 3, 2) for t in example.task(quiet).targets), quiet


def test_example_deadlines(example):
    assert [(d.phrase, d.date) for d in example.task("8").deadlines] == [("6月份竣工", date(2025, 6, 30))]
    assert example.task("21").deadlines[0].date == date(2025, 12, 31)  # 今年
    assert [(d.phrase, d.date) for d in example.task("22").deadlines] == [("尽快", None)]


def test_cli_summary(workspace, capsys):
    assert main(["--config", str(workspace / "config.yaml"), "parse"]) == 0  # its two open groups are hints
    out = capsys.readouterr().out
    assert "89 项任务" in out and "2025 年" in out and "8 个部分" in out


# ---------------------------------------------------------------- other formats


def test_gbk_text_with_heading_lead_and_label_lines(directory):
    duty = parse_document(PARSE_DATA / "标签分行_GBK.txt", directory, 2030)
    assert duty.year == 2025
    one, two, three = duty.tasks
    assert one.lead_units == ["区发展改革局", "区财政局"] and one.responsible_units == ["各街镇"]
    assert one.text == "固定资产投资增长 5%。"
    assert two.lead_units == ["区发展改革局"]  # from 「一、区发展改革局牵头工作（3项）」
    assert (two.targets[0].value, two.targets[0].unit) == (20, "亿元")
    assert three.lead_units == ["区发展改革局"] and three.responsible_units == ["区市场监管局", "马山镇"]
    assert "张伟" not in three.lead_units_raw + three.responsible_units_raw  # 责任领导 is a person
    assert three.deadlines[0].date == date(2025, 9, 30)
    assert duty.problems == []


def test_pipe_table(directory):
    duty = parse_document(PARSE_DATA / "表格格式.md", directory, 2030)
    assert duty.year == 2024
    assert [(t.number, t.section) for t in duty.tasks] == [("1", "一"), ("2", "一"), ("3", "二"), ("4", "二")]
    first = duty.task("1")
    assert first.responsible_units == ["区财政局", "各街镇"]
    assert (first.targets[0].value, first.targets[0].stretch) == (6, 6.5)
    assert first.deadlines[0].date == date(2024, 12, 31)
    assert [t.value for t in duty.task("2").targets] == [500]
    assert duty.task("4").deadlines[0].date is None


def test_lead_and_support_and_star_numbering(directory):
    duty = parse_document(PARSE_DATA / "配合格式.txt", directory, 2030)
    assert [t.number for t in duty.tasks] == ["★1", "★2", "3", "★3"]
    first = duty.task("★1")
    assert first.lead_units == ["区园林和林业绿化局"]
    assert first.responsible_units == ["市生态环境局长清分局", "各街镇"]
    assert [(t.kind, t.comparator, t.value) for t in first.targets] == [("ratio", ">=", 42), ("ratio", ">=", 70)]
    assert [(t.kind, t.comparator, t.value) for t in duty.task("★2").targets] == [("growth", "<=", -3)]
    assert [(t.kind, t.comparator, t.value) for t in duty.task("3").targets] == [("level", "<=", 5)]
    assert duty.task("3").lead_units == ["区发展改革局"] and duty.task("3").responsible_units == []


def test_chinese_numbered_items(directory):
    duty = parse_document(PARSE_DATA / "中文编号.txt", directory, 2030)
    assert [t.number for t in duty.tasks] == ["（一）", "（二）", "二（一）"]
    assert duty.task("（一）").deadlines[0].date == date(2025, 12, 31)  # 年内


def test_broken_and_cut_off_document(directory):
    duty = parse_document(PARSE_DATA / "残缺文件.txt", directory, 2030)
    broken = duty.task("2")  # 「（牵\n\n头\n\n单位：区文化和旅游局、区发展\n\n改革局；…」
    assert broken.lead_units == ["区文化和旅游局", "区发展改革局"]
    assert broken.responsible_units == ["区投资促进局", "各街镇"]
    assert _codes(duty) == [
        ("open-group", 5),
        ("numbering-repeat", 17),
        ("unknown-unit", 17),
        ("numbering-gap", 19),
        ("task-without-lead-unit", 19),
        ("truncated-item", 21),
    ]
    unknown = next(p for p in duty.problems if p.code == "unknown-unit")
    assert "区农业农材局" in unknown.message and "区农业农村局" in unknown.message  # the closest known name


def test_docx_paragraphs_and_tables(directory, tmp_path):
    import docx

    document = docx.Document()
    document.add_heading("2026年重点工作责任分工", level=1)
    document.add_paragraph("一、项目建设")
    document.add_paragraph("1.新开工项目 50 个以上。（牵头单位：区发展改革局；责任单位：各街镇）")
    table = document.add_table(rows=3, cols=4)
    for row, cells in enumerate(
        [
            ("序号", "重点工作", "牵头单位", "责任单位"),
            ("2", "建成充电桩 300 个，6月底前投用", "区发展改革局", "区住房城乡建设局\n济清公司"),
            ("3", "完成农村公路养护 100 公里", "区交通运输局", "各街镇"),
        ]
    ):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    path = tmp_path / "分工.docx"
    document.save(path)
    duty = parse_document(path, directory, 2030)
    assert duty.year == 2026
    assert [t.number for t in duty.tasks] == ["1", "2", "3"]
    assert duty.task("2").responsible_units == ["区住房城乡建设局", "济清公司"]
    assert duty.task("2").deadlines[0].date == date(2026, 6, 30)
    assert (duty.task("3").targets[0].value, duty.task("3").targets[0].kind) == (100, "measure")
    assert duty.problems == []


def test_parse_text_for_pasted_text(directory):
    duty = parse_text("1.新增就业 100 人。（牵头单位：区人社局）\n", directory, 2025)
    assert duty.tasks[0].lead_units == ["区人力资源社会保障局"] and duty.year == 2025


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("空.txt", b"  \n\n", "空文件"),
        ("二进制.txt", bytes(range(256)) * 4, "二进制"),
        ("表格.xlsx", b"PK\x03\x04", "表格文件"),
        ("图片.png", b"\x89PNG\r\n\x1a\n", "不支持"),
        ("无任务.txt", "这是一封普通的信，没有任何编号的任务。\n".encode(), "没有找到编号"),
        ("坏的.docx", b"not a zip", "Word"),
        ("改了扩展名.docx", b"PK\x05\x06" + bytes(18), "Word"),  # an empty zip
        ("旧格式.doc", b"\xd0\xcf\x11\xe0", "另存为 .docx"),
        ("别的编码.txt", bytes([0xE9, 0xE8, 0x41, 0xFF, 0xFE, 0x80, 0x81]) * 50, "编码"),
    ],
)
def test_bad_input_is_one_chinese_line_and_exit_2(workspace, capsys, name, content, words):
    path = workspace / name
    path.write_bytes(content)
    with pytest.raises(PyxlError):
        parse_document(path, UnitDirectory(()), 2025)
    assert main(["--config", str(workspace / "config.yaml"), "parse", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and name in err and len(err.splitlines()) == 1 and "Traceback" not in err
    suffixes = {"pyxl", "txt", "md", "docx", "doc", "wps", "pdf", "xlsx", "xls", "et", "ods", "html", "png"}
    english = set(re.findall(r"\b[a-z]{3,}\b", err, flags=re.ASCII)) - suffixes
    assert not english, err  # no library message in English
