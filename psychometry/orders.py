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
    the run configuration, so the same command draws the same permutations. A draw equal to an
    earlier condition's order (``original``, ``reversed``...) is replaced by a further draw where
    the item has permutations left that no earlier condition shows.

Order conditions belong to an instrument (:func:`design_orders`), and every condition is
administered to every item, so every simulated respondent answers every item. When an
instrument's items have different option counts (choice items, behavioural tasks), ``rotate``
and ``all`` run to the largest count (``rotate{s}`` shifts an item with ``k`` options by
``s mod k``, ``perm{i}`` is its permutation ``i mod k!``) and ``random:K`` draws at most as many
conditions as the largest item has permutations, a smaller item cycling through its own draws.

A condition that shows *every* item in the same order as one earlier condition (``rotate0``
after ``original``, ``perm0`` after ``original``, ``reversed`` when every item has one option, a
``random:K`` draw equal to ``reversed`` on a scale whose items share one option count...) is a
copy of that respondent under a new name and is dropped, keeping the earlier name. A condition
that repeats an earlier order on *some* items only (``rotate2`` on a two-option item) is a
distinct condition of the design and is administered to every item. :attr:`OrderDesign.dropped`
(:func:`duplicate_orders` for one option count) lists what was dropped; the engine reports it as
a note.

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .errors import PsychometryError

