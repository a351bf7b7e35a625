"""Verdicts: the findings a report leads with, computed per model from the package's statistics.

Each :class:`Verdict` answers one question about one model's answers (does it answer at all? are
the answers a position habit? do option order and prompt template move the scores? are the scales
reliable? may scores be compared across option orders and prompt templates (measurement
invariance)? do two instruments of the same traits agree (MTMM)? how far from human norms? do traits
predict behaviour?) with a level (``ok`` / ``caution`` / ``fails``; ``n/a`` when the design does not
allow the check), the figure it rests on and one sentence. :func:`compute_verdicts` returns one
:class:`ModelVerdicts` per model: models are never pooled.

The cut-offs are a :class:`VerdictThresholds` (defaults with their sources in
:data:`THRESHOLD_SOURCES` and docs/report.md; load your own with :func:`load_thresholds`).

Every number comes from :mod:`psychometry.stats` (``refusal_rates``' inputs, ``position_bias``,
``order_sensitivity``, ``template_sensitivity``, ``alpha``, ``omega``, ``invariance``, ``mtmm``,
``compare_norms``, ``behaviour_regression``) or :mod:`psychometry.scoring`; nothing here re-implements a statistic.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import psychometry.stats as st
from psychometry.errors import PsychometryError
from psychometry.instrument.model import Instrument
from psychometry.scoring import score_long
from psychometry.stats._rprint import fmt_number, format_pval

from .errors import ReportError
from .respondents import persona_level, split_models

__all__ = [
    "INVARIANCE_FACTORS",
    "INVARIANCE_LEVELS",
    "LEVELS",
    "MTMM_INSTRUMENTS",
    "THRESHOLD_SOURCES",
    "InvarianceAnalysis",
    "ModelVerdicts",
    "ScaleInvariance",
    "Verdict",
    "VerdictThresholds",
    "behaviour_analysis",
    "compute_verdicts",
    "instrument_scores",
    "invariance_analysis",
    "invariance_holds",
    "load_thresholds",
    "model_verdicts",
    "verdicts_text",
]

LEVELS = ("ok", "caution", "fails", "n/a")
_RANK = {"n/a": -1, "ok": 0, "caution": 1, "fails": 2}

#: The two instruments whose common scales (E A C N O) make the multitrait-multimethod matrix.
MTMM_INSTRUMENTS: tuple[str, str] = ("bfi44", "ipip_neo120")


@dataclass(frozen=True)
class VerdictThresholds:
    """The cut-offs of the verdicts (see :data:`THRESHOLD_SOURCES` for where each comes from).

    Shares are proportions (0-1); effect sizes are absolute values. Change any of them with
    ``replace(VerdictThresholds(), reliability_ok=0.8)`` or a YAML file (:func:`load_thresholds`)."""

    nonanswer_caution: float = 0.05
    nonanswer_fails: float = 0.50
    label_mass_caution: float = 0.50
    label_mass_fails: float = 0.10
    position_caution: float = 0.50
    position_fails: float = 0.80
    order_dz_caution: float = 0.5
    order_dz_fails: float = 0.8
    template_w_caution: float = 0.3
    template_w_fails: float = 0.5
    shift_negligible: float = 0.05
    shift_fails: float = 0.10
    p_value: float = 0.05
    reliability_ok: float = 0.70
    reliability_fails: float = 0.50
    convergent_ok: float = 0.50
    convergent_fails: float = 0.30
    norm_d_caution: float = 0.5
    norm_d_fails: float = 1.2
    behaviour_r2_ok: float = 0.13
    invariance_delta_cfi: float = 0.010
    invariance_delta_rmsea: float = 0.015

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(float(v)) or v < 0:
                raise ReportError(f"verdict threshold {f.name} must be a number >= 0, got {v!r}")


#: Where each default threshold comes from.
THRESHOLD_SOURCES: dict[str, str] = {
    "nonanswer_caution": "share of prompts refused or unparsed; 5% is this package's convention",
    "nonanswer_fails": "half the prompts without a usable answer: this package's convention",
    "label_mass_caution": "probability mass on the option labels (logprob mode); below .50 most of the next-token "
    "probability is elsewhere (convention; cf. Dominguez-Olmedo et al. 2024, NeurIPS, on "
    "answers read from label probabilities)",
    "label_mass_fails": "below .10 the labels are not what the model would say (convention)",
    "position_caution": "share of answers at the same shown position under every option order (selection bias: "
    "Zheng et al. 2024, ICLR; Pezeshkpour & Hruschka 2024, NAACL Findings); .50 is our "
    "convention (2.5 times chance with 5 options)",
    "position_fails": ".80 at one position in every order: the answers do not follow content (convention)",
    "order_dz_caution": "Cohen's d_z of the paired original-vs-reversed scale scores; .5 = medium (Cohen 1988)",
    "order_dz_fails": ".8 = large (Cohen 1988)",
    "template_w_caution": "Kendall's W of the Friedman test across templates; .3 = moderate (Cohen 1988 conventions "
    "as applied to W by Tomczak & Tomczak 2014)",
    "template_w_fails": ".5 = large (Tomczak & Tomczak 2014)",
    "shift_negligible": "a shift below 5% of the scale range (0.2 points on 1-5) is negligible whatever its test "
    "(this package's convention)",
    "shift_fails": "a shift of 10% of the scale range (0.4 points on 1-5) or more can fail (convention)",
    "p_value": "significance level of the paired tests (Fisher's .05)",
    "reliability_ok": "alpha / omega .70 for research use (Nunnally 1978, Psychometric Theory, 2nd ed.)",
    "reliability_fails": "below .50 unacceptable (George & Mallery 2003)",
    "convergent_ok": "mean convergent r .50, and each convergent r larger than its heterotrait correlations "
    "(Campbell & Fiske 1959); Carlson & Herdman (2012) ask for .70 before measures are "
    "interchangeable",
    "convergent_fails": "mean convergent r below .30 (Campbell & Fiske 1959: convergent correlations must be "
    "'sufficiently large'; .30 is our convention)",
    "norm_d_caution": "Cohen's d of model vs human norm; .5 = medium (Cohen 1988)",
    "norm_d_fails": "1.2 = very large (Sawilowsky 2009)",
    "behaviour_r2_ok": "R-squared .13 = medium (Cohen 1988, f2 = .15)",
    "invariance_delta_cfi": "measurement invariance holds at a level (metric, scalar) when CFI drops by at most .010 "
    "from the previous level (Chen 2007, Structural Equation Modeling 14, 464-504)",
    "invariance_delta_rmsea": "measurement invariance at a level also needs RMSEA to rise by at most .015 from the "
    "previous level (Chen 2007); Chen's SRMR criterion is not used",
}


def load_thresholds(path: str | Path | None) -> VerdictThresholds:
    """Thresholds from a YAML mapping ``{name: value}`` (unnamed ones keep their defaults)."""
    if path is None:
        return VerdictThresholds()
    import yaml

    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"--thresholds: cannot read {p}: {exc.strerror or exc}") from None
    except ValueError as exc:  # not UTF-8, a NUL byte in the name
        raise ReportError(
            f"--thresholds: cannot read {str(p)!r}: {' '.join(str(exc).split())[:120]}"
        ) from None
    except yaml.YAMLError as exc:
        raise ReportError(
            f"--thresholds: {p} is not valid YAML: {' '.join(str(exc).split())[:200]}"
        ) from None
    if data is None:
        raise ReportError(
            f"--thresholds: {p} is empty; give threshold names and values, e.g. reliability_ok: 0.8"
        )
    if not isinstance(data, Mapping):
        raise ReportError(f"--thresholds: {p} must hold a mapping of threshold names to numbers")
    names = [f.name for f in fields(VerdictThresholds)]
    unknown = [str(k) for k in data if k not in names]
    if unknown:
        raise ReportError(
            f"--thresholds: unknown threshold(s) {', '.join(unknown)} in {p} (known: {', '.join(names)})"
        )
    return replace(VerdictThresholds(), **{str(k): v for k, v in data.items()})


@dataclass(frozen=True)
class Verdict:
    """One finding: ``level`` (ok / caution / fails / n/a), the ``figure`` it rests on, one ``sentence``.

    ``check`` is the question (answers, positions, orders, templates, reliability, invariance, mtmm,
    norms, behaviour), ``instrument`` the instrument it is about (None for the whole model), ``details`` one
    line per scale, ``data`` the numbers behind it (a DataFrame for the plots and tables)."""

    check: str
    title: str
    level: str
    figure: str
    sentence: str
    instrument: str | None = None
    details: tuple[str, ...] = ()
    data: Any = field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str:
        return self.title + (f" ({self.instrument})" if self.instrument else "")


@dataclass
class ModelVerdicts:
    """The verdicts of one model, with the ``headline`` (first lines of the report)."""

    model: str
    verdicts: list[Verdict]
    headline: list[str]
    n_responses: int = 0
    n_respondents: int = 0
    respondent: str = "condition"

    @property
    def interpretable(self) -> bool:
        """False when the model does not answer or its answers are a position habit."""
        return not any(v.check in ("answers", "positions") and v.level == "fails" for v in self.verdicts)

    @property
    def level(self) -> str:
        """The worst level of the verdicts."""
        levels = [v.level for v in self.verdicts if v.level != "n/a"]
        return max(levels, key=_RANK.__getitem__) if levels else "n/a"

    def get(self, check: str, instrument: str | None = None) -> Verdict | None:
        for v in self.verdicts:
            if v.check == check and (instrument is None or v.instrument == instrument):
                return v
        return None

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "model": self.model,
                    "check": v.check,
                    "instrument": v.instrument,
                    "level": v.level,
                    "figure": v.figure,
                    "sentence": v.sentence,
                }
                for v in self.verdicts
            ]
        )

    def text(self, *, details: bool = True) -> str:
        """Headline, then one block per verdict: ``[LEVEL]  title: figure`` and its sentence."""
        who = self.model or "(no model column)"
        lines = [
            f"Model {who}: {self.n_responses} responses, {self.n_respondents} "
            f"respondent{'' if self.n_respondents == 1 else 's'} "
            f"(respondent = {'persona, conditions averaged' if self.respondent == 'persona' else 'prompt condition'})"
        ]
        lines += self.headline
        lines.append("")
        for v in self.verdicts:
            tag = f"[{v.level.upper()}]"
            lines.append(f"{tag:<10}{v.label}: {v.figure}")
            lines.append(" " * 10 + v.sentence)
            if details:
                lines += [" " * 12 + d for d in v.details]
        return "\n".join(lines).rstrip() + "\n"

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        """The findings as the HTML report shows them (Jupyter); classes styled by the report's CSS."""
        from .sections import findings_section

        return findings_section([self], VerdictThresholds()).html or ""


