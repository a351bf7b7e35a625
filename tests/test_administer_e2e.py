"""End to end with the real default model (Gemma 3 270M base, Q4_K_M) through llama.cpp.

One run of ``psychometry administer bfi44 sd3 --templates all --orders original,reversed
--personas FILE`` (2 personas) in a subprocess, killed with SIGKILL midway and re-run, feeds both
checks: (1) resume gives exactly the planned rows, none duplicated; (2) reversing the option
order moves the base model's answers (it has a strong label/position bias), which shows that the
pipeline maps shown positions back to scale values.
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
N_BFI44, N_SD3 = 44, 27  # items (John & Srivastava 1999; Jones & Paulhus 2014)
N_TEMPLATES, N_ORDERS, N_PERSONAS = 3, 2, 2  # shipped likert templates; original+reversed; the file below
PLANNED = (N_BFI44 + N_SD3) * N_TEMPLATES * N_ORDERS * N_PERSONAS  # 852


def _count(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        con = sqlite3.connect(str(path), timeout=5)
        try:
            return int(con.execute("SELECT COUNT(*) FROM responses").fetchone()[0])
        finally:
            con.close()
    except sqlite3.DatabaseError:
        return 0


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    pytest.importorskip("llama_cpp")
    from psychometry.backends.default_model import default_model_path
    from psychometry.errors import ModelError

    try:
        default_model_path()
    except ModelError as exc:
        pytest.skip(f"default model not available: {exc}")
    d = tmp_path_factory.mktemp("e2e")
    personas = d / "two.yaml"
    personas.write_text(
        "personas:\n"
        "  - id: nurse\n    text: You are a 41-year-old nurse who is practical and quick to laugh.\n"
        "  - id: farmer\n    text: You are a 53-year-old dairy farmer who rarely travels.\n"
    )
    out = d / "run.sqlite"
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
        "--personas",
        str(personas),
        "--out",
        str(out),
        # one thread: on a shared 2-core machine, llama.cpp with as many threads as cores slows
        # down ~10x whenever another process takes a core (measured: 0.17 s vs 2.4 s a prompt)
        "--threads",
        "1",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}

    proc = subprocess.Popen(
        cmd + ["--quiet"], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 150
    while _count(out) < 60 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, proc.stderr.read().decode()
    proc.send_signal(signal.SIGKILL)  # no chance to clean up
    proc.wait()
    proc.stderr.close()
    killed_at = _count(out)

    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stderr
    from psychometry.results import load_results, run_info

    return {"df": load_results(out), "killed_at": killed_at, "stdout": done.stdout, "info": run_info(out)}


def test_killed_run_resumes_to_exactly_the_planned_rows_without_duplicates(run):
    df = run["df"]
    assert 0 < run["killed_at"] < PLANNED
    assert len(df) == PLANNED
    assert df["response_id"].is_unique
    assert not df.duplicated(["respondent", "instrument", "item"]).any()
    # every simulated respondent answered every item of both instruments
    assert df.groupby("respondent")["item"].nunique().eq(N_BFI44 + N_SD3).all()
    assert df["respondent"].nunique() == N_TEMPLATES * N_ORDERS * N_PERSONAS
    assert set(df["persona"]) == {"nurse", "farmer"}
    assert (df["status"] == "ok").all()
    (r,) = run["info"]
    sessions = r["manifest"]["sessions"]
    assert len(sessions) == 2 and sessions[0]["ended_at"] is None  # the killed session never ended
    assert r["manifest"]["model"]["sha256"] and r["manifest"]["ended_at"]
    # each session records the kernel paths its numbers came from (issue 21)
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode().strip()
    assert [s["llama_cpp_system_info"] for s in sessions] == [info, info]
    assert all(s["blas"] and s["blas"][0]["architecture"] for s in sessions)
    # the summary printed at the end names every scale of both instruments
    for scale in ("E", "A", "C", "N", "O", "M", "P"):
        assert f"{scale} " in run["stdout"]


def _tv(a, b) -> float:
    """Total variation distance between two empirical distributions."""
    pa, pb = a.value_counts(normalize=True), b.value_counts(normalize=True)
    keys = set(pa.index) | set(pb.index)
    return 0.5 * sum(abs(pa.get(k, 0.0) - pb.get(k, 0.0)) for k in keys)


def test_reversing_the_option_order_changes_the_answers_of_the_base_model(run):
    df = run["df"]
    orig, rev = df[df["order"] == "original"], df[df["order"] == "reversed"]
    # the model picks by position (label bias): where it answers in the list barely moves...
    tv_position = _tv(orig["position"], rev["position"])
    # ...so once positions are mapped back to scale values, the answers move a lot
    tv_value = _tv(orig["value"], rev["value"])
    assert tv_value > 0.5, (tv_value, tv_position)
    assert tv_position < tv_value - 0.3, (tv_value, tv_position)
    assert abs(orig["value"].mean() - rev["value"].mean()) > 1.0
    # and the mapping is exact: the stored value is the shown value at the chosen position
    shown = df["shown_values"].str.split(",")
    assert all(float(s[int(p) - 1]) == v for s, p, v in zip(shown, df["position"], df["value"]))
    probs = df["probs"]  # decoded by load_results: {scale value: p}
    assert all(abs(sum(p.values()) - 1) < 1e-6 for p in probs)