__all__ = [
    "LABEL_STYLES",
    "MAX_PERMUTATIONS",
    "Order",
    "OrderDesign",
    "OrderError",
    "design_orders",
    "duplicate_orders",
    "expand_orders",
    "make_labels",
    "parse_orders",
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
            raise OrderError(f"unknown option order {tok!r}: use original, reversed, rotate, all or random:K")
        if norm in out:
            raise OrderError(f"option order {tok!r} given twice")
        out.append(norm)
    return tuple(out)


@dataclass(frozen=True)
class OrderDesign:
    """The order conditions of one instrument whose items have the option counts ``counts``.

    ``names`` are the conditions administered, in the order of the specification; ``by_count[k]``
    holds, aligned with ``names``, the :class:`Order` an item with ``k`` options is shown under
    each of them, so every condition is administered to every item. ``dropped`` lists
    ``(dropped, kept)``: conditions that show *every* item in the same order as the earlier
    condition ``kept`` (a copy of that respondent) and are therefore not administered.
    """

    names: tuple[str, ...]
    by_count: dict[int, tuple[Order, ...]]
    dropped: tuple[tuple[str, str], ...]

    def orders(self, k: int) -> tuple[Order, ...]:
        """The conditions (aligned with :attr:`names`) for an item with ``k`` options."""
        return self.by_count[k]


def design_orders(spec: str | Iterable[str], counts: Iterable[int], *, seed: int = 0) -> OrderDesign:
    """The order conditions of ``spec`` for an instrument whose items have ``counts`` options.

    Every condition applies to every item; with items of different option counts (choice
    items, behavioural tasks) ``rotate`` and ``all`` run to the largest count and a smaller item
    cycles (``rotate{s}`` shifts ``s mod k``; ``perm{i}`` is permutation ``i mod k!``, so each
    of its permutations appears equally often), and ``random:K`` draws up to ``K`` conditions
    (at most the permutations of the largest item; a smaller item cycles through its own
    draws). A condition is dropped only when it shows every item in the same order as one
    earlier condition; a partial duplicate (the same order on some items only) is a distinct
    condition and is administered to every item.

    >>> d = design_orders("original,reversed,rotate", [2, 3])
    >>> d.names
    ('original', 'reversed', 'rotate1', 'rotate2')
    >>> [o.perm for o in d.orders(2)]
    [(0, 1), (1, 0), (1, 0), (0, 1)]
    >>> d.dropped
    (('rotate0', 'original'),)
    """
    ks = sorted({int(k) for k in counts})
    if not ks:
        raise OrderError("an instrument needs at least one item")
    if ks[0] < 1:
        raise OrderError("an item needs at least one option")
    kmax = ks[-1]
    # conditions in spec order: (name, {k: perm})
    conds: list[tuple[str, dict[int, tuple[int, ...]]]] = []
    for tok in parse_orders(spec):
        if tok == "original":
            conds.append(("original", {k: tuple(range(k)) for k in ks}))
        elif tok == "reversed":
            conds.append(("reversed", {k: tuple(range(k))[::-1] for k in ks}))
        elif tok == "rotate":
            for s in range(kmax):
                conds.append((f"rotate{s}", {k: _rotation(k, s % k) for k in ks}))
        elif tok == "all":
            n = math.factorial(kmax)
            if n > MAX_PERMUTATIONS:
                raise OrderError(
                    f"--orders all would show {n} permutations of {kmax} options (more than "
                    f"{MAX_PERMUTATIONS} = 5!); use random:K to sample K of them"
                )
            perms = {k: list(itertools.permutations(range(k))) for k in ks}
            for i in range(n):
                conds.append((f"perm{i}", {k: perms[k][i % len(perms[k])] for k in ks}))
        else:  # random:K
            want = min(int(tok.split(":", 1)[1]), math.factorial(kmax))
            draws = {k: _random_perms(k, want, seed, avoid={c[1][k] for c in conds}) for k in ks}
            conds.extend((f"random{i}", {k: draws[k][i] for k in ks}) for i in range(want))
    names = [n for n, _ in conds]
    if len(set(names)) != len(names):  # random:K twice with different K (parse_orders refuses exact repeats)
        raise OrderError(f"duplicate option order names in {spec!r}")
    kept: list[tuple[str, dict[int, tuple[int, ...]]]] = []
    first: dict[tuple, str] = {}
    dropped: list[tuple[str, str]] = []
    for name, perms_by_k in conds:
        key = tuple(perms_by_k[k] for k in ks)  # the order shown to every item
        if key in first:
            dropped.append((name, first[key]))
        else:
            first[key] = name
            kept.append((name, perms_by_k))
    return OrderDesign(
        names=tuple(n for n, _ in kept),
        by_count={k: tuple(Order(n, p[k]) for n, p in kept) for k in ks},
        dropped=tuple(dropped),
    )


def expand_orders(spec: str | Iterable[str], k: int, *, seed: int = 0) -> list[Order]:
    """The distinct order conditions of ``spec`` for items that all have ``k`` options
    (:func:`design_orders` for one option count).

    A condition whose permutation equals an earlier one's is dropped (see
    :func:`duplicate_orders`). Raises :class:`OrderError` for ``all`` when
    ``k! > MAX_PERMUTATIONS``.

    >>> [o.perm for o in expand_orders("all", 3)][:3]
    [(0, 1, 2), (0, 2, 1), (1, 0, 2)]
    >>> [o.name for o in expand_orders("original,rotate", 3)]
    ['original', 'rotate1', 'rotate2']
    """
    if k < 1:
        raise OrderError("an item needs at least one option")
    return list(design_orders(spec, [k], seed=seed).orders(k))


def duplicate_orders(spec: str | Iterable[str], k: int, *, seed: int = 0) -> list[tuple[str, str]]:
    """``(dropped, kept)`` name pairs: conditions of ``spec`` that show, for items with ``k``
    options, the same order as the earlier condition ``kept`` and are therefore not administered.

    >>> duplicate_orders("original,reversed,rotate", 3)
    [('rotate0', 'original')]
    >>> duplicate_orders("original,reversed", 1)
    [('reversed', 'original')]
    """
    if k < 1:
        raise OrderError("an item needs at least one option")
    return list(design_orders(spec, [k], seed=seed).dropped)


def _rotation(k: int, s: int) -> tuple[int, ...]:
    identity = tuple(range(k))
    return identity[s:] + identity[:s]


def _random_perms(k: int, want: int, seed: int, avoid: set[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """``want`` permutations of ``range(k)`` from a generator seeded by ``(seed, k)``.

    The first ``min(want, k!)`` are distinct: drawn one by one (or, when every permutation is
    wanted, as a shuffle of all of them). A draw equal to an order in ``avoid`` (the earlier
    conditions) is replaced by a further draw while permutations outside ``avoid`` remain, so
    random conditions add orders rather than repeat them; the draws that need no replacement are
    the ones earlier versions made, keeping their names. When ``want > k!`` (a smaller item of
    an instrument whose largest item has more permutations) the draws repeat cyclically.
    """
    total = math.factorial(k)
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, k])
    if total <= MAX_PERMUTATIONS and want >= total:
        perms = list(itertools.permutations(range(k)))
        shuffled = [tuple(perms[j]) for j in rng.permutation(total)]  # every permutation once
        return [shuffled[i % total] for i in range(want)]
    base: list[tuple[int, ...]] = []
    seen: set[tuple[int, ...]] = set()
    while len(base) < min(want, total):
        p = tuple(int(x) for x in rng.permutation(k))
        if p not in seen:
            seen.add(p)
            base.append(p)
    fresh_left = total - len(seen | avoid)  # permutations neither drawn nor shown earlier
    for i, p in enumerate(base):
        if p not in avoid or fresh_left <= 0:
            continue
        while True:
            q = tuple(int(x) for x in rng.permutation(k))
            if q not in seen and q not in avoid:
                break
        seen.add(q)
        fresh_left -= 1
        base[i] = q
    return [base[i % len(base)] for i in range(want)]


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
