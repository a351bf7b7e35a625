"""Does the model answer? The share of prompts answered (``status == ok``) and, in logprob mode, the
mean probability mass on the option labels (``label_mass``)."""

from __future__ import annotations

import math

import pandas as pd

from ..thresholds import VerdictThresholds
from .context import CheckContext
from .model import Verdict
from .text import pct

__all__ = ["answers_verdict", "check"]


def check(ctx: CheckContext) -> Verdict:
    """The answer-rate verdict of the model's answers."""
    return answers_verdict(ctx.analysis.raw, ctx.thresholds)


def answers_verdict(rows: pd.DataFrame, th: VerdictThresholds) -> Verdict:
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
    fig = f"{n_ok} of {n} prompts answered ({pct(n_ok / n if n else math.nan)}); {refused} refused, {unparsed} unparsed"
    if math.isfinite(mass):
        fig += f"; mean label mass {mass:.2f}"
    if non >= th.nonanswer_fails or (math.isfinite(mass) and mass < th.label_mass_fails):
        level = "fails"
        sentence = "The model mostly does not answer the questions: " + (
            f"{pct(non)} of the prompts got no usable answer."
            if non >= th.nonanswer_fails
            else f"only {pct(mass)} of its next-token probability falls on the option labels, so the "
            "'answers' are read from tokens it would hardly say."
        )
    elif non >= th.nonanswer_caution or (math.isfinite(mass) and mass < th.label_mass_caution):
        level = "caution"
        sentence = "The model answers, but " + (
            f"{pct(non)} of the prompts got no usable answer (missing items lower the scores' precision)."
            if non >= th.nonanswer_caution
            else f"only {pct(mass)} of its next-token probability falls on the "
            "option labels: the answer format is not what it would say."
        )
    else:
        level = "ok"
        sentence = (
            f"The model answers: {pct(n_ok / n if n else math.nan)} of the prompts got a usable answer"
            + (
                f", and the option labels carry {pct(mass)} of its next-token probability."
                if math.isfinite(mass)
                else "."
            )
        )
    return Verdict("answers", title, level, fig, sentence)
