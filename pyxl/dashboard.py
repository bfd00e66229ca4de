"""The 仪表盘 sheet: native Excel charts over the consolidated tables (filled in by the report work)."""

from __future__ import annotations

from pyxl.model import Consolidation


def add_dashboard(workbook, consolidation: Consolidation) -> None:
    """Add a 仪表盘 sheet with native charts to an XlsxWriter workbook whose table sheets are written."""
