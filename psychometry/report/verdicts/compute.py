"""The orchestration of the verdicts: :func:`model_verdicts` runs the registry's checks
(:data:`~psychometry.report.verdicts.registry.CHECKS`) on one model's shared analyses,
:func:`compute_verdicts` per model of a long table, :func:`verdicts_text` for the end of
``psychometry administer``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from psychometry.errors import PsychometryError
from psychometry.instrument.model import Instrument

from ..analyses import InstrumentAnalysis, ModelAnalysis
from ..errors import ReportError
from ..respondents import split_models
from ..thresholds import VerdictThresholds
from .context import Check, CheckContext, CheckResult
from .model import ModelVerdicts, Verdict
from .registry import CHECKS

__all__ = ["compute_verdicts", "headline", "model_verdicts", "verdicts_text"]


def headline(vs: list[Verdict]) -> list[str]:
    ans = next((v for v in vs if v.check == "answers"), None)
    pos = next((v for v in vs if v.check == "positions"), None)
    if ans is not None and ans.level == "fails":
        return [f"The model does not answer: {ans.figure}.", "The scale scores are not interpretable."]
    if pos is not None and pos.level == "fails":
        lines = [
            f"The answers are a position habit: {pos.figure}.",
            "The scale scores are not interpretable.",
        ]
        content = [v for v in vs if v.check == "content" and v.level != "n/a"]
        found = [v for v in content if v.level in ("ok", "caution")]
        if found:
            v = found[0]
            what = (
                "item content still moves the answers"
                if v.level == "ok"
                else "a weak item-content signal remains"
            )
            lines.append(f"Under the habit, {what} ({v.label}: {v.figure}).")
        elif content:
            lines.append(f"No item content signal under the habit ({content[0].label}: {content[0].figure}).")
        return lines
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


def _add(found: list[Verdict], result: CheckResult) -> None:
    if result is None:
        return
    if isinstance(result, Verdict):
        found.append(result)
    else:
        found.extend(result)


def _applies(check: Check, ia: InstrumentAnalysis) -> bool:
    if ia.is_game or ia.is_two_turn:  # rounds and turns are no scale items (each item asked twice)
        return False
    if check.scope == "inventory":  # the scale-score checks: not for tasks, on the analysed rows
        return not ia.is_task and not ia.analysed_empty
    cond = ia.cond  # the robustness checks: every instrument with answered prompts
    return not cond[cond["status"] == "ok"].empty if "status" in cond.columns else True


def run_checks(ctx: CheckContext, checks: Sequence[Check] = CHECKS) -> list[Verdict]:
    """Run the checks in order into ``ctx.verdicts``: a ``model`` check once; a run of consecutive
    ``instrument`` / ``inventory`` checks per instrument (one instrument's checks together)."""
    analysis = ctx.analysis
    i = 0
    while i < len(checks):
        if checks[i].scope == "model":
            _add(ctx.verdicts, checks[i].run(ctx))
            i += 1
            continue
        j = i
        while j < len(checks) and checks[j].scope != "model":
            j += 1
        for iid in analysis.instruments:
            ia = analysis.instrument(iid)
            if ia is None:
                continue
            for check in checks[i:j]:
                if _applies(check, ia):
                    _add(ctx.verdicts, check.run(ctx, ia))
        i = j
    return ctx.verdicts


def model_verdicts(
    rows: pd.DataFrame,
    instruments: Mapping[str, Instrument | None],
    *,
    thresholds: VerdictThresholds | None = None,
    answers: str = "chosen",
    respondent: str = "condition",
    model: str | None = None,
    analysis: ModelAnalysis | None = None,
) -> ModelVerdicts:
    """The verdicts of ONE model's rows (the caller splits by model; see :func:`compute_verdicts`).

    ``rows`` is the condition-level long table (position, order and template checks need it); with
    ``respondent="persona"`` the reliability, MTMM, norm checks use person-level answers (conditions
    averaged). ``answers="expected"`` analyses logprob mode's probability-weighted values.
    ``analysis``: the model's :class:`~psychometry.report.analyses.ModelAnalysis` of these rows, when
    the caller shares it with the report's sections (made here otherwise)."""
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
    if analysis is None:
        analysis = ModelAnalysis(rows, instruments, answers=answers, respondent=respondent)
    vs = run_checks(CheckContext(analysis, th))
    analysed = analysis.analysed
    return ModelVerdicts(
        model=name,
        verdicts=vs,
        headline=headline(vs),
        n_responses=len(analysis.raw),
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
