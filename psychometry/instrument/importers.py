"""Importers: other projects' questionnaire files -> an :class:`Instrument` of this format.

PsychoBench (Huang et al., 2024, ICLR; github CUHK-ARISE/PsychoBench, ``questionnaires.json``): one
entry per questionnaire with ``name``, ``questions`` ``{"1": text, ...}``, ``scale`` (the number of
points + 1, so that PsychoBench reverses as ``scale - x``), ``compute_mode`` (``AVG`` or ``SUM``),
``reverse`` (question numbers), ``prompt`` and ``categories`` ``[{cat_name, cat_questions, crowd:
[{crowd_name, mean, std, n}]}]`` (older files: ``crowd_sample_mean``, ``crowd_sample_sd``,
``crowd_sample_num``, and ``compute_mode`` in each category). Each category becomes a scale (id: the
category name without spaces or punctuation), each question an item ``<prefix><number>`` on a
``points``-point likert scale starting at 1; the first crowd of each category becomes its norm.
``scale: 1`` (EPQ-R) is PsychoBench's yes/no format, answered 1 = YES, 0 = NO and reversed as
``1 - x``: it becomes a two-point scale No = 0, Yes = 1 (reversed as ``min + max - x``, the same),
and the prompt's sentences about replying with numbers are dropped (psychometry shows its own option
labels). Questions in no category are left out (named in the description); a question in two
categories is refused (an item scores on one scale in this format); an entry without categories
(16P, scored by PsychoBench on 16personalities.com) is refused. PsychoBench gives no anchors (but
for yes/no), citation or licence: fill them in.

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
from .validate import FORMAT, ID_PATTERN, ITEM_ID_PATTERN, _Checker, _typename, parse_instrument

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
            raise InstrumentError(
                path, f"not JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None


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
        raise InstrumentError(
            out or default,
            f"the instrument id {iid!r} (from the file name) must use only lower-case letters, digits and _",
        )
    return iid


def _question(c: _Checker, value: Any, field: str, *, what: str) -> str:
    """A PsychoBench question number (a whole number or a string of one) as the questions' key."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, str))
        or (isinstance(value, str) and not value.strip())
    ):
        c.fail(
            f"{what}: a question number is a whole number or a string, not {_typename(value)}", field=field
        )
    return str(value).strip()


def _question_list(c: _Checker, value: Any, field: str, *, what: str) -> list[str]:
    if not isinstance(value, list):
        c.fail(f"{what}: must be a list of question numbers, not {_typename(value)}", field=field)
    return [_question(c, v, f"{field}[{i}]", what=what) for i, v in enumerate(value)]


# a crowd's fields and the names older questionnaires.json files give them
_CROWD_KEYS = {"mean": "crowd_sample_mean", "std": "crowd_sample_sd", "n": "crowd_sample_num"}


def _crowd_norm(c: _Checker, crowd: Any, field: str, where: str) -> dict[str, Any]:
    """One PsychoBench crowd ``{crowd_name, mean, std, n}`` checked, as a norm (without ``scale``)."""
    if not isinstance(crowd, dict):
        c.fail(
            f"{where}: a crowd must be an object {{crowd_name, mean, std, n}}, not {_typename(crowd)}",
            field=field,
        )
    name = crowd.get("crowd_name", "")
    if name is not None and not isinstance(name, str):
        c.fail(f"{where}: must be a string, not {_typename(name)}", field=f"{field}.crowd_name")
    key = {k: k if k in crowd or old not in crowd else old for k, old in _CROWD_KEYS.items()}
    for k in ("mean", "std"):
        if key[k] not in crowd:
            c.fail(f"{where}: required crowd field missing", field=f"{field}.{key[k]}")
        c.number(crowd[key[k]], f"{field}.{key[k]}")
    mean, std = crowd[key["mean"]], crowd[key["std"]]
    if std <= 0:
        c.fail(f"{where}: a standard deviation must be > 0, not {std!r}", field=f"{field}.{key['std']}")
    norm: dict[str, Any] = {"mean": mean, "sd": std, "crowd_name": name or ""}
    if crowd.get(key["n"]) is not None:
        norm["n"] = c.integer(crowd[key["n"]], f"{field}.{key['n']}", lo=1)
    return norm


def _mode(c: _Checker, value: Any, field: str, where: str) -> str:
    if not isinstance(value, str) or value.upper() not in ("AVG", "SUM"):
        c.fail(f"{where}: must be AVG or SUM, not {_typename(value)}", field=field)
    return value.upper()


