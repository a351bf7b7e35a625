"""Human priors and the share of trait-behaviour associations that point the human way.

"The Personality Illusion" (Han et al. 2025) asks of a language model's trait-behaviour
associations what share point in the direction they have in people, against the 50% of chance.

* :func:`human_priors`: the shipped table ``human_priors.yaml`` (cited; direction, and the
  meta-analytic effect where its figure was checked), one row per (trait scale, behaviour).
* :func:`direction_share`: given estimated associations (e.g. ``behaviour_regression(...).to_frame()``
  or a table of trait, behaviour, estimate, p), per group (model) the number k of associations with
  a prior whose sign agrees with the human direction, out of n, for all of them and for the
  significant ones (p < 1 - conf_level); the share k / n with the Clopper-Pearson interval

      [B(a/2; k, n - k + 1), B(1 - a/2; k + 1, n - k)],   a = 1 - conf_level

  (B the beta quantile), and the exact two-sided binomial test of share = 0.5 (R's ``binom.test``:
  the sum of the probabilities of the outcomes no more likely than k).

References: Clopper, C. J., & Pearson, E. S. (1934). The use of confidence or fiducial limits
illustrated in the case of the binomial. *Biometrika, 26*(4), 404-413. Han et al. (2025), The
personality illusion. Sources of the priors: in the YAML. Checked against ``binom.test`` in
``tests/test_stats_priors.py`` (``tests/reference/consistency.R``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd
from scipy import stats as sps

from psychometry.errors import StatsInputError

from ._api import Result
from ._rprint import format_frame_signif, format_strings

__all__ = ["DirectionShareResult", "HumanPriorsResult", "binom_test", "direction_share", "human_priors"]

PRIORS_FILE = "human_priors.yaml"


def binom_test(k: int, n: int, conf_level: float = 0.95) -> tuple[float, float, float]:
    """R's ``binom.test(k, n, p = 0.5)``: two-sided p and the Clopper-Pearson interval."""
    if n == 0:
        return math.nan, math.nan, math.nan
    res = sps.binomtest(int(k), int(n), 0.5)
    ci = res.proportion_ci(confidence_level=conf_level, method="exact")
    return float(res.pvalue), float(ci.low), float(ci.high)


@functools.lru_cache(maxsize=1)
def _load() -> dict:
    import yaml

    text = resources.files(__package__).joinpath(PRIORS_FILE).read_text(encoding="utf-8")
    return yaml.safe_load(text)


@dataclass(frozen=True, eq=False)
class HumanPriorsResult(Result):
    """The shipped human priors (:func:`human_priors`): ``table``, one row per (scale, behaviour)."""

    table: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """One row per (trait scale, behaviour): trait, instrument, scale, task, behaviour, direction,
        effect_metric, estimate (the effect's value, NaN when not checked), n_studies, n, source,
        note."""
        return self.table.copy()

    def summary(self) -> str:
        t = self.table
        show = t[["trait", "instrument", "scale", "behaviour", "direction", "effect_metric", "estimate"]]
        show = show.assign(
            instrument=show["instrument"].fillna("-"),
            scale=show["scale"].fillna("-"),
            effect_metric=show["effect_metric"].fillna("-"),
            estimate=[f"{v:g}" if not math.isnan(v) else "-" for v in show["estimate"]],
            direction=[f"{v:+d}" for v in show["direction"]],
        )
        return "\n".join(
            [
                "Human priors: trait -> behaviour in people (psychometry/stats/human_priors.yaml)",
                "",
                format_strings(show.set_index("trait").astype(str)),
                "",
                "Sources:",
                *sorted({s for ss in t["source"] for s in ss.split(" | ")}),
            ]
        )