# ==================================================================================================
# helpers


def _quiet(fn, *args, **kwargs):
    """Call a statistic; a user-input or numerical failure gives (None, reason)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(*args, **kwargs), None
        except PsychometryError as exc:
            return None, " ".join(str(exc).split())
        except (np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError, ValueError) as exc:
            return None, f"numerical failure: {exc}"


def _pct(x: float) -> str:
    return "NA" if x is None or not math.isfinite(x) else f"{100 * x:.0f}%"


def _p(p: float) -> str:
    if p is None or not math.isfinite(p):
        return "p = NA"
    if p < float(np.finfo(float).eps):
        return "p < 2.2e-16"  # R's summary.lm spelling of format.pval's eps
    return f"p = {format_pval([p], 2)[0]}"


def _f(x: float, digits: int = 2) -> str:
    return fmt_number(x, digits)


def _worst(levels: Sequence[str]) -> str:
    levels = [lv for lv in levels if lv != "n/a"]
    return max(levels, key=_RANK.__getitem__) if levels else "n/a"


def _scale_range(rows: pd.DataFrame) -> float:
    if "shown_values" not in rows.columns or rows.empty:
        return math.nan
    vals: list[float] = []
    for s in pd.unique(rows["shown_values"].dropna().astype(str)):
        try:
            vals += [float(v) for v in s.split(",") if v.strip()]
        except ValueError:
            continue
    return (max(vals) - min(vals)) if vals else math.nan


def instrument_scores(rows: pd.DataFrame, inst: Instrument | None) -> tuple[pd.DataFrame | None, str | None]:
    """Scale scores (respondents x scales) of one instrument's rows: the instrument's scoring when its
    definition is known, else item means after reverse keying (stats.scale_scores)."""
    if inst is not None:
        res, why = _quiet(score_long, rows, inst)
        if res is None:
            return None, why
        return res, None
    res, why = _quiet(st.scale_scores, rows)
    if res is None:
        return None, why
    return res.pivot_table(index="respondent", columns="scale", values="score", aggfunc="first"), None


def _numeric_scores(scores: pd.DataFrame) -> pd.DataFrame:
    cols = [
        c
        for c in scores.columns
        if c != "type" and not str(c).startswith("z_") and pd.api.types.is_numeric_dtype(scores[c])
    ]
    return scores[cols].astype(float)


# ==================================================================================================
# the checks


def _check_answers(rows: pd.DataFrame, th: VerdictThresholds) -> Verdict:
    title = "Does the model answer?"
    n = len(rows)
    status = rows["status"].astype(str) if "status" in rows.columns else pd.Series("ok", index=rows.index)
    n_ok = int((status == "ok").sum())
    refused = int((status == "refused").sum())
    unparsed = int((status == "unparsed").sum())
    non = 1 - n_ok / n if n else 1.0
    mass = math.nan
    if "label_mass" in rows.columns:
        lm = pd.to_numeric(rows["label_mass"], errors="coerce").dropna()
        if len(lm):
            mass = float(lm.mean())
    fig = f"{n_ok} of {n} prompts answered ({_pct(n_ok / n if n else math.nan)}); {refused} refused, {unparsed} unparsed"
    if math.isfinite(mass):
        fig += f"; mean label mass {mass:.2f}"
    if non >= th.nonanswer_fails or (math.isfinite(mass) and mass < th.label_mass_fails):
        level = "fails"
        sentence = "The model mostly does not answer the questions: " + (
            f"{_pct(non)} of the prompts got no usable answer."
            if non >= th.nonanswer_fails
            else f"only {_pct(mass)} of its next-token probability falls on the option labels, so the "
            "'answers' are read from tokens it would hardly say."
        )
    elif non >= th.nonanswer_caution or (math.isfinite(mass) and mass < th.label_mass_caution):
        level = "caution"
        sentence = "The model answers, but " + (
            f"{_pct(non)} of the prompts got no usable answer (missing items lower the scores' precision)."
            if non >= th.nonanswer_caution
            else f"only {_pct(mass)} of its next-token probability falls on the "
            "option labels: the answer format is not what it would say."
        )
    else:
        level = "ok"
        sentence = (
            f"The model answers: {_pct(n_ok / n if n else math.nan)} of the prompts got a usable answer"
            + (
                f", and the option labels carry {_pct(mass)} of its next-token probability."
                if math.isfinite(mass)
                else "."
            )
        )
    return Verdict("answers", title, level, fig, sentence)


def _check_positions(rows: pd.DataFrame, th: VerdictThresholds) -> Verdict:
    title = "Position habit"
    by = "order" if "order" in rows.columns else None
    res, why = _quiet(st.position_bias, rows, by=by)
    if res is None:
        return Verdict("positions", title, "n/a", "not computed", f"Position bias not computed: {why}")
    counts = res.counts
    best: tuple[float, int, int, list[str], float] | None = None  # share, position, k, orders, n
    details = []
    for k, g in counts.groupby("n_options", sort=True):
        prop = (
            g.pivot_table(index=by, columns="position", values="proportion", aggfunc="first")
            if by
            else g.set_index("position")["proportion"].to_frame().T
        )
        habit = prop.min(axis=0)  # share at this position in the order where it is lowest
        p = int(habit.idxmax())
        share = float(habit.max())
        n = float(g["n"].sum())
        orders = [str(o) for o in prop.index] if by else []
        if best is None or share > best[0] or (share == best[0] and n > best[4]):
            best = (share, p, int(k), orders, n)
        tests = res.tests[res.tests["n_options"] == k]
        for _, t in tests.iterrows():
            who = f"order {t[by]}" if by else "all"
            details.append(
                f"{int(k)} options, {who}: "
                + ", ".join(
                    f"p{int(pp)} {_f(v, 2)}"
                    for pp, v in zip(
                        g[g[by] == t[by]]["position"] if by else g["position"],
                        g[g[by] == t[by]]["proportion"] if by else g["proportion"],
                    )
                )
                + f"; chi2({int(t['df'])}) = {_f(t['chi2'], 1)}, {_p(t['p'])}"
            )
    assert best is not None
    share, p, k, orders, _ = best
    ordinal = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}.get(p, f"{p}th")
    many = len(orders) >= 2
    where = (
        f"under every option order ({', '.join(orders)})"
        if many
        else (f"under the one option order ({orders[0]})" if orders else "")
    )
    fig = f"{_pct(share)} of the answers are the option shown {ordinal} ({k} options) {where}".rstrip()
    mp = counts[(counts["n_options"] == k) & (counts["position"] == p)]["mean_prob"].dropna()
    if len(mp):  # logprob mode: how much probability the habit takes
        fig += f"; mean probability of that option {mp.mean():.2f}"
    data = res.counts
    if share >= th.position_fails and many:
        return Verdict(
            "positions",
            title,
            "fails",
            fig,
            f"The answers are a position habit: the model picks the option shown {ordinal}, whatever it "
            "says, so its answers do not follow the item content.",
            details=tuple(details),
            data=data,
        )
    if share >= th.position_caution:
        if many:
            sentence = (
                f"The model prefers the option shown {ordinal} in every order: part of each answer is "
                "position, not content."
            )
        else:
            sentence = (
                f"{_pct(share)} of the answers are at shown position {p}; with one option order, position "
                "and content cannot be told apart (administer with --orders original,reversed)."
            )
        return Verdict("positions", title, "caution", fig, sentence, details=tuple(details), data=data)
    sentence = (
        "No shown position is chosen across option orders: the answers move with the options."
        if many
        else "No position dominates (one option order: position and content are confounded)."
    )
    return Verdict("positions", title, "ok", fig, sentence, details=tuple(details), data=data)


def _check_orders(iid: str, rows: pd.DataFrame, th: VerdictThresholds) -> Verdict:
    title = "Option-order sensitivity"
    if "order" not in rows.columns or rows["order"].nunique() < 2:
        return Verdict(
            "orders",
            title,
            "n/a",
            "one option order",
            "Not checked: administer with --orders original,reversed to test it.",
            instrument=iid,
        )
    orders = [str(o) for o in pd.unique(rows["order"])]
    a, b = ("original", "reversed") if {"original", "reversed"} <= set(orders) else (orders[0], orders[1])
    res, why = _quiet(st.order_sensitivity, rows, a=a, b=b)
    if res is None:
        return Verdict("orders", title, "n/a", "not computed", f"Not computed: {why}", instrument=iid)
    rng = _scale_range(rows)
    details, levels, worst = [], [], None
    for _, r in res.table.iterrows():
        n = int(r["n_pairs"])
        md, mad = float(r["mean_diff"]), float(r["mean_abs_diff"])
        if math.isfinite(float(r["t"])) and n >= 2:
            dz = float(r["t"]) / math.sqrt(n)
        elif n >= 1 and math.isfinite(md) and md != 0:
            dz = math.copysign(math.inf, md)  # every pair differs by the same amount: sd(d) = 0
        else:
            dz = 0.0
        share = mad / rng if rng and math.isfinite(rng) and rng > 0 else math.nan
        p = float(r["wilcoxon_p"])
        if not math.isfinite(share) or share < th.shift_negligible:
            lv = "ok"
        elif abs(dz) >= th.order_dz_fails and share >= th.shift_fails:
            lv = "fails"
        elif abs(dz) >= th.order_dz_caution or (math.isfinite(p) and p < th.p_value):
            lv = "caution"
        else:
            lv = "ok"
        levels.append(lv)
        scale = str(r.get("scale", ""))
        details.append(
            f"{scale}: {a} {_f(r['mean_a'])} vs {b} {_f(r['mean_b'])}, mean |diff| {_f(mad)} "
            f"({_pct(share)} of the range), d_z = {_f(dz)}, Wilcoxon {_p(p)}, n = {n} pairs"
        )
        key = (_RANK[lv], share if math.isfinite(share) else -1)
        if worst is None or key > worst[0]:
            worst = (key, scale, mad, share, dz, p)
    level = _worst(levels)
    assert worst is not None  # levels is not empty
    _, scale, mad, share, dz, p = worst
    n_bad = sum(lv != "ok" for lv in levels)
    fig = (
        f"{n_bad} of {len(levels)} scales move; largest {scale}: mean |diff| {_f(mad)} ({_pct(share)} of the "
        f"range), d_z = {_f(dz)}, Wilcoxon {_p(p)}"
    )
    sentence = {
        "fails": f"Reversing the options changes the scale scores by a large amount: the scores depend on the "
        f"order of the options ({a} vs {b}).",
        "caution": f"Reversing the options shifts some scale scores ({a} vs {b}); report both orders or "
        "average them.",
        "ok": f"The scale scores do not depend on the order of the options ({a} vs {b}).",
    }[level]
    return Verdict(
        "orders", title, level, fig, sentence, instrument=iid, details=tuple(details), data=res.table
    )


def _check_templates(iid: str, rows: pd.DataFrame, th: VerdictThresholds) -> Verdict:
    title = "Prompt-template sensitivity"
    if "template" not in rows.columns or rows["template"].nunique() < 2:
        return Verdict(
            "templates",
            title,
            "n/a",
            "one prompt template",
            "Not checked: administer with several --templates to test it.",
            instrument=iid,
        )
    res, why = _quiet(st.template_sensitivity, rows)
    if res is None:
        return Verdict("templates", title, "n/a", "not computed", f"Not computed: {why}", instrument=iid)
    rng = _scale_range(rows)
    means = res.means
    details, levels, worst = [], [], None
    for _, r in res.table.iterrows():
        scale = str(r.get("scale", ""))
        m = means[means["scale"].astype(str) == scale]["mean"] if "scale" in means.columns else means["mean"]
        spread = float(m.max() - m.min()) if len(m) else math.nan
        share = spread / rng if rng and math.isfinite(rng) and rng > 0 else math.nan
        w, p = float(r["kendall_W"]), float(r["friedman_p"])
        if not math.isfinite(share) or share < th.shift_negligible:
            lv = "ok"
        elif math.isfinite(w) and w >= th.template_w_fails and share >= th.shift_fails:
            lv = "fails"
        elif (math.isfinite(w) and w >= th.template_w_caution) or (math.isfinite(p) and p < th.p_value):
            lv = "caution"
        else:
            lv = "ok"
        levels.append(lv)
        details.append(
            f"{scale}: template means {_f(m.min())} to {_f(m.max())} ({_pct(share)} of the range), "
            f"Kendall's W = {_f(w)}, Friedman {_p(p)}, n = {int(r['n_targets'])}"
        )
        key = (_RANK[lv], share if math.isfinite(share) else -1)
        if worst is None or key > worst[0]:
            worst = (key, scale, spread, share, w, p)
    level = _worst(levels)
    assert worst is not None  # levels is not empty
    _, scale, spread, share, w, p = worst
    n_bad = sum(lv != "ok" for lv in levels)
    fig = (
        f"{n_bad} of {len(levels)} scales move; largest {scale}: template means differ by {_f(spread)} "
        f"({_pct(share)} of the range), W = {_f(w)}, Friedman {_p(p)}"
    )
    sentence = {
        "fails": "The wording of the prompt changes the scale scores a lot: a score is a property of the "
        "prompt as much as of the model.",
        "caution": "The prompt template shifts some scale scores; average over templates.",
        "ok": "The scale scores do not depend on the prompt template.",
    }[level]
    return Verdict(
        "templates", title, level, fig, sentence, instrument=iid, details=tuple(details), data=res.table
    )


def _reliability_table(
    iid: str, rows: pd.DataFrame, inst: Instrument | None, scale_ids: Sequence[str], omega_min_items: int = 6
) -> pd.DataFrame:
    recs = []
    keyed = rows.drop_duplicates("item").set_index("item")["keyed"] if "keyed" in rows.columns else None
    for sid in scale_ids:
        sub = rows[rows["scale"] == sid]
        items = [str(i) for i in pd.unique(sub["item"])]
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
        wide, why = _quiet(st.item_matrix, sub)
        if wide is None:
            rec["why"] = why
            recs.append(rec)
            continue
        n = int(wide.notna().any(axis=1).sum())
        rec["n"] = n
        keys = [i for i in items if keyed is not None and i in keyed.index and keyed[i] < 0] or None
        if len(items) >= 2 and n >= 2:
            a, why = _quiet(st.alpha, wide, keys=keys)
            if a is not None:
                rec.update(alpha=a.raw_alpha, alpha_low=a.feldt[0], alpha_high=a.feldt[1])
            else:
                rec["why"] = why
        else:
            rec["why"] = f"{len(items)} items, {n} respondents"
        nf = min(3, len(items) // 3)
        if len(items) >= omega_min_items and nf >= 2 and n > len(items):
            o, _ = _quiet(st.omega, wide, nfactors=nf)
            if o is not None:
                # no interval: psych::omega gives none, and we print only what R verifies
                rec.update(omega_t=o.omega_total, omega_h=o.omega_h)
        recs.append(rec)
    return pd.DataFrame(recs)


def _check_reliability(
    iid: str,
    rows: pd.DataFrame,
    inst: Instrument | None,
    th: VerdictThresholds,
    habit: bool,
    scale_ids: Sequence[str],
) -> Verdict:
    title = "Reliability"
    table = _reliability_table(iid, rows, inst, scale_ids)
    details, levels = [], []
    for _, r in table.iterrows():
        a = float(r["alpha"])
        if not math.isfinite(a):
            lv = "fails"
        elif a >= th.reliability_ok:
            lv = "ok"
        elif a >= th.reliability_fails:
            lv = "caution"
        else:
            lv = "fails"
        levels.append(lv)
        om = ""
        if math.isfinite(float(r["omega_t"])):
            om = f", omega_t {_f(r['omega_t'])}"
        ci = f" [{_f(r['alpha_low'])}, {_f(r['alpha_high'])}]" if math.isfinite(float(r["alpha_low"])) else ""
        why = f" ({r['why']})" if r["why"] and not math.isfinite(a) else ""
        details.append(f"{r['scale']}: alpha {_f(a)}{ci}{om}{why}, k = {int(r['k'])}, n = {int(r['n'])}")
    n_ok = sum(lv == "ok" for lv in levels)
    n_fail = sum(lv == "fails" for lv in levels)
    total = len(levels)
    alphas = table["alpha"].astype(float)
    rng = f"alpha {_f(alphas.min())} to {_f(alphas.max())}" if alphas.notna().any() else "alpha not computed"
    fig = f"{n_ok} of {total} scales reach alpha {th.reliability_ok:.2f}; {rng}"
    if habit:
        return Verdict(
            "reliability",
            title,
            "fails",
            fig,
            "Not interpretable: on position-habit answers alpha reflects how the items are keyed, "
            "not a trait.",
            instrument=iid,
            details=tuple(details),
            data=table,
        )
    if total == 0:
        return Verdict("reliability", title, "n/a", "no scale", "No scale to check.", instrument=iid)
    if n_fail * 2 >= total:
        level = "fails"
    elif n_ok == total:
        level = "ok"
    else:
        level = "caution"
    sentence = {
        "fails": f"Most scales are unreliable (alpha below {th.reliability_fails:.2f} or not computable): "
        "their scores are mostly noise.",
        "caution": f"Some scales fall short of alpha {th.reliability_ok:.2f} (Nunnally 1978): interpret "
        "them with care.",
        "ok": f"Every scale reaches alpha {th.reliability_ok:.2f} (Nunnally 1978).",
    }[level]
    return Verdict(
        "reliability", title, level, fig, sentence, instrument=iid, details=tuple(details), data=table
    )


def _check_mtmm(
    scores: Mapping[str, pd.DataFrame | None], th: VerdictThresholds, habit: bool
) -> Verdict | None:
    a_id, b_id = MTMM_INSTRUMENTS
    if a_id not in scores or b_id not in scores:
        return None
    title = "Convergent and discriminant validity (MTMM)"
    a, b = scores[a_id], scores[b_id]
    inst = f"{a_id} vs {b_id}"
    if a is None or b is None:
        return Verdict("mtmm", title, "n/a", "scale scores missing", "Not computed.", instrument=inst)
    a, b = _numeric_scores(a), _numeric_scores(b)
    common = [s for s in a.columns if s in b.columns]
    res, why = _quiet(st.mtmm, a[common], other=b[common], pairs={s: s for s in common}, methods=(a_id, b_id))
    if res is None:
        return Verdict(
            "mtmm",
            title,
            "fails" if habit else "n/a",
            "not computed",
            f"Not computed: {why}",
            instrument=inst,
        )
    conv = res.convergent
    disc = res.discriminant
    n_hthm = int(disc["exceeds_hthm"].sum())
    n_htmm = int(disc["exceeds_htmm"].sum())
    k = len(conv)
    fig = (
        f"mean convergent r = {_f(res.mean_convergent)}; {n_hthm} of {k} exceed their heterotrait-heteromethod "
        f"and {n_htmm} of {k} their heterotrait-monomethod correlations; n = {res.n}"
    )
    details = tuple(
        f"{t}: r = {_f(r['r'])} [{_f(r['ci_low'])}, {_f(r['ci_high'])}], max |r| hthm "
        f"{_f(disc.loc[t, 'max_hthm'])}, htmm {_f(disc.loc[t, 'max_htmm'])}"
        for t, r in conv.iterrows()
    )
    if habit:
        return Verdict(
            "mtmm",
            title,
            "fails",
            fig,
            "Not interpretable: correlations of position-habit answers "
            "follow the keying of the scales, not the traits.",
            instrument=inst,
            details=details,
            data=res,
        )
    mc = float(res.mean_convergent)
    if not math.isfinite(mc) or mc < th.convergent_fails or n_hthm * 2 < k:
        level = "fails"
    elif mc >= th.convergent_ok and n_hthm == k and n_htmm == k:
        level = "ok"
    else:
        level = "caution"
    sentence = {
        "fails": "The two instruments do not agree on the same traits (Campbell & Fiske 1959): no evidence "
        "that they measure the traits they name.",
        "caution": "The instruments agree in part: some traits fail Campbell & Fiske's (1959) criteria.",
        "ok": "The two instruments agree on each trait more than on different traits (Campbell & Fiske "
        "1959).",
    }[level]
    return Verdict("mtmm", title, level, fig, sentence, instrument=inst, details=details, data=res)


def _check_norms(
    iid: str, scores: pd.DataFrame | None, inst: Instrument | None, th: VerdictThresholds, habit: bool
) -> Verdict | None:
    if inst is None or not inst.norms or scores is None:
        return None
    title = "Distance from human norms"
    norms = {
        n.scale: (n.mean, n.sd, n.n) for n in inst.norms if n.n is not None and n.scale in scores.columns
    }
    if not norms:
        return None
    res, why = _quiet(st.compare_norms, scores[list(norms)].astype(float), norms=norms)
    if res is None:
        return Verdict("norms", title, "n/a", "not computed", f"Not computed: {why}", instrument=iid)
    t = res.table
    d = t["d"].astype(float)
    far = d.abs().idxmax() if d.notna().any() else None
    details = tuple(
        f"{s}: model {_f(r['mean'])} vs human {_f(r['norm_mean'])} (sd {_f(r['norm_sd'])}), "
        f"d = {_f(r['d'])}"
        + (f" [{_f(r['d_low'])}, {_f(r['d_high'])}]" if math.isfinite(r['d_low']) else "")
        + f", z = {_f(r['z'])}"
        for s, r in t.iterrows()
    )
    if far is None:
        return Verdict(
            "norms", title, "n/a", "no d", "Not computed.", instrument=iid, details=details, data=t
        )
    n_med = int((d.abs() >= th.norm_d_caution).sum())
    fig = f"largest |d| = {_f(abs(d[far]))} on {far}; {n_med} of {len(d)} scales at |d| >= {th.norm_d_caution:.2f}"
    if habit:
        return Verdict(
            "norms",
            title,
            "fails",
            fig,
            "Not interpretable: the scores come from a position habit, so "
            "their distance from people's scores means nothing.",
            instrument=iid,
            details=details,
            data=t,
        )
    if abs(d[far]) >= th.norm_d_fails:
        level, sentence = (
            "fails",
            (
                f"The profile is far from people's: {far} lies {_f(abs(d[far]))} pooled SDs from "
                "the human mean, outside what the norm sample shows."
            ),
        )
    elif n_med:
        level, sentence = (
            "caution",
            "Some traits differ from the human norms by a medium or large effect (Cohen 1988).",
        )
    else:
        level, sentence = "ok", "Every trait lies within half a standard deviation of the human norms."
    return Verdict("norms", title, level, fig, sentence, instrument=iid, details=details, data=t)


def behaviour_analysis(
    long: pd.DataFrame, instruments: Mapping[str, Instrument | None], *, value: str = "value"
):
    """Behaviour prediction when tasks (``kind: task``) and inventories were given to the same persons:
    ``(traits, behaviour, BehaviourRegressionResult or None, reason or None)``, or None without tasks.

    Scores per person (model, persona, repeat) averaged over conditions (stats.trait_behaviour_scores);
    the predictors are the scales of the first inventory (more would overfit a few dozen persons);
    behaviours without variance across persons are left out."""
    tasks = [i for i, inst in instruments.items() if inst is not None and inst.kind == "task"]
    traits = [i for i, inst in instruments.items() if i not in tasks]
    if not tasks or not traits:
        return None
    tb, why = _quiet(
        st.trait_behaviour_scores, long, trait_instruments=traits, behaviour_instruments=tasks, value=value
    )
    if tb is None:
        return None, None, None, why
    t, b = tb.traits, tb.behaviour
    first = traits[0]
    preds = [c for c in t.columns if t.attrs["instruments"].get(c) == first and t[c].nunique() > 1]
    usable = [c for c in b.columns if b[c].nunique() > 1]
    if not preds:
        return t, b, None, f"no {first} scale varies across persons"
    if not usable:
        return t, b, None, "no behaviour varies across persons"
    res, why = _quiet(st.behaviour_regression, t, behaviour=b[usable], predictors=preds)
    return t, b, res, why


def _check_behaviour(analysis, th: VerdictThresholds, habit: bool) -> Verdict | None:
    if analysis is None:
        return None
    title = "Behaviour prediction"
    _t, _b, res, why = analysis
    if res is None:
        return Verdict(
            "behaviour", title, "fails" if habit else "n/a", "not computed", f"Not computed: {why}."
        )
    stats_ = res.fit_statistics
    details = tuple(
        f"{beh}: R2 = {_f(r['r_squared'], 3)}, F({int(r['df1'])}, {int(r['df2'])}) = {_f(r['F'])}, "
        f"{_p(r['p'])}, n = {int(r['n'])}"
        for beh, r in stats_.iterrows()
    )
    sig = stats_[stats_["p"] < th.p_value]
    fig = (
        f"{len(sig)} of {len(stats_)} behaviours predicted by the traits (F test {_p(th.p_value).replace('p = ', 'p < ')}); "
        f"R2 {_f(stats_['r_squared'].min(), 2)} to {_f(stats_['r_squared'].max(), 2)}"
    )
    if habit:
        return Verdict(
            "behaviour",
            title,
            "fails",
            fig,
            "Not interpretable: traits measured as a position habit cannot predict anything.",
            details=details,
            data=res,
        )
    if sig.empty:
        level, sentence = (
            "fails",
            "The trait scores predict none of the behaviours: no evidence of predictive validity.",
        )
    elif (sig["r_squared"] >= th.behaviour_r2_ok).any():
        level, sentence = "ok", "The traits predict behaviour with at least a medium effect (Cohen 1988)."
    else:
        level, sentence = "caution", "The traits predict some behaviour, with small effects only."
    return Verdict("behaviour", title, level, fig, sentence, details=details, data=res)


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


def _fit_invariance(data: pd.DataFrame, model: dict[str, list[str]], group: str):
    """stats.invariance (ML; configural, metric, scalar) with its warnings recorded: (result, reason, warnings).
    A user-input error of the statistics or a numerical failure gives (None, reason, warnings)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res, why = st.invariance(data, model=model, group=group, levels=list(INVARIANCE_LEVELS)), None
        except PsychometryError as exc:
            res, why = None, " ".join(str(exc).split())
        except (np.linalg.LinAlgError, ArithmeticError, ValueError) as exc:
            res, why = None, f"numerical failure: {type(exc).__name__}: {' '.join(str(exc).split())}"
    seen: list[str] = []
    for w in caught:
        msg = " ".join(str(w.message).split())
        if msg not in seen:
            seen.append(msg)
    return res, why, tuple(seen)


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
    from psychometry.stats.reliability import reverse_items

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
        wide, why = _quiet(st.item_matrix, sub, respondent="_case", status=status)
        if wide is None:
            out.append(ScaleInvariance(sid, tuple(items), reason=why))
            continue
        wide = wide.rename(columns=str)[items]
        keys = [i for i in items if keyed is not None and i in keyed.index and keyed[i] < 0]
        if keys:
            wide, why = _quiet(reverse_items, wide, keys)
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


