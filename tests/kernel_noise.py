"""How far the real model's answers may move between llama.cpp kernel paths, and the check for it.

llama.cpp's CPU kernels are not batch-invariant: the same prompt scored alone or in a batch of others
gets slightly different logits, and so does the same prompt with the weights repacked or not
(``--cpu-repack``). ``benchmarks/batch_noise.py`` measures it on the 44 BFI items x 2 label sets
(88 requests) against each prompt scored alone, 2 threads, repacking on
(``benchmarks/results/batch_noise.txt``, docs/performance.md "Batch noise"). Worst cases, Dec 2026,
an AMD EPYC with two llama.cpp builds of llama-cpp-python 0.3.36:

=================  =============================  ==========  =========  ==========  =========
build (CPU path)   path                           max |dp|    max |dE|   mean |dp|   mean |dE|
=================  =============================  ==========  =========  ==========  =========
AVX-512 (native)   same weights, other batches    0.0743      0.218      0.0134      0.0379
AVX-512 (native)   repacking off, any batching    0.0604      0.199      0.0229      0.0572
AVX2               same weights, other batches    0.0524      0.175      0.0107      0.0302
AVX2               repacking off, any batching    0.1120      0.439      0.0221      0.0649
=================  =============================  ==========  =========  ==========  =========

``dp``: the option probabilities normalised over the labels; ``dE``: the expected label position
(1..k). Threads (1, 2) and ``n_batch`` (32, 512) gave bit-identical scores for the same batch on both
builds. The most probable option never changed. A raw log-probability moved by up to 1.0 nats,
mostly by a shift common to all labels that normalisation removes, and the log of a 1e-4
probability amplifies any kernel difference: raw log-probabilities are not compared.

What psychometry stores and analyses is compared instead, at twice the worst case on any build:
``BATCH`` for the same weights in other batches, ``LAYOUT`` when the weight layout differs too (or
is unknown: a server). Twice, because two paths that are each within the worst case of the
reference are within twice of each other. Per request: the normalised probabilities, the expected
value, and the most probable option where the reference's margin between its top two options
exceeds twice the probability tolerance (each can move by at most that, so a larger margin cannot
flip). Over many requests also the mean differences, which a systematic error moves long before
the worst case.

Within-run invariants (the same batch replayed, resume) stay exact; they hold on any machine.

Continuation log-likelihoods (lm-eval's ``loglikelihood``, ``tests/test_loglikelihood_parity.py``,
run as a script) are compared raw, because the cloze score *is* the raw sum: 44 BFI items x 5
anchors in cloze form, psychometry's batched trie (all 220 requests in one list) and each request
alone, against the textbook reference (``llama_cpp.Llama(logits_all=True)``, one ``eval`` per
pair), Dec 2026, this AMD EPYC (AVX-512), 2 threads, llama-cpp-python 0.3.36:

=====================  ===================================  ==============  ==============  ============
model                  psychometry vs reference             max |dLL|       mean |dLL|      same argmax
=====================  ===================================  ==============  ==============  ============
SmolLM2-135M-Instruct  one batch, reference on same path    0.677           0.053           44/44
SmolLM2-135M-Instruct  one at a time, same path             0.0000          0.0000          44/44
Gemma 3 270M           one batch, reference on same path    0.612           0.118           40/44
Gemma 3 270M           one at a time, same path             0.438           0.020           42/44
SmolLM2-135M-Instruct  one batch, reference on Llama's      0.831           0.178           44/44
                       defaults (no flash attention)
Gemma 3 270M           one batch, Llama's defaults          0.898           0.221           37/44
=====================  ===================================  ==============  ==============  ============

"Same path": the reference loads with ``flash_attn=True, n_ctx=2048, swa_full=True``, the kernel
path the backend takes (``test_loglikelihood_parity.SAME_PATH``). The rows on ``Llama``'s defaults
were measured before the backend stopped decoding each continuation's last token (it only changes
what shares a decode call). Gemma alone differs from the reference only because the reference's
decode call has the continuation's unread last token too: with it decoded as well, the two agree to
7e-8 (12 items x 5 anchors). On the same path the normalised anchor probabilities moved by at most
0.138 (within ``BATCH.prob``); every changed argmax was an item whose reference margin between its two most
likely anchors was at most 0.34 nats (same path; on ``Llama``'s defaults the probabilities moved by
up to 0.197). ``LOGLIKELIHOOD.raw`` is twice the worst same-path case.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Noise:
    """Tolerances: twice the worst difference measured (see the module docstring)."""

    prob: float
    expected: float
    mean_prob: float
    mean_expected: float


#: the same weights, other batches: 2 x (0.0743, 0.218, 0.0134, 0.0379), AVX-512 build
BATCH = Noise(prob=0.15, expected=0.45, mean_prob=0.027, mean_expected=0.076)
#: another weight layout (repacking on/off) or an unknown one: 2 x (0.112, 0.439, AVX2 build;
#: 0.0229, 0.0649, the larger of the two builds)
LAYOUT = Noise(prob=0.23, expected=0.88, mean_prob=0.046, mean_expected=0.13)


@dataclass(frozen=True)
class LoglikelihoodNoise:
    """Tolerance on a raw continuation log-likelihood (nats): twice the worst difference measured."""

    raw: float


#: continuation log-likelihoods against the textbook reference on the same kernel path:
#: 2 x 0.677 (SmolLM2, one batch; see the module docstring)
LOGLIKELIHOOD = LoglikelihoodNoise(raw=1.4)


def normalised(logprobs: Sequence[float]) -> list[float]:
    """The option probabilities normalised over the labels."""
    top = max(logprobs)
    ps = [math.exp(x - top) for x in logprobs]
    return [p / sum(ps) for p in ps]


def _expected(ps: Sequence[float]) -> float:
    return sum((i + 1) * p for i, p in enumerate(ps))


def differences(reference: Sequence[float], other: Sequence[float], noise: Noise = BATCH) -> list[str]:
    """What differs beyond ``noise`` between two scorings (log-probs) of one prompt's labels."""
    return prob_differences(normalised(reference), normalised(other), noise)


