"""render_docx's shortcuts (templates compiled once, styles kept as bytes) write what plain docxtpl writes."""

from __future__ import annotations

import io
import zipfile

import docx
from docx.opc.part import PartFactory
from docxtpl import DocxTemplate

from pyxl.outputs.render import render_docx


def _template(path, words):
    document = docx.Document()
    document.add_heading("督办单 {{ number }}", level=1)
    document.add_paragraph("{{ unit }}：" + words)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "{% for item in items %}{{ item }}；{% endfor %}"
    table.rows[0].cells[1].text = "{{ reply_by }}"
    document.save(str(path))
    return path


def _members(data: bytes) -> dict[str, bytes]:
    book = zipfile.ZipFile(io.BytesIO(data))
    return {name: book.read(name) for name in book.namelist() if name != "docProps/core.xml"}


def test_rendered_documents_are_member_for_member_what_docxtpl_writes(tmp_path):
    selector = PartFactory.__dict__["part_class_selector"]
    templates = [_template(tmp_path / "a.docx", "请于期限前回复。"), _template(tmp_path / "b.docx", "另一份模板 & <符号>")]
    for round_ in range(2):  # the second round from the compiled templates and kept styles
        for template in templates:
            # the last one with a line break and a tab in its text, which docxtpl turns into <w:br/> and <w:tab/>
            for unit in ("区财政局", "文昌街道 <&>", "区水务局\n（代章）\t签收"):
                context = {"number": f"{round_}-1", "unit": unit, "items": ["一", "二 & 三"], "reply_by": "2025年7月15日"}
                ours = render_docx(template, context, tmp_path / "ours.docx")
                plain = DocxTemplate(str(template))
                plain.render(dict(context), autoescape=True)
                buffer = io.BytesIO()
                plain.save(buffer)
                assert _members(ours.read_bytes()) == _members(buffer.getvalue())
                assert unit.split()[0] in docx.Document(str(ours)).paragraphs[1].text
    assert PartFactory.__dict__["part_class_selector"] is selector  # python-docx's own selector put back


def test_a_template_edited_while_the_process_runs_is_read_again(tmp_path):
    """The office may restyle a template in Word between two reports of one long-running process (the ribbon)."""
    template = _template(tmp_path / "notice.docx", "请于期限前回复。")
    context = {"number": "1", "unit": "区财政局", "items": ["一"], "reply_by": "2025年7月15日"}
    first = render_docx(template, context, tmp_path / "first.docx")
    assert "请于期限前回复。" in docx.Document(str(first)).paragraphs[1].text
    _template(template, "请在三个工作日内书面回复督查室。")
    second = render_docx(template, context, tmp_path / "second.docx")
    assert "请在三个工作日内书面回复督查室。" in docx.Document(str(second)).paragraphs[1].text
