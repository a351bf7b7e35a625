"""The in-memory instrument: what a YAML file in ``instruments/`` becomes once loaded.

Everything downstream (scoring, the administration plan, exports) reads instruments through
these frozen dataclasses, never through raw YAML. Field names mirror the YAML format documented
in ``docs/instrument-format.md`` and ``instruments/schema.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ResponseType = Literal["likert", "bipolar", "choice", "number"]
#: ``inventory``: a self-report questionnaire (the default); ``task``: a behavioural task whose choice
#: options carry behaviour values (dictator game, risk, honesty, cooperation; ``instruments/tasks/``);
#: ``game``: a repeated game against scripted opponents (``instruments/games/``), one item per round.
Kind = Literal["inventory", "task", "game"]


def fmt_value(v: float) -> str:
    """A scale value as text: ``3`` for integral values, else ``repr`` (``2.5``).

    The one formatting of scale values everywhere: option texts of likert scales without anchors,
    exports, the stored ``shown_values`` and ``probs`` keys (``psychometry.plan`` re-exports it).

    >>> fmt_value(3.0), fmt_value(2.5)
    ('3', '2.5')
    """
    f = float(v)
    return str(int(f)) if f.is_integer() else repr(f)


@dataclass(frozen=True)
class ResponseFormat:
    """How an item is answered.

    ``likert``: ``points`` ordered options valued ``min .. min + points - 1``, each with an
    anchor label (``anchors[i]`` labels value ``min + i``).
    ``bipolar``: the same numeric scale between two poles given on each item (OEJTS); anchors
    (all points, or the two ends) are descriptive only: prompts build a bipolar item's options
    from its poles (``psychometry.templates.item_options``) and never show them.
    ``choice``: scenario multiple choice (TRAIT-style); each item carries its own options.
    ``number``: a whole number from ``min`` to ``max`` (``points`` = max - min + 1): 0-32 cards,
    0-100 ratings. No options are shown; the answer is the number itself.
    """

    type: ResponseType
    points: int
    min: int = 1
    anchors: tuple[str, ...] = ()

    @property
    def max(self) -> int:
        return self.min + self.points - 1

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(range(self.min, self.max + 1))


@dataclass(frozen=True)
class Option:
    """One option of a ``choice`` item; ``value`` is its score on the item's scale."""

    text: str
    value: float


@dataclass(frozen=True)
class Item:
    """One item. ``keyed`` is +1 (forward) or -1 (reverse keyed on its scale)."""

    id: str
    text: str
    scale: str
    keyed: int = 1
    left: str | None = None  # bipolar: the pole at the low end of the scale
    right: str | None = None  # bipolar: the pole at the high end of the scale
    options: tuple[Option, ...] = ()  # choice items only

    @property
    def reverse(self) -> bool:
        return self.keyed < 0


@dataclass(frozen=True)
class Scale:
    """A scored scale: its items (in order) and how they combine (``mean`` or ``sum``).

    ``offset`` is added to the combined score (OEJTS formulas carry a constant); ``min_items``
    is the fewest answered items for a pro-rated score (else NaN).
    """

    id: str
    name: str
    items: tuple[str, ...]
    reverse: tuple[str, ...] = ()
    scoring: Literal["mean", "sum"] = "mean"
    offset: float = 0.0
    min_items: int | None = None
    description: str = ""


@dataclass(frozen=True)
class Dichotomy:
    """A derived type letter (MBTI-style): ``high`` if the scale score exceeds ``cutoff``,
    ``low`` if below; exactly at the cutoff, ``tie`` decides (``low``, ``high`` or ``x``)."""

    scale: str
    low: str
    high: str
    cutoff: float
    tie: Literal["low", "high", "x"] = "low"


@dataclass(frozen=True)
class Norm:
    """Published human norms for one scale (in the scale's own scoring metric)."""

    scale: str
    mean: float
    sd: float
    n: int | None = None
    population: str = ""
    source: str = ""


@dataclass(frozen=True)
class Action:
    """One action of a game: ``id`` names it in the stored columns and to the scripted opponents
    (``C``/``D`` in 2x2 games), ``text`` is the neutral label shown to the model, ``value`` its
    behaviour score (1 = cooperate)."""

    id: str
    text: str
    value: float


@dataclass(frozen=True)
class Game:
    """A repeated game (``kind: game``): the model plays ``rounds`` rounds against each opponent.

    ``payoffs[i][j]`` is ``(the model's points, the opponent's points)`` when the model plays
    ``actions[i]`` and the opponent ``actions[j]``. ``opponents`` are the strategies played by
    default (``psychometry.games.strategies``). ``round`` is the text of a round (placeholders
    ``{round}``, ``{rounds}``, ``{history}``), ``history`` one line per earlier round
    (``{round}``, ``{action}``, ``{opponent_action}``, ``{payoff}``, ``{opponent_payoff}``, the
    actions as their shown texts), ``no_history`` what round 1 shows instead.
    """

    rounds: int
    actions: tuple[Action, ...]
    payoffs: tuple[tuple[tuple[float, float], ...], ...]
    opponents: tuple[str, ...]
    round: str
    history: str
    no_history: str = ""

    def action(self, action_id: str) -> Action:
        for a in self.actions:
            if a.id == action_id:
                return a
        raise KeyError(action_id)

    def payoff(self, action: str, opponent_action: str) -> tuple[float, float]:
        """(the model's points, the opponent's points) for one round."""
        ids = [a.id for a in self.actions]
        return self.payoffs[ids.index(action)][ids.index(opponent_action)]


@dataclass(frozen=True)
class Instrument:
    """A loaded instrument. ``kind`` is ``inventory`` (self-report questionnaire, the default) or
    ``task`` (behavioural task: scenario choices whose option values are behaviour scores, scored on
    behaviour "scales" such as ``generosity``; ``response_format.type`` ``choice`` or ``number``) or
    ``game`` (a repeated game, :attr:`game`; its items are the rounds ``r01``, ``r02``, ..., whose
    options are the game's actions and whose texts the plan writes from the history).
    ``followup`` (tasks with choice items): a second turn after the model's answer, the user's
    pushback (sycophancy); each item is then asked twice, the second time with the model's own
    first answer in the conversation."""

    id: str
    name: str
    version: str
    citation: str
    licence: str
    source_url: str
    instructions: str
    response_format: ResponseFormat
    scales: tuple[Scale, ...]
    items: tuple[Item, ...]
    dichotomies: tuple[Dichotomy, ...] = ()
    norms: tuple[Norm, ...] = ()
    description: str = ""
    kind: Kind = "inventory"
    game: Game | None = None
    followup: str = ""
    path: Path | None = field(default=None, compare=False)

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(f"{self.id}: no item {item_id!r}")

    def scale(self, scale_id: str) -> Scale:
        for sc in self.scales:
            if sc.id == scale_id:
                return sc
        raise KeyError(f"{self.id}: no scale {scale_id!r}")

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(it.id for it in self.items)
