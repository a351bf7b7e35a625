"""The report's sections, each computed from the long results table with ``psychometry.stats`` and
``psychometry.scoring`` (nothing here re-implements a statistic: the text is the result objects'
``summary()``).

Every function returns one or more :class:`~psychometry.report.document.Section` and never raises
for data the statistics cannot use: too few respondents, a constant item, a single template... give
a section whose body is one ``not computed: <reason>`` line (see :func:`attempt`).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

import psychometry.stats as st
from psychometry.errors import PsychometryError
from psychometry.instrument.model import Instrument
from psychometry.scoring import score_long
from psychometry.stats.reliability import reverse_items

from . import plots
from .document import Section

__all__ = ["Outcome", "attempt", "overview", "refusals", "instrument_sections", "mtmm_section",
           "MTMM_INSTRUMENTS"]

#: The two instruments whose common scales (E A C N O) make the multitrait-multimethod matrix.
MTMM_INSTRUMENTS: tuple[str, str] = ("bfi44", "ipip_neo120")


# ==================================================================================================
# degrading gracefully


@dataclass
class Outcome:
    """What :func:`attempt` got: the ``value``, or ``reason`` why not; and the warnings raised."""

    value: Any = None
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.reason is None


def attempt(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Outcome:
    """Call ``fn``; a user-input error of the statistics (``StatsInputError`` and every other
    ``PsychometryError``) or a numerical failure becomes ``Outcome(reason=...)``. Warnings are
    recorded (in order, without repeats) instead of printed, so the report can show them as psych does.
    Programming errors (``TypeError``, ``KeyError``...) are not swallowed."""
    name = getattr(fn, "__name__", "the statistic")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = fn(*args, **kwargs)
            out = Outcome(value=value)
        except PsychometryError as exc:  # StatsInputError, LongTableError, ScoringError ...
            out = Outcome(reason=str(exc))
        except (np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError, ValueError) as exc:
            out = Outcome(reason=f"numerical failure in {name}: {type(exc).__name__}: {exc}")
    seen: list[str] = []
    for w in caught:
        msg = " ".join(str(w.message).split())
        if msg not in seen:
            seen.append(msg)
    out.warnings = seen
    return out


def _with_warnings(body: str, warns: Sequence[str]) -> str:
    if not warns:
        return body
    return body.rstrip("\n") + "\n\n" + "\n".join(f"Warning: {w}" for w in warns)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _frame_text(df: pd.DataFrame, digits: int = 2) -> str:
    shown = df.copy()
    num = shown.select_dtypes("float").columns
    shown[num] = shown[num].round(digits) + 0.0  # + 0.0: no "-0.00"
    return shown.to_string(na_rep="NA")


def _n_respondents(long: pd.DataFrame) -> int:
    return int(long["respondent"].nunique()) if "respondent" in long.columns else 0


# ==================================================================================================
# whole-table sections


def overview(long: pd.DataFrame, instruments: dict[str, Instrument | None], source: str | None,
             answers: str = "chosen") -> Section:
    """Section ``data``: what the table holds (responses, runs, models, the design, instruments)."""
    lines = []
    if source:
        lines.append(f"Results file: {source}")
    n_ok = int((long["status"] == "ok").sum()) if "status" in long.columns else len(long)
    lines.append(f"Responses: {len(long)} ({n_ok} answered) from {_n_respondents(long)} simulated respondents")
    for col, label in (("run_id", "Runs"), ("model", "Models"), ("mode", "Mode"), ("template", "Templates"),
                       ("order", "Option orders"), ("persona", "Personas")):
        if col in long.columns:
            levels = [str(v) for v in pd.unique(long[col])]
            shown = ", ".join(levels[:8]) + (f", ... ({len(levels)} in all)" if len(levels) > 8 else "")
            lines.append(f"{label + ':':<15}{shown}")
    if "repeat" in long.columns:
        lines.append(f"{'Repeats:':<15}{long['repeat'].nunique()}")
    lines.append(f"{'Answers:':<15}" + ("the probability-weighted value of the options (logprob mode's 'expected')"
                                         if answers == "expected" else "the chosen option's scale value"))
    lines.append("Instruments:")
    for iid, inst in instruments.items():
        sub = long[long["instrument"] == iid]
        name = inst.name if inst is not None else "(definition not found: instrument-specific sections limited)"
        lines.append(f"  {iid:<14}{name}; {sub['item'].nunique()} items, {_n_respondents(sub)} respondents")
    if "model" in long.columns and long["model"].nunique() > 1:
        lines.append("Note: respondents of all models are pooled in the reliability and validity sections.")
    conditions = [f"{long[c].nunique()} {label}" for c, label in (("template", "templates"), ("order", "option orders"))
                  if c in long.columns and long[c].nunique() > 1]
    if conditions:
        lines.append(f"Note: a respondent is one prompt condition of a persona ({' x '.join(conditions)}). The "
                     "reliability, norm and validity sections pool the conditions, so condition effects "
                     "(read the template, option-order and position sections first) enter them as if they "
                     "were differences between persons. Person-level scores: "
                     "psychometry.stats.respondent_scores.")
    lines.append("Statistics: psychometry.stats (checked against R's psych 2.2.9 and lavaan 0.6-14); "
                 "scale scores: psychometry.scoring.")
    return Section(key="data", title="Data", level=1, body="\n".join(lines))


def refusals(long: pd.DataFrame) -> Section:
    """Section ``refusals``: refusal and unparsed rates with Wilson CIs, overall and by design factor."""
    key, title = "refusals", "Refusal and unparsed rates"
    by = [c for c in ("model", "instrument", "template", "order") if c in long.columns and long[c].nunique() > 1]
    res = attempt(st.refusal_rates, long, by=by or ["instrument"])
    if not res.ok:
        return Section.skipped(key, title, res.reason, level=1)
    return Section(key=key, title=title, level=1, body=_with_warnings(res.value.summary(), res.warnings))


# ==================================================================================================
# per instrument


@dataclass
class _Ctx:
    """One instrument's rows and definition, shared by its sections."""

    iid: str
    long: pd.DataFrame
    inst: Instrument | None
    plots: bool
    omega_min_items: int
    cfa_min_per_item: float
    cfa_max_items: int | None
    scale_ids: list[str] = field(default_factory=list)

    def scale_name(self, sid: str) -> str:
        if self.inst is not None:
            for s in self.inst.scales:
                if s.id == sid:
                    return s.name
        return sid

    def scale_items(self, sid: str) -> list[str]:
        sub = self.long[self.long["scale"] == sid]
        return [str(i) for i in pd.unique(sub["item"])]

    def reversed_items(self, items: Sequence[str]) -> list[str]:
        if "keyed" not in self.long.columns:
            return []
        k = self.long.drop_duplicates("item").set_index("item")["keyed"]
        return [i for i in items if i in k.index and k[i] < 0]


