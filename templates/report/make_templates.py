"""Build the bulletin and 督办单 DOCX templates (bulletin.docx, notice.docx) with python-docx.

Run once after changing this script: `.venv/bin/python templates/report/make_templates.py`.
The generated files are committed; the office may restyle them in Word
afterwards (fonts, margins, letterhead) as long as the {{ … }} / {% … %} tags
stay intact — pyxl fills them with docxtpl. A workspace overrides a bundled
template by keeping a file of the same name in its own templates/report/.

The bulletin follows GB/T 9704-2012 as offices apply it to a 督查通报: A4,
margins 37/35/28/26 mm, 22 lines of 28 characters (3号 text on a fixed
28.9 pt line pitch, the character grid squeezing 28 characters into the
156 mm line), title 2号 方正小标宋简体, body 3号 仿宋_GB2312, first-level
headings 黑体, second-level 楷体_GB2312, page numbers "— 1 —" in 4号 宋体 at
the outer edge (odd pages right, even pages left, one character in). Fonts an
office PC may lack name their common fallbacks in the font table.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

HERE = Path(__file__).resolve().parent

# GB/T 9704 fonts, each with the font Windows ships that an office PC falls back to.
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
KAI_FONT = "楷体_GB2312"
PAGE_FONT = "宋体"
FALLBACKS = {TITLE_FONT: "宋体", BODY_FONT: "仿宋", KAI_FONT: "楷体", HEADING_FONT: "SimHei", PAGE_FONT: "SimSun"}

# 号 sizes in points
SIZE_2 = 22  # 二号: title
SIZE_3 = 16  # 三号: body and headings
SIZE_4 = 14  # 四号: page numbers
SIZE_SMALL_4 = 12  # 小四: table text
MARK_SIZE = 42  # 初号: the red 版头 mark

LINE_PITCH = Pt(28.9)  # 22 lines in the 225 mm of text height
# Line grid of 28.9 pt. 28 characters of 3号 (16 pt) need 448 pt, the line holds 442.2 pt (156 mm):
# the body text is condensed by 0.25 pt a character (15.75 pt pitch, 441 pt a line). A linesAndChars
# grid would do the same in Word, but LibreOffice spreads the characters over twice the width.
GRID = {"w:type": "lines", "w:linePitch": "578"}
CONDENSE = -0.25  # pt
RED = RGBColor(0xE6, 0x00, 0x12)

# Text widths: portrait 210 - 28 - 26 = 156 mm; landscape (margins turned with the page) 297 - 37 - 35 = 225 mm.
PORTRAIT_TEXT_MM = 156
LANDSCAPE_TEXT_MM = 225


def _fonts(element, name: str) -> None:
    """Name the font for Latin and East Asian text on a style's or run's rPr (Word reads w:eastAsia for Chinese)."""
    rpr = element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), name)
    # Theme fonts win over named ones in Word: drop them so the name counts.
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)


def _font(style_or_run, name: str, size: float | None = None, bold: bool | None = None) -> None:
    style_or_run.font.name = name
    if size is not None:
        style_or_run.font.size = Pt(size)
    if bold is not None:
        style_or_run.font.bold = bold
    _fonts(style_or_run.element, name)


# Word refuses a document whose property elements are out of the schema's order: insert in order.
RPR_ORDER = (
    "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof snapToGrid vanish "
    "webHidden color spacing w kern position sz szCs highlight u effect bdr shd fitText vertAlign rtl cs em lang "
    "eastAsianLayout specVanish oMath"
).split()
PPR_ORDER = (
    "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd tabs "
    "suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd "
    "snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc textDirection textAlignment "
    "textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange"
).split()


def _put(parent, element, order: list[str]) -> None:
    """Replace parent's child of element's tag, keeping the schema's order of children."""
    local = element.tag.split("}")[1]
    for old in parent.findall(element.tag):
        parent.remove(old)
    later = {qn("w:" + name) for name in order[order.index(local) + 1 :]}
    for index, child in enumerate(parent):
        if child.tag in later:
            parent.insert(index, element)
            return
    parent.append(element)


def _spacing(style_or_run, points: float) -> None:
    """Character spacing (w:spacing in twentieths of a point): negative condenses."""
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(round(points * 20)))
    _put(style_or_run.element.get_or_add_rPr(), spacing, RPR_ORDER)


