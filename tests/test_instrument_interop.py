"""Interop: ``psychometry instruments list | show | export | import``. Exports round-trip (json, yaml),
R's psych::scoreItems with the exported keys reproduces psychometry.score, the lm-eval task is one
multiple-choice doc per item, and the PsychoBench / TRAIT importers write files that validate."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from psychometry.cli import main
from psychometry.errors import InstrumentError
from psychometry.instrument import instrument_to_dict, load_instrument, parse_instrument
from psychometry.instrument.export import lm_eval_docs, to_lm_eval, to_psych_keys, to_yaml
from psychometry.instrument.importers import from_psychobench, from_trait
from psychometry.scoring import score

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHIPPED = ("bfi44", "ipip16pf", "ipip_neo120", "oejts", "sd3", "self_behaviour")
TASKS = (
    "cct",
    "cooperation",
    "dictator",
    "honesty",
    "lottery",
    "risk",
    "sycophancy",
)  # instruments/tasks/, kind: task
GAMES = ("ipd",)  # instruments/games/, kind: game


# ------------------------------------------------------------------------------------ list, show
def test_list_prints_id_name_item_and_scale_counts_and_licence(capsys):
    assert main(["instruments", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["id", "kind", "name", "items", "scales", "licence"]
    rows = {line.split()[0]: line for line in out[1:]}
    assert set(rows) == set(SHIPPED + TASKS + GAMES)
    assert all(rows[i].split()[1] == "inventory" for i in SHIPPED)
    assert all(rows[t].split()[1] == "task" for t in TASKS)
    assert all(rows[g].split()[1] == "game" for g in GAMES)
    assert (
        " 44 " in rows["bfi44"]
        and "Big Five Inventory" in rows["bfi44"]
        and "non-commercial" in rows["bfi44"]
    )
    assert " 163 " in rows["ipip16pf"] and " 16 " in rows["ipip16pf"]


def test_show_prints_scales_keys_dichotomies_and_norms(capsys):
    assert main(["instruments", "show", "oejts"]) == 0
    out = capsys.readouterr().out
    assert "32 items, 4 scales" in out
    assert "IE" in out and "5 reverse keyed" in out and "sum" in out
    assert "type letter: IE > 24 -> E, < 24 -> I" in out
    assert "norms:" in out


def test_show_items_of_a_users_file(capsys):
    assert main(["instruments", "show", str(FIXTURES / "mini_choice.yaml"), "--items"]) == 0
    out = capsys.readouterr().out
    assert "[2] Sign up at once." in out


# ------------------------------------------------------------------------------------- exports
def test_export_csv_has_one_row_per_item_with_keys(capsys):
    assert main(["instruments", "export", "bfi44", "--format", "csv"]) == 0
    from io import StringIO

    table = pd.read_csv(StringIO(capsys.readouterr().out))
    assert list(table.columns) == ["instrument", "item", "scale", "keyed", "text", "left", "right", "options"]
    assert len(table) == 44
    assert (table["keyed"] == -1).sum() == 16  # John & Srivastava (1999): 16 reverse-keyed BFI items
    assert table.set_index("item").loc["bfi6", "keyed"] == -1


@pytest.mark.parametrize("instrument_id", SHIPPED)
def test_export_json_round_trips_to_the_same_instrument(instrument_id, tmp_path):
    out = tmp_path / f"{instrument_id}.json"
    assert main(["instruments", "export", instrument_id, "--format", "json", "--out", str(out)]) == 0
    inst = load_instrument(instrument_id)
    assert parse_instrument(json.loads(out.read_text(encoding="utf-8"))) == inst
    assert load_instrument(out) == inst  # JSON is YAML: the loader reads it too


@pytest.mark.parametrize("instrument_id", SHIPPED)
def test_export_yaml_writes_a_file_that_loads_back_identical(instrument_id, tmp_path):
    inst = load_instrument(instrument_id)
    path = tmp_path / f"{instrument_id}.yaml"
    path.write_text(to_yaml(inst, header="copy"), encoding="utf-8")
    assert load_instrument(path) == inst


def test_the_json_export_is_valid_against_the_schema(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "instruments" / "schema.json").read_text(encoding="utf-8"))
    for iid in SHIPPED:
        jsonschema.validate(instrument_to_dict(load_instrument(iid)), schema)


def test_psych_keys_are_r_code_with_reverse_keys_prefixed_by_minus():
    code = to_psych_keys(load_instrument("bfi44"))
    # John & Srivastava (1999): E = 1 6R 11 16 21R 26 31R 36
    assert 'E = c("bfi1", "-bfi6", "bfi11", "bfi16", "-bfi21", "bfi26", "-bfi31", "bfi36")' in code
    assert code.count("keys <- list(") == 1
    assert "min = 1, max = 5" in code


@pytest.mark.r
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not on the PATH")
def test_r_psych_score_items_with_the_exported_keys_equals_psychometry_score(tmp_path):
    """psych::scoreItems(keys, data, min = 1, max = 5, impute = "none") (psych 2.2.9): item means
    (totals = FALSE) for bfi44 and item sums (totals = TRUE) for oejts equal psychometry.score."""
    if subprocess.run(["Rscript", "-e", "library(psych)"], capture_output=True, timeout=60).returncode:
        pytest.skip("R package psych is not installed")
    rng = np.random.default_rng(20240601)
    results = {}
    for iid, totals in (("bfi44", "FALSE"), ("oejts", "TRUE")):
        inst = load_instrument(iid)
        data = pd.DataFrame(rng.integers(1, 6, size=(30, len(inst.items))), columns=list(inst.item_ids))
        data.to_csv(tmp_path / f"{iid}.csv", index=False)
        assert (
            main(
                ["instruments", "export", iid, "--format", "psych-keys", "--out", str(tmp_path / f"{iid}.R")]
            )
            == 0
        )
        script = (
            f'suppressMessages(library(psych)); source("{tmp_path / iid}.R"); '
            f'd <- read.csv("{tmp_path / iid}.csv"); '
            f's <- suppressWarnings(scoreItems(keys, d, totals = {totals}, min = 1, max = 5, impute = "none"))$scores; '
            f'write.csv(s, "{tmp_path / iid}_r.csv", row.names = FALSE)'
        )
        run = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        r = pd.read_csv(tmp_path / f"{iid}_r.csv")
        ours = score(inst, data)[[s.id for s in inst.scales]]
        np.testing.assert_allclose(ours.to_numpy(), r[list(ours.columns)].to_numpy(), rtol=0, atol=1e-12)
        results[iid] = len(r)
    assert results == {"bfi44": 30, "oejts": 30}


def test_lm_eval_export_writes_a_multiple_choice_task_and_one_doc_per_item(tmp_path, capsys):
    out = tmp_path / "bfi44_task.yaml"
    assert main(["instruments", "export", "bfi44", "--format", "lm-eval", "--out", str(out)]) == 0
    task = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert task["task"] == "psychometry_bfi44"
    assert task["output_type"] == "multiple_choice"
    assert task["dataset_path"] == "json" and task["test_split"] == "test"
    assert (task["doc_to_text"], task["doc_to_choice"], task["doc_to_target"]) == (
        "{{query}}",
        "choices",
        "gold",
    )
    data = Path(task["dataset_kwargs"]["data_files"]["test"])
    assert data == (tmp_path / "bfi44_task.jsonl").resolve() and data.exists()
    docs = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
    assert len(docs) == 44
    by_item = {d["item"]: d for d in docs}
    assert by_item["bfi1"]["choices"][0] == "Disagree strongly" and len(by_item["bfi1"]["choices"]) == 5
    assert by_item["bfi1"]["gold"] == 4 and by_item["bfi6"]["gold"] == 0  # trait-high extreme after keying
    assert by_item["bfi1"]["query"].endswith("Statement: Is talkative.\nAnswer:")


def test_lm_eval_docs_for_bipolar_and_choice_items():
    q1 = lm_eval_docs(load_instrument("oejts"))[0]
    assert (
        q1["choices"] == ["1", "2", "3", "4", "5"] and "1 = makes lists; 5 = relies on memory" in q1["query"]
    )
    s2 = lm_eval_docs(load_instrument(FIXTURES / "mini_choice.yaml"))[1]
    assert (
        s2["choices"][2] == "Explore a new way." and s2["gold"] == 2
    )  # reverse keyed: value 0 scores highest


# lm-evaluation-harness (PyPI lm-eval, no torch needed to load tasks) is in the test extra; CI
# (PSYCHOMETRY_STRICT_TESTS=1) must run this test, a developer without lm-eval sees it skip.
LM_EVAL = "lm-eval>=0.4.13,<0.5"


def _lm_eval_or_skip() -> None:
    if importlib.util.find_spec("lm_eval") is None:
        msg = f"lm-evaluation-harness is not installed (pip install '{LM_EVAL}')"
        if os.environ.get("PSYCHOMETRY_STRICT_TESTS") == "1":
            pytest.fail(f"strict mode (PSYCHOMETRY_STRICT_TESTS=1): {msg}")
        pytest.skip(msg)


def test_lm_eval_loads_the_exported_tasks_with_its_own_task_loader(tmp_path, monkeypatch):
    """lm-eval's TaskManager (include_path = a folder of our exports) builds each task offline from the
    JSON-lines file beside it: one doc per item whose prompt, choices and target are ours, one
    loglikelihood request per option (the option after lm-eval's " " delimiter), and ``acc`` scoring
    the doc's gold (the trait-high extreme after keying) as its correct answer. Likert with anchors
    (bfi44), bipolar (oejts), choice items with a reverse key (mini_choice), yes/no (PsychoBench EPQ-R)."""
    _lm_eval_or_skip()
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    import datasets.config
    from lm_eval.tasks import TaskManager, get_task_dict

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf" / "datasets")
    tasks = tmp_path / "tasks"
    epqr = from_psychobench(FIXTURES / "psychobench_epqr_16p.json", name="EPQ-R", out=tmp_path / "epqr.yaml")
    instruments = {
        "bfi44": load_instrument("bfi44"),
        "oejts": load_instrument("oejts"),
        "mini_choice": load_instrument(FIXTURES / "mini_choice.yaml"),
        "epqr": epqr,
    }
    for name, inst in instruments.items():
        for path, text in to_lm_eval(inst, tasks / f"{name}.yaml").items():
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
    manager = TaskManager(include_path=str(tasks), include_defaults=False)
    names = {f"psychometry_{inst.id}": inst for inst in instruments.values()}
    assert set(names) <= set(manager.all_tasks)
    with warnings.catch_warnings():  # lm-eval 0.4.13 prefers TaskManager.load(), which 0.4.x before lacks
        warnings.simplefilter("ignore", DeprecationWarning)
        loaded = get_task_dict(sorted(names), task_manager=manager)
    assert set(loaded) == set(names)
    for name, inst in names.items():
        task, ours = loaded[name], lm_eval_docs(inst)
        assert task.OUTPUT_TYPE == "multiple_choice" and task.config.metadata["instrument"] == inst.id
        docs = list(task.test_docs())
        assert [d["item"] for d in docs] == list(inst.item_ids)
        for doc, mine in zip(docs, ours):
            assert task.doc_to_text(doc) == mine["query"]
            assert task.doc_to_choice(doc) == mine["choices"]
            assert task.doc_to_target(doc) == mine["gold"]
            k = len(mine["choices"])
            best_gold = [(0.0 if j == mine["gold"] else -1.0 - j, False) for j in range(k)]
            other = (mine["gold"] + 1) % k
            best_other = [(0.0 if j == other else -1.0 - j, False) for j in range(k)]
            assert task.process_results(doc, best_gold)["acc"] == 1.0
            assert task.process_results(doc, best_other)["acc"] == 0.0
        task.build_all_requests(limit=2, rank=0, world_size=1)
        requests = [(r.request_type, r.arguments) for r in task.instances]
        assert requests == [
            ("loglikelihood", (mine["query"], " " + choice))
            for mine in ours[:2]
            for choice in mine["choices"]
        ]
    by_item = {d["item"]: d for d in loaded["psychometry_epqr"].test_docs()}
    assert by_item["q1"]["choices"] == ["No", "Yes"] and by_item["q1"]["gold"] == 1
    assert by_item["q24"]["gold"] == 0  # reverse keyed on Extraversion: "No" is the trait-high answer
    assert "OEJTS" not in by_item["q1"]["query"]


def test_lm_eval_export_without_out_is_a_one_line_error(capsys):
    assert main(["instruments", "export", "bfi44", "--format", "lm-eval"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out" in err


# ------------------------------------------------------------------------------------- importers
def test_import_psychobench_needs_name_when_the_file_has_several_questionnaires(tmp_path, capsys):
    out = tmp_path / "mini_pb.yaml"
    args = [
        "instruments",
        "import",
        str(FIXTURES / "psychobench_mini.json"),
        "--from",
        "psychobench",
        "--out",
        str(out),
    ]
    assert main(args) == 1
    assert "choose one with --name (MINI, SUMMED)" in capsys.readouterr().err
    assert main(args + ["--name", "MINI"]) == 0
    inst = load_instrument(out)
    assert inst.id == "mini_pb"
    assert (
        inst.response_format.points == 7 and inst.response_format.min == 1
    )  # PsychoBench scale 8 = 7 points + 1
    assert [(s.id, s.items, s.reverse) for s in inst.scales] == [
        ("SocialEnergy", ("q1", "q2"), ("q2",)),
        ("Diligence", ("q3", "q4"), ("q4",)),
    ]
    assert [(n.scale, n.mean, n.sd, n.n) for n in inst.norms] == [
        ("SocialEnergy", 4.5, 1.2, 200),
        ("Diligence", 5.0, 0.9, 200),
    ]
    assert "left out: 5" in inst.description and "Workers" in inst.description
    # PsychoBench reverses as scale - x = 8 - x: q1 = 7, q2 = 1 -> (7 + 7) / 2 = 7
    assert score(inst, {"q1": 7, "q2": 1}).loc[0, "SocialEnergy"] == 7.0


def test_import_psychobench_sum_mode_gives_sum_scales(tmp_path):
    inst = from_psychobench(FIXTURES / "psychobench_mini.json", name="summed", out=tmp_path / "summed.yaml")
    assert inst.scale("Worry").scoring == "sum" and inst.response_format.points == 4
    assert inst.norms == ()


def test_import_psychobench_reproduces_the_bfi44_key(tmp_path):
    bfi = load_instrument("bfi44")
    number = {it.id: int(it.id[3:]) for it in bfi.items}
    entry = {  # the PsychoBench layout of the BFI (CUHK-ARISE/PsychoBench questionnaires.json)
        "name": "BFI",
        "questions": {str(number[i.id]): i.text for i in bfi.items},
        "scale": 6,
        "compute_mode": "AVG",
        "prompt": bfi.instructions,
        "reverse": [number[i.id] for i in bfi.items if i.keyed < 0],
        "categories": [
            {
                "cat_name": s.name,
                "cat_questions": [number[i] for i in s.items],
                "crowd": [{"crowd_name": "Crowd", "mean": n.mean, "std": n.sd, "n": n.n}],
            }
            for s, n in zip(bfi.scales, bfi.norms)
        ],
    }
    src = tmp_path / "bfi_psychobench.json"
    src.write_text(json.dumps(entry), encoding="utf-8")
    imported = from_psychobench(src, out=tmp_path / "bfi_pb.yaml", item_prefix="bfi")
    assert [(s.items, s.reverse) for s in imported.scales] == [(s.items, s.reverse) for s in bfi.scales]
    assert [(n.mean, n.sd, n.n) for n in imported.norms] == [(n.mean, n.sd, n.n) for n in bfi.norms]
    answers = {it.id: (k % 5) + 1 for k, it in enumerate(bfi.items)}
    np.testing.assert_array_equal(
        score(imported, answers).iloc[0, :5].to_numpy(), score(bfi, answers).iloc[0, :5].to_numpy()
    )


def test_import_trait_makes_choice_items_high_one_low_zero_in_traits_order(tmp_path, capsys):
    out = tmp_path / "trait_mini.yaml"
    assert (
        main(
            ["instruments", "import", str(FIXTURES / "trait_mini.json"), "--from", "trait", "--out", str(out)]
        )
        == 0
    )
    inst = load_instrument(out)
    assert inst.response_format.type == "choice" and inst.response_format.points == 4
    assert [s.id for s in inst.scales] == ["Openness", "Extraversion"]
    q1 = inst.item("q1")
    assert q1.text.startswith("A friend invites you") and q1.text.endswith("What do you do?")
    assert [o.value for o in q1.options] == [1, 0, 1, 0]  # TRAIT option order: high1, low1, high2, low2
    assert q1.options[1].text == "Stay home with a familiar film."
    out_scores = score(inst, {"q1": 1, "q2": 0, "q3": 1})
    assert out_scores.loc[0, "Openness"] == 0.5 and out_scores.loc[0, "Extraversion"] == 1.0


def test_import_trait_refuses_a_record_without_a_low_response_naming_item_and_field(tmp_path):
    records = json.loads((FIXTURES / "trait_mini.json").read_text(encoding="utf-8"))
    del records[1]["response_low2"]
    src = tmp_path / "broken.json"
    src.write_text(json.dumps(records), encoding="utf-8")
    with pytest.raises(InstrumentError) as info:
        from_trait(src, out=tmp_path / "broken.yaml")
    assert (info.value.item, info.value.field) == ("q2", "response_low2")


def test_import_of_a_file_that_is_not_json_is_a_one_line_error(tmp_path, capsys):
    src = tmp_path / "notjson.json"
    src.write_text("{not json", encoding="utf-8")
    assert (
        main(["instruments", "import", str(src), "--from", "trait", "--out", str(tmp_path / "x.yaml")]) == 1
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not JSON" in err


# PsychoBench's EPQ-R entry (CUHK-ARISE/PsychoBench questionnaires.json): 100 yes/no questions, scale 1
# (answers 1 = YES, 0 = NO; reversed as 1 - x), compute_mode SUM, the four categories with their keys and
# crowds as PsychoBench gives them; the item texts are placeholders. And its 16P entry: no categories.
EPQR_16P = FIXTURES / "psychobench_epqr_16p.json"


def test_import_psychobench_epqr_gives_yes_no_items_summed_as_psychobench_scores_them(tmp_path, capsys):
    out = tmp_path / "epqr.yaml"
    args = ["instruments", "import", str(EPQR_16P), "--from", "psychobench", "--out", str(out)]
    assert main(args + ["--name", "EPQ-R"]) == 0
    inst = load_instrument(out)
    rf = inst.response_format
    assert (rf.type, rf.points, rf.min, rf.anchors) == ("likert", 2, 0, ("No", "Yes"))
    assert [(s.id, s.scoring, len(s.items), len(s.reverse)) for s in inst.scales] == [
        ("Extraversion", "sum", 23, 3),
        ("Pschoticism", "sum", 32, 19),  # PsychoBench's spelling
        ("Neuroticism", "sum", 24, 0),
        ("Lying", "sum", 21, 15),
    ]
    assert len(inst.items) == 100 and sum(it.keyed < 0 for it in inst.items) == 37
    n = inst.norms[0]
    assert (n.scale, n.mean, n.sd, n.n) == ("Extraversion", 12.51, 6.0, 693)
    assert "Male" in n.population and "Extraversion: Female" in inst.description
    # the numeric reply coding is the values (Yes = 1, No = 0), not the instructions
    assert inst.instructions.startswith("Answer each question Yes or No. There are no right or wrong")
    assert "'1'" not in inst.instructions and "0 to 1" not in inst.instructions
    # scores equal PsychoBench's: per category, the sum of x (forward) or scale - x = 1 - x (reverse)
    entry = json.loads(EPQR_16P.read_text(encoding="utf-8"))[0]
    rng = np.random.default_rng(7)
    answers = pd.DataFrame(rng.integers(0, 2, size=(20, 100)), columns=[f"q{k}" for k in range(1, 101)])
    ours = score(inst, answers)
    reverse = set(entry["reverse"])
    for cat, scale in zip(entry["categories"], inst.scales):
        theirs = sum(
            (1 - answers[f"q{q}"]) if q in reverse else answers[f"q{q}"] for q in cat["cat_questions"]
        )
        np.testing.assert_array_equal(ours[scale.id].to_numpy(), theirs.to_numpy())


def test_import_psychobench_16p_is_refused_in_one_line_naming_what_is_missing(tmp_path, capsys):
    out = tmp_path / "p16.yaml"
    args = ["instruments", "import", str(EPQR_16P), "--from", "psychobench", "--out", str(out)]
    assert main(args + ["--name", "16P"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and not out.exists()
    assert "psychobench_epqr_16p.json: field 'categories': PsychoBench 16P has no categories" in err
    assert "item-to-dimension keys are not in questionnaires.json" in err and "OEJTS 1.2" in err


def test_import_psychobench_reads_older_files_crowd_sample_fields_and_category_compute_mode(tmp_path):
    entry = {  # the layout of questionnaires.json before PsychoBench renamed the crowd fields
        "name": "OLD",
        "questions": {"1": "I worry.", "2": "I am calm.", "3": "I talk."},
        "scale": 5,
        "reverse": [2],
        "categories": [
            {
                "cat_name": "Worry",
                "compute_mode": "SUM",
                "cat_questions": [1, 2],
                "crowd": [{"crowd_sample_mean": 4.9, "crowd_sample_sd": 0.7, "crowd_sample_num": 112}],
            },
            {"cat_name": "Talk", "cat_questions": [3], "crowd": [{"mean": 2.0, "std": 1.0}]},
        ],
    }
    src = tmp_path / "old.json"
    src.write_text(json.dumps(entry), encoding="utf-8")
    inst = from_psychobench(src, out=tmp_path / "old.yaml")
    assert [(s.id, s.scoring) for s in inst.scales] == [("Worry", "sum"), ("Talk", "mean")]
    assert [(n.mean, n.sd, n.n, n.population) for n in inst.norms] == [
        (4.9, 0.7, 112, "PsychoBench crowd"),
        (2.0, 1.0, None, "PsychoBench crowd"),
    ]
