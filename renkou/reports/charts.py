"""The summary's charts as PNG, drawn on the server with matplotlib (Agg, no display).

Chinese labels use Noto Sans CJK from Debian's ``fonts-noto-cjk`` (installed by the install
step; nothing is downloaded). The data are the same tables the dashboard draws with ECharts.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

CJK_FONTS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
)
SRB_BAND = (103.0, 107.0)  # the default; a report takes the band in force (data.srb_band)
DPI = 150


class FontMissing(RuntimeError):
    """The CJK font is not installed (apt-get install fonts-noto-cjk)."""


@cache
def _font() -> str:
    """Register Noto Sans CJK with matplotlib once; return its family name."""
    if not CJK_FONTS[0].exists():
        raise FontMissing(f"{CJK_FONTS[0]} is missing: install the Debian package fonts-noto-cjk")
    for path in CJK_FONTS:
        if path.exists():
            font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(CJK_FONTS[0])).get_name()


def _figure(width: float = 6.4, height: float = 3.6) -> Figure:
    family = _font()
    plt.rcParams["font.family"] = [family, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    fig = Figure(figsize=(width, height), dpi=DPI)
    return fig


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def pyramid(
    groups: list[str],
    men: list[int],
    women: list[int],
    *,
    title: str,
    men_label: str,
    women_label: str,
) -> bytes:
    """Population pyramid: men to the left, women to the right, by age group."""
    fig = _figure(6.4, 4.8)
    ax = fig.add_subplot()
    y = range(len(groups))
    ax.barh(y, [-m for m in men], color="#4e79a7", label=men_label)
    ax.barh(y, women, color="#e15759", label=women_label)
    ax.set_yticks(list(y), groups, fontsize=7)
    top = max([*men, *women, 1])
    ax.set_xlim(-top * 1.1, top * 1.1)
    ticks = ax.get_xticks()
    ax.set_xticks(ticks, [f"{abs(t):,.0f}" for t in ticks], fontsize=7)
    ax.axvline(0, color="#333", linewidth=0.6)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    return _png(fig)


def bars(
    categories: list[str],
    values: list[float | None],
    *,
    title: str,
    ylabel: str,
    color: str = "#4e79a7",
) -> bytes:
    """A plain bar chart (births by month, fertility by age)."""
    fig = _figure()
    ax = fig.add_subplot()
    heights = [v or 0 for v in values]
    ax.bar(range(len(categories)), heights, color=color)
    ax.set_xticks(
        range(len(categories)), categories, fontsize=7, rotation=45 if len(categories) > 8 else 0
    )
    ax.set_ylabel(ylabel, fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.tick_params(axis="y", labelsize=7)
    return _png(fig)


def sex_ratio(
    names: list[str],
    ratios: list[float],
    lows: list[float],
    highs: list[float],
    *,
    title: str,
    band_label: str,
    band: tuple[float, float] = SRB_BAND,
) -> bytes:
    """Sex ratio at birth per sub-unit as points with their 95 % intervals, the normal band
    (103–107 unless the dated setting says otherwise) shaded."""
    fig = _figure(6.4, 4.0)
    ax = fig.add_subplot()
    x = range(len(names))
    ax.axhspan(*band, color="#59a14f", alpha=0.15, label=band_label)
    ax.errorbar(
        list(x),
        ratios,
        yerr=[
            [r - lo for r, lo in zip(ratios, lows, strict=True)],
            [h - r for r, h in zip(ratios, highs, strict=True)],
        ],
        fmt="o",
        color="#4e79a7",
        ecolor="#888",
        capsize=3,
    )
    ax.set_xticks(list(x), names, fontsize=7, rotation=45 if len(names) > 6 else 0)
    ax.set_title(title, fontsize=10)
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(fontsize=8)
    return _png(fig)
