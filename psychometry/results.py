"""The tidy long results table, read from a results file written by :func:`psychometry.administer`.

One row per administered (simulated respondent, item); the columns are the contract in
``docs/architecture.md`` (:data:`COLUMNS`, in that order; the one list lives in
:mod:`psychometry.store`). The SQL lives in :class:`~psychometry.store.Store`; this module decodes the
stored JSON probabilities once (``probs`` a dict, ``position_probs`` a list) and encodes them back for
:func:`export_results`.

What one administration did is a :class:`RunResult` (returned by :func:`psychometry.administer`),
and :func:`summarise` describes its scale scores across respondents (the end-of-run summary).

Runs and shared responses: a response is stored once, by the first run that asked for it, and
belongs to every run that planned it (``run_responses``, see :mod:`psychometry.store`).
``load_results(path)`` returns every stored response once, its ``run_id`` naming the run that wrote
it; ``load_results(path, run_id=R)`` returns every stored response of run R's design, including
those an earlier run wrote, with ``run_id`` = R.

Example
-------
>>> import psychometry
>>> df = psychometry.load_results("psychometry-run.sqlite")  # doctest: +SKIP
>>> df.groupby(["instrument", "scale", "order"])["value"].mean()  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import StoreError
from .store import COLUMNS, Store

if TYPE_CHECKING:
    from .instrument.model import Instrument

__all__ = [
    "COLUMNS",
    "RunResult",
    "decode_position_probs",
    "decode_probs",
    "export_results",
    "load_prompts",
    "load_results",
    "run_info",
    "summarise",
]

_FLOATS = ("value", "position", "expected", "entropy", "label_mass", "payoff")
_INTS = ("repeat", "keyed")


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def decode_probs(text: str | None) -> dict[float, float] | None:
    """A stored ``probs`` cell (JSON ``{"scale value": p}``) as ``{scale value: p}`` with float keys
    and values, in stored (ascending value) order; None stays None."""
    if _missing(text):
        return None
    return {float(k): float(v) for k, v in json.loads(str(text)).items()}


def decode_position_probs(text: str | None) -> list[float] | None:
    """A stored ``position_probs`` cell (a JSON list) as a list of floats; None stays None."""
    if _missing(text):
        return None
    return [float(p) for p in json.loads(str(text))]


def load_results(
    path: str | Path,
    *,
    run_id: str | None = None,
    answers: str = "raw",
    debias: str = "auto",
    share: float | None = None,
) -> pd.DataFrame:
    """The long results table of a results file (all runs, or one ``run_id``).

    Rows come in the order they were written. ``value``, ``position``, ``expected``, ``entropy``
    and ``label_mass`` are floats (NaN where not applicable); ``repeat`` and ``keyed`` are ints.
    Game rounds fill ``round`` (a nullable int), ``opponent``, ``action``, ``opponent_action`` and
    ``payoff`` (float); they are missing (<NA>, None, NaN) on questionnaire rows.
    ``probs`` is a dict ``{scale value (float): probability}`` and ``position_probs`` a list of
    floats in shown order (logprob mode; None otherwise, and ``position_probs`` is None in files
    written before it existed).
    Without ``run_id`` every stored response appears once (``run_id``: the run that wrote it);
    with ``run_id`` every stored response of that run's design, shared ones included (``run_id``
    set to the one asked for). The file is opened read-only.

    ``answers="debiased"`` (logprob mode) returns the answers with the position bias taken out, an
    analysis choice (the file keeps the raw probabilities): ``debias`` is ``permutation`` (average
    over all cyclic rotations of the options), ``pride`` (a position prior estimated on the items
    answered under every rotation, ``share`` of them, divided out) or ``calibration`` (divided by the
    content-free answer of the same prompt); ``auto`` picks by what the run holds, in that order
    (:func:`psychometry.stats.robustness.debias.debias_answers`; docs/statistics/debias.md). The
    ``debias`` column names the method.
    """
    if answers not in ("raw", "debiased"):
        raise StoreError(f"load_results: answers must be 'raw' or 'debiased', not {answers!r}")
    df = _frame(path, run_id=run_id, decode=True)
    if answers == "raw":
        return df
    from .stats.robustness.debias import debias_answers

    return debias_answers(df, method=debias, share=share)


def _frame(path: str | Path, *, run_id: str | None, decode: bool) -> pd.DataFrame:
    """The stored rows as the long table; ``decode``: the JSON probability fields as Python values
    (else their stored text)."""
    with Store(path, create=False) as st:
        rows = st.responses(run_id)
    df = pd.DataFrame.from_records(rows, columns=list(COLUMNS))
    if run_id is not None:
        df["run_id"] = run_id
    for c in _FLOATS:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    for c in _INTS:
        df[c] = df[c].astype("int64")
    df["round"] = pd.to_numeric(df["round"], errors="coerce").astype("Int64")  # games only: <NA> elsewhere
    if decode:
        df["probs"] = pd.Series([decode_probs(x) for x in df["probs"]], index=df.index, dtype=object)
        df["position_probs"] = pd.Series(
            [decode_position_probs(x) for x in df["position_probs"]], index=df.index, dtype=object
        )
    return df


def load_prompts(path: str | Path) -> dict[str, str]:
    """``{prompt_hash: exact prompt text}`` for every prompt stored in the file."""
    with Store(path, create=False) as st:
        return st.prompts()


def run_info(path: str | Path) -> list[dict[str, Any]]:
    """Every run in the file with its configuration, manifest and number of stored responses
    (``n_responses``: of the run's design, shared responses included)."""
    with Store(path, create=False) as st:
        return st.runs()


def export_results(path: str | Path, fmt: str = "csv", out: str | Path | None = None) -> str | None:
    """Write the long table as ``csv`` or ``json`` (records) to ``out`` (parent folders are
    created); return the text when ``out`` is None. ``probs`` and ``position_probs`` are written as
    their JSON text, as stored. Raises :class:`StoreError` when ``out`` is a directory or cannot be
    written."""
    if fmt not in ("csv", "json"):
        raise StoreError(f"unknown export format {fmt!r}: use csv or json")
    df = _frame(path, run_id=None, decode=False)  # probs and position_probs: the stored text
    if fmt == "csv":
        text = df.to_csv(index=False)
    else:
        text = json.dumps(json.loads(df.to_json(orient="records")), indent=1)
    if out is None:
        return text
    target = Path(out)
    if target.is_dir():
        raise StoreError(f"cannot export to {target}: it is a directory; give a file name")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"cannot export to {target}: {exc.strerror or exc}") from None
    return None


