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


def test_a_staged_file_is_linked_from_the_old_folder_only_when_its_bytes_are_the_same(tmp_path):
    """write_staged: unchanged pages of a report run again are linked, not written; every file holds the new bytes."""
    import os

    from pyxl.common.files import replace_folder, staging_folder
    from pyxl.common.files import write_staged

    folder = tmp_path / "任务历程"
    pages = {"index.html": "目录".encode(), "任务_1.html": "第一项".encode(), "任务_2.html": "第二项".encode()}
    for round_ in range(2):
        with staging_folder(tmp_path) as staging:
            for name, data in pages.items():
                write_staged(staging, name, data, folder)
            inodes = {name: (staging / name).stat().st_ino for name in pages}
            old = {p.name: p.stat().st_ino for p in folder.iterdir()} if folder.exists() else {}
            replace_folder(staging, folder)
        assert {p.name: p.read_bytes() for p in folder.iterdir()} == pages
        if round_ == 0:
            assert old == {}
            pages = {**pages, "任务_2.html": "第二项（已改）".encode(), "任务_3.html": "新任务".encode()}
            del pages["任务_1.html"]
        else:
            # the same bytes: the old file itself; changed or new: a new file; a page no longer made: gone
            assert inodes["index.html"] == old["index.html"]
            assert inodes["任务_2.html"] != old["任务_2.html"]
            assert sorted(p.name for p in folder.iterdir()) == ["index.html", "任务_2.html", "任务_3.html"]
            assert os.stat(folder / "index.html").st_nlink == 1  # the old folder is gone, not a second link


def test_objects_frozen_for_a_report_are_given_back_to_the_collector_when_the_outermost_freeze_ends():
    import gc

    from pyxl.common.collector import older_objects_frozen

    assert gc.get_freeze_count() == 0
    with older_objects_frozen():
        outer = gc.get_freeze_count()
        assert outer > 0
        made = [[] for _ in range(1000)]  # made inside: frozen by the inner one, still frozen after it
        with older_objects_frozen():
            assert gc.get_freeze_count() >= outer + 1000
        assert gc.get_freeze_count() >= outer + 1000
    assert gc.get_freeze_count() == 0 and made
