"""Personas and trait shaping: who the simulated respondent is told to be.

A persona is a short description put in the prompt's system/persona slot (see
:mod:`psychometry.templates`). ``--personas``:

``none``
    no persona (the persona column holds ``none``).
``default``
    the shipped ``instruments/personas/default.yaml``: 60 short, varied descriptions written for
    this project in the second person ("You are ...").
``FILE``
    a YAML file: ``personas: [{id: ..., text: ...}, ...]`` (a list of strings or an
    ``{id: text}`` mapping also works).

Trait shaping (``--shape extraversion=high``) follows the design of Serapio-Garcia et al. (2023,
"Personality traits in large language models", arXiv:2307.00184): nine graded levels per Big
Five domain, expressed with trait adjective markers and the qualifiers *extremely, very, (none),
a bit* on the low or the high pole, and a neutral middle level. The adjective markers below are
our own (pairs of everyday English opposites per domain), not the paper's list. Levels: 1
``extremely_low`` ... 5 ``neutral`` ... 9 ``extremely_high`` (numbers, ``-``/``_``/space
variants, and the aliases ``low``/``neutral``/``high`` are accepted); ``trait=all`` sweeps the
nine levels (one persona condition per level). The shaping text is appended to the persona.

Example
-------
>>> shape_text({"extraversion": 8}).split(",")[0]
'You are very talkative'
>>> [p.id for p in load_personas("none", shape="extraversion=high")]
['extraversion=high']
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import PsychometryError
from .instrument.load import read_yaml
from .resources import data_dir

__all__ = [
    "LEVELS",
    "TRAIT_MARKERS",
    "Persona",
    "PersonaError",
    "load_persona_file",
    "load_personas",
    "parse_shape",
    "shape_text",
]

PERSONA_FORMAT = "psychometry-personas/1"


class PersonaError(PsychometryError):
    """A malformed persona file or shaping specification."""


@dataclass(frozen=True)
class Persona:
    """``id`` goes in the ``persona`` column; ``text`` in the prompt's system slot."""

    id: str
    text: str = ""

    @property
    def text_hash(self) -> str:
        return hashlib.sha256(f"{self.id}\n{self.text}".encode()).hexdigest()


NONE = Persona("none", "")

#: The nine levels of Serapio-Garcia et al. (2023), 1 = extremely low ... 9 = extremely high.
LEVELS = (
    "extremely_low",
    "very_low",
    "low",
    "a_bit_low",
    "neutral",
    "a_bit_high",
    "high",
    "very_high",
    "extremely_high",
)
_QUALIFIER = {
    1: "extremely ",
    2: "very ",
    3: "",
    4: "a bit ",
    6: "a bit ",
    7: "",
    8: "very ",
    9: "extremely ",
}

#: (low pole, high pole) adjective markers per Big Five domain, written for this project.
TRAIT_MARKERS: dict[str, tuple[tuple[str, str], ...]] = {
    "extraversion": (
        ("quiet", "talkative"),
        ("reserved", "outgoing"),
        ("unassertive", "assertive"),
        ("passive", "energetic"),
        ("solitary", "sociable"),
        ("timid", "bold"),
    ),
    "agreeableness": (
        ("critical", "kind"),
        ("distrustful", "trusting"),
        ("uncooperative", "cooperative"),
        ("harsh", "gentle"),
        ("self-centred", "generous"),
        ("quarrelsome", "easy-going"),
    ),
    "conscientiousness": (
        ("disorganised", "organised"),
        ("careless", "thorough"),
        ("unreliable", "dependable"),
        ("lazy", "hard-working"),
        ("impulsive", "deliberate"),
        ("messy", "tidy"),
    ),
    "neuroticism": (
        ("calm", "anxious"),
        ("relaxed", "tense"),
        ("even-tempered", "moody"),
        ("secure", "insecure"),
        ("contented", "easily upset"),
        ("unworried", "worrying"),
    ),
    "openness": (
        ("unimaginative", "imaginative"),
        ("incurious", "curious"),
        ("conventional", "original"),
        ("unartistic", "artistic"),
        ("uninquisitive", "inquisitive"),
        ("unreflective", "reflective"),
    ),
}
_TRAIT_ALIASES = {
    "e": "extraversion",
    "a": "agreeableness",
    "c": "conscientiousness",
    "n": "neuroticism",
    "o": "openness",
    "extroversion": "extraversion",
    "openness_to_experience": "openness",
}


def _trait_name(name: str) -> str:
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    key = _TRAIT_ALIASES.get(key, key)
    if key not in TRAIT_MARKERS:
        raise PersonaError(f"unknown trait {name!r} in --shape; use one of {', '.join(TRAIT_MARKERS)}")
    return key