# PsychoBench's 16P entry has questions but no categories: it is scored on 16personalities.com
_NO_CATEGORIES = {
    "16P": "PsychoBench 16P has no categories: the 16 types' item-to-dimension keys are not in "
    "questionnaires.json (PsychoBench scores it on 16personalities.com); psychometry ships OEJTS 1.2 "
    "(oejts) for MBTI-style types",
}
# sentences of a yes/no prompt that tell the model to reply with numbers (1 = YES, 0 = NO)
_NUMBER_SENTENCE = re.compile(r"[^.!?:]*\d[^.!?:]*[.!?]\s*")


def from_psychobench(
    path: str | Path, *, name: str | None = None, out: str | Path | None = None, item_prefix: str = "q"
) -> Instrument:
    """Import one PsychoBench ``questionnaires.json`` entry (``name`` picks it from a list).

    Every field the import reads is checked first: a malformed file is an
    :class:`~psychometry.errors.InstrumentError` naming the file, the field (``categories[0].crowd[0].mean``)
    and, for question texts, the item.
    """
    path = Path(path)
    c = _Checker(path)
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
        raise InstrumentError(
            path, f"{len(entries)} questionnaires in the file: choose one with --name ({names})"
        )
    qname = c.string(entry.get("name", path.stem), "name", empty=False)
    where = f"questionnaire {qname}"
    for key in ("questions", "scale", "categories"):
        if key not in entry:
            c.fail(f"{where}: required PsychoBench field missing", field=key)
    questions = entry["questions"]
    if not isinstance(questions, dict) or not questions:
        c.fail(f"{where}: must map question numbers to texts, not {_typename(questions)}", field="questions")
    num: dict[str, str] = {}
    for k, v in questions.items():
        iid = f"{item_prefix}{str(k).strip()}"
        if not ITEM_ID_PATTERN.match(iid):
            c.fail(
                f"{where}: question number {k!r} does not make a valid item id {iid!r} (letters, digits, _ "
                "and .)",
                field="questions",
            )
        num[str(k).strip()] = c.string(v, "questions", item=iid, empty=False)
    scale_plus_one = entry["scale"]
    if (
        isinstance(scale_plus_one, bool)
        or not isinstance(scale_plus_one, int)
        or (scale_plus_one < 3 and scale_plus_one != 1)
    ):
        c.fail(
            f"{where}: must be the number of points + 1 (>= 3), or 1 for yes/no questions answered 1 or 0, "
            f"not {_typename(scale_plus_one)}",
            field="scale",
        )
    yes_no = scale_plus_one == 1
    mode = _mode(c, entry.get("compute_mode", "AVG"), "compute_mode", where)
    prompt = entry.get("prompt", "")
    if prompt is not None and not isinstance(prompt, str):
        c.fail(f"{where}: the instructions must be a string, not {_typename(prompt)}", field="prompt")
    reverse = set(_question_list(c, entry.get("reverse") or [], "reverse", what=where))
    for r in sorted(reverse):
        if r not in num:
            c.fail(f"{where}: reverse names question {r}, which does not exist", field="reverse")
    categories = entry["categories"]
    if categories == []:
        c.fail(
            _NO_CATEGORIES.get(
                qname,
                f"{where} has no categories: PsychoBench gives no item-to-scale keys for it, so there is "
                "nothing to score",
            ),
            field="categories",
        )
    if not isinstance(categories, list):
        c.fail(
            f"{where}: must be a non-empty list of categories {{cat_name, cat_questions, crowd}}, not "
            f"{_typename(categories)}",
            field="categories",
        )
    owner: dict[str, str] = {}
    scales: list[dict[str, Any]] = []
    norms: list[dict[str, Any]] = []
    taken: set[str] = set()
    extra_crowds: list[str] = []
    for i, cat in enumerate(categories):
        f = f"categories[{i}]"
        if not isinstance(cat, dict):
            c.fail(
                f"{where}: a category must be an object {{cat_name, cat_questions, crowd}}, not "
                f"{_typename(cat)}",
                field=f,
            )
        for key in ("cat_name", "cat_questions"):
            if key not in cat:
                c.fail(f"{where}: required category field missing", field=f"{f}.{key}")
        cname = c.string(cat["cat_name"], f"{f}.cat_name", empty=False)
        sid = _scale_id(cname, taken)
        members = _question_list(c, cat["cat_questions"], f"{f}.cat_questions", what=f"category {cname}")
        if not members:
            c.fail(f"category {cname} lists no questions", field=f"{f}.cat_questions")
        for q in members:
            if q not in num:
                c.fail(
                    f"category {cname} lists question {q}, which does not exist", field=f"{f}.cat_questions"
                )
            if q in owner:
                c.fail(
                    f"question {q} is in categories {owner[q]} and {cname}; this format scores each item on "
                    "one scale",
                    item=f"{item_prefix}{q}",
                    field=f"{f}.cat_questions",
                )
            owner[q] = cname
        ids = [f"{item_prefix}{q}" for q in members]
        cmode = _mode(c, cat.get("compute_mode", mode), f"{f}.compute_mode", f"category {cname}")
        scales.append(
            {
                "id": sid,
                "name": cname,
                "scoring": "mean" if cmode == "AVG" else "sum",
                "items": ids,
                "reverse": [f"{item_prefix}{q}" for q in members if q in reverse],
            }
        )
        crowds = cat.get("crowd") or []
        if not isinstance(crowds, list):
            c.fail(f"category {cname}: must be a list of crowds, not {_typename(crowds)}", field=f"{f}.crowd")
        checked = [_crowd_norm(c, cr, f"{f}.crowd[{j}]", f"category {cname}") for j, cr in enumerate(crowds)]
        if checked:
            norm = {"scale": sid, **checked[0]}
            crowd_name = norm.pop("crowd_name")
            norm["population"] = f"PsychoBench crowd '{crowd_name}'" if crowd_name else "PsychoBench crowd"
            norm["source"] = f"PsychoBench questionnaires.json, entry {qname} (imported from {path.name})"
            norms.append(norm)
        extra_crowds += [f"{cname}: {cr['crowd_name'] or 'unnamed'}" for cr in checked[1:]]
    item_to_scale = {
        f"{item_prefix}{q}": next(s["id"] for s in scales if f"{item_prefix}{q}" in s["items"]) for q in owner
    }
    items = [
        {
            "id": f"{item_prefix}{q}",
            "text": text,
            "scale": item_to_scale[f"{item_prefix}{q}"],
            "keyed": "-" if q in reverse else "+",
        }
        for q, text in num.items()
        if q in owner
    ]
    left_out = [q for q in num if q not in owner]
    description = f"Imported from PsychoBench questionnaires.json (entry {qname})."
    if left_out:
        description += f" Questions in no category were left out: {', '.join(left_out)}."
    if extra_crowds:
        description += f" Further crowd norms not imported: {'; '.join(extra_crowds)}."
    instructions = (prompt or "").strip()
    response_format: dict[str, Any] = {"type": "likert", "points": scale_plus_one - 1, "min": 1}
    if yes_no:
        response_format = {"type": "likert", "points": 2, "min": 0, "anchors": ["No", "Yes"]}
        kept = _NUMBER_SENTENCE.sub("", instructions).strip()
        instructions = f"Answer each question Yes or No. {kept}".strip()
        description += (
            " Yes/no questions (PsychoBench scale 1): PsychoBench's answers 1 = YES and 0 = NO are the values "
            "Yes = 1 and No = 0, reverse keyed as 1 - x; the prompt's sentences about replying with "
            "numbers were dropped, since psychometry shows its own option labels."
        )
    doc = {
        "format": FORMAT,
        "id": _out_id(out, qname),
        "name": qname,
        "version": FILL_IN,
        "description": description,
        "citation": FILL_IN,
        "licence": FILL_IN,
        "source_url": "https://github.com/CUHK-ARISE/PsychoBench",
        "instructions": instructions,
        "response_format": response_format,
        "scales": scales,
        "items": items,
        "norms": norms,
    }
    return _parse_imported(doc, out, path)


