"""Prompt templates (psychometry.templates): shipped set, rendering, answer cue, user files."""
from __future__ import annotations

import pytest

from psychometry.instrument.model import Instrument, Item, Option, ResponseFormat, Scale
from psychometry.orders import expand_orders
from psychometry.templates import (
    TemplateError,
    load_template_file,
    load_templates,
    render_item,
    shipped_templates,
)

ANCHORS = ("Disagree strongly", "Disagree", "Neutral", "Agree", "Agree strongly")


def likert() -> Instrument:
    rf = ResponseFormat("likert", 5, 1, ANCHORS)
    items = (Item("q1", "I am the life of the party.", "E"), Item("q2", "I worry a lot.", "N", -1))
    return Instrument("toy", "Toy", "1", "c", "l", "u", "Describe yourself honestly.", rf,
                      (Scale("E", "E", ("q1",)), Scale("N", "N", ("q2",), ("q2",))), items)


def bipolar() -> Instrument:
    rf = ResponseFormat("bipolar", 5, 1)
    items = (Item("b1", "", "JP", left="makes lists", right="relies on memory"),)
    return Instrument("bip", "Bip", "1", "c", "l", "u", "Place yourself on each scale.", rf,
                      (Scale("JP", "JP", ("b1",)),), items)


def choice() -> Instrument:
    rf = ResponseFormat("choice", 3, 1)
    opts = (Option("Stay home", 1), Option("Call a friend", 2), Option("Throw a party", 3))
    items = (Item("c1", "A free Saturday evening.", "E", options=opts),)
    return Instrument("cho", "Cho", "1", "c", "l", "u", "Choose what you would do.", rf,
                      (Scale("E", "E", ("c1",)),), items)


def test_at_least_three_shipped_templates_per_response_format():
    by_type: dict[str, list[str]] = {}
    for t in shipped_templates():
        by_type.setdefault(t.response_type, []).append(t.id)
    assert set(by_type) == {"likert", "bipolar", "choice"}
    assert all(len(ids) >= 3 for ids in by_type.values()), by_type


@pytest.mark.parametrize("inst_fn", [likert, bipolar, choice])
def test_every_shipped_prompt_ends_with_the_answer_cue_and_no_trailing_space(inst_fn):
    inst = inst_fn()
    for t in (t for t in shipped_templates() if t.response_type == inst.response_format.type):
        k = len(inst.items[0].options) or inst.response_format.points
        for order in expand_orders("original,reversed", k):
            r = render_item(t, inst, inst.items[0], order)
            assert r.user.endswith(":"), (t.id, r.user[-30:])
            assert r.user == r.user.rstrip()


def test_likert_prompt_puts_shared_text_first_and_the_item_last():
    inst = likert()
    t = next(t for t in shipped_templates() if t.id == "likert-plain")
    order = expand_orders("original", 5)[0]
    a = render_item(t, inst, inst.items[0], order).user
    b = render_item(t, inst, inst.items[1], order).user
    common = 0
    while a[common] == b[common]:
        common += 1
    # everything up to the item text is shared: instructions and options come first
    assert a[:common].startswith(a[: a.index("Statement:") + len("Statement:")])
    assert a.index("Describe yourself honestly.") < a.index("5. Agree strongly") < a.index("life of the party")


def test_options_are_listed_in_the_shown_order_with_their_labels():
    inst = likert()
    t = next(t for t in shipped_templates() if t.id == "likert-plain")
    rev = expand_orders("reversed", 5)[0]
    r = render_item(t, inst, inst.items[0], rev)
    assert "1. Agree strongly\n2. Agree\n3. Neutral\n4. Disagree\n5. Disagree strongly" in r.user
    assert r.labels == ("1", "2", "3", "4", "5")
    assert r.shown_values == (5, 4, 3, 2, 1)


def test_anchor_labels_are_the_option_texts():
    inst = likert()
    t = next(t for t in shipped_templates() if t.id == "likert-plain")
    r = render_item(t, inst, inst.items[0], expand_orders("original", 5)[0], label_style="anchors")
    assert r.labels == ANCHORS
    assert "- Disagree strongly\n- Disagree" in r.user


def test_bipolar_poles_swap_when_the_order_is_reversed():
    inst = bipolar()
    t = next(t for t in shipped_templates() if t.id == "bipolar-plain")
    orig, rev = expand_orders("original,reversed", 5)
    a = render_item(t, inst, inst.items[0], orig)
    b = render_item(t, inst, inst.items[0], rev)
    assert "Left: makes lists\nRight: relies on memory" in a.user
    assert "Left: relies on memory\nRight: makes lists" in b.user
    # the first shown option is always the pole printed on the left
    assert a.shown_texts[0] == '"makes lists"' and b.shown_texts[0] == '"relies on memory"'
    assert b.shown_values == (5, 4, 3, 2, 1)


def test_choice_items_show_their_own_options():
    inst = choice()
    t = next(t for t in shipped_templates() if t.id == "choice-plain")
    r = render_item(t, inst, inst.items[0], expand_orders("reversed", 3)[0], label_style="letters")
    assert "A. Throw a party\nB. Call a friend\nC. Stay home" in r.user
    assert r.shown_values == (3, 2, 1)


def test_persona_text_goes_to_the_system_slot_and_is_none_without_persona():
    inst = likert()
    t = next(t for t in shipped_templates() if t.id == "likert-plain")
    order = expand_orders("original", 5)[0]
    assert render_item(t, inst, inst.items[0], order).system is None
    assert render_item(t, inst, inst.items[0], order, persona_text="You are a pilot.").system == "You are a pilot."


def test_templates_spec_accepts_all_ids_and_user_files(tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text(
        "format: psychometry-templates/1\nresponse_type: likert\ntemplates:\n"
        "  - id: my-likert\n    user: |-\n      {instructions}\n      {options}\n      {item}\n      A:\n"
    )
    assert {t.id for t in load_templates("all")} >= {"likert-plain", "bipolar-plain", "choice-plain"}
    assert [t.id for t in load_templates("likert-plain,likert-survey")] == ["likert-plain", "likert-survey"]
    assert [t.id for t in load_templates(str(f))] == ["my-likert"]
    assert [t.id for t in load_templates(f"{f},my-likert,likert-plain")] == ["my-likert", "likert-plain"]


def test_unknown_template_id_lists_the_known_ones():
    with pytest.raises(TemplateError, match="unknown template 'nope'.*likert-plain"):
        load_templates("nope")


def test_unknown_placeholder_error_names_file_template_and_field(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("response_type: likert\ntemplates:\n  - id: t1\n    user: '{instructions} {options} {item} {itme}'\n")
    with pytest.raises(TemplateError, match=r"bad\.yaml: template t1: field 'user': unknown placeholder.*\{itme\}"):
        load_template_file(f)


def test_template_without_item_placeholder_is_refused(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("response_type: likert\ntemplates:\n  - id: t1\n    user: '{options} Answer:'\n")
    with pytest.raises(TemplateError, match=r"needs the \{item\} placeholder"):
        load_template_file(f)


def test_template_hash_changes_with_the_text():
    t = shipped_templates()[0]
    from dataclasses import replace

    assert replace(t, user=t.user + " ").text_hash != t.text_hash
