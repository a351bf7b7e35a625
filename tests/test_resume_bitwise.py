"""Resume is bit-identical: a run killed with SIGKILL in the middle of a batch and resumed stores
exactly the numbers an uninterrupted run stores (real default model, batched llama.cpp decoding).

Batches are fixed chunks of the plan (``--batch-size``); a resumed run decodes a partly stored
chunk again as a whole and writes only its missing rows, so every response is computed in the same
batch as in an uninterrupted run (docs/performance.md, "Reproducibility").
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.model

REPO = Path(__file__).resolve().parents[1]
BATCH = 32
PLANNED = (44 + 27) * 3 * 2  # bfi44 + sd3 items x 3 templates x 2 orders
NUMBERS = [
    "response_id",
    "status",
    "value",
    "position",
    "expected",
    "entropy",
    "label_mass",
    "probs",
    "position_probs",
]


def _count(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            return int(con.execute("SELECT COUNT(*) FROM responses").fetchone()[0])
        finally:
            con.close()
    except sqlite3.DatabaseError:
        return 0


def _rows(path: Path, numbers: list[str] = NUMBERS) -> list[tuple]:
    con = sqlite3.connect(str(path))
    try:
        cols = ", ".join(f'"{c}"' for c in numbers)
        return con.execute(f"SELECT {cols} FROM responses ORDER BY response_id").fetchall()
    finally:
        con.close()


def test_a_run_killed_mid_batch_and_resumed_stores_the_uninterrupted_numbers_bit_for_bit(tmp_path):
    cmd = [
        sys.executable,
        "-m",
        "psychometry",
        "administer",
        "bfi44",
        "sd3",
        "--templates",
        "all",
        "--orders",
        "original,reversed",
        "--batch-size",
        str(BATCH),
        "--threads",
        "1",
        "--quiet",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}

    whole = tmp_path / "whole.sqlite"
    subprocess.run(
        cmd + ["--out", str(whole)], cwd=REPO, env=env, check=True, timeout=600, capture_output=True
    )

    killed = tmp_path / "killed.sqlite"
    proc = subprocess.Popen(
        cmd + ["--out", str(killed)], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 300
    n = 0
    while proc.poll() is None and time.monotonic() < deadline:
        n = _count(killed)
        if n > BATCH and n % BATCH:  # rows of a chunk are being written: kill inside the batch
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.001)
    proc.wait(timeout=60)
    proc.stderr.close()
    killed_at = _count(killed)
    assert 0 < killed_at < PLANNED and killed_at % BATCH, f"not killed inside a batch ({killed_at} rows)"

    subprocess.run(
        cmd + ["--out", str(killed)], cwd=REPO, env=env, check=True, timeout=600, capture_output=True
    )
    a, b = _rows(whole), _rows(killed)
    assert len(a) == len(b) == PLANNED
    assert a == b  # every stored number, bit for bit
