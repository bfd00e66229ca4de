"""A county's 分工 as offices receive it, built by the tests in every format.

One content — a cover notice, the document's own title, a table 序号 | 目标与任务 |
分管县领导 | 牵头责任单位 | 责任单位 | 完成时限 with section rows merged across it
and numbering that restarts in each section — written as .docx, .xlsx, a saved
政府信息公开 web page, a table copied one cell per line, and (through
LibreOffice) .doc, .wps, .pdf, .xls, .et and .ods. Each must parse to `EXPECTED`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pyxl.common.model import Group, Unit, UnitDirectory

COUNTY = "沁源县"
TITLE = "沁源县2025年政府工作报告重点工作任务分工方案"
NOTICE_TITLE = f"沁源县人民政府办公室关于印发{TITLE}的通知"
NOTICE = [
    "各乡（镇）人民政府，县直各有关单位：",
    f"现将《{TITLE}》印发给你们，请结合实际，认真抓好贯彻落实。",
    "沁源县人民政府办公室",
    "2025年3月5日",
    "（此件公开发布）",
]
COPIES = "抄送：县委办公室，县人大常委会办公室，县政协办公室。"
HEADER = ("序号", "目标与任务", "分管县领导", "牵头责任单位", "责任单位", "完成时限")
# section title, rows (序号, 目标与任务, 分管县领导, 牵头责任单位, 责任单位, 完成时限); 序号 restarts per section
SECTIONS = [
    (
        "一、经济发展主要预期目标",
        [
            ("1", "地区生产总值增长6%左右。", "王建国", "县发改局", "县统计局、县财政局", "12月底前"),
            ("2", "固定资产投资增长8%。", "王建国", "县发改局", "各乡镇", "12月底前"),
            ("3", "一般公共预算收入增长5%。", "李明", "县财政局", "县税务局", "年底前"),
        ],
    ),
    (
        "二、重点工作任务",
        [
            ("1", "新开工重点项目30个以上。", "王建国", "县发改局", "县住建局、县自然资源局", "6月底前"),
            ("2", "新增城镇就业2000人。", "赵丽", "县人社局", "各乡镇", "年底前"),
        ],
    ),
]
LEADERS = {"王建国", "李明", "赵丽"}
# (key, section, lead, responsible, deadline phrases) as the parser must read every format
EXPECTED = [
    ("一-1", "一", ["县发展和改革局"], ["县统计局", "县财政局"], ["12月底前"]),
    ("一-2", "一", ["县发展和改革局"], ["各乡镇"], ["12月底前"]),
    ("一-3", "一", ["县财政局"], ["国家税务总局沁源县税务局"], ["年底前"]),
    ("二-1", "二", ["县发展和改革局"], ["县住房和城乡建设局", "县自然资源局"], ["6月底前"]),
    ("二-2", "二", ["县人力资源和社会保障局"], ["各乡镇"], ["年底前"]),
]
SECTION_TITLES = [("一", "经济发展主要预期目标"), ("二", "重点工作任务")]


def county_directory() -> UnitDirectory:
    units = (
        Unit("县发展和改革局", "县直部门", ("县发改局",)),
        Unit("县财政局", "县直部门"),
        Unit("县统计局", "县直部门"),
        Unit("国家税务总局沁源县税务局", "县直部门", ("县税务局",)),
        Unit("县住房和城乡建设局", "县直部门", ("县住建局",)),
        Unit("县自然资源局", "县直部门"),
        Unit("县人力资源和社会保障局", "县直部门", ("县人社局",)),
        Unit("沁河镇", "乡镇"),
        Unit("郭道镇", "乡镇"),
    )
    return UnitDirectory(units, (Group("各乡镇", ("沁河镇", "郭道镇")),))


TEXTS = [row[1] for _, section_rows in SECTIONS for row in section_rows]


def summary(duty) -> list[tuple]:
    """What every format must agree on: key, section, lead, responsible, deadlines, and the text."""
    return [
        (t.number, t.section, t.lead_units, t.responsible_units, [d.phrase for d in t.deadlines], t.text)
        for t in duty.tasks
    ]


def expected() -> list[tuple]:
    return [(*row, text) for row, text in zip(EXPECTED, TEXTS)]


def rows() -> list[tuple]:
    """The table's rows after its header: a 1-tuple for a section row."""
    out: list[tuple] = []
    for title, section_rows in SECTIONS:
        out.append((title,))
        out.extend(section_rows)
    return out


