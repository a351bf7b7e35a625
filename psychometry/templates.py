"""Prompt templates: how one questionnaire item becomes one prompt.

A template is a small YAML record (``instruments/templates/*.yaml``; users add their own files)::

    format: psychometry-templates/1
    response_type: likert            # likert | bipolar | choice
    templates:
      - id: likert-plain
        description: "Instructions, numbered options, then the statement."
        system: "{persona}"          # optional; the persona / trait-shaping text goes here
        user: |-
          {instructions}

          Options:
          {options}

          Statement: {item}
          Answer:

The ``user`` text must end with the *answer cue*: the text after which the option label comes
next (``Answer:``), so the backend can score each label as the next token. Trailing whitespace
is removed (the backend scores ``"3"`` and ``" 3"`` alike). Shared text comes first and the
item-specific text last, so that consecutive prompts share the longest prefix and the backend
reuses its KV cache (see ``docs/administration.md``).

Placeholders (``str.format`` fields; write ``{{`` / ``}}`` for literal braces):

============== =================================================================================
``persona``     the persona and trait-shaping text (``system`` only; empty without a persona)
``instructions`` the instrument's instructions
``options``     one line per option in the SHOWN order: ``1. Disagree strongly`` (``- text`` when
                the labels are the anchors themselves)
``options_inline`` the same on one line: ``1 = Disagree strongly; 2 = ...``
``labels``      the labels in shown order: ``1, 2, 3, 4 or 5``
``first``/``last`` the first and last shown label (number answers: the ends of the range)
``n``           the number of options
``item``        the item text (bipolar items without text: ``"left" or "right"``)
``left``/``right`` bipolar items: the poles as SHOWN: ``left`` is the pole the first shown option
                is nearest to (if it is the middle option, the pole the last shown option is NOT
                nearest to), ``right`` the other one; so ``reversed`` swaps them
``guide``       bipolar items: one sentence on how to read the shown options (empty otherwise). When
                the shown values run from one pole to the other (``original``, ``reversed``):
                ``1 means "makes lists" fits you, 5 means "relies on memory" fits you, and 3
                means you are in between.``, from the first, last and middle shown labels. When
                they do not (``rotate1``..., ``perm``..., ``random``...) or the labels are the
                option texts (``--labels anchors``), the sentence names no label or side:
                ``Each option says which description fits you, how close to it you are, or that
                you are in between.``
============== =================================================================================

Bipolar prompts therefore never say "1 means left" when the first option is not the left pole: the
instrument's own instructions should not either (they describe the task; the guide, the poles
and the option texts describe the shown scale).

Example
-------
>>> ts = load_templates("all")
>>> sorted({t.response_type for t in ts})
['bipolar', 'choice', 'likert']
"""

from __future__ import annotations

import hashlib
import itertools
import json
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import PsychometryError
from .instrument.load import read_yaml
from .instrument.model import Instrument, Item, fmt_value
from .orders import Order, make_labels
from .resources import data_dir

__all__ = [
    "PLACEHOLDERS",
    "TEMPLATE_FORMAT",
    "RenderedItem",
    "Template",
    "TemplateError",
    "item_options",
    "join_labels",
    "load_template_file",
    "load_templates",
    "render_item",
    "shipped_templates",
]

TEMPLATE_FORMAT = "psychometry-templates/1"
RESPONSE_TYPES = ("likert", "bipolar", "choice", "number")
PLACEHOLDERS = frozenset(
    {
        "persona",
        "instructions",
        "options",
        "options_inline",
        "labels",
        "first",
        "last",
        "n",
        "item",
        "left",
        "right",
        "guide",
    }
)


class TemplateError(PsychometryError):
    """A malformed template file or an unknown template id (the message names file and id)."""


