"""Refusal and unparsed-answer rates with Wilson intervals (:func:`refusal_rates`).

Formulas, references and tests: docs/statistics/robustness.md."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from psychometry.stats._api import Result
from psychometry.stats._rprint import format_frame
from psychometry.stats.tidy import (
    LongTableError,
    present,
    require_columns,
)

from ._shared import (
    By,
    _as_list,
    _check_conf_level,
    _tidy,
)

#: The factors refusal_rates breaks the rates down by when ``by`` is not given.
REFUSAL_FACTORS: tuple[str, ...] = ("model", "template", "order", "instrument", "persona")

_REFUSAL_RENAMED = {
    "refused": "n_refused",
    "refused_lower": "refused_rate_ci_low",
    "refused_upper": "refused_rate_ci_high",
    "unparsed": "n_unparsed",
    "unparsed_lower": "unparsed_rate_ci_low",
    "unparsed_upper": "unparsed_rate_ci_high",
}


@dataclass(frozen=True)
class RefusalRatesResult(Result):
    """Refusal and unparsed rates with Wilson confidence intervals, overall and by factor.

    Attributes
    ----------
    table : one row per (factor, level); ``factor == "all"`` is the whole table. Columns ``n``,
        ``refused``, ``refused_rate``, ``refused_lower``, ``refused_upper``, ``unparsed``,
        ``unparsed_rate``, ``unparsed_lower``, ``unparsed_upper`` (R's prop.test names; ``to_frame()``
        has them in docs/api.md's vocabulary).
    refused, unparsed : overall rates.
    conf_level : the confidence level of the intervals.
    """

    table: pd.DataFrame = field(repr=False)
    refused: float
    unparsed: float
    n: int
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        """One row per (factor, level): ``n``, ``n_refused``, ``refused_rate``, ``refused_rate_ci_low``,
        ``refused_rate_ci_high``, and the same for ``unparsed``."""
        return _tidy(self.table, _REFUSAL_RENAMED)

    def summary(self, digits: int = 3) -> str:
        t = self.table.copy()
        t.index = [f"{f}={lv}" if f != "all" else "all" for f, lv in zip(t["factor"], t["level"])]
        t = t.drop(columns=["factor", "level"])
        pct = int(round(self.conf_level * 100))
        return "\n".join(
            [
                "Refusal and unparsed rates (psychometry.stats.refusal_rates)",
                f"Wilson score {pct}% confidence intervals (statsmodels proportion_confint; "
                "R: prop.test(x, n, correct = FALSE))",
                "",
                format_frame(t, digits),
            ]
        )

    def __str__(self) -> str:
        return self.summary()


def refusal_rates(
    long: pd.DataFrame,
    *,
    by: By = None,
    status: str = "status",
    refused: str = "refused",
    unparsed: str = "unparsed",
    conf_level: float = 0.95,
) -> RefusalRatesResult:
    """Refusal rate and unparsed rate with Wilson score confidence intervals.

    For a group of n responses of which x have the status::

        rate = x / n,  CI = (p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)

    the Wilson (1927) score interval (statsmodels ``proportion_confint(method="wilson")``; R's
    ``prop.test(x, n, correct = FALSE)$conf.int``), recommended over the Wald interval by Brown, Cai &
    DasGupta (2001) for small n and rates near 0.

    Parameters
    ----------
    long : the long results table.
    by : ``None`` = overall and by each of model, template, order, instrument, persona (those present);
        a column name or a list of them (each broken down separately; a tuple inside the list crosses
        factors, e.g. ``[("model", "template")]``).
    status : the status column; ``refused`` / ``unparsed`` its two non-``ok`` values.

    conf_level : confidence level of the intervals (default 0.95).

    Returns
    -------
    RefusalRatesResult: ``refused``, ``unparsed`` (overall rates), ``n``, ``table``; ``to_frame()``.

    Example
    -------
    >>> import pandas as pd
    >>> from psychometry.stats import refusal_rates
    >>> long = pd.DataFrame({"template": ["t1"] * 10 + ["t2"] * 10,
    ...                      "status": ["ok"] * 9 + ["refused"] + ["ok"] * 7 + ["refused", "unparsed", "ok"]})
    >>> r = refusal_rates(long, by="template")
    >>> round(r.refused, 3), round(r.unparsed, 3)
    (0.1, 0.05)
    >>> r.to_frame()[["level", "n", "n_refused", "refused_rate", "refused_rate_ci_low"]].round(3)
      level   n  n_refused  refused_rate  refused_rate_ci_low
    0   all  20          2           0.1                0.028
    1    t1  10          1           0.1                0.018
    2    t2  10          1           0.1                0.018

    Reference: Wilson, E. B. (1927). JASA 22, 209-212. Brown, Cai & DasGupta (2001). Statistical
    Science 16, 101-133.
    """
    what = "refusal_rates"
    _check_conf_level(conf_level, what)
    require_columns(long, [status], what)
    if long.empty:
        raise LongTableError(f"{what}: the long table has no rows")
    groups: list[list[str]] = []
    if by is None:
        groups = [[c] for c in present(long, REFUSAL_FACTORS)]
    else:
        for b in [by] if isinstance(by, str) else list(by):
            groups.append(_as_list(b))
    for g in groups:
        require_columns(long, g, what)
    st = long[status].astype(str)
    flags = pd.DataFrame(
        {"__r": (st == refused).to_numpy(dtype=np.int64), "__u": (st == unparsed).to_numpy(dtype=np.int64)},
        index=long.index,
    )
    parts = [
        pd.DataFrame(
            {
                "factor": ["all"],
                "level": ["all"],
                "n": [len(long)],
                "refused": [int(flags["__r"].sum())],
                "unparsed": [int(flags["__u"].sum())],
            }
        )
    ]
    for g in groups:
        agg = (
            flags.groupby([long[c] for c in g], sort=True, dropna=False, observed=True)
            .agg(n=("__r", "size"), refused=("__r", "sum"), unparsed=("__u", "sum"))
            .reset_index()
        )
        level = agg[g].astype(str).agg("/".join, axis=1) if len(g) > 1 else agg[g[0]].astype(str)
        parts.append(
            pd.DataFrame(
                {
                    "factor": "x".join(g),
                    "level": level.to_numpy(),
                    "n": agg["n"].to_numpy(),
                    "refused": agg["refused"].to_numpy(),
                    "unparsed": agg["unparsed"].to_numpy(),
                }
            )
        )
    t = pd.concat(parts, ignore_index=True)
    a = 1 - conf_level
    for name in ("refused", "unparsed"):
        rate = t[name] / t["n"]
        lo, hi = proportion_confint(t[name].to_numpy(), t["n"].to_numpy(), alpha=a, method="wilson")
        t.insert(t.columns.get_loc(name) + 1, f"{name}_rate", rate.to_numpy())
        t.insert(t.columns.get_loc(name) + 2, f"{name}_lower", np.asarray(lo, dtype=float))
        t.insert(t.columns.get_loc(name) + 3, f"{name}_upper", np.asarray(hi, dtype=float))
    return RefusalRatesResult(
        table=t,
        refused=float(t["refused_rate"].iloc[0]),
        unparsed=float(t["unparsed_rate"].iloc[0]),
        n=int(t["n"].iloc[0]),
        conf_level=conf_level,
    )
