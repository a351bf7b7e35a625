"""Scale scores, type letters and z-scores of questionnaire answers.

``score(instrument, responses)`` turns raw item answers (one respondent, or a wide DataFrame with one
row per respondent and one column per item id) into one row of scores per respondent:

- **Reverse keying**: a reverse-keyed item's value ``x`` is scored ``min + max - x``, where ``min``
  and ``max`` are the ends of the response scale (likert/bipolar: ``response_format.min`` and
  ``min + points - 1``; choice: the smallest and largest option value of that item). On a 1-5 scale
  5 becomes 1, 4 becomes 2 (the usual ``6 - x``).
- **Scale score**: ``mean`` scoring is the mean of the scale's answered (keyed) items; ``sum``
  scoring is that mean times the scale's number of items (for a complete scale: exactly the item
  sum). The scale's ``offset`` is then added. Reverse keying and scale scores are computed by
  :func:`psychometry.stats.tidy.scale_scores`, the package's one scale scorer (this module adds the
  instrument's definitions, range checks, type letters and norms).
- **Missing items** (NaN or absent column): the score is pro-rated from the answered items when at
  least ``min_items`` of the scale's ``n`` items are answered, else NaN. ``min_items`` is, in order of
  precedence, the ``min_items`` argument (one number for all scales, or ``{scale: number}``), the
  scale's ``min_items`` field, or ``ceil(n / 2)`` (at least half the items). Pro-rating a mean is the
  person-mean imputation of Schafer & Graham (2002); a pro-rated sum is ``mean x n``.
- **Dichotomies** (OEJTS): letter ``high`` if the scale score is above ``cutoff``, ``low`` if below,
  and at exactly ``cutoff`` the ``tie`` rule (``low``, ``high``, or ``x`` giving the letter ``X``). The
  ``type`` column joins the letters in the order of the instrument's dichotomies (``INTJ``); NaN scores
  give no letter and no type.
- **z-scores** ``z_<scale> = (score - norm.mean) / norm.sd`` against the instrument's human norms.

References: John & Srivastava (1999), BFI scoring (reverse keying ``6 - x``, scale means);
Jorgenson, OEJTS 1.2 scoring formulas and the ``> 24`` type rule; Schafer, J. L., & Graham, J. W.
(2002). Missing data: Our view of the state of the art. *Psychological Methods, 7*, 147-177.

Example
-------
>>> from psychometry import load_instrument, score
>>> bfi = load_instrument("bfi44")
>>> row = score(bfi, {item.id: 5 for item in bfi.items})
>>> round(float(row.loc[0, "E"]), 3)   # 5 forward items at 5, 3 reverse-keyed at 6 - 5 = 1
3.5
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Union

import numpy as np
import pandas as pd

from .errors import PsychometryError
from .instrument.model import Instrument
from .stats.tidy import scale_scores

__all__ = ["ScoringError", "item_range", "score", "score_long"]

Responses = Union[Mapping[str, float], pd.Series, pd.DataFrame]  # noqa: UP007


class ScoringError(PsychometryError):
    """Answers that cannot be scored (a value outside the response scale, text where a number belongs)."""


def item_range(instrument: Instrument, item_id: str) -> tuple[float, float]:
    """The lowest and highest value an item can take (its options' values for choice items)."""
    item = instrument.item(item_id)
    if item.options:
        values = [o.value for o in item.options]
        return float(min(values)), float(max(values))
    rf = instrument.response_format
    return float(rf.min), float(rf.max)


def _as_frame(responses: Responses) -> pd.DataFrame:
    if isinstance(responses, pd.DataFrame):
        return responses
    if isinstance(responses, pd.Series):
        return responses.to_frame().T.reset_index(drop=True)
    if isinstance(responses, Mapping):
        return pd.DataFrame([dict(responses)])
    raise ScoringError(
        f"responses must be a dict or Series (one respondent: item id -> value) or a DataFrame "
        f"(rows = respondents, columns = item ids), not {type(responses).__name__}"
    )


def _threshold(n: int, scale_min: int | None, override: int | Mapping[str, int] | None, sid: str) -> int:
    chosen = scale_min
    if isinstance(override, Mapping):
        if sid in override:
            chosen = override[sid]
    elif override is not None:
        chosen = override
    if chosen is None:
        return math.ceil(n / 2)
    if isinstance(chosen, bool) or not isinstance(chosen, (int, np.integer)) or chosen < 1:
        raise ScoringError(f"min_items for scale {sid} must be a whole number >= 1, not {chosen!r}")
    return min(int(chosen), n)


def _scale_scores(
    instrument: Instrument, values: pd.DataFrame, min_items: int | Mapping[str, int] | None
) -> pd.DataFrame:
    """One column per scale: :func:`psychometry.stats.tidy.scale_scores` (the package's one scale
    scorer) on ``values`` (raw item values, one row per respondent) as a long table, with each
    scale's method, offset and minimum number of answered items."""
    n_resp = len(values)
    result = pd.DataFrame(index=values.index)
    pairs = [(sc.id, item_id) for sc in instrument.scales for item_id in sc.items]
    if not pairs or n_resp == 0:
        for scale in instrument.scales:
            result[scale.id] = pd.Series(np.nan, index=values.index, dtype=float)
        return result
    item_ids = [item_id for _, item_id in pairs]
    ranges = [item_range(instrument, item_id) for item_id in item_ids]
    # the long table: one row per (scale item, respondent), item by item
    long = pd.DataFrame(
        {
            "respondent": np.tile(np.arange(n_resp), len(pairs)),
            "scale": np.repeat([sid for sid, _ in pairs], n_resp),
            "keyed": np.repeat([instrument.item(i).keyed for i in item_ids], n_resp),
            "value": values[item_ids].to_numpy(dtype=float).T.reshape(-1),
            "shown_values": np.repeat([f"{lo!r},{hi!r}" for lo, hi in ranges], n_resp),
        }
    )
    scores = scale_scores(
        long,
        instrument=None,
        status=None,
        factors=(),
        method={sc.id: sc.scoring for sc in instrument.scales},
        offset={sc.id: float(sc.offset) for sc in instrument.scales},
        min_items={
            sc.id: _threshold(len(sc.items), sc.min_items, min_items, sc.id) for sc in instrument.scales
        },
    )
    wide = scores.pivot(index="respondent", columns="scale", values="score")
    wide = wide.reindex(index=np.arange(n_resp), columns=[sc.id for sc in instrument.scales])
    return pd.DataFrame(wide.to_numpy(dtype=float), index=values.index, columns=list(wide.columns))


def score(
    instrument: Instrument | str, responses: Responses, *, min_items: int | Mapping[str, int] | None = None
) -> pd.DataFrame:
    """Score answers on every scale of ``instrument``.

    Parameters
    ----------
    instrument : Instrument or str
        The instrument (or a shipped id / a file path, loaded with ``load_instrument``).
    responses : dict, Series or DataFrame
        Raw item values (before reverse keying), keyed by item id. A dict/Series is one respondent;
        a DataFrame has one row per respondent and one column per item id (other columns are
        ignored; absent item columns count as missing). Values may be fractional (e.g. the
        ``expected`` column of logprob mode) but must lie within the item's response scale.
    min_items : int or dict, optional
        Fewest answered items for a (pro-rated) score, overriding each scale's ``min_items``
        (default: the scale's ``min_items``, else half its items rounded up).

    Returns
    -------
    DataFrame
        One row per respondent (the DataFrame's index; ``0`` for a single respondent): a column per
        scale id, then ``<scale>_letter`` per dichotomy and ``type`` (instruments with
        dichotomies), then ``z_<scale>`` per scale with norms.

    Raises
    ------
    ScoringError
        A value outside the response scale or not a number (the message names the item and the
        respondent), or responses that contain none of the instrument's items.
    """
    if not isinstance(instrument, Instrument):
        from .instrument.load import load_instrument

        instrument = load_instrument(instrument)
    frame = _as_frame(responses)
    ids = list(instrument.item_ids)
    present = [i for i in ids if i in frame.columns]
    if not present and len(frame.columns):
        raise ScoringError(
            f"{instrument.id}: none of the responses' keys are item ids of the instrument "
            f"(got {', '.join(map(str, list(frame.columns)[:5]))}...; expected e.g. {', '.join(ids[:3])})"
        )

    labels = frame.index  # respondents' labels, restored on the result
    frame = frame.reset_index(drop=True)  # positional from here on (duplicate labels are fine)
    values = pd.DataFrame(index=frame.index, columns=ids, dtype=float)
    for item_id in present:
        col = frame[item_id]
        if isinstance(col, pd.DataFrame):
            raise ScoringError(f"{instrument.id}: item {item_id}: two columns carry this item id")
        num = pd.to_numeric(col, errors="coerce")
        bad = num.isna() & col.notna()
        if bad.any():
            who = bad[bad].index[0]
            raise ScoringError(
                f"{instrument.id}: item {item_id}: value {col[who]!r} "
                f"(respondent {labels[who]!r}) "
                "is not a number"
            )
        num = num.astype(float)
        lo, hi = item_range(instrument, item_id)
        out = (num < lo) | (num > hi)
        if out.any():
            who = out[out].index[0]
            raise ScoringError(
                f"{instrument.id}: item {item_id}: value {num[who]:g} "
                f"(respondent {labels[who]!r}) "
                f"is outside the response scale {lo:g}..{hi:g}"
            )
        values[item_id] = num  # raw: stats.scale_scores reverse-keys

    result = _scale_scores(instrument, values, min_items)

    if instrument.dichotomies:
        letters = []
        for d in instrument.dichotomies:
            s = result[d.scale]
            tie_letter = {"low": d.low, "high": d.high, "x": "X"}[d.tie]
            letter = pd.Series(
                np.where(s > d.cutoff, d.high, np.where(s < d.cutoff, d.low, tie_letter)),
                index=result.index,
                dtype=object,
            ).where(s.notna(), None)
            col = f"{d.scale}_letter"
            result[col] = letter
            letters.append(col)
        complete = result[letters].notna().all(axis=1)
        joined = result[letters].fillna("").astype(str).agg("".join, axis=1)
        result["type"] = pd.Series(
            [t if ok else None for t, ok in zip(joined, complete)], index=result.index, dtype=object
        )

    for norm in instrument.norms:
        result[f"z_{norm.scale}"] = (result[norm.scale] - norm.mean) / norm.sd
    result.index = labels
    return result


def score_long(
    results: pd.DataFrame,
    instrument: Instrument | str,
    *,
    value: str = "value",
    min_items: int | Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Score the long results table (``docs/architecture.md``) of one instrument.

    Rows of ``instrument`` with ``status == "ok"`` are pivoted to one row per ``respondent`` and one
    column per item (``value``: the raw answer, or ``"expected"`` for logprob mode's
    probability-weighted value), then scored with :func:`score`. Every respondent of the instrument
    appears, with NaN scores where too few items were answered (refusals and unparsed answers
    count as missing).

    Raises :class:`ScoringError` when a respondent has more than one row for an item (e.g. the
    table pools runs whose respondent ids coincide): nothing is silently dropped or averaged.
    """
    if not isinstance(instrument, Instrument):
        from .instrument.load import load_instrument

        instrument = load_instrument(instrument)
    for col in ("instrument", "respondent", "item", "status", value):
        if col not in results.columns:
            raise ScoringError(f"the results table has no column {col!r}")
    mine = results[results["instrument"] == instrument.id]
    dup = mine.duplicated(["respondent", "item"], keep=False)
    if dup.any():
        first = mine[dup].iloc[0]
        n_pairs = int(mine[dup].drop_duplicates(["respondent", "item"]).shape[0])
        runs = ""
        if "run_id" in mine.columns:
            ids = pd.unique(
                mine.loc[
                    dup & (mine["respondent"] == first["respondent"]) & (mine["item"] == first["item"]),
                    "run_id",
                ]
            )
            if len(ids) > 1:
                runs = f" (runs {', '.join(map(str, ids))})"
        raise ScoringError(
            f"{instrument.id}: respondent {first['respondent']!r} has "
            f"{int(((mine['respondent'] == first['respondent']) & (mine['item'] == first['item'])).sum())} "
            f"rows for item {first['item']}{runs}; {n_pairs} (respondent, item) pair(s) are duplicated. "
            "Score one run at a time (load_results(path, run_id=...)) or give the respondents distinct ids"
        )
    ok = mine[mine["status"] == "ok"]
    wide = ok.pivot_table(index="respondent", columns="item", values=value, aggfunc="first")  # unique pairs
    wide = wide.reindex(pd.unique(mine["respondent"]))
    wide.index.name = "respondent"
    wide = wide.reindex(columns=list(instrument.item_ids))
    return score(instrument, wide, min_items=min_items)
