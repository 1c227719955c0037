"""The admissions chart as a picture (matplotlib, PNG) for the Word report, or — where no Chinese
font is installed — as rows of bar glyphs, so a chart never shows tofu boxes.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

# Fonts with Simplified Chinese glyphs, best first (Debian: fonts-noto-cjk, fonts-wqy-*).
CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "Noto Serif CJK SC",
    "Source Han Serif SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei",
    "PingFang SC", "Heiti SC", "SimSun", "AR PL UMing CN", "AR PL UKai CN", "Droid Sans Fallback",
)
PROBE = "发展党员人数按支部类别村干部致富带头人"
BAR = "█"


@dataclass(frozen=True)
class Series:
    title: str
    rows: tuple[tuple[str, int], ...]  # (category, count), in display order


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed font that has Chinese glyphs, or None."""
    try:
        from matplotlib import font_manager
        from matplotlib.ft2font import FT2Font
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        return None
    found = _first_cjk(font_manager.fontManager.ttflist, FT2Font)
    if found is None:
        # matplotlib lists the fonts of its cache, built once: a font installed after that (say
        # `apt install fonts-noto-cjk` after the first report) is not in it. Look on disk once.
        known = {e.fname for e in font_manager.fontManager.ttflist}
        for path in font_manager.findSystemFonts():
            if path not in known and ("CJK" in path or "wqy" in path.lower() or "Han" in path):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        found = _first_cjk(font_manager.fontManager.ttflist, FT2Font)
    return found


def _first_cjk(entries, ft2font) -> str | None:
    by_name: dict[str, str] = {}
    for entry in entries:
        by_name.setdefault(entry.name, entry.fname)
    for name in CJK_FONTS:
        path = by_name.get(name)
        if path and _covers(ft2font, path):
            return name
    return None


def _covers(ft2font, path: str) -> bool:
    try:
        charmap = ft2font(path).get_charmap()
    except (OSError, RuntimeError, ValueError):
        return False
    return all(ord(ch) in charmap for ch in PROBE)


def png(series: list[Series], font: str, *, width_in: float = 6.3, dpi: int = 200) -> bytes:
    """Horizontal bar charts side by side, one per series, as PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    tallest = max(len(s.rows) for s in series)
    fig = Figure(figsize=(width_in, max(2.2, 0.26 * tallest + 1.0)), dpi=dpi)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(series), gridspec_kw={"width_ratios": [1.25, 1][: len(series)]} if len(series) == 2 else None,
                        squeeze=False)[0]
    for ax, s in zip(axes, series):
        labels = [c for c, _ in s.rows]
        values = [n for _, n in s.rows]
        ys = range(len(values))
        bars = ax.barh(ys, values, color="#c0392b", height=0.6)
        ax.set_yticks(list(ys), labels, fontfamily=font, fontsize=8)
        # first row on top, as in the table; the same bar thickness in both panels
        ax.set_ylim(max(tallest, 3) - 0.5, -0.5)
        ax.set_title(s.title, fontfamily=font, fontsize=10)
        ax.bar_label(bars, labels=[str(v) for v in values], padding=2, fontsize=8)
        top = max(values, default=0)
        ax.set_xlim(0, max(1, top) * 1.18)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.tick_params(axis="x", labelsize=7)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.tight_layout(w_pad=2.0)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def glyph_rows(s: Series, width: int = 20) -> list[tuple[str, str, int]]:
    """(category, bar of █ scaled to `width`, count) — the chart when no Chinese font exists."""
    top = max((n for _, n in s.rows), default=0)
    out = []
    for category, n in s.rows:
        length = round(n / top * width) if top else 0
        out.append((category, BAR * max(length, 1 if n else 0), n))
    return out
