"""Build the bulletin and 督办单 DOCX templates (bulletin.docx, notice.docx) with python-docx.

Run once after changing this script: `.venv/bin/python templates/report/make_templates.py`.
The generated files are committed; the office may restyle them in Word
afterwards (fonts, margins, letterhead) as long as the {{ … }} / {% … %} tags
stay intact — pyxl fills them with docxtpl. A workspace may keep its own copy
under templates/report/ to override the bundled one.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

HERE = Path(__file__).resolve().parent
BODY_FONT = "仿宋"  # installed with Windows; offices often switch to 仿宋_GB2312
HEADING_FONT = "黑体"
TITLE_FONT = "方正小标宋简体"


def _font(style_or_run, name: str, size: float | None = None, bold: bool | None = None) -> None:
    """Set the Latin and the East Asian font (Word uses w:eastAsia for Chinese)."""
    style_or_run.font.name = name
    if size is not None:
        style_or_run.font.size = Pt(size)
    if bold is not None:
        style_or_run.font.bold = bold
    element = style_or_run.element
    rpr = element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)
    # Theme fonts win over named ones in Word: drop them so the name counts.
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)


def _document() -> Document:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.0), Cm(2.5)
    section.left_margin, section.right_margin = Cm(2.5), Cm(2.5)
    normal = document.styles["Normal"]
    _font(normal, BODY_FONT, 14)
    normal.paragraph_format.line_spacing = 1.35
    normal.paragraph_format.space_after = Pt(0)
    for name, size in (("Title", 20), ("Heading 1", 15), ("Heading 2", 14)):
        style = document.styles[name]
        _font(style, TITLE_FONT if name == "Title" else HEADING_FONT, size, bold=False)
        style.font.color.rgb = None
        style.paragraph_format.space_before = Pt(6)
        style.paragraph_format.space_after = Pt(6)
    # The Title style draws a rule under it in the default template: drop it.
    title_ppr = document.styles["Title"].element.get_or_add_pPr()
    for border in title_ppr.findall(qn("w:pBdr")):
        title_ppr.remove(border)
    small = document.styles.add_style("表格文字", 1)
    small.base_style = normal
    _font(small, BODY_FONT, 10.5)
    small.paragraph_format.line_spacing = 1.0
    return document


def _paragraph(document, text: str = "", indent: bool = True, align=None, style=None):
    paragraph = document.add_paragraph(text, style=style)
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(28)  # two characters
    if align is not None:
        paragraph.alignment = align
    return paragraph


def _table(document, headers: list[str], loop: str, cells: list[str], widths: list[float]) -> None:
    """A grid table: a header row, then one row repeated by docxtpl's {%tr for %}."""
    table = document.add_table(rows=4, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    # Fixed column widths: LibreOffice and WPS read the grid, Word the cells; set both.
    table.autofit = False
    for index, width in enumerate(widths):
        table.columns[index].width = Cm(width)
    rows = table.rows
    for index, header in enumerate(headers):
        rows[0].cells[index].text = header
        rows[2].cells[index].text = cells[index]
    rows[1].cells[0].text = "{%tr for " + loop + " %}"
    rows[3].cells[0].text = "{%tr endfor %}"
    for row in rows:
        for index, cell in enumerate(row.cells):
            cell.width = Cm(widths[index])
            for paragraph in cell.paragraphs:
                paragraph.style = "表格文字"
    for cell in rows[0].cells:
        for run in cell.paragraphs[0].runs:
            run.font.bold = True
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    # Repeat the header row on every page of a long table.
    trpr = rows[0]._tr.get_or_add_trPr()
    header = trpr.makeelement(qn("w:tblHeader"), {})
    trpr.append(header)


# Column widths (cm) add up to the text width: 16 cm on portrait A4, 24.7 cm on landscape A4.
INDICATOR_HEADERS = ["序号", "指标", "目标", "力争", "本期完成", "序时目标", "状态", "牵头单位"]
INDICATOR_CELLS = ["{{ r.key }}", "{{ r.metric }}", "{{ r.target }}", "{{ r.stretch }}", "{{ r.reported }}", "{{ r.expected }}", "{{ r.status }}", "{{ r.lead_unit }}"]
INDICATOR_WIDTHS_PORTRAIT = [1.2, 2.8, 2.4, 1.4, 1.9, 1.9, 1.8, 2.6]
INDICATOR_WIDTHS_LANDSCAPE = [1.4, 5.0, 2.8, 2.2, 2.4, 2.4, 3.5, 5.0]
TASK_WIDTHS_LANDSCAPE = [1.4, 10.0, 3.4, 2.6, 1.7, 3.8, 1.8]
NOTICE_WIDTHS = [1.2, 2.3, 1.2, 5.4, 5.9]


def _landscape_section(document) -> None:
    """Start a landscape A4 section: the 附件 tables have seven or eight columns and long task texts."""
    section = document.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.5)
    section.left_margin, section.right_margin = Cm(2.5), Cm(2.5)