def human_priors() -> HumanPriorsResult:
    """The shipped table of human trait -> behaviour associations (direction, cited effect).

    Each entry of ``psychometry/stats/human_priors.yaml`` (a construct, the shipped inventory scales
    that measure it, a shipped task scale, a direction of +1 or -1, the meta-analytic effect where its
    figure was checked against the source, the sources) becomes one row per scale; constructs no
    shipped inventory measures (Honesty-Humility, sensation seeking) keep one row with no scale.
    Reference: the sources in the table (Thielmann, Spadaro & Balliet 2020; Heck et al. 2018;
    Lauriola et al. 2014; Nicholson et al. 2005; ...). Test: ``tests/test_stats_priors.py``.

    Returns
    -------
    HumanPriorsResult

    Example
    -------
    >>> from psychometry.stats import human_priors
    >>> t = human_priors().to_frame()
    >>> t[(t["instrument"] == "bfi44") & (t["behaviour"] == "generosity")][["scale", "direction"]]
      scale  direction
    0     A          1
    """
    rows = []
    for e in _load()["entries"]:
        task, behaviour = e["behaviour"].split("/")
        eff = e.get("effect") or {}
        base = {
            "trait": e["trait"],
            "task": task,
            "behaviour": behaviour,
            "direction": int(e["direction"]),
            "effect_metric": eff.get("metric"),
            "estimate": float(eff["value"]) if eff.get("value") is not None else math.nan,
            "n_studies": eff.get("n_studies"),
            "n": eff.get("n"),
            "source": " | ".join(e["sources"]),
            "note": " ".join(str(e.get("note", "")).split()),
        }
        scales = e.get("scales") or [None]
        for sc in scales:
            inst, scale = sc.split("/") if sc else (None, None)
            rows.append({"trait": base["trait"], "instrument": inst, "scale": scale, **base})
    cols = ["trait", "instrument", "scale", "task", "behaviour", "direction", "effect_metric", "estimate",
            "n_studies", "n", "source", "note"]  # fmt: skip
    return HumanPriorsResult(table=pd.DataFrame(rows)[cols])


# --------------------------------------------------------------------------------------------------
# direction share


@dataclass(frozen=True, eq=False)
class DirectionShareResult(Result):
    """Result of :func:`direction_share`.

    ``table``: per group (and ``(all)`` over every group), ``n`` associations with a human prior,
    ``n_human`` of them in the human direction, ``share`` with ``share_ci_low``/``share_ci_high``
    (Clopper-Pearson) and ``p`` (exact binomial test of 0.5); the same for the significant ones
    (``n_significant``, ``n_significant_human``, ``share_significant``, ..., ``p_significant``).
    ``matches``: one row per association that has a prior (trait, behaviour, estimate, p, the human
    direction, ``human`` True/False, ``significant``). ``unmatched``: the associations without one.
    """

    table: pd.DataFrame
    matches: pd.DataFrame
    unmatched: pd.DataFrame
    by: tuple[str, ...]
    conf_level: float = 0.95

    def to_frame(self) -> pd.DataFrame:
        """The table: the group columns, n, n_human, share, share_ci_low, share_ci_high, p, and the
        same for the significant associations."""
        return self.table.reset_index()

    def summary(self, digits: int = 3) -> str:
        pct = f"{100 * self.conf_level:g}%"
        lines = [
            "Share of trait-behaviour associations in the human direction (psychometry.stats.direction_share)",
            f"exact binomial test of 0.5 and Clopper-Pearson {pct} intervals (R: binom.test); "
            f"significant: p < {1 - self.conf_level:g}",
            "",
            format_frame_signif(self.table, digits),
            "",
            f"{len(self.matches)} association(s) with a human prior, {len(self.unmatched)} without",
        ]
        return "\n".join(lines) + "\n"


ALL = "(all)"


