"""The report's plots, drawn with matplotlib's object API on the Agg canvas.

No ``pyplot``: nothing changes matplotlib's global backend and no window is ever opened, so the
report can be made in a notebook, a server or a test run alike. Every function takes numbers that
the statistics already computed (or scale scores) and returns a :class:`Figure` with PNG bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .document import Figure

__all__ = [
    "behaviour_scatter",
    "cooperation_by_round",
    "item_rest_correlations",
    "mtmm_heatmap",
    "option_curves",
    "position_bias_bars",
    "position_heatmap",
    "reliability_forest",
    "score_distributions",
    "template_means",
    "trait_profile",
]

_DPI = 100
_COLORS = (
    "#4C72B0",
    "#DD8452",
    "#55A868",
    "#C44E52",
    "#8172B3",
    "#937860",
    "#DA8BC3",
    "#8C8C8C",
    "#CCB974",
    "#64B5CD",
)


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


def score_distributions(
    scores: pd.DataFrame, *, name: str, title: str, labels: Mapping[str, str] | None = None
) -> Figure:
    """Histograms of scale scores, one panel per scale (``scores``: respondents x scales)."""
    cols = [c for c in scores.columns if scores[c].notna().any()]
    nrow, ncol = _grid(max(len(cols), 1))
    fig = _new_figure(2.4 * ncol + 0.4, 2.0 * nrow + 0.6)
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel()
    for ax, col, color in zip(axes, cols, _COLORS * 20):
        x = scores[col].dropna().to_numpy(dtype=float)
        lo, hi = float(x.min()), float(x.max())
        bins = min(20, max(5, len(np.unique(x)))) if hi > lo else 1
        ax.hist(
            x, bins=bins, range=(lo - 0.5, hi + 0.5) if hi == lo else None, color=color, edgecolor="white"
        )
        ax.set_title((labels or {}).get(col, str(col)), fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes[len(cols) :]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize=10)
    return Figure(
        name=name,
        title=title,
        png=_png(fig),
        caption="Scale scores per simulated respondent (instrument scoring: reverse keying, "
        "mean or sum, offset).",
    )


def position_bias_bars(counts: pd.DataFrame, *, name: str, title: str, by: str | None = "order") -> Figure:
    """Grouped bars of the share of answers at each shown position, one group per ``by`` level.

    ``counts`` is :attr:`psychometry.stats.robustness.PositionBiasResult.counts` (columns ``position``,
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
            ax.bar(
                part["position"].to_numpy(dtype=float) - 0.4 + width * (j + 0.5),
                part["proportion"].to_numpy(dtype=float),
                width=width,
                color=color,
                label=str(lv),
            )
        ax.axhline(1.0 / k, color="#444", linestyle="--", linewidth=0.8)
        ax.set_xticks(range(1, int(k) + 1))
        ax.set_xlabel("shown position (1 = first option)", fontsize=8)
        ax.set_ylabel("share of answers", fontsize=8)
        ax.set_title(f"{int(k)} options", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, title=by, title_fontsize=7)
    fig.suptitle(title, fontsize=10)
    return Figure(
        name=name,
        title=title,
        png=_png(fig),
        caption="Dashed line: choice of position at random (1 / number of options).",
    )


def template_means(
    scores: pd.DataFrame,
    *,
    name: str,
    title: str,
    template: str = "template",
    scale: str = "scale",
    score: str = "score",
) -> Figure:
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
        ax.errorbar(
            x,
            part["mean"].to_numpy(dtype=float),
            yerr=part["se"].fillna(0).to_numpy(dtype=float),
            fmt="o",
            color=color,
            capsize=3,
            markersize=4,
            label=str(t),
        )
    ax.set_xticks(range(len(scales)))
    ax.set_xticklabels([str(c) for c in scales], fontsize=8, rotation=45 if len(scales) > 8 else 0)
    ax.set_ylabel("mean scale score", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, title="template", title_fontsize=7)
    ax.set_title(title, fontsize=10)
    return Figure(
        name=name,
        title=title,
        png=_png(fig),
        caption="Points: mean scale score (item mean after reverse keying) under each prompt "
        "template; bars: +-1 standard error of the mean over respondents.",
    )


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
    ax.set_xlim(
        min(-0.2, float(np.nanmin(vals)) - 0.05) if np.isfinite(vals).any() else -1,
        max(1.0, float(np.nanmax(vals)) + 0.05) if np.isfinite(vals).any() else 1,
    )
    ax.set_xlabel("item-rest correlation (r.drop)", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    ax.set_title(title, fontsize=10)
    return Figure(
        name=name,
        title=title,
        png=_png(fig),
        caption="Correlation of each item (reverse keyed where marked '-') with the mean of the "
        "other items of its scale, from psych::alpha's item statistics; dashed line at .30.",
    )


# ==================================================================================================
# plots of the verdicts and the comparison across models


def _ci95(x: np.ndarray) -> tuple[float, float, float]:
    """Mean and the t-based 95% confidence interval of the mean (NaN bounds with fewer than 2 values or
    no spread)."""
    from scipy import stats as _st

    x = x[np.isfinite(x)]
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    m = float(x.mean())
    if len(x) < 2:
        return m, math.nan, math.nan
    half = float(_st.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return m, m - half, m + half


def trait_profile(
    profiles: Mapping[str, pd.DataFrame],
    *,
    name: str,
    title: str,
    norms: Mapping[str, tuple[float, float]] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Figure:
    """Mean scale score per scale with its 95% CI, one series per model (``profiles``: {label:
    respondents x scales}), against the human norm mean (black diamond) +-1 SD (grey band)."""
    scales: list[str] = []
    for df in profiles.values():
        scales += [str(c) for c in df.columns if str(c) not in scales]
    fig = _new_figure(max(4.8, 0.95 * len(scales) + 2.6), 3.3)
    ax = fig.subplots()
    x = np.arange(len(scales), dtype=float)
    if norms:
        for i, s in enumerate(scales):
            if s in norms:
                m, sd = norms[s]
                ax.add_patch(_rect(i - 0.42, m - sd, 0.84, 2 * sd))
                ax.plot(
                    [i],
                    [m],
                    marker="D",
                    color="black",
                    markersize=5,
                    linestyle="none",
                    label="human norm (mean +-1 SD)"
                    if i == next(j for j, t in enumerate(scales) if t in norms)
                    else None,
                )
    n = max(len(profiles), 1)
    width = 0.6 / n
    for j, ((lab, df), color) in enumerate(zip(profiles.items(), _COLORS * 20)):
        stats_ = [_ci95(df[s].to_numpy(dtype=float)) if s in df.columns else (math.nan,) * 3 for s in scales]
        mid = np.array([s[0] for s in stats_])
        lo = np.array([s[1] for s in stats_])
        hi = np.array([s[2] for s in stats_])
        err = np.vstack([np.nan_to_num(mid - lo), np.nan_to_num(hi - mid)])
        ax.errorbar(
            x - 0.3 + width * (j + 0.5),
            mid,
            yerr=err,
            fmt="o",
            color=color,
            capsize=3,
            markersize=5,
            label=str(lab),
        )
    ax.set_xticks(x)
    ax.set_xticklabels(
        [(labels or {}).get(s, s) for s in scales], fontsize=8, rotation=30 if len(scales) > 6 else 0
    )
    ax.set_ylabel("scale score", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7, loc="best")
    ax.set_title(title, fontsize=10)
    return Figure(
        name=name,
        title=title,
        png=_png(fig),
        caption="Points: mean scale score over simulated respondents with its 95% confidence interval "
        "(t); black diamonds and grey bands: the human norm mean +-1 SD.",
    )


def _rect(x: float, y: float, w: float, h: float):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, facecolor="#d9d9d9", edgecolor="none", alpha=0.7, zorder=0)


def reliability_forest(
    tables: Mapping[str, pd.DataFrame], *, name: str, title: str, ok: float = 0.70, fails: float = 0.50
) -> Figure:
    """Forest plot of alpha (Feldt 95% CI) and omega total per scale, one series per model
    (``tables``: {label: DataFrame with scale, alpha, alpha_low, alpha_high, omega_t})."""
    scales: list[str] = []
    for t in tables.values():
        scales += [str(s) for s in t["scale"] if str(s) not in scales]
    fig = _new_figure(6.2, min(0.42 * len(scales) * max(len(tables), 1) + 1.6 + 0.2 * len(tables), 30.0))
    ax = fig.subplots()
    n = max(len(tables), 1)
    lo_all, hi_all = [0.0], [1.0]
    for j, ((lab, t), color) in enumerate(zip(tables.items(), _COLORS * 20)):
        t = t.set_index(t["scale"].astype(str)).reindex(scales)
        y = np.arange(len(scales))[::-1] + 0.3 - 0.6 * (j + 0.5) / n
        a = t["alpha"].to_numpy(dtype=float)
        lo = t["alpha_low"].to_numpy(dtype=float)
        hi = t["alpha_high"].to_numpy(dtype=float)
        shown = np.isfinite(a)
        clip = lambda v: np.clip(v, -1.5, 1.0)  # noqa: E731
        ax.errorbar(
            clip(a[shown]),
            y[shown],
            xerr=np.vstack(
                [np.nan_to_num(clip(a) - clip(lo))[shown], np.nan_to_num(clip(hi) - clip(a))[shown]]
            ),
            fmt="o",
            color=color,
            capsize=3,
            markersize=5,
            label=f"{lab}: alpha (Feldt 95% CI)",
        )
        om = t["omega_t"].to_numpy(dtype=float)
        if np.isfinite(om).any():
            ok_ = np.isfinite(om)
            ax.plot(
                clip(om[ok_]),
                y[ok_] - 0.12 / n,
                "s",
                markerfacecolor="white",
                color=color,
                markersize=5,
                linestyle="none",
                label=f"{lab}: omega total",
            )
        lo_all += list(clip(lo[np.isfinite(lo)])) + list(clip(a[shown]))
        hi_all += list(clip(hi[np.isfinite(hi)]))
    ax.axvline(ok, color="#2e7d32", linestyle="--", linewidth=0.9)
    ax.axvline(fails, color="#c62828", linestyle=":", linewidth=0.9)
    ax.axvline(0, color="#444", linewidth=0.6)
    ax.set_yticks(np.arange(len(scales))[::-1])
    ax.set_yticklabels(scales, fontsize=8)
    ax.set_xlim(min(lo_all) - 0.05, 1.02)
    ax.set_xlabel("reliability (values below -1.5 drawn at -1.5)", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    ax.set_title(title, fontsize=10)
    return Figure(
        name=name,
        title=title,
        png=_png(fig),
        caption=f"Cronbach's alpha with its Feldt 95% confidence interval (psych::alpha) and McDonald's "
        f"omega total (psych::omega, 6+ items; no interval); dashed line: {ok:.2f} (Nunnally 1978), dotted line: {fails:.2f}.",
    )


def position_heatmap(
    counts: pd.DataFrame, *, name: str, title: str, rows: tuple[str, ...] = ("template", "order")
) -> Figure:
    """Heat map of the share of answers at each shown position, one row per (template, order) and one
    panel per number of options (``counts``: ``stats.position_bias(..., by=rows).counts``)."""
    rows = tuple(r for r in rows if r in counts.columns)
    panels = sorted(pd.unique(counts["n_options"]))
    keys = None
    for k in panels:
        sub = counts[counts["n_options"] == k]
        keys = sub[list(rows)].drop_duplicates() if rows else None
        break
    n_rows = max(len(keys) if keys is not None else 1, 1)
    fig = _new_figure(max(4.0, 3.4 * len(panels) + 1.2), 0.32 * n_rows + 1.5)
    axes = np.atleast_1d(fig.subplots(1, len(panels), squeeze=False)).ravel()
    im = None
    for ax, k in zip(axes, panels):
        sub = counts[counts["n_options"] == k]
        if rows:
            mat = sub.pivot_table(
                index=list(rows), columns="position", values="proportion", aggfunc="first", sort=False
            )
            ylabels = [" / ".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in mat.index]
        else:
            mat = sub.set_index("position")[["proportion"]].T
            ylabels = ["all"]
        im = ax.imshow(mat.to_numpy(dtype=float), aspect="auto", cmap="Reds", vmin=0, vmax=1)
        v = mat.to_numpy(dtype=float)
        for (i, j), val in np.ndenumerate(v):
            if np.isfinite(val):
                ax.text(
                    j,
                    i,
                    f"{val:.2f}",
                    ha="center",
                    va="center",
                    fontsize=6.5,
                    color="white" if val > 0.6 else "black",
                )
        ax.set_xticks(range(mat.shape[1]))
        ax.set_xticklabels([str(int(c)) for c in mat.columns], fontsize=7)
        ax.set_yticks(range(len(ylabels)))
        ax.set_yticklabels(ylabels, fontsize=7)
        ax.set_xlabel("shown position (1 = first option)", fontsize=8)
        ax.set_title(f"{int(k)} options; rows: {' / '.join(rows) or 'all'}", fontsize=8)
    if im is not None:
        fig.colorbar(im, ax=list(axes), shrink=0.8, label="share of answers")
    fig.suptitle(title, fontsize=10)
    return Figure(
        name=name,
        title=title,
        png=_png(fig),
        caption="Share of answers at each shown position per prompt template and option order. "
        "Answers that follow content move with the order; a column that stays dark in every "
        "row is a position habit.",
    )


def mtmm_heatmap(correlations: pd.DataFrame, *, name: str, title: str) -> Figure:
    """Heat map of the multitrait-multimethod correlation matrix (``MTMMResult.correlations``)."""
    labels = [f"{m}:{t}" for m, t in correlations.index]
    v = correlations.to_numpy(dtype=float)
    longest = max((len(x) for x in labels), default=4)
    fig = _new_figure(0.42 * len(labels) + 1.2 + 0.07 * longest, 0.42 * len(labels) + 0.8 + 0.08 * longest)
    ax = fig.subplots()
    im = ax.imshow(v, cmap="RdBu_r", vmin=-1, vmax=1)
    for (i, j), val in np.ndenumerate(v):
        if np.isfinite(val):
            ax.text(
                j,
                i,
                f"{val:.2f}".replace("0.", ".").replace("-.", "-."),
                ha="center",
                va="center",
                fontsize=6,
                color="white" if abs(val) > 0.6 else "black",
            )
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, fontsize=7, rotation=90)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=7)
    half = len(labels) / 2 - 0.5
    ax.axhline(half, color="black", linewidth=1)
    ax.axvline(half, color="black", linewidth=1)
    fig.colorbar(im, ax=ax, shrink=0.8, label="r")
    ax.set_title(title, fontsize=10)
    return Figure(
        name=name,
        title=title,
        png=_png(fig),
        caption="Correlations of the scale scores; the diagonal of the off-diagonal block is the "
        "validity diagonal (same trait, other instrument), which should be the largest values "
        "in its row and column (Campbell & Fiske 1959).",
    )


def option_curves(items: Mapping[str, pd.DataFrame], *, name: str, title: str) -> Figure:
    """Mean probability of each scale value for a few items, one line per option order
    (``items``: {item label: DataFrame scale value x order of mean probabilities})."""
    n = max(len(items), 1)
    nrow, ncol = _grid(n, 4)
    fig = _new_figure(2.6 * ncol + 0.4, 2.3 * nrow + 0.6)
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel()
    for ax, (lab, tab) in zip(axes, items.items()):
        for col, color in zip(tab.columns, _COLORS * 20):
            ax.plot(
                tab.index.to_numpy(dtype=float),
                tab[col].to_numpy(dtype=float),
                marker="o",
                color=color,
                label=str(col),
                markersize=3,
            )
        ax.set_ylim(0, 1)
        ax.set_title(lab if len(lab) <= 38 else lab[:36] + "...", fontsize=7.5)
        ax.set_xlabel("scale value", fontsize=7)
        ax.set_ylabel("mean probability", fontsize=7)
        ax.tick_params(labelsize=6.5)
        ax.legend(fontsize=6, title="order", title_fontsize=6)
    for ax in axes[len(items) :]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize=10)
    return Figure(
        name=name,
        title=title,
        png=_png(fig),
        caption="Logprob mode: the model's probability of each answer (by scale value, not shown "
        "position), averaged over respondents, per option order. Curves that swap ends when the "
        "order is reversed follow position, not content.",
    )


def behaviour_scatter(traits: pd.DataFrame, behaviour: pd.DataFrame, *, name: str, title: str) -> Figure:
    """Scatter plots of each behaviour (rows) against each trait (columns), with the OLS line."""
    tcols = [c for c in traits.columns if traits[c].notna().any()]
    bcols = [c for c in behaviour.columns if behaviour[c].notna().any()]
    fig = _new_figure(1.9 * max(len(tcols), 1) + 0.6, 1.7 * max(len(bcols), 1) + 0.6)
    axes = np.atleast_2d(fig.subplots(max(len(bcols), 1), max(len(tcols), 1), squeeze=False))
    both = pd.concat(
        [traits[tcols].add_prefix("t:"), behaviour[bcols].add_prefix("b:")], axis=1, join="inner"
    )
    for i, b in enumerate(bcols):
        for j, t in enumerate(tcols):
            ax = axes[i, j]
            xy = both[[f"t:{t}", f"b:{b}"]].dropna().to_numpy(dtype=float)
            ax.scatter(xy[:, 0], xy[:, 1], s=8, color=_COLORS[j % len(_COLORS)], alpha=0.8)
            if len(xy) >= 3 and np.ptp(xy[:, 0]) > 0:
                slope, icpt = np.polyfit(xy[:, 0], xy[:, 1], 1)
                xs = np.array([xy[:, 0].min(), xy[:, 0].max()])
                ax.plot(xs, icpt + slope * xs, color="#333", linewidth=0.9)
            ax.tick_params(labelsize=6)
            if i == len(bcols) - 1:
                ax.set_xlabel(str(t), fontsize=7)
            if j == 0:
                ax.set_ylabel(str(b), fontsize=7)
    fig.suptitle(title, fontsize=10)
    return Figure(
        name=name,
        title=title,
        png=_png(fig),
        caption="Each point is one simulated person (scores averaged over prompt conditions); line: "
        "simple least-squares fit of the behaviour on that trait alone.",
    )


def cooperation_by_round(by_round: pd.DataFrame, *, name: str, title: str) -> Figure:
    """Cooperation rate by round, one line per opponent (solid: original order, dashed: others), from
    ``stats.game_profile(...).by_round``."""
    fig = _new_figure(6.4, 3.6)
    ax = fig.subplots()
    has_order = "order" in by_round.columns
    for i, (opp, part) in enumerate(by_round.groupby("opponent", sort=False)):
        color = _COLORS[i % len(_COLORS)]
        groups: list[tuple[object, pd.DataFrame]] = (
            list(part.groupby("order", sort=False)) if has_order else [("", part)]
        )
        for j, (order, rows) in enumerate(groups):
            curve = rows.groupby("round")["cooperation"].mean()
            label = f"{opp} ({order!s})" if has_order else str(opp)
            ax.plot(
                curve.index,
                curve.to_numpy(),
                marker="o",
                markersize=3,
                color=color,
                linestyle="-" if j == 0 else "--",
                linewidth=1.2,
                label=label,
            )
    ax.set_xlabel("round")
    ax.set_ylabel("cooperation rate")
    ax.set_ylim(-0.04, 1.04)
    ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.set_title(title, fontsize=10)
    return Figure(
        name=name,
        title=title,
        png=_png(fig),
        caption="Share of games in which the model cooperated, per round and opponent; one line per option "
        "order (solid: the first order, dashed: the others). Lines of one opponent that differ by order "
        "alone show a position habit.",
    )
