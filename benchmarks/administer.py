#!/usr/bin/env python3
"""Speed of administering a questionnaire: naive generate-and-parse vs. log-probs with prefix reuse.

On one model, in one run, over the same prompts (the 44 BFI items under one prompt template and
two option orders, original and reversed = 88 prompts):

* **naive**: what MPI (Jiang et al. 2023) and PsychoBench (Huang et al. 2024) do per item: a fresh
  context for every prompt, greedy generation of a short reply, then parsing the answer out of
  the text (``psychometry.answers.parse_answer``). Timed on the first ``--naive-items`` prompts
  (the rate is per item, so a subset keeps the run short).
* **logprob, fresh**: our scoring path (``option_logprobs``: one forward pass, read the label
  probabilities) but with the context reset before every prompt, to separate the two gains.
* **logprob + prefix reuse**: our path as the engine runs it, KV cache kept between prompts,
  prompts decoded in position-aligned blocks (bit-identical to fresh evaluation; the default),
  and once more with ``reuse_block=0`` (exact common prefix, order-dependent numerics).

It also prints the tokens llama.cpp actually decoded against the minimum: the number of distinct
token prefixes over all prompts (the size of their token trie), i.e. what an oracle that never
decodes a token twice would need.

Prompts come from ``psychometry.load_instrument("bfi44")`` + ``psychometry.plan.build_plan`` when
those work; otherwise from ``instruments/bfi44.yaml`` read directly with a built-in template.

Usage: ``python3 benchmarks/administer.py [--model PATH] [--threads 2] [--naive-items 16]``
(about 50 s on 2 cores with the default model).
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from psychometry.answers import parse_answer  # noqa: E402
from psychometry.backends.llama import LlamaCppBackend  # noqa: E402

Prompt = tuple[str, tuple[str, ...], tuple[str, ...]]  # prompt, labels, anchors as shown


def prompts_from_plan(backend: LlamaCppBackend) -> tuple[list[Prompt], str]:
    import psychometry
    from psychometry.plan import build_plan
    from psychometry.templates import load_templates

    inst = psychometry.load_instrument("bfi44")
    likert = [t for t in load_templates("all") if t.response_type == "likert"]
    jobs = build_plan(inst, templates=likert[:1], orders=("original", "reversed"),
                      format_chat=backend.format_chat)
    anchors = inst.response_format.anchors
    out: list[Prompt] = []
    for job in jobs:
        shown = tuple(anchors[int(v) - inst.response_format.min] for v in job.shown_values)
        out.append((job.prompt, tuple(job.labels), shown))
    return out, f"psychometry.plan (template {likert[0].id!r})"


def prompts_builtin(backend: LlamaCppBackend) -> tuple[list[Prompt], str]:
    import yaml

    data = yaml.safe_load((ROOT / "instruments" / "bfi44.yaml").read_text())
    anchors = tuple(data["response_format"]["anchors"])
    items = [it["text"].strip().rstrip(".") for it in data["items"]]
    out: list[Prompt] = []
    for order in ("original", "reversed"):
        values = list(range(1, 6)) if order == "original" else list(range(5, 0, -1))
        shown = tuple(anchors[v - 1] for v in values)
        labels = tuple(str(v) for v in values)
        key = "\n".join(f"{lab} = {a}" for lab, a in zip(labels, shown))
        for text in items:
            user = (
                "Here are a number of characteristics that may or may not apply to you. Please "
                "indicate the extent to which you agree or disagree with each statement.\n"
                f"{key}\n\nStatement: I see myself as someone who {text[0].lower() + text[1:]}.\n"
                "Answer:"
            )
            out.append((backend.format_chat(None, user), labels, shown))
    return out, "instruments/bfi44.yaml with a built-in template"


def trie_size(seqs: list[list[int]]) -> int:
    """Number of distinct non-empty prefixes = tokens an oracle with a perfect cache decodes."""
    prefixes: set[tuple[int, ...]] = set()
    for s in seqs:
        for j in range(1, len(s) + 1):
            prefixes.add(tuple(s[:j]))
    return len(prefixes)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=None, help="GGUF file (default: the default model)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--naive-items", type=int, default=16, help="prompts timed for the naive baseline")
    ap.add_argument("--max-tokens", type=int, default=16, help="reply length for the naive baseline")
    ap.add_argument("--gpu-layers", type=int, default=0)
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    be = LlamaCppBackend(args.model, n_threads=args.threads, n_gpu_layers=args.gpu_layers)
    load_s = time.perf_counter() - t0
    try:
        prompts, source = prompts_from_plan(be)
    except Exception as exc:  # the plan layer may not be there yet
        prompts, source = prompts_builtin(be)
        source += f" (plan unavailable: {type(exc).__name__})"
    n = len(prompts)
    tokenised = [be.tokenize(p) for p, _, _ in prompts]
    lengths = [len(t) for t in tokenised]
    minimum = trie_size(tokenised)

    print(f"model      {be.info.name} ({be.info.size / 1e6:.0f} MB), llama-cpp-python "
          f"{be.info.settings['llama_cpp_python']}, load {load_s:.1f} s")
    print(f"machine    {cpu_name()}, {os.cpu_count()} cores visible, n_threads={args.threads}, "
          f"n_gpu_layers={args.gpu_layers}")
    print(f"prompts    {n} from {source}; {sum(lengths) / n:.0f} tokens each on average")

    # Three instances of the same model: A for the fresh-context paths, B for prefix reuse with
    # block alignment (the default), C for reuse_block=0. The paths are timed interleaved, in k
    # rounds (one naive item, one fresh item, n/k reuse items each), so that load from other
    # processes on a shared machine slows all paths alike and the ratios stay meaningful.
    a = be
    b = LlamaCppBackend(args.model, n_threads=args.threads, n_gpu_layers=args.gpu_layers)
    c = LlamaCppBackend(args.model, n_threads=args.threads, n_gpu_layers=args.gpu_layers, reuse_block=0)
    block = b.reuse_block
    for inst in (a, b, c):  # warm-up (page faults, thread start-up), then a cold cache
        inst.option_logprobs(prompts[0][0], prompts[0][1])
        inst.reset()

    k = min(args.naive_items, n)
    parsed = {"ok": 0, "refused": 0, "unparsed": 0}
    secs = {"naive": 0.0, "fresh": 0.0, "reuse": 0.0, "exact": 0.0}
    toks = {"naive": 0, "fresh": 0, "reuse": 0, "exact": 0}
    bounds = [round(i * n / k) for i in range(k + 1)]
    for r in range(k):
        p, labels, anchors = prompts[r]
        # 1. naive: fresh context, greedy generation, parse the reply
        t = time.perf_counter()
        a.reset()
        g = a.generate(p, max_tokens=args.max_tokens, temperature=0.0)
        status = parse_answer(g.text, labels, anchors).status
        secs["naive"] += time.perf_counter() - t
        toks["naive"] += g.tokens_evaluated
        parsed[status] += 1
        # 2. logprob, fresh context
        t = time.perf_counter()
        a.reset()
        toks["fresh"] += a.option_logprobs(p, labels).tokens_evaluated
        secs["fresh"] += time.perf_counter() - t
        # 3./4. logprob with prefix reuse over this round's share of all prompts, in plan order
        for key, inst in (("reuse", b), ("exact", c)):
            t = time.perf_counter()
            for p2, labels2, _ in prompts[bounds[r] : bounds[r + 1]]:
                toks[key] += inst.option_logprobs(p2, labels2).tokens_evaluated
            secs[key] += time.perf_counter() - t
    naive_rate, fresh_rate = k / secs["naive"], k / secs["fresh"]
    reuse_rate, exact_rate = n / secs["reuse"], n / secs["exact"]
    naive_tokens, fresh_tokens, reuse_tokens, exact_tokens = (
        toks["naive"], toks["fresh"], toks["reuse"], toks["exact"])
    b.close()
    c.close()

    print()
    print(f"{'path':<34}{'items':>6}{'items/s':>10}{'tokens/item':>13}")
    print(f"{'naive generate+parse (fresh ctx)':<34}{k:>6}{naive_rate:>10.2f}{naive_tokens / k:>13.1f}")
    print(f"{'logprob, fresh ctx':<34}{k:>6}{fresh_rate:>10.2f}{fresh_tokens / k:>13.1f}")
    print(f"{f'logprob + prefix reuse (block {block})':<34}{n:>6}{reuse_rate:>10.2f}{reuse_tokens / n:>13.1f}")
    print(f"{'logprob + prefix reuse (block 0)':<34}{n:>6}{exact_rate:>10.2f}{exact_tokens / n:>13.1f}")
    print()
    print(f"speed-up   {reuse_rate / naive_rate:.1f}x over naive "
          f"(logprob alone {fresh_rate / naive_rate:.1f}x, prefix reuse a further "
          f"{reuse_rate / fresh_rate:.1f}x)")
    print(f"tokens     decoded {reuse_tokens} for {n} prompts; minimum (token-trie size) {minimum}; "
          f"all prompts afresh {sum(lengths)}; decoded/minimum = {reuse_tokens / minimum:.2f}")
    print(f"naive      parse status over {k} replies: " + ", ".join(f"{s} {c}" for s, c in parsed.items()))
    be.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
