"""Word's automatic numbering: a .docx typed with it parses exactly like the typed document.

The .docx files are built here with python-docx and real numbering definitions in
their numbering part (abstractNum → num → lvl), the way Word writes them.
"""

from __future__ import annotations

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from pyxl.document.numbering import chinese_counting, format_number
from pyxl.document.parse import parse_document, parse_text
from pyxl.document.read import read_lines

TITLE = "2025年政府工作报告重点工作责任分工"
# (kind, text): kind "section" / "subsection" / "task" / "plain", text without its number
BODY = [
    ("section", "稳增长"),
    ("subsection", "经济指标"),
    ("task", "地区生产总值增长5.6%（力争超过5.6%）。（牵头单位：区发展改革局；责任单位：各街镇）"),
    ("task", "一般公共预算收入增长4%（力争实现4.5%）。（牵头单位：区财政局）"),
    ("subsection", "项目建设"),
    ("task", "新开工项目50个以上，6月底前开工。"),
    ("plain", "（牵头单位：区发展改革局；责任单位：区住房城乡建设局）"),
    ("section", "惠民生"),
    ("task", "新增城镇就业3000人。（牵头单位：区人力资源社会保障局）"),
    ("task", "年底前建成3所学校。（牵头单位：区教育体育局）"),
]
TYPED = f"""{TITLE}
一、稳增长
（一）经济指标
1.地区生产总值增长5.6%（力争超过5.6%）。（牵头单位：区发展改革局；责任单位：各街镇）
2.一般公共预算收入增长4%（力争实现4.5%）。（牵头单位：区财政局）
（二）项目建设
3.新开工项目50个以上，6月底前开工。
（牵头单位：区发展改革局；责任单位：区住房城乡建设局）
二、惠民生
4.新增城镇就业3000人。（牵头单位：区人力资源社会保障局）
5.年底前建成3所学校。（牵头单位：区教育体育局）
"""


@pytest.fixture(scope="module")
def directory():
    from pyxl.common.config import load_settings
    from pyxl.example import example_config

    return load_settings(example_config()).unit_directory()


def _level(ilvl: int, fmt: str, text: str, start: int = 1, extra: str = "") -> str:
    return (
        f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>{extra}'
        f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/></w:lvl>'
    )


def _add_list(document, levels: list[str], start_overrides: dict[int, int] | None = None) -> int:
    """Add an abstractNum with `levels` and a num that uses it; its numId."""
    numbering = document.part.numbering_part.element
    ids = [int(a.get(qn("w:abstractNumId"))) for a in numbering.findall(qn("w:abstractNum"))]
    abstract_id = max(ids, default=-1) + 1
    abstract = parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
        f'<w:multiLevelType w:val="multilevel"/>{"".join(levels)}</w:abstractNum>'
    )
    # the schema wants every abstractNum before the first num
    first_num = numbering.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    num = numbering.add_num(abstract_id)
    for ilvl, start in (start_overrides or {}).items():
        num.add_lvlOverride(ilvl=ilvl).add_startOverride(start)
    return num.numId


def _another_num(document, num_id: int, start_overrides: dict[int, int]) -> int:
    """A second num on the same list definition, restarting levels (Word's 重新开始编号)."""
    numbering = document.part.numbering_part.element
    num = numbering.add_num(numbering.num_having_numId(num_id).abstractNumId.val)
    for ilvl, start in start_overrides.items():
        num.add_lvlOverride(ilvl=ilvl).add_startOverride(start)
    return num.numId


def _numbered(document, text: str, num_id: int, ilvl: int = 0):
    paragraph = document.add_paragraph(text)
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = ilvl
    num_pr.get_or_add_numId().val = num_id
    return paragraph


def _outline_document(task_start: int = 1):
    """The BODY with Word numbering: 一、/（一） from one multilevel list, 1. from another."""
    document = docx.Document()
    document.add_paragraph(TITLE)
    headings = _add_list(document, [_level(0, "chineseCounting", "%1、"), _level(1, "chineseCountingThousand", "（%2）")])
    tasks = _add_list(document, [_level(0, "decimal", "%1.", start=task_start)])
    for kind, text in BODY:
        if kind == "section":
            _numbered(document, text, headings, 0)
        elif kind == "subsection":
            _numbered(document, text, headings, 1)
        elif kind == "task":
            _numbered(document, text, tasks)
        else:
            document.add_paragraph(text)
    return document


