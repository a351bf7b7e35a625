"""The analyses that the verdicts and the report's sections share, computed once per model and
instrument: a :class:`ModelAnalysis` per model holds one :class:`InstrumentAnalysis` per instrument,
and each statistic is run the first time it is asked for and kept (scale scores, item matrices,
``alpha``, ``omega``, the reliability table, ``order_sensitivity``, ``template_sensitivity``,
``position_bias``, ``compare_norms``, ``invariance``, ``mtmm``, the behaviour regression, the
trait-behaviour associations and their direction: :mod:`psychometry.report.direction`).

Every statistic is called through :func:`psychometry.report.outcome.attempt`: an :class:`Outcome`
holds the result, or the reason it could not be computed, and the warnings it raised; the verdicts
and the sections read the same outcome and print it their own way.

Here too: :data:`MTMM_INSTRUMENTS`, :func:`scale_ids`, the measurement-invariance analysis
(:func:`invariance_analysis`, :func:`invariance_holds`) and :func:`behaviour_analysis`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

import psychometry.stats as st
from psychometry.errors import PsychometryError
from psychometry.instrument.model import Instrument
from psychometry.scoring import score_long
from psychometry.stats.reliability import reverse_items
from psychometry.stats.robustness.debias import debias_answers, debias_available

from .direction import DirectionAnalysis, direction_analysis
from .outcome import Outcome, attempt
from .respondents import persona_level
from .thresholds import VerdictThresholds

__all__ = [
    "INVARIANCE_FACTORS",
    "INVARIANCE_LEVELS",
    "MTMM_INSTRUMENTS",
    "BehaviourAnalysis",
    "InstrumentAnalysis",
    "InvarianceAnalysis",
    "ModelAnalysis",
    "ScaleInvariance",
    "behaviour_analysis",
    "instrument_scores",
    "invariance_analysis",
    "invariance_holds",
    "scale_ids",
]

#: The two instruments whose common scales (E A C N O) make the multitrait-multimethod matrix.
MTMM_INSTRUMENTS: tuple[str, str] = ("bfi44", "ipip_neo120")


def scale_ids(rows: pd.DataFrame, inst: Instrument | None) -> list[str]:
    """The scales of the rows: in the instrument's order when its definition is known, then the rest."""
    present = [str(s) for s in pd.unique(rows["scale"])]
    if inst is None:
        return present
    ordered = [s.id for s in inst.scales if s.id in present]
    return ordered + [s for s in present if s not in ordered]


def _scoring(rows: pd.DataFrame, inst: Instrument | None) -> Outcome:
    """The instrument's scoring (psychometry.scoring) when its definition is known, else item means after
    reverse keying (stats.scale_scores, a long table)."""
    if inst is not None:
        return attempt(score_long, rows, inst)
    return attempt(st.scale_scores, rows)


def _wide_scores(scoring: Outcome, inst: Instrument | None) -> pd.DataFrame | None:
    if not scoring.ok:
        return None
    if inst is not None:
        return scoring.value
    return scoring.value.pivot_table(index="respondent", columns="scale", values="score", aggfunc="first")


def instrument_scores(rows: pd.DataFrame, inst: Instrument | None) -> tuple[pd.DataFrame | None, str | None]:
    """Scale scores (respondents x scales) of one instrument's rows: the instrument's scoring when its
    definition is known, else item means after reverse keying (stats.scale_scores); or None and why."""
    out = _scoring(rows, inst)
    return _wide_scores(out, inst), out.brief


# --------------------------------------------------------------------------------------------------
# measurement invariance across the prompt conditions

#: Design factors across which the report tests measurement invariance: {column: (plural, singular)}.
INVARIANCE_FACTORS: dict[str, tuple[str, str]] = {
    "order": ("option orders", "option order"),
    "template": ("prompt templates", "prompt template"),
}
#: The invariance levels the report fits (lavaan's group.equal: none; loadings; loadings + intercepts).
INVARIANCE_LEVELS: tuple[str, ...] = ("configural", "metric", "scalar")


