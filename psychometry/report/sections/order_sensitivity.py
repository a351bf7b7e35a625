"""Section ``<instrument>/orders``: ``stats.order_sensitivity`` of two option orders (original vs
reversed where given): the shared analysis' result."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..document import Section
from .common import res_section
from .context import InstrumentContext

__all__ = ['order_pair', 'order_section']


def order_pair(orders: Sequence[str]) -> tuple[str, str] | None:
    if "original" in orders and "reversed" in orders:
        return "original", "reversed"
    if len(orders) >= 2:
        return orders[0], orders[1]
    return None


def order_section(c: InstrumentContext) -> Section:
    key, title = f"{c.iid}/orders", f"{c.iid}: option-order sensitivity"
    rows = c.cond
    if "order" not in rows.columns:
        return Section.skipped(key, title, "the table has no order column")
    orders = [str(o) for o in pd.unique(rows["order"])]
    pair = order_pair(orders)
    if pair is None:
        return Section.skipped(
            key,
            title,
            f"one option order only ({orders[0] if orders else 'none'}); "
            "administer with --orders original,reversed to compare",
        )
    res = c.analysis.order_sensitivity(pair[0], pair[1])
    if not res.ok:
        return Section.skipped(key, title, res.reason)
    return res_section(key, title, res)
