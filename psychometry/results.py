"""The tidy long results table, read from a results file written by :func:`psychometry.administer`.

One row per administered (simulated respondent, item); the columns are the contract in
``docs/architecture.md`` (:data:`COLUMNS`, in that order).

Runs and shared responses: a response is stored once, by the first run that asked for it, and
belongs to every run that planned it (``run_responses``, see :mod:`psychometry.store`).
``load_results(path)`` returns every stored response once, its ``run_id`` naming the run that wrote
it; ``load_results(path, run_id=R)`` returns every stored response of run R's design, including
those an earlier run wrote, with ``run_id`` = R.

Example
-------
>>> import psychometry
>>> df = psychometry.load_results("psychometry-run.sqlite")  # doctest: +SKIP
>>> df.groupby(["instrument", "scale", "order"])["value"].mean()  # doctest: +SKIP
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import StoreError
from .store import Store

__all__ = ["COLUMNS", "export_results", "load_prompts", "load_results", "run_info"]

#: The long-table contract (docs/architecture.md), in order.
COLUMNS: tuple[str, ...] = (
    "response_id",
    "run_id",
    "model",
    "persona",
    "template",
    "order",
    "repeat",
    "respondent",
    "instrument",
    "item",
    "scale",
    "keyed",
    "shown_values",
    "mode",
    "status",
    "value",
    "position",
    "expected",
    "entropy",
    "label_mass",
    "probs",
    "position_probs",
    "raw_text",
    "prompt_hash",
    "created_at",
)
_FLOATS = ("value", "position", "expected", "entropy", "label_mass")
_INTS = ("repeat", "keyed")


def load_results(path: str | Path, *, run_id: str | None = None) -> pd.DataFrame:
    """The long results table of a results file (all runs, or one ``run_id``).

    Rows come in the order they were written. ``value``, ``position``, ``expected``, ``entropy``
    and ``label_mass`` are floats (NaN where not applicable); ``repeat`` and ``keyed`` are ints.
    Without ``run_id`` every stored response appears once (``run_id``: the run that wrote it);
    with ``run_id`` every stored response of that run's design, shared ones included (``run_id``
    set to the one asked for). ``position_probs`` is None in files written before it existed.
    The file is opened read-only.
    """
    with Store(path, create=False) as st:
        have = st.response_columns
        sel = ", ".join(f'responses."{c}"' if c in have else f'NULL AS "{c}"' for c in COLUMNS)
        sql = f"SELECT {sel} FROM responses"
        params: tuple[Any, ...] = ()
        if run_id is not None:
            where, params = st.run_filter(run_id)
            sql += f" WHERE {where}"
        sql += " ORDER BY responses.rowid"
        try:
            rows = st.connection.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:  # pragma: no cover
            raise StoreError(f"{path}: cannot read responses: {exc}") from None
    df = pd.DataFrame.from_records(rows, columns=list(COLUMNS))
    if run_id is not None:
        df["run_id"] = run_id
    for c in _FLOATS:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    for c in _INTS:
        df[c] = df[c].astype("int64")
    return df


def load_prompts(path: str | Path) -> dict[str, str]:
    """``{prompt_hash: exact prompt text}`` for every prompt stored in the file."""
    with Store(path, create=False) as st:
        return dict(st.connection.execute("SELECT prompt_hash, text FROM prompts").fetchall())


def run_info(path: str | Path) -> list[dict[str, Any]]:
    """Every run in the file with its configuration, manifest and number of stored responses
    (``n_responses``: of the run's design, shared responses included)."""
    with Store(path, create=False) as st:
        return st.runs()


def export_results(path: str | Path, fmt: str = "csv", out: str | Path | None = None) -> str | None:
    """Write the long table as ``csv`` or ``json`` (records) to ``out`` (parent folders are
    created); return the text when ``out`` is None. Raises :class:`StoreError` when ``out`` is a
    directory or cannot be written."""
    df = load_results(path)
    if fmt == "csv":
        text = df.to_csv(index=False)
    elif fmt == "json":
        text = json.dumps(json.loads(df.to_json(orient="records")), indent=1)
    else:
        raise StoreError(f"unknown export format {fmt!r}: use csv or json")
    if out is None:
        return text
    target = Path(out)
    if target.is_dir():
        raise StoreError(f"cannot export to {target}: it is a directory; give a file name")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"cannot export to {target}: {exc.strerror or exc}") from None
    return None
