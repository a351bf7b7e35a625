"""Response styles (:func:`response_styles`): acquiescence, extreme and midpoint responding,
straight-lining, entropy.

Formulas, references and tests: docs/statistics/robustness.md."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from psychometry.stats._api import Result
from psychometry.stats._rprint import format_frame
from psychometry.stats.tidy import (
    FACTORS,
    LongTableError,
    numeric_column,
    ok_values,
    present,
    require_columns,
    scale_bounds,
    shown_lists,
)

from ._shared import (
    _as_list,
    _label,
)

_STYLE_COLS = [
    "n_items",
    "acquiescence",
    "agree_both",
    "n_pairs",
    "extreme",
    "midpoint",
    "straightlining",
    "longest_run",
    "entropy",
]


@dataclass(frozen=True)
class ResponseStylesResult(Result):
    """Response-style indices per respondent (and instrument).

    Attributes
    ----------
    table : one row per (respondent, instrument) with the identifying factors and ``n_items`` (answered),
        ``acquiescence``, ``agree_both``, ``n_pairs``, ``extreme``, ``midpoint``, ``straightlining``,
        ``longest_run``, ``entropy``; see :func:`response_styles` for the definitions.
    """

    table: pd.DataFrame = field(repr=False)
    group: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per (respondent, instrument): the identifying factors and the indices."""
        return self.table.copy()

    def summary(self, digits: int = 3, by: str | Sequence[str] | None = None) -> str:
        """Mean of each index over respondents, by ``by`` (default: model and instrument, if present)."""
        keys = _as_list(by) if by is not None else present(self.table, ["model", "instrument"])
        cols = [
            "acquiescence",
            "agree_both",
            "extreme",
            "midpoint",
            "straightlining",
            "longest_run",
            "entropy",
        ]
        t = self.table
        if keys:
            g = t.groupby(keys, sort=True, dropna=False)
            show = pd.concat([g.size().rename("n"), g[cols].mean()], axis=1)
            show.index = [_label(i) for i in show.index]
        else:
            show = pd.DataFrame([{"n": len(t), **t[cols].mean().to_dict()}], index=["all"])
        show = show.dropna(axis=1, how="all")
        return "\n".join(
            [
                "Response styles (psychometry.stats.response_styles), means over respondents",
                "acquiescence: mean raw answer; agree_both: share of forward/reverse item pairs agreed with "
                "on both poles; extreme / midpoint: share of answers at the scale end points / midpoint; "
                "straightlining: share of identical consecutive answers",
                "",
                format_frame(show, digits),
            ]
        )

    def __str__(self) -> str:
        return self.summary()