def _exact(paragraph_format, pitch=LINE_PITCH) -> None:
    paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    paragraph_format.line_spacing = pitch
    paragraph_format.space_before = Pt(0)
    paragraph_format.space_after = Pt(0)


def _font_table_fallbacks(document) -> None:
    """Declare the 公文 fonts in the font table with GB2312 charset and their fallback (w:altName)."""
    part = next(p for p in document.part.package.parts if str(p.partname).endswith("/fontTable.xml"))
    xml = part.blob.decode("utf-8")
    entries = "".join(
        f'<w:font w:name="{name}"><w:altName w:val="{alternative}"/><w:charset w:val="86"/>'
        f'<w:family w:val="{"modern" if name in (HEADING_FONT,) else "roman"}"/><w:pitch w:val="fixed"/></w:font>'
        for name, alternative in FALLBACKS.items()
        if f'w:name="{name}"' not in xml
    )
    part._blob = re.sub(r"</w:fonts>\s*$", entries + "</w:fonts>", xml).encode("utf-8")


def _page(section, landscape: bool = False) -> None:
    """A4 with the 公文 margins (turned with the page for landscape 附件 tables) and the character grid."""
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
        section.top_margin, section.bottom_margin = Mm(28), Mm(26)
        section.left_margin, section.right_margin = Mm(37), Mm(35)
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance = Mm(15)
    # the page number's line sits 7 mm under the text block
    section.footer_distance = Mm(22) if not landscape else Mm(14)
    sectpr = section._sectPr
    for grid in sectpr.findall(qn("w:docGrid")):
        sectpr.remove(grid)
    grid = OxmlElement("w:docGrid")
    for key, value in GRID.items():
        grid.set(qn(key), value)
    sectpr.append(grid)


def _page_number_paragraph(footer, align, indent_side: str) -> None:
    """— PAGE — in 4号 宋体, one character in from the outer edge."""
    paragraph = footer.paragraphs[0]
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    _exact(fmt, Pt(SIZE_4 * 1.2))
    if indent_side == "right":
        fmt.right_indent = Pt(SIZE_4)
    else:
        fmt.left_indent = Pt(SIZE_4)

    def run(text: str = ""):
        r = paragraph.add_run(text)
        _font(r, PAGE_FONT, SIZE_4)
        return r

    run("— ")
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        r = run()
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            r._r.append(char)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            r._r.append(instr)
        else:
            r.text = text
    run(" —")


