"""The backend interface: everything the engine may ask of a language model.

A backend knows prompts (strings) and option labels (strings); it knows nothing of
instruments, plans or stores. New backends implement this protocol.

Chat formatting takes a conversation: a list of messages ``{"role": ..., "content": ...}``
(:data:`Message`; roles ``system``, ``user``, ``assistant``). :func:`format_messages` turns one
into the prompt text, through the backend's ``format_messages`` where it has one, else through
:meth:`Backend.format_chat` for the one case every backend knows: a user message after an
optional system prompt (:func:`chat_messages`, what a questionnaire item is).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from ..errors import ModelError

__all__ = [
    "CHAT_TEMPLATE_MODES",
    "Backend",
    "GenerateRequest",
    "Generation",
    "Loglikelihood",
    "LoglikelihoodRequest",
    "Message",
    "ModelInfo",
    "OptionScores",
    "ScoreRequest",
    "batch_size",
    "chat_messages",
    "format_messages",
    "generate_many",
    "loglikelihood_many",
    "one_turn",
    "score_many",
    "transcript",
]

#: Chat formatting of the prompts: ``auto`` (the model's template for instruct models), ``model``, ``none``.
CHAT_TEMPLATE_MODES = ("auto", "model", "none")


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


@dataclass(frozen=True)
class ScoreRequest:
    """One prompt whose option labels are to be scored (see :meth:`Backend.option_logprobs`)."""

    prompt: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class GenerateRequest:
    """One prompt to continue (see :meth:`Backend.generate`)."""

    prompt: str
    max_tokens: int = 32
    temperature: float = 0.0
    seed: int | None = None
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class LoglikelihoodRequest:
    """A continuation to score after a context: lm-evaluation-harness's ``loglikelihood`` request.

    Word-boundary spaces belong to the continuation (``context="... Answer:"``,
    ``continuation=" Agree strongly"``); trailing whitespace of the context is moved onto the
    continuation, as lm-eval does (see :class:`Loglikelihood`).
    """

    context: str
    continuation: str


@dataclass(frozen=True)
class Loglikelihood:
    """The log-likelihood of a continuation given its context (lm-eval's ``loglikelihood``).

    .. math:: \\ell = \\sum_{i=c}^{n-1} \\log \\operatorname{softmax}(z_{i-1})[t_i]

    where :math:`t_0..t_{n-1}` is the tokenisation of context + continuation *together* (BOS first
    where the model adds one), :math:`c` the number of tokens of the context alone, and
    :math:`z_{i-1}` the logits after token :math:`i-1`. This is lm-evaluation-harness 0.4's
    ``TemplateLM._encode_pair``: the context's trailing whitespace is moved onto the continuation,
    the pair is encoded jointly and split at the context's token length; an empty context is
    replaced by the BOS token (EOS where the model has none). Unlike label scoring
    (:class:`OptionScores`), the continuation is taken as written: one spelling, and nothing is
    said about what follows it.

    ``logprob``: :math:`\\ell` (nats). ``n_tokens``: the continuation's tokens (:math:`n - c`).
    ``n_bytes``: UTF-8 bytes of the continuation as requested, for lm-eval's ``acc_bytes``
    (:math:`\\ell / \\text{bytes}`; lm-eval's ``acc_norm`` divides by the *characters* of the
    choice without its leading delimiter). ``greedy``: every continuation token is the most
    probable token at its position (lm-eval's ``is_greedy``). ``tokens_evaluated``: tokens decoded
    for it (a batch's tokens are attributed to its first request).
    """

    logprob: float
    n_tokens: int
    n_bytes: int
    greedy: bool
    tokens_evaluated: int = 0

    @property
    def per_token(self) -> float:
        """``logprob / n_tokens`` (nats per token)."""
        return self.logprob / self.n_tokens if self.n_tokens else 0.0

    @property
    def per_byte(self) -> float:
        """``logprob / n_bytes`` (nats per UTF-8 byte of the continuation)."""
        return self.logprob / self.n_bytes if self.n_bytes else 0.0


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


# ------------------------------------------------------------------------------ messages
#: One chat message: ``{"role": "system" | "user" | "assistant", "content": text}``.
Message = Mapping[str, str]


def chat_messages(system: str | None, user: str) -> list[dict[str, str]]:
    """The conversation of one user message after an optional system prompt (an empty or missing
    system prompt is left out)."""
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": user})
    return messages


def one_turn(messages: Sequence[Message]) -> tuple[str | None, str]:
    """``(system, user)`` of a conversation of one user message after an optional system prompt
    (the inverse of :func:`chat_messages`); any other conversation is a ``ValueError``."""
    roles = [m["role"] for m in messages]
    if roles == ["user"]:
        return None, messages[0]["content"]
    if roles == ["system", "user"]:
        return messages[0]["content"], messages[1]["content"]
    raise ValueError(f"this backend formats one user message after an optional system prompt, not {roles}")


def transcript(messages: Sequence[Message]) -> str:
    """The raw completion prompt of a conversation for a base model (no chat template): the system
    prompt, a blank line, the first user message; each later turn follows the text before it as a
    document would: an assistant reply after one space (it continues the answer cue it answers), a
    user message after a blank line. One user message after an optional system prompt gives
    ``system + "\\n\\n" + user`` (or ``user``), the prompt of a questionnaire item.

    >>> print(transcript([{"role": "user", "content": "Q? Answer:"}, {"role": "assistant", "content": "2"},
    ...                   {"role": "user", "content": "Are you sure? Answer:"}]))
    Q? Answer: 2
    <BLANKLINE>
    Are you sure? Answer:
    """
    roles = [m["role"] for m in messages]
    if not roles or roles[-1] != "user" or roles.count("system") > int(roles[0] == "system"):
        raise ValueError(
            f"a conversation is an optional system prompt, then turns ending with a user message, not {roles}"
        )
    text = ""
    for m in messages:
        content = m["content"]
        if m["role"] == "system":
            text = content.strip() + "\n\n" if content and content.strip() else ""
        elif m["role"] == "assistant":
            text = text.rstrip() + " " + content.strip()
        else:
            text = (text.rstrip() + "\n\n" if text.strip() and not text.endswith("\n\n") else text) + content
    return text


def format_messages(backend: Backend, messages: Sequence[Message]) -> str:
    """The prompt text of a conversation for ``backend``: its ``format_messages(messages)`` where
    it has one, else ``format_chat(system, user)`` of a one-turn conversation (:func:`one_turn`).
    For one user message the two give the same text. A conversation of several turns needs a backend
    with ``format_messages``; any other is refused in one line (:class:`~psychometry.errors.ModelError`)."""
    method = getattr(backend, "format_messages", None)
    if callable(method):
        return str(method(messages))
    try:
        system, user = one_turn(messages)
    except ValueError:
        name = getattr(getattr(backend, "info", None), "name", type(backend).__name__)
        raise ModelError(
            f"backend {name!r} formats one user message after an optional system prompt; a conversation "
            "of several turns (two-turn items) needs a backend with format_messages"
        ) from None
    return backend.format_chat(system, user)


# ------------------------------------------------------------------------------ batches
#
# The engine hands work to a backend in batches (fixed chunks of the plan). A backend may
# implement ``score_many`` / ``generate_many`` and a preferred ``batch_size``: in-process llama.cpp
# decodes a batch's prompts together, an HTTP backend sends them concurrently. Both yield
# ``(index, result)`` pairs, in any order, as results become available, so that the engine commits
# each one as it arrives; an exception ends the iteration (what was yielded before it is kept).
# Backends without these methods are served one request at a time by the functions below.


def batch_size(backend: Backend) -> int:
    """The backend's preferred number of requests per batch (1 when it has none)."""
    size = getattr(backend, "batch_size", 1)
    return size if isinstance(size, int) and size >= 1 else 1


def score_many(backend: Backend, requests: Sequence[ScoreRequest]) -> Iterator[tuple[int, OptionScores]]:
    """``backend.score_many(requests)`` where it exists, else one ``option_logprobs`` per request."""
    method = getattr(backend, "score_many", None)
    if method is not None:
        yield from method(requests)
        return
    for i, req in enumerate(requests):
        yield i, backend.option_logprobs(req.prompt, list(req.labels))


def generate_many(backend: Backend, requests: Sequence[GenerateRequest]) -> Iterator[tuple[int, Generation]]:
    """``backend.generate_many(requests)`` where it exists, else one ``generate`` per request.

    ``choices`` is passed only when set, so backends written before it keep working.
    """
    method = getattr(backend, "generate_many", None)
    if method is not None:
        yield from method(requests)
        return
    for i, req in enumerate(requests):
        kwargs = {"choices": list(req.choices)} if req.choices is not None else {}
        yield (
            i,
            backend.generate(
                req.prompt, max_tokens=req.max_tokens, temperature=req.temperature, seed=req.seed, **kwargs
            ),
        )


def loglikelihood_many(
    backend: Backend, requests: Sequence[LoglikelihoodRequest]
) -> Iterator[tuple[int, Loglikelihood]]:
    """Continuation log-likelihoods (:class:`Loglikelihood`) of ``requests``: yields
    ``(index, Loglikelihood)``.

    ``backend.loglikelihood_many(requests)`` where it exists (llama.cpp: one batch whose shared
    prefixes are decoded once), else one ``backend.loglikelihood(context, continuation)`` per
    request; a backend with neither raises :class:`~psychometry.errors.ModelError` in one line.

    >>> from psychometry.backends.fake import FakeBackend
    >>> [(i, r.n_tokens) for i, r in loglikelihood_many(FakeBackend(), [LoglikelihoodRequest("Q:", " A b")])]
    [(0, 2)]
    """
    method = getattr(backend, "loglikelihood_many", None)
    if method is not None:
        yield from method(requests)
        return
    single = getattr(backend, "loglikelihood", None)
    if single is None:
        name = getattr(getattr(backend, "info", None), "name", type(backend).__name__)
        reason = getattr(backend, "loglikelihood_unsupported", "")
        raise ModelError(
            f"backend {name!r} cannot score continuation log-likelihoods"
            f"{': ' + reason if reason else ''} (use the in-process llama.cpp backend)"
        )
    for i, req in enumerate(requests):
        yield i, single(req.context, req.continuation)
