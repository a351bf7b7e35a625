"""The whole-table sections: ``data`` (what the table holds: responses, runs, models, the design,
instruments) and ``refusals`` (``stats.refusal_rates``: refusal and unparsed rates with Wilson CIs)."""

from __future__ import annotations

import pandas as pd

import psychometry.stats as st
from psychometry.instrument.model import Instrument

from ..document import Section
from ..outcome import attempt
from .common import n_respondents, res_section

__all__ = ['overview', 'refusals']


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
    lines.append(f"Responses: {len(long)} ({n_ok} answered) from {n_respondents(long)} simulated respondents")
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
        lines.append(f"  {iid:<14}{name}; {sub['item'].nunique()} items, {n_respondents(sub)} respondents")
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
    return res_section(key, title, res, level=1)