_TRAIT_FIELDS = ("response_high1", "response_high2", "response_low1", "response_low2")
_TRAIT_ALIASES = {
    "personality": ("personality", "personality trait", "trait"),
    "query": ("query", "question"),
}


def _trait_text(c: _Checker, rec: dict[str, Any], key: str, n: int, iid: str) -> None:
    if key not in rec:
        c.fail(f"record {n}: required TRAIT field missing", item=iid, field=key)
    value = rec[key]
    if not isinstance(value, str):
        c.fail(f"record {n}: must be a string, not {_typename(value)}", item=iid, field=key)
    if not value.strip():
        c.fail(f"record {n}: must not be empty", item=iid, field=key)


def from_trait(path: str | Path, *, out: str | Path | None = None, item_prefix: str = "q") -> Instrument:
    """Import TRAIT records (JSON list or JSON lines) as a choice instrument.

    Every field the import reads is checked first: a malformed record is an
    :class:`~psychometry.errors.InstrumentError` naming the file, the item (``q<record number>``) and the field.
    """
    path = Path(path)
    c = _Checker(path)
    data = _read_json(path)
    field = None
    if isinstance(data, dict):
        data, field = (data["data"], "data") if "data" in data else ([data], None)
    if not isinstance(data, list) or not data:
        c.fail(f"expected a non-empty list of TRAIT records, not {_typename(data)}", field=field)
    by_trait: dict[str, list[str]] = {}
    items: list[dict[str, Any]] = []
    taken: set[str] = set()
    scale_of: dict[str, str] = {}
    for n, rec in enumerate(data, start=1):
        iid = f"{item_prefix}{n}"
        if not isinstance(rec, dict):
            c.fail(f"record {n} must be a JSON object, not {_typename(rec)}", item=iid)
        found = {}
        for field, aliases in _TRAIT_ALIASES.items():
            key = next((k for k in aliases if k in rec), field)
            _trait_text(c, rec, key, n, iid)
            found[field] = rec[key].strip()
        for f in _TRAIT_FIELDS:
            _trait_text(c, rec, f, n, iid)
        situation = rec.get("situation")
        if situation is not None and not isinstance(situation, str):
            c.fail(f"record {n}: must be a string, not {_typename(situation)}", item=iid, field="situation")
        trait, query = found["personality"], found["query"]
        if trait not in scale_of:
            scale_of[trait] = _scale_id(trait, taken)
        sid = scale_of[trait]
        by_trait.setdefault(sid, []).append(iid)
        text = f"{(situation or '').strip()} {query}".strip()
        options = [
            {"text": rec["response_high1"], "value": 1},
            {"text": rec["response_low1"], "value": 0},
            {"text": rec["response_high2"], "value": 1},
            {"text": rec["response_low2"], "value": 0},
        ]
        items.append({"id": iid, "text": text, "options": options, "scale": sid, "keyed": "+"})
    names = {v: k for k, v in scale_of.items()}
    doc = {
        "format": FORMAT,
        "id": _out_id(out, "trait"),
        "name": "TRAIT (imported)",
        "version": FILL_IN,
        "description": (
            f"Imported from {path.name}: TRAIT scenario items (Lee et al., 2024). Options in TRAIT's "
            "order (high1, low1, high2, low2); a trait-high option scores 1, a trait-low option 0; "
            "scale score = share of trait-high choices."
        ),
        "citation": "Lee, S., et al. (2024). Do LLMs have distinct and consistent personality? TRAIT: "
        "personality testset designed for LLMs with psychometrics. arXiv:2406.14703.",
        "licence": FILL_IN,
        "source_url": "https://huggingface.co/datasets/mirlab/TRAIT",
        "instructions": "Given a situation, choose the option that best describes what you would do.",
        "response_format": {"type": "choice", "points": 4},
        "scales": [
            {"id": sid, "name": names[sid], "scoring": "mean", "items": ids, "reverse": []}
            for sid, ids in by_trait.items()
        ],
        "items": items,
    }
    return _parse_imported(doc, out, path)


def _parse_imported(doc: dict[str, Any], out: str | Path | None, source: Path) -> Instrument:
    """Validate the converted document; a rule the source checks above missed still names the source file."""
    try:
        return parse_instrument(doc, out)
    except InstrumentError as exc:
        if exc.field == "id" or not str(exc).startswith(exc.path + ": "):
            raise  # about the output file's name: the message names it
        reason = str(exc)[len(exc.path) + 2 :]
        raise InstrumentError(source, f"the imported instrument would be invalid: {reason}") from None


def import_instrument(
    path: str | Path,
    source: str,
    *,
    out: str | Path | None = None,
    name: str | None = None,
    item_prefix: str = "q",
) -> Instrument:
    """Import ``path`` written by ``source`` (``psychobench`` or ``trait``)."""
    if source == "psychobench":
        return from_psychobench(path, name=name, out=out, item_prefix=item_prefix)
    if source == "trait":
        return from_trait(path, out=out, item_prefix=item_prefix)
    raise InstrumentError(path, f"unknown source {source!r} (choose from {', '.join(SOURCES)})")
