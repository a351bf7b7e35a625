"""Option orders and option labels: how the answer options of an item are shown.

An *order condition* is a named permutation of an item's options. ``perm[i]`` is the index (in
the item's own, original option list) of the option shown at position ``i + 1``. The stored
answer is always mapped back through the permutation to the item's scale value, so scores from
different orders are comparable; the shown values are stored too, so position effects (primacy,
label bias) can be studied.

Order specifications (``--orders``; comma-separated, combined in the order given):

``original``
    the options as the instrument lists them (identity).
``reversed``
    the options backwards. For bipolar items the poles swap with the order.
``rotate``
    every cyclic shift: ``rotate0`` (= identity), ``rotate1`` (first option moved last), ...,
    ``rotate{k-1}``.
``all``
    every permutation, named ``perm0 .. perm{k!-1}`` in lexicographic order
    (:func:`itertools.permutations`). Refused above :data:`MAX_PERMUTATIONS` (5! = 120): a 7-point
    scale has 5,040 permutations, which is a study design rather than a setting; use
    ``random:K`` instead.
``random:K``
    ``K`` distinct permutations (as many as exist when ``K >= k!``) drawn from
    ``numpy.random.default_rng([seed, k])``, named ``random0 .. random{K-1}``. The seed is part of
    the run configuration, so the same command draws the same permutations.

Conditions that show the *same* order as an earlier condition for the same item (``rotate0`` after
``original``, ``all`` after ``original``/``reversed``, a ``random:K`` draw that equals ``reversed``,
``reversed`` of a one-option item...) are dropped: the earlier name is kept, so every condition of a
run shows a distinct order and no simulated respondent is a copy of another under a new name.
:func:`duplicate_orders` lists what was dropped (the engine reports it as a note).

Counterbalancing option order is the standard check for order and label bias in LLM survey
responses (Dominguez-Olmedo et al. 2024, "Questioning the survey responses of large language
models"; Gupta et al. 2024, "Self-assessment tests are unreliable measures of LLM personality").

Example
-------
>>> [o.name for o in expand_orders("original,reversed", 5)]
['original', 'reversed']
>>> expand_orders("rotate", 3)[1].perm
(1, 2, 0)
"""
from __future__ import annotations

import itertools
import math
import string
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from .errors import PsychometryError

__all__ = [
    "OrderError",
    "Order",
    "MAX_PERMUTATIONS",
    "LABEL_STYLES",
    "parse_orders",
    "expand_orders",
    "duplicate_orders",
    "make_labels",
]

#: The largest number of permutations ``--orders all`` accepts (5! = 120).
MAX_PERMUTATIONS = 120

#: Label styles: ``digits`` (1..k), ``letters`` (A..), ``anchors`` (the option text itself).
LABEL_STYLES = ("digits", "letters", "anchors")


class OrderError(PsychometryError):
    """An option-order specification or label style that cannot be used."""


@dataclass(frozen=True)
class Order:
    """One order condition: ``name`` (stored in the ``order`` column) and the permutation."""

    name: str
    perm: tuple[int, ...]

    def apply(self, seq: Sequence) -> tuple:
        """The elements of ``seq`` (in original order) as shown: ``(seq[p] for p in perm)``."""
        return tuple(seq[p] for p in self.perm)


def parse_orders(spec: str | Iterable[str]) -> tuple[str, ...]:
    """Normalise an order specification to a tuple of tokens, validating each one.

    >>> parse_orders("original, reversed")
    ('original', 'reversed')
    >>> parse_orders(["rotate", "random:3"])
    ('rotate', 'random:3')
    """
    if isinstance(spec, str):
        tokens = [t.strip() for t in spec.split(",")]
    else:
        tokens = [str(t).strip() for t in spec]
    tokens = [t for t in tokens if t]
    if not tokens:
        raise OrderError("no option order given (use e.g. --orders original,reversed)")
    out: list[str] = []
    for tok in tokens:
        low = tok.lower()
        if low in ("original", "reversed", "rotate", "all"):
            norm = low
        elif low.startswith("random:"):
            k = low.split(":", 1)[1]
            if not k.isdigit() or int(k) < 1:
                raise OrderError(f"bad option order {tok!r}: random:K needs a positive integer K")
            norm = f"random:{int(k)}"
        else:
            raise OrderError(
                f"unknown option order {tok!r}: use original, reversed, rotate, all or random:K"
            )
        if norm in out:
            raise OrderError(f"option order {tok!r} given twice")
        out.append(norm)
    return tuple(out)


