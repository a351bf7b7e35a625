"""Scripted opponents of repeated 2x2 games (``kind: game``): the classic strategies.

Each strategy chooses its move in round k from the moves of rounds 1..k-1 (the model's and its
own), with the actions ``C`` (cooperate) and ``D`` (defect). The definitions follow the Axelrod
library's documentation of its strategies (Knight et al. 2016, "An open reproducible framework for
the study of the iterated prisoner's dilemma", Journal of Open Research Software 4(1), e35;
https://axelrod.readthedocs.io/en/stable/reference/strategy_index.html), which psychometry does not
import:

=================== ========================================== ===================================
spec                Axelrod name                               move in round k
=================== ========================================== ===================================
``cooperator``      Cooperator                                 C
``defector``        Defector                                   D
``tft``             Tit For Tat (Axelrod 1980)                 C in round 1, then the model's
                                                               move of round k-1
``stft``            Suspicious Tit For Tat (Beaufils et al.    D in round 1, then the model's
                    1997)                                      move of round k-1
``tf2t``            Tit For 2 Tats (Axelrod 1984)              D if the model defected in both
                                                               rounds k-2 and k-1, else C
``grudger``         Grudger (Friedman 1971)                    C until the model defects once,
                                                               then D for ever
``alternator``      Alternator                                 C, D, C, D, ... (C in odd rounds)
``random(p)``       Random (p = probability of C)              C with probability p, drawn from
                                                               the run seed (:func:`draw`)
=================== ========================================== ===================================

A strategy sees only the model's actions that were played: a game ends at a round whose answer
was not read (an unparsed reply), so there is no missing move to respond to.

Example
-------
>>> o = parse_opponent("tft")
>>> o.move(["C", "D", "D"], round=4, u=0.0)
'D'
>>> parse_opponent("random(0.25)").move([], round=1, u=0.2)
'C'
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..errors import PsychometryError

__all__ = ["OPPONENTS", "Opponent", "OpponentError", "draw", "opponent_names", "parse_opponent"]


class OpponentError(PsychometryError):
    """An unknown or malformed opponent spec (the message lists the known ones)."""


Rule = Callable[[Sequence[str], int, float, float], str]  # (model's moves so far, round, u, p) -> C/D


def _tft(first: str) -> Rule:
    return lambda mine, k, u, p: first if not mine else mine[-1]


OPPONENTS: dict[str, tuple[str, Rule]] = {
    "cooperator": ("always cooperates", lambda mine, k, u, p: "C"),
    "defector": ("always defects", lambda mine, k, u, p: "D"),
    "tft": ("tit-for-tat: cooperates first, then copies the model's last move", _tft("C")),
    "stft": ("suspicious tit-for-tat: defects first, then copies the model's last move", _tft("D")),
    "tf2t": (
        "tit-for-two-tats: defects only after two defections of the model in a row",
        lambda mine, k, u, p: "D" if len(mine) >= 2 and mine[-1] == mine[-2] == "D" else "C",
    ),
    "grudger": (
        "grudger: cooperates until the model defects once, then defects for ever",
        lambda mine, k, u, p: "D" if "D" in mine else "C",
    ),
    "alternator": ("alternates C, D, C, D, ...", lambda mine, k, u, p: "C" if k % 2 == 1 else "D"),
    "random": ("cooperates with probability p", lambda mine, k, u, p: "C" if u < p else "D"),
}

_SPEC = re.compile(r"^([a-z0-9_]+)(?:\(\s*([0-9.]+)\s*\))?$")


@dataclass(frozen=True)
class Opponent:
    """A scripted opponent: its ``spec`` (``tft``, ``random(0.5)``), as stored in the ``opponent``
    column."""

    spec: str
    name: str
    p: float = 0.5

    def move(self, model_moves: Sequence[str], *, round: int, u: float) -> str:
        """The opponent's action (``C``/``D``) in round ``round`` (1-based), given the model's actions
        of the rounds before; ``u`` in [0, 1) is the round's random draw (:func:`draw`), used by
        ``random(p)`` alone."""
        return OPPONENTS[self.name][1](list(model_moves), round, u, self.p)

    @property
    def description(self) -> str:
        return OPPONENTS[self.name][0].replace("probability p", f"probability {self.p:g}")


def opponent_names() -> str:
    """The known opponent specs, for messages."""
    return ", ".join(n if n != "random" else "random(p)" for n in OPPONENTS)


def parse_opponent(spec: str) -> Opponent:
    """The :class:`Opponent` of a spec such as ``tft`` or ``random(0.3)``; raises
    :class:`OpponentError` naming the known ones."""
    m = _SPEC.match(str(spec).strip())
    if not m or m.group(1) not in OPPONENTS:
        raise OpponentError(f"unknown opponent {spec!r} (known: {opponent_names()})")
    name, arg = m.group(1), m.group(2)
    if name == "random":
        try:
            p = float(arg) if arg is not None else 0.5
        except ValueError:
            p = -1.0
        if not 0.0 <= p <= 1.0:
            raise OpponentError(f"opponent {spec!r}: p must be a number from 0 to 1, as in random(0.5)")
        return Opponent(spec=f"random({p:g})", name=name, p=p)
    if arg is not None:
        raise OpponentError(f"opponent {spec!r} takes no parameter (known: {opponent_names()})")
    return Opponent(spec=name, name=name)


def draw(*key: object) -> float:
    """A reproducible uniform number in [0, 1) from ``key`` (the run seed and the game's identity
    and round): the first 53 bits of sha256 of the key's text, divided by 2**53.

    >>> draw(0, "tft", 1) == draw(0, "tft", 1)
    True
    """
    text = "|".join(str(k) for k in key)
    return (int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:14], 16) >> 3) / 2.0**53
