"""PNG charts for the bulletin (matplotlib, drawn with an installed CJK font).

A chart drawn without a Chinese font shows every label as a box, so the font
is looked up among the installed fonts and checked to hold the characters we
draw; when none is found the step stops with a PyxlError that says what to
install, instead of writing a bulletin full of boxes.
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from pyxl.common.errors import PyxlError
from pyxl.common.model import CATEGORIES

# One colour per category, shared with the dashboard so both read alike.
CATEGORY_COLORS = {
    "已完成": "#2E7D32",
    "超序时进度": "#66BB6A",
    "达序时进度": "#42A5F5",
    "欠序时进度": "#EF6C00",
    "未启动": "#9E9E9E",
    "未报送": "#C62828",
}

# Preferred families first (sans for charts), then any family that looks CJK.
_PREFERRED = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Microsoft YaHei",
    "SimHei",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "PingFang SC",
    "Noto Sans SC",
    "Sarasa Gothic SC",
    "Noto Serif CJK SC",
    "SimSun",
    "AR PL UMing CN",
)
_PROBE = "督查通报已完成欠序时进度未报送单位"


def _covers(path: str) -> bool:
    from matplotlib import font_manager

    try:
        font = font_manager.get_font(path)
    except (OSError, RuntimeError):
        return False
    return all(font.get_char_index(ord(char)) for char in _PROBE)


def find_cjk_font(entries: list | None = None) -> str:
    """The family name of a font among `entries` (default: matplotlib's installed fonts) that draws Chinese.

    Raises PyxlError, saying what to install, when there is none.
    """
    from matplotlib import font_manager

    if entries is None:
        entries = font_manager.fontManager.ttflist
    by_name: dict[str, str] = {}
    for entry in entries:
        by_name.setdefault(entry.name, entry.fname)
    candidates = [name for name in _PREFERRED if name in by_name]
    candidates += sorted(name for name in by_name if ("CJK" in name or name.endswith((" SC", " CN"))) and name not in candidates)
    for name in candidates:
        if _covers(by_name[name]):
            return name
    raise PyxlError(
        "找不到能显示中文的字体，图表会显示成方框：请安装中文字体（Debian/Ubuntu：apt-get install fonts-noto-cjk；"
        "Windows 自带微软雅黑/黑体），然后删除 matplotlib 的字体缓存（~/.cache/matplotlib）再运行。"
    )


_CJK_FILE = re.compile(r"cjk|sourcehan|wqy|simhei|simsun|msyh|droidsansfallback", re.IGNORECASE)


@lru_cache(maxsize=1)
def cjk_font_family() -> str:
    """The installed CJK font the charts use (looked up once per process).

    matplotlib lists fonts from a cache built when it was first imported, so a
    CJK font installed afterwards is missing from it: such files are added
    from the system font folders before giving up.
    """
    from matplotlib import font_manager

    try:
        return find_cjk_font()
    except PyxlError:
        for path in font_manager.findSystemFonts():
            if _CJK_FILE.search(Path(path).name):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        return find_cjk_font()


def _figure(width: float, height: float):
    # Figure without pyplot: no global state, safe inside Excel's long-running Python.
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=150)


def _png(figure) -> bytes:
    """The figure as PNG bytes, drawn in the style it was built in (fonts and minus signs are resolved when drawing)."""
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context(_style()):
        figure.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def _style() -> dict:
    return {"font.family": [cjk_font_family()], "axes.unicode_minus": False, "font.size": 10}


# The title's height, given rather than left to matplotlib: left to it (y=None), every layout pass and draw
# measures all the tick labels again to lift the title over anything drawn on top of the axes, and these
# charts put nothing there (the bars' legend is placed by its own anchor), so it always ends at 1.0.
_TITLE_Y = 1.0

# Below this share a slice is too thin to hold its percentage: the legend carries it.
_SMALL_SLICE = 0.06


def category_share_figure(counts: pd.DataFrame):
    """The pie of tasks by category (columns category, count) as a matplotlib Figure; zero categories left out.

    Small slices sit side by side, so labels drawn around the pie or inside
    thin slices run into each other: each category is named with its count
    and share in a legend beside the pie, and only slices wide enough for it
    carry their percentage inside.
    """
    import matplotlib

    shown = counts[counts["count"] > 0]
    total = int(shown["count"].sum())
    with matplotlib.rc_context(_style()):
        figure = _figure(6, 3.6)
        axes = figure.subplots()
        if total:
            wedges, _texts, percents = axes.pie(
                shown["count"],
                colors=[CATEGORY_COLORS.get(c, "#777777") for c in shown["category"]],
                autopct=lambda pct: f"{pct:.1f}%" if pct >= _SMALL_SLICE * 100 else "",
                pctdistance=0.7,
                startangle=90,
                counterclock=False,
                wedgeprops={"linewidth": 1, "edgecolor": "white"},
                textprops={"fontsize": 9},
            )
            for wedge, text in zip(wedges, percents):
                # white on the dark slices, dark on the light ones
                red, green, blue, _ = wedge.get_facecolor()
                text.set_color("white" if 0.299 * red + 0.587 * green + 0.114 * blue < 0.55 else "#222222")
            axes.legend(
                wedges,
                [f"{c}　{n}项（{n / total:.1%}）" for c, n in zip(shown["category"], shown["count"])],
                loc="center left",
                bbox_to_anchor=(1.0, 0.5),
                frameon=False,
                fontsize=9,
            )
        else:
            axes.text(0.5, 0.5, "暂无任务", ha="center", va="center")
            axes.axis("off")
        axes.set_title("重点任务推进情况（按类别）", y=_TITLE_Y)
        axes.set_aspect("equal")
        return figure


def category_share_png(counts: pd.DataFrame) -> bytes:
    """The category pie as PNG bytes."""
    return _png(category_share_figure(counts))


# A bar per unit is legible up to about this many units (a page of A4). A province's
# 500 units would be a 2-metre chart nobody reads, and most of the report's time.
MAX_UNIT_BARS = 30
_BEHIND = ("欠序时进度", "未启动", "未报送")


def units_most_behind(table: pd.DataFrame, limit: int = MAX_UNIT_BARS) -> pd.DataFrame:
    """The `limit` units with most tasks 欠序时进度, 未启动 or 未报送 (then most tasks, then name), in that order."""
    behind = table[[c for c in _BEHIND if c in table.columns]].sum(axis=1)
    total = table["合计"] if "合计" in table.columns else behind
    order = pd.DataFrame({"behind": behind.to_numpy(), "total": total.to_numpy(), "name": table.index.astype(str)})
    order = order.sort_values(["behind", "total", "name"], ascending=[False, False, True], kind="stable")
    return table.iloc[order.index[:limit]]


def _drawn_bars(values, totals):
    """Which units get a bar of this category: those with tasks in it, and a unit with no tasks at all (its empty row).

    A bar of width 0 paints nothing, but matplotlib still builds and bounds it
    (a province's 30 units lead a few tasks each, so most of the 180 bars are
    empty): leaving them out draws the same picture. The empty row's bars stay,
    as they hold the row within the axes' limits.
    """
    return (values != 0) | (totals == 0)


def unit_categories_figure(table: pd.DataFrame):
    """Horizontal stacked bars as a Figure: tasks by category for each unit, most tasks on top, total at the end.

    More than MAX_UNIT_BARS units: the bars of the units most behind
    (`units_most_behind`), and the title says how many units there are in all.
    """
    import matplotlib

    title = "各牵头单位任务推进情况"
    if len(table) > MAX_UNIT_BARS:
        title = f"进度滞后任务最多的 {MAX_UNIT_BARS} 个牵头单位（共 {len(table)} 个）"
        table = units_most_behind(table)
    columns = [c for c in CATEGORIES if c in table.columns]
    units = list(table.index)
    with matplotlib.rc_context(_style()):
        # 6.2 in wide, about the A4 text block, and a row pitch that keeps 50 units within a page
        # (附件3 fits it into 156 × 180 mm): printed near the size it is drawn, its labels stay legible
        figure = _figure(6.2, max(2.5, 0.16 * len(units) + 1.3))
        axes = figure.subplots()
        left = pd.Series(0, index=table.index, dtype=float)
        positions = range(len(units))
        totals = table[columns].astype(float).sum(axis=1).to_numpy()
        for column in columns:
            values = table[column].astype(float)
            if values.sum() == 0:
                continue
            drawn = _drawn_bars(values.to_numpy(), totals)
            axes.barh(np.flatnonzero(drawn), values.to_numpy()[drawn], left=left.to_numpy()[drawn],
                      color=CATEGORY_COLORS.get(column), label=column, height=0.72)
            left = left + values
        for position, total in zip(positions, left):
            axes.text(total + 0.15, position, f"{int(total)}", va="center", fontsize=7)
        axes.set_yticks(list(positions), labels=units, fontsize=7)
        axes.invert_yaxis()  # sorted table: the unit with most tasks on top
        axes.set_xlabel("任务数（项）")
        axes.set_title(title, pad=24, y=_TITLE_Y)
        axes.xaxis.get_major_locator().set_params(integer=True)
        if len(units):
            # room for the total after the longest bar
            axes.set_xlim(0, float(left.max()) * 1.08 + 0.5)
            # One row above the bars, under the title: inside it would cover the longest bars.
            axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=6, fontsize=8, frameon=False)
        axes.spines[["top", "right"]].set_visible(False)
        return figure


def unit_categories_png(table: pd.DataFrame) -> bytes:
    """The units-by-category bars as PNG bytes."""
    return _png(unit_categories_figure(table))