def expand_orders(spec: str | Iterable[str], k: int, *, seed: int = 0) -> list[Order]:
    """The distinct order conditions of ``spec`` for an item with ``k`` options.

    A condition whose permutation equals an earlier one's is dropped (see
    :func:`duplicate_orders`). Raises :class:`OrderError` for ``all`` when
    ``k! > MAX_PERMUTATIONS``.

    >>> [o.perm for o in expand_orders("all", 3)][:3]
    [(0, 1, 2), (0, 2, 1), (1, 0, 2)]
    >>> [o.name for o in expand_orders("original,rotate", 3)]
    ['original', 'rotate1', 'rotate2']
    """
    return _expand(spec, k, seed)[0]


def duplicate_orders(spec: str | Iterable[str], k: int, *, seed: int = 0) -> list[tuple[str, str]]:
    """``(dropped, kept)`` name pairs: conditions of ``spec`` that show, for an item with ``k``
    options, the same order as the earlier condition ``kept`` and are therefore not administered.

    >>> duplicate_orders("original,reversed,rotate", 3)
    [('rotate0', 'original')]
    >>> duplicate_orders("original,reversed", 1)
    [('reversed', 'original')]
    """
    return _expand(spec, k, seed)[1]


def _expand(spec: str | Iterable[str], k: int, seed: int) -> tuple[list[Order], list[tuple[str, str]]]:
    if k < 1:
        raise OrderError("an item needs at least one option")
    out: list[Order] = []
    identity = tuple(range(k))
    for tok in parse_orders(spec):
        if tok == "original":
            out.append(Order("original", identity))
        elif tok == "reversed":
            out.append(Order("reversed", identity[::-1]))
        elif tok == "rotate":
            out.extend(Order(f"rotate{s}", identity[s:] + identity[:s]) for s in range(k))
        elif tok == "all":
            n = math.factorial(k)
            if n > MAX_PERMUTATIONS:
                raise OrderError(
                    f"--orders all would show {n} permutations of {k} options (more than "
                    f"{MAX_PERMUTATIONS} = 5!); use random:K to sample K of them"
                )
            out.extend(Order(f"perm{i}", p) for i, p in enumerate(itertools.permutations(identity)))
        else:  # random:K
            want = int(tok.split(":", 1)[1])
            out.extend(_random_orders(k, want, seed))
    names = [o.name for o in out]
    if len(set(names)) != len(names):  # pragma: no cover - parse_orders forbids repeats
        raise OrderError(f"duplicate option order names in {spec!r}")
    kept: list[Order] = []
    first: dict[tuple[int, ...], str] = {}
    dropped: list[tuple[str, str]] = []
    for o in out:
        if o.perm in first:
            dropped.append((o.name, first[o.perm]))
        else:
            first[o.perm] = o.name
            kept.append(o)
    return kept, dropped


def _random_orders(k: int, want: int, seed: int) -> list[Order]:
    """``want`` distinct permutations of ``range(k)`` from a generator seeded by ``(seed, k)``."""
    total = math.factorial(k)
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, k])
    if total <= MAX_PERMUTATIONS and want >= total:
        perms = list(itertools.permutations(range(k)))
        idx = rng.permutation(total)
        return [Order(f"random{i}", tuple(perms[j])) for i, j in enumerate(idx)]
    seen: list[tuple[int, ...]] = []
    limit = min(want, total)
    while len(seen) < limit:
        p = tuple(int(x) for x in rng.permutation(k))
        if p not in seen:
            seen.append(p)
    return [Order(f"random{i}", p) for i, p in enumerate(seen)]


def make_labels(style: str, n: int, texts: Sequence[str] = ()) -> tuple[str, ...]:
    """Labels for ``n`` shown positions.

    ``digits``: ``1..n``; ``letters``: ``A..`` (up to 26); ``anchors``: the shown option texts
    themselves (``texts``, already in shown order; they must be non-empty and distinct).

    >>> make_labels("letters", 3)
    ('A', 'B', 'C')
    """
    if style == "digits":
        return tuple(str(i) for i in range(1, n + 1))
    if style == "letters":
        if n > 26:
            raise OrderError(f"label style 'letters' supports at most 26 options, not {n}")
        return tuple(string.ascii_uppercase[:n])
    if style == "anchors":
        labels = tuple(str(t).strip() for t in texts)
        if len(labels) != n or not all(labels):
            raise OrderError("label style 'anchors' needs a text for every option")
        if len(set(labels)) != n:
            raise OrderError("label style 'anchors' needs distinct option texts")
        return labels
    raise OrderError(f"unknown label style {style!r}: use {', '.join(LABEL_STYLES)}")
