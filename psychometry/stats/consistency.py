"""Self-report consistency: does a model's rating of its own behaviour track the behaviour?

Betley et al. (2025) ask a model to rate a behaviour of its own on 0-100 and correlate the rating
with what the model does, across models (or personas, prompts). For n pairs (x_i, y_i):

* Pearson's ``r = sum (x - xbar)(y - ybar) / sqrt(sum (x - xbar)^2 sum (y - ybar)^2)``;
* ``t = r sqrt((n - 2) / (1 - r^2))`` on n - 2 df, two-sided p;
* the Fisher-z interval ``tanh(atanh(r) +- z_(1 - (1 - conf_level)/2) / sqrt(n - 3))`` (n >= 4).

As R's ``cor.test(x, y)``, per group (``by``: e.g. per model) and over all rows pooled.

References: Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation deduced
from a small sample. *Metron, 1*, 3-32. Betley, J., et al. (2025). Tell me about yourself: LLMs are
aware of their learned behaviors. ICLR 2025. Checked against ``cor.test`` in
``tests/test_stats_consistency.py`` (``tests/reference/consistency.R``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats as sps

from psychometry.errors import StatsInputError

from ._api import Result
from ._rprint import format_frame_signif, format_pval, format_signif

if TYPE_CHECKING:  # matplotlib is imported by plot() only
    from matplotlib.figure import Figure

__all__ = ["BehaviourConsistencyResult", "behaviour_consistency", "cor_test"]

POOLED = "(pooled)"


def cor_test(x: np.ndarray, y: np.ndarray, conf_level: float = 0.95) -> dict[str, float]:
    """R's ``cor.test(x, y)`` (Pearson): r, t, df, p and the Fisher-z interval (NaN when n < 4)."""
    n = len(x)
    r = float(np.corrcoef(x, y)[0, 1])
    r = max(-1.0, min(1.0, r))
    df = n - 2
    t = r * math.sqrt(df / (1 - r * r)) if abs(r) < 1 else math.copysign(math.inf, r)
    p = float(2 * sps.t.sf(abs(t), df))
    if n >= 4 and abs(r) < 1:
        z = math.atanh(r)
        half = float(sps.norm.ppf(1 - (1 - conf_level) / 2)) / math.sqrt(n - 3)
        lo, hi = math.tanh(z - half), math.tanh(z + half)
    else:
        lo = hi = math.nan
    return {"n": n, "r": r, "r_ci_low": lo, "r_ci_high": hi, "statistic": t, "df": df, "p": p}


@dataclass(frozen=True, eq=False)
class BehaviourConsistencyResult(Result):
    """Result of :func:`behaviour_consistency`.

    ``table``: one row per group (and ``(pooled)`` over all rows): ``n``, ``r``, ``r_ci_low``,
    ``r_ci_high``, ``statistic`` (t), ``df``, ``p``, ``significant``. ``pooled``: the pooled row.
    """

    self_report: str
    behaviour: str
    by: tuple[str, ...]
    table: pd.DataFrame
    data: pd.DataFrame
    conf_level: float = 0.95

    @property
    def pooled(self) -> pd.Series:
        return self.table.loc[POOLED]

    def to_frame(self) -> pd.DataFrame:
        """One row per group (the ``by`` columns, ``(pooled)`` for all rows), n, r, r_ci_low,
        r_ci_high, statistic (t), df, p, significant."""
        out = self.table.reset_index()
        return out

    def summary(self, digits: int = 4) -> str:
        """The table, then R's ``print(cor.test(self_report, behaviour))`` of the pooled rows."""
        pct = f"{100 * self.conf_level:g}"
        head = f"Self-report vs behaviour: Pearson r of {self.self_report} with {self.behaviour}"
        if self.by:
            head += f", per {' x '.join(self.by)} and pooled"
        lines = [head, f"(t test on n - 2 df; Fisher-z {pct}% intervals; R: cor.test)", ""]
        lines.append(format_frame_signif(self.table.drop(columns="significant"), digits))
        lines += self._htest(self.pooled, digits=7)
        return "\n".join(lines) + "\n"

    def plot(self) -> Figure:
        """Self-rating against behaviour: one point per row, one colour per group, each group's
        least-squares line, r and its interval in the legend. Returns the matplotlib Figure."""
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5.5, 4.2))
        groups: list[tuple[object, pd.DataFrame]] = (
            list(self.data.groupby(list(self.by), sort=False)) if self.by else [(POOLED, self.data)]
        )
        for raw_key, part in groups:
            key = raw_key[0] if isinstance(raw_key, tuple) and len(raw_key) == 1 else raw_key
            x, y = part[self.self_report].to_numpy(float), part[self.behaviour].to_numpy(float)
            row = self.table.loc[key]  # type: ignore[index]
            label = f"{key}: r = {row['r']:.2f}"
            if not math.isnan(float(row["r_ci_low"])):
                label += f" [{row['r_ci_low']:.2f}, {row['r_ci_high']:.2f}]"
            pts = ax.scatter(x, y, s=18, alpha=0.8, label=label)
            if len(x) >= 2 and np.std(x) > 0:
                b1, b0 = np.polyfit(x, y, 1)
                xs = np.array([x.min(), x.max()])
                ax.plot(xs, b0 + b1 * xs, color=pts.get_facecolor()[0], linewidth=1)
        pooled = self.pooled
        ax.set_title(f"pooled r = {pooled['r']:.2f}, n = {int(pooled['n'])}", fontsize=10)
        ax.set_xlabel(f"self-report: {self.self_report}")
        ax.set_ylabel(f"behaviour: {self.behaviour}")
        ax.legend(fontsize=8, frameon=False)
        fig.tight_layout()
        plt.close(fig)
        return fig

    def _htest(self, row: pd.Series, digits: int = 7) -> list[str]:
        """print.htest of cor.test."""
        pv = format_pval([float(row["p"])], max(1, digits - 3))[0]
        pv = f"p-value {pv}" if pv.startswith("<") else f"p-value = {pv}"
        t = format_signif([float(row["statistic"])], max(1, digits - 2))[0]
        lines = [
            "",
            "\tPearson's product-moment correlation",
            "",
            f"data:  {self.self_report} and {self.behaviour}",
            f"t = {t}, df = {int(row['df'])}, {pv}",
            "alternative hypothesis: true correlation is not equal to 0",
        ]
        if not math.isnan(float(row["r_ci_low"])):
            ci = format_signif([float(row["r_ci_low"]), float(row["r_ci_high"])], digits)
            lines += [f"{100 * self.conf_level:g} percent confidence interval:", " " + " ".join(ci)]
        est = format_signif([float(row["r"])], digits)[0]
        w = max(len(est), 3)
        lines += ["sample estimates:", "cor".rjust(w) + " ", est.rjust(w) + " ", ""]
        return lines


