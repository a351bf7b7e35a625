"""The report's sections, each computed from the long results table with ``psychometry.stats`` and
``psychometry.scoring`` (nothing here re-implements a statistic: the text is the result objects'
``summary()``).

Every function returns one or more :class:`~psychometry.report.document.Section` and never raises
for data the statistics cannot use: too few respondents, a constant item, a single template... give
a section whose body is one ``not computed: <reason>`` line (see :func:`attempt`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import psychometry.stats as st
from psychometry.errors import PsychometryError
from psychometry.instrument.model import Instrument
from psychometry.scoring import score_long
from psychometry.stats._rhtml import summary_html
from psychometry.stats.reliability import reverse_items

from . import plots
from .document import Section

__all__ = [
    "MTMM_INSTRUMENTS",
    "Outcome",
    "attempt",
    "instrument_sections",
    "mtmm_section",
    "overview",
    "refusals",
]

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


def _html_text(text: str) -> str:
    """Prose lines as HTML paragraphs (blank lines separate paragraphs)."""
    import html as _h

    paras = [p.strip() for p in text.strip("\n").split("\n\n") if p.strip()]
    return "".join(f'<p class="note">{_h.escape(p).replace(chr(10), "<br>")}</p>' for p in paras)


def _html_warnings(warns: Sequence[str]) -> str:
    import html as _h

    return "".join(f'<p class="warning">Warning: {_h.escape(w)}</p>' for w in warns)


def _res_section(
    key: str,
    title: str,
    res: Outcome,
    *,
    before: str = "",
    after: str = "",
    level: int = 3,
    preformatted_before: bool = False,
) -> Section:
    """A section whose text is ``before + result.summary() + after`` (and warnings), and whose HTML has
    the result's tables as ``<table>`` s (psychometry.stats._rhtml.summary_html: the same strings)."""
    import html as _h

    body = _with_warnings(before + res.value.summary() + after, res.warnings)
    pre = (
        f'<pre class="rout">{_h.escape(before.strip(chr(10)))}</pre>'
        if preformatted_before and before.strip()
        else _html_text(before)
    )
    html = pre + summary_html(res.value) + _html_text(after) + _html_warnings(res.warnings)
    return Section(key=key, title=title, level=level, body=body, html=html)


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


def overview(
    long: pd.DataFrame,
    instruments: dict[str, Instrument | None],
    source: str | None,
    answers: str = "chosen",
    respondent: str = "condition",
) -> Section:
    """Section ``data``: what the table holds (responses, runs, models, the design, instruments)."""
    lines = []
    if source:
        lines.append(f"Results file: {source}")
    n_ok = int((long["status"] == "ok").sum()) if "status" in long.columns else len(long)
    lines.append(
        f"Responses: {len(long)} ({n_ok} answered) from {_n_respondents(long)} simulated respondents"
    )
    for col, label in (
        ("run_id", "Runs"),
        ("model", "Models"),
        ("mode", "Mode"),
        ("template", "Templates"),
        ("order", "Option orders"),
        ("persona", "Personas"),
    ):
        if col in long.columns:
            levels = [str(v) for v in pd.unique(long[col])]
            shown = ", ".join(levels[:8]) + (f", ... ({len(levels)} in all)" if len(levels) > 8 else "")
            lines.append(f"{label + ':':<15}{shown}")
    if "repeat" in long.columns:
        lines.append(f"{'Repeats:':<15}{long['repeat'].nunique()}")
    lines.append(
        f"{'Answers:':<15}"
        + (
            "the probability-weighted value of the options (logprob mode's 'expected')"
            if answers == "expected"
            else "the chosen option's scale value"
        )
    )
    lines.append("Instruments:")
    for iid, inst in instruments.items():
        sub = long[long["instrument"] == iid]
        name = (
            inst.name if inst is not None else "(definition not found: instrument-specific sections limited)"
        )
        lines.append(f"  {iid:<14}{name}; {sub['item'].nunique()} items, {_n_respondents(sub)} respondents")
    if "model" in long.columns and long["model"].nunique() > 1:
        lines.append(
            f"Models are never pooled: every statistic is computed within one model, and the "
            f"{long['model'].nunique()} models are shown side by side."
        )
    if "_file" in long.columns and long["_file"].nunique() > 1:
        for f, g in long.groupby("_file", sort=False):
            lines.append(
                f"  file {f}: models {', '.join(map(str, pd.unique(g['model'])))}; "
                f"{g['run_id'].nunique() if 'run_id' in g.columns else 1} run(s), {len(g)} responses"
            )
    if "model" in long.columns and "run_id" in long.columns:
        multi = [
            (str(m), g["run_id"].nunique())
            for m, g in long.groupby("model", sort=False)
            if g["run_id"].nunique() > 1
        ]
        for m, k in multi:
            lines.append(
                f"Pooled within model {m}: {k} runs of the file(s) (their respondents analysed together)."
            )
    conditions = [
        f"{long[c].nunique()} {label}"
        for c, label in (("template", "templates"), ("order", "option orders"))
        if c in long.columns and long[c].nunique() > 1
    ]
    if respondent == "persona":
        lines.append(
            "Respondent = persona: each person's (model x persona x repeat) item answers are averaged over "
            f"its prompt conditions ({' x '.join(conditions) or 'one condition'}) before the scores, "
            "reliability, norm, CFA and MTMM sections; the refusal, response-style, template, order and "
            "position sections compare the conditions themselves."
        )
    elif conditions:
        lines.append(
            f"Note: a respondent is one prompt condition of a persona ({' x '.join(conditions)}). The "
            "reliability, norm and validity sections pool the conditions, so condition effects "
            "(read the template, option-order and position sections first) enter them as if they "
            "were differences between persons. Person-level scores: "
            "psychometry.stats.respondent_scores."
        )
    lines.append(
        "Statistics: psychometry.stats (checked against R's psych 2.2.9 and lavaan 0.6-14); "
        "scale scores: psychometry.scoring."
    )
    return Section(key="data", title="Data", level=1, body="\n".join(lines))


