"""Exports of an instrument to other tools' formats.

==============  ==========================================================================================
``csv``          one row per item: instrument, item, scale, keyed (+1/-1), text, left, right, options (JSON)
``json``         the whole instrument in the YAML format's structure, as JSON (``instruments/schema.json``)
``yaml``         the whole instrument as a YAML file of this format (what the importers write)
``psych-keys``   R code ``keys <- list(E = c("bfi1", "-bfi6", ...), ...)`` for ``psych::scoreItems``
``lm-eval``      an lm-evaluation-harness task YAML plus a JSON-lines file of docs (one per item)
==============  ==========================================================================================

lm-eval (lm-evaluation-harness 0.4 task format; ``tests/test_instrument_interop.py`` loads the
exports with lm-eval 0.4.13's own ``TaskManager``, offline, and checks docs, prompts, choices,
targets, requests and ``acc``): ``output_type: multiple_choice`` over the item's answer options
(likert: the anchors, or the scale values when there are none; bipolar: the values, with the poles
in the question; choice: the item's options), ``dataset_path: json`` with ``data_files`` pointing at
the absolute path of the JSON-lines file written beside the task YAML (move both and re-export, or
edit the path), ``doc_to_choice``/``doc_to_target`` naming doc fields; lm-eval scores each option as
the continuation ``" " + choice`` after the query. A personality item has no correct answer: the
``gold`` index is the option scoring highest on the item's scale after reverse keying, so ``acc`` is
the share of items where the model's most likely option is the trait-high extreme. The per-option
log-likelihoods (``--log_samples``) with each doc's ``values``, ``scale`` and ``keyed`` are what a
psychometric analysis uses.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import yaml

from ..errors import PsychometryError
from .model import Instrument, Item, fmt_value
from .validate import instrument_to_dict

FORMATS = ("csv", "json", "yaml", "psych-keys", "lm-eval")


class ExportError(PsychometryError):
    """An export that cannot be written (unknown format, missing output path)."""


# ------------------------------------------------------------------------------------------- YAML
class _FlowList(list):
    """A list written on one line (item id lists, anchors)."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True)
)


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else '"' if value in ("+", "-") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def to_yaml(inst: Instrument, header: str = "") -> str:
    """The instrument as a YAML file of this format (scale item lists and anchors on one line)."""
    doc = instrument_to_dict(inst)
    if "anchors" in doc["response_format"]:
        doc["response_format"]["anchors"] = _FlowList(doc["response_format"]["anchors"])
    for s in doc.get("scales", ()):
        s["items"] = _FlowList(s["items"])
        s["reverse"] = _FlowList(s["reverse"])
    body = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    lines = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.splitlines())
    return lines + body


