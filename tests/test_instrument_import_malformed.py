"""Importers refuse malformed source files: every file in tests/malformed_imports/ (one broken field each,
named ``<source>_<what is wrong>.json``) is an InstrumentError whose one-line message names the file, the
field (and the item where one applies), and ``psychometry instruments import`` turns it into exit status 1
with that line and no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from psychometry.cli import main
from psychometry.errors import InstrumentError
from psychometry.instrument.importers import import_instrument

MALFORMED = Path(__file__).resolve().parent / "malformed_imports"

# file -> (item, field, what the message says)
EXPECTED: dict[str, tuple[str | None, str | None, str]] = {
    # PsychoBench questionnaires.json entries
    "psychobench_categories_of_numbers.json": (None, "categories[0]", "a category must be an object"),
    "psychobench_categories_a_number.json": (None, "categories", "must be a non-empty list of categories"),
    "psychobench_categories_empty.json": (
        None,
        "categories",
        "questionnaire MINI has no categories: PsychoBench gives no item-to-scale keys",
    ),
    "psychobench_16p_no_categories.json": (
        None,
        "categories",
        "PsychoBench 16P has no categories: the 16 types' item-to-dimension keys are not in "
        "questionnaires.json",
    ),
    "psychobench_category_compute_mode_a_number.json": (
        None,
        "categories[0].compute_mode",
        "category Social energy: must be AVG or SUM, not a number (5)",
    ),
    "psychobench_reverse_a_number.json": (
        None,
        "reverse",
        "must be a list of question numbers, not a number (5)",
    ),
    "psychobench_reverse_unknown_question.json": (
        None,
        "reverse",
        "reverse names question 9, which does not exist",
    ),
    "psychobench_crowd_without_mean.json": (
        None,
        "categories[0].crowd[0].mean",
        "required crowd field missing",
    ),
    "psychobench_crowd_std_zero.json": (None, "categories[0].crowd[0].std", "must be > 0, not 0"),
    "psychobench_crowd_sample_sd_zero.json": (  # older files' crowd field names
        None,
        "categories[0].crowd[0].crowd_sample_sd",
        "must be > 0, not 0",
    ),
    "psychobench_crowd_sample_without_mean.json": (
        None,
        "categories[0].crowd[0].mean",
        "required crowd field missing",
    ),
    "psychobench_crowd_n_text.json": (None, "categories[0].crowd[0].n", "must be a whole number"),
    "psychobench_crowd_not_an_object.json": (None, "categories[0].crowd[0]", "a crowd must be an object"),
    "psychobench_crowd_a_number.json": (None, "categories[0].crowd", "must be a list of crowds"),
    "psychobench_question_text_a_number.json": ("q2", "questions", "must be a string, not a number (5)"),
    "psychobench_questions_a_list.json": (None, "questions", "must map question numbers to texts"),
    "psychobench_question_number_with_space.json": (
        None,
        "questions",
        "does not make a valid item id 'q2 b'",
    ),
    "psychobench_questions_missing.json": (None, "questions", "required PsychoBench field missing"),
    "psychobench_scale_a_string.json": (None, "scale", "must be the number of points + 1"),
    "psychobench_scale_two.json": (
        None,
        "scale",
        "or 1 for yes/no questions answered 1 or 0, not a number (2)",
    ),
    "psychobench_compute_mode_a_number.json": (None, "compute_mode", "must be AVG or SUM"),
    "psychobench_prompt_an_object.json": (None, "prompt", "must be a string, not a mapping"),
    "psychobench_name_a_number.json": (None, "name", "must be a string, not a number (5)"),
    "psychobench_cat_name_missing.json": (None, "categories[0].cat_name", "required category field missing"),
    "psychobench_cat_questions_a_number.json": (
        None,
        "categories[0].cat_questions",
        "must be a list of question numbers",
    ),
    "psychobench_cat_questions_boolean_entry.json": (
        None,
        "categories[0].cat_questions[1]",
        "a question number is a whole number or a string, not a boolean",
    ),
    "psychobench_cat_questions_unknown_question.json": (
        None,
        "categories[0].cat_questions",
        "lists question 3, which does not exist",
    ),
    # TRAIT records
    "trait_record_not_an_object.json": ("q2", None, "record 2 must be a JSON object"),
    "trait_query_a_number.json": ("q2", "query", "must be a string, not a number (7)"),
    "trait_trait_missing.json": ("q2", "personality", "required TRAIT field missing"),
    "trait_trait_alias_empty.json": ("q2", "trait", "must not be empty"),
    "trait_situation_a_list.json": ("q1", "situation", "must be a string, not a list"),
    "trait_response_null.json": ("q2", "response_high2", "must be a string, not nothing (null)"),
    "trait_data_not_a_list.json": (None, "data", "expected a non-empty list of TRAIT records"),
}


def _source(name: str) -> str:
    return name.split("_", 1)[0]


def test_every_malformed_import_file_has_an_expectation_and_vice_versa():
    assert sorted(p.name for p in MALFORMED.glob("*.json")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_malformed_import_file_is_refused_naming_file_item_and_field(name, tmp_path):
    item, field, says = EXPECTED[name]
    with pytest.raises(InstrumentError) as info:
        import_instrument(MALFORMED / name, _source(name), out=tmp_path / "x.yaml")
    err = info.value
    message = str(err)
    assert (err.item, err.field) == (item, field)
    assert message.startswith(str(MALFORMED / name) + ": ")
    if field is not None:
        assert f"field '{field}'" in message
    assert says in message
    assert "\n" not in message


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_cli_import_of_a_malformed_file_exits_1_with_one_line_and_no_traceback(name, tmp_path, capsys):
    out = tmp_path / "x.yaml"
    args = ["instruments", "import", str(MALFORMED / name), "--from", _source(name), "--out", str(out)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert name in err
    assert not out.exists()


def test_an_item_prefix_that_makes_no_valid_item_id_is_refused_naming_the_source_file(tmp_path):
    src = tmp_path / "pb.json"
    src.write_text(
        '{"name": "X", "questions": {"1": "I talk."}, "scale": 6, "prompt": "Rate.",'
        ' "categories": [{"cat_name": "Talk", "cat_questions": [1]}]}',
        encoding="utf-8",
    )
    with pytest.raises(InstrumentError, match=r"pb\.json: field 'questions': .*valid item id '-1'"):
        import_instrument(src, "psychobench", out=tmp_path / "x.yaml", item_prefix="-")
    assert import_instrument(src, "psychobench", out=tmp_path / "x.yaml").item_ids == ("q1",)


def test_what_only_the_instrument_validator_catches_is_still_reported_against_the_source_file(tmp_path):
    from psychometry.instrument.importers import _parse_imported

    doc = {
        "format": "psychometry-instrument/1",
        "id": "x",
        "name": "X",
        "version": "1",
        "citation": "",
        "licence": "",
        "source_url": "",
        "instructions": "",
        "response_format": {"type": "likert", "points": 5},
        "scales": [{"id": "S", "name": "S", "items": ["q1"]}],
        "items": [{"id": "q1", "text": "I talk.", "scale": "S", "keyed": "R"}],
    }
    with pytest.raises(InstrumentError) as info:
        _parse_imported(doc, tmp_path / "x.yaml", tmp_path / "source.json")
    assert str(info.value).startswith(
        f"{tmp_path / 'source.json'}: the imported instrument would be invalid: item q1: field 'keyed'"
    )