def build_bulletin(target: Path) -> None:
    d = _document()
    d.add_paragraph("{{ year }}年《政府工作报告》重点工作推进情况通报", style="Title").alignment = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(d, "（截至{{ period_label }}底）", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(d, "{{ office }}　　　　{{ as_of }}", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(d, "各有关单位：", indent=False)
    _paragraph(
        d,
        "按照区政府工作安排，{{ office }}对{{ year }}年《政府工作报告》确定的重点工作推进情况进行了调度督查。"
        "现将截至{{ period_label }}底的推进情况通报如下。",
    )

    d.add_heading("一、总体情况", level=1)
    _paragraph(
        d,
        "{{ year }}年《政府工作报告》确定重点任务{{ task_total }}项。截至{{ period_label }}底（序时进度{{ schedule }}），"
        "{% for c in categories %}{{ c.name }}{{ c.count }}项、占{{ c.share }}{% if not loop.last %}；{% endif %}{% endfor %}。",
    )
    _paragraph(
        d,
        "量化指标{{ indicator_total }}项，其中绿灯{{ lights.green }}项、黄灯{{ lights.yellow }}项、红灯{{ lights.red }}项，"
        "年度考核指标{{ lights.exempt }}项，未报送{{ lights.none }}项。",
    )
    _paragraph(
        d,
        "应报送单位{{ returns.total }}个，按时报送{{ returns.on_time }}个，逾期报送{{ returns.late }}个，"
        "未报送{{ returns.missing }}个{% if returns.rejected %}；报送表格有误未予采用{{ returns.rejected }}个{% endif %}。",
    )
    _paragraph(d, "{{ chart_categories }}", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(d, "{{ chart_units }}", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)

    d.add_heading("二、主要经济指标完成情况", level=1)
    _paragraph(d, "{%p if not key_indicators %}", indent=False)
    _paragraph(d, "本期暂无主要经济指标报送数据。")
    _paragraph(d, "{%p endif %}", indent=False)
    _table(
        d,
        INDICATOR_HEADERS,
        "r in key_indicators",
        INDICATOR_CELLS,
        INDICATOR_WIDTHS_PORTRAIT,
    )

    d.add_heading("三、滞后事项及存在问题", level=1)
    _paragraph(d, "{%p if not lagging %}", indent=False)
    _paragraph(d, "本期无欠序时进度任务和红灯指标。")
    _paragraph(d, "{%p endif %}", indent=False)
    _paragraph(d, "{%p for item in lagging %}", indent=False)
    _paragraph(
        d,
        "{{ loop.index }}. {{ item.kind }}{{ item.key }}：{{ item.title }}（牵头单位：{{ item.lead_unit or '未明确' }}）。"
        "{% if item.detail %}{{ item.detail }}。{% endif %}存在问题：{{ item.issues or '未说明。' }}",
    )
    _paragraph(d, "{%p endfor %}", indent=False)

    d.add_heading("四、报送情况", level=1)
    _paragraph(
        d,
        "未报送单位（{{ gaps.missing|length }}个）：{% for u in gaps.missing %}{{ u.unit }}{% if not loop.last %}、{% endif %}"
        "{% else %}无{% endfor %}。",
    )
    _paragraph(
        d,
        "逾期报送单位（{{ gaps.late|length }}个）：{% for u in gaps.late %}{{ u.unit }}（{{ u.received }}）"
        "{% if not loop.last %}、{% endif %}{% else %}无{% endfor %}。",
    )
    _paragraph(d, "{%p if gaps.rejected %}", indent=False)
    _paragraph(
        d,
        "报送表格有误、未予采用的单位（{{ gaps.rejected|length }}个）：{% for u in gaps.rejected %}{{ u.unit }}"
        "{% if not loop.last %}、{% endif %}{% endfor %}，请按问题清单修改后重新报送。",
    )
    _paragraph(d, "{%p endif %}", indent=False)

    d.add_heading("五、下步工作要求", level=1)
    _paragraph(
        d,
        "（一）压实工作责任。各牵头单位要对照目标任务和时间节点，逐项梳理推进情况，"
        "对欠序时进度的任务和红灯指标，主要负责同志要亲自研究、制定措施，确保按期完成。",
    )
    _paragraph(
        d,
        "（二）按时准确报送。各单位要在规定时限前（本期为{{ due_date }}前）报送推进情况，数据真实准确、进展具体可考；"
        "未报送、逾期报送的单位要说明原因。",
    )
    _paragraph(d, "（三）强化督查问效。对收到督办单的单位，区政府督查室将跟踪督办，督办情况纳入年度综合考核。")
    _paragraph(d, "附件：1. 重点任务推进情况一览表", indent=True)
    _paragraph(d, "　　　2. 量化指标完成情况一览表", indent=True)
    _paragraph(d, "{{ office }}", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(d, "{{ as_of }}", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)

    _landscape_section(d)
    _paragraph(d, "附件1", indent=False).runs[0].font.bold = True
    d.add_paragraph("重点任务推进情况一览表", style="Heading 1").alignment = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(d, "{%p for group in tasks_by_category %}", indent=False)
    d.add_heading("{{ group.name }}（{{ group.count }}项）", level=2)
    _table(
        d,
        ["序号", "任务内容", "牵头单位", "完成时限", "进度", "存在问题", "较上期"],
        "t in group.tasks",
        ["{{ t.number }}", "{{ t.text }}", "{{ t.lead_units }}", "{{ t.deadline }}", "{{ t.percent }}", "{{ t.issues }}", "{{ t.change }}"],
        TASK_WIDTHS_LANDSCAPE,
    )
    _paragraph(d, "{%p endfor %}", indent=False)

    d.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _paragraph(d, "附件2", indent=False).runs[0].font.bold = True
    d.add_paragraph("量化指标完成情况一览表", style="Heading 1").alignment = WD_ALIGN_PARAGRAPH.CENTER
    _table(
        d,
        INDICATOR_HEADERS,
        "r in indicators",
        INDICATOR_CELLS,
        INDICATOR_WIDTHS_LANDSCAPE,
    )
    d.save(target)


def build_notice(target: Path) -> None:
    d = _document()
    # one page: a unit with seven or eight items still fits with slightly narrower top and bottom margins
    d.sections[0].top_margin, d.sections[0].bottom_margin = Cm(2.5), Cm(2.0)
    d.add_paragraph("督　办　单", style="Title").alignment = WD_ALIGN_PARAGRAPH.CENTER
    _paragraph(d, "{{ number }}", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(d, "{{ unit }}：", indent=False)
    _paragraph(
        d,
        "根据{{ period_label }}《政府工作报告》重点工作调度情况，你单位有以下{{ item_count }}项事项逾期或滞后，"
        "现予督办。请认真分析原因，制定整改措施，于{{ reply_by }}前将整改落实情况书面报送{{ office }}。",
    )
    _table(
        d,
        ["序号", "预警类型", "级别", "事项", "原因"],
        "item in items",
        ["{{ loop.index }}", "{{ item.flag }}", "{{ item.level }}", "{{ item.subject }}", "{{ item.reason }}"],
        NOTICE_WIDTHS,
    )
    _paragraph(d, "回复时限：{{ reply_by }}前", indent=False)
    _paragraph(d, "{{ office }}", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(d, "{{ as_of }}", indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    d.save(target)


if __name__ == "__main__":
    build_bulletin(HERE / "bulletin.docx")
    build_notice(HERE / "notice.docx")
    print("written:", HERE / "bulletin.docx", HERE / "notice.docx")
