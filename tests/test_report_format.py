"""The 通报 in 公文 form (GB/T 9704-2012) and the 督办单 as a form, read from the DOCX styles and from LibreOffice's PDF."""

from __future__ import annotations

import re
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from test_report import TEMPLATES, _docx_text, _form, _html_text, _require, _to_pdf, sample_consolidation

from pyxl.common.config import Settings
from pyxl.outputs.bulletin import Issuer, common_problems
from pyxl.outputs.counting import short_title
from pyxl.outputs.report import write_bulletin


@pytest.fixture(scope="module")
def consolidation():
    return sample_consolidation()


@pytest.fixture(scope="module")
def written(tmp_path_factory, consolidation):
    out = tmp_path_factory.mktemp("format") / "2025-06"
    write_bulletin(consolidation, out, TEMPLATES, "长清区", date(2025, 7, 17))
    return out


def _east_asian(style) -> str:
    return style.element.rPr.rFonts.get(qn("w:eastAsia"))


def test_bulletin_page_and_styles_follow_gbt_9704(written):
    document = Document(str(written / "督查通报_2025-06.docx"))
    body = document.sections[0]
    assert (round(body.page_width.mm), round(body.page_height.mm)) == (210, 297)
    assert [round(m.mm) for m in (body.top_margin, body.bottom_margin, body.left_margin, body.right_margin)] == [37, 35, 28, 26]
    styles = document.styles
    expected = {"Normal": ("仿宋_GB2312", 16), "Title": ("方正小标宋简体", 22), "Heading 1": ("黑体", 16), "Heading 2": ("楷体_GB2312", 16)}
    for name, (font, size) in expected.items():
        assert (_east_asian(styles[name]), styles[name].font.size) == (font, Pt(size)), name
    normal = styles["Normal"].paragraph_format
    assert normal.line_spacing_rule == WD_LINE_SPACING.EXACTLY and normal.line_spacing == Pt(28.9)  # 22 lines
    grid = body._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "lines" and grid.get(qn("w:linePitch")) == "578"
    # 28 characters: 16 pt condensed by 0.25 pt each fits the 156 mm line
    spacing = styles["Normal"].element.rPr.find(qn("w:spacing"))
    assert 28 * (16 + int(spacing.get(qn("w:val"))) / 20) <= Mm(156).pt < 29 * 15.5


def test_fonts_an_office_pc_may_lack_name_their_fallbacks(written):
    with zipfile.ZipFile(written / "督查通报_2025-06.docx") as archive:
        table = archive.read("word/fontTable.xml").decode("utf-8")
    for font, fallback in (("方正小标宋简体", "宋体"), ("仿宋_GB2312", "仿宋"), ("楷体_GB2312", "楷体"), ("黑体", "SimHei"), ("宋体", "SimSun")):
        assert re.search(rf'<w:font w:name="{font}"><w:altName w:val="{fallback}"/>', table), font


def test_page_numbers_at_the_outer_edge_in_song_4(written):
    document = Document(str(written / "督查通报_2025-06.docx"))
    assert document.settings.odd_and_even_pages_header_footer
    for section in document.sections:
        for footer, side in ((section.footer, "right"), (section.even_page_footer, "left")):
            paragraph = footer.paragraphs[0]
            assert "PAGE" in paragraph._p.xml and paragraph.text.replace("1", "N") == "— N —"
            assert paragraph.alignment.name.lower() == side
            indent = paragraph.paragraph_format.right_indent if side == "right" else paragraph.paragraph_format.left_indent
            assert indent == Pt(14)  # one 4号 character in from the edge
            assert {r.font.size for r in paragraph.runs} == {Pt(14)}
            assert {r.element.rPr.rFonts.get(qn("w:eastAsia")) for r in paragraph.runs} == {"宋体"}


def test_attachment_rows_repeat_their_header_and_never_split(written):
    document = Document(str(written / "督查通报_2025-06.docx"))
    for table in document.tables:
        rows = table.rows
        assert rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
        assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in rows)


def test_letterhead_has_mark_issue_and_issuer_once(written):
    for text in (_docx_text(written / "督查通报_2025-06.docx"), _html_text(written / "督查通报_2025-06.html")):
        flat = re.sub(r"\s+", "", text)
        assert "督查通报第6期长清区人民政府督查室2025年7月10日2025年《政府工作报告》重点工作推进情况通报" in flat
        assert flat.count("2025年7月10日") == 1  # the date is in the 版头, not again under the text
        assert "按照区政府工作安排" in flat


def test_no_zero_count_filler(tmp_path, consolidation):
    from pyxl.common.model import Consolidation

    # nobody late, nothing rejected, no task 未启动
    tasks = consolidation.tasks.assign(category=consolidation.tasks["category"].replace("未启动", "达序时进度"))
    returns = consolidation.returns.assign(late=False, accepted=consolidation.returns["returned"])
    calm = Consolidation(**{**consolidation.__dict__, "tasks": tasks, "returns": returns})
    out = tmp_path / "2025-06"
    write_bulletin(calm, out, TEMPLATES, "长清区", date(2025, 7, 17))
    for text in (_docx_text(out / "督查通报_2025-06.docx"), _html_text(out / "督查通报_2025-06.html")):
        assert not re.search(r"[^\d.]0[项个]", text), re.findall(r".{8}[^\d.]0[项个]", text)
        assert "未启动" not in text.split("附件1")[0]


