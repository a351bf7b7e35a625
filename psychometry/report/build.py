"""``build_report``: from the long results table to a :class:`~psychometry.report.document.Report`.

Order of the report: the data, refusal rates, then per instrument its scale scores, psych::alpha and
omega per scale, item-rest correlations, the comparison with human norms, the CFA of the intended
scale structure, response styles, template and option-order sensitivity and position bias; last the
multitrait-multimethod matrix when both BFI-44 and IPIP-NEO-120 are present.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping, Union

import pandas as pd

from psychometry.errors import PsychometryError
from psychometry.instrument.model import Instrument

from .document import Report
from .errors import ReportError
from .sections import instrument_sections, mtmm_section, overview, refusals

__all__ = ["build_report", "report_from_file", "REQUIRED_COLUMNS"]

#: Columns the report cannot do without (the rest of the long-table contract is optional).
REQUIRED_COLUMNS: tuple[str, ...] = ("respondent", "instrument", "item", "scale", "value", "status")

InstrumentsArg = Union[None, Iterable[Union[str, Instrument]], Mapping[str, Union[Instrument, None]]]


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
            raise ReportError(f"instrument {iid!r} is not in the results (instruments: {', '.join(in_data) or 'none'})")
        if isinstance(w, Instrument):
            chosen[iid] = w
            continue
        try:
            from psychometry.instrument import load_instrument

            chosen[iid] = load_instrument(iid)
        except PsychometryError:
            chosen[iid] = None
    return chosen


def build_report(long_df: pd.DataFrame, instruments: InstrumentsArg = None, *, title: str = "psychometry report",
                 source: str | Path | None = None, plots: bool = True, omega_min_items: int = 6,
                 cfa_min_per_item: float = 2.0, cfa_max_items: int | None = 60,
                 answers: str = "chosen") -> Report:
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
        raise ReportError(f"build_report: expected the long results table as a pandas DataFrame, "
                          f"got {type(long_df).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in long_df.columns]
    if missing:
        raise ReportError(f"build_report: the table has no column(s) {', '.join(missing)}: "
                          "not a psychometry long results table (see docs/architecture.md)")
    if long_df.empty:
        raise ReportError("build_report: the results table has no rows")
    long_df = long_df.reset_index(drop=True)
    if answers not in ("chosen", "expected"):
        raise ReportError(f"build_report: answers must be 'chosen' or 'expected', got {answers!r}")
    if answers == "expected":
        if "expected" not in long_df.columns or long_df["expected"].isna().all():
            raise ReportError("build_report: answers='expected' needs logprob-mode results (the 'expected' "
                              "column is missing or empty)")
        long_df = long_df.assign(value=long_df["expected"], _chosen=long_df["value"])
    chosen = _resolve_instruments(long_df, instruments)
    rep = Report(title=title)
    subset = long_df[long_df["instrument"].astype(str).isin(list(chosen))]
    rep.sections.append(overview(subset, chosen, str(source) if source is not None else None, answers=answers))
    rep.sections.append(refusals(subset))
    scores: dict[str, pd.DataFrame | None] = {}
    for iid, inst in chosen.items():
        rows = subset[subset["instrument"].astype(str) == iid].reset_index(drop=True)
        secs, sc = instrument_sections(iid, rows, inst, plots=plots, omega_min_items=omega_min_items,
                                       cfa_min_per_item=cfa_min_per_item, cfa_max_items=cfa_max_items)
        rep.sections += secs
        scores[iid] = sc
    m = mtmm_section(scores)
    if m is not None:
        rep.sections.append(m)
    return rep


def report_from_file(path: str | Path, *, run_id: str | None = None, instruments: InstrumentsArg = None,
                     **kwargs) -> Report:
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
    return build_report(long_df, instruments, **kwargs)
