#!/usr/bin/env python3
"""Batch noise of llama.cpp's CPU kernels: how far the same prompt's option scores move with the path.

llama.cpp's CPU kernels are not batch-invariant: the same prompt decoded alone, in a batch of
others, with another ``n_batch``, thread count or weight layout (``--cpu-repack``) gives slightly
different logits. This script measures how far, on the questions psychometry asks (the 44 BFI items
under the BFI instructions, scored on the five digit labels and on the five anchor texts), against
one reference: each prompt scored alone (``option_logprobs``), 2 threads, repacking on, default
``n_batch``.

For each path it reports the largest difference over all prompts and options of

* ``lp``: the raw option log-probability (nats), over all options, and over options whose
  normalised probability is at least 0.01 (``lp p>=.01``): the log of a 1e-4 probability
  amplifies any kernel difference, which is why the tests do not compare it;
* ``p``: the option probability normalised over the labels (what psychometry stores);
* ``E``: the expected scale value (1-5);
* ``mean p``, ``mean E``: the mean over requests of the largest normalised-probability difference
  and of the expected-value difference;
* ``flips``: prompts whose most probable option changed, and the largest reference margin (the
  difference of the top two normalised probabilities) among them.

``tests/test_kernel_paths.py`` sets its tolerances at a documented multiple of the worst case this
prints; docs/performance.md has the figures per CPU path.

Usage: ``python3 benchmarks/batch_noise.py [--model PATH] [--items 44]``. Output: one table
(``benchmarks/results/batch_noise.txt`` keeps the last run of each CPU path).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import llama_cpp  # noqa: E402

import psychometry  # noqa: E402
from psychometry.backends.base import ScoreRequest  # noqa: E402
from psychometry.backends.llama import LlamaCppBackend  # noqa: E402

ANCHORS = (
    "Disagree strongly",
    "Disagree a little",
    "Neither agree nor disagree",
    "Agree a little",
    "Agree strongly",
)
DIGITS = ("1", "2", "3", "4", "5")
PRE = (
    "Here are a number of characteristics that may or may not apply to you. Please indicate the "
    "extent to which you agree or disagree with each statement.\n"
    + "".join(f"{i + 1} = {a}\n" for i, a in enumerate(ANCHORS))
    + "\n"
)


def prompts(n_items: int) -> list[str]:
    items = psychometry.load_instrument("bfi44").items[:n_items]
    return [PRE + f"Statement: I see myself as someone who {it.text}.\nAnswer:" for it in items]


def normalised(logprobs: tuple[float, ...]) -> list[float]:
    ps = [math.exp(x) for x in logprobs]
    total = sum(ps)
    return [p / total for p in ps]


def score(backend: LlamaCppBackend, reqs: list[ScoreRequest], how: str) -> list[tuple[float, ...]]:
    """Log-probs of every request's labels: ``alone`` one at a time, ``batch`` all in one
    ``score_many``, ``chunks of K`` in ``score_many`` calls of K requests."""
    if how == "alone":
        return [tuple(backend.option_logprobs(r.prompt, list(r.labels)).logprobs) for r in reqs]
    k = len(reqs) if how == "batch" else int(how.split()[-1])
    out: list[tuple[float, ...]] = []
    for start in range(0, len(reqs), k):
        got = dict(backend.score_many(reqs[start : start + k]))
        out.extend(tuple(got[i].logprobs) for i in range(len(got)))
    return out


def compare(ref: list[tuple[float, ...]], other: list[tuple[float, ...]]) -> dict[str, float]:
    lp = lp_big = dp = de = 0.0
    sum_dp = sum_de = 0.0
    flips, flip_margin = 0, 0.0
    for a, b in zip(ref, other):
        pa, pb = normalised(a), normalised(b)
        lp = max(lp, *(abs(x - y) for x, y in zip(a, b)))
        lp_big = max(lp_big, *(abs(x - y) for x, y, p in zip(a, b, pa) if p >= 0.01))
        dp = max(dp, *(abs(x - y) for x, y in zip(pa, pb)))
        ea = sum((i + 1) * p for i, p in enumerate(pa))
        eb = sum((i + 1) * p for i, p in enumerate(pb))
        de = max(de, abs(ea - eb))
        sum_dp += max(abs(x - y) for x, y in zip(pa, pb)) / len(ref)
        sum_de += abs(ea - eb) / len(ref)
        if max(range(len(pa)), key=pa.__getitem__) != max(range(len(pb)), key=pb.__getitem__):
            top = sorted(pa, reverse=True)
            flips += 1
            flip_margin = max(flip_margin, top[0] - top[1])
    return {
        "lp": lp, "lp_big": lp_big, "p": dp, "E": de, "mean_p": sum_dp, "mean_E": sum_de, "flips": flips,
        "flip_margin": flip_margin,
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--items", type=int, default=44)
    args = ap.parse_args()
    ps = prompts(args.items)
    reqs = [ScoreRequest(p, labels) for p in ps for labels in (DIGITS, ANCHORS)]
    print(llama_cpp.llama_print_system_info().decode().strip())
    print(
        f"{len(ps)} BFI prompts x 2 label sets = {len(reqs)} requests; reference: alone, 2 threads, repack on"
    )
    paths: list[tuple[int, str, int | None, str]] = [
        (2, "on", None, "batch"),
        (2, "on", None, "chunks of 4"),
        (2, "on", 32, "batch"),
        (2, "on", 32, "alone"),
        (1, "on", None, "alone"),
        (1, "on", None, "batch"),
        (2, "off", None, "alone"),
        (2, "off", None, "batch"),
        (1, "off", 32, "batch"),
    ]
    backends: dict[tuple[int, str, int | None], LlamaCppBackend] = {}

    def backend(threads: int, repack: str, n_batch: int | None) -> LlamaCppBackend:
        key = (threads, repack, n_batch)
        if key not in backends:
            backends[key] = LlamaCppBackend(
                args.model, n_threads=threads, cpu_repack=repack, batch_size=n_batch
            )
        return backends[key]

    ref = score(backend(2, "on", None), reqs, "alone")
    head = f"{'threads':>7} {'repack':>6} {'n_batch':>7} {'scored':<12} {'lp':>7} {'lp p>=.01':>9} {'p':>8} {'E':>7} {'mean p':>7} {'mean E':>7} {'flips':>5} {'flip margin':>11}"
    print(head)
    worst: dict[str, float] = {}
    for threads, repack, n_batch, how in paths:
        r = compare(ref, score(backend(threads, repack, n_batch), reqs, how))
        for k, v in r.items():
            worst[k] = max(worst.get(k, 0.0), v)
        print(
            f"{threads:>7} {repack:>6} {n_batch or 'default':>7} {how:<12} {r['lp']:7.4f} {r['lp_big']:9.4f} "
            f"{r['p']:8.5f} {r['E']:7.4f} {r['mean_p']:7.4f} {r['mean_E']:7.4f} {int(r['flips']):>5} "
            f"{r['flip_margin']:11.4f}"
        )
    print(
        f"{'worst':>7} {'':>6} {'':>7} {'':<12} {worst['lp']:7.4f} {worst['lp_big']:9.4f} {worst['p']:8.5f} "
        f"{worst['E']:7.4f} {worst['mean_p']:7.4f} {worst['mean_E']:7.4f} {int(worst['flips']):>5} "
        f"{worst['flip_margin']:11.4f}"
    )
    for be in backends.values():
        be.close()


if __name__ == "__main__":
    main()
