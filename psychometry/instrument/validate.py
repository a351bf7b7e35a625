"""Validation of an instrument document: raw YAML data in, a checked :class:`Instrument` out.

Every refusal is an :class:`~psychometry.errors.InstrumentError` whose message names the file, the
item (where one applies) and the field, e.g.::

    bad.yaml: item bfi6: field 'keyed': must be "+" or "-" (quote it in YAML), not 'R'

The rules (also in ``docs/instrument-format.md``; ``instruments/schema.json`` states the ones a JSON
Schema can express):

- no unknown fields at any level; every required key present; every value of the right type
  (``true``/``false`` are not numbers; ``version`` must be a string: quote ``"1991"``);
- ``kind`` (optional) is ``inventory`` (default) or ``task``; a task (a behavioural task: scenarios whose
  options carry behaviour values) uses the ``choice`` response format;
- ``format`` is ``psychometry-instrument/1``; ``id`` matches ``[a-z0-9_]+`` and, for a file, equals the
  file name without ``.yaml`` (so an id always finds its file and two files cannot claim one id);
- item ids and scale ids are unique; every item names an existing scale and appears in that scale's
  ``items`` list, and a scale lists exactly the items that name it;
- a scale's ``reverse`` list equals (as a set) its items keyed ``"-"``, and names only existing items;
- ``anchors`` has ``points`` entries (bipolar: ``points`` or 2, the two end labels); choice
  instruments carry options on each item instead of anchors;
- bipolar items have ``left`` and ``right`` poles; choice items have at least two options; likert items
  have non-empty text and neither poles nor options;
- ``min_items`` lies between 1 and the scale's number of items;
- dichotomies and norms name existing scales; one norm per scale; ``sd`` > 0.
"""

from __future__ import annotations

import difflib
import math
import re
import string
from pathlib import Path
from typing import Any

from ..errors import InstrumentError
from .model import Action, Dichotomy, Game, Instrument, Item, Norm, Option, ResponseFormat, Scale
from .opponents import OpponentError, parse_opponent

FORMAT = "psychometry-instrument/1"
ID_PATTERN = re.compile(r"^[a-z0-9_]+$")
# item ids become DataFrame columns, R names and lm-eval fields: no spaces, no leading '-'
ITEM_ID_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.]*$")
# scale ids become result columns next to 'type' and 'z_<scale>'
SCALE_ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
RESERVED_SCALE_IDS = frozenset({"type"})

TOP_REQUIRED = (
    "format",
    "id",
    "name",
    "version",
    "citation",
    "licence",
    "source_url",
    "instructions",
    "response_format",
    "scales",
    "items",
)
TOP_OPTIONAL = ("kind", "description", "dichotomies", "norms", "followup", "game")
KINDS = ("inventory", "task", "game")
GAME_REQUIRED = ("measure", "rounds", "actions", "payoffs", "opponents", "round", "history")
GAME_OPTIONAL = ("no_history",)
ACTION_KEYS = ("id", "text", "value")
MAX_ROUNDS = 1000
RF_KEYS = ("type", "points", "min", "anchors", "max")
MAX_NUMBER_POINTS = 1001  # a number answer reads one probability per whole number of its range
SCALE_REQUIRED = ("id", "name", "items")
SCALE_OPTIONAL = ("scoring", "offset", "min_items", "reverse", "description")
ITEM_REQUIRED = ("id", "text", "scale", "keyed")
ITEM_OPTIONAL = ("left", "right", "options")
OPTION_KEYS = ("text", "value")
DICHOTOMY_REQUIRED = ("scale", "low", "high", "cutoff")
DICHOTOMY_OPTIONAL = ("tie",)
NORM_REQUIRED = ("scale", "mean", "sd")
NORM_OPTIONAL = ("n", "population", "source")