def _check_invariance(iid: str, analysis: InvarianceAnalysis, th: VerdictThresholds, habit: bool) -> Verdict:
    plural, singular = INVARIANCE_FACTORS.get(analysis.factor, (analysis.factor, analysis.factor))
    title = f"Measurement invariance across {plural}"
    done = [s for s in analysis.scales if s.result is not None]
    skipped = [s for s in analysis.scales if s.result is None]
    details: list[str] = []
    levels: dict[str, str] = {}
    for s in analysis.scales:
        if s.result is None:
            details.append(f"{s.scale}: not computed: {s.reason}")
            continue
        t = s.result.table
        metric, scalar = invariance_holds(t.loc["metric"], th), invariance_holds(t.loc["scalar"], th)
        levels[s.scale] = "ok" if metric and scalar else ("caution" if metric else "fails")
        held = "scalar" if metric and scalar else ("metric only" if metric else "none")
        steps = "; ".join(
            f"{lv}: CFI change {_f(t.loc[lv, 'delta_cfi'], 3)}, RMSEA change {_f(t.loc[lv, 'delta_rmsea'], 3)}, "
            f"chi2 diff({int(t.loc[lv, 'df_diff'])}) = {_f(t.loc[lv, 'chisq_diff'], 2)}, {_p(t.loc[lv, 'p_diff'])}"
            for lv in ("metric", "scalar")
        )
        details.append(
            f"{s.scale}: invariance holds: {held}; {steps}; n = "
            + ", ".join(f"{k} {lv}" for lv, k in s.n)
            + (f" (warning: {s.warnings[0]})" if s.warnings else "")
        )
    k = len(done)
    n_metric = sum(lv != "fails" for lv in levels.values())
    n_scalar = sum(lv == "ok" for lv in levels.values())
    cut = f"CFI drop <= {th.invariance_delta_cfi:.3f}, RMSEA rise <= {th.invariance_delta_rmsea:.3f}"
    if not done:
        reasons = list(dict.fromkeys(s.reason for s in skipped if s.reason))
        fig = f"not computed on {len(skipped)} of {len(analysis.scales)} scales" + (
            f": {reasons[0]}" if reasons else ""
        )
        if habit:
            return Verdict(
                "invariance",
                title,
                "fails",
                fig,
                f"Not interpretable: position-habit answers follow the shown position, not a trait, so "
                f"nothing says whether scores may be compared across {plural}.",
                instrument=iid,
                details=tuple(details),
                data=analysis,
            )
        return Verdict(
            "invariance",
            title,
            "n/a",
            fig,
            f"Not computed: too few respondents per {singular} or answers without variance; no evidence "
            f"that scores may be compared across {plural}.",
            instrument=iid,
            details=tuple(details),
            data=analysis,
        )
    level = _worst(list(levels.values()))
    # the step that decides: the worst metric step when metric fails, else the worst scalar step
    step = "metric" if level == "fails" else "scalar"
    worst = min(
        (s for s in done if levels[s.scale] == level),
        key=lambda s: float(s.result.table.loc[step, "delta_cfi"]),
    )
    wt = worst.result.table.loc[step]
    fig = (
        f"scalar invariance holds on {n_scalar} of {k} scales, metric on {n_metric} of {k} ({cut}; Chen 2007); "
        f"largest {step} change {worst.scale}: CFI {_f(wt['delta_cfi'], 3)}, RMSEA {_f(wt['delta_rmsea'], 3)}"
    )
    if skipped:
        fig += f"; {len(skipped)} scale{'s' if len(skipped) > 1 else ''} not computed"
    if habit:
        return Verdict(
            "invariance",
            title,
            "fails",
            fig,
            f"Not interpretable: position-habit answers follow the shown position, not a trait, so their "
            f"factor structure says nothing about comparing scores across {plural}.",
            instrument=iid,
            details=tuple(details),
            data=analysis,
        )
    sentence = {
        "ok": f"Scores may be compared across {plural}: the scales measure alike under each {singular} "
        f"(scalar invariance holds on {'every scale' if not skipped else f'the {k} scales fitted'}).",
        "caution": f"Scale means may not be compared across {plural} (scalar invariance fails on {k - n_scalar} of "
        f"{k} scales); the loadings are equal (metric invariance), so correlations may.",
        "fails": f"Scores may not be compared across {plural}: the items load differently (metric invariance fails "
        f"on {k - n_metric} of {k} scales), so the scales do not measure the same thing under each "
        f"{singular}.",
    }[level]
    return Verdict(
        "invariance", title, level, fig, sentence, instrument=iid, details=tuple(details), data=analysis
    )


