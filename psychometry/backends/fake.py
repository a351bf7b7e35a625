"""A deterministic stand-in backend for unit tests of the plumbing (plan -> engine -> store).

It implements the whole :class:`~psychometry.backends.base.Backend` protocol without a model:
answers are a fixed or computed choice, and every call is recorded in :attr:`FakeBackend.calls`.
It says nothing about language models; use it to test that prompts, labels, option orders and
stored rows line up.

Example
-------
>>> be = FakeBackend(choice=2, confidence=0.6, label_mass=0.5)
>>> s = be.option_logprobs("Answer:", ["1", "2", "3", "4", "5"])
>>> [round(math.exp(x), 3) for x in s.logprobs]
[0.05, 0.05, 0.3, 0.05, 0.05]
>>> s.label_mass
0.5
>>> be.generate("Answer:").text
'3'
>>> r = be.loglikelihood("Answer:", " Agree strongly")
>>> (r.n_tokens, r.n_bytes, r.logprob == be.loglikelihood("Answer:", " Agree strongly").logprob)
(2, 15, True)
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

from .base import Generation, Loglikelihood, Message, ModelInfo, OptionScores, one_turn, transcript

__all__ = ["FakeBackend", "FakeCall"]

#: ``choice``: an index, ``"hash"`` (an index from the prompt's sha256: varied but reproducible
#: answers), or ``f(prompt, labels)`` returning an index or a sequence of non-negative weights.
Choice = Union[int, str, Callable[[str, Sequence[str]], int | Sequence[float]]]  # noqa: UP007


@dataclass(frozen=True)
class FakeCall:
    """One recorded call: ``method`` is ``option_logprobs``, ``generate``, ``loglikelihood`` (``prompt``:
    the context, ``labels``: the continuation) or ``format_chat``."""

    method: str
    prompt: str
    labels: tuple[str, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


def _hash_index(prompt: str, n: int) -> int:
    return int.from_bytes(hashlib.sha256(prompt.encode("utf-8")).digest()[:8], "big") % n


class FakeBackend:
    """Deterministic fake backend.

    Parameters
    ----------
    choice
        Which label wins: an index into ``labels`` (clamped to the last label), ``"hash"``, or a
        function ``f(prompt, labels)`` returning an index or per-label weights.
    confidence
        Probability (within the labels) of the chosen label when ``choice`` gives an index; the
        rest is shared equally by the other labels.
    label_mass
        The reported probability mass of the labels in the vocabulary, in (0, 1].
    reply
        What unconstrained :meth:`generate` returns: a string, a function of the prompt, or
        ``None`` (default) for ``"<label>"`` where the label is the last ``option_logprobs``
        labels' choice, or ``"3"`` when no labels have been seen. A constrained reply
        (``generate(..., choices=labels)``) is always the label ``choice`` picks among
        ``choices``; ``reply`` is then ignored.
    name
        The model name in :attr:`info`.
    """

    def __init__(
        self,
        choice: Choice = 0,
        *,
        confidence: float = 0.9,
        label_mass: float = 0.8,
        reply: str | Callable[[str], str] | None = None,
        name: str = "fake",
    ) -> None:
        if not 0.0 < label_mass <= 1.0:
            raise ValueError("label_mass must be in (0, 1]")
        if not 0.0 < confidence <= 1.0:
            raise ValueError("confidence must be in (0, 1]")
        self.choice = choice
        self.confidence = float(confidence)
        self.label_mass = float(label_mass)
        self.reply = reply
        self.calls: list[FakeCall] = []
        self.tokens_evaluated = 0
        self._last_labels: tuple[str, ...] = ()
        self.info = ModelInfo(
            name=name,
            path="",
            size=0,
            sha256="0" * 64,
            settings={
                "backend": "fake",
                "choice": choice if isinstance(choice, (int, str)) else "callable",
                "confidence": self.confidence,
                "label_mass": self.label_mass,
            },
        )

    def _weights(self, prompt: str, labels: Sequence[str]) -> list[float]:
        n = len(labels)
        choice = self.choice
        if callable(choice):
            out = choice(prompt, labels)
            if not isinstance(out, int):
                weights = [float(w) for w in out]
                if len(weights) != n or any(w < 0 for w in weights) or sum(weights) <= 0:
                    raise ValueError("FakeBackend choice function returned invalid weights")
                total = sum(weights)
                return [w / total for w in weights]
            idx = out
        elif choice == "hash":
            idx = _hash_index(prompt, n)
        elif isinstance(choice, int):
            idx = choice
        else:
            raise ValueError(f"unknown FakeBackend choice {choice!r}")
        idx = max(0, min(int(idx), n - 1))
        if n == 1:
            return [1.0]
        rest = (1.0 - self.confidence) / (n - 1)
        return [self.confidence if i == idx else rest for i in range(n)]

    def option_logprobs(self, prompt: str, labels: Sequence[str]) -> OptionScores:
        labels = tuple(labels)
        if not labels:
            raise ValueError("option_logprobs needs at least one label")
        self.calls.append(FakeCall("option_logprobs", prompt, labels))
        self._last_labels = labels
        probs = [p * self.label_mass for p in self._weights(prompt, labels)]
        n_tok = len(prompt.split())
        self.tokens_evaluated += n_tok
        return OptionScores(
            labels=labels,
            logprobs=tuple(math.log(p) if p > 0 else -math.inf for p in probs),
            label_mass=self.label_mass,
            tokens_evaluated=n_tok,
        )

    def generate(
        self,
        prompt: str,
        *,
        max_tokens: int = 32,
        temperature: float = 0.0,
        seed: int | None = None,
        choices: Sequence[str] | None = None,
    ) -> Generation:
        """The configured reply; with ``choices``, the label ``choice`` picks among them.

        The call is recorded with ``labels`` = ``choices`` when given (else the labels of the
        last :meth:`option_logprobs` call) and the keyword arguments in ``kwargs``.
        """
        constrained = tuple(choices) if choices is not None else None
        if constrained is not None and not constrained:
            raise ValueError("choices must name at least one label")
        self.calls.append(
            FakeCall(
                "generate",
                prompt,
                constrained if constrained is not None else self._last_labels,
                {"max_tokens": max_tokens, "temperature": temperature, "seed": seed, "choices": constrained},
            )
        )
        if constrained is not None:
            w = self._weights(prompt, constrained)
            text = constrained[max(range(len(w)), key=w.__getitem__)]
        elif callable(self.reply):
            text = self.reply(prompt)
        elif isinstance(self.reply, str):
            text = self.reply
        elif self._last_labels:
            w = self._weights(prompt, self._last_labels)
            text = self._last_labels[max(range(len(w)), key=w.__getitem__)]
        else:
            text = "3"
        n_tok = len(prompt.split())
        self.tokens_evaluated += n_tok
        return Generation(text=text, tokens_evaluated=n_tok, tokens_generated=len(text.split()))

    def loglikelihood(self, context: str, continuation: str) -> Loglikelihood:
        """A made-up but reproducible continuation log-likelihood (no language model).

        The fake tokens are the continuation's words, each with the whitespace before it; each
        token's log-probability is :math:`-(0.1 + 5u)` with :math:`u \\in [0, 1)` from the sha256
        of the context and the continuation up to that token; a token is "greedy" when
        :math:`u < 0.2`. An empty continuation is a ``ValueError``, as for a real model.
        """
        tokens = re.findall(r"\s*\S+|\s+$", continuation)
        if not tokens:
            raise ValueError(f"continuation {continuation!r} has no tokens after its context")
        self.calls.append(FakeCall("loglikelihood", context, (continuation,)))
        us, head = [], context
        for tok in tokens:
            head += tok
            us.append(int.from_bytes(hashlib.sha256(head.encode("utf-8")).digest()[:8], "big") / 2.0**64)
        n_tok = len(context.split()) + len(tokens)
        self.tokens_evaluated += n_tok
        return Loglikelihood(
            logprob=-sum(0.1 + 5.0 * u for u in us),
            n_tokens=len(tokens),
            n_bytes=len(continuation.encode("utf-8")),
            greedy=all(u < 0.2 for u in us),
            tokens_evaluated=n_tok,
        )

    def format_chat(self, system: str | None, user: str) -> str:
        self.calls.append(FakeCall("format_chat", user, (), {"system": system}))
        return f"{system.strip()}\n\n{user}" if system else user

    def format_messages(self, messages: Sequence[Message]) -> str:
        """The base-model prompt of a conversation (:func:`~psychometry.backends.base.transcript`);
        one turn is :meth:`format_chat`'s text (and is recorded as its call)."""
        try:
            return self.format_chat(*one_turn(messages))
        except ValueError:  # several turns
            self.calls.append(
                FakeCall("format_messages", messages[-1]["content"], (), {"messages": list(messages)})
            )
            return transcript(messages)

    def reset(self) -> None:
        """Clear the recorded calls."""
        self.calls.clear()
        self._last_labels = ()

    def close(self) -> None:  # parity with LlamaCppBackend
        pass
