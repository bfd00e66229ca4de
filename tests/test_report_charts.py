"""Charts: drawn with an installed CJK font, never with boxes; a clear error when there is none."""

from __future__ import annotations

import warnings

import pytest
from matplotlib import font_manager
from test_report import sample_consolidation

from pyxl.common.errors import PyxlError
from pyxl.outputs import charts
from pyxl.outputs.counting import category_counts, unit_categories


def test_an_installed_cjk_font_is_found_and_draws_the_labels():
    family = charts.find_cjk_font()
    assert family  # fonts-noto-cjk is installed here and by .ci/run
    consolidation = sample_consolidation()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pie = charts.category_share_png(category_counts(consolidation.tasks))
        bars = charts.unit_categories_png(unit_categories(consolidation.units))
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
    table = unit_categories(consolidation.units)
    small = imread(io.BytesIO(charts.unit_categories_png(table.head(3))))
    large = imread(io.BytesIO(charts.unit_categories_png(table)))
    assert large.shape[0] > small.shape[0]


def _text_boxes(figure):
    """Extents of every visible, non-empty text drawn on the figure (titles, labels, percentages, legend)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    return [
        (t.get_text(), t.get_window_extent(renderer))
        for t in figure.findobj(Text)
        if t.get_visible() and t.get_text().strip()
    ]


def _overlaps(boxes):
    return [
        (a, b)
        for i, (a, box_a) in enumerate(boxes)
        for b, box_b in boxes[i + 1 :]
        if box_a.overlaps(box_b)
    ]


def test_pie_labels_of_small_neighbouring_slices_do_not_overlap():
    import pandas as pd

    # the demo's month: two thin slices (1 and 8 of 89) next to each other at the top of the pie
    counts = pd.DataFrame(
        {"category": ["已完成", "超序时进度", "达序时进度", "欠序时进度", "未启动", "未报送"], "count": [1, 20, 46, 14, 0, 8]}
    )
    figure = charts.category_share_figure(counts)
    boxes = _text_boxes(figure)
    assert not _overlaps(boxes)
    texts = [text for text, _ in boxes]
    # every category with tasks is still named with its count and share, the empty one is left out
    assert "已完成　1项（1.1%）" in texts and "未报送　8项（9.0%）" in texts
    assert not any(text.startswith("未启动") for text in texts)


def test_unit_bars_carry_their_totals_inside_the_axes():
    consolidation = sample_consolidation()
    table = unit_categories(consolidation.units)
    figure = charts.unit_categories_figure(table)
    axes = figure.axes[0]
    totals = [t for t in axes.texts]
    assert [t.get_text() for t in totals] == [str(n) for n in table["合计"]]
    right = axes.get_xlim()[1]
    assert all(t.get_position()[0] < right for t in totals)  # the longest bar's total is not cut off


def test_a_province_chart_shows_the_units_most_behind_and_says_how_many_there_are():
    import pandas as pd

    from pyxl.common.model import CATEGORIES

    names = [f"第{i:03d}单位" for i in range(500)]
    table = pd.DataFrame(0, index=pd.Index(names, name="unit"), columns=[*CATEGORIES, "合计"])
    table["达序时进度"] = 2
    table.loc["第007单位", "欠序时进度"] = 3
    table.loc["第300单位", "未报送"] = 2
    table.loc["第499单位", "未启动"] = 1
    table["合计"] = table[list(CATEGORIES)].sum(axis=1)
    figure = charts.unit_categories_figure(table)
    axes = figure.axes[0]
    labels = [label.get_text() for label in axes.get_yticklabels()]
    assert len(labels) == charts.MAX_UNIT_BARS
    assert labels[:3] == ["第007单位", "第300单位", "第499单位"]  # most behind on top
    assert "共 500 个" in axes.get_title()
    # a page, not two metres: the figure is as tall as for 30 units
    assert figure.get_size_inches()[1] <= 0.28 * charts.MAX_UNIT_BARS + 1.2


def test_the_titles_fixed_height_is_where_matplotlib_itself_would_put_them(monkeypatch):
    # The charts give the title's height (y=1.0) so that matplotlib does not measure every tick label again at
    # each layout pass to lift the title over decorations on top of the axes. These charts have none, so the
    # picture must be the very one matplotlib draws when it places the title itself (y=None): same PNG bytes.
    import matplotlib.axes
    import pandas as pd

    from pyxl.common.model import CATEGORIES

    consolidation = sample_consolidation()
    names = [f"第{i:03d}单位（牵头）" for i in range(500)]
    province = pd.DataFrame(1, index=pd.Index(names, name="unit"), columns=[*CATEGORIES, "合计"])
    province["合计"] = province[list(CATEGORIES)].sum(axis=1)
    nothing = category_counts(consolidation.tasks).assign(count=0)  # 暂无任务: the pie's axes are turned off

    def pictures() -> list[bytes]:
        return [
            charts.category_share_png(category_counts(consolidation.tasks)),
            charts.category_share_png(nothing),
            charts.unit_categories_png(unit_categories(consolidation.units)),
            charts.unit_categories_png(province),
        ]

    given = pictures()
    own = matplotlib.axes.Axes.set_title

    def placed_by_matplotlib(self, label, fontdict=None, loc=None, pad=None, *, y=None, **kwargs):
        return own(self, label, fontdict, loc, pad, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "set_title", placed_by_matplotlib)
    assert pictures() == given


def test_leaving_out_the_empty_bars_draws_the_very_same_chart(monkeypatch):
    # Only the bars with tasks are built (a province's 30 units lead a few tasks each: most of the 180 bars are
    # empty); the picture must be the one with every bar, also when a unit without any task is the first or last row.
    import numpy as np
    import pandas as pd

    from pyxl.common.model import CATEGORIES

    def table(rows: list[list[int]]) -> pd.DataFrame:
        frame = pd.DataFrame(rows, columns=list(CATEGORIES), index=[f"第{i:03d}单位（牵头）" for i in range(len(rows))])
        frame["合计"] = frame[list(CATEGORIES)].sum(axis=1)
        return frame

    sparse = np.zeros((500, len(CATEGORIES)), dtype=int)
    sparse[np.arange(500), np.arange(500) % len(CATEGORIES)] = 1 + np.arange(500) % 3  # one category per unit
    tables = [
        unit_categories(sample_consolidation().units),
        table(sparse.tolist()),
        table([[0] * 6, [2, 0, 1, 0, 0, 3], [0, 0, 0, 4, 0, 0], [0] * 6]),  # no tasks: the first and the last row
    ]
    given = [charts.unit_categories_png(frame) for frame in tables]
    monkeypatch.setattr(charts, "_drawn_bars", lambda values, totals: np.ones(len(values), dtype=bool))
    assert [charts.unit_categories_png(frame) for frame in tables] == given