def _invariance_verdicts(
    iid: str, rows: pd.DataFrame, th: VerdictThresholds, habit: bool, scale_ids: Sequence[str]
) -> list[Verdict]:
    out = []
    for factor in INVARIANCE_FACTORS:
        if factor in rows.columns and rows[factor].nunique() >= 2:
            out.append(_check_invariance(iid, invariance_analysis(rows, factor, scale_ids), th, habit))
    return out


# ==================================================================================================
# per model


def _scale_ids(rows: pd.DataFrame, inst: Instrument | None) -> list[str]:
    present = [str(s) for s in pd.unique(rows["scale"])]
    if inst is None:
        return present
    ordered = [s.id for s in inst.scales if s.id in present]
    return ordered + [s for s in present if s not in ordered]


def _headline(vs: list[Verdict]) -> list[str]:
    ans = next((v for v in vs if v.check == "answers"), None)
    pos = next((v for v in vs if v.check == "positions"), None)
    if ans is not None and ans.level == "fails":
        return [f"The model does not answer: {ans.figure}.", "The scale scores are not interpretable."]
    if pos is not None and pos.level == "fails":
        return [f"The answers are a position habit: {pos.figure}.", "The scale scores are not interpretable."]
    fails = [v.label for v in vs if v.level == "fails"]
    cautions = [v.label for v in vs if v.level == "caution"]
    if fails:
        return [f"Fails: {'; '.join(fails)}.", "Read the scale scores with these failures in mind."]
    if cautions:
        return [
            f"Caution: {'; '.join(cautions)}.",
            "The scale scores are interpretable with the cautions below.",
        ]
    return ["Every check that the design allows passes.", "The scale scores are interpretable."]


