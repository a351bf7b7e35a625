"""Behavioural tasks: instruments with ``kind: task`` in instruments/tasks/.

A task is an instrument in the same format whose items are scenarios answered by choosing an action
(``response_format.type: choice``); each option carries a behaviour value, and the "scales" are
behaviours (generosity, risk_taking, honesty, cooperation). Tasks load and list by id like
questionnaires, score with the same scorer, and are administered by the same engine to the same
simulated respondents (personas), so that behaviour can be regressed on traits
(psychometry.stats.prediction; tests/test_stats_prediction.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from pathlib import Path

import pytest
import yaml

import psychometry
from psychometry import Design
from psychometry.backends.fake import FakeBackend
from psychometry.cli import main
from psychometry.errors import InstrumentError
from psychometry.instrument import instrument_to_dict, list_instruments, load_instrument, parse_instrument
from psychometry.instrument.load import shipped_path
from psychometry.plan import build_plan, instrument_hash
from psychometry.results import load_results
from psychometry.scoring import ScoringError, score
from psychometry.stats import behaviour_regression, trait_behaviour_scores

ROOT = Path(__file__).resolve().parents[1]
TASK_DIR = ROOT / "instruments" / "tasks"
# task id -> (behaviour scale, the option values every item of the task draws from (None: a number
# answer), paradigm author)
TASKS = {
    "dictator": ("generosity", {0, 20, 50, 80}, "Forsythe"),
    "risk": ("risk_taking", {0, 1, 2, 3, 4}, "Holt"),
    "honesty": ("honesty", {0, 0.5, 1}, "Fischbacher"),
    "cooperation": ("cooperation", {0, 0.25, 0.5, 0.75, 1}, "Rapoport"),
    "lottery": ("risk_seeking", {0, 1}, "Betley"),
    "sycophancy": ("accuracy", {0, 1}, "Sharma"),
    "cct": ("cct_risk", None, "Figner"),
}


def raw(task_id: str) -> dict:
    return yaml.safe_load((TASK_DIR / f"{task_id}.yaml").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------- the task files
def test_the_shipped_tasks_are_exactly_the_files_in_instruments_tasks():
    assert sorted(p.stem for p in TASK_DIR.glob("*.yaml")) == sorted(TASKS)
    assert [i.id for i in list_instruments(kind="task")] == sorted(TASKS)
    inventories = {i.id for i in list_instruments(kind="inventory")}
    assert not inventories & set(TASKS)  # one id, one file
    assert all(i.kind == "inventory" for i in list_instruments(kind="inventory"))


@pytest.mark.parametrize("task_id", sorted(TASKS))
def test_a_task_loads_by_id_as_a_choice_or_number_instrument_of_kind_task(task_id):
    behaviour, values, _ = TASKS[task_id]
    task = psychometry.load_instrument(task_id)
    assert shipped_path(task_id) == TASK_DIR / f"{task_id}.yaml"
    assert task == load_instrument(TASK_DIR / f"{task_id}.yaml")
    assert task.kind == "task" and task.response_format.type == ("choice" if values else "number")
    assert [s.id for s in task.scales] == [behaviour]
    assert len(task.items) >= 4
    for item in task.items if values else ():
        vals = [o.value for o in item.options]
        assert set(vals) <= values and len(set(vals)) == len(vals) >= 2, item.id
        assert vals == sorted(vals) or vals == sorted(vals, reverse=True), item.id  # options listed in order
        assert min(vals) == min(values) and max(vals) == max(values), (
            item.id
        )  # every item spans the behaviour


@pytest.mark.parametrize("task_id", sorted(TASKS))
def test_a_task_states_its_paradigm_its_licence_and_that_its_texts_are_our_own(task_id):
    doc = raw(task_id)
    assert TASKS[task_id][2] in doc["citation"]
    assert "written for psychometry" in doc["citation"]
    assert doc["licence"].startswith("CC0 1.0")
    head = (TASK_DIR / f"{task_id}.yaml").read_text(encoding="utf-8").split("format:")[0]
    assert "CC0" in head  # said in the file's comment too


@pytest.mark.parametrize("task_id", sorted(TASKS))
def test_the_json_schema_accepts_every_task(task_id):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "instruments" / "schema.json").read_text(encoding="utf-8"))
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(raw(task_id))) == []


@pytest.mark.parametrize("task_id", sorted(TASKS))
def test_a_task_survives_the_round_trip_through_the_plain_document(task_id):
    task = load_instrument(task_id)
    doc = instrument_to_dict(task)
    assert doc["kind"] == "task"
    assert parse_instrument(doc) == dataclasses.replace(task, path=None)


# --------------------------------------------------------------------------------- the format
def test_kind_defaults_to_inventory_and_is_not_written_for_inventories():
    bfi = load_instrument("bfi44")
    assert bfi.kind == "inventory"
    assert "kind" not in instrument_to_dict(bfi)


def test_adding_kind_left_the_hashes_of_questionnaires_unchanged():
    """Run ids and response ids hash the instrument: files written before tasks (and games) existed
    still resume."""
    for inst in list_instruments(kind="inventory"):
        data = dataclasses.asdict(inst)
        data.pop("path"), data.pop("kind"), data.pop("game"), data.pop("followup")
        before = hashlib.sha256(
            json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()
        ).hexdigest()
        assert instrument_hash(inst) == before
    task = load_instrument("dictator")
    assert instrument_hash(task) != instrument_hash(dataclasses.replace(task, kind="inventory"))


def test_a_task_must_be_answered_by_choice_and_kind_must_be_known():
    doc = raw("dictator")
    doc["kind"] = "experiment"
    with pytest.raises(
        InstrumentError,
        match=r"dictator.yaml: field 'kind': must be inventory, task or game, not a string \('experiment'\)",
    ):
        parse_instrument(doc, "dictator.yaml")
    doc = yaml.safe_load((ROOT / "tests" / "fixtures" / "mini.yaml").read_text(encoding="utf-8"))
    doc["kind"] = "task"
    with pytest.raises(
        InstrumentError, match=r"field 'response_format.type': a task is answered by choosing"
    ):
        parse_instrument(doc, "mini.yaml")


# --------------------------------------------------------------------------------- scoring
def test_a_task_scores_with_the_ordinary_scorer_as_the_mean_behaviour_value():
    row = score("dictator", {"dg1": 0, "dg2": 20, "dg3": 50, "dg4": 80})
    assert row.loc[0, "generosity"] == pytest.approx(37.5)
    row = score("honesty", {"hn1": 1, "hn2": 0.5, "hn3": 0})  # hn4 unanswered: pro-rated over 3 of 4
    assert row.loc[0, "honesty"] == pytest.approx(0.5)
    # logprob mode's expected values lie between the options and score too
    assert score("risk", {"rk1": 2.5, "rk2": 0.25, "rk3": 4, "rk4": 0}).loc[
        0, "risk_taking"
    ] == pytest.approx(1.6875)
    with pytest.raises(ScoringError, match="dg1: value 100 .* outside the response scale 0..80"):
        score("dictator", {"dg1": 100})


# --------------------------------------------------------------------------------- administration
def test_the_plan_for_bfi44_and_a_task_with_the_default_personas_uses_likert_and_choice_templates():
    """`psychometry administer bfi44 dictator --personas default`: 60 personas x (44 items x 3 likert
    templates + 4 scenarios x 3 choice templates) x 2 orders."""
    jobs = build_plan([load_instrument("bfi44"), load_instrument("dictator")], personas="default")
    assert len(jobs) == 60 * (44 * 3 + 4 * 3) * 2
    task_jobs = [j for j in jobs if j.instrument.id == "dictator"]
    assert {j.template.response_type for j in task_jobs} == {"choice"}
    assert {j.persona.id for j in task_jobs} == {j.persona.id for j in jobs}
    first = next(j for j in task_jobs if j.order.name == "reversed")
    assert first.shown_values == (80.0, 50.0, 20.0, 0.0)
    assert "Give 8 dollars and keep 2." in first.prompt and first.item.text[:30] in first.prompt


def personas_file(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "people.yaml"
    path.write_text(
        yaml.safe_dump(
            {"personas": [{"id": f"q{i:02d}", "text": f"You are person number {i}."} for i in range(n)]}
        ),
        encoding="utf-8",
    )
    return path


def test_traits_and_a_task_are_administered_to_the_same_personas_and_regressed(tmp_path):
    out = tmp_path / "run.sqlite"
    res = psychometry.administer(
        Design(
            ["bfi44", "dictator"],
            templates="likert-plain,choice-plain",
            orders="original,reversed",
            personas=str(personas_file(tmp_path, 12)),
        ),
        model=FakeBackend(choice="hash"),
        out=out,
        progress=False,
    )
    assert res.planned == res.written == 12 * (44 + 4) * 2
    df = load_results(out)
    task_rows = df[df["instrument"] == "dictator"]
    assert set(task_rows["scale"]) == {"generosity"} and set(task_rows["value"]) <= {0.0, 20.0, 50.0, 80.0}
    # the same persona is a different `respondent` id in the two instruments (other template) ...
    assert not set(task_rows["respondent"]) & set(df.loc[df["instrument"] == "bfi44", "respondent"])
    # ... but one unit (model, persona, repeat) for the regression
    tb = trait_behaviour_scores(df, trait_instruments="bfi44", behaviour_instruments="dictator")
    traits, behaviour = tb.traits, tb.behaviour
    assert traits.shape == (12, 5) and list(behaviour.columns) == ["generosity"]
    assert (behaviour.attrs["conditions"]["generosity"] == 2).all()  # 1 template x 2 orders
    summary = res.summary()
    assert "dictator" in summary and "generosity" in summary
    fit = behaviour_regression(traits[["E", "A"]], behaviour=behaviour, cluster="persona")["generosity"]
    assert fit.n == 12 and fit.n_clusters == 12 and math.isfinite(fit.r_squared)


def test_the_cli_administers_a_questionnaire_and_a_task_in_one_run(tmp_path, monkeypatch, capsys):
    import psychometry.backends.llama as llama

    monkeypatch.setattr(llama, "LlamaCppBackend", lambda *a, **k: FakeBackend(choice="hash"))
    out = tmp_path / "run.sqlite"
    code = main(
        [
            "administer",
            "bfi44",
            "dictator",
            "--personas",
            str(personas_file(tmp_path, 2)),
            "--templates",
            "likert-plain,choice-plain",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "dictator" in printed and "generosity" in printed
    df = load_results(out)
    assert df.groupby("instrument").size().to_dict() == {"bfi44": 2 * 44 * 2, "dictator": 2 * 4 * 2}


def test_the_cli_lists_and_shows_tasks(capsys):
    assert main(["instruments", "list", "--kind", "task"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[1:]] == sorted(TASKS)
    assert all(line.split()[1] == "task" for line in lines[1:])
    assert main(["instruments", "show", "dictator", "--items"]) == 0
    shown = capsys.readouterr().out
    assert "behavioural task" in shown and "[80] Give 8 dollars and keep 2." in shown
