"""The measurement model of a CFA: lavaan syntax parsed to ``{factor: [items]}``, its items checked
against the data, and the bookkeeping of the free parameters (:class:`Structure`)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from psychometry.errors import StatsInputError

__all__ = ["Structure", "model_items", "parse_model", "structure"]

_NAME = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")


def parse_model(model: str | Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Parse a measurement model: ``{factor: [items]}`` or lavaan syntax with ``=~`` lines.

    lavaan syntax: one ``factor =~ item1 + item2 + ...`` per line (or separated by ``;``); ``#``
    starts a comment; a factor may appear on several lines (its items are appended). Other lavaan
    operators (``~``, ``~~``, ``:=``) and modifiers (``NA*x1``, ``1*x1``) are not supported.
    """
    if isinstance(model, Mapping):
        out: dict[str, list[str]] = {}
        for factor, items in model.items():
            if isinstance(items, str) or not isinstance(items, Sequence):
                raise StatsInputError(
                    f"cfa model: factor {factor!r} must map to a list of item names, got {items!r}"
                )
            out[str(factor)] = [str(i) for i in items]
    elif isinstance(model, str):
        out = {}
        for lineno, raw in enumerate(re.split(r"[\n;]", model), start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            if "=~" not in line:
                raise StatsInputError(
                    f"cfa model: statement {lineno} {line!r}: only 'factor =~ item + item' "
                    "lines are supported"
                )
            lhs, rhs = (part.strip() for part in line.split("=~", 1))
            if not _NAME.match(lhs):
                raise StatsInputError(f"cfa model: statement {lineno} {line!r}: bad factor name {lhs!r}")
            items = [t.strip() for t in rhs.split("+")]
            for t in items:
                if not _NAME.match(t):
                    raise StatsInputError(
                        f"cfa model: statement {lineno} {line!r}: bad item {t!r} "
                        "(modifiers such as 'NA*x1' and other operators are not supported)"
                    )
            out.setdefault(lhs, []).extend(items)
    else:
        raise StatsInputError(
            f"cfa model: expected a dict {{factor: [items]}} or lavaan '=~' syntax, "
            f"got {type(model).__name__}"
        )
    if not out:
        raise StatsInputError("cfa model: no factor defined")
    for factor, items in out.items():
        if not items:
            raise StatsInputError(f"cfa model: factor {factor!r} has no items")
        if len(set(items)) != len(items):
            raise StatsInputError(f"cfa model: factor {factor!r} lists an item twice: {items}")
    clash = set(out) & {i for items in out.values() for i in items}
    if clash:
        raise StatsInputError(
            f"cfa model: {sorted(clash)} are used both as factor and as item "
            "(higher-order models are not supported)"
        )
    return out


@dataclass(frozen=True)
class Structure:
    """Index bookkeeping of the free parameters theta = (loadings, residual variances, factor
    variances, factor covariances), in this order (lavaan's parameter-table order).

    Marker parameterisation (lavaan's default, ``std_lv = False``): Lambda (p x m) has the marker
    loadings fixed to 1 and the other listed loadings free; Phi has all variances and covariances
    free. Standardised-factor parameterisation (``std_lv = True``, lavaan's ``std.lv = TRUE``): every
    listed loading free, factor variances fixed to 1, correlations free. Theta is diagonal.
    """

    p: int
    m: int
    markers: tuple[tuple[int, int], ...]  # (item, factor) of the fixed loadings
    li: np.ndarray  # items of the free loadings
    lj: np.ndarray  # factors of the free loadings
    pj: np.ndarray  # Phi entries: row factor (variances first, then j < l)
    pl: np.ndarray  # Phi entries: column factor
    std_lv: bool = False  # factor variances fixed to 1 (not in theta)

    @property
    def n_l(self) -> int:
        return len(self.li)

    @property
    def q(self) -> int:
        return self.n_l + self.p + len(self.pj)

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """theta -> (Lambda, Phi, diag of Theta)."""
        n_l, p = self.n_l, self.p
        lam = np.zeros((p, self.m))
        for i, j in self.markers:
            lam[i, j] = 1.0
        lam[self.li, self.lj] = theta[:n_l]
        phi = np.eye(self.m) if self.std_lv else np.zeros((self.m, self.m))
        phi[self.pj, self.pl] = theta[n_l + p :]
        phi[self.pl, self.pj] = theta[n_l + p :]
        return lam, phi, theta[n_l : n_l + p].copy()

    def pack(self, lam: np.ndarray, phi: np.ndarray, th: np.ndarray) -> np.ndarray:
        """(Lambda, Phi, diag of Theta) -> theta (the inverse of :meth:`unpack`)."""
        return np.concatenate([lam[self.li, self.lj], th, phi[self.pj, self.pl]])

    def sigma(self, theta: np.ndarray) -> np.ndarray:
        """Model-implied covariance Sigma = Lambda Phi Lambda' + Theta."""
        lam, phi, th = self.unpack(theta)
        return lam @ phi @ lam.T + np.diag(th)


def model_items(spec: Mapping[str, Sequence[str]], data: pd.DataFrame, who: str) -> list[str]:
    """The items of a parsed model in order of first appearance, checked to be numeric columns of
    ``data`` (``who`` names the function in the error)."""
    items: list[str] = []
    for f in spec:
        for i in spec[f]:
            if i not in items:
                items.append(i)
    absent = [i for i in items if i not in data.columns]
    if absent:
        raise StatsInputError(f"{who}: model item(s) {absent} are not columns of data")
    bad = [
        i for i in items if not pd.api.types.is_numeric_dtype(data[i]) or pd.api.types.is_bool_dtype(data[i])
    ]
    if bad:
        raise StatsInputError(f"{who}: item column(s) {bad} are not numeric")
    return items


def structure(spec: Mapping[str, Sequence[str]], items: Sequence[str], std_lv: bool = False) -> Structure:
    """The :class:`Structure` of a parsed model over ``items`` (marker or, ``std_lv``, standardised factors)."""
    idx = {name: k for k, name in enumerate(items)}
    factors = list(spec)
    m = len(factors)
    first = 0 if std_lv else 1
    free = [(idx[i], j) for j, f in enumerate(factors) for i in spec[f][first:]]
    pairs = ([] if std_lv else [(j, j) for j in range(m)]) + [
        (j, k) for j in range(m) for k in range(j + 1, m)
    ]
    markers = () if std_lv else tuple((idx[spec[f][0]], j) for j, f in enumerate(factors))
    return Structure(
        p=len(items),
        m=m,
        markers=markers,
        li=np.array([i for i, _ in free], dtype=int),
        lj=np.array([j for _, j in free], dtype=int),
        pj=np.array([a for a, _ in pairs], dtype=int),
        pl=np.array([b for _, b in pairs], dtype=int),
        std_lv=std_lv,
    )
