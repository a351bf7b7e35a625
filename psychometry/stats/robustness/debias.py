"""Position debiasing of logprob-mode answers, an analysis choice: the stored probabilities stay raw,
and each function returns the long table with ``probs``, ``position_probs``, ``expected``, ``value``,
``position`` and ``entropy`` recomputed from a debiased distribution (and a ``debias`` column naming
the method).

* :func:`permutation_debias`: average each item's option distribution over the option orders that
  show every option at every position equally often (all cyclic rotations, ``--orders rotate``; or
  every permutation, ``--orders all``): the permutation baseline of Zheng et al. (2024).
* :func:`pride_debias`: PriDe (Zheng et al. 2024): estimate the model's prior over the shown
  *positions* from a share of items answered under all cyclic rotations, then divide every answer's
  position distribution by it and renormalise.
* :func:`calibrate_content_free`: contextual calibration (Zhao et al. 2021): divide by the
  distribution the model gives a content-free item ("N/A") under the same template, option order and
  persona (:func:`psychometry.instrument.content_free.content_free_instrument` makes those items).

:func:`debias_answers` picks the method by what the table holds (the one entry point of
``psychometry.load_results(..., answers="debiased")``).

The three share one model of an answer (Zheng et al. 2024, section 4): the observed probability of
the option at shown position j of a prompt is proportional to a prior over positions times the
probability of the option's content,

    P_obs(j | q, x^I)  =  Z^-1  P_prior(j)  P_content(o_I(j) | q)

References
----------
Zheng, C., Zhou, H., Meng, F., Zhou, J., & Huang, M. (2024). Large language models are not robust
multiple choice selectors. ICLR 2024 (arXiv:2309.03882). Official code:
github.com/chujiezheng/LLM-MCQ-Bias (``code/debias_utils.py``, ``code/debias_pride.py``).
Zhao, Z., Wallace, E., Feng, S., Klein, D., & Singh, S. (2021). Calibrate before use: improving
few-shot performance of language models. ICML 2021, PMLR 139, 12697-12706.

Formulas and the tests that check them: docs/statistics/debias.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from psychometry.stats._api import Result
from psychometry.stats._rprint import fmt_number, format_frame
from psychometry.stats.tidy import FACTORS, LongTableError, present, require_columns, shown_lists

from ._shared import _as_list
from .position import _position_probs

__all__ = [
    "CONTENT_FREE_SUFFIX",
    "DEBIAS_METHODS",
    "EPS",
    "CalibrationResult",
    "PermutationDebiasResult",
    "PrideDebiasResult",
    "calibrate_content_free",
    "debias_answers",
    "debias_available",
    "permutation_debias",
    "pride_debias",
]

#: The debiasing methods, in the order ``method="auto"`` tries them.
DEBIAS_METHODS: tuple[str, ...] = ("permutation", "pride", "calibration")
#: The instrument id suffix of a content-free companion instrument (``bfi44~content-free``).
CONTENT_FREE_SUFFIX = "~content-free"
#: Added to a probability before its logarithm (the PriDe prior) and to a content-free probability
#: before dividing by it: 1e-10, as the authors' code of both papers does (stored probabilities are
#: rounded to 10 decimals, so an option can be stored as 0).
EPS = 1e-10
#: Options whose debiased probabilities are within this relative distance of the largest tie with it:
#: such an answer has no chosen option (``value`` and ``position`` NaN; ``expected`` is defined).
TIE = 1e-9
#: The ``order`` of a permutation-averaged row (it has no shown order).
PERMUTED = "(permutation)"
_REWRITTEN = ("probs", "position_probs", "expected", "value", "position", "entropy")


# --------------------------------------------------------------------------------------------------
# shared helpers


def _unit_keys(long: pd.DataFrame, order: str, respondent: str, instrument: str, item: str) -> pd.Series:
    """One key per (respondent but its option order, instrument, item): the rows of one item answered
    by one respondent under different option orders share it. The respondent id
    ``model/persona/template/order/repeat/tag`` with its order part taken out (so the tag, which hashes
    the settings not in the id, still separates runs); tables without such ids use the identifying
    columns but ``order``."""
    resp = long[respondent].astype(str)
    orders = long[order].astype(str)
    seg = "/" + orders + "/"
    if bool(np.all([s in r for r, s in zip(resp, seg)])):
        base = pd.Series(
            [_replace_last(r, s, "/\x00/") for r, s in zip(resp, seg)], index=long.index, dtype=object
        )
    else:
        cols = [c for c in present(long, FACTORS) if c != order]
        base = long[cols].astype(str).agg("/".join, axis=1) if cols else pd.Series("", index=long.index)
    return base + "\x1f" + long[instrument].astype(str) + "\x1f" + long[item].astype(str)


def _replace_last(text: str, old: str, new: str) -> str:
    """``text`` with the last occurrence of ``old`` replaced: the order segment of a respondent id
    ``model/persona/template/order/repeat/tag`` comes after the persona and template, which may
    share its name."""
    head, sep, tail = text.rpartition(old)
    return head + new + tail if sep else text


def _balanced(seqs: Sequence[tuple[float, ...]]) -> bool:
    """Every value shown at every position equally often across ``seqs`` (all of one length)."""
    k = len(seqs[0])
    if any(len(s) != k for s in seqs):
        return False
    vals = sorted(set(seqs[0]))
    if any(sorted(set(s)) != vals for s in seqs):
        return False
    counts = np.array([[sum(1 for s in seqs if s[j] == v) for j in range(k)] for v in vals])
    return bool((counts == counts[:, :1]).all())


def _rotations(seq: tuple[float, ...]) -> list[tuple[float, ...]]:
    return [seq[s:] + seq[:s] for s in range(len(seq))]


def _cyclic_subset(seqs: Sequence[tuple[float, ...]]) -> tuple[int, ...] | None:
    """Indices of the rows of one unit that show its options in every cyclic rotation (one row per
    rotation; several complete rotation families are pooled), or every row when the whole set is
    balanced (e.g. ``--orders all``); None when no such set exists."""
    if len(seqs) >= 2 and _balanced(seqs):
        return tuple(range(len(seqs)))
    chosen: list[int] = []
    seen_families: set[tuple[float, ...]] = set()
    for seq in seqs:
        rots = _rotations(seq)
        family = min(rots)
        if family in seen_families or len(seq) < 2:
            continue
        seen_families.add(family)
        first = {s: i for i, s in reversed(list(enumerate(seqs)))}
        if all(r in first for r in rots):
            chosen += [first[r] for r in rots]
    if chosen and _balanced([seqs[i] for i in chosen]):
        return tuple(chosen)
    return None


@dataclass
class _Prepared:
    """The rows with a probability per shown position, parsed once."""

    frame: pd.DataFrame  # the long table (index reset)
    pp: np.ndarray  # rows x kmax position probabilities (NaN beyond k, NaN rows without)
    k: np.ndarray  # options per row
    shown: dict[str, tuple[float, ...]]  # shown_values text -> values
    shown_col: pd.Series  # shown_values as text
    has: np.ndarray  # rows with a full probability vector and status ok


def _prepare(long: pd.DataFrame, what: str, *, shown_values: str, status: str | None) -> _Prepared:
    require_columns(long, [shown_values], what)
    if long.empty:
        raise LongTableError(f"{what}: the long table has no rows")
    frame = long.reset_index(drop=True)
    shown_col, parsed = shown_lists(frame, shown_values, what)
    pm = _position_probs(frame, "probs", shown_col, parsed, "position_probs")
    if pm is None:
        raise LongTableError(
            f"{what}: debiasing needs logprob-mode answers (a 'probs' or 'position_probs' column with "
            "the option probabilities); administer with --mode logprob"
        )
    k = shown_col.map({s: len(v) for s, v in parsed.items()}).to_numpy(dtype=int)
    pp = pm.to_numpy(dtype=float)
    full = np.array([np.isfinite(pp[i, : k[i]]).all() for i in range(len(pp))], dtype=bool)
    ok = np.ones(len(frame), dtype=bool)
    if status is not None and status in frame.columns:
        ok = (frame[status].astype(str) == "ok").to_numpy()
    return _Prepared(frame, pp, k, parsed, shown_col, full & ok)


def _rewrite(
    frame: pd.DataFrame,
    rows: np.ndarray,
    q: Sequence[np.ndarray],
    shown: Sequence[tuple[float, ...]],
    method: str,
) -> pd.DataFrame:
    """``frame`` with ``rows`` (positions into it) given the position distributions ``q`` (one row
    each, normalised here; NaN beyond each row's k): probs by value, position_probs, expected, the
    most probable option's value and position (NaN when several options tie for the largest
    probability, :data:`TIE`), entropy. Other rows keep their values."""
    out = frame.copy()
    for c in ("probs", "position_probs"):
        if c not in out.columns:
            out[c] = None
        out[c] = out[c].astype(object)
    for c in ("expected", "value", "position", "entropy"):
        if c not in out.columns:
            out[c] = math.nan
    probs_col = out["probs"].tolist()
    pos_col = out["position_probs"].tolist()
    exp = out["expected"].to_numpy(dtype=float).copy()
    val = out["value"].to_numpy(dtype=float).copy()
    pos = out["position"].to_numpy(dtype=float).copy()
    ent = out["entropy"].to_numpy(dtype=float).copy()
    for r, qi, sv in zip(rows, q, shown):
        kk = len(sv)
        p = np.asarray(qi[:kk], dtype=float)
        p = p / p.sum()
        best = int(np.argmax(p))
        by_value: dict[float, float] = {}
        for pj, v in zip(p, sv):
            by_value[float(v)] = by_value.get(float(v), 0.0) + float(pj)
        probs_col[r] = {v: by_value[v] for v in sorted(by_value)}
        pos_col[r] = [float(x) for x in p]
        exp[r] = float(np.dot(p, np.asarray(sv, dtype=float)))
        tied = int(np.sum(p >= p[best] - TIE * p[best])) > 1
        val[r] = math.nan if tied else float(sv[best])  # several most probable options: none is chosen
        pos[r] = math.nan if tied else float(best + 1)
        ent[r] = float(-sum(x * math.log(x) for x in p if x > 0))
    out["probs"] = pd.Series(probs_col, index=out.index, dtype=object)
    out["position_probs"] = pd.Series(pos_col, index=out.index, dtype=object)
    out["expected"], out["value"], out["position"], out["entropy"] = exp, val, pos, ent
    out["debias"] = method
    return out


def _units(
    prep: _Prepared, order: str, respondent: str, instrument: str, item: str, what: str
) -> tuple[pd.Series, dict[str, tuple[int, ...] | None]]:
    """The unit key of every row and, per unit, the positions (into the frame) of its rows that form
    a complete cyclic set (None: incomplete). Decisions are cached by the unit's pattern of shown
    orders, which a design repeats across items and respondents."""
    frame = prep.frame
    require_columns(frame, [order, respondent, instrument, item], what)
    keys = _unit_keys(frame, order, respondent, instrument, item)
    usable = np.flatnonzero(prep.has)
    cache: dict[tuple[str, ...], tuple[int, ...] | None] = {}
    out: dict[str, tuple[int, ...] | None] = {}
    key_arr = keys.to_numpy()
    shown_arr = prep.shown_col.to_numpy()
    groups: dict[str, list[int]] = {}
    for r in usable:
        groups.setdefault(key_arr[r], []).append(int(r))
    for u in pd.unique(key_arr):
        rows = groups.get(u, [])
        sig = tuple(shown_arr[r] for r in rows)
        if sig not in cache:
            cache[sig] = _cyclic_subset([prep.shown[s] for s in sig]) if rows else None
        sub = cache[sig]
        out[u] = None if sub is None else tuple(rows[i] for i in sub)
    return keys, out


def _fix(what: str, n_bad: int, n_all: int) -> str:
    return (
        f"{what}: {n_bad} of {n_all} items (per respondent) were not answered under every cyclic rotation of "
        "their options; administer with --orders rotate (every rotation) or --orders all"
    )


# --------------------------------------------------------------------------------------------------
# (a) permutation averaging


@dataclass(frozen=True)
class PermutationDebiasResult(Result):
    """Permutation averaging (:func:`permutation_debias`).

    Attributes
    ----------
    table : the debiased long table: one row per (respondent but its option order, instrument, item),
        ``order`` = ``(permutation)`` (in the respondent id too), ``probs`` the averaged distribution
        (``value``, ``expected``, ``entropy`` from it), ``position`` and ``position_probs`` empty (an
        average has no shown position), ``debias`` = ``permutation``; the other columns
        (``response_id``, ``prompt_hash``, ``shown_values``...) are those of the unit's first row.
    n_units : items x respondents averaged; n_prompts : the answers averaged (cost: prompts per item =
        n_prompts / n_units, k for a k-option item).
    """

    table: pd.DataFrame = field(repr=False)
    n_units: int
    n_prompts: int

    def to_frame(self) -> pd.DataFrame:
        """The debiased long table."""
        return self.table.copy()

    def summary(self, digits: int = 3) -> str:
        per = self.n_prompts / self.n_units if self.n_units else math.nan
        return "\n".join(
            [
                "Permutation debiasing (psychometry.stats.permutation_debias; Zheng et al. 2024)",
                "Each item's option distribution averaged over the option orders that show every option "
                "at every position equally often",
                f"{self.n_units} items x respondents from {self.n_prompts} answers "
                f"({fmt_number(per, digits)} prompts per item)",
            ]
        )

    def __str__(self) -> str:
        return self.summary()


def permutation_debias(
    long: pd.DataFrame,
    *,
    order: str = "order",
    respondent: str = "respondent",
    instrument: str = "instrument",
    item: str = "item",
    shown_values: str = "shown_values",
    status: str | None = "status",
) -> PermutationDebiasResult:
    """Average each item's answer distribution over all cyclic rotations of its options.

    For one item answered by one respondent under the option orders I_1..I_m that show every option
    at every shown position equally often (the k cyclic rotations of ``--orders rotate``, or the k!
    permutations of ``--orders all``), the debiased probability of scale value v is the mean of the
    observed ones (Zheng et al. 2024, the "cyclic permutation" baseline; the authors' ``debias_utils``
    gathers each option's probability across the permutations and takes the mean)::

        P_perm(v) = 1/m  sum_{t=1..m}  P_obs(v | x^{I_t})

    Each option appears at each position once across the rotations, so any prior over positions
    enters every option's average equally. Its cost is k prompts per item (k options).

    Rows are grouped by (respondent but its order, instrument, item): the respondent id with its
    order segment taken out. Where a respondent also has other orders (``original,reversed,rotate``),
    the rotations are used. Refused or unparsed rows, and rows without probabilities, are left out.

    Raises a :class:`~psychometry.errors.StatsInputError` when an item lacks a rotation (the error
    says to administer ``--orders rotate``).

    Example
    -------
    >>> import pandas as pd
    >>> from psychometry.stats.robustness.debias import permutation_debias
    >>> rows = [{"respondent": f"m/none/t/{o}/0", "order": o, "instrument": "i", "item": "a",
    ...          "status": "ok", "shown_values": sv, "position_probs": pp}
    ...         for o, sv, pp in [("rotate0", "1,2,3", [0.7, 0.2, 0.1]), ("rotate1", "2,3,1", [0.6, 0.3, 0.1]),
    ...                           ("rotate2", "3,1,2", [0.5, 0.3, 0.2])]]
    >>> res = permutation_debias(pd.DataFrame(rows))
    >>> {v: round(p, 4) for v, p in res.table.loc[0, "probs"].items()}
    {1.0: 0.3667, 2.0: 0.3333, 3.0: 0.3}
    >>> round(float(res.table.loc[0, "expected"]), 4)
    1.9333
    """
    what = "permutation_debias"
    prep = _prepare(long, what, shown_values=shown_values, status=status)
    _, units = _units(prep, order, respondent, instrument, item, what)
    bad = [u for u, s in units.items() if s is None]
    if bad:
        raise LongTableError(_fix(what, len(bad), len(units)))
    frame = prep.frame
    first_rows, dists, shown = [], [], []
    n_prompts = 0
    for _u, rows in units.items():
        assert rows is not None
        r0 = rows[0]
        vals = sorted(set(prep.shown[prep.shown_col.iloc[r0]]))
        acc = np.zeros(len(vals))
        for r in rows:
            sv = prep.shown[prep.shown_col.iloc[r]]
            p = prep.pp[r, : len(sv)]
            p = p / p.sum()
            for pj, v in zip(p, sv):
                acc[vals.index(v)] += pj
        n_prompts += len(rows)
        first_rows.append(r0)
        shown.append(tuple(vals))
        dists.append(acc / len(rows))
    out = frame.iloc[first_rows].reset_index(drop=True)
    res = _rewrite(out, np.arange(len(out)), dists, shown, "permutation")
    # an average has no shown position: position and position_probs are empty
    res["position"] = math.nan
    res["position_probs"] = pd.Series([None] * len(res), index=res.index, dtype=object)
    res["shown_values"] = frame[shown_values].iloc[first_rows].to_numpy()
    old = out[order].astype(str)
    if respondent in res.columns:
        res[respondent] = [
            _replace_last(r, f"/{o}/", f"/{PERMUTED}/") for r, o in zip(res[respondent].astype(str), old)
        ]
    res[order] = PERMUTED
    return PermutationDebiasResult(table=res, n_units=len(units), n_prompts=n_prompts)


# --------------------------------------------------------------------------------------------------
# (b) PriDe


@dataclass(frozen=True)
class PrideDebiasResult(Result):
    """PriDe (:func:`pride_debias`).

    Attributes
    ----------
    table : the debiased long table (every row, its position distribution divided by the prior of its
        group and renormalised; ``debias`` = ``pride``).
    prior : one row per (by..., n_options, position): the estimated prior ``prior`` and the number of
        estimation items ``n_units`` it averages.
    n_estimation, n_units : items x respondents used to estimate the prior / in the table.
    share : the share of the complete items drawn for the estimate (None: all of them).
    cost : prompts per item of PriDe, (n_estimation k + (n_units - n_estimation)) / n_units, against
        k for permutation averaging (k: options per item; the mean over items).
    cost_permutation : k, the prompts per item of :func:`permutation_debias`.
    """

    table: pd.DataFrame = field(repr=False)
    prior: pd.DataFrame = field(repr=False)
    n_estimation: int
    n_units: int
    share: float | None
    cost: float
    cost_permutation: float
    by: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The prior: one row per (by..., n_options, position) with ``prior`` and ``n_units``."""
        return self.prior.copy()

    def summary(self, digits: int = 3) -> str:
        keys = list(self.by) + ["n_options"]
        wide = self.prior.pivot_table(index=keys, columns="position", values="prior", aggfunc="first")
        wide.columns = [f"p{int(c)}" for c in wide.columns]
        wide.index = ["/".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in wide.index]
        share = "all" if self.share is None else fmt_number(self.share, 3)
        return "\n".join(
            [
                "PriDe position debiasing (psychometry.stats.pride_debias; Zheng et al. 2024)",
                f"Prior over shown positions estimated on {self.n_estimation} of {self.n_units} items x "
                f"respondents (share drawn: {share}); every answer divided by it and renormalised",
                f"Cost: {fmt_number(self.cost, digits)} prompts per item against "
                f"{fmt_number(self.cost_permutation, digits)} for permutation averaging",
                "",
                format_frame(wide, digits),
            ]
        )

    def __str__(self) -> str:
        return self.summary()


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - np.max(x))
    return e / e.sum()