def _prior_lookup(priors: pd.DataFrame) -> dict[tuple[str, str], int]:
    """(trait name as the data may spell it, behaviour) -> direction (0: ambiguous).

    A scale is known by ``<instrument>_<scale>`` (respondent_scores' column name when two instruments
    share a scale id), by ``<instrument>/<scale>``, by the construct name and by its bare id, the last
    only where the id names one construct in the table: ``N`` is neuroticism in bfi44 and
    narcissism in sd3, so a bare ``N`` with a behaviour that has a prior for either is ambiguous."""
    out: dict[tuple[str, str], int] = {}
    constructs: dict[str, set[str]] = {}
    for _, r in priors.iterrows():
        if isinstance(r["scale"], str):
            constructs.setdefault(str(r["scale"]), set()).add(str(r["trait"]))
    for _, r in priors.iterrows():
        beh, direction = str(r["behaviour"]), int(r["direction"])
        names = [str(r["trait"])]
        if isinstance(r["instrument"], str) and isinstance(r["scale"], str):
            names += [f"{r['instrument']}_{r['scale']}", f"{r['instrument']}/{r['scale']}"]
            bare = (str(r["scale"]), beh)
            out[bare] = direction if len(constructs[str(r["scale"])]) == 1 else 0
        for nm in names:
            out[(nm, beh)] = direction
    return out