def response_styles(
    long: pd.DataFrame,
    *,
    respondent: str = "respondent",
    instrument: str | None = "instrument",
    scale: str = "scale",
    value: str = "value",
    keyed: str = "keyed",
    status: str | None = "status",
    shown_values: str = "shown_values",
    entropy: str | None = "entropy",
    sequence: str | None = None,
    factors: Sequence[str] = FACTORS,
    scale_min: float | None = None,
    scale_max: float | None = None,
) -> ResponseStylesResult:
    """Response-style indices per respondent x instrument, on the raw answers (before reverse keying).

    With x_1..x_n the respondent's answered items (status ``ok``) in administration order (table order, or
    sorted by ``sequence``), scale end points lo, hi and midpoint m = (lo + hi) / 2:

    * ``acquiescence`` = mean_j x_j over forward AND reverse-keyed items (the mean raw agreement; on a
      balanced scale content cancels and what remains is the tendency to agree: Paulhus 1991; Soto,
      John, Gosling & Potter 2008). 5 on a 1-5 scale = agrees with everything;
    * ``agree_both`` (agreement with both poles) = sum_s A+_s A-_s / sum_s N+_s N-_s, where for scale s
      N+_s, N-_s are the numbers of answered forward / reverse-keyed items and A+_s, A-_s those answered
      above the midpoint (x > m): the share of (forward, reverse) item pairs of the same scale that the
      respondent agreed with both, i.e. contradicted itself (``n_pairs`` = sum_s N+_s N-_s; NaN without
      pairs). A consistent respondent scores 0, an acquiescent one 1;
    * ``extreme`` = share of answers equal to lo or hi (extreme response style, ERS), and ``midpoint`` =
      share equal to m (midpoint response style, MRS; NaN when m is not an option, e.g. a 1-4 scale):
      Baumgartner & Steenkamp (2001);
    * ``straightlining`` = share of the n - 1 consecutive pairs with x_j = x_{j-1}, and ``longest_run``
      = the longest run of identical consecutive answers (Herzog & Bachman 1981; Kim et al. 2019);
    * ``entropy`` = mean entropy (nats) of the model's option distributions (logprob mode; NaN otherwise):
      0 = certain, log k = uniform over k options.

    lo / hi are ``scale_min`` / ``scale_max`` when given, else the min / max of the row's
    ``shown_values``. Refused and unparsed items are left out (they neither break nor extend a run).

    References: Baumgartner, H. & Steenkamp, J.-B. E. M. (2001). Response styles in marketing research:
    a cross-national investigation. J. Marketing Research 38, 143-156. Paulhus, D. L. (1991). Measurement
    and control of response bias. In Robinson, Shaver & Wrightsman (eds.), Measures of Personality and
    Social Psychological Attitudes, 17-59. Soto, C. J., John, O. P., Gosling, S. D. & Potter, J. (2008).
    J. Pers. Soc. Psychol. 94, 718-737. Herzog, A. R. & Bachman, J. G. (1981). Effects of questionnaire
    length on response quality. Public Opinion Quarterly 45, 549-559. Kim, Y., Dykema, J., Stevenson, J.,
    Black, P. & Moberg, D. P. (2019). Straightlining: overview of measurement, comparison of indicators,
    and effects in mail-web mixed-mode surveys. Social Science Computer Review 37, 214-233.

    Returns
    -------
    ResponseStylesResult: ``table`` (= ``to_frame()``), ``summary()``.

    Example
    -------
    >>> import pandas as pd
    >>> from psychometry.stats import response_styles
    >>> long = pd.DataFrame({"respondent": ["r1"] * 4 + ["r2"] * 4, "instrument": "i", "scale": "E",
    ...                      "keyed": [1, 1, -1, -1] * 2, "status": "ok", "shown_values": "1,2,3,4,5",
    ...                      "value": [5.0, 5.0, 5.0, 5.0, 4.0, 3.0, 2.0, 1.0]})
    >>> response_styles(long).to_frame()[["respondent", "acquiescence", "agree_both", "extreme",
    ...                                   "straightlining"]].round(3)
      respondent  acquiescence  agree_both  extreme  straightlining
    0         r1           5.0         1.0     1.00             1.0
    1         r2           2.5         0.0     0.25             0.0
    """
    what = "response_styles"
    require_columns(long, [respondent, value], what)
    if long.empty:
        raise LongTableError(f"{what}: the long table has no rows")
    grp = [respondent] + ([instrument] if instrument is not None and instrument in long.columns else [])
    facs = [c for c in present(long, factors) if c not in grp]
    x = ok_values(long, value, status, what)
    lo, hi = scale_bounds(
        long, shown_values=shown_values, scale_min=scale_min, scale_max=scale_max, what=what
    )
    mid = (lo + hi) / 2
    if scale_min is None or scale_max is None:
        shown, parsed = shown_lists(long, shown_values, what)
        mid_ok = shown.map({s: ((min(v) + max(v)) / 2) in v for s, v in parsed.items()}).astype(bool)
    else:
        mid_ok = pd.Series(True, index=long.index)
    f = long[grp + facs].copy()
    f["__x"] = x.to_numpy()
    f["__ext"] = ((x == lo) | (x == hi)).astype(float).to_numpy()
    f["__mid"] = (x == mid).astype(float).where(mid_ok).to_numpy()
    if sequence is not None:
        require_columns(long, [sequence], what)
        f["__seq"] = long[sequence].to_numpy()
    f["__ent"] = (
        numeric_column(long, entropy, what).to_numpy()
        if entropy is not None and entropy in long.columns
        else math.nan
    )
    has_keys = keyed in long.columns and scale in long.columns
    if has_keys:
        k = numeric_column(long, keyed, what)
        agree = (x > mid).astype(float)
        f["__scale"] = long[scale].to_numpy()
        f["__fN"] = (k > 0).astype(float).to_numpy()
        f["__rN"] = (k < 0).astype(float).to_numpy()
        f["__fA"] = ((k > 0).astype(float) * agree).to_numpy()
        f["__rA"] = ((k < 0).astype(float) * agree).to_numpy()
    f = f[f["__x"].notna()]
    if f.empty:
        raise LongTableError(f"{what}: no answered rows (status 'ok' with a '{value}')")
    if sequence is not None:
        f = f.sort_values(grp + ["__seq"], kind="stable")
    else:
        f = f.sort_values(
            grp, kind="stable"
        )  # stable: keeps table (administration) order within a respondent
    g = f.groupby(grp, sort=False, dropna=False)
    out = g.agg(
        n_items=("__x", "size"),
        acquiescence=("__x", "mean"),
        extreme=("__ext", "mean"),
        midpoint=("__mid", "mean"),
        entropy=("__ent", "mean"),
    )
    # agreement with both poles: pairs within a scale
    if has_keys:
        per_scale = f.groupby(grp + ["__scale"], sort=False, dropna=False)[
            ["__fN", "__rN", "__fA", "__rA"]
        ].sum()
        per_scale["__pairs"] = per_scale["__fN"] * per_scale["__rN"]
        per_scale["__both"] = per_scale["__fA"] * per_scale["__rA"]
        pr = per_scale.groupby(level=list(range(len(grp))), sort=False)[["__pairs", "__both"]].sum()
        pr.index = pr.index if len(grp) > 1 else pr.index.get_level_values(0)
        pr = pr.reindex(out.index)
        out["n_pairs"] = pr["__pairs"].astype(int).to_numpy()
        out["agree_both"] = (pr["__both"] / pr["__pairs"].replace(0, np.nan)).to_numpy()
    else:
        out["n_pairs"] = 0
        out["agree_both"] = math.nan
    # straight-lining: identical consecutive answers and the longest run, vectorised with run ids
    gid = g.ngroup().to_numpy()
    xv = f["__x"].to_numpy()
    same_group = np.r_[False, gid[1:] == gid[:-1]]
    same = same_group & np.r_[False, xv[1:] == xv[:-1]]
    run_id = np.cumsum(~same)
    run_len = np.bincount(run_id)[run_id]
    ng = int(gid.max()) + 1
    pairs_n = np.bincount(gid, weights=same_group.astype(float), minlength=ng)
    same_n = np.bincount(gid, weights=same.astype(float), minlength=ng)
    longest = np.zeros(ng, dtype=int)
    np.maximum.at(longest, gid, run_len)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["straightlining"] = np.where(pairs_n > 0, same_n / np.where(pairs_n > 0, pairs_n, 1), np.nan)
    out["longest_run"] = longest
    if facs:
        out = pd.concat([g[facs].first(), out], axis=1)
    out = out.reset_index()
    return ResponseStylesResult(table=out[facs + grp + _STYLE_COLS], group=tuple(grp))