def pride_debias(
    long: pd.DataFrame,
    *,
    share: float | None = None,
    by: str | Sequence[str] | None = ("model", "instrument", "template"),
    seed: int = 0,
    order: str = "order",
    respondent: str = "respondent",
    instrument: str = "instrument",
    item: str = "item",
    shown_values: str = "shown_values",
    status: str | None = "status",
) -> PrideDebiasResult:
    """PriDe: estimate the prior over shown positions on items answered under all cyclic rotations,
    then debias every answer by dividing it out (Zheng et al. 2024, section 4).

    For an estimation item q (one item x respondent with its options shown in all m cyclic rotations
    I), the prior over the k positions is the softmax of the mean log observed probability at each
    position (each option's content meets each position once, so the content terms cancel)::

        P_prior(j | q) = softmax_j( 1/m sum_I log(P_obs(j | q, x^I) + eps) )

    The prior of a group (``by`` x number of options) is the mean over its K estimation items, and
    every answer of the group (estimation items included) is debiased in position space::

        P_prior(j) = 1/K sum_q P_prior(j | q)
        P_debiased(j | q, x^I)  =  P_obs(j | q, x^I) / P_prior(j)  /  sum_j' P_obs(j' | q, x^I) / P_prior(j')

    (``eps`` = 1e-10 and the mean of the per-item priors as in the authors' ``debias_utils.simple``
    and ``debias_pride.py``.) The debiased distribution is then summed by scale value (``probs``),
    and ``expected``, ``value`` (the most probable option) and ``position`` follow from it.

    Parameters
    ----------
    share : the share of the items with all rotations drawn (seeded by ``seed``) to estimate the prior
        (the paper uses 5%, ``share=0.05``); at least one per group. None (default): all of them.
        The cost of PriDe is k prompts for an estimation item and 1 for every other item: with share s
        of the items estimated, s k + (1 - s) prompts per item, against k for permutation averaging
        (k = 5, s = .05: 1.2 against 5).
    by : the columns whose combinations get their own prior (default model x instrument x template,
        always within a number of options); None: one prior per number of options.
    seed : the seed of the draw (``numpy.random.default_rng(seed)``).

    Raises a :class:`~psychometry.errors.StatsInputError` when a group has no item answered under
    every cyclic rotation (the error says to administer ``--orders rotate``).

    Example
    -------
    >>> import pandas as pd
    >>> from psychometry.stats.robustness.debias import pride_debias
    >>> rows = [{"respondent": f"m/none/t/{o}/0", "order": o, "instrument": "i", "item": "a",
    ...          "status": "ok", "shown_values": sv, "position_probs": pp}
    ...         for o, sv, pp in [("rotate0", "1,2", [0.9, 0.1]), ("rotate1", "2,1", [0.6, 0.4])]]
    >>> res = pride_debias(pd.DataFrame(rows), by=None)
    >>> res.prior["prior"].round(4).tolist()
    [0.7861, 0.2139]
    >>> [round(p, 4) for p in res.table.loc[0, "position_probs"]]
    [0.7101, 0.2899]
    """
    what = "pride_debias"
    if share is not None and not (isinstance(share, (int, float)) and 0 < float(share) <= 1):
        raise LongTableError(f"{what}: share must be a number in (0, 1] or None, got {share!r}")
    by_ = [c for c in _as_list(by) if c in long.columns] if by is not None else []
    prep = _prepare(long, what, shown_values=shown_values, status=status)
    keys, units = _units(prep, order, respondent, instrument, item, what)
    frame = prep.frame
    grp_cols = by_
    gkey = (
        frame[grp_cols].astype(str).agg("\x1f".join, axis=1) if grp_cols else pd.Series("", index=frame.index)
    )
    gkey = gkey + "\x1f" + pd.Series(prep.k, index=frame.index).astype(str)
    key_arr, g_arr = keys.to_numpy(), gkey.to_numpy()
    complete: dict[str, list[str]] = {}
    for u, rows in units.items():
        if rows is not None:
            complete.setdefault(g_arr[rows[0]], []).append(u)
    rng = np.random.default_rng(seed)
    priors: dict[str, np.ndarray] = {}
    n_est: dict[str, int] = {}
    est_rows: dict[str, int] = {}
    for g in pd.unique(g_arr[prep.has]):
        cands = complete.get(g, [])
        if not cands:
            i = int(np.flatnonzero((g_arr == g) & prep.has)[0])
            where = ", ".join(f"{c}={frame[c].iloc[i]}" for c in grp_cols)
            raise LongTableError(
                f"{what}: no item answered under every cyclic rotation of its options"
                + (f" for {where}" if where else "")
                + f" ({prep.k[i]} options); administer a share of the items with --orders rotate"
            )
        if share is not None:
            n = max(1, int(round(float(share) * len(cands))))
            cands = [cands[i] for i in sorted(rng.choice(len(cands), size=n, replace=False))]
        unit_priors = []
        for u in cands:
            rows = units[u]
            assert rows is not None
            kk = int(prep.k[rows[0]])
            obs = prep.pp[list(rows), :kk]
            obs = obs / obs.sum(axis=1, keepdims=True)
            unit_priors.append(_softmax(np.log(obs + EPS).mean(axis=0)))
            est_rows[u] = len(rows)
        priors[g] = np.mean(unit_priors, axis=0)
        n_est[g] = len(cands)
    rows_ok = np.flatnonzero(prep.has)
    q = []
    shown = []
    for r in rows_ok:
        kk = int(prep.k[r])
        p = prep.pp[r, :kk]
        q.append((p / p.sum()) / priors[g_arr[r]])
        shown.append(prep.shown[prep.shown_col.iloc[r]])
    table = _rewrite(frame, rows_ok, q, shown, "pride")
    recs = []
    for g, pr in priors.items():
        i = int(np.flatnonzero(g_arr == g)[0])
        for j, p in enumerate(pr):
            recs.append(
                {
                    **{c: frame[c].iloc[i] for c in grp_cols},
                    "n_options": int(prep.k[i]),
                    "position": j + 1,
                    "prior": float(p),
                    "n_units": n_est[g],
                }
            )
    all_units = pd.unique(key_arr[prep.has])
    n_units = len(all_units)
    # cost: k prompts per estimation item, 1 per other item
    ks = pd.Series(prep.k[prep.has], index=key_arr[prep.has]).groupby(level=0).first()
    k_unit = ks.to_dict()
    cost = (sum(k_unit[u] for u in est_rows) + (n_units - len(est_rows))) / n_units
    return PrideDebiasResult(
        table=table,
        prior=pd.DataFrame(recs, columns=grp_cols + ["n_options", "position", "prior", "n_units"]),
        n_estimation=len(est_rows),
        n_units=n_units,
        share=None if share is None else float(share),
        cost=float(cost),
        cost_permutation=float(np.mean(list(k_unit.values()))),
        by=tuple(grp_cols),
    )


