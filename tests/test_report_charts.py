"""Charts: drawn with an installed CJK font, never with boxes; a clear error when there is none."""

from __future__ import annotations

import warnings

import pytest
from matplotlib import font_manager

from pyxl import charts, report
from pyxl.errors import PyxlError

from test_report import sample_consolidation


def test_an_installed_cjk_font_is_found_and_draws_the_labels():
    family = charts.find_cjk_font()
    assert family  # fonts-noto-cjk is installed here and by .ci/run
    consolidation = sample_consolidation()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pie = charts.category_share_png(report.category_counts(consolidation.tasks))
        bars = charts.unit_categories_png(report.unit_categories(consolidation.tasks))
    assert not [w for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]
    assert pie.startswith(b"\x89PNG") and bars.startswith(b"\x89PNG")


def test_no_cjk_font_is_a_clear_error_not_boxes():
    latin_only = [entry for entry in font_manager.fontManager.ttflist if entry.name.startswith("DejaVu")]
    assert latin_only, "matplotlib ships DejaVu fonts"
    with pytest.raises(PyxlError, match="fonts-noto-cjk"):
        charts.find_cjk_font(latin_only)


def test_taller_bar_chart_for_more_units():
    import io

    from matplotlib.image import imread

    consolidation = sample_consolidation()
    table = report.unit_categories(consolidation.tasks)
    small = imread(io.BytesIO(charts.unit_categories_png(table.head(3))))
    large = imread(io.BytesIO(charts.unit_categories_png(table)))
    assert large.shape[0] > small.shape[0]