def model_verdicts(
    rows: pd.DataFrame,
    instruments: Mapping[str, Instrument | None],
    *,
    thresholds: VerdictThresholds | None = None,
    answers: str = "chosen",
    respondent: str = "condition",
    model: str | None = None,
) -> ModelVerdicts:
    """The verdicts of ONE model's rows (the caller splits by model; see :func:`compute_verdicts`).

    ``rows`` is the condition-level long table (position, order and template checks need it); with
    ``respondent="persona"`` the reliability, MTMM, norm checks use person-level answers (conditions
    averaged). ``answers="expected"`` analyses logprob mode's probability-weighted values."""
    th = thresholds or VerdictThresholds()
    if "model" in rows.columns and rows["model"].nunique() > 1:
        raise ReportError(
            "model_verdicts: the rows hold several models; verdicts are per model (use compute_verdicts)"
        )
    name = (
        model
        if model is not None
        else (str(rows["model"].iloc[0]) if "model" in rows.columns and len(rows) else "")
    )
    raw = rows
    if answers == "expected" and "expected" in rows.columns:
        rows = rows.assign(value=rows["expected"])
    analysed = persona_level(rows) if respondent == "persona" else rows
    vs = [_check_answers(raw, th)]
    answered = raw[raw["status"] == "ok"] if "status" in raw.columns else raw
    if len(answered) and "position" in raw.columns and "shown_values" in raw.columns:
        vs.append(_check_positions(raw, th))
    habit = any(v.level == "fails" for v in vs)
    scores: dict[str, pd.DataFrame | None] = {}
    later: list[Verdict] = []
    for iid, inst in instruments.items():
        sub_raw = rows[rows["instrument"].astype(str) == iid].reset_index(drop=True)
        sub = analysed[analysed["instrument"].astype(str) == iid].reset_index(drop=True)
        if sub_raw.empty:
            continue
        is_task = inst is not None and inst.kind == "task"
        if not sub_raw[sub_raw["status"] == "ok"].empty if "status" in sub_raw.columns else True:
            vs.append(_check_orders(iid, sub_raw, th))
            vs.append(_check_templates(iid, sub_raw, th))
        if is_task or sub.empty:
            continue
        vs.append(_check_reliability(iid, sub, inst, th, habit, _scale_ids(sub, inst)))
        vs += _invariance_verdicts(iid, sub_raw, th, habit, _scale_ids(sub_raw, inst))
        sc, _ = instrument_scores(sub, inst)
        scores[iid] = sc
        nv = _check_norms(iid, sc, inst, th, habit)
        if nv is not None:
            later.append(nv)
    m = _check_mtmm(scores, th, habit)
    if m is not None:
        vs.append(m)
    vs += later
    beh = _check_behaviour(behaviour_analysis(rows, instruments), th, habit)
    if beh is not None:
        vs.append(beh)
    return ModelVerdicts(
        model=name,
        verdicts=vs,
        headline=_headline(vs),
        n_responses=len(raw),
        n_respondents=int(analysed["respondent"].nunique()) if "respondent" in analysed.columns else 0,
        respondent=respondent,
    )


