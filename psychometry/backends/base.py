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
    labels; ``label_mass`` is the probability mass the labels take of the whole next-token
    vocabulary (sum of exp(logprob) over labels, before normalisation).
    """

    labels: tuple[str, ...]
    logprobs: tuple[float, ...]
    label_mass: float
    tokens_evaluated: int = 0


@dataclass(frozen=True)
class Generation:
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
    info: ModelInfo

    def option_logprobs(self, prompt: str, labels: Sequence[str]) -> OptionScores:
        """Score each label as the continuation of ``prompt``."""
        ...

    def generate(
        self,
        prompt: str,
        *,
        max_tokens: int = 32,
        temperature: float = 0.0,
        seed: int | None = None,
        grammar: str | None = None,
    ) -> Generation:
        """Generate a continuation of ``prompt`` (greedy when temperature is 0)."""
        ...

    def format_chat(self, system: str | None, user: str) -> str:
        """Wrap a user message (and optional system prompt) in the model's chat template;
        base models without a template return a plain completion prompt."""
        ...