# The same county's document typed as paragraphs (labels in the text, long enough to wrap on a page)
PARAGRAPHS = [
    NOTICE_TITLE,
    *NOTICE,
    "附件",
    TITLE,
    "一、经济发展主要预期目标",
    "1.地区生产总值增长6%左右，规模以上工业增加值增长7%，全社会固定资产投资增长8%，社会消费品零售总额增长5%。"
    "（责任领导：王建国；牵头单位：县发改局；责任单位：县统计局、县财政局）",
    "2.一般公共预算收入增长5%，12月底前完成全年税收征管任务。（牵头单位：县财政局；配合单位：县税务局）",
    "二、重点工作任务",
    "（一）项目建设",
    "3.新开工重点项目30个以上，6月底前全部开工，年内完成投资50亿元。（县发改局牵头，县住建局、县自然资源局配合）",
    "（二）民生保障",
    "★4.新增城镇就业2000人，城镇登记失业率控制在4.5%以内。（牵头部门：县人社局；协办单位：各乡镇）",
]


def write_paragraph_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    for text in PARAGRAPHS:
        document.add_paragraph(text)
    document.save(path)
    return path


# ---------------------------------------------------------------- writers


def write_docx(path: Path) -> Path:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    document = docx.Document()
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run(NOTICE_TITLE).font.size = Pt(18)
    for text in NOTICE:
        document.add_paragraph(text)
    document.add_page_break()
    document.add_paragraph("附件")
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.add_run(TITLE).font.size = Pt(16)
    table = document.add_table(rows=1, cols=len(HEADER))
    table.style = "Table Grid"
    for column, text in enumerate(HEADER):
        table.cell(0, column).text = text
    for row in rows():
        cells = table.add_row().cells
        if len(row) == 1:
            merged = cells[0].merge(cells[-1])
            merged.text = row[0]
        else:
            for column, text in enumerate(row):
                cells[column].text = text
    # 一-1 and 一-2 share their lead: one cell merged down over both, as offices lay it out
    lead = HEADER.index("牵头责任单位")
    table.cell(3, lead).text = ""
    table.cell(2, lead).merge(table.cell(3, lead)).text = "县发改局"
    # after the table, as in every issued document (and never part of the last task)
    document.add_paragraph(COPIES)
    document.save(path)
    return path


def write_xlsx(path: Path) -> Path:
    """The 分工表 as a sheet: a merged title row, the header, merged section rows, a lead merged down."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "分工表"
    width = len(HEADER)
    sheet.cell(1, 1, TITLE)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    for column, text in enumerate(HEADER, start=1):
        sheet.cell(2, column, text)
    r = 3
    lead_column = HEADER.index("牵头责任单位") + 1
    for row in rows():
        if len(row) == 1:
            sheet.cell(r, 1, row[0])
            sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
        else:
            for column, text in enumerate(row, start=1):
                value = int(text) if column == 1 else text
                sheet.cell(r, column, value)
        r += 1
    # 一-1 and 一-2 share their lead: one cell merged down over both, as offices lay it out
    sheet.cell(5, lead_column).value = None
    sheet.merge_cells(start_row=4, start_column=lead_column, end_row=5, end_column=lead_column)
    book.save(path)
    return path


def html_page() -> str:
    """A saved 政府信息公开 page: site menus, breadcrumb, index table, the document, a footer."""
    cells = []
    lead = HEADER.index("牵头责任单位")
    for index, row in enumerate(rows()):
        if len(row) == 1:
            cells.append(f'<tr><td colspan="{len(HEADER)}"><strong>{row[0]}</strong></td></tr>')
            continue
        tds = [f"<td><p>{text}</p></td>" for text in row]
        if index == 1:  # 一-1 and 一-2 share their lead: one cell spanning both rows
            tds[lead] = f'<td rowspan="2"><p>{row[lead]}</p></td>'
        elif index == 2:
            del tds[lead]
        cells.append("<tr>" + "".join(tds) + "</tr>")
    header = "<tr>" + "".join(f"<td><strong>{text}</strong></td>" for text in HEADER) + "</tr>"
    notice = "".join(f"<p>{text}</p>" for text in NOTICE)
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{NOTICE_TITLE}_政府文件_{COUNTY}人民政府</title>
<script>var _hmt = _hmt || [];</script><style>.nav li {{ float: left; }}</style></head>
<body>
<div class="top"><div class="logo">{COUNTY}人民政府</div>
 <ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/zwfw/">政务服务</a></li>
 <li><a href="/hdjl/">互动交流</a></li><li><a href="/zjqy/">走进沁源</a></li></ul></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政府信息公开</a> &gt; <a href="/zwgk/zfwj/">政府文件</a></div>
<div class="main">
 <div class="left"><h3>信息公开目录</h3><ul><li><a href="#">政府文件</a></li><li><a href="#">规划计划</a></li><li><a href="#">财政信息</a></li></ul></div>
 <div class="right">
  <table class="xxgk"><tr><td>索引号：</td><td>11140431MB1961234X/2025-00012</td><td>主题分类：</td><td>综合政务</td></tr>
  <tr><td>发布机构：</td><td>{COUNTY}人民政府办公室</td><td>成文日期：</td><td>2025年03月05日</td></tr>
  <tr><td>文号：</td><td>源政办发〔2025〕5号</td><td>发布日期：</td><td>2025年03月06日</td></tr></table>
  <h1 class="article-title">{NOTICE_TITLE}</h1>
  <div class="article-info">发布时间：2025-03-06 09:30 来源：县政府办 【字体：大 中 小】 打印</div>
  <div class="TRS_Editor" id="zoom">
   {notice}
   <p>附件</p>
   <p style="text-align:center"><strong>{TITLE}</strong></p>
   <table border="1" cellspacing="0">{header}{"".join(cells)}</table>
   <p>{COPIES}</p>
  </div>
  <div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a></div>
 </div>
</div>
<div class="bottom"><p>主办单位：{COUNTY}人民政府办公室　承办单位：{COUNTY}大数据中心</p>
<p>网站标识码：1404310001　晋ICP备05001234号　联系电话：0355-7032000</p></div>
</body></html>
"""


