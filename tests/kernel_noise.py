"""How far the real model's answers may move between llama.cpp kernel paths, and the check for it.

llama.cpp's CPU kernels are not batch-invariant: the same prompt scored alone or in a batch of others
gets slightly different logits. ``benchmarks/batch_noise.py`` measures it on the 44 BFI items x 2
label sets against the prompt scored alone (docs/performance.md, "Batch noise"). Worst cases:

============================  =====================  ==========  ===========  ==================
CPU path (llama.cpp build)    raw log-prob (nats)    normalised  expected     most probable
                              options p >= 0.01      prob.       value (1-5)  option changed
============================  =====================  ==========  ===========  ==================
AMD EPYC, AVX-512 (VNNI,      1.005                  0.0743      0.218        never
VBMI, BF16), Dec 2026
============================  =====================  ==========  ===========  ==================

Batch composition and weight repacking (``--cpu-repack on|off``) move the numbers; threads (1, 2)
and ``n_batch`` (32, 512) gave bit-identical scores for the same batch on that machine
(``benchmarks/results/batch_noise.txt``).

The raw log-probabilities are not compared: a label's log-probability moves by up to 1.0 nats,
mostly by a shift common to all labels that normalisation over the labels removes, and the log of a
1e-4 probability amplifies any kernel difference. What psychometry stores and analyses is compared
instead, with tolerances at twice the worst case measured on any path:

* the option probabilities normalised over the labels: ``PROB_TOL``;
* the expected value on the label positions 1..k: ``EXPECTED_TOL``;
* the most probable option, where the reference's margin between its top two options exceeds
  ``2 * PROB_TOL``: each of the two can move by at most ``PROB_TOL``, so a larger margin cannot flip.

Within-run invariants (the same batch replayed, resume) stay exact; they hold on any machine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

#: twice the worst normalised-probability difference measured (0.0743, AVX-512)
PROB_TOL = 0.15
#: twice the worst expected-value difference measured (0.218 on a 1-5 scale, AVX-512)
EXPECTED_TOL = 0.45


def normalised(logprobs: Sequence[float]) -> list[float]:
    """The option probabilities normalised over the labels."""
    top = max(logprobs)
    ps = [math.exp(x - top) for x in logprobs]
    return [p / sum(ps) for p in ps]


def expected(logprobs: Sequence[float]) -> float:
    """The expected label position (1..k) under the normalised probabilities."""
    return sum((i + 1) * p for i, p in enumerate(normalised(logprobs)))


def differences(reference: Sequence[float], other: Sequence[float]) -> list[str]:
    """What differs beyond the batch noise between two scorings (log-probs) of one prompt's labels."""
    return prob_differences(normalised(reference), normalised(other))


def prob_differences(pa: Sequence[float], pb: Sequence[float]) -> list[str]:
    """What differs beyond the batch noise between two normalised option distributions ([] if none).

    Any two paths are compared, not only a path and the prompt scored alone: each is within the
    worst case of the reference, so within twice the worst case of each other.
    """
    pa, pb = list(pa), list(pb)
    out = []
    dp = max(abs(a - b) for a, b in zip(pa, pb))
    if dp > PROB_TOL:
        out.append(f"normalised probabilities differ by {dp:.4f} > {PROB_TOL}")
    de = abs(sum((i + 1) * (a - b) for i, (a, b) in enumerate(zip(pa, pb))))
    if de > EXPECTED_TOL:
        out.append(f"expected values differ by {de:.4f} > {EXPECTED_TOL}")
    top = sorted(pa, reverse=True)
    if top[0] - top[1] > 2 * PROB_TOL and pa.index(top[0]) != pb.index(max(pb)):
        out.append(f"most probable option changed with a margin of {top[0] - top[1]:.3f}")
    return out
