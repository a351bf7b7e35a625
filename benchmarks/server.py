#!/usr/bin/env python3
"""Throughput of the OpenAI-compatible server backend at concurrency 1, 2 and 4.

Starts llama-cpp-python's server (``python -m llama_cpp.server``) with the default model on
127.0.0.1 and a free port, and scores the same prompts (SD-3, template ``likert-plain``, original
order; digit labels, logprob mode) with ``OpenAIBackend.score_many`` at ``--concurrency`` 1, 2
and 4 against that one server, then at concurrency 1 against two servers (two processes, two base
URLs: the scale-out path). Each configuration starts from a server that has seen the prompts once
(a warm-up pass), so prefix-cache state is alike. Prints prompts per second and the ratio over
the sequential run (one server, concurrency 1).

llama-cpp-python's server has no parallel slots (its settings have no ``n_parallel``; one lock
serialises requests), so concurrency against one such server can only overlap HTTP and JSON work
with decoding; llama.cpp's own ``llama-server --parallel N`` and vLLM batch concurrent requests.

Usage: ``python3 benchmarks/server.py [--prompts 16] [--threads 1]`` (a few minutes on 2 cores).
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
sys.path.insert(0, str(ROOT / "tests"))

from servers import LlamaServer  # noqa: E402

from psychometry.backends.base import ScoreRequest  # noqa: E402
from psychometry.backends.openai import OpenAIBackend  # noqa: E402


def prompts(n: int) -> list[ScoreRequest]:
    from psychometry.instrument.load import load_instrument
    from psychometry.plan import build_plan

    jobs = build_plan(
        [load_instrument("sd3")],
        templates="likert-plain",
        orders=("original",),
        personas="none",
        shape=None,
        repeats=1,
        label_style="digits",
        seed=0,
    )
    return [ScoreRequest(j.prompt, tuple(j.labels)) for j in jobs[:n]]


def timed(urls: list[str], concurrency: int, reqs: list[ScoreRequest]) -> tuple[float, dict]:
    be = OpenAIBackend(urls, concurrency=concurrency)
    try:
        t0 = time.perf_counter()
        got = dict(be.score_many(reqs))
        dt = time.perf_counter() - t0
        assert len(got) == len(reqs)
        return dt, be.stats["requests"]
    finally:
        be.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1, help="llama.cpp threads per server (default 1)")
    args = ap.parse_args()
    reqs = prompts(args.prompts)
    import llama_cpp

    print(f"# benchmarks/server.py: {len(reqs)} SD-3 prompts, logprob mode, default model")
    print(
        f"# llama-cpp-python {llama_cpp.__version__} server, {args.threads} thread(s) per server; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; {platform.platform()}"
    )
    rows = []
    with LlamaServer(n_threads=args.threads) as a:
        timed([a.base_url], 1, reqs)  # warm-up: load pages, fill the prefix cache
        for c in (1, 2, 4):
            dt, counts = timed([a.base_url], c, reqs)
            rows.append((f"1 server, concurrency {c}", dt, counts))
        with LlamaServer(n_threads=args.threads) as b:
            timed([b.base_url], 1, reqs)
            dt, counts = timed([a.base_url, b.base_url], 1, reqs)
            rows.append(("2 servers, concurrency 1 each", dt, counts))
    base = rows[0][1]
    print(f"{'configuration':32s} {'seconds':>8s} {'prompts/s':>10s} {'ratio':>6s}  requests per server")
    for name, dt, counts in rows:
        per = ", ".join(str(v) for v in counts.values())
        print(f"{name:32s} {dt:8.1f} {len(reqs) / dt:10.2f} {base / dt:6.2f}  {per}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