def _scale_ids(long: pd.DataFrame, inst: Instrument | None) -> list[str]:
    present = [str(s) for s in pd.unique(long["scale"])]
    if inst is None:
        return present
    ordered = [s.id for s in inst.scales if s.id in present]
    return ordered + [s for s in present if s not in ordered]


def _header(c: _Ctx) -> Section:
    lines = []
    if c.inst is not None:
        lines.append(c.inst.name + (f" (version {c.inst.version})" if c.inst.version else ""))
        lines.append(_one_line(c.inst.citation)[:300])
    lines.append(f"{c.long['item'].nunique()} items on {len(c.scale_ids)} scales; "
                 f"{_n_respondents(c.long)} simulated respondents")
    title = f"{c.iid}: {c.inst.name}" if c.inst is not None else c.iid
    return Section(key=c.iid, title=title, level=2, body="\n".join(lines))


def _scores(c: _Ctx) -> tuple[pd.DataFrame | None, str | None, list[str]]:
    """Instrument-scored scale scores (respondents x scales) via psychometry.scoring, or the mean-scored
    scores of stats.scale_scores when the instrument's definition is not available."""
    if c.inst is not None:
        res = attempt(score_long, c.long, c.inst)
        if not res.ok:
            return None, res.reason, res.warnings
        return res.value, None, res.warnings
    res = attempt(st.scale_scores, c.long)
    if not res.ok:
        return None, res.reason, res.warnings
    wide = res.value.pivot_table(index="respondent", columns="scale", values="score", aggfunc="first")
    return wide.reindex(columns=[s for s in c.scale_ids if s in wide.columns]), None, res.warnings


