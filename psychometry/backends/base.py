"""The backend interface: everything the engine may ask of a language model.

A backend knows prompts (strings) and option labels (strings); it knows nothing of
instruments, plans or stores. New backends implement this protocol.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence, runtime_checkable


@dataclass(frozen=True)
class OptionScores:
    """Log-probabilities of each option label as the continuation of a prompt.

    ``logprobs[i]`` is log P(label_i | prompt), summed over the label's tokens for multi-token
    labels, for the label as a *complete* answer: when one label begins another ("Agree" /
    "Agree strongly", "1" / "10") the shorter one must not continue into the longer one, so the
    labels are disjoint answers. ``label_mass`` is the probability that the continuation is one
    of the labels (sum of exp(logprob) over labels, before normalisation); it is at most 1.
    """

    labels: tuple[str, ...]
    logprobs: tuple[float, ...]
    label_mass: float
    tokens_evaluated: int = 0


@dataclass(frozen=True)
class Generation:
    """A generated reply: its text and the tokens decoded for it."""

    text: str
    tokens_evaluated: int = 0
    tokens_generated: int = 0


@dataclass(frozen=True)
class ModelInfo:
    """What the run manifest records about the model."""

    name: str
    path: str = ""
    size: int = 0
    sha256: str = ""
    settings: dict = field(default_factory=dict)


@runtime_checkable
class Backend(Protocol):
    """What the engine asks of a language model (see ``docs/backends.md``)."""

    info: ModelInfo

    def option_logprobs(self, prompt: str, labels: Sequence[str]) -> OptionScores:
        """Score each label as the continuation of ``prompt`` (see :class:`OptionScores`)."""
        ...

    def generate(
        self,
        prompt: str,
        *,
        max_tokens: int = 32,
        temperature: float = 0.0,
        seed: int | None = None,
        choices: Sequence[str] | None = None,
    ) -> Generation:
        """Generate a continuation of ``prompt`` (greedy when temperature is 0, else sampled
        with ``seed``).

        ``choices``: when given, the reply must be exactly one of these labels (optionally
        after one space); how to enforce it is the backend's business (llama.cpp: a GBNF
        grammar). ``None``: free text.
        """
        ...

    def format_chat(self, system: str | None, user: str) -> str:
        """Wrap a user message (and optional system prompt) in the model's chat template;
        base models without a template return a plain completion prompt."""
        ...
