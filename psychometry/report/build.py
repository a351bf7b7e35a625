"""``build_report``: from the long results table to a :class:`~psychometry.report.document.Report`.

Order of the report: the data, refusal rates, then per instrument its scale scores, psych::alpha and
omega per scale, item-rest correlations, the comparison with human norms, the CFA of the intended
scale structure and its measurement invariance across option orders and prompt templates, response
styles, template and option-order sensitivity and position bias; last the multitrait-multimethod
matrix when both BFI-44 and IPIP-NEO-120 are present.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Union

import pandas as pd

from psychometry.errors import PsychometryError
from psychometry.instrument.model import Instrument

from .analyses import ModelAnalysis
from .document import Report, Section
from .errors import ReportError
from .findings import degenerate_logprobs, findings_section
from .respondents import RESPONDENT_LEVELS, split_models
from .sections import (
    behaviour_section,
    comparison_sections,
    direction_section,
    instrument_sections,
    mtmm_section,
    overview,
    refusals,
)
from .thresholds import VerdictThresholds
from .verdicts import model_verdicts

__all__ = ["REQUIRED_COLUMNS", "build_report", "load_files", "report_from_file", "report_from_files"]

#: Columns the report cannot do without (the rest of the long-table contract is optional).
REQUIRED_COLUMNS: tuple[str, ...] = ("respondent", "instrument", "item", "scale", "value", "status")

InstrumentsArg = Union[None, Iterable[str | Instrument], Mapping[str, Instrument | None]]  # noqa: UP007


def _resolve_instruments(long: pd.DataFrame, instruments: InstrumentsArg) -> dict[str, Instrument | None]:
    """``{instrument id in the table: Instrument or None}``, in the order of ``instruments`` (default:
    order of first appearance in the table). Ids are loaded with ``load_instrument``; an id that is not
    shipped gives None (the report then leaves out the instrument-specific parts: norms, sum scoring)."""
    in_data = [str(v) for v in pd.unique(long["instrument"])]
    chosen: dict[str, Instrument | None] = {}
    if instruments is None:
        wanted: list[str | Instrument] = list(in_data)
    elif isinstance(instruments, Mapping):
        wanted = []
        for iid, inst in instruments.items():
            wanted.append(inst if isinstance(inst, Instrument) else str(iid))
    elif isinstance(instruments, (str, Instrument)):
        wanted = [instruments]
    else:
        wanted = list(instruments)
    for w in wanted:
        iid = w.id if isinstance(w, Instrument) else str(w)
        if iid not in in_data:
            raise ReportError(
                f"instrument {iid!r} is not in the results (instruments: {', '.join(in_data) or 'none'})"
            )
        if isinstance(w, Instrument):
            chosen[iid] = w
            continue
        try:
            from psychometry.instrument import load_instrument

            chosen[iid] = load_instrument(iid)
        except PsychometryError:
            chosen[iid] = None
    return chosen


def build_report(
    long_df: pd.DataFrame,
    instruments: InstrumentsArg = None,
    *,
    title: str = "psychometry report",
    source: str | Path | None = None,
    plots: bool = True,
    omega_min_items: int = 6,
    cfa_min_per_item: float = 2.0,
    cfa_max_items: int | None = 60,
    answers: str = "chosen",
    respondent: str = "condition",
    thresholds: VerdictThresholds | None = None,
    verdicts: bool = True,
    degenerate: Sequence[tuple[str, str]] = (),
) -> Report:
    """Compute the report of a long results table (``psychometry.load_results``).

    Parameters
    ----------
    long_df : the long results table (docs/architecture.md); it needs at least the columns
        :data:`REQUIRED_COLUMNS`, and uses the others (template, order, position, keyed ...) when present.
    instruments : which instruments to report, in this order: ids, :class:`Instrument` objects (e.g.
        your own YAML, loaded), or ``{id: Instrument}``. Default: every instrument in the table, loaded
        by id from the shipped instruments where possible.
    title : the report's title; ``source`` : the results file, named in the Data section.
    plots : draw the PNG plots (needed by ``to_markdown`` / ``to_html``; off for text-only reports).
    omega_min_items : fewest items of a scale for omega (with min(3, items // 3) group factors).
    cfa_min_per_item : fewest respondents with every item answered, per item in the CFA model.
    cfa_max_items : largest CFA model fitted (None: no limit); larger ones are reported as not computed.
    answers : ``"chosen"`` (default) analyses the chosen option's scale value (``value``);
        ``"expected"`` analyses logprob mode's probability-weighted value (``expected``) instead, which
        keeps the graded information a model with a strong label bias hides in its argmax. Position
        bias always uses the chosen position.
    respondent : ``"condition"`` (default): a respondent is one prompt condition (model, persona,
        template, option order, repeat); ``"persona"``: the answers of each person (model, persona,
        repeat) are averaged over its templates and option orders first, and the reliability, norm and
        validity sections analyse persons (the robustness sections still compare the conditions).
    thresholds : the cut-offs of the verdicts (:class:`~psychometry.report.verdicts.VerdictThresholds`).
    verdicts : lead the report with the findings (one block of verdicts per model).
    degenerate : ``(model, line)`` of runs whose log-likelihoods their source is known to make degenerate
        (recorded by ``psychometry results import``), printed first in the findings with those the data
        shows (:func:`~psychometry.report.findings.degenerate_logprobs`).

    Models are never pooled: with several models in the table, every statistic is computed per model
    and the models are shown side by side.

    Returns
    -------
    Report with ``text()``, ``to_markdown(dir)``, ``to_html(path)`` and the sections as data.

    Raises
    ------
    ReportError
        Not a DataFrame, a missing required column, no rows, or an instrument not in the table.
        Statistics that cannot be computed never raise: their section says ``not computed: reason``.

    Example
    -------
    >>> import psychometry
    >>> from psychometry.report import build_report
    >>> rep = build_report(psychometry.load_results("run.sqlite"))   # doctest: +SKIP
    >>> print(rep.text()); rep.to_html("report.html")                # doctest: +SKIP
    """
    if not isinstance(long_df, pd.DataFrame):
        raise ReportError(
            f"build_report: expected the long results table as a pandas DataFrame, "
            f"got {type(long_df).__name__}"
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in long_df.columns]
    if missing:
        raise ReportError(
            f"build_report: the table has no column(s) {', '.join(missing)}: "
            "not a psychometry long results table (see docs/architecture.md)"
        )
    if long_df.empty:
        raise ReportError("build_report: the results table has no rows")
    long_df = long_df.reset_index(drop=True)
    if answers not in ("chosen", "expected"):
        raise ReportError(f"build_report: answers must be 'chosen' or 'expected', got {answers!r}")
    if answers == "expected":
        if "expected" not in long_df.columns or long_df["expected"].isna().all():
            raise ReportError(
                "build_report: answers='expected' needs logprob-mode results (the 'expected' "
                "column is missing or empty)"
            )
        long_df = long_df.assign(value=long_df["expected"], _chosen=long_df["value"])
    if respondent not in RESPONDENT_LEVELS:
        raise ReportError(
            f"build_report: respondent must be one of {', '.join(RESPONDENT_LEVELS)}, got {respondent!r}"
        )
    chosen = _resolve_instruments(long_df, instruments)
    rep = Report(title=title)
    subset = long_df[long_df["instrument"].astype(str).isin(list(chosen))].reset_index(drop=True)
    models = split_models(subset)
    # one shared analysis per model (the verdicts' rows: the chosen answers, as the answer and position
    # checks read them); its statistics are computed once, for the verdicts and the sections alike
    raw = subset.assign(value=subset["_chosen"]) if "_chosen" in subset.columns else subset
    analyses = {
        name: ModelAnalysis(rows, chosen, answers=answers, respondent=respondent)
        for name, rows in split_models(raw)
    }
    if verdicts:
        rep.verdicts = [
            model_verdicts(
                ma.raw,
                chosen,
                thresholds=thresholds,
                answers=answers,
                respondent=respondent,
                model=name,
                analysis=ma,
            )
            for name, ma in analyses.items()
        ]
        found = [(name, line) for name, rows in models if (line := degenerate_logprobs(rows))]
        found += [d for d in degenerate if d[0] not in {n for n, _ in found}]
        rep.sections.append(
            findings_section(rep.verdicts, thresholds or VerdictThresholds(), degenerate=found)
        )
    rep.sections.append(
        overview(
            subset,
            chosen,
            str(source) if source is not None else None,
            answers=answers,
            respondent=respondent,
        )
    )
    several = len(models) > 1
    per_model: list[tuple[str, dict[str, pd.DataFrame | None], list[Section]]] = []
    for name, rows in models:
        ma = analyses[name]
        secs: list[Section] = []
        secs.append(refusals(rows))
        scores: dict[str, pd.DataFrame | None] = {}
        for iid in chosen:
            ia = ma.instrument(iid)
            if ia is None:
                continue
            s_, sc = instrument_sections(
                ia,
                plots=plots,
                omega_min_items=omega_min_items,
                cfa_min_per_item=cfa_min_per_item,
                cfa_max_items=cfa_max_items,
                model_label=name,
                thresholds=thresholds,
                # the scales of the invariance verdicts' fits (the condition-level rows'), so that the
                # sections print the same fits
                invariance_scales=ia.cond_scale_ids if verdicts else None,
            )
            secs += s_
            scores[iid] = sc
        m = mtmm_section(ma, scores, plots_on=plots)
        if m is not None:
            secs.append(m)
        b = behaviour_section(ma.behaviour, plots_on=plots)
        if b is not None:
            secs.append(b)
        d = direction_section(ma.direction)
        if d is not None:
            secs.append(d)
        per_model.append((name, scores, secs))
    if several:
        rep.sections += comparison_sections(
            per_model,
            chosen,
            plots=plots,
            thresholds=thresholds or VerdictThresholds(),
            verdicts=rep.verdicts,
        )
        for name, _, secs in per_model:
            rep.sections.append(
                Section(
                    key=f"model:{name}",
                    title=f"Model {name}",
                    level=1,
                    body=f"Every section below uses the responses of {name} only.",
                )
            )
            for sec in secs:
                sec.key = f"{name}/{sec.key}"
                if not sec.title.startswith(name):
                    sec.title = f"{name}: {sec.title}"
                sec.level = max(sec.level, 2)
                sec.figures = [replace(f, name=f"{name}-{f.name}") for f in sec.figures]
            rep.sections += secs
    else:
        for _, _, secs in per_model:
            rep.sections += secs
    return rep


def report_from_file(
    path: str | Path, *, run_id: str | None = None, instruments: InstrumentsArg = None, **kwargs
) -> Report:
    """:func:`build_report` of a results file (``load_results(path, run_id=run_id)``).

    Raises ``StoreError`` for a missing file or one that is not a results file, and
    :class:`ReportError` when ``run_id`` names no run of the file.
    """
    from psychometry.results import load_results, run_info

    long_df = load_results(path, run_id=run_id)
    if long_df.empty:
        runs = [r["run_id"] for r in run_info(path)]
        if run_id is not None:
            raise ReportError(f"{path}: no responses of run {run_id!r} (runs: {', '.join(runs) or 'none'})")
        raise ReportError(f"{path}: the results file holds no responses yet")
    kwargs.setdefault("source", str(path))
    kwargs.setdefault("degenerate", recorded_degenerate(path))
    return build_report(long_df, instruments, **kwargs)


def recorded_degenerate(path: str | Path) -> list[tuple[str, str]]:
    """``(model, line)`` of the runs of ``path`` whose manifest records degenerate log-likelihoods
    (``psychometry results import``)."""
    from psychometry.results import run_info

    out = []
    for r in run_info(path):
        m = r["manifest"]
        if m.get("degenerate"):
            out.append((str(m.get("model", {}).get("name", "")), str(m["degenerate"])))
    return out


def load_files(paths: Sequence[str | Path], *, run_id: str | None = None) -> pd.DataFrame:
    """The long tables of several results files, one below the other, with a ``_file`` column.

    A model found in more than one file is renamed ``model [file stem]`` in each (with its respondent
    ids prefixed likewise), so two runs of the same model in two files are compared, not pooled."""
    from psychometry.results import load_results, run_info

    frames = []
    for path in paths:
        df = load_results(path, run_id=run_id)
        if df.empty:
            runs = [r["run_id"] for r in run_info(path)]
            if run_id is not None:
                raise ReportError(
                    f"{path}: no responses of run {run_id!r} (runs: {', '.join(runs) or 'none'})"
                )
            raise ReportError(f"{path}: the results file holds no responses yet")
        frames.append(df.assign(_file=str(path)))
    if len(frames) == 1:
        return frames[0].drop(columns="_file")
    if "model" in frames[0].columns:
        seen: dict[str, int] = {}
        for df in frames:
            for m in pd.unique(df["model"].astype(str)):
                seen[m] = seen.get(m, 0) + 1
        for i, df in enumerate(frames):
            stem = Path(str(df["_file"].iloc[0])).stem
            dup = df["model"].astype(str).map(lambda m: seen.get(m, 0) > 1)
            if dup.any():
                df = df.copy()
                df.loc[dup, "model"] = df.loc[dup, "model"].astype(str) + f" [{stem}]"
                df.loc[dup, "respondent"] = stem + ":" + df.loc[dup, "respondent"].astype(str)
                frames[i] = df
    return pd.concat(frames, ignore_index=True)


def report_from_files(
    paths: Sequence[str | Path], *, run_id: str | None = None, instruments: InstrumentsArg = None, **kwargs
) -> Report:
    """:func:`build_report` of one or more results files (:func:`load_files`): each model is reported
    on its own and the models side by side."""
    paths = list(paths)
    if len(paths) == 1:
        return report_from_file(paths[0], run_id=run_id, instruments=instruments, **kwargs)
    long_df = load_files(paths, run_id=run_id)
    kwargs.setdefault("source", ", ".join(str(p) for p in paths))
    kwargs.setdefault("degenerate", [d for p in paths for d in recorded_degenerate(p)])
    return build_report(long_df, instruments, **kwargs)