def refusals(long: pd.DataFrame) -> Section:
    """Section ``refusals``: refusal and unparsed rates with Wilson CIs, overall and by design factor."""
    key, title = "refusals", "Refusal and unparsed rates"
    by = [
        c for c in ("model", "instrument", "template", "order") if c in long.columns and long[c].nunique() > 1
    ]
    res = attempt(st.refusal_rates, long, by=by or ["instrument"])
    if not res.ok:
        return Section.skipped(key, title, res.reason, level=1)
    return _res_section(key, title, res, level=1)


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
    model_label: str = ""
    raw: pd.DataFrame | None = None  # condition-level rows (when ``long`` holds persons: conditions averaged)

    @property
    def cond(self) -> pd.DataFrame:
        """The condition-level rows (robustness sections: styles, templates, orders, positions)."""
        return self.raw if self.raw is not None else self.long

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
    lines.append(
        f"{c.long['item'].nunique()} items on {len(c.scale_ids)} scales; "
        f"{_n_respondents(c.long)} simulated respondents"
    )
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
    desc = pd.DataFrame(
        {
            "n": scores[cols].notna().sum(),
            "mean": scores[cols].mean(),
            "sd": scores[cols].std(),
            "min": scores[cols].min(),
            "max": scores[cols].max(),
        }
    )
    desc.index = [f"{s} {c.scale_name(s)}" if c.scale_name(s) != s else s for s in cols]
    how = (
        "instrument scoring (psychometry.scoring: reverse keying, mean or sum, offset, at least half the "
        "items answered)"
        if c.inst is not None
        else "item means after reverse keying (stats.scale_scores)"
    )
    body = [f"Scale scores over simulated respondents: {how}", "", _frame_text(desc)]
    if "type" in scores.columns:
        types = scores["type"].dropna().value_counts()
        if len(types):
            body += ["", "Types (dichotomies of the instrument):", types.to_string()]
    sec = Section(key=key, title=title, body=_with_warnings("\n".join(body), warns))
    from psychometry.stats._rprint import format_frame

    class _T:
        def summary(self_inner) -> str:
            return f"Scale scores over simulated respondents: {how}\n" + format_frame(desc, 2)

    sec.html = summary_html(_T()) + _html_warnings(warns)
    if c.plots and desc["n"].sum() > 0:
        norms = (
            {n.scale: (n.mean, n.sd) for n in c.inst.norms if n.scale in cols} if c.inst is not None else {}
        )
        sec.figures.append(
            plots.trait_profile(
                {c.model_label or "model": scores[cols].astype(float)},
                name=f"{c.iid}-profile",
                title=f"{c.iid}: trait profile" + (" vs human norms" if norms else ""),
                norms=norms,
                labels={s: c.scale_name(s) for s in cols},
            )
        )
        sec.figures.append(
            plots.score_distributions(
                scores[cols],
                name=f"{c.iid}-scores",
                title=f"{c.iid}: scale score distributions",
                labels={s: c.scale_name(s) for s in cols},
            )
        )
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
            out.append(
                Section.skipped(akey, atitle, f"scale {sid} has {len(items)} item; alpha needs at least 2")
            )
        elif n < 2:
            out.append(Section.skipped(akey, atitle, f"{n} respondent; alpha needs at least 2"))
        else:
            a = attempt(st.alpha, x, keys=keys)
            if a.ok:
                out.append(_res_section(akey, atitle, a))
                r_drop[sid] = a.value.item_stats["r.drop"]
            else:
                out.append(Section.skipped(akey, atitle, a.reason))
        k = len(items)
        nf = min(3, k // 3)
        if k < c.omega_min_items or nf < 2:
            out.append(
                Section.skipped(
                    okey,
                    otitle,
                    f"scale {sid} has {k} items; omega (Schmid-Leiman, "
                    f"3 items per group factor) is computed from {max(c.omega_min_items, 6)}",
                )
            )
        elif n <= k:
            out.append(
                Section.skipped(
                    okey, otitle, f"{n} respondents for {k} items; omega needs more respondents than items"
                )
            )
        else:
            o = attempt(st.omega, x, nfactors=nf)
            if o.ok:
                note = (
                    "Items are reversed by the sign of their general loading (psych's flip, marked '-'), "
                    "not by the instrument's keys, so omega's Alpha line can differ from psych::alpha's "
                    "above.\n"
                )
                out.append(_res_section(okey, otitle + f", {nf} group factors", o, before=note))
            else:
                out.append(Section.skipped(okey, otitle, o.reason))
    return out, r_drop


def _item_rest_section(c: _Ctx, r_drop: dict[str, pd.Series]) -> Section | None:
    if not c.plots or not r_drop:
        return None
    fig = plots.item_rest_correlations(
        r_drop, name=f"{c.iid}-item-rest", title=f"{c.iid}: item-rest correlations"
    )
    return Section(
        key=f"{c.iid}/item-rest",
        title=f"{c.iid}: item-rest correlations",
        body="Item-rest correlations (r.drop) of the alpha blocks above, as a plot.",
        figures=[fig],
    )


def _norms_section(c: _Ctx, scores: pd.DataFrame | None, reason: str | None) -> Section | None:
    key, title = f"{c.iid}/norms", f"{c.iid}: comparison with human norms"
    if c.inst is None or not c.inst.norms:
        return None
    if scores is None:
        return Section.skipped(key, title, reason or "no scale scores")
    norms = {
        n.scale: (n.mean, n.sd, n.n) for n in c.inst.norms if n.n is not None and n.scale in scores.columns
    }
    lacking = [n.scale for n in c.inst.norms if n.n is None]
    if not norms:
        return Section.skipped(
            key,
            title,
            "the instrument's norms give no sample size n, which the Welch test and Cohen's d need",
        )
    res = attempt(st.compare_norms, scores[list(norms)].astype(float), norms=norms)
    if not res.ok:
        return Section.skipped(key, title, res.reason)
    after = ""
    pops = list(dict.fromkeys(_one_line(n.population) for n in c.inst.norms if n.population))
    if pops:
        after += "\n\nNorm sample: " + pops[0][:240]
    if lacking:
        after += f"\nScales without a norm sample size (not compared): {', '.join(lacking)}"
    return _res_section(key, title, res, after=after)


def _cfa_section(c: _Ctx) -> Section:
    key, title = f"{c.iid}/cfa", f"{c.iid}: confirmatory factor analysis of the scale structure (lavaan::cfa)"
    model = {sid: c.scale_items(sid) for sid in c.scale_ids}
    model = {s: items for s, items in model.items() if len(items) >= 2}
    if not model:
        return Section.skipped(key, title, "no scale with at least 2 items")
    p = sum(len(v) for v in model.values())
    if c.cfa_max_items is not None and p > c.cfa_max_items:
        return Section.skipped(
            key,
            title,
            f"{p} items in the model, more than cfa_max_items = "
            f"{c.cfa_max_items} (a fit of this size takes long; raise the limit to fit it)",
        )
    wide = attempt(st.item_matrix, c.long)
    if not wide.ok:
        return Section.skipped(key, title, wide.reason)
    x = wide.value
    n_complete = int(x[[i for v in model.values() for i in v]].dropna().shape[0])
    need = int(np.ceil(c.cfa_min_per_item * p))
    if n_complete < need:
        return Section.skipped(
            key,
            title,
            f"{n_complete} respondents answered every item; the CFA of {p} items "
            f"needs at least {need} ({c.cfa_min_per_item:g} per item)",
        )
    items = [i for v in model.values() for i in v]
    keys = c.reversed_items(items)
    if keys:  # reverse-keyed items reversed first: same fit, all loadings positive (better start values)
        rev = attempt(reverse_items, x[items], keys)
        if not rev.ok:
            return Section.skipped(key, title, rev.reason)
        x = rev.value
    res = attempt(st.cfa, x, model=model)
    if not res.ok:
        return Section.skipped(key, title, res.reason)
    spec = "\n".join(f"  {f} =~ {' + '.join(items)}" for f, items in model.items())
    note = (
        f"\nReverse-keyed items ({len(keys)}) were reversed before fitting (psych's max + min - x), so "
        "every loading is expected to be positive; the fit does not depend on it."
        if keys
        else ""
    )
    return _res_section(
        key,
        title,
        res,
        before=f"Model (one factor per scale, as keyed by the instrument):\n{spec}{note}\n\n",
        preformatted_before=True,
    )


def _styles_section(c: _Ctx) -> Section:
    key, title = f"{c.iid}/styles", f"{c.iid}: response styles"
    # styles describe the options chosen, also when the report analyses probability-weighted answers
    rows = c.cond.assign(value=c.cond["_chosen"]) if "_chosen" in c.cond.columns else c.cond
    res = attempt(st.response_styles, rows)
    if not res.ok:
        return Section.skipped(key, title, res.reason)
    return _res_section(key, title, res)


def _template_section(c: _Ctx) -> Section:
    key, title = f"{c.iid}/templates", f"{c.iid}: prompt-template sensitivity"
    rows = c.cond
    if "template" not in rows.columns:
        return Section.skipped(key, title, "the table has no template column")
    if rows["template"].nunique() < 2:
        return Section.skipped(
            key,
            title,
            f"one prompt template only ({rows['template'].iloc[0]}); "
            "administer with several templates to compare them",
        )
    res = attempt(st.template_sensitivity, rows)
    if not res.ok:
        return Section.skipped(key, title, res.reason)
    sec = _res_section(key, title, res)
    if c.plots:
        ss = attempt(st.scale_scores, rows)
        if ss.ok and ss.value["score"].notna().any():
            sec.figures.append(
                plots.template_means(
                    ss.value, name=f"{c.iid}-templates", title=f"{c.iid}: mean scale score by prompt template"
                )
            )
    return sec


def _order_pair(orders: Sequence[str]) -> tuple[str, str] | None:
    if "original" in orders and "reversed" in orders:
        return "original", "reversed"
    if len(orders) >= 2:
        return orders[0], orders[1]
    return None


def _order_section(c: _Ctx) -> Section:
    key, title = f"{c.iid}/orders", f"{c.iid}: option-order sensitivity"
    rows = c.cond
    if "order" not in rows.columns:
        return Section.skipped(key, title, "the table has no order column")
    orders = [str(o) for o in pd.unique(rows["order"])]
    pair = _order_pair(orders)
    if pair is None:
        return Section.skipped(
            key,
            title,
            f"one option order only ({orders[0] if orders else 'none'}); "
            "administer with --orders original,reversed to compare",
        )
    res = attempt(st.order_sensitivity, rows, a=pair[0], b=pair[1])
    if not res.ok:
        return Section.skipped(key, title, res.reason)
    return _res_section(key, title, res)


def _position_section(c: _Ctx) -> Section:
    key, title = f"{c.iid}/positions", f"{c.iid}: option-position bias"
    rows = c.cond
    by = "order" if "order" in rows.columns else None
    res = attempt(st.position_bias, rows, by=by)
    if not res.ok:
        return Section.skipped(key, title, res.reason)
    sec = _res_section(key, title, res)
    if c.plots and len(res.value.counts):
        grid = [col for col in ("template", "order") if col in rows.columns]
        heat = attempt(st.position_bias, rows, by=grid or None)
        if heat.ok:
            sec.figures.append(
                plots.position_heatmap(
                    heat.value.counts,
                    name=f"{c.iid}-positions",
                    title=f"{c.iid}: share of answers by shown position",
                    rows=tuple(grid),
                )
            )
    return sec


def _option_curves_section(c: _Ctx, n_items: int = 4) -> Section | None:
    """Logprob mode: mean probability of each scale value for a few items (two forward-, two
    reverse-keyed where the instrument has them), per option order."""
    rows = c.cond
    if not c.plots or "probs" not in rows.columns or rows["probs"].isna().all():
        return None
    import json

    items = [str(i) for i in pd.unique(rows["item"])]
    if "keyed" in rows.columns:
        k = rows.drop_duplicates("item").set_index("item")["keyed"]
        fwd = [i for i in items if k.get(i, 1) > 0][: n_items // 2]
        rev = [i for i in items if k.get(i, 1) < 0][: n_items - len(fwd)]
        chosen = fwd + rev
        chosen += [i for i in items if i not in chosen][: n_items - len(chosen)]
    else:
        chosen = items[:n_items]
    texts = {it.id: it.text for it in c.inst.items} if c.inst is not None else {}
    curves: dict[str, pd.DataFrame] = {}
    for item in chosen:
        sub = rows[(rows["item"] == item) & rows["probs"].notna()]
        recs = []
        for order, p in zip(sub["order"] if "order" in sub.columns else ["all"] * len(sub), sub["probs"]):
            try:  # load_results decodes probs to {scale value: p}; JSON text from other tables
                d = p if isinstance(p, dict) else json.loads(p)
            except (TypeError, ValueError):
                continue
            for v, pr in d.items():
                recs.append({"order": str(order), "value": float(v), "p": float(pr)})
        if not recs:
            continue
        tab = pd.DataFrame(recs).pivot_table(
            index="value", columns="order", values="p", aggfunc="mean", sort=False
        )
        keyed = ""
        if "keyed" in rows.columns and float(sub["keyed"].iloc[0]) < 0:
            keyed = " (R)"
        curves[f"{item}{keyed}: {texts.get(item, '')}".rstrip(": ")] = tab.sort_index()
    if not curves:
        return None
    fig = plots.option_curves(
        curves, name=f"{c.iid}-options", title=f"{c.iid}: option probabilities of {len(curves)} items"
    )
    return Section(
        key=f"{c.iid}/options",
        title=f"{c.iid}: option probabilities of a few items",
        body="Mean probability of each answer (scale value) per option order, as a plot; (R) = "
        "reverse-keyed item.",
        figures=[fig],
    )


def _reliability_overview(c: _Ctx) -> Section | None:
    """Alpha with its Feldt CI and omega per scale in one table, and the forest plot."""
    from .verdicts import _reliability_table

    key, title = f"{c.iid}/reliability", f"{c.iid}: reliability at a glance"
    if not c.plots:  # a Markdown / HTML section (its plot); the text report keeps psych's blocks only
        return None
    t = _reliability_table(c.iid, c.long, c.inst, c.scale_ids, omega_min_items=c.omega_min_items)
    if t.empty or not t["alpha"].notna().any():
        return None
    shown = t.set_index("scale")[["k", "n", "alpha", "alpha_low", "alpha_high", "omega_t", "omega_h"]]
    shown.columns = ["k", "n", "alpha", "a.lower", "a.upper", "omega_t", "omega_h"]
    shown.index.name = None
    from psychometry.stats._rprint import format_frame

    class _T:  # a tiny result so the table goes through summary_html like the others
        def summary(self_inner) -> str:
            return (
                "Cronbach's alpha with the Feldt 95% confidence interval (psych::alpha) and McDonald's omega "
                "total / hierarchical (psych::omega, 6+ items; psych gives omega no interval)\n"
                + format_frame(shown, 2)
            )

    sec = _res_section(key, title, Outcome(value=_T()))
    sec.figures.append(
        plots.reliability_forest(
            {c.model_label or "alpha": t},
            name=f"{c.iid}-reliability",
            title=f"{c.iid}: reliability per scale",
        )
    )
    return sec


def _invariance_sections(c: _Ctx, precomputed: Any = None, thresholds: Any = None) -> list[Section]:
    """Measurement invariance of each scale across option orders and prompt templates (2+ levels each):
    stats.invariance's table per scale (configural, metric, scalar; lavTestLRT differences; CFI and
    RMSEA changes against the report's Chen 2007 cut-offs). ``precomputed``: {factor:
    InvarianceAnalysis} of the verdicts (the same rows), so the fits are not run twice."""
    import textwrap

    from psychometry.stats._rprint import format_frame, format_pval

    from .verdicts import INVARIANCE_FACTORS, VerdictThresholds, invariance_analysis, invariance_holds

    if c.inst is not None and c.inst.kind == "task":
        return []
    th = thresholds or VerdictThresholds()
    rows = c.cond
    out: list[Section] = []
    for factor, (plural, singular) in INVARIANCE_FACTORS.items():
        if factor not in rows.columns or rows[factor].nunique() < 2:
            continue
        key = f"{c.iid}/invariance/{factor}"
        title = f"{c.iid}: measurement invariance across {plural} (lavaan multi-group CFA)"
        ana = (precomputed or {}).get(factor)
        if ana is None:
            ana = invariance_analysis(rows, factor, c.scale_ids)
        head = (
            f"Multi-group CFA per scale, groups = {plural} ({', '.join(ana.groups)}); a respondent is one "
            f"prompt condition under one {singular}. One factor per scale, reverse-keyed items reversed first; "
            f"ML on the answers as continuous (lavaan::cfa(model, data, group = \"{factor}\", group.equal = "
            "...): configural = nothing equal, metric = loadings, scalar = loadings + intercepts). Each level "
            "is tested against the previous one: chi-square difference as lavTestLRT; holds = CFI drops by "
            f"at most {th.invariance_delta_cfi:.3f} and RMSEA rises by at most "
            f"{th.invariance_delta_rmsea:.3f} (Chen 2007)."
        )
        blocks: list[tuple[str, pd.DataFrame | None, list[str]]] = []
        for si in ana.scales:
            label = f"Scale {si.scale}" + (
                f" ({c.scale_name(si.scale)})" if c.scale_name(si.scale) != si.scale else ""
            )
            label += f", {len(si.items)} items"
            if si.n and si.result is not None:
                label += "; n = " + ", ".join(f"{k} {lv}" for lv, k in si.n)
            if si.result is None:
                blocks.append((label + f": not computed: {_one_line(si.reason or 'no fit')}", None, []))
                continue
            t = si.result.table
            shown = pd.DataFrame(index=list(t.index))
            shown["chisq"] = t["chisq"].astype(float)
            shown["df"] = t["df"].astype(float)
            shown["pvalue"] = format_pval(list(t["p"].astype(float)), 3)
            shown["cfi"] = t["cfi"].astype(float)
            shown["rmsea"] = t["rmsea"].astype(float)
            shown["chisq.diff"] = t["chisq_diff"].astype(float)
            shown["df.diff"] = t["df_diff"].astype(float)
            shown["p.diff"] = format_pval(list(t["p_diff"].astype(float)), 3)
            shown["cfi.delta"] = t["delta_cfi"].astype(float)
            shown["rmsea.delta"] = t["delta_rmsea"].astype(float)
            shown["holds"] = [
                "" if lv == "configural" else ("yes" if invariance_holds(t.loc[lv], th) else "no")
                for lv in t.index
            ]
            blocks.append((label, shown, list(si.warnings)))

        class _T:  # the tables go through _rprint (text) and summary_html (HTML) like the other sections
            def summary(self_inner) -> str:
                parts = [textwrap.fill(head, 100)]  # noqa: B023
                for label, shown, warns in blocks:  # noqa: B023
                    parts.append("")
                    parts.append(label)
                    if shown is not None:
                        parts.append(format_frame(shown, 3))
                    parts += [f"Warning: {w}" for w in warns]
                return "\n".join(parts)

        sec = _res_section(key, title, Outcome(value=_T()))
        out.append(sec)
    return out


def instrument_sections(
    iid: str,
    long: pd.DataFrame,
    inst: Instrument | None,
    *,
    plots: bool = True,
    omega_min_items: int = 6,
    cfa_min_per_item: float = 2.0,
    cfa_max_items: int | None = 60,
    raw: pd.DataFrame | None = None,
    model_label: str = "",
    invariance: Any = None,
    thresholds: Any = None,
) -> tuple[list[Section], pd.DataFrame | None]:
    """Every section of one instrument (its rows of the long table), and its scale scores
    (respondents x scales, used by the MTMM section).

    ``long`` are the rows analysed as respondents (prompt conditions, or persons with the conditions
    averaged); ``raw`` the condition-level rows for the robustness sections (default: ``long``);
    ``invariance`` the verdicts' {factor: InvarianceAnalysis} of this instrument (computed here when
    not given); ``thresholds`` the verdicts' cut-offs (the invariance tables' "holds" column)."""
    c = _Ctx(
        iid=iid,
        long=long,
        inst=inst,
        plots=plots,
        omega_min_items=omega_min_items,
        cfa_min_per_item=cfa_min_per_item,
        cfa_max_items=cfa_max_items,
        model_label=model_label,
        raw=raw,
    )
    c.scale_ids = _scale_ids(long, inst)
    scores, reason, warns = _scores(c)
    out = [_header(c), _score_section(c, scores, reason, warns)]
    overview = _reliability_overview(c)
    if overview is not None:
        out.append(overview)
    rel, r_drop = _alpha_and_omega(c)
    out += rel
    extra = _item_rest_section(c, r_drop)
    if extra is not None:
        out.append(extra)
    norms = _norms_section(c, scores, reason)
    if norms is not None:
        out.append(norms)
    out.append(_cfa_section(c))
    out += _invariance_sections(c, invariance, thresholds)
    out += [_styles_section(c), _template_section(c), _order_section(c), _position_section(c)]
    curves = _option_curves_section(c)
    if curves is not None:
        out.append(curves)
    return out, scores


# ==================================================================================================
# across instruments


def mtmm_section(
    scores: dict[str, pd.DataFrame | None], *, plots_on: bool = False, prefix: str = ""
) -> Section | None:
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
    res = attempt(
        st.mtmm,
        a[common].astype(float),
        other=b[common].astype(float),
        pairs={s: s for s in common},
        methods=(a_id, b_id),
    )
    if not res.ok:
        return Section.skipped(key, title, res.reason, level=1)
    sec = _res_section(
        key,
        title,
        res,
        level=1,
        before="Scale scores of the same simulated respondents (model/persona/template/order/repeat) "
        "on both instruments.\n\n",
    )
    if plots_on:
        sec.figures.append(
            plots.mtmm_heatmap(
                res.value.correlations, name=f"{prefix}mtmm", title=f"MTMM correlations: {a_id} vs {b_id}"
            )
        )
    return sec


def behaviour_section(
    long: pd.DataFrame,
    instruments: dict[str, Instrument | None],
    *,
    plots_on: bool = True,
    value: str = "value",
    prefix: str = "",
) -> Section | None:
    """Behaviour prediction (stats.behaviour_regression of each task score on the first inventory's
    scales, persons = model/persona/repeat, conditions averaged) when tasks and inventories were given
    to the same persons; None otherwise."""
    from .verdicts import behaviour_analysis

    out = behaviour_analysis(long, instruments, value=value)
    if out is None:
        return None
    key, title = "behaviour", "Behaviour prediction: behavioural tasks regressed on traits"
    traits, behaviour, res, why = out
    if res is None:
        return Section.skipped(key, title, why or "no regression", level=1)
    note = (
        "Persons = model x persona x repeat; each score is the mean over the person's prompt conditions "
        "(psychometry.stats.trait_behaviour_scores). Predictors: the scales of the first inventory. "
        "OLS, R's summary(lm()) layout.\n\n"
    )
    sec = _res_section(key, title, Outcome(value=res), level=1, before=note)
    if plots_on:
        preds = list(res.fits[next(iter(res.fits))].predictors)
        sec.figures.append(
            plots.behaviour_scatter(
                traits[preds],
                behaviour[list(res.fits)],
                name=f"{prefix}behaviour",
                title="Behaviour against each trait",
            )
        )
    return sec


# ==================================================================================================
# findings first, and the comparison across models


_BADGE = {"ok": "OK", "caution": "CAUTION", "fails": "FAILS", "n/a": "N/A"}


def findings_section(verdicts: Sequence[Any], thresholds: Any) -> Section:
    """Section ``findings``: the verdicts of each model (headline first), and side by side when there
    are several models. The text is what ``psychometry report`` prints first."""
    import html as _h
    from dataclasses import fields as _fields

    from psychometry.stats._rprint import format_strings

    from .verdicts import THRESHOLD_SOURCES

    key, title = "findings", "Findings"
    lines: list[str] = []
    out_html: list[str] = []
    if len(verdicts) > 1:
        labels: list[str] = []
        for mv in verdicts:
            labels += [v.label for v in mv.verdicts if v.label not in labels]
        table = pd.DataFrame(index=labels, columns=[mv.model for mv in verdicts], dtype=object)
        for mv in verdicts:
            for v in mv.verdicts:
                table.loc[v.label, mv.model] = _BADGE[v.level]
        table = table.fillna("-")
        lines += [
            "Models side by side (each model's statistics are its own; nothing is pooled):",
            "",
            format_strings(table),
            "",
        ]
        head = "".join(f"<th>{_h.escape(mv.model)}</th>" for mv in verdicts)
        rows = []
        for lab in labels:
            cells = []
            for mv in verdicts:
                v = next((x for x in mv.verdicts if x.label == lab), None)
                if v is None:
                    cells.append("<td>-</td>")
                else:
                    cells.append(
                        f'<td class="lv-{_lv(v.level)}"><span class="badge {_lv(v.level)}">{_BADGE[v.level]}'
                        f'</span> <span class="fig">{_h.escape(v.figure)}</span></td>'
                    )
            rows.append(f"<tr><th scope=\"row\">{_h.escape(lab)}</th>{''.join(cells)}</tr>")
        out_html.append(
            '<table class="verdicts side"><thead><tr><th>check</th>'
            + head
            + "</tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table>"
        )
    for mv in verdicts:
        lines.append(mv.text())
        lv = _lv(mv.level)
        out_html.append(
            f'<div class="model-verdicts"><h3>{_h.escape(mv.model or "model")}</h3>'
            f'<p class="meta">{mv.n_responses} responses, {mv.n_respondents} '
            f'respondent{"" if mv.n_respondents == 1 else "s"} (respondent = '
            f'{"persona, prompt conditions averaged" if mv.respondent == "persona" else "prompt condition"})</p>'
            f'<p class="headline lv-{lv}">' + "<br>".join(_h.escape(x) for x in mv.headline) + "</p>"
        )
        out_html.append(
            '<table class="verdicts"><thead><tr><th>level</th><th>check</th><th>figure</th>'
            '<th>what it means</th></tr></thead><tbody>'
        )
        for v in mv.verdicts:
            det = ""
            if v.details:
                det = (
                    "<details><summary>per scale</summary><ul>"
                    + "".join(f"<li>{_h.escape(d)}</li>" for d in v.details)
                    + "</ul></details>"
                )
            out_html.append(
                f'<tr class="lv-{_lv(v.level)}"><td><span class="badge {_lv(v.level)}">{_BADGE[v.level]}</span></td>'
                f"<td>{_h.escape(v.label)}</td><td>{_h.escape(v.figure)}</td>"
                f"<td>{_h.escape(v.sentence)}{det}</td></tr>"
            )
        out_html.append("</tbody></table></div>")
    lines.append(
        "Cut-offs: psychometry.report.VerdictThresholds (sources in docs/report.md); set your own with "
        "--thresholds FILE.yaml."
    )
    th_rows = "".join(
        f"<tr><td><code>{f.name}</code></td><td class=\"num\">{getattr(thresholds, f.name):g}</td>"
        f"<td>{_h.escape(THRESHOLD_SOURCES.get(f.name, ''))}</td></tr>"
        for f in _fields(thresholds)
    )
    out_html.append(
        '<details class="thresholds"><summary>Cut-offs and their sources (VerdictThresholds; '
        '<code>--thresholds FILE.yaml</code>)</summary><table class="verdicts"><thead><tr><th>name</th>'
        f"<th>value</th><th>source</th></tr></thead><tbody>{th_rows}</tbody></table></details>"
    )
    return Section(
        key=key, title=title, level=1, body="\n".join(lines).rstrip() + "\n", html="".join(out_html)
    )


def _lv(level: str) -> str:
    return "na" if level == "n/a" else level


def comparison_sections(
    per_model: Sequence[tuple[str, dict[str, pd.DataFrame | None], list[Section]]],
    instruments: dict[str, Instrument | None],
    *,
    plots: bool,
    thresholds: Any,
    verdicts: Sequence[Any],
) -> list[Section]:
    """The models side by side, per inventory: trait profiles (mean and 95% CI per scale, with the
    human norms) and reliabilities (alpha with Feldt CI, omega). Each model's numbers are its own."""
    from psychometry.stats._rprint import format_strings

    from .plots import _ci95

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

        class _T:
            def __init__(self, head: str, cells: pd.DataFrame) -> None:
                self.head, self.cells = head, cells

            def summary(self) -> str:  # laid out when called, so summary_html gets a real table
                return self.head + "\n\n" + format_strings(self.cells)

        t = _T("Mean scale score [95% CI over the model's respondents]:", cells)
        sec = Section(
            key=f"compare/{iid}/profile",
            title=f"{iid}: trait profiles",
            level=2,
            body=t.summary(),
            html=summary_html(t),
        )
        if plots:
            sec.figures.append(
                plots_mod().trait_profile(
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
            t = _T(
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
                    plots_mod().reliability_forest(
                        rel,
                        name=f"compare-{iid}-reliability",
                        title=f"{iid}: reliability per scale and model",
                        ok=thresholds.reliability_ok,
                        fails=thresholds.reliability_fails,
                    )
                )
            out.append(sec)
    return out


def plots_mod():
    return plots