# --------------------------------------------------------------------------------------------------
# (c) contextual calibration


@dataclass(frozen=True)
class CalibrationResult(Result):
    """Contextual calibration (:func:`calibrate_content_free`).

    Attributes
    ----------
    table : the calibrated long table (the content-free rows taken out; ``debias`` = ``calibration``).
    content_free : the content-free distributions used: one row per (respondent, instrument,
        shown_values) with ``position_probs`` (p_cf in shown order).
    n_calibrated : rows calibrated.
    """

    table: pd.DataFrame = field(repr=False)
    content_free: pd.DataFrame = field(repr=False)
    n_calibrated: int

    def to_frame(self) -> pd.DataFrame:
        """The content-free distributions (one row per respondent, instrument and shown order)."""
        return self.content_free.copy()

    def summary(self, digits: int = 3) -> str:
        return "\n".join(
            [
                "Contextual calibration (psychometry.stats.calibrate_content_free; Zhao et al. 2021)",
                f"{self.n_calibrated} answers divided by the content-free ('N/A') distribution of the same "
                f"respondent and option order ({len(self.content_free)} content-free answers), renormalised",
            ]
        )

    def __str__(self) -> str:
        return self.summary()


def calibrate_content_free(
    long: pd.DataFrame,
    *,
    respondent: str = "respondent",
    instrument: str = "instrument",
    shown_values: str = "shown_values",
    status: str | None = "status",
) -> CalibrationResult:
    """Contextual calibration: divide each answer by the content-free answer of the same prompt.

    The companion instrument ``<id>~content-free``
    (:func:`psychometry.instrument.content_free.content_free_instrument`) asks the item "N/A" with the
    instrument's response format; administered beside the instrument, it is answered by every
    respondent (the same model, persona, template and option order) and gives p_cf, its probabilities
    in shown order. With W = diag(p_cf)^-1 (Zhao et al. 2021, section 5, "diagonal W", b = 0), the
    calibrated distribution of an answer p of that respondent and shown order is::

        q = normalise(W p),   q_j = (p_j / (p_cf,j + eps)) / sum_j' p_j' / (p_cf,j' + eps)

    Zhao et al. write softmax(W p + b) and their code takes the argmax of W p; normalising W p gives
    the same argmax and keeps q a reweighting of p (the same form as PriDe's division by a prior:
    here the prior is read from one content-free prompt per respondent and order). eps = 1e-10.

    Raises a :class:`~psychometry.errors.StatsInputError` when the table has no content-free rows, or
    an answer has no content-free answer with the same respondent and shown order.

    Example
    -------
    >>> import pandas as pd
    >>> from psychometry.stats.robustness.debias import calibrate_content_free
    >>> rows = [{"respondent": "r", "instrument": i, "item": it, "status": "ok", "shown_values": "1,2",
    ...          "position_probs": pp}
    ...         for i, it, pp in [("x", "a", [0.8, 0.2]), ("x~content-free", "cf1", [0.9, 0.1])]]
    >>> res = calibrate_content_free(pd.DataFrame(rows))
    >>> [round(p, 4) for p in res.table.loc[0, "position_probs"]]
    [0.3077, 0.6923]
    """
    what = "calibrate_content_free"
    prep = _prepare(long, what, shown_values=shown_values, status=status)
    frame = prep.frame
    require_columns(frame, [respondent, instrument], what)
    inst = frame[instrument].astype(str)
    is_cf = inst.str.endswith(CONTENT_FREE_SUFFIX).to_numpy()
    if not is_cf.any():
        raise LongTableError(
            f"{what}: the table has no content-free answers (instrument '<id>{CONTENT_FREE_SUFFIX}'); "
            "administer the content-free companion instrument (psychometry.instrument.content_free) beside "
            "the instrument, with the same templates, option orders and personas"
        )
    base = inst.where(~is_cf, inst.str[: -len(CONTENT_FREE_SUFFIX)])
    key = frame[respondent].astype(str) + "\x1f" + base + "\x1f" + prep.shown_col
    key_arr = key.to_numpy()
    cf_rows = np.flatnonzero(is_cf & prep.has)
    p_cf: dict[str, np.ndarray] = {}
    for r in cf_rows:
        kk = int(prep.k[r])
        p = prep.pp[r, :kk]
        p_cf.setdefault(key_arr[r], p / p.sum())
    targets = np.flatnonzero(~is_cf & prep.has)
    missing = [r for r in targets if key_arr[r] not in p_cf]
    if missing:
        r = missing[0]
        raise LongTableError(
            f"{what}: {len(missing)} answers have no content-free answer of the same respondent and option "
            f"order (e.g. instrument {base.iloc[r]!r}, respondent {frame[respondent].iloc[r]!r}, shown "
            f"{prep.shown_col.iloc[r]}); administer {base.iloc[r]}{CONTENT_FREE_SUFFIX} with the same "
            "templates, option orders and personas"
        )
    q, shown = [], []
    for r in targets:
        kk = int(prep.k[r])
        p = prep.pp[r, :kk]
        q.append((p / p.sum()) / (p_cf[key_arr[r]] + EPS))
        shown.append(prep.shown[prep.shown_col.iloc[r]])
    table = _rewrite(frame, targets, q, shown, "calibration")
    table = table[~is_cf].reset_index(drop=True)
    cf = frame.iloc[cf_rows]
    cf_table = pd.DataFrame(
        {
            "respondent": cf[respondent].to_numpy(),
            "instrument": base.iloc[cf_rows].to_numpy(),
            "shown_values": prep.shown_col.iloc[cf_rows].to_numpy(),
            "position_probs": [list(p_cf[key_arr[r]]) for r in cf_rows],
        }
    )
    return CalibrationResult(table=table, content_free=cf_table, n_calibrated=len(targets))


