"""Prompt templates (psychometry.templates): shipped set, rendering, answer cue, user files."""

from __future__ import annotations

import re

import pytest

from psychometry.instrument import load_instrument
from psychometry.instrument.model import Instrument, Item, Option, ResponseFormat, Scale
from psychometry.orders import expand_orders
from psychometry.templates import (
    Template,
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
    return Instrument(
        "toy",
        "Toy",
        "1",
        "c",
        "l",
        "u",
        "Describe yourself honestly.",
        rf,
        (Scale("E", "E", ("q1",)), Scale("N", "N", ("q2",), ("q2",))),
        items,
    )


def bipolar() -> Instrument:
    rf = ResponseFormat("bipolar", 5, 1)
    items = (Item("b1", "", "JP", left="makes lists", right="relies on memory"),)
    return Instrument(
        "bip",
        "Bip",
        "1",
        "c",
        "l",
        "u",
        "Place yourself on each scale.",
        rf,
        (Scale("JP", "JP", ("b1",)),),
        items,
    )


def choice() -> Instrument:
    rf = ResponseFormat("choice", 3, 1)
    opts = (Option("Stay home", 1), Option("Call a friend", 2), Option("Throw a party", 3))
    items = (Item("c1", "A free Saturday evening.", "E", options=opts),)
    return Instrument(
        "cho", "Cho", "1", "c", "l", "u", "Choose what you would do.", rf, (Scale("E", "E", ("c1",)),), items
    )


def test_at_least_three_shipped_templates_per_response_format():
    by_type: dict[str, list[str]] = {}
    for t in shipped_templates():
        by_type.setdefault(t.response_type, []).append(t.id)
    assert set(by_type) == {"likert", "bipolar", "choice", "number"}
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
    assert (
        a.index("Describe yourself honestly.") < a.index("5. Agree strongly") < a.index("life of the party")
    )


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


# ------------------------------------------------------------------ bipolar items under every order
BIPOLAR_TEMPLATES = ("bipolar-plain", "bipolar-scale", "bipolar-interview")
MIDDLE = "in between the two"


def _shown_left(user: str) -> str:
    return user.split("Left: ", 1)[1].split("\n", 1)[0]


def _explained_labels(user: str) -> dict[str, str]:
    """``{label: meaning}`` from the guide sentence ``1 means "x" fits you, ... and 3 means you are in between.``"""
    found = re.findall(
        r'(?:^|, |and |\? )(\S+) means (?:"([^"]+)" fits you|(you are in between))', user, re.M
    )
    return {label: (f'"{pole}"' if pole else MIDDLE) for label, pole, _ in found}


def test_bipolar_left_pole_is_the_one_the_first_shown_option_is_nearest_to_under_every_order():
    inst = bipolar()
    t = next(t for t in shipped_templates() if t.id == "bipolar-plain")
    for order in expand_orders("all", 5):  # all 120 permutations of a 5-point scale (values 1..5, middle 3)
        r = render_item(t, inst, inst.items[0], order)
        first, last = r.shown_values[0], r.shown_values[-1]
        nearest_first = "makes lists" if first < 3 else "relies on memory" if first > 3 else None
        nearest_last = "makes lists" if last < 3 else "relies on memory"
        expected_left = nearest_first or ({"makes lists", "relies on memory"} - {nearest_last}).pop()
        assert _shown_left(r.user) == expected_left, (order.name, r.shown_values)


def test_rotate1_prints_the_pole_its_first_option_leans_to_on_the_left():
    inst = bipolar()
    t = next(t for t in shipped_templates() if t.id == "bipolar-plain")
    r = render_item(t, inst, inst.items[0], expand_orders("rotate", 5)[1])
    assert r.shown_values == (2, 3, 4, 5, 1)
    assert "Left: makes lists\nRight: relies on memory" in r.user
    assert '1. closer to "makes lists"' in r.user and '5. "makes lists"' in r.user


@pytest.mark.parametrize(
    "labels, first, middle, last", [("digits", "1", "3", "5"), ("letters", "A", "C", "E")]
)
def test_bipolar_guide_says_what_the_first_middle_and_last_shown_labels_mean(labels, first, middle, last):
    inst = bipolar()
    t = next(t for t in shipped_templates() if t.id == "bipolar-plain")
    orig, rev = expand_orders("original,reversed", 5)
    a = render_item(t, inst, inst.items[0], orig, label_style=labels).user
    b = render_item(t, inst, inst.items[0], rev, label_style=labels).user
    assert (
        f'{first} means "makes lists" fits you, {last} means "relies on memory" fits you, and {middle} means '
        "you are in between."
    ) in a
    assert (
        f'{first} means "relies on memory" fits you, {last} means "makes lists" fits you, and {middle} means '
        "you are in between."
    ) in b


def test_bipolar_guide_names_no_label_and_no_side_when_the_options_do_not_run_from_pole_to_pole():
    inst = bipolar()
    t = next(t for t in shipped_templates() if t.id == "bipolar-plain")
    for order in expand_orders("rotate", 5)[1:]:
        user = render_item(t, inst, inst.items[0], order).user
        assert (
            "Each option says which description fits you, how close to it you are, or that you are in between."
            in user
        )
        assert " means " not in user, order.name


def test_with_the_option_texts_as_labels_the_bipolar_guide_names_no_label():
    inst = bipolar()
    t = next(t for t in shipped_templates() if t.id == "bipolar-plain")
    user = render_item(t, inst, inst.items[0], expand_orders("original", 5)[0], label_style="anchors").user
    assert " means " not in user and "Each option says which description fits you" in user
    assert '- "makes lists"\n- closer to "makes lists"' in user


def test_an_even_bipolar_scale_has_no_middle_option_and_the_guide_names_none():
    rf = ResponseFormat("bipolar", 4, 1)
    inst = Instrument(
        "bip4",
        "Bip4",
        "1",
        "c",
        "l",
        "u",
        "Place yourself.",
        rf,
        (Scale("JP", "JP", ("b1",)),),
        (Item("b1", "", "JP", left="makes lists", right="relies on memory"),),
    )
    t = next(t for t in shipped_templates() if t.id == "bipolar-plain")
    orig, _rot = expand_orders("original,rotate", 4)[:2]
    assert (
        '1 means "makes lists" fits you and 4 means "relies on memory" fits you.'
        in render_item(t, inst, inst.items[0], orig).user
    )
    rotated = render_item(t, inst, inst.items[0], expand_orders("rotate", 4)[1]).user
    assert "Each option says which description fits you or how close to it you are." in rotated
    assert MIDDLE not in rotated


@pytest.mark.parametrize("template_id", BIPOLAR_TEMPLATES)
@pytest.mark.parametrize("labels", ["digits", "letters", "anchors"])
def test_every_oejts_prompt_is_self_consistent_under_every_order_and_label_style(template_id, labels):
    """Whatever the order (120 permutations of 5 options, rotations and reversal among them), every label
    the prompt explains means what its option says, and nothing claims that a number is a side."""
    oejts = load_instrument("oejts")
    t = next(t for t in shipped_templates() if t.id == template_id)
    for item in oejts.items[:4]:
        for order in expand_orders("all", 5):
            r = render_item(t, oejts, item, order, label_style=labels)
            explained = _explained_labels(r.user)
            monotone = list(r.shown_values) in (sorted(r.shown_values), sorted(r.shown_values, reverse=True))
            assert bool(explained) == (monotone and labels != "anchors"), (order.name, r.user)
            option = dict(zip(r.labels, r.shown_texts))
            for label, meaning in explained.items():
                assert option[label] == meaning, (order.name, label, r.user)
            assert not re.search(
                r"\b(left|right)\b",
                r.user.replace(item.left, "")
                .replace(item.right, "")
                .replace("Left:", "")
                .replace("Right:", ""),
            ), (order.name, r.user)


def test_oejts_instructions_describe_the_task_without_saying_which_number_is_which_side():
    oejts = load_instrument("oejts")
    assert "between the two descriptions" in oejts.instructions
    assert not re.search(r"\d means|\bleft\b|\bright\b", oejts.instructions)


def test_bipolar_anchors_of_the_response_format_are_never_shown_in_a_prompt():
    oejts = load_instrument("oejts")
    assert (
        oejts.response_format.anchors[0] == "left description"
    )  # descriptive only (docs/instrument-format.md)
    for t in (t for t in shipped_templates() if t.response_type == "bipolar"):
        for labels in ("digits", "letters", "anchors"):
            for order in expand_orders("original,reversed,rotate", 5):
                r = render_item(t, oejts, oejts.items[0], order, label_style=labels)
                assert not set(r.shown_texts) & set(oejts.response_format.anchors)
                for side_anchor in (
                    "left description",
                    "closer to left",
                    "closer to right",
                    "right description",
                ):
                    assert side_anchor not in r.user, (t.id, labels, order.name)


def test_the_guide_placeholder_is_empty_outside_bipolar_items():
    inst = likert()
    t = Template("g", "likert", "{instructions}|{guide}|{options}\n{item}\nAnswer:")
    assert render_item(t, inst, inst.items[0], expand_orders("original", 5)[0]).user.startswith(
        "Describe yourself honestly.||1. Disagree strongly"
    )


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
    assert (
        render_item(t, inst, inst.items[0], order, persona_text="You are a pilot.").system
        == "You are a pilot."
    )


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
    f.write_text(
        "response_type: likert\ntemplates:\n  - id: t1\n    user: '{instructions} {options} {item} {itme}'\n"
    )
    with pytest.raises(
        TemplateError, match=r"bad\.yaml: template t1: field 'user': unknown placeholder.*\{itme\}"
    ):
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


def test_a_template_file_that_is_not_utf8_is_one_line_error(tmp_path):
    f = tmp_path / "latin1.yaml"
    f.write_bytes(
        "response_type: likert\ntemplates:\n  - id: t1\n    user: '{item} caf\u00e9'\n".encode("latin-1")
    )
    with pytest.raises(
        TemplateError, match=r"latin1\.yaml: the file is not UTF-8 text \(byte 0xe9 on line 4\)"
    ):
        load_template_file(f)