def _level(value: object, trait: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        level = value
    else:
        key = str(value).strip().lower().replace("-", "_").replace(" ", "_")
        if key.isdigit():
            level = int(key)
        elif key in LEVELS:
            level = LEVELS.index(key) + 1
        else:
            raise PersonaError(
                f"unknown level {value!r} for {trait} in --shape; use 1-9, all, or one of {', '.join(LEVELS)}"
            )
    if not 1 <= level <= 9:
        raise PersonaError(f"level {value!r} for {trait} in --shape is not between 1 and 9")
    return level


def parse_shape(spec: str | Mapping[str, object] | Iterable[str] | None) -> list[dict[str, int]]:
    """Parse ``--shape`` into a list of conditions ``{trait: level}`` (one unless ``all`` is used).

    >>> parse_shape("E=high,neuroticism=2")
    [{'extraversion': 7, 'neuroticism': 2}]
    >>> len(parse_shape("openness=all"))
    9
    """
    if spec is None or spec == "" or spec == ():
        return []
    pairs: list[tuple[str, object]]
    if isinstance(spec, Mapping):
        pairs = [(str(k), v) for k, v in spec.items()]
    else:
        tokens = spec.split(",") if isinstance(spec, str) else [t for s in spec for t in str(s).split(",")]
        pairs = []
        for tok in tokens:
            tok = tok.strip()
            if not tok:
                continue
            if "=" not in tok:
                raise PersonaError(f"bad --shape {tok!r}: expected TRAIT=LEVEL, e.g. extraversion=high")
            name, level = tok.split("=", 1)
            pairs.append((name, level))
    choices: dict[str, list[int]] = {}
    for k, v in pairs:
        trait = _trait_name(k)
        if trait in choices:
            raise PersonaError(f"trait {trait} given twice in --shape")
        if str(v).strip().lower() == "all":
            choices[trait] = list(range(1, 10))
        else:
            choices[trait] = [_level(v, trait)]
    traits = list(choices)
    return [dict(zip(traits, combo)) for combo in itertools.product(*(choices[t] for t in traits))]


def shape_text(levels: Mapping[str, int]) -> str:
    """The shaping sentences for ``{trait: level}``: one sentence per trait.

    Level 1-4 use the low-pole markers, 6-9 the high-pole markers, with the qualifiers
    extremely / very / (none) / a bit; level 5 says "neither ... nor ..." for every pair.
    """
    sentences = []
    for trait, level in levels.items():
        markers = TRAIT_MARKERS[_trait_name(trait)]
        if level == 5:
            parts = [f"neither particularly {hi} nor particularly {lo}" for lo, hi in markers]
        else:
            q = _QUALIFIER[level]
            parts = [f"{q}{hi if level > 5 else lo}" for lo, hi in markers]
        sentences.append("You are " + ", ".join(parts[:-1]) + " and " + parts[-1] + ".")
    return " ".join(sentences)


def _shape_tag(levels: Mapping[str, int]) -> str:
    return "+".join(f"{t}={LEVELS[lv - 1]}" for t, lv in levels.items())


def load_persona_file(path: str | Path) -> list[Persona]:
    """Read a persona YAML file; errors name the file and the entry."""
    p = Path(path)
    data = read_yaml(p, what="persona file", error=lambda where, message: PersonaError(f"{where}: {message}"))
    if isinstance(data, dict) and "personas" in data:
        fmt = data.get("format", PERSONA_FORMAT)
        if fmt != PERSONA_FORMAT:
            raise PersonaError(f"{p}: field 'format': expected {PERSONA_FORMAT!r}, got {fmt!r}")
        entries = data["personas"]
    else:
        entries = data
    out: list[Persona] = []
    if isinstance(entries, dict):
        entries = [{"id": k, "text": v} for k, v in entries.items()]
    if not isinstance(entries, list) or not entries:
        raise PersonaError(f"{p}: field 'personas': a non-empty list of personas is required")
    width = max(2, len(str(len(entries))))
    for i, e in enumerate(entries):
        if isinstance(e, str):
            e = {"id": f"p{i + 1:0{width}d}", "text": e}
        if not isinstance(e, dict):
            raise PersonaError(f"{p}: personas[{i}]: must be a mapping with id and text")
        pid, text = e.get("id"), e.get("text")
        if not isinstance(pid, (str, int)) or not str(pid).strip() or re.search(r"[\s,/+]", str(pid)):
            raise PersonaError(
                f"{p}: personas[{i}]: field 'id': a non-empty id without spaces, ',', '/' or '+'"
            )
        if not isinstance(text, str) or not text.strip():
            raise PersonaError(f"{p}: persona {pid}: field 'text': a non-empty string is required")
        if str(pid) == "none":
            raise PersonaError(f"{p}: persona id 'none' is reserved for 'no persona'")
        out.append(Persona(str(pid), " ".join(text.split())))
    ids = [x.id for x in out]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise PersonaError(f"{p}: duplicate persona id(s): {', '.join(dup)}")
    return out


def load_personas(
    spec: str | Path | Iterable[Persona] | None = "none",
    *,
    shape: str | Mapping[str, object] | Iterable[str] | None = None,
) -> list[Persona]:
    """Resolve ``--personas`` and ``--shape`` into the persona conditions of a run.

    Every persona is crossed with every shaping condition; a shaped persona's id is
    ``PERSONA+trait=level`` (``trait=level`` alone without a persona) and its text is the
    persona text followed by :func:`shape_text`.
    """
    if spec is None or (isinstance(spec, str) and spec.strip().lower() in ("", "none")):
        base = [NONE]
    elif isinstance(spec, str) and spec.strip().lower() == "default":
        base = load_persona_file(data_dir() / "personas" / "default.yaml")
    elif isinstance(spec, (str, Path)):
        if not Path(spec).is_file():
            raise PersonaError(f"--personas: no such file {str(spec)!r} (use none, default or a YAML file)")
        base = load_persona_file(spec)
    else:
        base = list(spec)
        if not base or not all(isinstance(p, Persona) for p in base):
            raise PersonaError("personas must be 'none', 'default', a file, or Persona objects")
    conditions = parse_shape(shape)
    if not conditions:
        return base
    out = []
    for p in base:
        for levels in conditions:
            tag = _shape_tag(levels)
            pid = tag if p.id == "none" else f"{p.id}+{tag}"
            text = (p.text + " " + shape_text(levels)).strip()
            out.append(Persona(pid, text))
    return out
