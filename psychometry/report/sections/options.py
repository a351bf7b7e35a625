"""Section ``<instrument>/options`` (logprob mode, Markdown / HTML): the mean probability of each scale
value for a few items per option order, as a plot."""

from __future__ import annotations

import json

import pandas as pd

from .. import plots
from ..document import Section
from .context import InstrumentContext

__all__ = ['option_curves_section']


def option_curves_section(c: InstrumentContext, n_items: int = 4) -> Section | None:
    """Logprob mode: mean probability of each scale value for a few items (two forward-, two
    reverse-keyed where the instrument has them), per option order."""
    rows = c.cond
    if not c.plots or "probs" not in rows.columns or rows["probs"].isna().all():
        return None
    items = [str(i) for i in pd.unique(rows["item"])]
    if "keyed" in rows.columns:
        k = rows.drop_duplicates("item").set_index("item")["keyed"]
        fwd = [i for i in items if k.get(i, 1) > 0][: n_items // 2]
        rev = [i for i in items if k.get(i, 1) < 0][: n_items - len(fwd)]
        chosen = fwd + rev
        chosen += [i for i in items if i not in chosen][: n_items - len(chosen)]
    else:
        chosen = items[:n_items]
    texts = {it.id: it.text for it in c.inst.items} if c.inst is not None else {}
    curves: dict[str, pd.DataFrame] = {}
    for item in chosen:
        sub = rows[(rows["item"] == item) & rows["probs"].notna()]
        recs = []
        for order, p in zip(sub["order"] if "order" in sub.columns else ["all"] * len(sub), sub["probs"]):
            try:  # load_results decodes probs to {scale value: p}; JSON text from other tables
                d = p if isinstance(p, dict) else json.loads(p)
            except (TypeError, ValueError):
                continue
            for v, pr in d.items():
                recs.append({"order": str(order), "value": float(v), "p": float(pr)})
        if not recs:
            continue
        tab = pd.DataFrame(recs).pivot_table(
            index="value", columns="order", values="p", aggfunc="mean", sort=False
        )
        keyed = ""
        if "keyed" in rows.columns and float(sub["keyed"].iloc[0]) < 0:
            keyed = " (R)"
        curves[f"{item}{keyed}: {texts.get(item, '')}".rstrip(": ")] = tab.sort_index()
    if not curves:
        return None
    fig = plots.option_curves(
        curves, name=f"{c.iid}-options", title=f"{c.iid}: option probabilities of {len(curves)} items"
    )
    return Section(
        key=f"{c.iid}/options",
        title=f"{c.iid}: option probabilities of a few items",
        body="Mean probability of each answer (scale value) per option order, as a plot; (R) = "
        "reverse-keyed item.",
        figures=[fig],
    )