def _page_numbers(document, section) -> None:
    document.settings.odd_and_even_pages_header_footer = True
    section.footer.is_linked_to_previous = False
    section.even_page_footer.is_linked_to_previous = False
    _page_number_paragraph(section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right")
    _page_number_paragraph(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left")


def _document() -> Document:
    document = Document()
    _font_table_fallbacks(document)
    section = document.sections[0]
    _page(section)
    # Document defaults: the grid's character pitch is counted from the default size.
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        for size_tag in ("w:sz", "w:szCs"):
            size = OxmlElement(size_tag)
            size.set(qn("w:val"), str(SIZE_3 * 2))
            _put(rpr, size, RPR_ORDER)
    normal = document.styles["Normal"]
    _font(normal, BODY_FONT, SIZE_3)
    _spacing(normal, CONDENSE)
    _exact(normal.paragraph_format)
    normal.paragraph_format.widow_control = False  # 公文 pages are filled line by line
    # Word's paragraph lines snap to the grid; keep the text block's 22 lines exact.
    for name, font, size in (("Title", TITLE_FONT, SIZE_2), ("Heading 1", HEADING_FONT, SIZE_3), ("Heading 2", KAI_FONT, SIZE_3)):
        style = document.styles[name]
        _font(style, font, size, bold=False)
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        _exact(style.paragraph_format)
        ppr = style.element.get_or_add_pPr()
        for border in ppr.findall(qn("w:pBdr")):
            ppr.remove(border)
        if name != "Title":
            style.paragraph_format.first_line_indent = Pt(SIZE_3 * 2)
            style.paragraph_format.keep_with_next = True
    document.styles["Title"].paragraph_format.line_spacing = Pt(SIZE_2 * 1.5)
    document.styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    table_text = document.styles.add_style("表格文字", 1)
    table_text.base_style = normal
    _font(table_text, BODY_FONT, SIZE_SMALL_4)
    _spacing(table_text, 0)
    _exact(table_text.paragraph_format, Pt(SIZE_SMALL_4 * 1.25))
    # table text is not on the body's character grid
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    _put(table_text.element.get_or_add_pPr(), snap, PPR_ORDER)
    table_head = document.styles.add_style("表头", 1)
    table_head.base_style = table_text
    _font(table_head, HEADING_FONT, SIZE_SMALL_4)
    table_head.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return document


def _paragraph(document, text: str = "", indent: bool = True, align=None, style=None):
    paragraph = document.add_paragraph(text, style=style)
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(SIZE_3 * 2)  # two characters
    if align is not None:
        paragraph.alignment = align
    return paragraph


def _tag(document, text: str):
    """A paragraph holding only a docxtpl {%p … %} tag: docxtpl removes it, so its look does not matter."""
    return document.add_paragraph(text)


def _cant_split(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    trpr.append(trpr.makeelement(qn("w:cantSplit"), {}))


def _table(document, headers: list[str], loop: str, cells: list[str], widths: list[float]) -> None:
    """A grid table: a header row repeated on every page, then one row per item ({%tr for %}), never split across pages."""
    table = document.add_table(rows=4, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    # Fixed column widths: LibreOffice and WPS read the grid, Word the cells; set both.
    table.autofit = False
    for index, width in enumerate(widths):
        table.columns[index].width = Mm(width)
    rows = table.rows
    for index, header in enumerate(headers):
        rows[0].cells[index].text = header
        rows[2].cells[index].text = cells[index]
    rows[1].cells[0].text = "{%tr for " + loop + " %}"
    rows[3].cells[0].text = "{%tr endfor %}"
    for number, row in enumerate(rows):
        for index, cell in enumerate(row.cells):
            cell.width = Mm(widths[index])
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            for paragraph in cell.paragraphs:
                paragraph.style = "表头" if number == 0 else "表格文字"
        _cant_split(row)
    trpr = rows[0]._tr.get_or_add_trPr()
    trpr.append(trpr.makeelement(qn("w:tblHeader"), {}))


# Column widths (mm) add up to the text width: 156 mm portrait, 225 mm landscape.
INDICATOR_HEADERS = ["序号", "指标", "目标", "力争", "本期完成", "序时目标", "状态", "牵头单位"]
INDICATOR_CELLS = ["{{ r.key }}", "{{ r.metric }}", "{{ r.target }}", "{{ r.stretch }}", "{{ r.reported }}", "{{ r.expected }}", "{{ r.status }}", "{{ r.lead_unit }}"]
INDICATOR_WIDTHS_PORTRAIT = [13, 30, 22, 16, 18, 18, 17, 22]
INDICATOR_WIDTHS_LANDSCAPE = [14, 46, 26, 20, 22, 22, 30, 45]
TASK_HEADERS = ["序号", "任务内容", "牵头单位", "完成时限", "进度", "存在问题", "较上期"]
TASK_CELLS = ["{{ t.number }}", "{{ t.text }}", "{{ t.lead_units }}", "{{ t.deadline }}", "{{ t.percent }}", "{{ t.issues }}", "{{ t.change }}"]
TASK_WIDTHS_LANDSCAPE = [14, 76, 30, 27, 19, 41, 18]


def _new_section(document, landscape: bool) -> None:
    """Start a section on a new page: landscape for the 附件 tables (seven or eight columns, long task texts).

    Each section carries its own odd and even page-number footers: LibreOffice
    does not inherit the even-page footer across a change of page size.
    """
    section = document.add_section(WD_SECTION.NEW_PAGE)
    _page(section, landscape=landscape)
    _page_numbers(document, section)


def _attachment_heading(document, label: str, title: str) -> None:
    """附件N in 3号 黑体 at the top left, the attachment's title in 2号 小标宋 centred under it."""
    p = _paragraph(document, "", indent=False)
    _font(p.add_run(label), HEADING_FONT, SIZE_3)
    document.add_paragraph(title, style="Title")


def _red_rule(paragraph) -> None:
    """The 版头's red separator line: a bottom border the width of the text block."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "4"), ("w:color", "E60012")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    _put(ppr, borders, PPR_ORDER)


def _letterhead(document) -> None:
    """版头: the red mark, 期号, 编发单位 left and date right over the red line (the issuer and date appear only here)."""
    mark = _paragraph(document, "", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    _exact(mark.paragraph_format, Pt(MARK_SIZE * 1.3))
    run = mark.add_run("{{ mark }}")
    _font(run, TITLE_FONT, MARK_SIZE)
    run.font.color.rgb = RED
    _spacing(run, 6)
    _paragraph(document, "", indent=False)
    _paragraph(document, "{{ issue }}{% if doc_number %}　{{ doc_number }}{% endif %}", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    line = _paragraph(document, "{{ office }}\t{{ issue_date }}", indent=False)
    line.paragraph_format.left_indent = Pt(SIZE_3)
    line.paragraph_format.right_indent = Pt(SIZE_3)
    line.paragraph_format.tab_stops.add_tab_stop(Mm(PORTRAIT_TEXT_MM) - Pt(SIZE_3 * 2), WD_TAB_ALIGNMENT.RIGHT)
    _red_rule(line)
    _paragraph(document, "", indent=False)


def build_bulletin(target: Path) -> None:
    d = _document()
    _page_numbers(d, d.sections[0])
    _letterhead(d)
    # two balanced lines rather than a long one and an orphaned 通报
    title = d.add_paragraph("{{ year }}年《政府工作报告》重点工作", style="Title")
    title.runs[0].add_break()
    title.add_run("推进情况通报")
    _paragraph(d, "（截至{{ period_label }}底）", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(d, "", indent=False)
    _paragraph(d, "各有关单位：", indent=False)
    _paragraph(
        d,
        "按照{{ level }}政府工作安排，{{ office }}对{{ year }}年《政府工作报告》确定的重点工作推进情况进行了调度督查。"
        "现将截至{{ period_label }}底的推进情况通报如下。",
    )

    d.add_heading("一、总体情况", level=1)
    _paragraph(
        d,
        "{{ year }}年《政府工作报告》确定重点任务{{ task_total }}项。截至{{ period_label }}底（序时进度{{ schedule }}），"
        "{% for c in categories if c.count %}{{ c.name }}{{ c.count }}项、占{{ c.share }}{% if not loop.last %}；{% endif %}{% endfor %}。",
    )
    _tag(d, "{%p if life_sentence %}")
    _paragraph(d, "{{ life_sentence }}")
    _tag(d, "{%p endif %}")
    _paragraph(
        d,
        "量化指标{{ indicator_total }}项{% if light_sentence is defined and light_sentence %}，其中{{ light_sentence }}"
        "{% else %}{% for l in light_parts %}{% if loop.first %}，其中{% else %}、{% endif %}"
        "{{ l.label }}{{ l.count }}项{% endfor %}{% endif %}。",
    )
    _paragraph(
        d,
        "{% if return_sentence is defined and return_sentence %}{{ return_sentence }}{% else %}"
        "应报送单位{{ returns.total }}个{% for r in return_parts %}，{{ r.label }}{{ r.count }}个{% endfor %}。{% endif %}",
    )
    _paragraph(d, "{{ chart_categories }}", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER).paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE

    d.add_heading("二、主要经济指标完成情况", level=1)
    _tag(d, "{%p if not key_indicators %}")
    _paragraph(d, "本期暂无主要经济指标报送数据。")
    _tag(d, "{%p endif %}")
    _table(d, INDICATOR_HEADERS, "r in key_indicators", INDICATOR_CELLS, INDICATOR_WIDTHS_PORTRAIT)

    d.add_heading("三、滞后事项及存在问题", level=1)
    _tag(d, "{%p if not lagging and not overdue_tasks %}")
    _paragraph(d, "本期无逾期、欠序时进度任务和红灯指标。")
    _tag(d, "{%p endif %}")
    _tag(d, "{%p if overdue_tasks %}")
    d.add_heading("{{ overdue_heading }}", level=2)
    _tag(d, "{%p for t in overdue_tasks %}")
    _paragraph(d, "{{ loop.index }}. 任务{{ t.number }}：{{ t.title }}（牵头单位：{{ t.lead_units }}），完成时限为{{ t.deadline }}，已逾期未完成{% if t.category %}（目前{{ t.category }}）{% endif %}。{% if t.issues %}存在问题：{{ t.issues }}{% endif %}")
    _tag(d, "{%p endfor %}")
    _tag(d, "{%p endif %}")
    _tag(d, "{%p if lagging %}")
    d.add_heading("{{ lagging_heading }}", level=2)
    _tag(d, "{%p for item in lagging %}")
    _paragraph(
        d,
        "{{ loop.index }}. {{ item.kind }}{{ item.key }}：{{ item.title }}（牵头单位：{{ item.lead_unit }}）。"
        "{% if item.detail %}{{ item.detail }}。{% endif %}{% if item.issues %}存在问题：{{ item.issues }}{% endif %}",
    )
    _tag(d, "{%p endfor %}")
    _tag(d, "{%p endif %}")
    _tag(d, "{%p if disputed %}")
    d.add_heading("{{ disputed_heading }}", level=2)
    _tag(d, "{%p for x in disputed %}")
    _paragraph(d, "{{ loop.index }}. {{ x.text }}")
    _tag(d, "{%p endfor %}")
    _tag(d, "{%p endif %}")
    _tag(d, "{%p if repeat_cases %}")
    d.add_heading("{{ repeat_heading }}", level=2)
    _tag(d, "{%p for x in repeat_cases %}")
    _paragraph(d, "{{ loop.index }}. {{ x.text }}")
    _tag(d, "{%p endfor %}")
    _tag(d, "{%p endif %}")
    _tag(d, "{%p if common_problems %}")
    d.add_heading("{{ problems_heading }}", level=2)
    _paragraph(
        d,
        "从各单位报送的存在问题看，{% for p in common_problems %}{{ p.count }}个单位反映{{ p.kind }}"
        "{% if not loop.last %}，{% endif %}{% endfor %}。",
    )
    _tag(d, "{%p endif %}")

    d.add_heading("四、报送情况", level=1)
    _tag(d, "{%p if not gaps.missing and not gaps.late and not gaps.rejected %}")
    _paragraph(d, "各单位均按时报送。")
    _tag(d, "{%p endif %}")
    _tag(d, "{%p if gaps.missing %}")
    _paragraph(d, "未报送单位（{{ gaps.missing|length }}个）：{% for u in gaps.missing %}{{ u.unit }}{% if not loop.last %}、{% endif %}{% endfor %}。")
    _tag(d, "{%p endif %}")
    _tag(d, "{%p if gaps.late %}")
    _paragraph(
        d,
        "逾期报送单位（{{ gaps.late|length }}个）：{% for u in gaps.late %}{{ u.unit }}（{{ u.received }}）"
        "{% if not loop.last %}、{% endif %}{% endfor %}。",
    )
    _tag(d, "{%p endif %}")
    _tag(d, "{%p if gaps.rejected %}")
    _paragraph(
        d,
        "报送表格有误、未予采用的单位（{{ gaps.rejected|length }}个）：{% for u in gaps.rejected %}{{ u.unit }}"
        "{% if not loop.last %}、{% endif %}{% endfor %}，请按问题清单修改后重新报送。",
    )
    _tag(d, "{%p endif %}")
    _tag(d, "{%p if reply_sentence %}")
    _paragraph(d, "{{ reply_sentence }}")
    _tag(d, "{%p endif %}")
    _tag(d, "{%p if ranking_sentence %}")
    _paragraph(d, "{{ ranking_sentence }}")
    _tag(d, "{%p endif %}")

    d.add_heading("五、下步工作要求", level=1)
    _paragraph(
        d,
        "（一）压实工作责任。各牵头单位要对照目标任务和时间节点，逐项梳理推进情况，"
        "对逾期、欠序时进度的任务和红灯指标，主要负责同志要亲自研究、制定措施，确保按期完成。",
    )
    _paragraph(
        d,
        "（二）按时准确报送。各单位要在规定时限前（本期为{{ due_date }}前）报送推进情况，数据真实准确、进展具体可考；"
        "未报送、逾期报送的单位要说明原因。",
    )
    _paragraph(d, "（三）强化督查问效。对收到督办单的单位，{{ office }}将跟踪督办，督办情况纳入年度综合考核。")
    _paragraph(d, "")
    # the list of attachments stays together on one page
    _paragraph(d, "附件：1. 重点任务推进情况一览表").paragraph_format.keep_with_next = True
    second = _paragraph(d, "2. 量化指标完成情况一览表", indent=False)
    second.paragraph_format.left_indent = Pt(SIZE_3 * 5)
    second.paragraph_format.keep_with_next = True
    _paragraph(d, "3. 各牵头单位任务推进情况图", indent=False).paragraph_format.left_indent = Pt(SIZE_3 * 5)

    _new_section(d, landscape=True)
    _attachment_heading(d, "附件1", "重点任务推进情况一览表")
    _tag(d, "{%p for group in tasks_by_category %}")
    d.add_heading("{{ group.name }}（{{ group.count }}项）", level=2)
    _table(d, TASK_HEADERS, "t in group.tasks", TASK_CELLS, TASK_WIDTHS_LANDSCAPE)
    _tag(d, "{%p endfor %}")

    _new_section(d, landscape=True)
    _attachment_heading(d, "附件2", "量化指标完成情况一览表")
    _table(d, INDICATOR_HEADERS, "r in indicators", INDICATOR_CELLS, INDICATOR_WIDTHS_LANDSCAPE)

    _new_section(d, landscape=False)
    _attachment_heading(d, "附件3", "各牵头单位任务推进情况图")
    _paragraph(d, "{{ chart_units }}", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER).paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    d.save(target)


# The 督办单 form: label column and content column (156 mm).
NOTICE_LABEL_MM = 32
NOTICE_VALUE_MM = PORTRAIT_TEXT_MM - NOTICE_LABEL_MM


def _form_row(table, label: str, *values: str, height_mm: float | None = 9) -> None:
    row = table.add_row()
    row.cells[0].text = label
    row.cells[0].paragraphs[0].style = "表头"
    row.cells[0].vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    cell = row.cells[1]
    cell.paragraphs[0].text = values[0] if values else ""
    cell.paragraphs[0].style = "表单文字"
    for value in values[1:]:
        cell.add_paragraph(value, style="表单文字")
    if height_mm:
        row.height = Mm(height_mm)
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    for index, width in enumerate((NOTICE_LABEL_MM, NOTICE_VALUE_MM)):
        row.cells[index].width = Mm(width)


def build_notice(target: Path) -> None:
    """The 督办单 as a one-page form: 编号 and level, then 承办单位, 督办事项, 督办要求, 办理时限,
    承办单位签收 (签收人, 日期), 联系人 and 电话, and the 办理结果 box with the unit head's signature."""
    d = _document()
    section = d.sections[0]
    # a form on one page: narrower top and bottom margins than the 通报's body pages
    section.top_margin, section.bottom_margin = Mm(16), Mm(16)
    form = d.styles.add_style("表单文字", 1)
    form.base_style = d.styles["表格文字"]
    _font(form, BODY_FONT, 13)
    _exact(form.paragraph_format, Pt(19))
    items = d.styles.add_style("督办事项", 1)
    items.base_style = form
    _font(items, BODY_FONT, 11)
    _exact(items.paragraph_format, Pt(15.5))
    label = d.styles["表头"]
    _font(label, HEADING_FONT, 12)

    head = _paragraph(d, "{{ office }}", indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    head.runs[0].font.color.rgb = RED
    _font(head.runs[0], TITLE_FONT, 18)
    _exact(head.paragraph_format, Pt(26))
    title = d.add_paragraph("督　办　单", style="Title")
    title.runs[0].font.color.rgb = RED
    title.runs[0].font.size = Pt(26)
    _exact(title.paragraph_format, Pt(34))
    line = _paragraph(d, "编号：{{ number }}\t督办级别：{{ level }}", indent=False)
    line.paragraph_format.tab_stops.add_tab_stop(Mm(PORTRAIT_TEXT_MM), WD_TAB_ALIGNMENT.RIGHT)
    _red_rule(line)
    _exact(_paragraph(d, "", indent=False).paragraph_format, Pt(6))

    table = d.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    table.columns[0].width, table.columns[1].width = Mm(NOTICE_LABEL_MM), Mm(NOTICE_VALUE_MM)
    _form_row(table, "承办单位", "{{ unit }}")
    _form_row(
        table,
        "督办事项",
        "根据{{ period_label }}《政府工作报告》重点工作调度情况，你单位有以下{{ item_count }}项事项需督办：",
        "{%p for item in items %}",
        "{{ loop.index }}. {{ item.subject.rstrip('。') }}（{{ item.flag }}{% if item.level and item.level != '—' %}，{{ item.level }}{% endif %}）："
        "{{ item.reason }}",
        "{%p endfor %}",
    )
    _form_row(
        table,
        "督办要求",
        "请认真分析原因，逐项制定整改措施，明确责任人和完成时限，"
        "于办理时限前将办理情况书面报送{{ office }}（加盖单位公章），"
        "并逐项填写随本督办单下发的《督办单回执》（{{ reply_file }}）一并报回。",
    )
    _form_row(table, "办理时限", "{{ reply_by }}前")
    _form_row(table, "承办单位签收", "签收人：　　　　　　　签收日期：　　年　月　日")
    _form_row(table, "联系人及电话", "联系人：{{ contact or '　　　　　　' }}　　　　电话：{{ phone }}")
    _form_row(
        table,
        "办理结果",
        "",
        "",
        "单位负责人（签字）：　　　　　　　　（单位盖章）",
        "　　　　　　　　　　　　　　　　　　年　月　日",
    )
    for row in table.rows:
        if row.cells[0].text != "督办事项":  # a long list of items may run on to a second page
            _cant_split(row)
    for paragraph in table.rows[1].cells[1].paragraphs[1:]:
        paragraph.style = "督办事项"
    d.save(target)


_STYLE_REFERENCE = re.compile(rb'<w:(?:pStyle|rStyle|tblStyle|numStyleLink|styleLink) w:val="([^"]+)"')
_STYLES_WITH_EFFECTS = "word/stylesWithEffects.xml"


def slim(path: Path) -> None:
    """Drop what python-docx's default template carries and the document never uses.

    python-docx starts every document from its own default template: 168 style
    definitions (tables in every accent colour, lists, …) in a 350 KB
    styles.xml, and the same again as Word 2010's stylesWithEffects.xml, which
    later Word ignores and no other program reads. A 督办单 is rendered for every
    unit flagged: compressing those 800 KB again for each was a third of its
    time. Kept: every style a part names (paragraph, run and table styles, in
    the body, footers and numbering), the styles those are based on, linked
    to or followed by, each type's default, the document defaults and the
    latent style list (Word's own built-in styles as offered in its gallery).
    """
    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    with zipfile.ZipFile(path) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    parts = dict((info.filename, data) for info, data in members)
    styles = etree.fromstring(parts["word/styles.xml"])
    by_id = {style.get(f"{w}styleId"): style for style in styles.iter(f"{w}style")}
    wanted = {m.decode("utf-8") for name, data in parts.items()
              if name.startswith("word/") and name.endswith(".xml") and name not in ("word/styles.xml", _STYLES_WITH_EFFECTS)
              for m in _STYLE_REFERENCE.findall(data)}
    wanted |= {key for key, style in by_id.items() if style.get(f"{w}default") == "1"}
    todo = list(wanted)
    while todo:
        style = by_id.get(todo.pop())
        for tag in ("basedOn", "link", "next"):
            child = style.find(f"{w}{tag}") if style is not None else None
            if child is not None and child.get(f"{w}val") not in wanted:
                wanted.add(child.get(f"{w}val"))
                todo.append(child.get(f"{w}val"))
    missing = wanted - set(by_id)
    assert not missing, f"styles named but not defined: {missing}"
    for key, style in by_id.items():
        if key not in wanted:
            styles.remove(style)
    parts["word/styles.xml"] = etree.tostring(styles, xml_declaration=True, encoding="UTF-8", standalone=True)
    rels = "word/_rels/document.xml.rels"
    parts[rels] = re.sub(rb'<Relationship [^>]*Target="stylesWithEffects.xml"/>', b"", parts[rels])
    parts["[Content_Types].xml"] = re.sub(rb'<Override PartName="/word/stylesWithEffects.xml"[^>]*/>', b"",
                                          parts["[Content_Types].xml"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, _ in members:
            if info.filename != _STYLES_WITH_EFFECTS:
                target.writestr(info, parts[info.filename], compress_type=zipfile.ZIP_DEFLATED)


if __name__ == "__main__":
    build_bulletin(HERE / "bulletin.docx")
    build_notice(HERE / "notice.docx")
    slim(HERE / "bulletin.docx")
    slim(HERE / "notice.docx")
    print("written:", HERE / "bulletin.docx", HERE / "notice.docx")
