"""Writing the month's report: the 督查通报 (DOCX and HTML) and the 督办单 folder, from a Consolidation.

Orchestrates the other modules of pyxl.outputs: the bulletin's context
(bulletin), its charts and documents (render), then every 督办单 with its 回执
(notices). Every number comes from the one counting path (counting), so the
通报, the 督办单 and the dashboard cannot differ. Nothing here reads the clock:
the period, `as_of` and the reply-by date come in.
"""

from __future__ import annotations

import gc
from datetime import date
from pathlib import Path

from pyxl.common.model import Consolidation
from pyxl.outputs.bulletin import Issuer, _issuer, bulletin_context, document_context
from pyxl.outputs.notices import write_notices
from pyxl.outputs.render import ReportTemplates, bulletin_charts, render_docx, render_html


def write_bulletin(
    consolidation: Consolidation, out_dir: Path, templates: ReportTemplates, issuer: "Issuer | str", reply_by: date,
    reply_key: bytes | None = None,
) -> list[Path]:
    """Write 督查通报_<period>.docx/.html and 督办单/<unit>.docx into `out_dir`; return the paths.

    Beside each 督办单 goes its 回执 (督办单/<unit>_回执.xlsx, the workbook the
    unit answers in, its identity keyed with `reply_key`), and the list of the
    督办单 issued (督办单清单.csv: unit, 编号, level, reply-by date), which the
    next month reads to see who answered in time. The 督办单 folder is written
    beside the old one and swapped in, so it never mixes notices of two runs and
    a unit no longer flagged loses its old notice.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    issuer = _issuer(issuer)
    context = document_context(bulletin_context(consolidation, issuer.district), consolidation, issuer)
    images = bulletin_charts(consolidation)
    gc.collect()  # the charts' figures (reference cycles), before the documents take their memory
    name = f"督查通报_{consolidation.period}"
    written = [
        render_docx(templates.bulletin_docx, context, out_dir / f"{name}.docx", images),
        render_html(templates.bulletin_html, context, out_dir / f"{name}.html", images),
    ]
    return written + write_notices(consolidation, out_dir, templates, issuer, reply_by, reply_key)