@dataclass(frozen=True)
class Template:
    """One prompt template (see the module docstring for the placeholders)."""

    id: str
    response_type: str
    user: str
    system: str = "{persona}"
    description: str = ""
    source: str = ""

    @property
    def text_hash(self) -> str:
        """sha256 of what defines the prompt (id, response type, system and user text)."""
        payload = json.dumps([self.id, self.response_type, self.system, self.user], ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def render(self, fields: Mapping[str, str]) -> tuple[str | None, str]:
        """``(system, user)`` with the placeholders filled; ``system`` is ``None`` when empty."""
        try:
            system = self.system.format_map(dict(fields)).strip() if self.system else ""
            user = self.user.format_map(dict(fields)).rstrip()
        except (KeyError, IndexError, ValueError) as exc:  # pragma: no cover - validated on load
            raise TemplateError(f"{self.source}: template {self.id}: cannot render: {exc}") from None
        return (system or None), user


def _fields_of(text: str) -> set[str]:
    out: set[str] = set()
    for _, name, _, _ in string.Formatter().parse(text):
        if name is not None:
            out.add(name)
    return out


def _validate(t: Template, where: str) -> None:
    for field_name, text in (("system", t.system), ("user", t.user)):
        try:
            names = _fields_of(text)
        except ValueError as exc:
            raise TemplateError(f"{where}: template {t.id}: field '{field_name}': {exc}") from None
        bad = sorted(n for n in names if n not in PLACEHOLDERS)
        if bad:
            raise TemplateError(
                f"{where}: template {t.id}: field '{field_name}': unknown placeholder(s) "
                f"{', '.join('{' + b + '}' for b in bad)}; allowed: "
                f"{', '.join(sorted(PLACEHOLDERS))}"
            )
        if field_name == "user" and "persona" in names:
            raise TemplateError(f"{where}: template {t.id}: field 'user': {{persona}} belongs in 'system'")
    names = _fields_of(t.user)
    if t.response_type == "bipolar":
        if not ({"left", "right"} <= names or "item" in names):
            raise TemplateError(
                f"{where}: template {t.id}: field 'user': a bipolar template needs {{left}} and "
                "{right} (or {item})"
            )
    elif "item" not in names:
        raise TemplateError(f"{where}: template {t.id}: field 'user': needs the {{item}} placeholder")
    if t.response_type == "number":
        if not {"first", "last"} <= names:
            raise TemplateError(
                f"{where}: template {t.id}: field 'user': a number template needs {{first}} and {{last}} "
                "(the ends of the range)"
            )
    elif not names & {"options", "options_inline"} and t.response_type != "bipolar":
        raise TemplateError(
            f"{where}: template {t.id}: field 'user': needs {{options}} or {{options_inline}}"
        )
    if not t.user.rstrip():
        raise TemplateError(f"{where}: template {t.id}: field 'user' is empty")


def load_template_file(path: str | Path) -> list[Template]:
    """Read one template YAML file; errors name the file, the template and the field."""
    p = Path(path)
    data = read_yaml(
        p, what="template file", error=lambda where, message: TemplateError(f"{where}: {message}")
    )
    if not isinstance(data, dict):
        raise TemplateError(f"{p}: a template file is a mapping with 'response_type' and 'templates'")
    fmt = data.get("format", TEMPLATE_FORMAT)
    if fmt != TEMPLATE_FORMAT:
        raise TemplateError(f"{p}: field 'format': expected {TEMPLATE_FORMAT!r}, got {fmt!r}")
    default_type = data.get("response_type")
    entries = data.get("templates")
    if not isinstance(entries, list) or not entries:
        raise TemplateError(f"{p}: field 'templates': a non-empty list of templates is required")
    out: list[Template] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise TemplateError(f"{p}: templates[{i}]: must be a mapping")
        tid = entry.get("id")
        if not isinstance(tid, str) or not tid.strip() or any(c in tid for c in ",/ \t"):
            raise TemplateError(
                f"{p}: templates[{i}]: field 'id': a non-empty id without spaces, commas or '/'"
            )
        rtype = entry.get("response_type", default_type)
        if rtype not in RESPONSE_TYPES:
            raise TemplateError(
                f"{p}: template {tid}: field 'response_type': one of {', '.join(RESPONSE_TYPES)}, "
                f"not {rtype!r}"
            )
        user = entry.get("user")
        if not isinstance(user, str):
            raise TemplateError(f"{p}: template {tid}: field 'user': a string is required")
        system = entry.get("system", "{persona}")
        if system is None:
            system = ""
        if not isinstance(system, str):
            raise TemplateError(f"{p}: template {tid}: field 'system': must be a string")
        unknown = sorted(set(entry) - {"id", "response_type", "user", "system", "description"})
        if unknown:
            raise TemplateError(f"{p}: template {tid}: unknown field(s) {', '.join(unknown)}")
        t = Template(
            id=tid.strip(),
            response_type=rtype,
            user=user,
            system=system,
            description=str(entry.get("description", "")),
            source=str(p),
        )
        _validate(t, str(p))
        out.append(t)
    return out


def _add(found: dict[str, Template], ts: Iterable[Template]) -> None:
    for t in ts:
        if t.id in found and found[t.id] != t:
            raise TemplateError(
                f"template id {t.id!r} is defined twice ({found[t.id].source} and {t.source})"
            )
        found[t.id] = t


def shipped_templates() -> list[Template]:
    """Every template in the package's ``templates/`` folder, in file then list order."""
    found: dict[str, Template] = {}
    folder = data_dir() / "templates"
    for f in sorted(folder.glob("*.yaml")):
        _add(found, load_template_file(f))
    return list(found.values())


def load_templates(spec: str | Iterable[str] = "all") -> list[Template]:
    """Resolve ``--templates``: ``all``, template ids, template files, or a mix.

    Comma-separated tokens: ``all`` (every shipped template), a path to a YAML file (all its
    templates), or a template id among the shipped ones and those in files given in the same
    spec. An unknown id raises :class:`TemplateError` listing the known ids.
    """
    if isinstance(spec, Template):
        return [spec]
    tokens: list = [t.strip() for t in spec.split(",")] if isinstance(spec, str) else list(spec)
    tokens = [t for t in tokens if not (isinstance(t, str) and not t)]
    if not tokens:
        raise TemplateError("no template given (use --templates all, ids or a file)")
    shipped = {t.id: t for t in shipped_templates()}
    from_files: dict[str, Template] = {}
    for tok in tokens:
        if isinstance(tok, Template):
            continue
        if isinstance(tok, Path) or (tok.endswith((".yaml", ".yml")) or Path(tok).is_file()):
            _add(from_files, load_template_file(tok))
    known = dict(shipped)
    _add(known, from_files.values())
    chosen: dict[str, Template] = {}
    for tok in tokens:
        if isinstance(tok, Template):
            _add(chosen, [tok])
        elif isinstance(tok, Path) or tok.endswith((".yaml", ".yml")) or Path(tok).is_file():
            _add(chosen, load_template_file(tok))
        elif tok == "all":
            _add(chosen, shipped.values())
        elif tok in known:
            _add(chosen, [known[tok]])
        else:
            raise TemplateError(
                f"unknown template {tok!r}; known templates: {', '.join(sorted(known))} "
                "(or give a template YAML file)"
            )
    return list(chosen.values())


# ----------------------------------------------------------------------------- rendering
def _bipolar_texts(values: Sequence[int], left: str, right: str) -> tuple[str, ...]:
    """Option texts of a bipolar scale between two poles.

    With centre c = (min + max) / 2 and d = |v - c| / (c - min): d = 1 is the pole itself,
    1/2 <= d < 1 "closer to" it, 0 < d < 1/2 "slightly closer to" it, d = 0 "in between the two"
    (the same text whichever pole is printed first).
    """
    lo, hi = min(values), max(values)
    c = (lo + hi) / 2
    half = (hi - lo) / 2 or 1.0
    out = []
    for v in values:
        d = abs(v - c) / half
        pole = left if v < c else right
        if d == 0:
            out.append("in between the two")
        elif d >= 1:
            out.append(f'"{pole}"')
        elif d >= 0.5:
            out.append(f'closer to "{pole}"')
        else:
            out.append(f'slightly closer to "{pole}"')
    return tuple(out)


def _low_pole_is_left(shown_values: Sequence[float]) -> bool:
    """Whether the low pole (value ``min``) is printed as the left one for options shown in this order.

    The left pole is the one the first shown option is nearest to; a first option exactly in the
    middle is nearest to neither, and then the last shown option decides (its pole is the right one).
    """
    lo, hi = min(shown_values), max(shown_values)
    c = (lo + hi) / 2
    first, last = shown_values[0], shown_values[-1]
    if first != c:
        return first < c
    return last > c


def _is_monotone(values: Sequence[float]) -> bool:
    pairs = list(itertools.pairwise(values))
    return all(a < b for a, b in pairs) or all(a > b for a, b in pairs)


def _bipolar_guide(
    shown_values: Sequence[float], labels: Sequence[str], left: str, right: str, label_style: str
) -> str:
    """The ``{guide}`` sentence: what the first, last (and middle) shown labels mean, when they run
    from the left pole to the right one; otherwise a sentence that names no label and no side."""
    k = len(shown_values)
    centre = (min(shown_values) + max(shown_values)) / 2
    has_middle = any(v == centre for v in shown_values)
    if label_style == "anchors" or not _is_monotone(shown_values):
        if has_middle:
            return "Each option says which description fits you, how close to it you are, or that you are in between."
        return "Each option says which description fits you or how close to it you are."
    ends = f'{labels[0]} means "{left}" fits you'
    if has_middle:
        return (
            f'{ends}, {labels[-1]} means "{right}" fits you, and {labels[k // 2]} means you are in between.'
        )
    return f'{ends} and {labels[-1]} means "{right}" fits you.'


def item_options(instrument: Instrument, item: Item) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """The item's options in the instrument's own order: ``(texts, scale values)``.

    likert: the response format's anchors (or the values when there are none); bipolar: texts
    built from the item's poles (:func:`_bipolar_texts`; a bipolar response format's ``anchors``
    are descriptive only and never shown, because "left"/"right" wording breaks under option
    orders); choice: the item's own options; number: every whole number of the range, as text.
    """
    rf = instrument.response_format
    if rf.type == "choice":
        if not item.options:
            raise TemplateError(f"{instrument.id}: item {item.id}: a choice item needs options")
        return tuple(o.text for o in item.options), tuple(float(o.value) for o in item.options)
    values = tuple(float(v) for v in rf.values)
    if rf.type == "bipolar":
        if not item.left or not item.right:
            raise TemplateError(f"{instrument.id}: item {item.id}: a bipolar item needs left and right")
        return _bipolar_texts(rf.values, item.left, item.right), values
    if rf.anchors and len(rf.anchors) == rf.points:
        return tuple(rf.anchors), values
    return tuple(fmt_value(v) for v in values), values


@dataclass(frozen=True)
class RenderedItem:
    """One item as shown under one template and order: the prompt parts and the label map."""

    system: str | None
    user: str
    labels: tuple[str, ...]
    shown_values: tuple[float, ...]
    shown_texts: tuple[str, ...]


def join_labels(labels: Sequence[str]) -> str:
    """The labels as the ``{labels}`` placeholder shows them: ``1, 2, 3, 4 or 5``."""
    if len(labels) == 1:
        return labels[0]
    return ", ".join(labels[:-1]) + " or " + labels[-1]


def render_item(
    template: Template,
    instrument: Instrument,
    item: Item,
    order: Order,
    *,
    label_style: str = "digits",
    persona_text: str = "",
) -> RenderedItem:
    """Fill ``template`` for ``item`` with options shown in ``order`` and labelled by style."""
    texts, values = item_options(instrument, item)
    if len(order.perm) != len(values):
        raise TemplateError(
            f"{instrument.id}: item {item.id}: order {order.name} has {len(order.perm)} positions "
            f"but the item has {len(values)} options"
        )
    shown_texts = order.apply(texts)
    shown_values = order.apply(values)
    number = instrument.response_format.type == "number"
    # a number answer is the number itself, whatever the label style
    labels = shown_texts if number else make_labels(label_style, len(values), shown_texts)
    if label_style == "anchors":
        lines = [f"- {lab}" for lab in labels]
        inline = "; ".join(labels)
    else:
        lines = [f"{lab}. {txt}" for lab, txt in zip(labels, shown_texts)]
        inline = "; ".join(f"{lab} = {txt}" for lab, txt in zip(labels, shown_texts))
    left, right = item.left or "", item.right or ""
    guide = ""
    if instrument.response_format.type == "bipolar":
        if not _low_pole_is_left(shown_values):
            left, right = right, left  # the first shown option is nearest the pole printed left
        guide = _bipolar_guide(shown_values, labels, left, right, label_style)
    text = item.text.strip()
    if not text and left and right:
        text = f'"{left}" or "{right}"'
    fields = {
        "persona": persona_text.strip(),
        "instructions": instrument.instructions.strip(),
        "options": "\n".join(lines),
        "options_inline": inline,
        "labels": join_labels(labels),
        "first": labels[0],
        "last": labels[-1],
        "n": str(len(labels)),
        "item": text,
        "left": left,
        "right": right,
        "guide": guide,
    }
    system, user = template.render(fields)
    return RenderedItem(system, user, labels, shown_values, shown_texts)