def compute_verdicts(
    long: pd.DataFrame,
    instruments: Mapping[str, Instrument | None] | Sequence[str] | None = None,
    *,
    thresholds: VerdictThresholds | None = None,
    answers: str = "chosen",
    respondent: str = "condition",
) -> list[ModelVerdicts]:
    """One :class:`ModelVerdicts` per model of the long table (models are never pooled).

    ``instruments``: ``{id: Instrument or None}`` (default: every instrument of the table, loaded by
    id where shipped)."""
    if instruments is None or not isinstance(instruments, Mapping):
        from psychometry.instrument import load_instrument

        ids = (
            [str(i) for i in pd.unique(long["instrument"])]
            if instruments is None
            else [str(i) for i in instruments]
        )
        resolved: dict[str, Instrument | None] = {}
        for iid in ids:
            try:
                resolved[iid] = load_instrument(iid)
            except PsychometryError:
                resolved[iid] = None
        instruments = resolved
    return [
        model_verdicts(
            rows, instruments, thresholds=thresholds, answers=answers, respondent=respondent, model=name
        )
        for name, rows in split_models(long)
    ]


def verdicts_text(
    long: pd.DataFrame, *, thresholds: VerdictThresholds | None = None, details: bool = False
) -> str:
    """The findings of a long table as text (what ``psychometry administer`` prints after a run): the
    headline and one line pair per verdict, per model. Never raises for data the statistics cannot use."""
    try:
        out = compute_verdicts(long, thresholds=thresholds)
    except PsychometryError as exc:
        return f"Findings: not computed: {' '.join(str(exc).split())}\n"
    except Exception as exc:
        return (
            f"Findings: not computed (internal error: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}); "
            "psychometry report RUN.sqlite shows the statistics\n"
        )
    text = "\n".join(mv.text(details=details) for mv in out)
    return (
        "Findings (psychometry report RUN.sqlite prints them with the full report)\n"
        "========================================================================\n" + text
    )
