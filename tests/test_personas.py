"""Personas and trait shaping (psychometry.personas)."""

from __future__ import annotations

import pytest

from psychometry.personas import (
    LEVELS,
    TRAIT_MARKERS,
    Persona,
    PersonaError,
    load_persona_file,
    load_personas,
    parse_shape,
    shape_text,
)


def test_none_is_a_single_empty_persona_called_none():
    assert load_personas("none") == [Persona("none", "")]
    assert load_personas(None) == [Persona("none", "")]


def test_default_ships_at_least_50_distinct_second_person_personas():
    ps = load_personas("default")
    assert len(ps) >= 50
    assert len({p.id for p in ps}) == len(ps)
    assert len({p.text for p in ps}) == len(ps)
    assert all(p.text.startswith("You are ") for p in ps)
    assert all(len(p.text) < 200 for p in ps)  # short descriptions


def test_persona_file_as_list_of_records_strings_or_mapping(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text(
        "personas:\n  - id: nurse\n    text: You are a nurse.\n  - id: pilot\n    text: You are a pilot.\n"
    )
    b = tmp_path / "b.yaml"
    b.write_text("- You are a nurse.\n- You are a pilot.\n")
    c = tmp_path / "c.yaml"
    c.write_text("nurse: You are a nurse.\n")
    assert [p.id for p in load_personas(str(a))] == ["nurse", "pilot"]
    assert [p.id for p in load_personas(str(b))] == ["p01", "p02"]
    assert load_persona_file(c) == [Persona("nurse", "You are a nurse.")]


def test_bad_persona_files_name_the_file_and_the_entry(tmp_path):
    f = tmp_path / "dup.yaml"
    f.write_text("personas:\n  - {id: x, text: a}\n  - {id: x, text: b}\n")
    with pytest.raises(PersonaError, match=r"dup\.yaml: duplicate persona id\(s\): x"):
        load_persona_file(f)
    g = tmp_path / "empty.yaml"
    g.write_text("personas:\n  - {id: y, text: ''}\n")
    with pytest.raises(PersonaError, match=r"empty\.yaml: persona y: field 'text'"):
        load_persona_file(g)
    with pytest.raises(PersonaError, match="no such file"):
        load_personas(str(tmp_path / "missing.yaml"))


def test_nine_graded_levels_give_nine_different_texts_per_domain():
    # Serapio-Garcia et al. (2023), "Personality traits in large language models": 9 levels
    assert len(LEVELS) == 9
    for trait in TRAIT_MARKERS:
        texts = {shape_text({trait: lv}) for lv in range(1, 10)}
        assert len(texts) == 9


def test_shape_levels_use_low_markers_below_and_high_markers_above_neutral():
    assert shape_text({"extraversion": 1}).startswith("You are extremely quiet, extremely reserved")
    assert shape_text({"extraversion": 4}).startswith("You are a bit quiet")
    assert shape_text({"extraversion": 7}).startswith("You are talkative, outgoing")
    assert shape_text({"extraversion": 9}).startswith("You are extremely talkative")
    assert "neither particularly talkative nor particularly quiet" in shape_text({"extraversion": 5})


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("extraversion=high", {"extraversion": 7}),
        ("E=low", {"extraversion": 3}),
        ("neuroticism=neutral", {"neuroticism": 5}),
        ("openness=extremely-high", {"openness": 9}),
        ("agreeableness=a bit low", {"agreeableness": 4}),
        ("conscientiousness=2", {"conscientiousness": 2}),
    ],
)
def test_shape_accepts_domain_names_letters_level_names_and_numbers(spec, expected):
    assert parse_shape(spec) == [expected]


def test_shape_all_sweeps_the_nine_levels():
    assert [c["openness"] for c in parse_shape("openness=all")] == list(range(1, 10))


@pytest.mark.parametrize("bad", ["charisma=high", "extraversion=huge", "extraversion=10", "extraversion"])
def test_bad_shape_specs_are_refused(bad):
    with pytest.raises(PersonaError):
        parse_shape(bad)


def test_shaping_crosses_with_personas_and_appends_to_their_text(tmp_path):
    f = tmp_path / "p.yaml"
    f.write_text("- You are a nurse.\n- You are a pilot.\n")
    ps = load_personas(str(f), shape="extraversion=high")
    assert [p.id for p in ps] == ["p01+extraversion=high", "p02+extraversion=high"]
    assert ps[0].text.startswith("You are a nurse. You are talkative")
    assert [p.id for p in load_personas("none", shape="E=very_low")] == ["extraversion=very_low"]


def test_a_persona_file_that_is_not_utf8_or_builds_objects_is_one_line_error(tmp_path):
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("personas:\n  - {id: a, text: caf\u00e9}\n".encode("latin-1"))
    with pytest.raises(
        PersonaError, match=r"latin1\.yaml: the file is not UTF-8 text \(byte 0xe9 on line 2\)"
    ):
        load_persona_file(latin1)
    tagged = tmp_path / "tagged.yaml"
    tagged.write_text("personas: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(PersonaError, match=r"tagged\.yaml: .*persona files are plain data"):
        load_persona_file(tagged)
