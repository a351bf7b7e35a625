#!/usr/bin/env python3
"""Speed of administering a questionnaire in-process: naive, prefix reuse, batched; and the limit.

On one model, in one run, over the same prompts (the 44 BFI items under one prompt template and
two option orders = 88 prompts, from ``psychometry.plan.build_plan``):

* **naive generate+parse**: what MPI (Jiang et al. 2023) and PsychoBench (Huang et al. 2024) do:
  a fresh context per prompt, greedy generation of a short reply, then
  ``psychometry.answers.parse_answer``. Timed on the first ``--naive-items`` prompts.
* **prefix reuse (0.1.0)**: the previous release's path (``benchmarks/legacy_llama.py``): one
  prompt at a time, KV cache kept between prompts, position-aligned blocks of 16.
* **batched**: today's path, as the engine runs it: fixed chunks of ``--batch-size`` prompts, each
  decoded as one token trie over many sequences (``LlamaCppBackend.score_many``).
* **limit**: the time to decode the batch's distinct tokens (prompt trie + label prefixes) at the
  prompt-evaluation throughput of one long batch (one ``llama_decode`` of ``--limit-tokens``
  distinct tokens), measured in the same run.

Then the batched path on larger designs (the same items x 10 and x 100 personas = 880 and 8,800
prompts), and memory: the KV cache size and the process's peak resident memory.

Usage: ``python3 benchmarks/administer.py [--model PATH] [--threads 2] [--naive-items 16]
[--batch-size 64] [--scales 1,10,100]``. Output: one table, ratios from this one run.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import psychometry  # noqa: E402
from psychometry.answers import parse_answer  # noqa: E402
from psychometry.backends.base import ScoreRequest  # noqa: E402
from psychometry.backends.llama import LlamaCppBackend, label_variants  # noqa: E402
from psychometry.plan import build_plan  # noqa: E402
from psychometry.templates import load_templates  # noqa: E402

JOBS = ["nurse", "farmer", "teacher", "engineer", "painter", "pilot", "baker", "lawyer", "student", "chef"]


def personas_file(n: int, folder: Path) -> str:
    if n <= 1:
        return "none"
    path = folder / f"personas{n}.yaml"
    lines = ["personas:"]
    for k in range(n):
        lines.append(
            f"  - id: p{k}\n    text: You are a {20 + k % 60}-year-old {JOBS[k % len(JOBS)]} "
            f"(respondent {k})."
        )
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def design(backend: LlamaCppBackend, personas: str) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    inst = psychometry.load_instrument("bfi44")
    likert = [t for t in load_templates("all") if t.response_type == "likert"]
    jobs = build_plan(
        inst,
        templates=likert[:1],
        orders=("original", "reversed"),
        personas=personas,
        format_chat=backend.format_chat,
    )
    anchors = inst.response_format.anchors
    return [
        (j.prompt, tuple(j.labels), tuple(anchors[int(v) - inst.response_format.min] for v in j.shown_values))
        for j in jobs
    ]


def minimum_tokens(backend: LlamaCppBackend, prompts) -> int:
    """Distinct token prefixes over all prompts and their label prefixes: what must be decoded."""
    nodes: set[tuple[int, ...]] = set()
    for p, labels, _ in prompts:
        toks = tuple(backend.tokenize(p))
        for j in range(1, len(toks) + 1):
            nodes.add(toks[:j])
        for lab in labels:
            for v in label_variants(lab):
                seq = tuple(backend.tokenize(v, add_bos=False))
                for j in range(1, len(seq)):  # proper prefixes: the distributions read after them
                    nodes.add(toks + seq[:j])
    return len(nodes)


def batched(backend: LlamaCppBackend, prompts, size: int) -> tuple[float, int]:
    before = backend.tokens_evaluated
    t = time.perf_counter()
    for start in range(0, len(prompts), size):
        chunk = prompts[start : start + size]
        for _ in backend.score_many([ScoreRequest(p, labels) for p, labels, _ in chunk]):
            pass
    return time.perf_counter() - t, backend.tokens_evaluated - before


def prompt_eval_rate(backend: LlamaCppBackend, n_tokens: int, repeats: int = 3) -> float:
    """Tokens per second for one long batch of distinct tokens (best of ``repeats``)."""
    words = [f"w{k}" for k in range(4 * n_tokens)]
    text = " ".join(words)
    toks = backend.tokenize(text)[:n_tokens]
    text = backend.detokenize(toks[1:])
    best = 0.0
    for _ in range(repeats):
        before = backend.tokens_evaluated
        t = time.perf_counter()
        backend.option_logprobs(text, ["1"])
        dt = time.perf_counter() - t
        best = max(best, (backend.tokens_evaluated - before) / dt)
    return best


def kv_bytes(backend: LlamaCppBackend) -> int:
    md = backend.metadata
    arch = md.get("general.architecture", "")

    def num(key: str) -> int:
        return int(float(md.get(f"{arch}.{key}", "0") or 0))

    heads_kv = num("attention.head_count_kv") or num("attention.head_count")
    k_len = num("attention.key_length") or num("embedding_length") // max(num("attention.head_count"), 1)
    v_len = num("attention.value_length") or k_len
    return backend.n_ctx * num("block_count") * heads_kv * (k_len + v_len) * 2  # f16


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
    ap.add_argument("--gpu-layers", type=int, default=0)
    ap.add_argument("--naive-items", type=int, default=16, help="prompts timed for the naive baseline")
    ap.add_argument("--max-tokens", type=int, default=16, help="reply length for the naive baseline")
    ap.add_argument(
        "--batch-size", type=int, default=None, help="requests per batch (default: the backend's)"
    )
    ap.add_argument("--n-ctx", type=int, default=2048)
    ap.add_argument("--limit-tokens", type=int, default=500)
    ap.add_argument("--scales", default="1,10,100", help="persona counts for the scaling rows")
    ap.add_argument("--no-legacy", action="store_true", help="skip the 0.1.0 prefix-reuse path")
    args = ap.parse_args(argv)

    import llama_cpp

    t0 = time.perf_counter()
    be = LlamaCppBackend(
        args.model,
        n_threads=args.threads,
        n_gpu_layers=args.gpu_layers,
        n_ctx=args.n_ctx,
        batch_size=args.batch_size,
    )
    load_s = time.perf_counter() - t0
    size = be.batch_size
    tmp = Path(tempfile.mkdtemp(prefix="psychometry-bench-"))
    prompts = design(be, "none")
    n = len(prompts)
    minimum = minimum_tokens(be, prompts)
    afresh = sum(len(be.tokenize(p)) for p, _, _ in prompts)

    print(
        f"model      {be.info.name} ({be.info.size / 1e6:.0f} MB), llama-cpp-python {llama_cpp.__version__}, "
        f"load {load_s:.1f} s"
    )
    print(
        f"machine    {cpu_name()}, {os.cpu_count()} cores visible, n_threads={args.threads}, "
        f"n_gpu_layers={args.gpu_layers}, cpu_repack={be.info.settings['cpu_repack']['value']}"
    )
    print(f"system     {llama_cpp.llama_print_system_info().decode().strip()}")
    print(
        f"prompts    {n} (bfi44, 1 template, 2 orders); {afresh / n:.0f} tokens each; "
        f"minimum to decode {minimum} tokens (trie of prompts and label prefixes)"
    )

    be.option_logprobs(prompts[0][0], prompts[0][1])  # warm-up

    rows = []
    old = None
    if not args.no_legacy:
        import legacy_llama

        old = legacy_llama.LlamaCppBackend(
            args.model, n_threads=args.threads, n_gpu_layers=args.gpu_layers, n_ctx=args.n_ctx
        )
        old.option_logprobs(prompts[0][0], prompts[0][1])

    # Every path is timed in three interleaved rounds and each path's best round is kept, so that a
    # burst of load from other processes does not decide a ratio.
    k = min(args.naive_items, n)
    sizes = [size] + [x for x in (16, 64, 256) if x != size]
    best: dict[str, tuple[float, int]] = {}
    parsed = {"ok": 0, "refused": 0, "unparsed": 0}
    rate = 0.0

    def keep(key: str, secs: float, toks: int) -> None:
        best[key] = min(best.get(key, (math.inf, 0)), (secs, toks))

    for r in range(3):
        # naive: fresh context, greedy reply, parse
        before = be.tokens_evaluated
        t = time.perf_counter()
        for p, labels, anchors in prompts[:k]:
            g = be.generate(p, max_tokens=args.max_tokens)
            if r == 0:
                parsed[parse_answer(g.text, list(labels), list(anchors)).status] += 1
        keep("naive", time.perf_counter() - t, be.tokens_evaluated - before)
        if old is not None:
            old.reset()
            t = time.perf_counter()
            toks = sum(old.option_logprobs(p, labels).tokens_evaluated for p, labels, _ in prompts)
            keep("legacy", time.perf_counter() - t, toks)
        rate = max(rate, prompt_eval_rate(be, args.limit_tokens, repeats=1))
        for x in sizes:
            keep(f"b{x}", *batched(be, prompts, x))
    if old is not None:
        old.close()
    limit_s = minimum / rate
    batch_s, batch_toks = best[f"b{size}"]
    rows.append(("naive generate+parse (fresh ctx)", k, k / best["naive"][0], best["naive"][1] / k))
    if "legacy" in best:
        rows.append(("prefix reuse, block 16 (0.1.0)", n, n / best["legacy"][0], best["legacy"][1] / n))
    for x in sizes:
        label = f"batched, batch size {x}" + (" (default)" if x == size else "")
        rows.append((label, n, n / best[f"b{x}"][0], best[f"b{x}"][1] / n))
    rows.append(("limit: minimum tokens at prompt-eval speed", n, n / limit_s, minimum / n))
    # the AMX guard's price: the same batched path with llama.cpp's weight repacking flipped
    flipped = "off" if be.info.settings["cpu_repack"]["value"] == "on" else "on"
    try:
        from psychometry.backends.native import amx_reasons, cpu_flags, system_info

        if flipped == "on" and amx_reasons(system_info(), cpu_flags()):
            raise RuntimeError("skipped: this machine has AMX, where repacked weights crash llama.cpp")
        alt = LlamaCppBackend(
            args.model,
            n_threads=args.threads,
            n_gpu_layers=args.gpu_layers,
            n_ctx=args.n_ctx,
            batch_size=size,
            cpu_repack=flipped,
        )
        alt.option_logprobs(prompts[0][0], prompts[0][1])
        s, tk = batched(alt, prompts, size)
        alt_rate = prompt_eval_rate(alt, args.limit_tokens)
        alt.close()
        rows.append((f"batched, size {size}, cpu_repack {flipped}", n, n / s, tk / n))
    except Exception as exc:  # e.g. the crash the guard exists for is not caught, but a load error is
        alt_rate = float("nan")
        print(f"cpu_repack {flipped}: {type(exc).__name__}: {exc}")

    print()
    print(f"{'path':<44}{'items':>7}{'items/s':>10}{'tokens/item':>13}{'x naive':>9}")
    naive_rate = rows[0][2]
    for name, items, r, tpi in rows:
        print(f"{name:<44}{items:>7}{r:>10.2f}{tpi:>13.1f}{r / naive_rate:>9.1f}")
    print()
    print(
        f"prompt eval  {rate:.0f} tokens/s in one batch of {args.limit_tokens} distinct tokens; limit for "
        f"{n} prompts {limit_s:.2f} s; batched took {batch_s:.2f} s = {batch_s / limit_s:.2f}x the limit"
    )
    print(
        f"repack       prompt eval {rate:.0f} tokens/s with cpu_repack "
        f"{be.info.settings['cpu_repack']['value']}, {alt_rate:.0f} with {flipped}"
    )
    print(
        f"tokens       batched decoded {batch_toks} for {n} prompts = {batch_toks / minimum:.2f}x the minimum "
        f"{minimum} (the shared prefix once per batch); all prompts afresh {afresh}"
    )
    print(f"naive        parse status over {k} replies: " + ", ".join(f"{s} {c}" for s, c in parsed.items()))

    print()
    print(f"{'design (bfi44 x 2 orders x personas)':<40}{'prompts':>8}{'items/s':>10}{'decoded/min':>13}")
    for p_count in [int(x) for x in args.scales.split(",") if x.strip()]:
        ps = design(be, personas_file(p_count, tmp))
        mn = minimum_tokens(be, ps)
        s, tk = batched(be, ps, size)
        print(f"{f'{p_count} persona(s)':<40}{len(ps):>8}{len(ps) / s:>10.2f}{tk / mn:>13.2f}")
    print()
    print(
        f"memory       KV cache {kv_bytes(be) / 2**20:.0f} MiB (n_ctx={be.n_ctx}, f16, unified over "
        f"{be.info.settings['n_seq_max']} sequences); peak resident "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    be.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
