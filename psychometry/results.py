"""The tidy long results table, read from a results file written by :func:`psychometry.administer`.

One row per administered (simulated respondent, item); the columns are the contract in
``docs/architecture.md`` (:data:`COLUMNS`, in that order; the one list lives in
:mod:`psychometry.store`). The SQL lives in :class:`~psychometry.store.Store`; this module decodes the
stored JSON probabilities once (``probs`` a dict, ``position_probs`` a list) and encodes them back for
:func:`export_results`.

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
import math
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import StoreError
from .store import COLUMNS, Store

__all__ = [
    "COLUMNS",
    "decode_position_probs",
    "decode_probs",
    "export_results",
    "load_prompts",
    "load_results",
    "run_info",
]

_FLOATS = ("value", "position", "expected", "entropy", "label_mass")
_INTS = ("repeat", "keyed")


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def decode_probs(text: str | None) -> dict[float, float] | None:
    """A stored ``probs`` cell (JSON ``{"scale value": p}``) as ``{scale value: p}`` with float keys
    and values, in stored (ascending value) order; None stays None."""
    if _missing(text):
        return None
    return {float(k): float(v) for k, v in json.loads(str(text)).items()}


def decode_position_probs(text: str | None) -> list[float] | None:
    """A stored ``position_probs`` cell (a JSON list) as a list of floats; None stays None."""
    if _missing(text):
        return None
    return [float(p) for p in json.loads(str(text))]


def load_results(path: str | Path, *, run_id: str | None = None) -> pd.DataFrame:
    """The long results table of a results file (all runs, or one ``run_id``).

    Rows come in the order they were written. ``value``, ``position``, ``expected``, ``entropy``
    and ``label_mass`` are floats (NaN where not applicable); ``repeat`` and ``keyed`` are ints.
    ``probs`` is a dict ``{scale value (float): probability}`` and ``position_probs`` a list of
    floats in shown order (logprob mode; None otherwise, and ``position_probs`` is None in files
    written before it existed).
    Without ``run_id`` every stored response appears once (``run_id``: the run that wrote it);
    with ``run_id`` every stored response of that run's design, shared ones included (``run_id``
    set to the one asked for). The file is opened read-only.
    """
    return _frame(path, run_id=run_id, decode=True)


def _frame(path: str | Path, *, run_id: str | None, decode: bool) -> pd.DataFrame:
    """The stored rows as the long table; ``decode``: the JSON probability fields as Python values
    (else their stored text)."""
    with Store(path, create=False) as st:
        rows = st.responses(run_id)
    df = pd.DataFrame.from_records(rows, columns=list(COLUMNS))
    if run_id is not None:
        df["run_id"] = run_id
    for c in _FLOATS:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    for c in _INTS:
        df[c] = df[c].astype("int64")
    if decode:
        df["probs"] = pd.Series([decode_probs(x) for x in df["probs"]], index=df.index, dtype=object)
        df["position_probs"] = pd.Series(
            [decode_position_probs(x) for x in df["position_probs"]], index=df.index, dtype=object
        )
    return df


def load_prompts(path: str | Path) -> dict[str, str]:
    """``{prompt_hash: exact prompt text}`` for every prompt stored in the file."""
    with Store(path, create=False) as st:
        return st.prompts()


def run_info(path: str | Path) -> list[dict[str, Any]]:
    """Every run in the file with its configuration, manifest and number of stored responses
    (``n_responses``: of the run's design, shared responses included)."""
    with Store(path, create=False) as st:
        return st.runs()


def export_results(path: str | Path, fmt: str = "csv", out: str | Path | None = None) -> str | None:
    """Write the long table as ``csv`` or ``json`` (records) to ``out`` (parent folders are
    created); return the text when ``out`` is None. ``probs`` and ``position_probs`` are written as
    their JSON text, as stored. Raises :class:`StoreError` when ``out`` is a directory or cannot be
    written."""
    if fmt not in ("csv", "json"):
        raise StoreError(f"unknown export format {fmt!r}: use csv or json")
    df = _frame(path, run_id=None, decode=False)  # probs and position_probs: the stored text
    if fmt == "csv":
        text = df.to_csv(index=False)
    else:
        text = json.dumps(json.loads(df.to_json(orient="records")), indent=1)
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
