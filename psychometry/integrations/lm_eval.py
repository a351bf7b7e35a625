"""An lm-evaluation-harness model backed by psychometry's engine: correct local GGUF log-likelihoods.

Importing this module registers :class:`PsychometryLM` with lm-evaluation-harness (0.4.13, the
``lm-eval`` extra: ``pip install 'psychometry[lm-eval]'``) under the model name ``psychometry``::

    import lm_eval
    import psychometry.integrations.lm_eval  # registers model="psychometry"

    out = lm_eval.simple_evaluate(
        model="psychometry",
        model_args="model=/path/to/model.gguf,n_ctx=2048",
        tasks=["psychometry_bfi44"],
        task_manager=lm_eval.tasks.TaskManager(include_path="exported-tasks/"),
        log_samples=True,
    )

lm-eval's command line has no option that imports a model from another package (``--include_path``
adds task folders only), so the command-line route is this module run as lm-eval's CLI: it
registers the model, then hands its arguments to ``lm-eval`` unchanged::

    python -m psychometry.integrations.lm_eval run --model psychometry \\
        --model_args model=/path/to/model.gguf --tasks psychometry_bfi44 --include_path exported-tasks/ \\
        --log_samples --output_path out/

What each request type computes
-------------------------------
``loglikelihood`` (multiple-choice tasks): :func:`psychometry.backends.base.loglikelihood_many` on
the in-process llama.cpp backend, i.e. lm-eval's own definition (the pair tokenised jointly and split
at the context's token length, trailing context whitespace moved onto the continuation; see
:class:`~psychometry.backends.base.Loglikelihood`), summed from ``log_softmax`` of the logits before
each continuation token, with ``is_greedy`` from their argmax. The requests are decoded in batches
of ``requests_per_batch`` (lm-eval's order), each batch as one token trie: contexts shared by the
choices of a question are decoded once. A request longer than ``n_ctx`` is refused in one line
(lm-eval's Hugging Face model would cut the context on the left instead).

``loglikelihood_rolling`` (perplexity tasks): the whole text as the continuation of an empty context
(lm-eval's prefix token: BOS, else EOS), so one window: a text longer than ``n_ctx`` is refused in
one line (give a larger ``n_ctx``); lm-eval's rolling windows are not implemented.

``generate_until``: greedy (``do_sample`` false, lm-eval's default) or sampled at ``temperature``,
at most ``max_gen_toks`` tokens (default 256), cut at the first of the ``until`` strings; the model's
end-of-generation token also ends it. Other generation keywords are refused in one line.

lm-eval's own ``--batch_size``, ``--max_batch_size`` and ``--device`` do not apply (the trie needs no
padding batches; the device is ``n_gpu_layers``): the batch is the model argument
``requests_per_batch``. As for psychometry's runs, a request's numbers depend on the batch it is in
(llama.cpp's CPU kernels are not batch-invariant; ``tests/kernel_noise.py``): the same tasks,
limit and ``requests_per_batch`` give bit-identical results; lm-eval's request cache (``--use_cache``)
changes which requests share a batch.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import lm_eval.models  # noqa: F401  (lm-eval's own models first: its registry loads them only while empty)
from lm_eval.api.model import LM
from lm_eval.api.registry import register_model

from ..backends import load_backend
from ..backends.base import (
    Backend,
    GenerateRequest,
    Generation,
    LoglikelihoodRequest,
    format_messages,
    generate_many,
    loglikelihood_many,
)
from ..backends.base import batch_size as backend_batch_size
from ..errors import ModelError

__all__ = ["MODEL_NAME", "PsychometryLM"]

#: the name under which :class:`PsychometryLM` is registered with lm-eval
MODEL_NAME = "psychometry"

#: the model arguments (``--model_args``) besides the backend's own options
_GEN_KEYS = ("until", "max_gen_toks", "do_sample", "temperature")
_BACKEND_OPTIONS = ("n_ctx", "n_threads", "n_gpu_layers", "seed", "chat_template", "cpu_repack", "n_seq_max")


@register_model(MODEL_NAME)
class PsychometryLM(LM):
    """lm-eval's ``LM`` on a psychometry backend (in-process llama.cpp by default).

    Parameters (lm-eval ``model_args``)
    -----------------------------------
    model
        A ``.gguf`` file; omitted: psychometry's default model (Gemma 3 270M).
    backend
        ``llama`` (default). ``fake`` serves plumbing tests; other backends cannot give
        continuation log-likelihoods (see ``docs/backends.md``).
    requests_per_batch
        Requests decoded together (one token trie); default: the backend's batch size (256).
    max_gen_toks
        Default ``max_gen_toks`` of ``generate_until`` (256).
    n_ctx, n_threads, n_gpu_layers, seed, chat_template, cpu_repack, n_seq_max
        Passed to :class:`~psychometry.backends.llama.LlamaCppBackend`.
    batch_size, max_batch_size, device
        lm-eval's generic settings; accepted and not used (see the module docstring).
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        backend: str = "llama",
        requests_per_batch: int | None = None,
        max_gen_toks: int = 256,
        batch_size: Any = None,
        max_batch_size: Any = None,
        device: Any = None,
        **options: Any,
    ) -> None:
        super().__init__()
        unknown = sorted(set(options) - set(_BACKEND_OPTIONS))
        if unknown:
            known = ("model", "backend", "requests_per_batch", "max_gen_toks", *_BACKEND_OPTIONS)
            raise ModelError(
                f"unknown model_args {', '.join(unknown)} for model={MODEL_NAME} (known: {', '.join(known)})"
            )
        if requests_per_batch is not None and (
            isinstance(requests_per_batch, bool)
            or not isinstance(requests_per_batch, int)
            or requests_per_batch < 1
        ):
            raise ModelError(f"requests_per_batch must be a positive integer, not {requests_per_batch!r}")
        if isinstance(max_gen_toks, bool) or not isinstance(max_gen_toks, int) or max_gen_toks < 1:
            raise ModelError(f"max_gen_toks must be a positive integer, not {max_gen_toks!r}")
        self.backend: Backend = load_backend(backend, model, **options)
        self.requests_per_batch = requests_per_batch or backend_batch_size(self.backend)
        self.max_gen_toks = max_gen_toks

    # ------------------------------------------------------------------ lm-eval's interface
    def loglikelihood(self, requests: Sequence[Any], disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        """``(log-likelihood, is_greedy)`` of each ``(context, continuation)`` request."""
        reqs = [LoglikelihoodRequest(str(r.args[0]), str(r.args[1])) for r in requests]
        return [(r.logprob, r.greedy) for r in self._loglikelihoods(reqs)]

    def loglikelihood_rolling(self, requests: Sequence[Any], disable_tqdm: bool = False) -> list[float]:
        """The log-likelihood of each whole text after the prefix token (one window)."""
        reqs = [LoglikelihoodRequest("", str(r.args[0])) for r in requests]
        return [r.logprob for r in self._loglikelihoods(reqs)]

    def generate_until(self, requests: Sequence[Any], disable_tqdm: bool = False) -> list[str]:
        """The continuation of each context, cut at the first ``until`` string."""
        gens: list[GenerateRequest] = []
        stops: list[list[str]] = []
        for r in requests:
            context, kwargs = r.args[0], dict(r.args[1] or {})
            unknown = sorted(set(kwargs) - set(_GEN_KEYS))
            if unknown:
                raise ModelError(
                    f"generation keywords {', '.join(unknown)} are not supported by model={MODEL_NAME} "
                    f"(supported: {', '.join(_GEN_KEYS)})"
                )
            until = kwargs.get("until") or []
            stops.append([until] if isinstance(until, str) else [str(u) for u in until])
            sample = bool(kwargs.get("do_sample", False))
            temperature = float(kwargs.get("temperature", 1.0 if sample else 0.0)) if sample else 0.0
            gens.append(
                GenerateRequest(
                    str(context),
                    max_tokens=int(kwargs.get("max_gen_toks", self.max_gen_toks)),
                    temperature=temperature,
                )
            )
        texts: list[str] = [""] * len(gens)
        for start, chunk in self._chunks(gens):
            for i, gen in generate_many(self.backend, chunk):
                texts[start + i] = _cut(gen, stops[start + i])
        return texts

    # ------------------------------------------------------------------ chat templates
    @property
    def tokenizer_name(self) -> str:
        """The model (file stem): lm-eval's cache key for chat-templated requests."""
        return self.backend.info.name

    def chat_template(self, chat_template: bool | str = False) -> str | None:
        """The model's chat template (GGUF metadata), for lm-eval's run record."""
        return getattr(self.backend, "_template", None) or ""

    def apply_chat_template(
        self, chat_history: list[dict[str, str]], add_generation_prompt: bool = True
    ) -> str:
        """The prompt of a conversation in the model's chat template (psychometry's formatting)."""
        if not add_generation_prompt:
            raise ModelError(f"model={MODEL_NAME} formats conversations up to the assistant's turn only")
        return format_messages(self.backend, chat_history)

    # ------------------------------------------------------------------ helpers
    def _chunks(self, items: Sequence[Any]) -> Iterator[tuple[int, Sequence[Any]]]:
        for start in range(0, len(items), self.requests_per_batch):
            yield start, items[start : start + self.requests_per_batch]

    def _loglikelihoods(self, reqs: Sequence[LoglikelihoodRequest]) -> list[Any]:
        out: list[Any] = [None] * len(reqs)
        for start, chunk in self._chunks(reqs):
            for i, result in loglikelihood_many(self.backend, chunk):
                out[start + i] = result
        return out


def _cut(gen: Generation, until: Sequence[str]) -> str:
    text = gen.text
    for stop in until:
        if stop:
            k = text.find(stop)
            if k >= 0:
                text = text[:k]
    return text


def main(argv: Sequence[str] | None = None) -> None:
    """lm-eval's command line with ``--model psychometry`` registered."""
    from lm_eval.__main__ import cli_evaluate

    if argv is not None:
        sys.argv = [sys.argv[0], *argv]
    cli_evaluate()


if __name__ == "__main__":  # pragma: no cover
    main()