# ------------------------------------------------------------------------------ a run's summary
@dataclass
class RunResult:
    """What :func:`psychometry.administer` did: the file, the run, and how many responses were written."""

    path: Path
    run_id: str
    planned: int
    written: int
    skipped: int
    resumed: bool
    seconds: float
    response_ids: frozenset[str] = field(default_factory=frozenset, repr=False)
    instruments: tuple[Instrument, ...] = field(default=(), repr=False)
    notes: tuple[str, ...] = ()

    def results(self) -> pd.DataFrame:
        """This run's rows of the long table: every stored response of its design, including
        those an earlier run of the file stored (``load_results(path, run_id=run_id)``)."""
        return load_results(self.path, run_id=self.run_id)

    def summary_frame(self) -> pd.DataFrame:
        """Per instrument and scale: respondents, mean/SD/min/max of the scale score, and the
        refusal and unparsed rates (see :func:`summarise`)."""
        return summarise(self.results(), self.instruments)

    def summary(self) -> str:
        """The summary printed at the end of ``psychometry administer``."""
        head = (
            f"{self.path}: run {self.run_id}: {self.planned} responses planned, "
            f"{self.written} written now, {self.skipped} already stored"
            f"{' (resumed)' if self.resumed else ''}; {self.seconds:.1f} s"
        )
        head += "".join(f"\nnote: {n}" for n in self.notes)
        tab = self.summary_frame()
        if tab.empty:
            return head
        with pd.option_context("display.width", 120, "display.max_rows", 500):
            body = tab.to_string(index=False, float_format=lambda x: f"{x:.2f}")
        return head + "\n" + body


