"""Every format an office receives the 分工 in, built here, parses to the same duty table.

The content is a county's (tests/county_documents.py): a cover notice, the document's
own title, a table 序号 | 目标与任务 | 分管县领导 | 牵头责任单位 | 责任单位 | 完成时限
with merged section rows and numbering that restarts in each section.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from county_documents import (
    LEADERS,
    SECTION_TITLES,
    TITLE,
    convert,
    county_directory,
    expected,
    flattened_text,
    old_style_html_page,
    tab_separated_text,
    summary,
    PARAGRAPHS,
    write_docx,
    write_html,
    write_paragraph_docx,
    write_xlsx,
)

from pyxl.cli import main
from pyxl.common.errors import PyxlError
from pyxl.document.parse import parse_document, parse_text
from pyxl.document.read import FORMATS, read_lines


def _check(duty) -> None:
    assert summary(duty) == expected()
    assert duty.title == TITLE and duty.year == 2025  # the document's own title, not the notice's sentence
    assert [(s.id, s.title) for s in duty.sections] == SECTION_TITLES
    assert duty.problems == []
    for task in duty.tasks:  # 分管县领导 are people: never units, never unknown units
        assert not LEADERS & set(task.lead_units_raw + task.responsible_units_raw)
        assert "抄送" not in task.text and "主办单位" not in task.text  # what follows the table is not a task


# ---------------------------------------------------------------- without LibreOffice


def test_docx_table_with_merged_section_rows(tmp_path):
    _check(parse_document(write_docx(tmp_path / "分工方案.docx"), county_directory(), 2030))


def test_xlsx_sheet_with_title_row_merged_sections_and_a_lead_merged_down(tmp_path):
    _check(parse_document(write_xlsx(tmp_path / "分工表.xlsx"), county_directory(), 2030))


def test_saved_government_web_page_reads_only_the_document_body(tmp_path):
    path = write_html(tmp_path / "政府信息公开.html")
    lines = [line.text for line in read_lines(path)]
    # the site around the document is gone: menus, breadcrumb, index table, share buttons, footer
    for site in ("首页", "当前位置", "索引号", "分享到", "主办单位", "ICP", "信息公开目录", "字体"):
        assert not any(site in text for text in lines), site
    _check(parse_document(path, county_directory(), 2030))
    htm = tmp_path / "政府信息公开.htm"
    shutil.copy(path, htm)
    _check(parse_document(htm, county_directory(), 2030))


def test_older_site_laid_out_in_tables(tmp_path):
    path = tmp_path / "政府信息公开.htm"
    path.write_bytes(old_style_html_page().encode("gbk"))
    lines = [line.text for line in read_lines(path)]
    for site in ("首页", "当前位置", "索引号", "主办单位", "ICP", "政府文件"):
        assert not any(site in text for text in lines), site
    _check(parse_document(path, county_directory(), 2030))


def test_table_copied_one_cell_per_line(tmp_path):
    path = tmp_path / "复制的表格.txt"
    path.write_text(flattened_text(), encoding="utf-8")
    _check(parse_document(path, county_directory(), 2030))


def test_table_pasted_into_a_text_file_with_tabs(tmp_path):
    path = tmp_path / "分工表.txt"
    path.write_bytes(tab_separated_text().encode("gbk"))  # Notepad's default on a Chinese Windows
    _check(parse_document(path, county_directory(), 2030))


def test_one_cell_per_line_with_a_wrapped_cell_and_a_lost_empty_cell():
    # copied out of a PDF: the long task breaks over two lines; the last row's 完成时限 is empty, so lost
    text = "\n".join([
        TITLE, "序号", "重点工作", "牵头单位", "责任单位", "完成时限",
        "1", "新开工重点项目30个以上，", "6月底前全部开工。", "县发改局", "县住建局", "6月底前",
        "2", "新增城镇就业2000人。", "县人社局", "各乡镇",
    ])
    duty = parse_text(text, county_directory(), 2030)
    assert [(t.number, t.text, t.lead_units, t.responsible_units) for t in duty.tasks] == [
        ("1", "新开工重点项目30个以上，6月底前全部开工。", ["县发展和改革局"], ["县住房和城乡建设局"]),
        ("2", "新增城镇就业2000人。", ["县人力资源和社会保障局"], ["各乡镇"]),
    ]


def test_without_libreoffice_a_doc_is_one_line_saying_what_to_do(workspace, capsys, monkeypatch):
    monkeypatch.setenv("PYXL_SOFFICE", str(workspace / "没有安装" / "soffice"))
    path = workspace / "分工方案.wps"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))
    with pytest.raises(PyxlError, match="LibreOffice"):
        parse_document(path, county_directory(), 2025)
    assert main(["--config", str(workspace / "config.yaml"), "parse", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "分工方案.wps" in err and "安装 LibreOffice" in err and "另存为 .docx" in err


def test_one_dispatch_knows_every_format():
    assert set(FORMATS) >= {".txt", ".md", ".docx", ".doc", ".wps", ".pdf", ".xlsx", ".xls", ".et", ".ods", ".html", ".htm"}


# ---------------------------------------------------------------- through LibreOffice


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> dict[str, Path]:
    """The county's document as LibreOffice saves it: .doc, .odt, .rtf, .pdf, .xls, .ods; .wps and .et beside them."""
    folder = tmp_path_factory.mktemp("converted")
    docx = write_docx(folder / "分工方案.docx")
    xlsx = write_xlsx(folder / "分工表.xlsx")
    files = {
        ".doc": convert(docx, "doc", folder / "doc"),
        ".odt": convert(docx, "odt", folder / "odt"),
        ".rtf": convert(docx, "rtf", folder / "rtf"),
        ".pdf": convert(docx, "pdf", folder / "pdf"),
        ".xls": convert(xlsx, "xls", folder / "xls"),
        ".ods": convert(xlsx, "ods", folder / "ods"),
    }
    # WPS writes .wps and .et in the Word 97 and Excel 97 formats under its own names
    files[".wps"] = shutil.copy(files[".doc"], folder / "分工方案.wps")
    files[".et"] = shutil.copy(files[".xls"], folder / "分工表.et")
    return {suffix: Path(path) for suffix, path in files.items()}


