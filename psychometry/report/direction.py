"""Do self-reports predict behaviour? One model's trait-behaviour associations, the share of them that
point the way they do in people, and the self-rating against the behaviour (issue 18, item 6).

:func:`direction_analysis` (read through :attr:`psychometry.report.analyses.ModelAnalysis.direction`,
computed once per model and shared by the verdict and the section) takes the persons' trait scores
(every scale of every inventory given with the tasks) and behaviour scores
(``stats.trait_behaviour_scores``: persons = model x persona x repeat) and estimates one association
per (trait scale, behaviour):

* when persons answered the tasks under several prompt conditions (templates x option orders),
  ``stats.mixed_model`` of ``behaviour ~ trait + (1 | persona)`` on the condition-level behaviour
  scores with the person's trait score (conditions averaged) as the predictor: the conditions of one
  persona are not independent, and a random intercept per persona accounts for it (lme4's ``lmer``,
  REML; Satterthwaite df as lmerTest);
* when each person has one behaviour score, the OLS slope of ``lm(behaviour ~ trait)``
  (``stats.behaviour_regression`` with one predictor).

The associations with a human prior (``stats.human_priors``) go to ``stats.direction_share``: the
share in the human direction, all and significant, with the exact binomial test of 0.5 and the
Clopper-Pearson interval (Han et al. 2025). A trait scale and a behaviour with the same scale id (a
self-rating of the behaviour, e.g. ``self_behaviour``'s ``generosity``) also get
``stats.behaviour_consistency`` (Pearson r across persons, Fisher-z CI; Betley et al. 2025).

Nothing here raises for the data: too few persons, a constant score, a failed fit or no matching
prior become one sentence (:func:`psychometry.report.outcome.attempt`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import psychometry.stats as st
from psychometry.instrument.model import Instrument

from .outcome import Outcome, attempt

__all__ = ["MIN_PERSONS", "DirectionAnalysis", "direction_analysis"]

#: Fewest persons with a trait and a behaviour score for an association to be estimated.
MIN_PERSONS = 5

#: The columns of :attr:`DirectionAnalysis.associations`.
ASSOCIATION_COLUMNS = [
    "trait", "instrument", "scale", "behaviour", "task", "n", "n_groups", "estimate", "se", "df",
    "statistic", "p", "ci_low", "ci_high", "singular",
]  # fmt: skip


@dataclass(frozen=True)
class DirectionAnalysis:
    """One model's trait-behaviour associations and their direction against the human priors.

    ``method`` is ``"mixed"`` (lmer with a random intercept per ``group``) or ``"ols"`` (lm), with
    ``method_why``; ``associations`` one row per estimated (trait, behaviour) pair (the trait as
    ``<instrument>_<scale>``; estimate in behaviour points per trait point, its se, df, t, p and 95%
    CI; ``singular`` for a boundary fit); ``skipped`` one sentence per pair not estimated; ``share``
    stats.direction_share's outcome (None when no association was estimated); ``consistency`` the
    self-rating checks ``(trait, behaviour, outcome)``; ``reason`` why nothing was computed."""

    method: str = ""
    method_why: str = ""
    group: str = ""
    n_persons: int = 0
    n_conditions: int = 0
    associations: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ASSOCIATION_COLUMNS))
    skipped: tuple[str, ...] = ()
    share: Outcome | None = None
    consistency: tuple[tuple[str, str, Outcome], ...] = ()
    reason: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def share_row(self) -> pd.Series | None:
        """The ``(all)`` row of the direction-share table (None when not computed or no prior matched)."""
        if self.share is None or self.share.value is None:
            return None
        row = self.share.value.table.iloc[-1]
        return row if int(row["n"]) > 0 else None

    @property
    def share_reason(self) -> str:
        """Why there is no direction share (empty when there is one)."""
        if self.reason is not None:
            return self.reason
        if self.share is None:
            return "no trait-behaviour association could be estimated" + (
                f" ({self.skipped[0]})" if self.skipped else ""
            )
        if self.share.value is None:
            return self.share.brief or "not computed"
        if self.share_row is None:
            return (
                f"none of the {len(self.associations)} trait-behaviour associations has a human prior "
                "(psychometry/stats/human_priors.yaml)"
            )
        return ""


def _scale_ids(long: pd.DataFrame, cols: Mapping[str, str]) -> dict[str, str]:
    """Column -> the scale id it scores (respondent_scores names a scale ``<instrument>_<scale>``
    where ids collide across instruments)."""
    out = {}
    for col, inst in cols.items():
        ids = set(long.loc[long["instrument"].astype(str) == inst, "scale"].astype(str))
        bare = col[len(inst) + 1 :] if col.startswith(f"{inst}_") else col
        out[col] = bare if bare in ids and col not in ids else col
    return out


def _row(tcol: str, bcol: str, tinfo: tuple[str, str], binfo: tuple[str, str], **v: Any) -> dict:
    return {"trait": f"{tinfo[0]}_{tinfo[1]}", "instrument": tinfo[0], "scale": tinfo[1],
            "behaviour": binfo[1], "task": binfo[0], **v}  # fmt: skip


def direction_analysis(
    long: pd.DataFrame, instruments: Mapping[str, Instrument | None], *, value: str = "value"
) -> DirectionAnalysis | None:
    """The association of each behaviour with each trait scale, and their direction against the human
    priors (module docstring); None without tasks and inventories given to the same model.

    ``long`` is one model's condition-level long table; ``instruments`` the instruments given (tasks
    are ``kind: task``)."""
    tasks = [i for i, inst in instruments.items() if inst is not None and inst.kind == "task"]
    inventories = [
        i for i, inst in instruments.items() if i not in tasks and (inst is None or inst.kind != "game")
    ]
    if not tasks or not inventories:
        return None
    present = set(long["instrument"].astype(str)) if "instrument" in long.columns else set()
    tasks = [i for i in tasks if i in present]
    inventories = [i for i in inventories if i in present]
    if not tasks or not inventories:
        return DirectionAnalysis(reason="the model answered no task or no inventory")
    tb = attempt(
        st.trait_behaviour_scores,
        long,
        trait_instruments=inventories,
        behaviour_instruments=tasks,
        value=value,
    )
    if tb.value is None:
        return DirectionAnalysis(reason=tb.brief)
    t, b, key = tb.value.traits, tb.value.behaviour, list(tb.value.key)
    persons = t.dropna(how="all").index.intersection(b.dropna(how="all").index)
    n = len(persons)
    if n < MIN_PERSONS:
        return DirectionAnalysis(
            n_persons=n,
            reason=f"{n} person{'' if n == 1 else 's'} with trait and behaviour scores; "
            f"an association needs at least {MIN_PERSONS}",
        )
    t_owner, b_owner = dict(t.attrs["instruments"]), dict(b.attrs["instruments"])
    t_sid, b_sid = _scale_ids(long, t_owner), _scale_ids(long, b_owner)
    n_cond = int(np.nanmax(b.attrs["conditions"].to_numpy(dtype=float))) if b.shape[1] else 0
    group = "persona" if "persona" in key else key[0]
    mixed = n_cond > 1
    cond_b: pd.DataFrame | None = None
    if mixed:
        cb = attempt(
            st.respondent_scores,
            long.assign(_condition=long["respondent"]),
            instruments=tasks,
            key=[*key, "_condition"],
            value=value,
        )
        if cb.value is None:
            return DirectionAnalysis(n_persons=n, reason=cb.brief)
        cond_b = cb.value
        c_owner = cond_b.attrs["instruments"]
        c_sid = _scale_ids(long, c_owner)
        # the same names as the person-level behaviour columns
        by_id = {(c_owner[c], c_sid[c]): c for c in cond_b.columns}
        cond_b = cond_b.rename(columns={by_id[(b_owner[c], b_sid[c])]: c for c in b.columns})
        method_why = (
            f"persons answered the tasks under up to {n_cond} prompt conditions (templates x option "
            f"orders): the conditions of one {group} are not independent, so each association is "
            f"lmer(behaviour ~ trait + (1 | {group})) on the condition-level behaviour scores, the "
            "trait score averaged over the person's conditions (REML; Satterthwaite df as lmerTest)"
        )
    else:
        method_why = (
            "each person has one behaviour score (one prompt condition): each association is the "
            "slope of lm(behaviour ~ trait) across persons"
        )
    rows: list[dict] = []
    skipped: list[str] = []
    warns: list[str] = []
    for bcol in b.columns:
        binfo = (b_owner[bcol], b_sid[bcol])
        for tcol in t.columns:
            tinfo = (t_owner[tcol], t_sid[tcol])
            pair = f"{tinfo[0]} {tinfo[1]} -> {binfo[1]}"
            both = pd.concat([t[tcol], b[bcol]], axis=1, keys=["x", "y"]).dropna()
            if len(both) < MIN_PERSONS:
                skipped.append(f"{pair}: {len(both)} persons with both scores; at least {MIN_PERSONS} needed")
                continue
            if both["x"].nunique() < 2:
                skipped.append(f"{pair}: the trait score is the same for every person")
                continue
            if both["y"].nunique() < 2:
                skipped.append(f"{pair}: the behaviour score is the same for every person")
                continue
            if mixed:
                assert cond_b is not None
                d = cond_b[[bcol]].rename(columns={bcol: "y"}).reset_index()
                d = d.merge(both[["x"]].reset_index(), on=key).dropna(subset=["x", "y"])
                d = d.assign(g=d[group].astype(str))
                out = attempt(st.mixed_model, d, formula="y ~ x", groups="g")
                if out.value is None:
                    skipped.append(f"{pair}: {out.brief}")
                    continue
                fit = out.value
                r = fit.coefficients.loc["x"]
                rows.append(
                    _row(tcol, bcol, tinfo, binfo, n=fit.n, n_groups=fit.n_groups, estimate=r["estimate"],
                         se=r["se"], df=r["df"], statistic=r["t"], p=r["p"], ci_low=r["ci_low"],
                         ci_high=r["ci_high"], singular=bool(fit.singular))
                )  # fmt: skip
            else:
                out = attempt(st.behaviour_regression, both[["x"]], behaviour=both["y"].rename("y"))
                if out.value is None:
                    skipped.append(f"{pair}: {out.brief}")
                    continue
                f = next(iter(out.value.fits.values()))
                r = f.coefficients.loc["x"]
                rows.append(
                    _row(tcol, bcol, tinfo, binfo, n=f.n, n_groups=f.n, estimate=r["estimate"], se=r["se"],
                         df=float(f.df_resid), statistic=r["t"], p=r["p"], ci_low=r["ci_low"],
                         ci_high=r["ci_high"], singular=False)
                )  # fmt: skip
            warns += [w for w in out.warnings if w not in warns and "singular" not in w]
    assoc = pd.DataFrame(rows, columns=ASSOCIATION_COLUMNS)
    share = (
        attempt(st.direction_share, assoc, trait="trait", behaviour="behaviour", estimate="estimate", p="p")
        if len(assoc)
        else None
    )
    consistency = []
    for tcol in t.columns:
        for bcol in b.columns:
            if t_sid[tcol] == b_sid[bcol]:
                d = pd.concat([t[tcol], b[bcol]], axis=1, keys=["self_rating", "behaviour"]).dropna()
                consistency.append(
                    (
                        f"{t_owner[tcol]}_{t_sid[tcol]}",
                        b_sid[bcol],
                        attempt(
                            st.behaviour_consistency, d, self_report="self_rating", behaviour="behaviour"
                        ),
                    )
                )
    return DirectionAnalysis(
        method="mixed" if mixed else "ols",
        method_why=method_why,
        group=group,
        n_persons=n,
        n_conditions=n_cond,
        associations=assoc,
        skipped=tuple(skipped),
        share=share,
        consistency=tuple(consistency),
        warnings=tuple(warns),
    )