def direction_share(
    data: pd.DataFrame,
    *,
    priors: pd.DataFrame | None = None,
    by: str | Sequence[str] | None = None,
    trait: str = "trait",
    behaviour: str = "behaviour",
    estimate: str = "estimate",
    p: str = "p",
    conf_level: float = 0.95,
) -> DirectionShareResult:
    """Share of estimated trait-behaviour associations that point in the human direction.

    For the associations that have a human prior (the shipped :func:`human_priors`, or ``priors``),
    an association agrees when ``sign(estimate) == direction``. Per group of ``by`` (e.g. per model)
    and over all rows: k agreeing of n, the share k / n, its Clopper-Pearson interval and the exact
    two-sided binomial test of 0.5 (R's ``binom.test(k, n)``), for all associations and for the
    significant ones (p < 1 - conf_level). An estimate of exactly 0 points nowhere and is left out.

    Reference: Clopper & Pearson (1934), *Biometrika 26*; Han et al. (2025), The personality
    illusion. Test: ``tests/test_stats_priors.py`` against ``binom.test``.

    Parameters
    ----------
    data : one row per association: the trait (a scale id such as ``A``, ``bfi44_N`` or a construct
        name; a bare id is read as the scale of the priors table that has it, so prefix other
        inventories' scales, and ``N``, which is both bfi44's neuroticism and sd3's narcissism), the behaviour (a task scale id such as ``generosity``), the estimate and its p. The
        output of ``behaviour_regression(...).to_frame()`` works as it is (``term`` is read as the
        trait; intercepts are dropped).
    priors : a table with the columns of ``human_priors().to_frame()`` (trait, instrument, scale,
        behaviour, direction); default the shipped one.
    by : column(s) to break the share down by (``"model"``).
    trait, behaviour, estimate, p : column names.
    conf_level : level of the intervals; the significance level is 1 - conf_level.

    Returns
    -------
    DirectionShareResult

    Example
    -------
    >>> import pandas as pd
    >>> from psychometry.stats import direction_share
    >>> est = pd.DataFrame({"trait": ["A", "E", "O", "C", "bfi44_N", "A"],
    ...                     "behaviour": ["generosity", "risk_taking", "risk_taking", "risk_taking",
    ...                                   "risk_taking", "cooperation"],
    ...                     "estimate": [0.4, 0.2, -0.1, -0.3, -0.2, 0.5],
    ...                     "p": [0.001, 0.03, 0.5, 0.01, 0.2, 0.004]})
    >>> res = direction_share(est)
    >>> res.to_frame()[["group", "n", "n_human", "share", "p", "n_significant_human", "n_significant"]].round(3)
       group  n  n_human  share      p  n_significant_human  n_significant
    0  (all)  6        5  0.833  0.219                    4              4
    """
    what = "direction_share"
    if not isinstance(data, pd.DataFrame):
        raise StatsInputError(f"{what}: data must be a pandas DataFrame, got {type(data).__name__}")
    if not 0 < conf_level < 1:
        raise StatsInputError(f"{what}: conf_level must lie between 0 and 1, not {conf_level!r}")
    d = data.reset_index() if not isinstance(data.index, pd.RangeIndex) else data.copy()
    if trait not in d.columns and trait == "trait" and "term" in d.columns:
        d = d.rename(columns={"term": "trait"})
        d = d[d["trait"].astype(str) != "(Intercept)"]
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    for arg, col in [("trait", trait), ("behaviour", behaviour), ("estimate", estimate), ("p", p)] + [
        ("by", c) for c in by_cols
    ]:
        if col not in d.columns:
            raise StatsInputError(
                f"{what}: {arg} column {col!r} is not in data (columns: {', '.join(map(str, d.columns))})"
            )
    for arg, col in (("estimate", estimate), ("p", p)):
        if not pd.api.types.is_numeric_dtype(d[col]):
            raise StatsInputError(f"{what}: {arg} column {col!r} must be numeric")
    pri = human_priors().table if priors is None else priors
    need = {"trait", "instrument", "scale", "behaviour", "direction"}
    if not isinstance(pri, pd.DataFrame) or not need <= set(pri.columns):
        raise StatsInputError(
            f"{what}: priors must be a DataFrame with the columns {', '.join(sorted(need))}"
        )
    if not set(pri["direction"].astype(int)) <= {-1, 1}:
        raise StatsInputError(f"{what}: priors' direction must be +1 or -1")
    lookup = _prior_lookup(pri)
    dirs = [lookup.get((str(t), str(b))) for t, b in zip(d[trait], d[behaviour])]
    amb = [f"{t} ({b})" for (t, b), v in zip(zip(d[trait], d[behaviour]), dirs) if v == 0]
    if amb:
        raise StatsInputError(
            f"{what}: trait {amb[0]} names scales of two inventories with opposite human directions "
            "(e.g. bfi44 N = neuroticism, sd3 N = narcissism); spell it <instrument>_<scale> (bfi44_N)"
        )
    d = d.assign(direction=dirs)
    has = d["direction"].notna() & d[estimate].notna() & (d[estimate] != 0)
    unmatched = d[~has]
    m = d[has].copy()
    m["direction"] = m["direction"].astype(int)
    m["human"] = np.sign(m[estimate].astype(float)).astype(int) == m["direction"]
    m["significant"] = m[p].astype(float) < 1 - conf_level

    def row(part: pd.DataFrame) -> dict[str, float]:
        n, k = len(part), int(part["human"].sum())
        sig = part[part["significant"]]
        ns, ks = len(sig), int(sig["human"].sum())
        pv, lo, hi = binom_test(k, n, conf_level)
        pvs, los, his = binom_test(ks, ns, conf_level)
        return {
            "n": n,
            "n_human": k,
            "share": k / n if n else math.nan,
            "share_ci_low": lo,
            "share_ci_high": hi,
            "p": pv,
            "n_significant": ns,
            "n_significant_human": ks,
            "share_significant": ks / ns if ns else math.nan,
            "share_significant_ci_low": los,
            "share_significant_ci_high": his,
            "p_significant": pvs,
        }

    rows: dict[object, dict[str, float]] = {}
    if by_cols:
        for key, part in m.groupby(by_cols, sort=False):
            rows[key[0] if isinstance(key, tuple) and len(key) == 1 else key] = row(part)
    rows[ALL] = row(m)
    table = pd.DataFrame.from_dict(rows, orient="index")
    for c in ("n", "n_human", "n_significant", "n_significant_human"):
        table[c] = table[c].astype(int)
    table.index.name = by_cols[0] if len(by_cols) == 1 else "group"
    keep = [*by_cols, trait, behaviour, estimate, p]
    return DirectionShareResult(
        table=table,
        matches=m[[*keep, "direction", "human", "significant"]].reset_index(drop=True),
        unmatched=unmatched[keep].reset_index(drop=True),
        by=tuple(by_cols),
        conf_level=conf_level,
    )