def _summary(duty) -> tuple:
    return (
        duty.title,
        [(s.id, s.title, [(u.id, u.title) for u in s.subsections]) for s in duty.sections],
        [
            (t.number, t.section, t.subsection, t.text, t.lead_units, t.responsible_units,
             [(g.metric, g.value, g.unit, g.stretch) for g in t.targets], [(d.phrase, d.date) for d in t.deadlines])
            for t in duty.tasks
        ],
        [(p.code, p.message) for p in duty.problems],
    )


def test_numbered_docx_parses_as_the_typed_document(directory, tmp_path):
    path = tmp_path / "自动编号.docx"
    _outline_document().save(path)
    typed = parse_text(TYPED, directory, 2025)
    numbered = parse_document(path, directory, 2025)
    assert [t.number for t in numbered.tasks] == ["1", "2", "3", "4", "5"]
    assert [(s.id, [u.id for u in s.subsections]) for s in numbered.sections] == [("一", ["（一）", "（二）"]), ("二", [])]
    assert (numbered.task("3").section, numbered.task("3").subsection) == ("一", "（二）")
    assert _summary(numbered) == _summary(typed)


def test_lines_carry_the_labels_word_shows(tmp_path):
    path = tmp_path / "自动编号.docx"
    _outline_document(task_start=1).save(path)
    texts = [line.text for line in read_lines(path) if line.text]
    assert texts[1:4] == ["一、稳增长", "（一）经济指标", "1.地区生产总值增长5.6%（力争超过5.6%）。（牵头单位：区发展改革局；责任单位：各街镇）"]
    assert texts[5] == "（二）项目建设"  # the lower level goes on counting within its section
    assert texts[8] == "二、惠民生"
    assert texts[9].startswith("4.新增城镇就业")  # the task list runs on across sections


def test_start_and_start_override(directory, tmp_path):
    # w:start: a list that begins at 7
    path = tmp_path / "从7开始.docx"
    _outline_document(task_start=7).save(path)
    assert [t.number for t in parse_document(path, directory, 2025).tasks] == ["7", "8", "9", "10", "11"]

    # Word's 重新开始编号: each section's tasks restart at 1 through a num with w:startOverride
    document = docx.Document()
    document.add_paragraph(TITLE)
    headings = _add_list(document, [_level(0, "chineseCounting", "%1、")])
    first = _add_list(document, [_level(0, "decimal", "%1、")])
    _numbered(document, "稳增长", headings)
    _numbered(document, "地区生产总值增长5.6%。（牵头单位：区发展改革局）", first)
    _numbered(document, "一般公共预算收入增长4%。（牵头单位：区财政局）", first)
    _numbered(document, "惠民生", headings)
    second = _another_num(document, first, {0: 1})
    _numbered(document, "新增城镇就业3000人。（牵头单位：区人力资源社会保障局）", second)
    _numbered(document, "建成3所学校。（牵头单位：区教育体育局）", second)
    path = tmp_path / "分章编号.docx"
    document.save(path)
    typed = parse_text(
        f"{TITLE}\n一、稳增长\n1、地区生产总值增长5.6%。（牵头单位：区发展改革局）\n2、一般公共预算收入增长4%。（牵头单位：区财政局）\n"
        "二、惠民生\n1、新增城镇就业3000人。（牵头单位：区人力资源社会保障局）\n2、建成3所学校。（牵头单位：区教育体育局）\n",
        directory,
        2025,
    )
    numbered = parse_document(path, directory, 2025)
    assert [t.number for t in numbered.tasks] == ["一-1", "一-2", "二-1", "二-2"]
    assert _summary(numbered) == _summary(typed)