def write_html(path: Path) -> Path:
    path.write_bytes(html_page().encode("gb18030"))
    return path


def tab_separated_text() -> str:
    """The table pasted from Word or Excel into a text file: cells split by tabs, a section row alone."""
    lines = [*NOTICE, TITLE, "\t".join(HEADER)]
    for row in rows():
        lines.append(row[0] + "\t" * (len(HEADER) - 1) if len(row) == 1 else "\t".join(row))
    return "\n".join(lines) + "\n"


def flattened_text() -> str:
    """The table copied out of a web page: one cell per line, empty cells gone."""
    lines = [TITLE, ""]
    lines += list(HEADER)
    for row in rows():
        lines += list(row)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- LibreOffice


def require_libreoffice() -> str:
    soffice = shutil.which("soffice")
    if soffice is None:
        message = "soffice 未安装（Debian：libreoffice-writer-nogui / libreoffice-calc-nogui）"
        if os.environ.get("PYXL_REQUIRE_LIBREOFFICE") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return soffice


def convert(source: Path, target_format: str, folder: Path) -> Path:
    """`source` saved by LibreOffice as `target_format` (doc, pdf, xls, ods …) into `folder`."""
    soffice = require_libreoffice()
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        soffice, f"-env:UserInstallation={(folder / 'lo-profile').as_uri()}", "--headless", "--norestore",
        "--convert-to", target_format, "--outdir", str(folder), str(source),
    ]
    target = folder / f"{source.stem}.{target_format.split(':')[0]}"
    # a fresh profile's first start may exit (code 81) before converting: start it once more
    for _ in range(2):
        subprocess.run(command, capture_output=True, timeout=180, env={**os.environ, "LANG": "C.UTF-8"})
        if target.exists():
            return target
    raise AssertionError(f"LibreOffice did not convert {source} to {target_format}")


def old_style_html_page() -> str:
    """The same page from an older site: the whole page laid out in nested tables, links in cells."""
    page = html_page()
    body = page[page.index("<body>") + len("<body>") : page.index("</body>")]
    start = body.index('<div class="TRS_Editor"')
    end = body.index('<div class="share">')
    document = body[start:end]
    return f"""<html><head><meta charset="gbk"><title>{NOTICE_TITLE}</title></head><body>
<table width="1000" align="center"><tr><td><table><tr><td><a href="/">首页</a></td><td><a href="/zwgk/">政务公开</a></td>
<td><a href="/hdjl/">互动交流</a></td></tr></table></td></tr>
<tr><td>当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政府信息公开</a></td></tr>
<tr><td><table width="100%"><tr><td width="200"><a href="#">政府文件</a><br><a href="#">规划计划</a></td>
<td><table><tr><td>索引号：</td><td>11140431MB1961234X/2025-00012</td></tr><tr><td>发布机构：</td><td>{COUNTY}人民政府办公室</td></tr></table>
<p align="center"><font size="5">{NOTICE_TITLE}</font></p>
{document}</td></tr></table></td></tr>
<tr><td><p>主办单位：{COUNTY}人民政府办公室　承办单位：{COUNTY}大数据中心</p><p>网站标识码：1404310001　晋ICP备05001234号</p></td></tr>
</table></body></html>
"""
