#!/usr/bin/env python3
"""Repeated games: rounds of different games decoded together vs one game at a time.

The engine administers a game round by round: every game's round k is asked in one step, and the
step's requests go to the backend in fixed chunks (``--batch-size``), so the rounds of different
games share batches and their common prefix (instructions, template) is decoded once per batch.
The naive path plays one game at a time, one request per round (batch size 1: what a loop over
games and rounds in a notebook does).

Both paths play the same design on the same loaded model in one process, one after the other:
``ipd`` against the six classic deterministic opponents (cooperator, defector, tft, stft, tf2t,
grudger) x personas x 2 option orders x 10 rounds, template ``choice-plain``, logprob mode. The
script prints seconds, rounds per second and the ratio, and checks that both paths chose the same
action in every round (the numbers may differ within the batch noise of docs/performance.md; an
action can differ only where the two options' probabilities are within that noise).

Usage: ``python3 benchmarks/games.py [--model PATH] [--personas N] [--threads N] [--batch-size N]``.
``benchmarks/results/games.txt`` keeps the last run.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import llama_cpp  # noqa: E402

import psychometry  # noqa: E402
from psychometry.backends import load_backend  # noqa: E402
from psychometry.backends.default_model import default_model_path  # noqa: E402
from psychometry.config import Design  # noqa: E402
from psychometry.personas import Persona  # noqa: E402

OPPONENTS = ("cooperator", "defector", "tft", "stft", "tf2t", "grudger")


class _OneAtATime:
    """The backend without its batch methods: the engine then asks one request at a time."""

    def __init__(self, backend):
        self._b = backend
        self.info = backend.info

    def option_logprobs(self, prompt, labels):
        return self._b.option_logprobs(prompt, labels)

    def generate(self, prompt, **kwargs):
        return self._b.generate(prompt, **kwargs)

    def format_chat(self, system, user):
        return self._b.format_chat(system, user)

    def format_messages(self, messages):
        return self._b.format_messages(messages)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--personas", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=256)
    args = ap.parse_args()
    personas = [
        Persona(id=f"p{i}", text=f"You are participant number {i + 1} in this study.")
        for i in range(args.personas)
    ]
    model = args.model or str(default_model_path())
    backend = load_backend("llama", model, n_threads=args.threads, batch_size=args.batch_size, seed=0)
    design = Design("ipd", templates="choice-plain", personas=personas, opponents=",".join(OPPONENTS))
    games = len(personas) * len(OPPONENTS) * 2
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, be in (
            ("batched (round k of every game together)", backend),
            ("one game at a time", _OneAtATime(backend)),
        ):
            path = Path(tmp) / f"{len(out)}.sqlite"
            t0 = time.perf_counter()
            res = psychometry.administer(design, model=be, out=path, progress=False)
            secs = time.perf_counter() - t0
            df = psychometry.load_results(path).sort_values(["respondent", "opponent", "round"])
            out[name] = (secs, res.written, list(df["action"]))
    backend.close()
    (b_name, (b_s, n, b_act)), (o_name, (o_s, _, o_act)) = out.items()
    same = sum(a == b for a, b in zip(b_act, o_act))
    lines = [
        f"# benchmarks/games.py: ipd, {len(OPPONENTS)} opponents x {len(personas)} personas x 2 orders = {games} games "
        f"x 10 rounds = {n} rounds; model {Path(model).name}; threads {args.threads}; batch size {args.batch_size}",
        f"# CPU: {platform.processor() or platform.machine()}; llama.cpp: {llama_cpp.llama_print_system_info().decode().strip()}",
        f"{'path':44s} {'seconds':>8s} {'rounds/s':>9s}",
        f"{b_name:44s} {b_s:8.1f} {n / b_s:9.2f}",
        f"{o_name:44s} {o_s:8.1f} {n / o_s:9.2f}",
        f"speed-up of batched rounds: {o_s / b_s:.2f}x; same action in {same} of {n} rounds",
    ]
    text = "\n".join(lines)
    print(text)
    (ROOT / "benchmarks" / "results" / "games.txt").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
