"""The models side by side (several models): per inventory, the trait profiles (mean and 95% CI per
scale, with the human norms) and the reliabilities (alpha with Feldt CI, omega) of each model; and,
with behavioural tasks, the share of trait-behaviour associations in the human direction per model.
Each model's numbers are its own; models are never pooled."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from psychometry.instrument.model import Instrument
from psychometry.stats._rhtml import summary_html
from psychometry.stats._rprint import format_pval, format_strings

from .. import plots as plot_figures
from ..document import Section
from ..plots import _ci95
from ..thresholds import VerdictThresholds
from ..verdicts.model import ModelVerdicts

__all__ = ["comparison_sections"]


class _Cells:
    """A table of strings printed like a result (laid out when called, so summary_html gets a real table)."""

    def __init__(self, head: str, cells: pd.DataFrame) -> None:
        self.head, self.cells = head, cells

    def summary(self) -> str:
        return self.head + "\n\n" + format_strings(self.cells)


def comparison_sections(
    per_model: Sequence[tuple[str, dict[str, pd.DataFrame | None], list[Section]]],
    instruments: dict[str, Instrument | None],
    *,
    plots: bool,
    thresholds: VerdictThresholds,
    verdicts: Sequence[ModelVerdicts],
) -> list[Section]:
    """The models side by side, per inventory: trait profiles (mean and 95% CI per scale, with the
    human norms) and reliabilities (alpha with Feldt CI, omega). Each model's numbers are its own."""
    out = [
        Section(
            key="compare",
            title="Models side by side",
            level=1,
            body="Each column is one model's own statistics (its respondents only); models are never "
            "pooled as respondents.",
        )
    ]
    for iid, inst in instruments.items():
        if inst is not None and inst.kind == "task":
            continue
        profiles = {name: sc for name, scores, _ in per_model if (sc := scores.get(iid)) is not None}
        if not profiles:
            continue
        scale_ids = (
            [s.id for s in inst.scales] if inst is not None else list(next(iter(profiles.values())).columns)
        )
        scale_ids = [s for s in scale_ids if any(s in p.columns for p in profiles.values())]
        norms = {n.scale: (n.mean, n.sd) for n in inst.norms} if inst is not None else {}
        cells = pd.DataFrame(index=scale_ids, dtype=object)
        for name, sc in profiles.items():
            col = []
            for s in scale_ids:
                m, lo, hi = _ci95(sc[s].to_numpy(dtype=float)) if s in sc.columns else (float("nan"),) * 3
                ci = f" [{lo:.2f}, {hi:.2f}]" if np.isfinite(lo) else ""
                col.append(f"{m:.2f}{ci}" if np.isfinite(m) else "NA")
            cells[name] = col
        if norms:
            cells["human norm (sd)"] = [
                f"{norms[s][0]:.2f} ({norms[s][1]:.2f})" if s in norms else "" for s in scale_ids
            ]

        t = _Cells("Mean scale score [95% CI over the model's respondents]:", cells)
        sec = Section(
            key=f"compare/{iid}/profile",
            title=f"{iid}: trait profiles",
            level=2,
            body=t.summary(),
            html=summary_html(t),
        )
        if plots:
            sec.figures.append(
                plot_figures.trait_profile(
                    {
                        n: p[[s for s in scale_ids if s in p.columns]].astype(float)
                        for n, p in profiles.items()
                    },
                    name=f"compare-{iid}-profile",
                    title=f"{iid}: trait profiles of the models",
                    norms=norms,
                )
            )
        out.append(sec)
        rel = {
            mv.model: v.data
            for mv in verdicts
            if (v := mv.get("reliability", iid)) is not None and isinstance(v.data, pd.DataFrame)
        }
        if rel:
            cells = pd.DataFrame(index=scale_ids, dtype=object)
            for name, tab0 in rel.items():
                tab = tab0.set_index("scale")
                col = []
                for s in scale_ids:
                    if s not in tab.index or not np.isfinite(tab.loc[s, "alpha"]):
                        col.append("NA")
                        continue
                    r = tab.loc[s]
                    txt = f"{r['alpha']:.2f} [{r['alpha_low']:.2f}, {r['alpha_high']:.2f}]"
                    if np.isfinite(r["omega_t"]):
                        txt += f"; omega {r['omega_t']:.2f}"
                    col.append(txt)
                cells[name] = col
            t = _Cells(
                "Cronbach's alpha [Feldt 95% CI]; omega total (no interval) where computed "
                "(6+ items), per model:",
                cells,
            )
            sec = Section(
                key=f"compare/{iid}/reliability",
                title=f"{iid}: reliability of the models",
                level=2,
                body=t.summary(),
                html=summary_html(t),
            )
            if plots:
                sec.figures.append(
                    plot_figures.reliability_forest(
                        rel,
                        name=f"compare-{iid}-reliability",
                        title=f"{iid}: reliability per scale and model",
                        ok=thresholds.reliability_ok,
                        fails=thresholds.reliability_fails,
                    )
                )
            out.append(sec)
    direction = direction_comparison(verdicts)
    if direction is not None:
        out.append(direction)
    return out


def direction_comparison(verdicts: Sequence[ModelVerdicts]) -> Section | None:
    """The share of trait-behaviour associations in the human direction, one row per model (each
    model's own stats.direction_share; the verdict's data), or None when no model has tasks."""
    per = {mv.model: v for mv in verdicts if (v := mv.get("direction")) is not None}
    if not per:
        return None
    cells = pd.DataFrame(
        index=list(per),
        columns=["n", "human", "share [95% CI]", "p", "significant", "sig. human", "verdict"],
        dtype=object,
    )
    for name, v in per.items():
        row = v.data.share_row if v.data is not None else None
        if row is None:
            cells.loc[name] = ["0", "", "NA", "NA", "", "", v.level]
            continue
        cells.loc[name] = [
            str(int(row["n"])),
            str(int(row["n_human"])),
            f"{row['share']:.2f} [{row['share_ci_low']:.2f}, {row['share_ci_high']:.2f}]",
            format_pval([float(row["p"])], 2)[0],
            str(int(row["n_significant"])),
            str(int(row["n_significant_human"])),
            v.level,
        ]
    t = _Cells(
        "Share of trait-behaviour associations in the human direction, per model (exact binomial test "
        "of 0.5, Clopper-Pearson 95% CI; psychometry.stats.direction_share):",
        cells,
    )
    return Section(
        key="compare/direction",
        title="Do self-reports predict behaviour? Direction share of the models",
        level=2,
        body=t.summary(),
        html=summary_html(t),
    )
