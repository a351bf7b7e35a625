"""Does the order of the response options change the scale score (:func:`order_sensitivity`): paired
t, Wilcoxon signed-rank, correlation; Friedman across more than two orders.

Formulas, references and tests: docs/statistics/robustness.md."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st

from psychometry.stats._api import Result
from psychometry.stats._columns import LongColumns
from psychometry.stats._rprint import fmt_number, format_frame
from psychometry.stats.tidy import LongTableError

from ._shared import (
    _as_list,
    _check_conf_level,
    _complete_long,
    _friedman,
    _label,
    _paired_scores,
    _tidy,
)

_ORDER_COLS = [
    "n_pairs",
    "mean_a",
    "mean_b",
    "mean_diff",
    "mean_abs_diff",
    "t",
    "t_df",
    "t_p",
    "V",
    "wilcoxon_p",
    "r",
    "r_p",
    "n_orders",
    "n_complete",
    "friedman_Q",
    "friedman_df",
    "friedman_p",
    "significant",
]


_ORDER_RENAMED = {
    "n_pairs": "n",
    "t_p": "p_t",
    "V": "v",
    "wilcoxon_p": "p_wilcoxon",
    "r_p": "p_r",
    "friedman_Q": "friedman_q",
    "friedman_p": "p_friedman",
}


@dataclass(frozen=True)
class OrderSensitivityResult(Result):
    """Per scale: the scale score under option order ``a`` vs ``b`` (paired), and across all orders.

    Attributes
    ----------
    table : one row per (by..., instrument, scale): ``n_pairs``, ``mean_a``, ``mean_b``, ``mean_diff``
        (a - b), ``mean_abs_diff``, paired ``t`` / ``t_df`` / ``t_p``, Wilcoxon ``V`` / ``wilcoxon_p``,
        Pearson ``r`` / ``r_p``; ``n_orders`` orders in the table and, when more than two,
        ``friedman_Q/df/p`` across all of them (``n_complete`` targets with every order);
        ``significant`` (see ``rule``). Names as R prints them; ``to_frame()`` has docs/api.md's
        vocabulary.
    conf_level : significant means p < 1 - conf_level.
    """

    table: pd.DataFrame = field(repr=False)
    a: str
    b: str
    pair_on: tuple[str, ...]
    orders: tuple[str, ...]
    conf_level: float = 0.95
    rule: str = (
        "significant = paired Wilcoxon signed-rank test of a vs b, p < 1 - conf_level, or (more than "
        "two orders) Friedman test across all orders, p < 1 - conf_level; our definition"
    )

    def to_frame(self) -> pd.DataFrame:
        """One row per (by..., instrument, scale): ``n`` (pairs), ``mean_a``, ``mean_b``, ``mean_diff``,
        ``mean_abs_diff``, the paired t test (``t``, ``t_df``, ``p_t``), the Wilcoxon test (``v``,
        ``p_wilcoxon``), Pearson's ``r`` (``p_r``), ``n_orders``, ``n_complete``, the Friedman test
        across all orders (``friedman_q``, ``friedman_df``, ``p_friedman``) and ``significant``."""
        return _tidy(self.table, _ORDER_RENAMED)

    def summary(self, digits: int = 3) -> str:
        t = self.table.copy()
        keys = [c for c in t.columns if c not in _ORDER_COLS]
        t.index = [_label(tuple(r)) for r in t[keys].itertuples(index=False)]
        cols = ["n_pairs", "mean_a", "mean_b", "mean_abs_diff", "t", "t_p", "V", "wilcoxon_p", "r"]
        names = ["n", self.a, self.b, "mean|diff|", "t", "p(t)", "V", "p(V)", "r"]
        if len(self.orders) > 2:
            cols += ["friedman_Q", "friedman_p"]
            names += ["Q", "p(Q)"]
        show = t[cols].copy()
        show.columns = names
        show["significant"] = np.where(t["significant"], "yes", "no")
        return "\n".join(
            [
                "Option-order sensitivity of scale scores (psychometry.stats.order_sensitivity)",
                f"{self.a} vs {self.b}, paired on {' x '.join(self.pair_on)}; orders in the table: "
                f"{', '.join(self.orders)}",
                "t: paired t test; V: Wilcoxon signed-rank (R's V, sum of ranks of positive a - b); r: Pearson"
                + ("; Q: Friedman test across all orders" if len(self.orders) > 2 else ""),
                f"Significant at p < {fmt_number(1 - self.conf_level, 3)} (conf_level = "
                f"{fmt_number(self.conf_level, 3)}): {self.rule}",
                "",
                format_frame(show, digits),
            ]
        )

    def __str__(self) -> str:
        return self.summary()


def _wilcoxon_r(d: np.ndarray) -> tuple[float, float]:
    """R's ``wilcox.test(x, y, paired = TRUE)``: V = sum of the ranks of |d| over positive d (zeros
    dropped), exact p when n < 50 without ties or zeros, else the normal approximation with tie and
    continuity correction (scipy.stats.wilcoxon does the test; only the method choice mirrors R)."""
    d = d[np.isfinite(d)]
    nz = d[d != 0]
    if nz.size == 0:
        return math.nan, math.nan
    ranks = _st.rankdata(np.abs(nz))
    v = float(ranks[nz > 0].sum())
    exact = nz.size < 50 and nz.size == d.size and np.unique(np.abs(nz)).size == nz.size
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = _st.wilcoxon(
            nz, zero_method="wilcox", correction=not exact, method="exact" if exact else "approx"
        )
    return v, float(res.pvalue)


def order_sensitivity(
    long: pd.DataFrame,
    *,
    a: str = "original",
    b: str = "reversed",
    order: str = "order",
    pair_on: Sequence[str] | None = None,
    by: str | Sequence[str] | None = None,
    conf_level: float = 0.95,
    respondent: str = "respondent",
    scale: str = "scale",
    instrument: str = "instrument",
    value: str = "value",
    keyed: str = "keyed",
    status: str | None = "status",
    shown_values: str = "shown_values",
    scale_min: float | None = None,
    scale_max: float | None = None,
) -> OrderSensitivityResult:
    """Does the order of the response options change the scale score? One row per (by..., instrument, scale).

    Each respondent's scale score under order ``a`` is paired with the score of the respondent that
    differs only in its order (``pair_on``, default every identifying factor but the order: model x
    persona x template x repeat). With d_i = y_i(a) - y_i(b) over the n complete pairs:

    * ``mean_diff`` = mean(d), ``mean_abs_diff`` = mean(|d|);
    * paired t test t = mean(d) / (sd(d) / sqrt(n)) on n - 1 df (``scipy.stats.ttest_rel``; R
      ``t.test(x, y, paired = TRUE)``);
    * Wilcoxon (1945) signed-rank test, V = sum of ranks of |d_i| over d_i > 0, zeros dropped
      (``scipy.stats.wilcoxon``; R ``wilcox.test(x, y, paired = TRUE)``: exact for n < 50 without ties,
      else normal approximation with continuity correction);
    * Pearson r between y(a) and y(b) (``scipy.stats.pearsonr``; R ``cor.test``);
    * when the table has more than two orders, the Friedman test across all of them (complete targets).

    ``significant`` is our definition: Wilcoxon p < 1 - ``conf_level`` (or, with more than two orders,
    Friedman p < 1 - ``conf_level``). Scores that never change give NaN tests and ``significant = False``.

    Parameters
    ----------
    long : the long results table.
    a, b : the two option orders compared (values of ``order``).
    order : the column holding the option order.
    pair_on : the columns identifying a respondent across orders (default: the identifying factors
        of docs/architecture.md present, but the order and ``by``).
    by : column(s) to break the tests down by.
    conf_level : significant means p < 1 - conf_level (default 0.95).
    respondent, scale, instrument, value, keyed, status, shown_values, scale_min, scale_max : as in
        :func:`psychometry.stats.tidy.scale_scores`.

    References: Wilcoxon (1945), Biometrics Bull. 1, 80-83. Friedman (1937), JASA 32, 675-701.
    Gupta et al. (2024) (reversed option order as a robustness check).

    Example
    -------
    >>> import pandas as pd
    >>> from psychometry.stats import order_sensitivity
    >>> rows = [{"persona": p, "order": o, "respondent": f"{p}/{o}", "instrument": "i", "scale": "E",
    ...          "item": "e1", "keyed": 1, "status": "ok", "shown_values": "1,2,3,4,5",
    ...          "value": float(base + (shift if o == "reversed" else 0))}
    ...         for p, base, shift in zip("abcdefgh", [1, 2, 2, 3, 3, 4, 1, 2], [1, 2, 1, 1, 2, 1, 3, 1])
    ...         for o in ("original", "reversed")]
    >>> os_ = order_sensitivity(pd.DataFrame(rows), a="original", b="reversed")
    >>> os_.to_frame()[["scale", "n", "mean_diff", "v", "p_wilcoxon", "significant"]].round(4)
      scale  n  mean_diff    v  p_wilcoxon  significant
    0     E  8       -1.5  0.0      0.0119         True
    """
    what = "order_sensitivity"
    _check_conf_level(conf_level, what)
    alpha = round(1.0 - conf_level, 12)
    by_ = _as_list(by)
    cols = LongColumns(
        respondent=respondent,
        scale=scale,
        instrument=instrument,
        value=value,
        keyed=keyed,
        status=status,
        shown_values=shown_values,
        scale_min=scale_min,
        scale_max=scale_max,
    )
    ss, groups, pair_on_ = _paired_scores(
        long,
        order,
        pair_on,
        by_,
        what,
        cols,
    )
    ss[order] = ss[order].astype(str)
    orders = tuple(pd.unique(ss[order]))
    for o, name in ((a, "a"), (b, "b")):
        if str(o) not in orders:
            raise LongTableError(
                f"{what}: order {name}={o!r} is not in column '{order}' (orders: {', '.join(orders)})"
            )
    if str(a) == str(b):
        raise LongTableError(f"{what}: a and b are the same order {a!r}")
    rows = []
    for key, g in ss.groupby(groups, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        r = dict.fromkeys(_ORDER_COLS, math.nan)
        wide = g.pivot(index="__s", columns=order, values="score")
        pair = wide[[str(a), str(b)]].dropna()
        x, y = pair[str(a)].to_numpy(), pair[str(b)].to_numpy()
        n = len(pair)
        d = x - y
        r.update(n_pairs=n, n_orders=len(orders), significant=False)
        if n:
            r.update(
                mean_a=float(x.mean()),
                mean_b=float(y.mean()),
                mean_diff=float(d.mean()),
                mean_abs_diff=float(np.abs(d).mean()),
            )
        if n >= 2:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if np.ptp(d) > 0:
                    t = _st.ttest_rel(x, y)
                    r.update(t=float(t.statistic), t_df=float(n - 1), t_p=float(t.pvalue))
                r["V"], r["wilcoxon_p"] = _wilcoxon_r(d)
                if n >= 3 and np.ptp(x) > 0 and np.ptp(y) > 0:
                    c = _st.pearsonr(x, y)
                    r.update(r=float(c.statistic), r_p=float(c.pvalue))
        if len(orders) > 2:
            full, dl = _complete_long(g, order, orders)
            r["n_complete"] = len(full)
            r["friedman_Q"], r["friedman_df"], r["friedman_p"], _ = _friedman(dl)
            r["significant"] = bool(r["friedman_p"] < alpha)
        else:
            r["n_complete"] = n
            r["significant"] = bool(r["wilcoxon_p"] < alpha)
        rows.append({**dict(zip(groups, key)), **r})
    table = pd.DataFrame(rows, columns=groups + _ORDER_COLS)
    return OrderSensitivityResult(
        table=table, a=str(a), b=str(b), pair_on=tuple(pair_on_), orders=orders, conf_level=conf_level
    )
