"""Who is a respondent: one prompt condition (the default) or one persona.

The long table's ``respondent`` is one prompt condition: (model, persona, template, option order,
repeat). :func:`persona_level` averages each item's answers over the templates and option orders of
a person (model, persona, repeat), so that the reliability, norm and validity sections analyse
persons, not conditions (``build_report(respondent="persona")``, CLI ``--respondent persona``).
"""

from __future__ import annotations

import pandas as pd

__all__ = ["PERSON_KEY", "RESPONDENT_LEVELS", "persona_level", "split_models"]

RESPONDENT_LEVELS = ("condition", "persona")
#: The columns that identify a person across prompt conditions (psychometry.stats.prediction.RESPONDENT_KEY).
PERSON_KEY: tuple[str, ...] = ("model", "persona", "repeat")


def persona_level(long: pd.DataFrame) -> pd.DataFrame:
    """One row per (person, instrument, item): ``value`` (and ``expected``) are the means over the
    person's answered conditions (status ``ok``); ``respondent`` becomes ``model/persona/repeat``,
    ``template`` and ``order`` become ``(mean)``, ``position`` is NaN (a mean has no shown position).
    Items never answered by the person are left out (missing, as a refusal is)."""
    key = [c for c in PERSON_KEY if c in long.columns]
    if not key:
        key = ["respondent"]
    ok = long[long["status"] == "ok"] if "status" in long.columns else long
    group = key + ["instrument", "item"]
    agg: dict[str, tuple[str, str]] = {"value": ("value", "mean"), "n_conditions": ("value", "size")}
    for col in ("expected", "label_mass", "entropy"):
        if col in ok.columns:
            agg[col] = (col, "mean")
    for col in ("scale", "keyed", "shown_values", "mode", "run_id"):
        if col in ok.columns:
            agg[col] = (col, "first")
    if ok.empty:
        return ok.copy()
    out = ok.groupby(group, sort=False, dropna=False).agg(**agg).reset_index()
    out["respondent"] = out[key].astype(str).agg("/".join, axis=1)
    out["status"] = "ok"
    for col in ("template", "order"):
        if col in long.columns:
            out[col] = "(mean)"
    out["position"] = float("nan")
    return out


def split_models(long: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """``[(model, its rows)]`` in order of first appearance (one entry ``("", long)`` without a model column)."""
    if "model" not in long.columns:
        return [("", long)]
    return [
        (str(m), long[long["model"].astype(str) == str(m)].reset_index(drop=True))
        for m in pd.unique(long["model"].astype(str))
    ]