def _score_section(c: _Ctx, scores: pd.DataFrame | None, reason: str | None, warns: list[str]) -> Section:
    key, title = f"{c.iid}/scores", f"{c.iid}: scale scores"
    if scores is None:
        return Section.skipped(key, title, reason or "no scores")
    cols = [s for s in c.scale_ids if s in scores.columns]
    desc = pd.DataFrame({
        "n": scores[cols].notna().sum(), "mean": scores[cols].mean(), "sd": scores[cols].std(),
        "min": scores[cols].min(), "max": scores[cols].max()})
    desc.index = [f"{s} {c.scale_name(s)}" if c.scale_name(s) != s else s for s in cols]
    how = ("instrument scoring (psychometry.scoring: reverse keying, mean or sum, offset, at least half the "
           "items answered)" if c.inst is not None else "item means after reverse keying (stats.scale_scores)")
    body = [f"Scale scores over simulated respondents: {how}", "", _frame_text(desc)]
    if "type" in scores.columns:
        types = scores["type"].dropna().value_counts()
        if len(types):
            body += ["", "Types (dichotomies of the instrument):", types.to_string()]
    sec = Section(key=key, title=title, body=_with_warnings("\n".join(body), warns))
    if c.plots and desc["n"].sum() > 0:
        sec.figures.append(plots.score_distributions(
            scores[cols], name=f"{c.iid}-scores", title=f"{c.iid}: scale score distributions",
            labels={s: c.scale_name(s) for s in cols}))
    return sec