def test_common_problems_count_the_units_citing_each_kind(consolidation):
    tasks = consolidation.tasks.copy()
    tasks.loc[tasks["number"] == "3", "lead_issues"] = "项目资金缺口大，用地指标紧张。"
    problems = {p["kind"]: p["count"] for p in common_problems(tasks)}
    # 区财政局 (task 2 税源) cites none of the kinds; 区生态环境分局 (资金未到位) and 区发展改革局 (资金, 用地) do
    assert problems["资金保障不足"] == 2
    assert problems["用地、征迁等要素制约"] == 1


def test_short_title_is_the_first_clause():
    assert short_title("加快重点项目建设，推动细胞与基因药谷项目6月份竣工投入使用。") == "加快重点项目建设"
    assert short_title("建成5G基站300个。") == "建成5G基站300个"
    assert len(short_title("很" * 80)) == 30


def test_a_county_office_names_itself_as_a_county(tmp_path, consolidation):
    settings = Settings.model_validate({"district": "平阴县", "office": {"number_prefix": "平政督"}})
    issuer = Issuer.from_settings(settings)
    out = tmp_path / "2025-06"
    write_bulletin(consolidation, out, TEMPLATES, issuer, date(2025, 7, 17))
    for text in (_docx_text(out / "督查通报_2025-06.docx"), _html_text(out / "督查通报_2025-06.html")):
        assert "按照县政府工作安排，平阴县人民政府督查室" in text
        assert "平政督〔2025〕6号" in text
        assert "区政府" not in text and "长清" not in text
    notice = _docx_text(out / "督办单" / "区财政局.docx")
    assert "平阴县人民政府督查室" in notice and "平政督〔2025〕6-02号" in notice and "长清" not in notice


def test_notice_is_a_form_with_sign_off_contact_and_result(tmp_path, consolidation):
    settings = Settings.model_validate(
        {"district": "长清区", "units": [{"name": "区财政局", "kind": "区直部门", "contact": "王明", "phone": "0531-87211234"}]}
    )
    out = tmp_path / "2025-06"
    write_bulletin(consolidation, out, TEMPLATES, Issuer.from_settings(settings), date(2025, 7, 17))
    form = _form(out / "督办单" / "区财政局.docx")
    assert list(form) == ["承办单位", "督办事项", "督办要求", "办理时限", "承办单位签收", "联系人及电话", "办理结果"]
    assert form["承办单位"] == "区财政局"
    assert "签收人" in form["承办单位签收"] and "签收日期" in form["承办单位签收"]
    assert "王明" in form["联系人及电话"] and "0531-87211234" in form["联系人及电话"]
    assert "单位负责人（签字）" in form["办理结果"]
    text = _docx_text(out / "督办单" / "区财政局.docx")
    assert re.search(r"编号：督办〔2025〕6-\d\d号\s+督办级别：督办", text)


# ---------------------------------------------------------------- as LibreOffice prints them


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, timeout=60, check=True).stdout.decode("utf-8")
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


@pytest.mark.libreoffice
def test_libreoffice_prints_the_bulletin_as_an_office_issues_it(written, tmp_path):
    _require("soffice")
    _require("pdftotext")
    pdf = _to_pdf(written / "督查通报_2025-06.docx", tmp_path)
    pages = _pages(pdf)
    assert len(pages) >= 4
    for number, page in enumerate(pages, start=1):
        lines = [line for line in page.splitlines() if line.strip()]
        footer = lines[-1]
        assert re.fullmatch(rf"\s*—\s*{number}\s*—\s*", footer), footer
        indent = len(footer) - len(footer.lstrip())
        # odd pages at the right edge, even pages at the left
        assert (indent > 25) if number % 2 else (indent < 10), (number, footer)
    whole = "".join(pages)
    flat = re.sub(r"\s+", "", whole)
    assert "未说明" not in flat and ">=" not in flat and "<=" not in flat
    # 28 characters to a full line of the body (a line of Chinese text only)
    body_lines = [re.sub(r"\s+", "", line) for line in pages[0].splitlines()]
    full = [line for line in body_lines if len(line) >= 20 and re.fullmatch(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef《》“”]+", line)]
    assert full and max(len(line) for line in full) == 28, full
    # 22 lines to a page of running text (page 3 holds only body paragraphs in the sample)
    text_lines = [line for line in pages[2].splitlines() if line.strip()][:-1]
    assert 20 <= len(text_lines) <= 22, len(text_lines)


@pytest.mark.libreoffice
def test_libreoffice_prints_the_notice_on_one_page(written, tmp_path):
    _require("soffice")
    _require("pdftotext")
    pdf = _to_pdf(written / "督办单" / "区财政局.docx", tmp_path)
    pages = _pages(pdf)
    assert len(pages) == 1
    flat = re.sub(r"\s+", "", pages[0])
    for label in ("督办单", "编号", "督办级别", "承办单位", "督办事项", "督办要求", "办理时限", "签收人", "联系人", "电话", "办理结果", "单位负责人"):
        assert label in flat, label
    assert "未说明" not in flat and ">=" not in flat