def _describe(per: pd.Series) -> dict[str, float]:
    return {
        "n": int(per.size),
        "mean": float(per.mean()) if per.size else math.nan,
        "sd": float(per.std(ddof=1)) if per.size > 1 else math.nan,
        "min": float(per.min()) if per.size else math.nan,
        "max": float(per.max()) if per.size else math.nan,
    }


def _mean_value(rows: pd.DataFrame) -> pd.Series:
    """Per respondent: the mean value of the rows (a game's rounds; the answers after pushback)."""
    return rows.groupby("respondent")["value"].mean().dropna().astype(float)


def _flip_share(rows: pd.DataFrame) -> pd.Series:
    """Per respondent: the share of second answers that differ from the first."""
    return (rows["action"] == "flipped").groupby(rows["respondent"]).mean().astype(float)


def _scored(scores: pd.DataFrame, scale: str) -> Callable[[pd.DataFrame], pd.Series]:
    """The scale's scores of :func:`psychometry.scoring.score_long` (whatever the rows)."""
    return lambda rows: scores[scale].dropna().astype(float)


def summarise(df: pd.DataFrame, instruments: Sequence[Instrument]) -> pd.DataFrame:
    """Scale scores per simulated respondent, described across respondents.

    Scores come from :func:`psychometry.scoring.score_long` (reverse keying ``min + max - v``,
    ``mean`` or pro-rated ``sum`` scoring, offsets, ``min_items``). Returns one row per
    (instrument, scale) of ``instruments`` found in ``df``: ``n`` respondents with a score,
    ``mean``, ``sd`` (n - 1), ``min``, ``max``, and the share of the scale's responses
    ``refused`` / ``unparsed``. A game (``kind: game``) gets one row per opponent, its scale
    named ``<measure> vs <opponent>``: the mean action value over the rounds played (e.g. the
    share of cooperative moves) per respondent. An instrument of two-turn items (``followup``) gets
    its scales scored on the first answers, ``<scale> after pushback`` on the second, and
    ``flipped``: the share of second answers that differ from the first.
    """
    from .scoring import score_long  # the statistics load only when a summary is asked for

    cols = ["instrument", "scale", "n", "mean", "sd", "min", "max", "refused", "unparsed"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    out = []
    present = [inst for inst in instruments if (df["instrument"] == inst.id).any()]
    second_turns = df["instrument"].isin([i.id for i in present if i.followup]) & (df["round"] == 2)
    first = df[~second_turns.fillna(False).astype(bool)]
    scores = {inst.id: score_long(first, inst) for inst in present if inst.game is None}
    for inst in present:
        mine = df[df["instrument"] == inst.id]
        # (row name, its rows, the per-respondent score of those rows)
        groups: list[tuple[str, pd.DataFrame, Callable[[pd.DataFrame], pd.Series]]]
        if inst.game is not None:
            groups = [
                (f"{sc.id} vs {o}", g, _mean_value)
                for sc in inst.scales
                for o, g in mine.groupby("opponent", sort=False)
            ]
        elif inst.followup:
            second = mine[mine["round"] == 2]
            groups = [
                (
                    sc.id,
                    mine[(mine["scale"] == sc.id) & (mine["round"] == 1)],
                    _scored(scores[inst.id], sc.id),
                )
                for sc in inst.scales
            ]
            groups += [
                (f"{sc.id} after pushback", second[second["scale"] == sc.id], _mean_value)
                for sc in inst.scales
            ]
            groups.append(("flipped", second, _flip_share))
        else:
            groups = [
                (sc.id, mine[mine["scale"] == sc.id], _scored(scores[inst.id], sc.id)) for sc in inst.scales
            ]
        for name, g, score in groups:
            if g.empty:
                continue
            total = len(g)
            rates = {
                "refused": float((g["status"] == "refused").sum() / total),
                "unparsed": float((g["status"] == "unparsed").sum() / total),
            }
            out.append({"instrument": inst.id, "scale": name, **_describe(score(g)), **rates})
    return pd.DataFrame(out, columns=cols)
