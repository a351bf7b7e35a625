"""The report's plots, drawn with matplotlib's object API on the Agg canvas.

No ``pyplot``: nothing changes matplotlib's global backend and no window is ever opened, so the
report can be made in a notebook, a server or a test run alike. Every function takes numbers that
the statistics already computed (or scale scores) and returns a :class:`Figure` with PNG bytes.
"""
from __future__ import annotations

import io
import math
from typing import Mapping

import numpy as np
import pandas as pd

from .document import Figure

__all__ = ["score_distributions", "position_bias_bars", "template_means", "item_rest_correlations"]

_DPI = 100
_COLORS = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C",
           "#CCB974", "#64B5CD")


def _new_figure(width: float, height: float):
    from matplotlib.figure import Figure as MplFigure

    return MplFigure(figsize=(width, height), dpi=_DPI, layout="constrained")


def _png(fig) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)  # attach the Agg canvas explicitly: never a GUI backend
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None})
    return buf.getvalue()


def _grid(n: int, max_cols: int = 5) -> tuple[int, int]:
    cols = min(n, max_cols)
    return int(math.ceil(n / cols)), cols


def score_distributions(scores: pd.DataFrame, *, name: str, title: str,
                        labels: Mapping[str, str] | None = None) -> Figure:
    """Histograms of scale scores, one panel per scale (``scores``: respondents x scales)."""
    cols = [c for c in scores.columns if scores[c].notna().any()]
    nrow, ncol = _grid(max(len(cols), 1))
    fig = _new_figure(2.4 * ncol + 0.4, 2.0 * nrow + 0.6)
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel()
    for ax, col, color in zip(axes, cols, _COLORS * 20):
        x = scores[col].dropna().to_numpy(dtype=float)
        lo, hi = float(x.min()), float(x.max())
        bins = min(20, max(5, len(np.unique(x)))) if hi > lo else 1
        ax.hist(x, bins=bins, range=(lo - 0.5, hi + 0.5) if hi == lo else None, color=color,
                edgecolor="white")
        ax.set_title((labels or {}).get(col, str(col)), fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes[len(cols):]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize=10)
    return Figure(name=name, title=title, png=_png(fig),
                  caption="Scale scores per simulated respondent (instrument scoring: reverse keying, "
                          "mean or sum, offset).")


def position_bias_bars(counts: pd.DataFrame, *, name: str, title: str, by: str | None = "order") -> Figure:
    """Grouped bars of the share of answers at each shown position, one group per ``by`` level.

    ``counts`` is :attr:`psychometry.stats.robustness.PositionBias.counts` (columns ``position``,
    ``proportion``, ``n_options`` and the ``by`` column).
    """
    panels = sorted(pd.unique(counts["n_options"]))
    fig = _new_figure(max(4.0, 3.6 * len(panels)), 2.8)
    axes = np.atleast_1d(fig.subplots(1, len(panels), squeeze=False)).ravel()
    for ax, k in zip(axes, panels):
        sub = counts[counts["n_options"] == k]
        levels = list(pd.unique(sub[by])) if by and by in sub.columns else ["all"]
        width = 0.8 / len(levels)
        for j, (lv, color) in enumerate(zip(levels, _COLORS * 20)):
            part = sub[sub[by] == lv] if by and by in sub.columns else sub
            ax.bar(part["position"].to_numpy(dtype=float) - 0.4 + width * (j + 0.5),
                   part["proportion"].to_numpy(dtype=float), width=width, color=color, label=str(lv))
        ax.axhline(1.0 / k, color="#444", linestyle="--", linewidth=0.8)
        ax.set_xticks(range(1, int(k) + 1))
        ax.set_xlabel("shown position (1 = first option)", fontsize=8)
        ax.set_ylabel("share of answers", fontsize=8)
        ax.set_title(f"{int(k)} options", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, title=by, title_fontsize=7)
    fig.suptitle(title, fontsize=10)
    return Figure(name=name, title=title, png=_png(fig),
                  caption="Dashed line: choice of position at random (1 / number of options).")


def template_means(scores: pd.DataFrame, *, name: str, title: str, template: str = "template",
                   scale: str = "scale", score: str = "score") -> Figure:
    """Mean scale score per prompt template with +-1 standard error bars (``scores``: one row per
    respondent x scale with ``template``, ``scale`` and ``score`` columns, as ``stats.scale_scores``)."""
    s = scores.dropna(subset=[score])
    g = s.groupby([scale, template], sort=False)[score]
    table = pd.DataFrame({"mean": g.mean(), "se": g.sem()}).reset_index()
    scales = list(pd.unique(table[scale]))
    templates = list(pd.unique(table[template]))
    fig = _new_figure(max(4.5, 0.9 * len(scales) + 2.5), 3.0)
    ax = fig.subplots()
    width = 0.8 / max(len(templates), 1)
    for j, (t, color) in enumerate(zip(templates, _COLORS * 20)):
        part = table[table[template] == t].set_index(scale).reindex(scales)
        x = np.arange(len(scales)) - 0.4 + width * (j + 0.5)
        ax.errorbar(x, part["mean"].to_numpy(dtype=float), yerr=part["se"].fillna(0).to_numpy(dtype=float),
                    fmt="o", color=color, capsize=3, markersize=4, label=str(t))
    ax.set_xticks(range(len(scales)))
    ax.set_xticklabels([str(c) for c in scales], fontsize=8, rotation=45 if len(scales) > 8 else 0)
    ax.set_ylabel("mean scale score", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, title="template", title_fontsize=7)
    ax.set_title(title, fontsize=10)
    return Figure(name=name, title=title, png=_png(fig),
                  caption="Points: mean scale score (item mean after reverse keying) under each prompt "
                          "template; bars: +-1 standard error of the mean over respondents.")


def item_rest_correlations(r_drop: Mapping[str, pd.Series], *, name: str, title: str) -> Figure:
    """Horizontal bars of the item-rest correlations (psych's ``r.drop``), grouped by scale."""
    rows: list[tuple[str, str, float]] = []
    for sc, ser in r_drop.items():
        rows += [(str(sc), str(item), float(v)) for item, v in ser.items()]
    n = max(len(rows), 1)
    fig = _new_figure(5.5, min(0.16 * n + 1.2, 40.0))
    ax = fig.subplots()
    scales = list(dict.fromkeys(r[0] for r in rows))
    colors = {s: c for s, c in zip(scales, _COLORS * 20)}
    y = np.arange(len(rows))[::-1]
    vals = np.array([r[2] for r in rows], dtype=float)
    ax.barh(y, np.nan_to_num(vals), color=[colors[r[0]] for r in rows], height=0.8)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_yticks(y)
    ax.set_yticklabels([f"{r[0]}: {r[1]}" for r in rows], fontsize=6 if n > 40 else 7)
    ax.axvline(0, color="#444", linewidth=0.8)
    ax.axvline(0.3, color="#888", linestyle="--", linewidth=0.8)
    ax.set_xlim(min(-0.2, float(np.nanmin(vals)) - 0.05) if np.isfinite(vals).any() else -1,
                max(1.0, float(np.nanmax(vals)) + 0.05) if np.isfinite(vals).any() else 1)
    ax.set_xlabel("item-rest correlation (r.drop)", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    ax.set_title(title, fontsize=10)
    return Figure(name=name, title=title, png=_png(fig),
                  caption="Correlation of each item (reverse keyed where marked '-') with the mean of the "
                          "other items of its scale, from psych::alpha's item statistics; dashed line at .30.")