# --------------------------------------------------------------------------------------------------
# the method a table allows


def debias_available(long: pd.DataFrame) -> str | None:
    """The method ``debias_answers(method="auto")`` would use: ``permutation`` when every answered item
    has all cyclic rotations, ``pride`` when some have, ``calibration`` with content-free answers,
    else None."""
    try:
        prep = _prepare(long, "debias", shown_values="shown_values", status="status")
        is_cf = long["instrument"].astype(str).str.endswith(CONTENT_FREE_SUFFIX).to_numpy()
        sub = _Prepared(
            prep.frame[~is_cf].reset_index(drop=True),
            prep.pp[~is_cf],
            prep.k[~is_cf],
            prep.shown,
            prep.shown_col[~is_cf].reset_index(drop=True),
            prep.has[~is_cf],
        )
        _, units = _units(sub, "order", "respondent", "instrument", "item", "debias")
    except (LongTableError, KeyError):
        return None
    n_ok = sum(s is not None for s in units.values())
    if units and n_ok == len(units):
        return "permutation"
    if n_ok:
        return "pride"
    if is_cf.any():
        return "calibration"
    return None


def debias_answers(long: pd.DataFrame, *, method: str = "auto", share: float | None = None) -> pd.DataFrame:
    """The long table with debiased answers by ``method`` (``auto``, ``permutation``, ``pride``,
    ``calibration``): :func:`permutation_debias`, :func:`pride_debias` (``share``) or
    :func:`calibrate_content_free`. ``auto`` takes permutation averaging when every item has all cyclic
    rotations, PriDe when some have, contextual calibration when content-free answers are present.
    Bad input (no logprob probabilities, missing orders or content-free answers) is one
    :class:`~psychometry.errors.StatsInputError` line saying what to administer."""
    if method not in ("auto", *DEBIAS_METHODS):
        raise LongTableError(f"debias: unknown method {method!r}: use auto, {', '.join(DEBIAS_METHODS)}")
    if method == "auto":
        _prepare(long, "debias", shown_values="shown_values", status="status")  # logprob mode?
        found = debias_available(long)
        if found is None:
            raise LongTableError(
                "debias: the run has no option orders that show every option at every position and no "
                "content-free answers; administer with --orders rotate (all cyclic rotations) or add the "
                "content-free companion instrument"
            )
        method = found
    if method == "calibration":
        return calibrate_content_free(long).table
    if "instrument" in long.columns:  # the content-free answers are not items to analyse
        long = long[~long["instrument"].astype(str).str.endswith(CONTENT_FREE_SUFFIX)]
    if method == "permutation":
        return permutation_debias(long).table
    return pride_debias(long, share=share).table