@dataclass(frozen=True)
class ScaleInvariance:
    """One scale's invariance across the levels of a design factor: ``result`` is
    :func:`psychometry.stats.invariance`'s :class:`InvarianceResult` (None when it could not be
    computed, with the ``reason``); ``n`` the respondents answering every item, per group;
    ``warnings`` what the fits warned (e.g. negative variance estimates)."""

    scale: str
    items: tuple[str, ...]
    n: tuple[tuple[str, int], ...] = ()
    result: Any = field(default=None, repr=False, compare=False)
    reason: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class InvarianceAnalysis:
    """Measurement invariance of one instrument's scales across one design factor (``order`` or
    ``template``): one :class:`ScaleInvariance` per scale."""

    factor: str
    groups: tuple[str, ...]
    scales: tuple[ScaleInvariance, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per scale and level: :func:`psychometry.stats.invariance`'s table."""
        frames = [
            s.result.table.reset_index().assign(scale=s.scale) for s in self.scales if s.result is not None
        ]
        if not frames:
            return pd.DataFrame(columns=["scale", "level"])
        out = pd.concat(frames, ignore_index=True)
        return out[["scale"] + [c for c in out.columns if c != "scale"]]


def _fit_invariance(
    data: pd.DataFrame, model: dict[str, list[str]], group: str
) -> tuple[Any, str | None, tuple[str, ...]]:
    """stats.invariance (ML; configural, metric, scalar) with its warnings recorded: (result, reason, warnings).
    A user-input error of the statistics or a numerical failure gives (None, reason, warnings)."""
    out = attempt(
        st.invariance,
        data,
        model=model,
        group=group,
        levels=list(INVARIANCE_LEVELS),
        catch=(np.linalg.LinAlgError, ArithmeticError, ValueError),
    )
    why = None
    if out.error is not None:
        exc = out.error
        why = (
            " ".join(str(exc).split())
            if isinstance(exc, PsychometryError)
            else f"numerical failure: {type(exc).__name__}: {' '.join(str(exc).split())}"
        )
    return out.value, why, tuple(out.warnings)


def invariance_analysis(
    rows: pd.DataFrame,
    factor: str,
    scale_ids: Sequence[str] | None = None,
) -> InvarianceAnalysis:
    """Measurement invariance of each scale across the levels of ``factor`` (a column of the long
    table: ``order`` or ``template``) with :func:`psychometry.stats.invariance` (ML, configural ->
    metric -> scalar, as ``lavaan::cfa(model, data, group = factor, group.equal = ...)``).

    ``rows`` are one instrument's condition-level rows with the analysed answers in ``value``. A case
    is a (respondent, factor level); the model is one factor per scale, reverse-keyed items reversed
    first (the fit does not depend on it). A scale that cannot be fitted (fewer than 3 items, a group
    with no more respondents answering every item than items, an item without variance in a group, a
    fit that does not converge or a statistic that raises) gets its ``reason`` instead of a result."""
    groups = tuple(str(g) for g in pd.unique(rows[factor].dropna()))
    ids = list(scale_ids) if scale_ids is not None else [str(s) for s in pd.unique(rows["scale"])]
    keyed = rows.drop_duplicates("item").set_index("item")["keyed"] if "keyed" in rows.columns else None
    if keyed is not None:
        keyed.index = keyed.index.astype(str)
    status = "status" if "status" in rows.columns else None
    data = rows[rows[factor].notna()]
    data = data.assign(_case=data["respondent"].astype(str) + " | " + data[factor].astype(str))
    out: list[ScaleInvariance] = []
    what = INVARIANCE_FACTORS.get(factor, (factor, factor))[1]
    for sid in ids:
        sub = data[data["scale"].astype(str) == sid]
        items = [str(i) for i in pd.unique(sub["item"])]
        if len(items) < 3:
            out.append(
                ScaleInvariance(sid, tuple(items), reason=f"{len(items)} item(s); a one-factor model needs 3")
            )
            continue
        got = attempt(st.item_matrix, sub, respondent="_case", status=status)
        wide, why = got.value, got.brief
        if wide is None:
            out.append(ScaleInvariance(sid, tuple(items), reason=why))
            continue
        wide = wide.rename(columns=str)[items]
        keys = [i for i in items if keyed is not None and i in keyed.index and keyed[i] < 0]
        if keys:
            got = attempt(reverse_items, wide, keys)
            wide, why = got.value, got.brief
            if wide is None:
                out.append(ScaleInvariance(sid, tuple(items), reason=why))
                continue
        case_group = sub.drop_duplicates("_case").set_index("_case")[factor].astype(str)
        complete = wide.dropna()
        g = case_group.reindex(complete.index)
        n = tuple((lv, int((g == lv).sum())) for lv in groups)
        p = len(items)
        why = None
        small = [(lv, k) for lv, k in n if k <= p]
        if small:
            why = (
                f"too few respondents answering every item per {what} ("
                + ", ".join(f"{k} {lv}" for lv, k in small)
                + f"; a group needs more than the {p} items)"
            )
        else:
            for lv in groups:
                sd = complete[(g == lv).to_numpy()].std(ddof=0)
                flat = [str(i) for i in sd.index if not sd[i] > 0]
                if flat:
                    why = (
                        f"item{'s' if len(flat) > 1 else ''} {', '.join(flat[:3])}{' ...' if len(flat) > 3 else ''} "
                        f"without variance under {what} {lv}"
                    )
                    break
        if why is not None:
            out.append(ScaleInvariance(sid, tuple(items), n=n, reason=why))
            continue
        df = complete.assign(_group=g.to_numpy())
        res, why, warns = _fit_invariance(df, {sid: items}, "_group")
        if res is not None:
            bad = [lv for lv, f in res.fits.items() if not f.converged]
            t = res.table
            if bad:
                res, why = (
                    None,
                    f"the {' and '.join(bad)} model{'s' if len(bad) > 1 else ''} did not converge",
                )
            elif not np.isfinite(t[["chisq", "cfi", "rmsea"]].to_numpy(dtype=float)).all():
                res, why = None, "non-finite fit measures"
        out.append(
            ScaleInvariance(
                sid,
                tuple(items),
                n=n,
                result=res,
                reason=why,
                warnings=tuple(w for w in warns if "did not converge" not in w),
            )
        )
    return InvarianceAnalysis(factor=factor, groups=groups, scales=tuple(out))


def invariance_holds(row: Mapping[str, Any], th: VerdictThresholds) -> bool:
    """Whether a level of stats.invariance's table holds against the previous level by the report's
    cut-offs (Chen 2007): CFI drops by at most ``invariance_delta_cfi`` and RMSEA rises by at most
    ``invariance_delta_rmsea``."""
    dc, dr = float(row["delta_cfi"]), float(row["delta_rmsea"])
    # rounding: a difference of two fit measures equal to the cut-off is not a failure
    return (
        math.isfinite(dc)
        and math.isfinite(dr)
        and dc >= -th.invariance_delta_cfi - 1e-12
        and dr <= th.invariance_delta_rmsea + 1e-12
    )


# --------------------------------------------------------------------------------------------------
# behaviour prediction


class BehaviourAnalysis(NamedTuple):
    """Behaviour prediction: the persons' trait and behaviour scores (stats.trait_behaviour_scores),
    stats.behaviour_regression's result, or None and the ``reason``."""

    traits: pd.DataFrame | None
    behaviour: pd.DataFrame | None
    result: Any
    reason: str | None


def behaviour_analysis(
    long: pd.DataFrame, instruments: Mapping[str, Instrument | None], *, value: str = "value"
) -> BehaviourAnalysis | None:
    """Behaviour prediction when tasks (``kind: task``) and inventories were given to the same persons:
    a :class:`BehaviourAnalysis` ``(traits, behaviour, BehaviourRegressionResult or None, reason or
    None)``, or None without tasks.

    Scores per person (model, persona, repeat) averaged over conditions (stats.trait_behaviour_scores);
    the predictors are the scales of the first inventory (more would overfit a few dozen persons);
    behaviours without variance across persons are left out."""
    tasks = [i for i, inst in instruments.items() if inst is not None and inst.kind == "task"]
    traits = [
        i for i, inst in instruments.items() if i not in tasks and (inst is None or inst.kind != "game")
    ]
    if not tasks or not traits:
        return None
    tb = attempt(
        st.trait_behaviour_scores, long, trait_instruments=traits, behaviour_instruments=tasks, value=value
    )
    if tb.value is None:
        return BehaviourAnalysis(None, None, None, tb.brief)
    t, b = tb.value.traits, tb.value.behaviour
    first = traits[0]
    preds = [c for c in t.columns if t.attrs["instruments"].get(c) == first and t[c].nunique() > 1]
    usable = [c for c in b.columns if b[c].nunique() > 1]
    if not preds:
        return BehaviourAnalysis(t, b, None, f"no {first} scale varies across persons")
    if not usable:
        return BehaviourAnalysis(t, b, None, "no behaviour varies across persons")
    res = attempt(st.behaviour_regression, t, behaviour=b[usable], predictors=preds)
    return BehaviourAnalysis(t, b, res.value, res.brief)


# --------------------------------------------------------------------------------------------------
# one instrument, one model


class _Memo:
    """Each statistic computed the first time it is asked for, then kept (by its arguments)."""

    def __init__(self) -> None:
        self._memo: dict[Hashable, Any] = {}

    def _once(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


class InstrumentAnalysis(_Memo):
    """One instrument's rows of one model and the statistics on them, each computed once.

    ``cond`` are the condition-level rows (the robustness statistics: option order, template,
    position, invariance); ``long`` the rows analysed as respondents (prompt conditions, or persons
    with the conditions averaged: scores, reliability, norms); ``analysed_empty`` is True when the
    analysed rows were empty and ``long`` holds the condition-level rows instead."""

    def __init__(
        self,
        iid: str,
        inst: Instrument | None,
        cond: pd.DataFrame,
        long: pd.DataFrame,
        *,
        analysed_empty: bool = False,
    ) -> None:
        super().__init__()
        self.iid = iid
        self.inst = inst
        self.cond = cond
        self.long = long
        self.analysed_empty = analysed_empty

    @property
    def is_task(self) -> bool:
        return self.inst is not None and self.inst.kind == "task"

    @property
    def is_game(self) -> bool:
        return self.inst is not None and self.inst.kind == "game"

    @property
    def is_two_turn(self) -> bool:
        """Two-turn items (``followup``): each item answered twice, before and after pushback."""
        return self.inst is not None and bool(self.inst.followup)

    @cached_property
    def scale_ids(self) -> list[str]:
        """The scales of the analysed rows, in the instrument's order."""
        return scale_ids(self.long, self.inst)

    @cached_property
    def cond_scale_ids(self) -> list[str]:
        """The scales of the condition-level rows, in the instrument's order."""
        return scale_ids(self.cond, self.inst)

    def scale_items(self, sid: str) -> list[str]:
        sub = self.long[self.long["scale"] == sid]
        return [str(i) for i in pd.unique(sub["item"])]

    def reversed_items(self, items: Sequence[str]) -> list[str]:
        """The reverse-keyed ones of ``items``."""
        if "keyed" not in self.long.columns:
            return []
        k = self.long.drop_duplicates("item").set_index("item")["keyed"]
        return [i for i in items if i in k.index and k[i] < 0]

    # ------------------------------------------------------------------ scores
    @cached_property
    def scoring(self) -> Outcome:
        """psychometry.scoring's scale scores, or stats.scale_scores' long table without a definition."""
        return _scoring(self.long, self.inst)

    @cached_property
    def scores(self) -> pd.DataFrame | None:
        """Scale scores, respondents x scales (None when they cannot be computed: ``scoring.reason``)."""
        return _wide_scores(self.scoring, self.inst)

    # ------------------------------------------------------------------ reliability
    def item_matrix(self, sid: str) -> Outcome:
        """stats.item_matrix of one scale (respondents x items)."""
        return self._once(
            ("item_matrix", sid), lambda: attempt(st.item_matrix, self.long[self.long["scale"] == sid])
        )

    def alpha(self, sid: str) -> Outcome:
        """stats.alpha of one scale, its reverse-keyed items reversed (psych::alpha(keys=))."""
        keys = self.reversed_items(self.scale_items(sid)) or None
        return self._once(("alpha", sid), lambda: attempt(st.alpha, self.item_matrix(sid).value, keys=keys))

    def omega(self, sid: str, nfactors: int) -> Outcome:
        """stats.omega of one scale with ``nfactors`` group factors."""
        return self._once(
            ("omega", sid, nfactors),
            lambda: attempt(st.omega, self.item_matrix(sid).value, nfactors=nfactors),
        )

    def reliability_table(self, omega_min_items: int = 6) -> pd.DataFrame:
        """Alpha with its Feldt CI and omega (total, hierarchical) per scale: one row per scale, ``why``
        when alpha is not computed."""
        return self._once(("reliability", omega_min_items), lambda: self._reliability_table(omega_min_items))

    def _reliability_table(self, omega_min_items: int) -> pd.DataFrame:
        recs = []
        for sid in self.scale_ids:
            items = self.scale_items(sid)
            rec: dict[str, Any] = {
                "scale": sid,
                "k": len(items),
                "n": 0,
                "alpha": math.nan,
                "alpha_low": math.nan,
                "alpha_high": math.nan,
                "omega_t": math.nan,
                "omega_h": math.nan,
                "why": "",
            }
            wide = self.item_matrix(sid)
            if wide.value is None:
                rec["why"] = wide.brief
                recs.append(rec)
                continue
            n = int(wide.value.notna().any(axis=1).sum())
            rec["n"] = n
            if len(items) >= 2 and n >= 2:
                a = self.alpha(sid)
                if a.value is not None:
                    rec.update(
                        alpha=a.value.raw_alpha, alpha_low=a.value.feldt[0], alpha_high=a.value.feldt[1]
                    )
                else:
                    rec["why"] = a.brief
            else:
                rec["why"] = f"{len(items)} items, {n} respondents"
            nf = min(3, len(items) // 3)
            if len(items) >= omega_min_items and nf >= 2 and n > len(items):
                o = self.omega(sid, nf)
                if o.value is not None:
                    # no interval: psych::omega gives none, and we print only what R verifies
                    rec.update(omega_t=o.value.omega_total, omega_h=o.value.omega_h)
            recs.append(rec)
        return pd.DataFrame(recs)

    # ------------------------------------------------------------------ robustness
    def order_sensitivity(self, a: str, b: str) -> Outcome:
        """stats.order_sensitivity of option order ``a`` against ``b`` (condition-level rows)."""
        return self._once(("orders", a, b), lambda: attempt(st.order_sensitivity, self.cond, a=a, b=b))

    def template_sensitivity(self) -> Outcome:
        """stats.template_sensitivity (condition-level rows)."""
        return self._once("templates", lambda: attempt(st.template_sensitivity, self.cond))

    def position_bias(self, by: str | list[str] | None) -> Outcome:
        """stats.position_bias by ``by`` (condition-level rows)."""
        key = ("positions", tuple(by) if isinstance(by, list) else by)
        return self._once(key, lambda: attempt(st.position_bias, self.cond, by=by))

    def invariance(self, factor: str, scales: Sequence[str] | None = None) -> InvarianceAnalysis:
        """Measurement invariance across ``factor`` (:func:`invariance_analysis`, condition-level rows)."""
        ids = list(scales) if scales is not None else self.cond_scale_ids
        return self._once(
            ("invariance", factor, tuple(ids)), lambda: invariance_analysis(self.cond, factor, ids)
        )

    # ------------------------------------------------------------------ norms
    @cached_property
    def norms(self) -> dict[str, tuple[float, float, float]]:
        """``{scale: (mean, sd, n)}`` of the instrument's human norms with a sample size, scored scales only."""
        if self.inst is None or self.scores is None:
            return {}
        return {
            n.scale: (n.mean, n.sd, n.n)
            for n in self.inst.norms
            if n.n is not None and n.scale in self.scores.columns
        }

    def compare_norms(self) -> Outcome:
        """stats.compare_norms of the scale scores against :attr:`norms` (needs both)."""
        assert self.scores is not None and self.norms
        scores, norms = self.scores, self.norms
        return self._once(
            "norms", lambda: attempt(st.compare_norms, scores[list(norms)].astype(float), norms=norms)
        )


class ModelAnalysis(_Memo):
    """One model's rows and the analyses on them, computed once and read by the verdicts and the
    report's sections alike.

    ``rows`` is the condition-level long table of one model as given (``raw``: its chosen answers, for
    the answer and position checks); with ``answers="expected"`` the analysed ``value`` is logprob
    mode's probability-weighted answer; with ``respondent="persona"`` the respondents of the scores,
    reliability and norms are persons (conditions averaged: :func:`persona_level`)."""

    def __init__(
        self,
        rows: pd.DataFrame,
        instruments: Mapping[str, Instrument | None],
        *,
        answers: str = "chosen",
        respondent: str = "condition",
    ) -> None:
        super().__init__()
        self.raw = rows
        self.rows = (
            rows.assign(value=rows["expected"])
            if answers == "expected" and "expected" in rows.columns
            else rows
        )
        self.analysed = persona_level(self.rows) if respondent == "persona" else self.rows
        self.instruments = dict(instruments)
        self.respondent = respondent
        self._per_instrument: dict[str, InstrumentAnalysis | None] = {}

    def instrument(self, iid: str) -> InstrumentAnalysis | None:
        """The analysis of one instrument (None when the model has no rows of it)."""
        if iid not in self._per_instrument:
            cond = self.rows[self.rows["instrument"].astype(str) == iid].reset_index(drop=True)
            long = self.analysed[self.analysed["instrument"].astype(str) == iid].reset_index(drop=True)
            self._per_instrument[iid] = (
                None
                if cond.empty
                else InstrumentAnalysis(
                    iid,
                    self.instruments.get(iid),
                    cond,
                    cond if long.empty else long,
                    analysed_empty=long.empty,
                )
            )
        return self._per_instrument[iid]

    def position_bias(self, by: str | None) -> Outcome:
        """stats.position_bias of every answer of the model (the chosen positions)."""
        return self._once(("positions", by), lambda: attempt(st.position_bias, self.raw, by=by))

    @cached_property
    def debias_method(self) -> str | None:
        """The debiasing the model's rows allow (``permutation``, ``pride``, ``calibration``; None: none),
        or the method already applied when the rows are debiased (their ``debias`` column)."""
        if "debias" in self.raw.columns and len(self.raw):
            return str(self.raw["debias"].iloc[0])
        return debias_available(self.raw)

    def debiased(self) -> Outcome:
        """The model's rows position-debiased by :attr:`debias_method`
        (``stats.robustness.debias.debias_answers``); the rows themselves when already debiased."""
        if "debias" in self.raw.columns:
            return Outcome(value=self.raw)
        method = self.debias_method
        if method is None:
            return Outcome(reason="no option orders or content-free answers to debias with")
        return self._once("debiased", lambda: attempt(debias_answers, self.raw, method=method))

    def content_signal(self, iid: str, *, debiased: bool = False) -> Outcome:
        """stats.content_signal of one instrument's condition-level answers (the probability-weighted
        ``expected`` in logprob mode, else the chosen ``value``): the raw rows, or the debiased ones."""

        def run() -> Outcome:
            if debiased:
                got = self.debiased()
                if got.value is None:
                    return got
                rows = got.value[got.value["instrument"].astype(str) == iid]
            else:
                ia = self.instrument(iid)
                rows = ia.cond if ia is not None else self.raw.iloc[:0]
            value = "expected" if "expected" in rows.columns and rows["expected"].notna().any() else "value"
            return attempt(st.content_signal, rows, value=value)

        return self._once(("content", iid, debiased), run)

    def mtmm(self, common: Sequence[str]) -> Outcome:
        """stats.mtmm of the :data:`MTMM_INSTRUMENTS`' scale scores on their ``common`` scales."""
        a_id, b_id = MTMM_INSTRUMENTS

        def run() -> Outcome:
            a, b = self.instrument(a_id), self.instrument(b_id)
            assert a is not None and b is not None and a.scores is not None and b.scores is not None
            return attempt(
                st.mtmm,
                a.scores[list(common)].astype(float),
                other=b.scores[list(common)].astype(float),
                pairs={s: s for s in common},
                methods=(a_id, b_id),
            )

        return self._once(("mtmm", tuple(common)), run)

    @cached_property
    def behaviour(self) -> BehaviourAnalysis | None:
        """:func:`behaviour_analysis` of the model's rows (None without tasks and inventories)."""
        return behaviour_analysis(self.rows, self.instruments)

    @cached_property
    def direction(self) -> DirectionAnalysis | None:
        """:func:`psychometry.report.direction.direction_analysis` of the model's rows: each trait-behaviour
        association and its direction against the human priors (None without tasks and inventories)."""
        return direction_analysis(self.rows, self.instruments)