@pytest.mark.libreoffice
@pytest.mark.parametrize("suffix", [".doc", ".wps", ".odt", ".rtf", ".pdf", ".xls", ".et", ".ods"])
def test_formats_saved_by_an_office_suite(converted, suffix):
    _check(parse_document(converted[suffix], county_directory(), 2030))


@pytest.mark.libreoffice
def test_pdf_of_a_paragraph_document_reads_as_the_typed_text(tmp_path):
    pdf = convert(write_paragraph_docx(tmp_path / "分工方案.docx"), "pdf", tmp_path / "pdf")
    typed = parse_text("\n".join(PARAGRAPHS) + "\n", county_directory(), 2030)
    duty = parse_document(pdf, county_directory(), 2030)
    assert len(typed.tasks) == 4 and typed.problems == []
    assert (duty.title, duty.year) == (typed.title, typed.year) == (TITLE, 2025)
    assert summary(duty) == summary(typed)  # long tasks broken over lines on the page read whole
    assert [(s.id, [sub.id for sub in s.subsections]) for s in duty.sections] == [("一", []), ("二", ["（一）", "（二）"])]
    assert [[(t.value, t.unit) for t in task.targets] for task in duty.tasks] == [
        [(t.value, t.unit) for t in task.targets] for task in typed.tasks
    ]


@pytest.mark.libreoffice
def test_pdf_table_over_several_pages_with_rows_broken_at_the_page(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph(TITLE)
    table = document.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for column, text in enumerate(("序号", "目标与任务", "牵头单位", "责任单位")):
        table.cell(0, column).text = text
    for n in range(1, 41):  # tasks of one to four sentences: some rows are broken by a page end
        cells = table.add_row().cells
        cells[0].text = str(n)
        cells[1].text = f"第{n}项：" + "推进重点项目建设，加强要素保障，确保按期完成年度目标任务。" * (1 + n % 4)
        cells[2].text = "县发改局"
        cells[3].text = "县统计局、县财政局、县住建局、县自然资源局、县税务局"
    document.add_paragraph("")
    source = tmp_path / "长表.docx"
    document.save(source)
    pdf = convert(source, "pdf", tmp_path / "pdf")
    broken = [line for line in read_lines(pdf) if line.cells and not line.cells[0] and line.cells[1]]
    assert broken, "no row was broken at a page end: the test shows nothing"

    def tasks(duty):
        return [(t.number, t.text, t.lead_units, t.responsible_units) for t in duty.tasks]

    from_pdf = parse_document(pdf, county_directory(), 2030)
    assert tasks(from_pdf) == tasks(parse_document(source, county_directory(), 2030))
    assert len(from_pdf.tasks) == 40 and from_pdf.problems == []


@pytest.mark.libreoffice
def test_pdf_keeps_the_title_broken_over_two_lines_whole(converted):
    lines = [line.text for line in read_lines(converted[".pdf"])]
    # the notice's 18-point title wraps on the page; the reader joins it back into one line
    assert any(re.sub(r"\s", "", text) == f"沁源县人民政府办公室关于印发{TITLE}的通知" for text in lines)


@pytest.mark.libreoffice
def test_scanned_pdf_is_named_as_such(converted, tmp_path, workspace, capsys):
    import pypdfium2

    # a scan: every page a picture, no text layer
    document = pypdfium2.PdfDocument(str(converted[".pdf"]))
    pages = [document[i].render(scale=1).to_pil().convert("RGB") for i in range(len(document))]
    scan = workspace / "扫描件.pdf"
    pages[0].save(scan, save_all=True, append_images=pages[1:])
    with pytest.raises(PyxlError, match="扫描件"):
        read_lines(scan)
    # a typed cover notice with the 分工 scanned behind it: named too, with the scanned pages
    mixed = pypdfium2.PdfDocument.new()
    mixed.import_pages(document, [0])
    mixed.import_pages(pypdfium2.PdfDocument(str(scan)), [1])
    mixed.save(str(tmp_path / "部分扫描.pdf"))
    with pytest.raises(PyxlError, match="第 2 页是扫描件"):
        read_lines(tmp_path / "部分扫描.pdf")
    assert main(["--config", str(workspace / "config.yaml"), "parse", str(scan)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "扫描件.pdf" in err and "没有文字层" in err