def prob_differences(pa: Sequence[float], pb: Sequence[float], noise: Noise = BATCH) -> list[str]:
    """What differs beyond ``noise`` between two normalised option distributions ([] if none)."""
    pa, pb = list(pa), list(pb)
    out = []
    dp = max(abs(a - b) for a, b in zip(pa, pb))
    if dp > noise.prob:
        out.append(f"normalised probabilities differ by {dp:.4f} > {noise.prob}")
    de = abs(_expected(pa) - _expected(pb))
    if de > noise.expected:
        out.append(f"expected values differ by {de:.4f} > {noise.expected}")
    top = sorted(pa, reverse=True)
    if top[0] - top[1] > 2 * noise.prob and pa.index(top[0]) != pb.index(max(pb)):
        out.append(f"most probable option changed with a margin of {top[0] - top[1]:.3f}")
    return out


def mean_differences(
    reference: Sequence[Sequence[float]], other: Sequence[Sequence[float]], noise: Noise = BATCH
) -> list[str]:
    """What differs beyond ``noise`` over many requests (log-probs): each request, and the means."""
    pas, pbs = [normalised(a) for a in reference], [normalised(b) for b in other]
    out = [
        f"request {i}: {d}" for i, (a, b) in enumerate(zip(pas, pbs)) for d in prob_differences(a, b, noise)
    ]
    mp = sum(max(abs(x - y) for x, y in zip(a, b)) for a, b in zip(pas, pbs)) / len(pas)
    me = sum(abs(_expected(a) - _expected(b)) for a, b in zip(pas, pbs)) / len(pas)
    if mp > noise.mean_prob:
        out.append(f"mean normalised-probability difference {mp:.4f} > {noise.mean_prob}")
    if me > noise.mean_expected:
        out.append(f"mean expected-value difference {me:.4f} > {noise.mean_expected}")
    return out
