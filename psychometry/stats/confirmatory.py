"""Confirmatory factor analysis: :func:`cfa`, the front door of lavaan's ``cfa()``.

:func:`cfa` checks its arguments and dispatches: continuous items to the maximum-likelihood fit
(:mod:`psychometry.stats.sem.ml`), ordinal items to WLSMV (:mod:`psychometry.stats.ordinal`), and
``group=`` to the multi-group fits (:mod:`psychometry.stats.multigroup`, ML or WLSMV). The SEM core
they share (model parsing, parameter bookkeeping, start values, fit indices, parameter rows, the
result and its printer) is the private package :mod:`psychometry.stats.sem`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from psychometry.errors import StatsInputError
from psychometry.stats.multigroup import multigroup_cfa
from psychometry.stats.ordinal import cfa_wlsmv
from psychometry.stats.sem.ml import cfa_ml
from psychometry.stats.sem.model import parse_model
from psychometry.stats.sem.params import LAVAAN_COLUMNS
from psychometry.stats.sem.result import CFAResult

if TYPE_CHECKING:
    from psychometry.stats.multigroup import MultiGroupCFAResult
    from psychometry.stats.ordinal_groups import MultiGroupWLSMVResult

__all__ = ["LAVAAN_COLUMNS", "CFAResult", "cfa", "parse_model"]


def cfa(
    data: pd.DataFrame,
    *,
    model: str | Mapping[str, Sequence[str]],
    start: str = "default",
    ordered: bool | Sequence[str] = False,
    estimator: str | None = None,
    group: str | None = None,
    group_equal: Sequence[str] = (),
    missing: str = "listwise",
) -> CFAResult | MultiGroupCFAResult | MultiGroupWLSMVResult:
    """Maximum-likelihood confirmatory factor analysis, as ``lavaan::cfa(model, data)``.

    Parameters
    ----------
    data : DataFrame with one numeric column per item named in the model (other columns are
        ignored); rows with a missing value on a model item are dropped (lavaan's listwise default).
        Reverse-keyed items may be left raw: their loadings are then negative.
    model : ``{"visual": ["x1", "x2", "x3"], ...}`` or lavaan syntax
        ``"visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6"`` (only ``=~`` lines).
    start : ``"default"`` (lavaan's: FABIN3 loadings, half the observed variances as residual
        variances, factor (co)variances fitted to the covariances) or ``"simple"`` (loadings 1,
        factor variances .05); the solution does not depend on it when the fit converges.
    ordered : ``True`` (or the list of all model items) treats every item as ordinal, as lavaan's
        ``cfa(model, data, ordered = TRUE)``: polychoric correlations and thresholds, WLSMV (DWLS
        estimates, robust sandwich SEs, scaled-and-shifted chi-square), delta parameterisation;
        returns an :class:`psychometry.stats.ordinal.OrdinalCFAResult`. Mixing ordinal and
        continuous items is not supported.
    estimator : ``None``/``"ML"`` (default for continuous items) or ``"WLSMV"`` (the default with
        ``ordered``; ``estimator="WLSMV"`` alone implies ``ordered=True``).
    missing : ``"listwise"`` (lavaan's default) or, for ordered items, ``"pairwise"`` (lavaan's
        ``missing = "pairwise"``: thresholds and polychorics from the available answers).
    group, group_equal : a column of ``data`` defining groups: a multi-group CFA as lavaan's
        ``cfa(model, data, group = group, group.equal = group_equal)`` (ML with mean structure, or WLSMV
        with ``ordered``); returns :func:`psychometry.stats.multigroup.multigroup_cfa`'s result.

    Returns a :class:`CFAResult` with lavaan's fit measures (``res.fit["cfi"]``, also ``res.cfi``),
    the parameter table (``res.parameters``, ``res.to_frame()``: estimate, se, statistic = z, p,
    std_lv, std_all) and ``summary()`` printed like lavaan's. Estimation: Newton / Fisher scoring (see :mod:`psychometry.stats.sem.ml`);
    warns, as lavaan does, when it does not converge, when a residual variance is negative
    (Heywood case) or when the factor covariance matrix is not positive definite. Formulas: see the
    docstring of :mod:`psychometry.stats.sem.ml`.

    Formula: F_ML = log|Sigma| + tr(S Sigma^-1) - log|S| - p, Sigma = Lambda Phi Lambda' + Theta
    (:mod:`psychometry.stats.sem.ml`); with lavaan's tutorial data (Holzinger & Swineford 1939) the fit is the
    published chisq 85.306 on 24 df, CFI .931 (``tests/test_stats_cfa.py``).

    References: Joreskog, K. G. (1969). A general approach to confirmatory maximum likelihood factor
    analysis. Psychometrika, 34, 183-202. Rosseel, Y. (2012). lavaan. Journal of Statistical
    Software, 48(2).

    Example
    -------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 2))
    >>> y = np.repeat(f, 3, axis=1) * [1, 0.8, 0.7, 1, 0.9, 0.6] + rng.normal(scale=0.6, size=(300, 6))
    >>> data = pd.DataFrame(y, columns=["y1", "y2", "y3", "y4", "y5", "y6"])
    >>> res = cfa(data, model="f1 =~ y1 + y2 + y3\\nf2 =~ y4 + y5 + y6")
    >>> int(res.fit["df"]), round(res.fit["chisq"], 3), round(res.fit["cfi"], 3)
    (8, 8.516, 0.999)
    >>> res.to_frame().loc[1, ["estimate", "se", "statistic", "std_all"]].astype(float).round(3).tolist()
    [0.723, 0.062, 11.746, 0.745]
    """
    est = (estimator or ("WLSMV" if ordered is not False else "ML")).upper()
    if est not in ("ML", "WLSMV"):
        raise StatsInputError(f"cfa: estimator must be 'ML' or 'WLSMV', got {estimator!r}")
    if missing not in ("listwise", "pairwise"):
        raise StatsInputError(f"cfa: missing must be 'listwise' or 'pairwise', got {missing!r}")
    if missing == "pairwise" and (est != "WLSMV" or group is not None):
        raise StatsInputError(
            "cfa: missing='pairwise' is implemented for single-group ordered items (WLSMV) only"
        )
    if group is not None:
        if est == "ML" and ordered is not False:
            raise StatsInputError(
                "cfa: ordered items need estimator='WLSMV' (ML for ordinal data is not implemented)"
            )
        return multigroup_cfa(data, model=model, group=group, group_equal=group_equal, ordered=est == "WLSMV")
    if group_equal:
        raise StatsInputError("cfa: group_equal needs group=")
    if est == "WLSMV" or ordered is not False:
        if est == "ML":
            raise StatsInputError(
                "cfa: ordered items need estimator='WLSMV' (ML for ordinal data is not implemented)"
            )
        spec0 = parse_model(model)
        all_items = {i for items in spec0.values() for i in items}
        if ordered is not True and ordered is not False and set(map(str, ordered)) != all_items:
            raise StatsInputError(
                "cfa: ordered must be True or list every model item (mixed ordinal and "
                "continuous items are not supported)"
            )
        return cfa_wlsmv(data, model=model, missing=missing)
    return cfa_ml(data, model=model, start=start)
