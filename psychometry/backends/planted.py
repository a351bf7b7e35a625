"""A planted trait -> behaviour effect: a rule for :class:`~psychometry.backends.fake.FakeBackend`.

How a user learns that a design has power (issue 18, item 7): simulated respondents with a *known*
slope of a behaviour on a trait go through the whole pipeline (``administer`` -> store ->
``load_results`` -> ``stats.trait_behaviour_scores`` -> ``stats.behaviour_regression`` /
``stats.mixed_model``), and the analysis must find the slope when one was planted and no effect
when none was. ``FakeBackend(choice=PlantedRule(...))`` answers every prompt with per-label
weights; the rule sees only the prompt and the labels, so it is given, as plain data, what it must
recognise in the prompt: the item texts (with their scale, keying and options) and the persona
texts. It imports nothing from the package: a backend knows only ``backends.base``.

The model, for persona p (recognised by its text in the prompt), item i and prompt condition c
(template, option order; the prompt as a whole):

* **Levels.** Every non-behaviour scale s has a latent level per persona,
  ``L_ps = m_s + sd_s z_ps`` clipped to the scale's range, where ``z_ps ~ N(0, 1)`` is a seeded draw
  from ``(seed, scale, persona text)``; ``m_s`` is the midpoint of the item's option values and
  ``sd_s`` is ``level_sd`` (default: a sixth of the option range, 0.667 on a 1-5 scale).
* **Trait answers.** Item i of scale s is answered at the keyed target ``t = L_ps`` (``min + max -
  L_ps`` for a reverse-keyed item), plus ``trait_noise x e_pic`` when ``trait_noise > 0``.
* **Behaviour answers.** Item i of behaviour b with effect ``(trait s, slope, intercept, persona_sd,
  noise_sd)`` is answered at ``t = intercept + slope (L_ps - m_s) + persona_sd u_pb + noise_sd e_pic``
  (``intercept`` default: the midpoint of the item's option values), where ``u_pb`` (seeded from
  ``(seed, b, persona)``) is the persona's own deviation, the same in every condition, and ``e_pic``
  (seeded from ``(seed, the prompt)``) is new in every answer; both are N(0, 1).
* **Weights.** The target, clipped to the option range, is split between the two adjacent option
  values ``v_k <= t <= v_k+1``: weight ``(t - v_k)/(v_k+1 - v_k)`` on ``v_k+1``, the rest on
  ``v_k``; so the probability-weighted value (the long table's ``expected``) is ``t`` exactly. The
  labels are mapped to the options through the prompt (``"1. Agree a little"``, ``"1 = ..."``, or
  the option texts themselves as labels), so every option order and template is answered alike.

**What the planted slope means.** With ``value="expected"`` in
:func:`psychometry.stats.trait_behaviour_scores` and ``trait_noise = 0``, the trait score of a
persona (item mean after reverse keying, averaged over conditions) *is* ``L_ps``, and its behaviour
score (the task's item mean, in the task's units: percent given, rung of the risk ladder...) is
``intercept + slope (L_ps - m_s) + persona_sd u_pb + noise_sd ebar_p`` (``ebar_p``: the mean of the
persona's K answer errors, K = items x conditions). So ``slope`` is the population OLS slope of the
behaviour score on the trait score, in behaviour units per trait-score point, with residual SD
``sqrt(persona_sd^2 + noise_sd^2 / K)``; the standardised slope (the correlation) is
:meth:`PlantedRule.beta`. This holds exactly while no target is clipped (keep targets within the
option range: a few percent clipped bends the line slightly towards zero). With ``value="value"``
(the option with the larger weight) the answers are rounded to an option and the slope holds only
approximately; with ``trait_noise > 0`` the trait score carries measurement error and the OLS slope
is attenuated by the score's reliability (errors in variables).

Example
-------
>>> opts = (("Disagree", 1.0), ("Neutral", 2.0), ("Agree", 3.0))
>>> rule = PlantedRule(
...     items={"I am kind.": ("A", 1, opts), "Give?": ("gift", 1, (("No", 0.0), ("Yes", 1.0)))},
...     personas=["You are Ann."],
...     effects=[PlantedEffect("gift", trait="A", slope=0.25)],
...     level_sd=0.5,
... )
>>> a = rule.level("You are Ann.", "A")
>>> w = rule("You are Ann.\\n\\nI am kind.\\n1. Agree\\n2. Neutral\\n3. Disagree\\nAnswer:", ["1", "2", "3"])
>>> abs(3 * w[0] + 2 * w[1] + 1 * w[2] - a) < 1e-12  # the expected value is the level
True
>>> w = rule("You are Ann.\\n\\nGive?\\n1. No\\n2. Yes\\nAnswer:", ["1", "2"])
>>> abs(w[1] - (0.5 + 0.25 * (a - 2.0))) < 1e-12  # intercept (midpoint 0.5) + slope x (level - 2)
True
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["PlantedEffect", "PlantedItem", "PlantedRule"]


class PlantedItem(NamedTuple):
    """What the rule knows of one item: its scale, keying (+1 / -1) and options ``(text, value)``
    in the instrument's order (``psychometry.templates.item_options`` gives them). A plain
    ``(scale, keyed, options)`` tuple works too."""

    scale: str
    keyed: int
    options: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class PlantedEffect:
    """A planted effect of ``trait`` on ``behaviour`` (scale ids).

    ``slope``: behaviour units per trait-score point (see the module docstring for the exact
    meaning); ``intercept``: the behaviour at the trait's midpoint (default: the midpoint of the
    behaviour item's option values); ``persona_sd``: SD of the persona's own deviation (the same in
    every condition); ``noise_sd``: SD of the error of each answer. Both SDs in behaviour units.
    """

    behaviour: str
    trait: str
    slope: float
    intercept: float | None = None
    persona_sd: float = 0.0
    noise_sd: float = 0.0

    def __post_init__(self) -> None:
        if self.persona_sd < 0 or self.noise_sd < 0:
            raise ValueError("PlantedEffect: persona_sd and noise_sd must be >= 0")


def _normal(*key: str) -> float:
    """A standard-normal draw seeded by ``key`` (sha256 -> Python's Mersenne Twister: the same
    number on every platform and Python version)."""
    digest = hashlib.sha256("\x1f".join(key).encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:8], "big")).gauss(0.0, 1.0)


@functools.lru_cache(maxsize=256)
def _label_pattern(label: str) -> re.Pattern[str]:
    """A shown option's label: ``"1. text"`` (a line) or ``"1 = text"`` (inline), at the start of
    the prompt or after white space, ``;`` or ``:``."""
    return re.compile(r"(?:^|(?<=[\s;:]))" + re.escape(label) + r"(?:\. | = )")


@functools.lru_cache(maxsize=1024)
def _longest_first(texts: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(texts, key=len, reverse=True))


def _split(target: float, values: Sequence[float]) -> dict[float, float]:
    """Weights on the two option values around ``target`` (clipped) whose mean is ``target``."""
    vs = sorted(set(values))
    t = min(max(target, vs[0]), vs[-1])
    for lo, hi in itertools.pairwise(vs):
        if lo <= t <= hi:
            w = (t - lo) / (hi - lo)
            return {lo: 1.0 - w, hi: w}
    return {vs[0]: 1.0}  # a single distinct value


class PlantedRule:
    """A ``choice`` function for :class:`~psychometry.backends.fake.FakeBackend`: answers with a
    planted trait -> behaviour slope (module docstring).

    Parameters
    ----------
    items
        ``{item text as shown in the prompt: PlantedItem(scale, keyed, options)}`` for every item
        the backend will be asked (trait items and behaviour items). In a prompt, the longest item
        text it contains identifies the item.
    personas
        The persona texts (as in the persona file); the longest one a prompt contains identifies
        the persona.
    effects
        One :class:`PlantedEffect` per behaviour scale. Items of any other scale are trait items.
    seed
        Seeds the persona levels, the persona deviations and the answer errors.
    level_sd
        SD of the latent levels in trait-score units (default: a sixth of each scale's range).
    trait_noise
        SD of an error added to each trait answer (default 0: the trait score is the level).
    """

    def __init__(
        self,
        items: Mapping[str, PlantedItem | tuple[str, int, Sequence[tuple[str, float]]]],
        personas: Iterable[str],
        effects: Iterable[PlantedEffect],
        *,
        seed: int = 0,
        level_sd: float | None = None,
        trait_noise: float = 0.0,
    ) -> None:
        self.items: dict[str, PlantedItem] = {}
        for text, spec in items.items():
            scale, keyed, options = spec
            opts = tuple((str(t).strip(), float(v)) for t, v in options)
            if not opts or not text.strip():
                raise ValueError(f"PlantedRule: item {text!r} needs a text and options")
            self.items[text.strip()] = PlantedItem(str(scale), -1 if int(keyed) < 0 else 1, opts)
        self.personas = tuple(p.strip() for p in personas)
        if not self.personas or not all(self.personas):
            raise ValueError("PlantedRule: give the (non-empty) persona texts")
        self.effects = {e.behaviour: e for e in effects}
        if level_sd is not None and level_sd < 0:
            raise ValueError("PlantedRule: level_sd must be >= 0")
        if trait_noise < 0:
            raise ValueError("PlantedRule: trait_noise must be >= 0")
        self.seed = int(seed)
        self.level_sd = level_sd
        self.trait_noise = float(trait_noise)
        # the option range of each scale, from its items
        self.ranges: dict[str, tuple[float, float]] = {}
        for it in self.items.values():
            lo, hi = min(v for _, v in it.options), max(v for _, v in it.options)
            old = self.ranges.get(it.scale, (lo, hi))
            self.ranges[it.scale] = (min(lo, old[0]), max(hi, old[1]))
        for e in self.effects.values():
            if e.trait not in self.ranges or e.trait in self.effects:
                raise ValueError(
                    f"PlantedRule: effect on {e.behaviour!r}: no trait items of scale {e.trait!r}"
                )
            if e.behaviour not in self.ranges:
                raise ValueError(f"PlantedRule: no items of the behaviour scale {e.behaviour!r}")
        self._texts = sorted(self.items, key=len, reverse=True)
        self._persona_texts = sorted(self.personas, key=len, reverse=True)
        self._persona_set = frozenset(self.personas)
        self._seen: dict[tuple[str, tuple[str, ...]], tuple[str, list[float]]] = {}

    # ---------------------------------------------------------------------------------- the model
    def level_mean(self, scale: str) -> float:
        """``m_s``: the midpoint of the scale's option values."""
        lo, hi = self.ranges[scale]
        return (lo + hi) / 2

    def level_spread(self, scale: str) -> float:
        """``sd_s``: ``level_sd``, or a sixth of the scale's option range."""
        lo, hi = self.ranges[scale]
        return self.level_sd if self.level_sd is not None else (hi - lo) / 6

    def level(self, persona: str, scale: str) -> float:
        """``L_ps``: the persona's latent level on a trait scale (its trait score), clipped to the range."""
        lo, hi = self.ranges[scale]
        z = _normal(str(self.seed), "level", scale, persona.strip())
        return min(max(self.level_mean(scale) + self.level_spread(scale) * z, lo), hi)

    def target(self, persona: str, item_text: str, prompt: str) -> float:
        """The keyed value item ``item_text`` is answered at by ``persona`` in ``prompt`` (unclipped)."""
        item = self.items[item_text.strip()]
        persona = persona.strip()
        eff = self.effects.get(item.scale)
        if eff is None:  # a trait item
            t = self.level(persona, item.scale)
            if self.trait_noise > 0:
                t += self.trait_noise * _normal(str(self.seed), "trait-answer", prompt)
            return t
        mid = sum(self.ranges[item.scale]) / 2 if eff.intercept is None else eff.intercept
        dev = self.level(persona, eff.trait) - self.level_mean(eff.trait)
        u = _normal(str(self.seed), "persona", item.scale, persona) if eff.persona_sd else 0.0
        e = _normal(str(self.seed), "answer", prompt) if eff.noise_sd else 0.0
        return mid + eff.slope * dev + eff.persona_sd * u + eff.noise_sd * e

    def beta(self, behaviour: str, answers: int) -> float:
        """The planted standardised slope (the correlation of trait and behaviour scores) when a
        persona's behaviour score averages ``answers`` answers (items x conditions):
        ``slope sd_s / sqrt(slope^2 sd_s^2 + persona_sd^2 + noise_sd^2 / answers)`` (ignoring clipping)."""
        e = self.effects[behaviour]
        signal = e.slope * self.level_spread(e.trait)
        noise2 = e.persona_sd**2 + e.noise_sd**2 / answers
        total = math.sqrt(signal**2 + noise2)
        return signal / total if total > 0 else 0.0

    # ---------------------------------------------------------------------------------- the prompt
    def _find(self, prompt: str, texts: Sequence[str], what: str) -> str:
        for t in texts:  # longest first
            if t in prompt:
                return t
        raise ValueError(f"PlantedRule: the prompt contains none of the known {what} texts: {prompt[:120]!r}")

    @staticmethod
    def _shown_values(
        prompt: str, labels: Sequence[str], options: Sequence[tuple[str, float]]
    ) -> list[float]:
        """The option value behind each label, read from the prompt."""
        by_text = dict(options)
        if all(lab.strip() in by_text for lab in labels):  # label style "anchors"
            return [by_text[lab.strip()] for lab in labels]
        longest = _longest_first(tuple(by_text))
        out = []
        for lab in labels:
            for m in _label_pattern(lab.strip()).finditer(prompt):
                hit = next((t for t in longest if prompt.startswith(t, m.end())), None)
                if hit is not None:
                    out.append(by_text[hit])
                    break
            else:
                raise ValueError(f"PlantedRule: no option shown with the label {lab!r} in the prompt")
        return out

    def _persona(self, prompt: str) -> str:
        head = prompt.split("\n\n", 1)[0].strip()  # FakeBackend.format_chat: "system\n\nuser"
        return head if head in self._persona_set else self._find(prompt, self._persona_texts, "persona")

    def __call__(self, prompt: str, labels: Sequence[str]) -> list[float]:
        persona = self._persona(prompt)
        # the rest of the prompt is the same for every persona: read the item and the shown
        # option values once per (rest, labels)
        key = (prompt.replace(persona, "", 1), tuple(labels))
        if key not in self._seen:
            item_text = self._find(key[0], self._texts, "item")
            shown = self._shown_values(key[0], labels, self.items[item_text].options)
            self._seen[key] = (item_text, shown)
        item_text, shown = self._seen[key]
        item = self.items[item_text]
        t = self.target(persona, item_text, prompt)
        lo, hi = self.ranges[item.scale]
        if item.keyed < 0:
            t = lo + hi - t
        split = _split(t, [v for _, v in item.options])
        count = {v: shown.count(v) for v in set(shown)}  # options sharing a value share its weight
        return [split.get(v, 0.0) / count[v] for v in shown]
