"""Validation: every malformed instrument in tests/malformed/ is refused with one clear line that names
the file, the item and the field where they apply; never a traceback. The JSON Schema
(instruments/schema.json) accepts every shipped instrument and agrees with the Python validator on
the malformed corpus wherever a JSON Schema can express the rule.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from psychometry.cli import main
from psychometry.errors import InstrumentError
from psychometry.instrument import load_instrument, parse_instrument

ROOT = Path(__file__).resolve().parents[1]
MALFORMED = ROOT / "tests" / "malformed"
FIXTURES = ROOT / "tests" / "fixtures"
SHIPPED = sorted(p for p in (ROOT / "instruments").glob("*.yaml"))

# file -> (item named in the message or None, field named or None, words the message must contain,
#          what the JSON Schema says: True = refuses too, False = cannot express the rule (accepts),
#          None = not YAML data a schema could see)
CORPUS: dict[str, tuple[str | None, str | None, tuple[str, ...], bool | None]] = {
    "empty": (None, None, ("empty",), None),
    "syntax_error": (None, None, ("YAML syntax error", "line 21", "starts on line 20"), None),
    "python_object_tag": (None, None, ("line 4", "!!python/object/apply:os.system", "refused"), None),
    "not_utf8": (None, None, ("not UTF-8", "line 4"), None),
    "duplicate_yaml_key": (None, None, ("line 5", "duplicate key 'name'"), None),
    "top_level_list": (None, None, ("must be a mapping", "not a list"), True),
    "unknown_top_field": (None, "license", ("unknown field", "did you mean 'licence'"), True),
    "unknown_item_field": ("e3", "keyd", ("unknown field",), True),
    "unknown_scale_field": (None, "scales[C].weights", ("unknown field",), True),
    "unknown_response_format_field": (None, "response_format.maximum", ("unknown field",), True),
    "unknown_norm_field": (None, "norms[2].std", ("unknown field", "did you mean 'sd'"), True),
    "missing_citation": (None, "citation", ("required field missing",), True),
    "missing_item_text": ("c1", "text", ("required field missing",), True),
    "missing_points": (None, "response_format.points", ("required field missing",), True),
    "points_not_a_number": (None, "response_format.points", ("whole number", "'five'"), True),
    "version_not_a_string": (None, "version", ("must be a string", "quote it"), True),
    "keyed_invalid": ("e2", "keyed", ('"+" or "-"', "'R'"), True),
    "item_unknown_scale": ("c2", "scale", ("scale 'X'", "does not exist"), False),
    "item_in_no_scale": ("e4", "scale", ("belongs to no scale",), False),
    "scale_lists_missing_item": ("e9", "scales[E].items", ("does not exist",), False),
    "scale_item_other_scale": ("e4", "scale", ("scale C lists the item", "scale: E"), False),
    "duplicate_item_id": ("e3", "id", ("duplicate item id",), False),
    "duplicate_scale_id": (None, "scales[E].id", ("duplicate scale id",), False),
    "reverse_unknown_item": ("e7", "scales[E].reverse", ("does not exist",), False),
    "reverse_not_keyed_minus": ("e3", "scales[E].reverse", ('keyed "+"',), False),
    "keyed_minus_not_in_reverse": ("e2", "scales[E].reverse", ('keyed "-"', "missing from reverse"), False),
    "anchors_count": (None, "response_format.anchors", ("4 anchors", "5-point"), False),
    "bipolar_without_poles": ("q3", "right", ("bipolar item needs both poles",), True),
    "choice_without_options": ("s2", "options", ("choice item needs", "options"), True),
    "poles_on_likert_item": ("c1", "left", ("poles are for bipolar items",), True),
    "dichotomy_unknown_scale": (None, "dichotomies[2].scale", ("'SN'", "does not exist"), False),
    "bad_dichotomy_tie": (None, "dichotomies[2].tie", ("low, high or x",), True),
    "norm_unknown_scale": (None, "norms[2].scale", ("'N'", "does not exist"), False),
    "norm_negative_sd": (None, "norms[2].sd", ("must be positive", "-2"), True),
    "id_mismatch": (None, "id", ("does not match the file name", "id_mismatch.yaml"), False),
    "bad_format_version": (None, "format", ("unsupported format", "psychometry-instrument/1"), True),
    "bad_scoring": (None, "scales[E].scoring", ("mean or sum", "'median'"), True),
    "min_items_too_large": (None, "scales[C].min_items", ("at most 2",), False),
    "bad_kind": (None, "kind", ("inventory, task or game", "'survey'"), True),
    "task_not_choice": (None, "response_format.type", ("a task is answered by choosing", "not likert"), True),
}


def test_the_corpus_has_at_least_twenty_malformed_files_and_each_has_an_expectation():
    files = sorted(p.stem for p in MALFORMED.glob("*.yaml"))
    assert len(files) >= 20
    assert set(files) == set(CORPUS)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_malformed_file_is_refused_naming_file_item_and_field(name):
    item, field, words, _ = CORPUS[name]
    path = MALFORMED / f"{name}.yaml"
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    err, message = info.value, str(info.value)
    assert message.startswith(str(path))
    assert err.item == item
    assert err.field == field
    if item is not None:
        assert f"item {item}" in message
    if field is not None:
        assert f"field '{field}'" in message
    for w in words:
        assert w in message, (w, message)
    assert "\n" not in message


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_cli_validate_prints_one_line_and_exits_1_without_a_traceback(name, capsys):
    path = MALFORMED / f"{name}.yaml"
    assert main(["instruments", "validate", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith(f"psychometry: error: {path}")
    assert "Traceback" not in err


def test_cli_validate_as_a_subprocess_reports_every_bad_file_in_one_line_each():
    files = [str(MALFORMED / f"{n}.yaml") for n in sorted(CORPUS)] + [str(FIXTURES / "mini.yaml")]
    run = subprocess.run(
        [sys.executable, "-m", "psychometry", "instruments", "validate", *files],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == len(CORPUS)
    assert all(line.startswith("psychometry: error: ") for line in lines)
    assert run.stdout.startswith("ok: ") and "mini" in run.stdout


def test_cli_validate_a_good_file_exits_0_and_says_ok(capsys):
    assert main(["instruments", "validate", str(FIXTURES / "mini.yaml")]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("ok: ") and err == ""


def test_the_python_object_tag_is_refused_without_running_anything(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    doc = (MALFORMED / "python_object_tag.yaml").read_text(encoding="utf-8")
    doc = doc.replace('["echo pwned"]', f'["touch {marker}"]').replace("id: python_object_tag", "id: tagged")
    path = tmp_path / "tagged.yaml"
    path.write_text(doc, encoding="utf-8")
    with pytest.raises(InstrumentError, match="refused"):
        load_instrument(path)
    assert not marker.exists()


def test_a_document_checked_without_a_file_skips_only_the_file_name_rule():
    doc = yaml.safe_load((MALFORMED / "id_mismatch.yaml").read_text(encoding="utf-8"))
    assert parse_instrument(doc).id == "other_name"


def test_booleans_are_not_numbers():
    doc = yaml.safe_load((FIXTURES / "mini.yaml").read_text(encoding="utf-8"))
    doc["norms"][0]["sd"] = True
    with pytest.raises(InstrumentError, match=r"field 'norms\[1\]\.sd': must be a finite number"):
        parse_instrument(doc, "mini.yaml")


# ----------------------------------------------------------------------------------- JSON Schema
jsonschema = pytest.importorskip("jsonschema")


@pytest.fixture(scope="module")
def validator():
    schema = json.loads((ROOT / "instruments" / "schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_schema_documents_every_field(validator):
    schema = validator.schema
    objects = {"instrument": schema, **schema["$defs"]}  # the allOf conditionals only restate fields
    for name, node in objects.items():
        assert "description" in node, name
        for key, sub in node.get("properties", {}).items():
            assert "description" in sub or "$ref" in sub, f"{name}.{key} has no description"


@pytest.mark.parametrize("path", SHIPPED + sorted(FIXTURES.glob("*.yaml")), ids=lambda p: p.name)
def test_the_schema_accepts_every_shipped_instrument_and_fixture(validator, path):
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    errors = [e.message for e in validator.iter_errors(doc)]
    assert errors == []
    load_instrument(path)  # and so does the Python validator


@pytest.mark.parametrize("name", sorted(n for n, v in CORPUS.items() if v[3] is not None))
def test_schema_and_python_validator_agree_where_the_schema_can_express_the_rule(validator, name):
    doc = yaml.safe_load((MALFORMED / f"{name}.yaml").read_text(encoding="utf-8"))
    schema_refuses = not validator.is_valid(doc)
    # the Python validator refuses all of them (test above); the schema refuses exactly those marked True
    assert schema_refuses is CORPUS[name][3]


# ------------------------------------------------------------- every value in every place (fuzz)
ODD_VALUES = [None, 0, 1, -3, 2.5, True, "", "x", "-", [], {}, [1], ["e1"], {"a": 1}, [None], [{}]]


def _mutations():
    """Each fixture with one value anywhere in the document replaced by an odd value."""
    import copy

    def paths(node, pre=()):
        if pre:
            yield pre
        if isinstance(node, dict):
            for k, v in node.items():
                yield from paths(v, pre + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                yield from paths(v, pre + (i,))

    for name in ("mini", "mini_types", "mini_choice"):
        base = yaml.safe_load((FIXTURES / f"{name}.yaml").read_text(encoding="utf-8"))
        for path in paths(base):
            for value in ODD_VALUES:
                doc = copy.deepcopy(base)
                node = doc
                for key in path[:-1]:
                    node = node[key]
                node[path[-1]] = value
                yield name, path, value, doc


def test_no_value_anywhere_raises_anything_but_an_instrument_error_and_the_schema_is_never_stricter(
    validator,
):
    checked = 0
    for name, path, value, doc in _mutations():
        try:
            parse_instrument(doc, f"{name}.yaml")
            accepted = True
        except InstrumentError:
            accepted = False
        if accepted:  # what Python accepts, the schema accepts (the schema may only be more lenient)
            assert validator.is_valid(doc), (name, path, value)
        checked += 1
    assert checked > 3000