def behaviour_consistency(
    data: pd.DataFrame,
    *,
    self_report: str,
    behaviour: str,
    by: str | Sequence[str] | None = None,
    conf_level: float = 0.95,
) -> BehaviourConsistencyResult:
    """Pearson r between a self-rating and the behaviour, with the Fisher-z interval (``cor.test``).

    ``r`` over the rows with both values; ``t = r sqrt((n - 2)/(1 - r^2))`` on n - 2 df, two-sided p;
    interval ``tanh(atanh(r) +- z / sqrt(n - 3))``. Per group of ``by`` (e.g. per model: rows are
    personas or prompts) and pooled over all rows (e.g. across models, as Betley et al. 2025).

    Reference: Fisher (1921), *Metron 1*; Betley et al. (2025), ICLR. Test:
    ``tests/test_stats_consistency.py`` against R's ``cor.test``.

    Parameters
    ----------
    data : DataFrame with one row per unit (model, persona), e.g. ``respondent_scores`` reset to
        columns: the self-rating (``self_behaviour`` scale or any scale score) and the behaviour.
    self_report, behaviour : the two columns.
    by : column(s) to break the correlation down by (e.g. ``"model"``).
    conf_level : level of the intervals.

    Returns
    -------
    BehaviourConsistencyResult

    Example
    -------
    >>> import pandas as pd
    >>> from psychometry.stats import behaviour_consistency
    >>> d = pd.DataFrame({"rating": [10, 20, 35, 40, 60, 65, 80, 90],
    ...                   "giving": [5.0, 30.0, 20.0, 50.0, 45.0, 70.0, 60.0, 85.0]})
    >>> res = behaviour_consistency(d, self_report="rating", behaviour="giving")
    >>> res.to_frame()[["n", "r", "r_ci_low", "r_ci_high", "p"]].round(3)  # R: cor.test(rating, giving)
       n     r  r_ci_low  r_ci_high      p
    0  8  0.91     0.573      0.984  0.002
    """
    what = "behaviour_consistency"
    if not isinstance(data, pd.DataFrame):
        raise StatsInputError(f"{what}: data must be a pandas DataFrame, got {type(data).__name__}")
    if not 0 < conf_level < 1:
        raise StatsInputError(f"{what}: conf_level must lie between 0 and 1, not {conf_level!r}")
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    for arg, col in [("self_report", self_report), ("behaviour", behaviour)] + [("by", c) for c in by_cols]:
        if col not in data.columns:
            raise StatsInputError(
                f"{what}: {arg} {col!r} is not a column of data (columns: {', '.join(map(str, data.columns))})"
            )
    for arg, col in (("self_report", self_report), ("behaviour", behaviour)):
        if not pd.api.types.is_numeric_dtype(data[col]) or pd.api.types.is_bool_dtype(data[col]):
            raise StatsInputError(f"{what}: {arg} {col!r} must be numeric")
    d = data.dropna(subset=[self_report, behaviour])

    def one(part: pd.DataFrame, label: str) -> dict[str, float]:
        x, y = part[self_report].to_numpy(float), part[behaviour].to_numpy(float)
        if len(x) < 3:
            raise StatsInputError(
                f"{what}: {label} has {len(x)} complete pair(s); a correlation test needs at least 3"
            )
        for arg, v in (("self_report", x), ("behaviour", y)):
            if np.std(v) == 0:
                raise StatsInputError(f"{what}: {arg} does not vary in {label}: no correlation")
        return cor_test(x, y, conf_level)

    rows: dict[object, dict[str, float]] = {}
    if by_cols:
        for key, part in d.groupby(by_cols, sort=False):
            key = key[0] if isinstance(key, tuple) and len(key) == 1 else key
            rows[key] = one(part, f"group {key!r}")
    rows[POOLED] = one(d, "the pooled data")
    table = pd.DataFrame.from_dict(rows, orient="index")
    table["n"] = table["n"].astype(int)
    table["df"] = table["df"].astype(int)
    table["significant"] = table["p"] < 1 - conf_level
    table.index.name = by_cols[0] if len(by_cols) == 1 else ("group" if by_cols else None)
    if table.index.name is None:
        table.index.name = "group"
    return BehaviourConsistencyResult(
        self_report=self_report,
        behaviour=behaviour,
        by=tuple(by_cols),
        table=table,
        data=d[[*by_cols, self_report, behaviour]],
        conf_level=conf_level,
    )