def test_list_number_style(directory, tmp_path):
    # the built-in 「编号」 style of Word's default template: numbering from the style, not the paragraph
    document = docx.Document()
    document.add_paragraph(TITLE)
    document.add_paragraph("一、稳增长")
    document.add_paragraph("地区生产总值增长5.6%。（牵头单位：区发展改革局）", style="List Number")
    document.add_paragraph("新开工项目50个以上。（牵头单位：区发展改革局）", style="List Number")
    document.add_paragraph("二、惠民生")
    document.add_paragraph("新增城镇就业3000人。（牵头单位：区人力资源社会保障局）", style="List Number")
    off = document.add_paragraph("（说明：本段样式带编号，但在段落上关闭了编号。）", style="List Number")
    off._p.get_or_add_pPr().get_or_add_numPr().get_or_add_numId().val = 0  # Word's 「无」 on one paragraph
    path = tmp_path / "编号样式.docx"
    document.save(path)
    typed = parse_text(
        f"{TITLE}\n一、稳增长\n1.地区生产总值增长5.6%。（牵头单位：区发展改革局）\n2.新开工项目50个以上。（牵头单位：区发展改革局）\n"
        "二、惠民生\n3.新增城镇就业3000人。（牵头单位：区人力资源社会保障局）\n（说明：本段样式带编号，但在段落上关闭了编号。）\n",
        directory,
        2025,
    )
    numbered = parse_document(path, directory, 2025)
    assert [t.number for t in numbered.tasks] == ["1", "2", "3"]
    assert _summary(numbered) == _summary(typed)


def test_auto_numbered_serial_column_of_a_table(directory, tmp_path):
    # 序号 typed as an empty auto-numbered paragraph in each row: without it every row would
    # look like the previous row continued across a page
    document = docx.Document()
    document.add_paragraph(TITLE)
    serial = _add_list(document, [_level(0, "decimal", "%1")])
    rows = [
        ("建成充电桩300个，6月底前投用", "区发展改革局", "区住房城乡建设局"),
        ("完成农村公路养护100公里", "区交通运输局", "各街镇"),
        ("新增城镇就业3000人", "区人力资源社会保障局", ""),
    ]
    table = document.add_table(rows=len(rows) + 1, cols=4)
    for column, header in enumerate(("序号", "重点工作", "牵头单位", "责任单位")):
        table.cell(0, column).text = header
    for index, cells in enumerate(rows, start=1):
        num_pr = table.cell(index, 0).paragraphs[0]._p.get_or_add_pPr().get_or_add_numPr()
        num_pr.get_or_add_ilvl().val = 0
        num_pr.get_or_add_numId().val = serial
        for column, text in enumerate(cells, start=1):
            table.cell(index, column).text = text
    path = tmp_path / "表格自动序号.docx"
    document.save(path)
    duty = parse_document(path, directory, 2025)
    assert [(t.number, t.text, t.lead_units) for t in duty.tasks] == [
        ("1", "建成充电桩300个，6月底前投用", ["区发展改革局"]),
        ("2", "完成农村公路养护100公里", ["区交通运输局"]),
        ("3", "新增城镇就业3000人", ["区人力资源社会保障局"]),
    ]


def test_multilevel_text_and_restart_of_lower_levels(tmp_path):
    document = docx.Document()
    outline = _add_list(document, [_level(0, "decimal", "%1."), _level(1, "decimal", "%1.%2")])
    for text, ilvl in [("甲", 0), ("甲一", 1), ("甲二", 1), ("乙", 0), ("乙一", 1)]:
        _numbered(document, text, outline, ilvl)
    _numbered(document, "", outline, 1)  # empty: counted, not shown
    _numbered(document, "乙三", outline, 1)
    path = tmp_path / "多级.docx"
    document.save(path)
    assert [line.text for line in read_lines(path) if line.text] == ["1.甲", "1.1 甲一", "1.2 甲二", "2.乙", "2.1 乙一", "2.3 乙三"]


@pytest.mark.parametrize(
    "number, fmt, shown",
    [
        (1, "chineseCounting", "一"), (10, "chineseCounting", "十"), (11, "chineseCounting", "十一"),
        (20, "chineseCountingThousand", "二十"), (101, "chineseCountingThousand", "一百零一"),
        (110, "chineseCounting", "一百一十"), (3, "ideographTraditional", "丙"), (12, "ideographDigital", "一二"),
        (3, "decimalEnclosedCircle", "③"), (4, "upperRoman", "IV"), (28, "lowerLetter", "bb"),
        (5, "decimalFullWidth", "５"), (7, "decimal", "7"), (2, "chineseLegalSimplified", "贰"),
    ],
)
def test_number_formats(number, fmt, shown):
    assert format_number(number, fmt) == shown


def test_chinese_counting_reads_as_people_write_it():
    assert [chinese_counting(n) for n in (9, 15, 99, 1005)] == ["九", "十五", "九十九", "一千零五"]
