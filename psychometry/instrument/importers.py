"""Importers: other projects' questionnaire files -> an :class:`Instrument` of this format.

PsychoBench (Huang et al., 2024, ICLR; github CUHK-ARISE/PsychoBench, ``questionnaires.json``): one
entry per questionnaire with ``name``, ``questions`` ``{"1": text, ...}``, ``scale`` (the number of
points + 1, so that PsychoBench reverses as ``scale - x``), ``compute_mode`` (``AVG`` or ``SUM``),
``reverse`` (question numbers), ``prompt`` and ``categories`` ``[{cat_name, cat_questions, crowd:
[{crowd_name, mean, std, n}]}]``. Each category becomes a scale (id: the category name without
spaces or punctuation), each question an item ``<prefix><number>`` on a ``points``-point likert
scale starting at 1; the first crowd of each category becomes its norm. Questions in no category
are left out (named in the description); a question in two categories is refused (an item scores on
one scale in this format). PsychoBench gives no anchors, citation or licence: fill them in.

TRAIT (Lee et al., 2024; huggingface mirlab/TRAIT): a JSON list (or JSON lines) of records with
``personality`` (also read: ``personality trait``, ``trait``), ``situation`` (optional), ``query``
(or ``question``), ``response_high1``, ``response_high2``, ``response_low1``, ``response_low2``. Each
record becomes a choice item on the scale of its trait with four options in TRAIT's order A =
high1, B = low1, C = high2, D = low2, valued high = 1, low = 0, so a mean scale score is the share of
trait-high choices.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..errors import InstrumentError
from .model import Instrument
from .validate import FORMAT, ID_PATTERN, parse_instrument

SOURCES = ("psychobench", "trait")
FILL_IN = "UNKNOWN: fill in before sharing"


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InstrumentError(path, "no such file") from None
    except UnicodeDecodeError:
        raise InstrumentError(path, "the file is not UTF-8 text") from None
    except OSError as exc:
        raise InstrumentError(path, f"cannot read the file ({exc.strerror})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        try:  # JSON lines
            return [json.loads(ln) for ln in lines]
        except json.JSONDecodeError:
            raise InstrumentError(path, f"not JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None


def _scale_id(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_]", "", name.title().replace(" ", "")) or "S"
    if not base[0].isalpha():
        base = "S" + base
    sid, k = base, 2
    while sid in taken or sid == "type" or sid.startswith("z_"):
        sid, k = f"{base}{k}", k + 1
    taken.add(sid)
    return sid


def _out_id(out: str | Path | None, default: str) -> str:
    iid = Path(out).name.split(".")[0] if out is not None else default
    iid = iid.lower()
    if not ID_PATTERN.match(iid):
        raise InstrumentError(out or default, f"the instrument id {iid!r} (from the file name) must use only "
                                              "lower-case letters, digits and _")
    return iid


def from_psychobench(path: str | Path, *, name: str | None = None, out: str | Path | None = None,
                     item_prefix: str = "q") -> Instrument:
    """Import one PsychoBench ``questionnaires.json`` entry (``name`` picks it from a list)."""
    path = Path(path)
    data = _read_json(path)
    entries = data if isinstance(data, list) else [data]
    if not all(isinstance(e, dict) for e in entries) or not entries:
        raise InstrumentError(path, "expected a PsychoBench questionnaire entry (or a list of them)")
    if name is not None:
        chosen = [e for e in entries if str(e.get("name", "")).lower() == name.lower()]
        if not chosen:
            names = ", ".join(str(e.get("name")) for e in entries)
            raise InstrumentError(path, f"no questionnaire named {name!r} (present: {names})")
        entry = chosen[0]
    elif len(entries) == 1:
        entry = entries[0]
    else:
        names = ", ".join(str(e.get("name")) for e in entries)
        raise InstrumentError(path, f"{len(entries)} questionnaires in the file: choose one with --name ({names})")
    qname = str(entry.get("name", path.stem))
    for key in ("questions", "scale", "categories"):
        if key not in entry:
            raise InstrumentError(path, f"questionnaire {qname}: required PsychoBench field missing", field=key)
    questions = entry["questions"]
    if not isinstance(questions, dict) or not questions:
        raise InstrumentError(path, f"questionnaire {qname}: must map question numbers to texts", field="questions")
    scale_plus_one = entry["scale"]
    if isinstance(scale_plus_one, bool) or not isinstance(scale_plus_one, int) or scale_plus_one < 3:
        raise InstrumentError(path, f"questionnaire {qname}: must be the number of points + 1 (>= 3), "
                                    f"not {scale_plus_one!r}", field="scale")
    mode = str(entry.get("compute_mode", "AVG")).upper()
    if mode not in ("AVG", "SUM"):
        raise InstrumentError(path, f"questionnaire {qname}: compute_mode {mode!r} is not AVG or SUM",
                              field="compute_mode")
    num = {str(k): str(v) for k, v in questions.items()}
    reverse = {str(r) for r in entry.get("reverse", []) or []}
    for r in sorted(reverse):
        if r not in num:
            raise InstrumentError(path, f"questionnaire {qname}: reverse names question {r}, which does not exist",
                                  field="reverse")
    owner: dict[str, str] = {}
    scales, norms, taken = [], [], set()
    extra_crowds = []
    for cat in entry["categories"]:
        cname = str(cat.get("cat_name", ""))
        sid = _scale_id(cname, taken)
        members = [str(q) for q in cat.get("cat_questions", [])]
        for q in members:
            if q not in num:
                raise InstrumentError(path, f"category {cname} lists question {q}, which does not exist",
                                      field="cat_questions")
            if q in owner:
                raise InstrumentError(path, f"question {q} is in categories {owner[q]} and {cname}; this format "
                                            "scores each item on one scale", item=f"{item_prefix}{q}",
                                      field="cat_questions")
            owner[q] = cname
        ids = [f"{item_prefix}{q}" for q in members]
        scales.append({"id": sid, "name": cname, "scoring": "mean" if mode == "AVG" else "sum", "items": ids,
                       "reverse": [f"{item_prefix}{q}" for q in members if q in reverse]})
        crowds = [c for c in cat.get("crowd", []) or [] if isinstance(c, dict)]
        if crowds and isinstance(crowds[0].get("std"), (int, float)) and crowds[0]["std"] > 0:
            c0 = crowds[0]
            norm = {"scale": sid, "mean": c0["mean"], "sd": c0["std"]}
            if isinstance(c0.get("n"), int) and c0["n"] > 0:
                norm["n"] = c0["n"]
            norm["population"] = f"PsychoBench crowd '{c0.get('crowd_name', '')}'"
            norm["source"] = f"PsychoBench questionnaires.json, entry {qname} (imported from {path.name})"
            norms.append(norm)
        extra_crowds += [f"{cname}: {c.get('crowd_name')}" for c in crowds[1:]]
    item_to_scale = {f"{item_prefix}{q}": next(s["id"] for s in scales if f"{item_prefix}{q}" in s["items"])
                     for q in owner}
    items = [{"id": f"{item_prefix}{q}", "text": text, "scale": item_to_scale[f"{item_prefix}{q}"],
              "keyed": "-" if q in reverse else "+"} for q, text in num.items() if q in owner]
    left_out = [q for q in num if q not in owner]
    description = f"Imported from PsychoBench questionnaires.json (entry {qname})."
    if left_out:
        description += f" Questions in no category were left out: {', '.join(left_out)}."
    if extra_crowds:
        description += f" Further crowd norms not imported: {'; '.join(extra_crowds)}."
    doc = {
        "format": FORMAT, "id": _out_id(out, qname), "name": qname, "version": FILL_IN,
        "description": description, "citation": FILL_IN, "licence": FILL_IN,
        "source_url": "https://github.com/CUHK-ARISE/PsychoBench",
        "instructions": str(entry.get("prompt", "")).strip(),
        "response_format": {"type": "likert", "points": scale_plus_one - 1, "min": 1},
        "scales": scales, "items": items, "norms": norms,
    }
    return parse_instrument(doc, out)


_TRAIT_FIELDS = ("response_high1", "response_high2", "response_low1", "response_low2")


def from_trait(path: str | Path, *, out: str | Path | None = None, item_prefix: str = "q") -> Instrument:
    """Import TRAIT records (JSON list or JSON lines) as a choice instrument."""
    path = Path(path)
    data = _read_json(path)
    if isinstance(data, dict):
        data = data.get("data", [data]) if "data" in data else [data]
    if not isinstance(data, list) or not data:
        raise InstrumentError(path, "expected a list of TRAIT records")
    by_trait: dict[str, list[str]] = {}
    items, taken, scale_of = [], set(), {}
    for n, rec in enumerate(data, start=1):
        iid = f"{item_prefix}{n}"
        if not isinstance(rec, dict):
            raise InstrumentError(path, f"record {n} is not a JSON object", item=iid)
        trait = next((rec[k] for k in ("personality", "personality trait", "trait") if k in rec), None)
        query = next((rec[k] for k in ("query", "question") if k in rec), None)
        for field, value in (("personality", trait), ("query", query)):
            if not isinstance(value, str) or not value.strip():
                raise InstrumentError(path, f"record {n}: missing or empty", item=iid, field=field)
        for f in _TRAIT_FIELDS:
            if not isinstance(rec.get(f), str) or not rec[f].strip():
                raise InstrumentError(path, f"record {n}: missing or empty", item=iid, field=f)
        if trait not in scale_of:
            scale_of[trait] = _scale_id(trait, taken)
        sid = scale_of[trait]
        by_trait.setdefault(sid, []).append(iid)
        situation = str(rec.get("situation", "") or "").strip()
        text = f"{situation} {query.strip()}".strip()
        options = [{"text": rec["response_high1"], "value": 1}, {"text": rec["response_low1"], "value": 0},
                   {"text": rec["response_high2"], "value": 1}, {"text": rec["response_low2"], "value": 0}]
        items.append({"id": iid, "text": text, "options": options, "scale": sid, "keyed": "+"})
    names = {v: k for k, v in scale_of.items()}
    doc = {
        "format": FORMAT, "id": _out_id(out, "trait"), "name": "TRAIT (imported)", "version": FILL_IN,
        "description": (f"Imported from {path.name}: TRAIT scenario items (Lee et al., 2024). Options in TRAIT's "
                        "order (high1, low1, high2, low2); a trait-high option scores 1, a trait-low option 0; "
                        "scale score = share of trait-high choices."),
        "citation": "Lee, S., et al. (2024). Do LLMs have distinct and consistent personality? TRAIT: "
                    "personality testset designed for LLMs with psychometrics. arXiv:2406.14703.",
        "licence": FILL_IN, "source_url": "https://huggingface.co/datasets/mirlab/TRAIT",
        "instructions": "Given a situation, choose the option that best describes what you would do.",
        "response_format": {"type": "choice", "points": 4},
        "scales": [{"id": sid, "name": names[sid], "scoring": "mean", "items": ids, "reverse": []}
                   for sid, ids in by_trait.items()],
        "items": items,
    }
    return parse_instrument(doc, out)


def import_instrument(path: str | Path, source: str, *, out: str | Path | None = None, name: str | None = None,
                      item_prefix: str = "q") -> Instrument:
    """Import ``path`` written by ``source`` (``psychobench`` or ``trait``)."""
    if source == "psychobench":
        return from_psychobench(path, name=name, out=out, item_prefix=item_prefix)
    if source == "trait":
        return from_trait(path, out=out, item_prefix=item_prefix)
    raise InstrumentError(path, f"unknown source {source!r} (choose from {', '.join(SOURCES)})")