def _typename(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"a string ({value!r})" if len(value) < 40 else "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class _Checker:
    """Type checks that raise :class:`InstrumentError` located at (path, item, field)."""

    def __init__(self, path: object):
        self.path = path

    def fail(self, message: str, *, item: str | None = None, field: str | None = None) -> None:
        raise InstrumentError(self.path, message, item=item, field=field)

    def mapping(
        self,
        value: Any,
        required: tuple[str, ...],
        optional: tuple[str, ...],
        *,
        what: str,
        item: str | None = None,
        prefix: str = "",
    ) -> dict:
        if not isinstance(value, dict):
            self.fail(
                f"{what} must be a mapping (key: value), not {_typename(value)}",
                item=item,
                field=prefix.rstrip(".") or None,
            )
        for key in value:
            if not isinstance(key, str) or key not in required + optional:
                allowed = ", ".join(required + optional)
                close = difflib.get_close_matches(str(key), required + optional, n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                self.fail(
                    f"unknown field in {what} ({hint}allowed: {allowed})", item=item, field=f"{prefix}{key}"
                )
        for key in required:
            if key not in value:
                self.fail(f"required field missing from {what}", item=item, field=f"{prefix}{key}")
        return value

    def string(
        self, value: Any, field: str, *, item: str | None = None, empty: bool = True, hint: str = ""
    ) -> str:
        if not isinstance(value, str):
            self.fail(f"must be a string{hint}, not {_typename(value)}", item=item, field=field)
        if not empty and not value.strip():
            self.fail("must not be empty", item=item, field=field)
        return value

    def integer(
        self, value: Any, field: str, *, item: str | None = None, lo: int | None = None, hi: int | None = None
    ) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer() and math.isfinite(value):
                value = int(value)
            else:
                self.fail(f"must be a whole number, not {_typename(value)}", item=item, field=field)
        if lo is not None and value < lo:
            self.fail(f"must be at least {lo}, not {value}", item=item, field=field)
        if hi is not None and value > hi:
            self.fail(f"must be at most {hi}, not {value}", item=item, field=field)
        return int(value)

    def number(self, value: Any, field: str, *, item: str | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.fail(f"must be a finite number, not {_typename(value)}", item=item, field=field)
        return float(value)

    def string_list(
        self, value: Any, field: str, *, item: str | None = None, empty: bool = True
    ) -> list[str]:
        if not isinstance(value, list):
            self.fail(f"must be a list, not {_typename(value)}", item=item, field=field)
        for i, v in enumerate(value):
            if not isinstance(v, str):
                self.fail(f"entry {i + 1} must be a string, not {_typename(v)}", item=item, field=field)
            if not empty and not v.strip():
                self.fail(f"entry {i + 1} must not be empty", item=item, field=field)
        return value

    def placeholders(self, text: str, allowed: set[str], field: str) -> None:
        """Refuse a ``str.format`` placeholder of ``text`` that is not in ``allowed`` (``{{`` and ``}}``
        are literal braces)."""
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            self.fail(f"{exc} (write {{{{ and }}}} for literal braces)", field=field)
        unknown = sorted(used - allowed)
        if unknown:
            shown = ", ".join("{" + f + "}" for f in sorted(allowed))
            self.fail(f"unknown placeholder {{{unknown[0]}}} (allowed: {shown})", field=field)

    def ident(
        self, value: Any, field: str, pattern: re.Pattern, *, item: str | None = None, desc: str
    ) -> str:
        if not isinstance(value, str):
            self.fail(f"must be a string (quote it in YAML), not {_typename(value)}", item=item, field=field)
        if not pattern.match(value):
            self.fail(f"{value!r} is not a valid id ({desc})", item=item, field=field)
        return value


def parse_instrument(doc: Any, path: str | Path | None = None) -> Instrument:
    """Check a parsed instrument document (``yaml.safe_load`` output) and build the Instrument.

    ``path`` (the file the document came from) is used in messages and, when given, the file name
    must equal the instrument id (``bfi44.yaml`` holds ``id: bfi44``). Raises InstrumentError.

    Example
    -------
    >>> import yaml
    >>> doc = yaml.safe_load(open("instruments/sd3.yaml", encoding="utf-8"))
    >>> parse_instrument(doc, "instruments/sd3.yaml").id
    'sd3'
    """
    where = str(path) if path is not None else "<instrument>"
    c = _Checker(where)
    if doc is None:
        c.fail("the file is empty (expected an instrument: format, id, name, ... items)")
    kind: Any = doc.get("kind", "inventory") if isinstance(doc, dict) else "inventory"
    if kind == "game":  # a game's items (its rounds) and scale (its measure) come from 'game'
        c.mapping(doc, (*TOP_REQUIRED[:-2], "game"), TOP_OPTIONAL[:-1], what="a game")
    else:
        c.mapping(doc, TOP_REQUIRED, TOP_OPTIONAL[:-1], what="the instrument")

    fmt = doc["format"]
    if fmt != FORMAT:
        c.fail(f"unsupported format {fmt!r} (this version of psychometry reads {FORMAT!r})", field="format")
    iid = c.ident(doc["id"], "id", ID_PATTERN, desc="lower-case letters, digits and _")
    if path is not None:
        stem = Path(path).name
        for suffix in (".yaml", ".yml", ".json"):
            if stem.endswith(suffix):
                stem = stem[: -len(suffix)]
                break
        if stem != iid:
            c.fail(
                f"id {iid!r} does not match the file name {Path(path).name!r}: rename the file to "
                f"{iid}.yaml or set id: {stem}",
                field="id",
            )
    name = c.string(doc["name"], "name", empty=False)
    version = c.string(doc["version"], "version", empty=False, hint=' (quote it: version: "1.0")')
    citation = c.string(doc["citation"], "citation")
    licence = c.string(doc["licence"], "licence")
    source_url = c.string(doc["source_url"], "source_url")
    instructions = c.string(doc["instructions"], "instructions")
    description = _optional_string(c, doc, "description")
    if kind not in KINDS:
        c.fail(f"must be inventory, task or game, not {_typename(kind)}", field="kind")

    rf = _response_format(c, doc["response_format"])
    if kind == "task" and rf.type not in ("choice", "number"):
        c.fail(
            f"a task is answered by choosing an action (type: choice, each option carrying its behaviour "
            f"value) or by a number (type: number), not {rf.type}",
            field="response_format.type",
        )
    followup = _optional_string(c, doc, "followup")
    if followup:
        if kind != "task" or rf.type != "choice":
            c.fail(
                "a follow-up turn is for tasks answered by choice (kind: task, type: choice)",
                field="followup",
            )
        c.placeholders(followup, {"labels", "first", "last"}, "followup")
    game = None
    if kind == "game":
        if rf.type != "choice":
            c.fail(
                f"a game is played by choosing an action (type: choice), not {rf.type}",
                field="response_format.type",
            )
        game, items, scales = _game(c, doc["game"])
    else:
        items = _items(c, doc["items"], rf)
        scales = _scales(c, doc["scales"], items)
    if rf.type == "choice" and rf.points == 0:  # no 'points' given: the most options any item has
        rf = ResponseFormat(
            type="choice", points=max(len(it.options) for it in items), min=rf.min, anchors=()
        )
    scale_ids = {s.id for s in scales}
    dichotomies = _dichotomies(c, doc.get("dichotomies"), scale_ids)
    norms = _norms(c, doc.get("norms"), scale_ids)
    return Instrument(
        id=iid,
        name=name,
        version=version,
        citation=citation,
        licence=licence,
        source_url=source_url,
        instructions=instructions,
        response_format=rf,
        scales=tuple(scales),
        items=tuple(items),
        dichotomies=tuple(dichotomies),
        norms=tuple(norms),
        description=description,
        kind=kind,
        game=game,
        followup=followup,
        path=Path(path) if path is not None else None,
    )


def _game(c: _Checker, raw: Any) -> tuple[Game, list[Item], list[Scale]]:
    """The game, its rounds as items (``r01``, ``r02``, ...: their options are the actions, their
    texts written by the plan) and its one scale (the measure, e.g. cooperation)."""
    p = "game."
    c.mapping(raw, GAME_REQUIRED, GAME_OPTIONAL, what="game", prefix=p)
    c.mapping(raw["measure"], ("id", "name"), ("description",), what="game.measure", prefix=p + "measure.")
    sid = c.ident(
        raw["measure"]["id"], p + "measure.id", SCALE_ID_PATTERN, desc="a letter, then letters, digits and _"
    )
    rounds = c.integer(raw["rounds"], p + "rounds", lo=1, hi=MAX_ROUNDS)
    if not isinstance(raw["actions"], list) or len(raw["actions"]) < 2:
        c.fail(
            f"must be a list of at least two actions ({{id, text, value}}), not {_typename(raw['actions'])}",
            field=p + "actions",
        )
    actions = []
    for k, a in enumerate(raw["actions"], start=1):
        q = f"{p}actions[{k}]."
        c.mapping(a, ACTION_KEYS, (), what=f"action {k}", prefix=q)
        actions.append(
            Action(
                id=c.ident(a["id"], q + "id", ITEM_ID_PATTERN, desc="letters, digits, _ and ."),
                text=c.string(a["text"], q + "text", empty=False),
                value=c.number(a["value"], q + "value"),
            )
        )
    ids = [a.id for a in actions]
    for what, vals in (("id", ids), ("text", [a.text for a in actions])):
        if len(set(vals)) != len(vals):
            c.fail(
                f"two actions share the {what} {next(v for v in vals if vals.count(v) > 1)!r}",
                field=p + "actions",
            )
    n = len(actions)
    table = raw["payoffs"]
    shape = f"{n} rows (your action) of {n} cells (the opponent's action), each [your points, the opponent's points]"
    if not isinstance(table, list) or len(table) != n:
        c.fail(f"must be {shape}, in the order of the actions", field=p + "payoffs")
    payoffs = []
    for i, row in enumerate(table):
        if not isinstance(row, list) or len(row) != n:
            c.fail(
                f"row {i + 1} ({ids[i]}) must have {n} cells: the payoff table must be {shape}",
                field=p + "payoffs",
            )
        cells = []
        for j, cell in enumerate(row):
            if not isinstance(cell, list) or len(cell) != 2:
                c.fail(
                    f"cell [{ids[i]}][{ids[j]}] must be [your points, the opponent's points], not {_typename(cell)}",
                    field=p + "payoffs",
                )
            cells.append((c.number(cell[0], p + "payoffs"), c.number(cell[1], p + "payoffs")))
        payoffs.append(tuple(cells))
    specs = c.string_list(raw["opponents"], p + "opponents", empty=False)
    if not specs:
        c.fail("a game needs at least one opponent", field=p + "opponents")
    opponents = []
    for spec in specs:
        try:
            opponents.append(parse_opponent(spec).spec)
        except OpponentError as exc:
            c.fail(str(exc), field=p + "opponents")
    if sorted(ids) != ["C", "D"]:
        c.fail(
            f"the scripted opponents play the actions C and D: a game with them has exactly these two action ids, not {', '.join(ids)}",
            field=p + "actions",
        )
    texts = {}
    for key, fields in (
        ("round", {"round", "rounds", "history"}),
        ("history", {"round", "action", "opponent_action", "payoff", "opponent_payoff"}),
    ):
        texts[key] = c.string(raw[key], p + key, empty=False)
        c.placeholders(texts[key], fields, p + key)
    game = Game(
        rounds=rounds,
        actions=tuple(actions),
        payoffs=tuple(payoffs),
        opponents=tuple(opponents),
        round=texts["round"],
        history=texts["history"],
        no_history=_optional_string(c, raw, "no_history", p),
    )
    options = tuple(Option(text=a.text, value=a.value) for a in actions)
    items = [Item(id=f"r{k:02d}", text="", scale=sid, keyed=1, options=options) for k in range(1, rounds + 1)]
    scale = Scale(
        id=sid,
        name=c.string(raw["measure"]["name"], p + "measure.name", empty=False),
        items=tuple(it.id for it in items),
        description=_optional_string(c, raw["measure"], "description", p + "measure."),
    )
    return game, items, [scale]


def _response_format(c: _Checker, raw: Any) -> ResponseFormat:
    p = "response_format."
    c.mapping(raw, ("type",), RF_KEYS[1:], what="response_format", prefix=p)
    rtype = raw["type"]
    if rtype not in ("likert", "bipolar", "choice", "number"):
        c.fail(f"must be likert, bipolar, choice or number, not {rtype!r}", field=p + "type")
    if rtype == "number":
        for key in ("min", "max"):
            if key not in raw:
                c.fail(
                    "required field missing from response_format (a number answer needs min and max)",
                    field=p + key,
                )
        for key in ("points", "anchors"):
            if key in raw:
                c.fail("a number answer has min and max, not points or anchors", field=p + key)
        lo, hi = c.integer(raw["min"], p + "min"), c.integer(raw["max"], p + "max")
        if lo >= hi:
            c.fail(f"min ({lo}) must be less than max ({hi})", field=p + "max")
        if hi - lo + 1 > MAX_NUMBER_POINTS:
            c.fail(
                f"a number range holds at most {MAX_NUMBER_POINTS} whole numbers, not {hi - lo + 1}",
                field=p + "max",
            )
        return ResponseFormat(type="number", points=hi - lo + 1, min=lo)
    if "max" in raw:
        c.fail(f"max is for number answers; a {rtype} scale has points", field=p + "max")
    if rtype != "choice" and "points" not in raw:
        c.fail(
            f"required field missing from response_format (a {rtype} scale needs its number of points)",
            field=p + "points",
        )
    points = c.integer(raw["points"], p + "points", lo=2) if "points" in raw else 0
    vmin = c.integer(raw.get("min", 1), p + "min")
    anchors = tuple(c.string_list(_optional_list(raw, "anchors"), p + "anchors", empty=False))
    if rtype == "choice" and anchors:
        c.fail("a choice instrument has no anchors: each item carries its own options", field=p + "anchors")
    if anchors:
        allowed = (points, 2) if rtype == "bipolar" else (points,)
        if len(anchors) not in allowed:
            c.fail(
                f"{len(anchors)} anchors for a {points}-point scale (need {points}"
                + (" or 2 end labels" if rtype == "bipolar" else "")
                + ")",
                field=p + "anchors",
            )
    return ResponseFormat(type=rtype, points=points, min=vmin, anchors=anchors)


def _items(c: _Checker, raw: Any, rf: ResponseFormat) -> list[Item]:
    if not isinstance(raw, list) or not raw:
        c.fail(f"must be a non-empty list of items, not {_typename(raw)}", field="items")
    out: list[Item] = []
    seen: set[str] = set()
    for n, entry in enumerate(raw, start=1):
        label = entry.get("id") if isinstance(entry, dict) else None
        label = str(label) if isinstance(label, (str, int)) and not isinstance(label, bool) else f"#{n}"
        c.mapping(entry, ITEM_REQUIRED, ITEM_OPTIONAL, what="an item", item=label)
        iid = c.ident(
            entry["id"],
            "id",
            ITEM_ID_PATTERN,
            item=label,
            desc="letters, digits, _ and ., not starting with .",
        )
        if iid in seen:
            c.fail("duplicate item id (each item id must be unique)", item=iid, field="id")
        seen.add(iid)
        bipolar, choice = rf.type == "bipolar", rf.type == "choice"
        text = c.string(entry["text"], "text", item=iid, empty=bipolar)
        scale = c.ident(entry["scale"], "scale", SCALE_ID_PATTERN, item=iid, desc="a scale id")
        keyed = entry["keyed"]
        if keyed not in ("+", "-"):
            c.fail(f'must be "+" or "-" (quote it in YAML), not {_typename(keyed)}', item=iid, field="keyed")
        for pole in ("left", "right"):
            if pole in entry and not bipolar:
                c.fail(f"poles are for bipolar items; this instrument is {rf.type}", item=iid, field=pole)
        if "options" in entry and not choice:
            c.fail(f"options are for choice items; this instrument is {rf.type}", item=iid, field="options")
        left = right = None
        if bipolar:
            for pole in ("left", "right"):
                if pole not in entry:
                    c.fail(
                        "a bipolar item needs both poles (left: the low end, right: the high end)",
                        item=iid,
                        field=pole,
                    )
            left = c.string(entry["left"], "left", item=iid, empty=False)
            right = c.string(entry["right"], "right", item=iid, empty=False)
        options: tuple[Option, ...] = ()
        if choice:
            raw_opts = entry.get("options")
            if not isinstance(raw_opts, list) or len(raw_opts) < 2:
                c.fail(
                    "a choice item needs a list of at least two options ({text: ..., value: ...})",
                    item=iid,
                    field="options",
                )
            opts = []
            for k, o in enumerate(raw_opts, start=1):
                c.mapping(o, OPTION_KEYS, (), what=f"option {k}", item=iid, prefix=f"options[{k}].")
                opts.append(
                    Option(
                        text=c.string(o["text"], f"options[{k}].text", item=iid, empty=False),
                        value=c.number(o["value"], f"options[{k}].value", item=iid),
                    )
                )
            if rf.points and len(opts) != rf.points:
                c.fail(
                    f"{len(opts)} options, but response_format.points is {rf.points}",
                    item=iid,
                    field="options",
                )
            if len({o.value for o in opts}) < 2:
                c.fail("the options must not all have the same value", item=iid, field="options")
            options = tuple(opts)
        out.append(
            Item(
                id=iid,
                text=text,
                scale=scale,
                keyed=1 if keyed == "+" else -1,
                left=left,
                right=right,
                options=options,
            )
        )
    return out


def _scales(c: _Checker, raw: Any, items: list[Item]) -> list[Scale]:
    if not isinstance(raw, list) or not raw:
        c.fail(f"must be a non-empty list of scales, not {_typename(raw)}", field="scales")
    by_id = {it.id: it for it in items}
    out: list[Scale] = []
    seen: set[str] = set()
    listed_in: dict[str, str] = {}
    for n, entry in enumerate(raw, start=1):
        sid = entry.get("id") if isinstance(entry, dict) else None
        p = f"scales[{sid if isinstance(sid, str) else n}]."
        c.mapping(entry, SCALE_REQUIRED, SCALE_OPTIONAL, what="a scale", prefix=p)
        sid = c.ident(entry["id"], p + "id", SCALE_ID_PATTERN, desc="a letter, then letters, digits and _")
        p = f"scales[{sid}]."
        if sid in RESERVED_SCALE_IDS or sid.startswith("z_"):
            c.fail(f"{sid!r} is reserved for result columns ('type', 'z_<scale>')", field=p + "id")
        if sid in seen:
            c.fail("duplicate scale id (each scale id must be unique)", field=p + "id")
        seen.add(sid)
        name = c.string(entry["name"], p + "name", empty=False)
        members = c.string_list(entry["items"], p + "items")
        if not members:
            c.fail("a scale needs at least one item", field=p + "items")
        if len(set(members)) != len(members):
            dup = next(m for m in members if members.count(m) > 1)
            c.fail(f"item {dup} is listed twice", item=dup, field=p + "items")
        for m in members:
            if m not in by_id:
                c.fail(f"scale {sid} lists an item that does not exist", item=m, field=p + "items")
            if m in listed_in:
                c.fail(
                    f"the item is listed in scales {listed_in[m]} and {sid} (an item scores on one scale)",
                    item=m,
                    field=p + "items",
                )
            listed_in[m] = sid
            if by_id[m].scale != sid:
                c.fail(
                    f"scale {sid} lists the item, but the item says scale: {by_id[m].scale}",
                    item=m,
                    field="scale",
                )
        reverse = c.string_list(_optional_list(entry, "reverse"), p + "reverse")
        for r in reverse:
            if r not in by_id:
                c.fail(
                    f"scale {sid}: reverse key on an item that does not exist", item=r, field=p + "reverse"
                )
            if r not in members:
                c.fail(
                    f"scale {sid}: reverse key on an item that is not on this scale",
                    item=r,
                    field=p + "reverse",
                )
        keyed_minus = [m for m in members if by_id[m].keyed < 0]
        for m in keyed_minus:
            if m not in reverse:
                c.fail(
                    f'scale {sid}: the item is keyed "-" but missing from reverse',
                    item=m,
                    field=p + "reverse",
                )
        for r in reverse:
            if by_id[r].keyed > 0:
                c.fail(f'scale {sid}: the item is in reverse but keyed "+"', item=r, field=p + "reverse")
        scoring = entry.get("scoring", "mean")
        if scoring not in ("mean", "sum"):
            c.fail(f"must be mean or sum, not {_typename(scoring)}", field=p + "scoring")
        offset = c.number(entry.get("offset", 0), p + "offset")
        min_items = entry.get("min_items")
        if min_items is not None:
            min_items = c.integer(min_items, p + "min_items", lo=1, hi=len(members))
        desc = _optional_string(c, entry, "description", p)
        out.append(
            Scale(
                id=sid,
                name=name,
                items=tuple(members),
                reverse=tuple(reverse),
                scoring=scoring,
                offset=offset,
                min_items=min_items,
                description=desc,
            )
        )
    for it in items:
        if it.scale not in seen:
            c.fail(
                f"the item names scale {it.scale!r}, which does not exist (scales: {', '.join(seen)})",
                item=it.id,
                field="scale",
            )
        if it.id not in listed_in:
            c.fail(
                f"the item belongs to no scale: add it to scale {it.scale}'s items", item=it.id, field="scale"
            )
    return out


def _optional_string(c: _Checker, mapping: dict, key: str, prefix: str = "") -> str:
    """An optional string field: absent or null reads as ""."""
    value = mapping.get(key)
    return "" if value is None else c.string(value, prefix + key)


def _optional_list(mapping: dict, key: str) -> Any:
    """An optional list field: absent or null reads as []; anything else is checked by the caller."""
    value = mapping.get(key)
    return [] if value is None else value


def _section(c: _Checker, raw: Any, name: str) -> list:
    if raw is None:
        return []
    if not isinstance(raw, list):
        c.fail(f"must be a list, not {_typename(raw)}", field=name)
    return raw


def _dichotomies(c: _Checker, raw: Any, scale_ids: set[str]) -> list[Dichotomy]:
    out = []
    for n, d in enumerate(_section(c, raw, "dichotomies"), start=1):
        p = f"dichotomies[{n}]."
        c.mapping(d, DICHOTOMY_REQUIRED, DICHOTOMY_OPTIONAL, what="a dichotomy", prefix=p)
        scale = c.string(d["scale"], p + "scale")
        if scale not in scale_ids:
            c.fail(f"names scale {scale!r}, which does not exist", field=p + "scale")
        low = c.string(d["low"], p + "low", empty=False)
        high = c.string(d["high"], p + "high", empty=False)
        if low == high:
            c.fail("low and high letters must differ", field=p + "high")
        tie = d.get("tie", "low")
        if tie not in ("low", "high", "x"):
            c.fail(f"must be low, high or x, not {_typename(tie)}", field=p + "tie")
        out.append(
            Dichotomy(scale=scale, low=low, high=high, cutoff=c.number(d["cutoff"], p + "cutoff"), tie=tie)
        )
    return out


def _norms(c: _Checker, raw: Any, scale_ids: set[str]) -> list[Norm]:
    out = []
    seen: set[str] = set()
    for n, d in enumerate(_section(c, raw, "norms"), start=1):
        p = f"norms[{n}]."
        c.mapping(d, NORM_REQUIRED, NORM_OPTIONAL, what="a norm", prefix=p)
        scale = c.string(d["scale"], p + "scale")
        if scale not in scale_ids:
            c.fail(f"names scale {scale!r}, which does not exist", field=p + "scale")
        if scale in seen:
            c.fail(f"a second norm for scale {scale} (one norm per scale)", field=p + "scale")
        seen.add(scale)
        sd = c.number(d["sd"], p + "sd")
        if sd <= 0:
            c.fail(f"a standard deviation must be positive, not {sd:g}", field=p + "sd")
        nn = d.get("n")
        nn = c.integer(nn, p + "n", lo=1) if nn is not None else None
        out.append(
            Norm(
                scale=scale,
                mean=c.number(d["mean"], p + "mean"),
                sd=sd,
                n=nn,
                population=_optional_string(c, d, "population", p),
                source=_optional_string(c, d, "source", p),
            )
        )
    return out


def instrument_to_dict(inst: Instrument) -> dict:
    """The instrument as a plain document in the YAML format (the inverse of :func:`parse_instrument`).

    ``parse_instrument(instrument_to_dict(inst))`` equals ``inst`` (up to ``path``).
    """
    rf = inst.response_format
    rfd: dict[str, Any] = {"type": rf.type}
    # choice: 'points' only where every item has that many options (it is then a rule); items with
    # differing option counts had no 'points', and the parser sets the largest count again
    if rf.type == "number":
        rfd["min"], rfd["max"] = rf.min, rf.max
    elif rf.type != "choice" or (rf.points and all(len(it.options) == rf.points for it in inst.items)):
        rfd["points"] = rf.points
    if rf.type != "number":
        rfd["min"] = rf.min
    if rf.anchors:
        rfd["anchors"] = list(rf.anchors)
    doc: dict[str, Any] = {
        "format": FORMAT,
        "id": inst.id,
        **({"kind": inst.kind} if inst.kind != "inventory" else {}),
        "name": inst.name,
        "version": inst.version,
        "description": inst.description,
        "citation": inst.citation,
        "licence": inst.licence,
        "source_url": inst.source_url,
        "instructions": inst.instructions,
        **({"followup": inst.followup} if inst.followup else {}),
        "response_format": rfd,
    }
    if inst.game is not None:
        g, sc = inst.game, inst.scales[0]
        measure = {
            "id": sc.id,
            "name": sc.name,
            **({"description": sc.description} if sc.description else {}),
        }
        doc["response_format"] = {"type": "choice"}
        doc["game"] = {
            "measure": measure,
            "rounds": g.rounds,
            "actions": [{"id": a.id, "text": a.text, "value": _num(a.value)} for a in g.actions],
            "payoffs": [[[_num(x), _num(y)] for x, y in row] for row in g.payoffs],
            "opponents": list(g.opponents),
            "round": g.round,
            "history": g.history,
            **({"no_history": g.no_history} if g.no_history else {}),
        }
        return doc
    scales = []
    for s in inst.scales:
        sd: dict[str, Any] = {"id": s.id, "name": s.name}
        if s.description:
            sd["description"] = s.description
        sd["scoring"] = s.scoring
        if s.offset:
            sd["offset"] = _num(s.offset)
        if s.min_items is not None:
            sd["min_items"] = s.min_items
        sd["items"] = list(s.items)
        sd["reverse"] = list(s.reverse)
        scales.append(sd)
    doc["scales"] = scales
    items = []
    for it in inst.items:
        d: dict[str, Any] = {"id": it.id, "text": it.text}
        if it.left is not None:
            d["left"], d["right"] = it.left, it.right
        if it.options:
            d["options"] = [{"text": o.text, "value": _num(o.value)} for o in it.options]
        d["scale"] = it.scale
        d["keyed"] = "-" if it.keyed < 0 else "+"
        items.append(d)
    doc["items"] = items
    if inst.dichotomies:
        doc["dichotomies"] = [
            {"scale": x.scale, "low": x.low, "high": x.high, "cutoff": _num(x.cutoff), "tie": x.tie}
            for x in inst.dichotomies
        ]
    if inst.norms:
        norms = []
        for x in inst.norms:
            nd: dict[str, Any] = {"scale": x.scale, "mean": _num(x.mean), "sd": _num(x.sd)}
            if x.n is not None:
                nd["n"] = x.n
            if x.population:
                nd["population"] = x.population
            if x.source:
                nd["source"] = x.source
            norms.append(nd)
        doc["norms"] = norms
    return doc


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else float(x)