# -------------------------------------------------------------------------------------- CSV, JSON
def to_csv(inst: Instrument) -> str:
    """One row per item: ``instrument,item,scale,keyed,text,left,right,options``."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["instrument", "item", "scale", "keyed", "text", "left", "right", "options"])
    for it in inst.items:
        opts = (
            json.dumps([{"text": o.text, "value": o.value} for o in it.options], ensure_ascii=False)
            if it.options
            else ""
        )
        w.writerow([inst.id, it.id, it.scale, it.keyed, it.text, it.left or "", it.right or "", opts])
    return buf.getvalue()


def to_json(inst: Instrument) -> str:
    """The instrument document (same structure as the YAML) as indented JSON."""
    return json.dumps(instrument_to_dict(inst), indent=2, ensure_ascii=False) + "\n"


# ----------------------------------------------------------------------------------------- R psych
def _r_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_psych_keys(inst: Instrument) -> str:
    """R code defining ``keys`` for ``psych::scoreItems(keys, data)``.

    ``keys`` is a named list, one character vector per scale, a reverse-keyed item prefixed with
    ``-`` (the form ``psych::make.keys`` accepts). ``scoreItems(..., totals = FALSE)`` gives item
    means after reversing as ``min + max - x``; pass the scale's ``min``/``max`` so a respondent
    set that never uses an extreme is reversed correctly, and ``impute = "none"`` to average the
    answered items (psych's default imputes the item median).
    """
    rf = inst.response_format
    lines = [
        f"# Scoring keys of {inst.id} ({inst.name}) for R's psych package, written by psychometry.",
        "# data: one column per item id, e.g. data <- read.csv(\"answers.csv\").",
    ]
    if rf.type != "choice":
        lines.append(
            f"# scores <- psych::scoreItems(keys, data, totals = FALSE, min = {rf.min}, max = {rf.max}, "
            "impute = \"none\")$scores"
        )
    else:
        lines.append(
            "# choice items: reverse keys use min + max of each item's option values; "
            "scores <- psych::scoreItems(keys, data, totals = FALSE, impute = \"none\")$scores"
        )
    summed = [s.id for s in inst.scales if s.scoring == "sum"]
    if summed:
        lines.append(
            f"# scales scored as sums in psychometry: {', '.join(summed)} "
            "(multiply the mean by the number of items, or use totals = TRUE on complete data)"
        )
    offsets = [f"{s.id} + {s.offset:g}" for s in inst.scales if s.offset]
    if offsets:
        lines.append(f"# constant offsets added in psychometry: {', '.join(offsets)}")
    entries = []
    for s in inst.scales:
        rev = set(s.reverse)
        vec = ", ".join(_r_string(("-" if i in rev else "") + i) for i in s.items)
        entries.append(f"  {s.id} = c({vec})")
    lines.append("keys <- list(\n" + ",\n".join(entries) + "\n)")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------ lm-eval
def lm_eval_docs(inst: Instrument) -> list[dict[str, Any]]:
    """One lm-eval doc per item: ``query``, ``choices``, ``gold``, ``values``, ``item``, ``scale``, ``keyed``."""
    rf = inst.response_format
    docs = []
    for it in inst.items:
        values, choices = _choices(inst, it)
        keyed_values = [v if it.keyed > 0 else (min(values) + max(values) - v) for v in values]
        gold = max(range(len(values)), key=lambda k: keyed_values[k])
        if rf.type == "bipolar":
            lo, hi = fmt_value(rf.min), fmt_value(rf.max)
            body = (f"{it.text}\n" if it.text else "") + f"{lo} = {it.left}; {hi} = {it.right}"
            query = f"{inst.instructions.strip()}\n\n{body}\nAnswer ({', '.join(choices)}):"
        elif rf.type == "choice":
            query = f"{inst.instructions.strip()}\n\nSituation: {it.text}\nAnswer:"
        else:
            query = f"{inst.instructions.strip()}\n\nStatement: {it.text}\nAnswer:"
        docs.append(
            {
                "instrument": inst.id,
                "item": it.id,
                "scale": it.scale,
                "keyed": it.keyed,
                "text": it.text,
                "query": query,
                "choices": choices,
                "values": values,
                "gold": gold,
            }
        )
    return docs


def _choices(inst: Instrument, it: Item) -> tuple[list[float], list[str]]:
    rf = inst.response_format
    if it.options:
        return [o.value for o in it.options], [o.text for o in it.options]
    values = [float(v) for v in rf.values]
    if rf.type == "likert" and len(rf.anchors) == rf.points:
        return values, list(rf.anchors)
    return values, [fmt_value(v) for v in values]


def to_lm_eval(inst: Instrument, out: str | Path) -> dict[Path, str]:
    """The task YAML (at ``out``) and its docs (``<out stem>.jsonl`` beside it): {path: text}."""
    out = Path(out)
    data = out.with_suffix(".jsonl")
    task = {
        "task": f"psychometry_{inst.id}",
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {"test": str(data.resolve())}},
        "test_split": "test",
        "output_type": "multiple_choice",
        "doc_to_text": "{{query}}",
        "doc_to_choice": "choices",
        "doc_to_target": "gold",
        "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True}],
        "metadata": {
            "version": 1.0,
            "instrument": inst.id,
            "instrument_version": inst.version,
            "licence": " ".join(inst.licence.split()),
        },
    }
    header = (
        f"# lm-evaluation-harness task for {inst.id} ({inst.name}), written by psychometry.\n"
        "# One doc per item; 'gold' is the trait-high extreme (a personality item has no right answer):\n"
        "# analyse the per-choice log-likelihoods (--log_samples) with each doc's values/scale/keyed.\n"
    )
    docs = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in lm_eval_docs(inst))
    return {out: header + yaml.safe_dump(task, sort_keys=False, allow_unicode=True, width=100), data: docs}


def export(inst: Instrument, fmt: str, out: str | Path | None = None) -> str | None:
    """Write ``inst`` in ``fmt`` to ``out`` (returns None), or return the text when ``out`` is None.

    A game (``kind: game``) exports as ``yaml`` or ``json`` only: its rounds are written during
    play, from the answers before, so no fixed item list exists for the other formats."""
    if inst.game is not None and fmt not in ("yaml", "json"):
        raise ExportError(
            f"{inst.id} is a game (kind: game): its round prompts are written during play from the "
            f"answers before, so it exports as yaml or json only, not {fmt}"
        )
    if fmt == "lm-eval":
        if out is None:
            raise ExportError(
                "the lm-eval export writes two files (task YAML + docs JSON lines): give --out FILE.yaml"
            )
        for path, text in to_lm_eval(inst, out).items():
            _write(path, text)
        return None
    writers = {"csv": to_csv, "json": to_json, "yaml": to_yaml, "psych-keys": to_psych_keys}
    if fmt not in writers:
        raise ExportError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")
    text = writers[fmt](inst)
    if out is None:
        return text
    _write(Path(out), text)
    return None


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"{path}: cannot write ({exc.strerror})") from None
