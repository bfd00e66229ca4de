"""Rendering the report documents: DOCX through docxtpl, HTML through jinja2, and the bulletin's charts.

The office can restyle the DOCX templates in Word (`ReportTemplates`: the
workspace's own copy, else the bundled one). A 督办单 template renders for
hundreds of units, so each template's XML is compiled once per process and its
styles part is kept as bytes. Every file is written atomically.
"""

from __future__ import annotations

import base64
import functools
import io
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import jinja2

from pyxl.common.files import atomic_path, write_bytes_atomic
from pyxl.common.model import Consolidation
from pyxl.outputs.counting import category_counts, unit_categories

# The box each chart is fitted into on the A4 page (text block 156 × 225 mm): the pie with its
# legend sits under the section 一 counts; the units' bars fill the portrait page of 附件3.
CHART_BOXES_MM = {"chart_categories": (130, 75), "chart_units": (156, 180)}


@dataclass(frozen=True)
class ReportTemplates:
    """The three report templates of a workspace (its own copy, else the bundled one)."""

    bulletin_docx: Path
    bulletin_html: Path
    notice_docx: Path


def fitted_size_mm(png: bytes, box_width: float, box_height: float) -> tuple[float, float]:
    """The size (mm) of a PNG scaled to fit a box on the page, keeping its proportions."""
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    scale = min(box_width / width, box_height / height)
    return width * scale, height * scale


class _CompiledOnce(jinja2.Environment):
    """docxtpl's own environment (autoescape on), compiling each template XML once per process.

    docxtpl compiles a document's XML again on every render; a report renders
    the same 督办单 template for hundreds of units, ~7 compilations each.
    """

    def __init__(self) -> None:
        super().__init__(autoescape=True)
        self._compiled: dict[str, jinja2.Template] = {}

    def from_string(self, source, globals=None, template_class=None):  # noqa: A002 (jinja2's own names)
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        found = self._compiled.get(source)
        if found is None:
            if len(self._compiled) >= 64:
                self._compiled.clear()
            found = self._compiled[source] = super().from_string(source)
        return found


@functools.cache
def _docx_environment() -> _CompiledOnce:
    """The one jinja2 environment the 通报 and 督办单 render with (its compiled templates kept for the process)."""
    return _CompiledOnce()


_STYLES_AS_WRITTEN: dict[bytes, bytes] = {}


def _styles_as_written(blob: bytes) -> bytes:
    """A styles part as python-docx writes it back unchanged (parsed and serialised), worked out once per template."""
    from docx.opc.oxml import serialize_part_xml
    from docx.oxml.parser import parse_xml

    found = _STYLES_AS_WRITTEN.get(blob)
    if found is None:
        if len(_STYLES_AS_WRITTEN) >= 8:
            _STYLES_AS_WRITTEN.clear()
        found = _STYLES_AS_WRITTEN[blob] = serialize_part_xml(parse_xml(blob))
    return found


_OPENED: dict[bytes, object] = {}


def _open_docx(template: Path):
    """The template as a python-docx Document of its own (see _load_docx), opened once per process and copied.

    Reading the package (zip members, relationships, every XML part parsed) was
    a quarter of each 督办单; a deep copy of the document opened once (its XML
    trees copied by lxml) is a fraction of that, and rendering changes only the copy.
    """
    import copy

    blob = _template_bytes(Path(template))
    opened = _OPENED.get(blob)
    if opened is None:
        if len(_OPENED) >= 8:
            _OPENED.clear()
        opened = _OPENED[blob] = _load_docx(blob)
    return copy.deepcopy(opened)


def _load_docx(blob: bytes):
    """The template's bytes as a python-docx Document whose styles part is kept as bytes, not parsed.

    Rendering never touches the styles (the 督办单 template's are 350 KB): parsing
    and serialising them again for every 督办单 was a third of its time. The bytes
    kept are those python-docx would have written, so the document is the same.
    """
    from docx import Document
    from docx.opc.constants import CONTENT_TYPE
    from docx.opc.part import Part, PartFactory

    class StylesAsWritten(Part):
        @classmethod
        def load(cls, partname, content_type, blob, package):
            return cls(partname, content_type, _styles_as_written(blob), package)

    previous = PartFactory.__dict__.get("part_class_selector")

    def selector(content_type, reltype):
        if content_type == CONTENT_TYPE.WML_STYLES:
            return StylesAsWritten
        return previous(content_type, reltype) if previous is not None else None

    PartFactory.part_class_selector = selector
    try:
        return Document(io.BytesIO(blob))
    finally:
        PartFactory.part_class_selector = previous