def _alpha_and_omega(c: _Ctx) -> tuple[list[Section], dict[str, pd.Series]]:
    out: list[Section] = []
    r_drop: dict[str, pd.Series] = {}
    for sid in c.scale_ids:
        items = c.scale_items(sid)
        sub = c.long[c.long["scale"] == sid]
        label = f"{c.iid} {sid}" + (f" ({c.scale_name(sid)})" if c.scale_name(sid) != sid else "")
        wide = attempt(st.item_matrix, sub)
        akey, atitle = f"{c.iid}/alpha/{sid}", f"{label}: Cronbach's alpha (psych::alpha)"
        okey, otitle = f"{c.iid}/omega/{sid}", f"{label}: McDonald's omega (psych::omega)"
        if not wide.ok:
            out += [Section.skipped(akey, atitle, wide.reason), Section.skipped(okey, otitle, wide.reason)]
            continue
        x = wide.value
        keys = c.reversed_items(items) or None
        n = int(x.notna().any(axis=1).sum())  # respondents with at least one answered item
        if n == 0:
            why = "no answered item (every response refused or unparsed)"
            out += [Section.skipped(akey, atitle, why), Section.skipped(okey, otitle, why)]
            continue
        if len(items) < 2:
            out.append(Section.skipped(akey, atitle, f"scale {sid} has {len(items)} item; alpha needs at least 2"))
        elif n < 2:
            out.append(Section.skipped(akey, atitle, f"{n} respondent; alpha needs at least 2"))
        else:
            a = attempt(st.alpha, x, keys=keys)
            if a.ok:
                out.append(Section(key=akey, title=atitle, body=_with_warnings(a.value.summary(), a.warnings)))
                r_drop[sid] = a.value.item_stats["r.drop"]
            else:
                out.append(Section.skipped(akey, atitle, a.reason))
        k = len(items)
        nf = min(3, k // 3)
        if k < c.omega_min_items or nf < 2:
            out.append(Section.skipped(okey, otitle, f"scale {sid} has {k} items; omega (Schmid-Leiman, "
                                       f"3 items per group factor) is computed from {max(c.omega_min_items, 6)}"))
        elif n <= k:
            out.append(Section.skipped(okey, otitle, f"{n} respondents for {k} items; omega needs more "
                                       "respondents than items"))
        else:
            o = attempt(st.omega, x, nfactors=nf)
            if o.ok:
                note = ("Items are reversed by the sign of their general loading (psych's flip, marked '-'), "
                        "not by the instrument's keys, so omega's Alpha line can differ from psych::alpha's "
                        "above.\n")
                out.append(Section(key=okey, title=otitle + f", {nf} group factors",
                                   body=_with_warnings(note + o.value.summary(), o.warnings)))
            else:
                out.append(Section.skipped(okey, otitle, o.reason))
    return out, r_drop


def _item_rest_section(c: _Ctx, r_drop: dict[str, pd.Series]) -> Section | None:
    if not c.plots or not r_drop:
        return None
    fig = plots.item_rest_correlations(r_drop, name=f"{c.iid}-item-rest",
                                       title=f"{c.iid}: item-rest correlations")
    return Section(key=f"{c.iid}/item-rest", title=f"{c.iid}: item-rest correlations",
                   body="Item-rest correlations (r.drop) of the alpha blocks above, as a plot.", figures=[fig])


def _norms_section(c: _Ctx, scores: pd.DataFrame | None, reason: str | None) -> Section | None:
    key, title = f"{c.iid}/norms", f"{c.iid}: comparison with human norms"
    if c.inst is None or not c.inst.norms:
        return None
    if scores is None:
        return Section.skipped(key, title, reason or "no scale scores")
    norms = {n.scale: (n.mean, n.sd, n.n) for n in c.inst.norms if n.n is not None and n.scale in scores.columns}
    lacking = [n.scale for n in c.inst.norms if n.n is None]
    if not norms:
        return Section.skipped(key, title, "the instrument's norms give no sample size n, which the "
                               "Welch test and Cohen's d need")
    res = attempt(st.compare_norms, scores[list(norms)].astype(float), norms)
    if not res.ok:
        return Section.skipped(key, title, res.reason)
    body = res.value.summary()
    pops = list(dict.fromkeys(_one_line(n.population) for n in c.inst.norms if n.population))
    if pops:
        body += "\n\nNorm sample: " + pops[0][:240]
    if lacking:
        body += f"\nScales without a norm sample size (not compared): {', '.join(lacking)}"
    return Section(key=key, title=title, body=_with_warnings(body, res.warnings))


def _cfa_section(c: _Ctx) -> Section:
    key, title = f"{c.iid}/cfa", f"{c.iid}: confirmatory factor analysis of the scale structure (lavaan::cfa)"
    model = {sid: c.scale_items(sid) for sid in c.scale_ids}
    model = {s: items for s, items in model.items() if len(items) >= 2}
    if not model:
        return Section.skipped(key, title, "no scale with at least 2 items")
    p = sum(len(v) for v in model.values())
    if c.cfa_max_items is not None and p > c.cfa_max_items:
        return Section.skipped(key, title, f"{p} items in the model, more than cfa_max_items = "
                               f"{c.cfa_max_items} (a fit of this size takes long; raise the limit to fit it)")
    wide = attempt(st.item_matrix, c.long)
    if not wide.ok:
        return Section.skipped(key, title, wide.reason)
    x = wide.value
    n_complete = int(x[[i for v in model.values() for i in v]].dropna().shape[0])
    need = int(np.ceil(c.cfa_min_per_item * p))
    if n_complete < need:
        return Section.skipped(key, title, f"{n_complete} respondents answered every item; the CFA of {p} items "
                               f"needs at least {need} ({c.cfa_min_per_item:g} per item)")
    items = [i for v in model.values() for i in v]
    keys = c.reversed_items(items)
    if keys:  # reverse-keyed items reversed first: same fit, all loadings positive (better start values)
        rev = attempt(reverse_items, x[items], keys)
        if not rev.ok:
            return Section.skipped(key, title, rev.reason)
        x = rev.value
    res = attempt(st.cfa, x, model)
    if not res.ok:
        return Section.skipped(key, title, res.reason)
    spec = "\n".join(f"  {f} =~ {' + '.join(items)}" for f, items in model.items())
    note = (f"\nReverse-keyed items ({len(keys)}) were reversed before fitting (psych's max + min - x), so "
            "every loading is expected to be positive; the fit does not depend on it." if keys else "")
    body = (f"Model (one factor per scale, as keyed by the instrument):\n{spec}{note}\n\n"
            f"{res.value.summary()}")
    return Section(key=key, title=title, body=_with_warnings(body, res.warnings))


def _styles_section(c: _Ctx) -> Section:
    key, title = f"{c.iid}/styles", f"{c.iid}: response styles"
    # styles describe the options chosen, also when the report analyses probability-weighted answers
    rows = c.long.assign(value=c.long["_chosen"]) if "_chosen" in c.long.columns else c.long
    res = attempt(st.response_styles, rows)
    if not res.ok:
        return Section.skipped(key, title, res.reason)
    return Section(key=key, title=title, body=_with_warnings(res.value.summary(), res.warnings))


def _template_section(c: _Ctx) -> Section:
    key, title = f"{c.iid}/templates", f"{c.iid}: prompt-template sensitivity"
    if "template" not in c.long.columns:
        return Section.skipped(key, title, "the table has no template column")
    if c.long["template"].nunique() < 2:
        return Section.skipped(key, title, f"one prompt template only ({c.long['template'].iloc[0]}); "
                               "administer with several templates to compare them")
    res = attempt(st.template_sensitivity, c.long)
    if not res.ok:
        return Section.skipped(key, title, res.reason)
    sec = Section(key=key, title=title, body=_with_warnings(res.value.summary(), res.warnings))
    if c.plots:
        ss = attempt(st.scale_scores, c.long)
        if ss.ok and ss.value["score"].notna().any():
            sec.figures.append(plots.template_means(ss.value, name=f"{c.iid}-templates",
                                                    title=f"{c.iid}: mean scale score by prompt template"))
    return sec


def _order_pair(orders: Sequence[str]) -> tuple[str, str] | None:
    if "original" in orders and "reversed" in orders:
        return "original", "reversed"
    if len(orders) >= 2:
        return orders[0], orders[1]
    return None


def _order_section(c: _Ctx) -> Section:
    key, title = f"{c.iid}/orders", f"{c.iid}: option-order sensitivity"
    if "order" not in c.long.columns:
        return Section.skipped(key, title, "the table has no order column")
    orders = [str(o) for o in pd.unique(c.long["order"])]
    pair = _order_pair(orders)
    if pair is None:
        return Section.skipped(key, title, f"one option order only ({orders[0] if orders else 'none'}); "
                               "administer with --orders original,reversed to compare")
    res = attempt(st.order_sensitivity, c.long, *pair)
    if not res.ok:
        return Section.skipped(key, title, res.reason)
    return Section(key=key, title=title, body=_with_warnings(res.value.summary(), res.warnings))


def _position_section(c: _Ctx) -> Section:
    key, title = f"{c.iid}/positions", f"{c.iid}: option-position bias"
    by = "order" if "order" in c.long.columns else None
    res = attempt(st.position_bias, c.long, by=by)
    if not res.ok:
        return Section.skipped(key, title, res.reason)
    sec = Section(key=key, title=title, body=_with_warnings(res.value.summary(), res.warnings))
    if c.plots and len(res.value.counts):
        sec.figures.append(plots.position_bias_bars(res.value.counts, name=f"{c.iid}-positions",
                                                    title=f"{c.iid}: share of answers by shown position", by=by))
    return sec


def instrument_sections(iid: str, long: pd.DataFrame, inst: Instrument | None, *, plots: bool = True,
                        omega_min_items: int = 6, cfa_min_per_item: float = 2.0,
                        cfa_max_items: int | None = 60) -> tuple[list[Section], pd.DataFrame | None]:
    """Every section of one instrument (its rows of the long table), and its scale scores
    (respondents x scales, used by the MTMM section)."""
    c = _Ctx(iid=iid, long=long, inst=inst, plots=plots, omega_min_items=omega_min_items,
             cfa_min_per_item=cfa_min_per_item, cfa_max_items=cfa_max_items)
    c.scale_ids = _scale_ids(long, inst)
    scores, reason, warns = _scores(c)
    out = [_header(c), _score_section(c, scores, reason, warns)]
    rel, r_drop = _alpha_and_omega(c)
    out += rel
    extra = _item_rest_section(c, r_drop)
    if extra is not None:
        out.append(extra)
    norms = _norms_section(c, scores, reason)
    if norms is not None:
        out.append(norms)
    out += [_cfa_section(c), _styles_section(c), _template_section(c), _order_section(c), _position_section(c)]
    return out, scores


# ==================================================================================================
# across instruments


def mtmm_section(scores: dict[str, pd.DataFrame | None]) -> Section | None:
    """Multitrait-multimethod matrix of BFI-44 vs IPIP-NEO-120 on their common scales (None unless
    both instruments are in the report)."""
    a_id, b_id = MTMM_INSTRUMENTS
    if a_id not in scores or b_id not in scores:
        return None
    key, title = "mtmm", f"Multitrait-multimethod matrix: {a_id} vs {b_id}"
    a, b = scores[a_id], scores[b_id]
    if a is None or b is None:
        return Section.skipped(key, title, "scale scores of one of the instruments are missing", level=1)
    common = [s for s in a.columns if s in b.columns and s not in ("type",) and not str(s).startswith("z_")]
    res = attempt(st.mtmm, a[common].astype(float), b[common].astype(float), {s: s for s in common},
                  methods=(a_id, b_id))
    if not res.ok:
        return Section.skipped(key, title, res.reason, level=1)
    body = ("Scale scores of the same simulated respondents (model/persona/template/order/repeat) on both "
            "instruments.\n\n" + res.value.summary())
    return Section(key=key, title=title, level=1, body=_with_warnings(body, res.warnings))