_TEMPLATE_BYTES: dict[tuple, bytes] = {}


def _template_bytes(template: Path) -> bytes:
    """The template file's bytes, read once per process while the file is unchanged.

    python-docx reads a package member by member (a seek and a read each): from
    memory, not from the disk again for every 督办单.
    """
    stat = template.stat()
    key = (str(template), stat.st_size, stat.st_mtime_ns)
    found = _TEMPLATE_BYTES.get(key)
    if found is None:
        if len(_TEMPLATE_BYTES) >= 8:
            _TEMPLATE_BYTES.clear()
        found = _TEMPLATE_BYTES[key] = template.read_bytes()
    return found


_PATCHED: dict[str, str] = {}
_LISTING_MARK = re.compile("[\t\a\n\f]")  # tab, \a, newline, form feed: what resolve_listing rewrites
_PARAGRAPH = re.compile(r"<w:p(?: [^>]*)?>.*?</w:p>", re.DOTALL)  # docxtpl's own pattern for a paragraph


@functools.cache
def _template_class():
    """DocxTemplate whose clean-up of the template's XML (patch_xml) is done once per template XML, not per render.

    patch_xml only rewrites the template's own tags into jinja2's, so the same
    XML gives the same result: hundreds of 督办单 from one template repeated
    the same regular expressions over it each time. resolve_listing is skipped
    when the rendered XML holds nothing it would change.
    """
    from docxtpl import DocxTemplate

    class PatchedOnce(DocxTemplate):
        def patch_xml(self, src_xml):
            found = _PATCHED.get(src_xml)
            if found is None:
                if len(_PATCHED) >= 64:
                    _PATCHED.clear()
                found = _PATCHED[src_xml] = super().patch_xml(src_xml)
            return found

        def resolve_listing(self, xml):
            # docxtpl turns tab, \a, newline and form feed inside text into runs, breaks and paragraphs,
            # three regular expressions over every paragraph and run; where a paragraph holds none of
            # them it changes nothing, so only the paragraphs that hold one go through it (each is
            # matched there exactly as in the whole XML: from its start to its first </w:p>)
            if not _LISTING_MARK.search(xml):
                return xml
            resolve = super().resolve_listing

            def paragraph(match):
                text = match.group(0)
                return resolve(text) if _LISTING_MARK.search(text) else text

            return _PARAGRAPH.sub(paragraph, xml)

    return PatchedOnce


def render_docx(template: Path, context: dict, target: Path, images: dict[str, bytes] | None = None) -> Path:
    """Render a docxtpl template into `target` (replaced atomically); each entry of `images` becomes an InlineImage of that name."""
    return write_bytes_atomic(target, render_docx_bytes(template, context, images))


def render_docx_bytes(template: Path, context: dict, images: dict[str, bytes] | None = None) -> bytes:
    """A docxtpl template rendered, as the bytes of the .docx file (see render_docx)."""
    from docx.shared import Mm
    from docxtpl import InlineImage

    document = _template_class()(str(template))
    document.docx = _open_docx(template)  # opened here, so docxtpl does not open it again
    values = dict(context)
    for name, png in (images or {}).items():
        width, height = fitted_size_mm(png, *CHART_BOXES_MM.get(name, (156, 205)))
        values[name] = InlineImage(document, io.BytesIO(png), width=Mm(width), height=Mm(height))
    document.render(values, jinja_env=_docx_environment(), autoescape=True)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def render_html(template: Path, context: dict, target: Path, images: dict[str, bytes] | None = None) -> Path:
    """Render the jinja2 HTML template; images are embedded as data: URIs so the page is one file."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(template).parent)), autoescape=True, undefined=jinja2.StrictUndefined
    )
    values = dict(context)
    for name, png in (images or {}).items():
        values[name] = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    text = environment.get_template(Path(template).name).render(values)
    with atomic_path(target) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return Path(target)


def bulletin_charts(consolidation: Consolidation) -> dict[str, bytes]:
    """The bulletin's PNG charts, named as the templates use them."""
    from pyxl.outputs import charts

    return {
        "chart_categories": charts.category_share_png(category_counts(consolidation.tasks)),
        "chart_units": charts.unit_categories_png(unit_categories(consolidation.units)),
    }
