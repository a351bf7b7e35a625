"""The administration plan (psychometry.plan): size, order of jobs, deterministic ids."""

from __future__ import annotations

import itertools
import os

import pytest

from psychometry.instrument.model import Instrument, Item, Option, ResponseFormat, Scale
from psychometry.plan import (
    FixedPrompt,
    PlanError,
    Turn,
    build_plan,
    episodes,
    format_jobs,
    instrument_hash,
    job_seed,
    order_notes,
    plain_format,
    respondent_tag,
    response_id,
)

ANCHORS = ("Disagree strongly", "Disagree", "Neutral", "Agree", "Agree strongly")


def likert(n_items: int = 6, iid: str = "toy") -> Instrument:
    rf = ResponseFormat("likert", 5, 1, ANCHORS)
    items = tuple(
        Item(f"q{i}", f"Statement number {i}.", "E" if i % 2 else "N", -1 if i % 3 == 0 else 1)
        for i in range(1, n_items + 1)
    )
    scales = (
        Scale("E", "E", tuple(i.id for i in items if i.scale == "E")),
        Scale("N", "N", tuple(i.id for i in items if i.scale == "N")),
    )
    return Instrument(iid, iid, "1", "c", "l", "u", "Describe yourself honestly.", rf, scales, items)


def choice() -> Instrument:
    rf = ResponseFormat("choice", 3, 1)
    o3 = (Option("a", 1), Option("b", 2), Option("c", 3))
    o4 = o3 + (Option("d", 4),)
    items = (Item("c1", "Situation one.", "E", options=o3), Item("c2", "Situation two.", "E", options=o4))
    return Instrument(
        "cho", "Cho", "1", "c", "l", "u", "Choose.", rf, (Scale("E", "E", ("c1", "c2")),), items
    )


@pytest.mark.parametrize(
    "templates, n_t", [("all", 3), ("likert-plain", 1), ("likert-plain,likert-survey", 2)]
)
@pytest.mark.parametrize(
    "orders, n_o", [("original", 1), ("original,reversed", 2), ("rotate", 5), ("random:3", 3)]
)
@pytest.mark.parametrize("repeats", [1, 2])
def test_plan_size_is_items_x_templates_x_orders_x_personas_x_repeats(
    templates, n_t, orders, n_o, repeats, tmp_path
):
    pf = tmp_path / "p.yaml"
    pf.write_text("- You are a nurse.\n- You are a pilot.\n- You are a poet.\n")
    inst = likert(6)
    assert (
        len(build_plan([inst], templates=templates, orders=orders, repeats=repeats))
        == 6 * n_t * n_o * repeats
    )
    jobs = build_plan([inst], templates=templates, orders=orders, personas=str(pf), repeats=repeats)
    assert len(jobs) == 6 * n_t * n_o * 3 * repeats


def test_plan_size_adds_up_over_instruments_and_shaping_conditions():
    jobs = build_plan([likert(6), likert(4, "other")], orders="original,reversed", shape="openness=all")
    assert len(jobs) == (6 + 4) * 3 * 2 * 9


def test_every_rotation_is_administered_to_every_item_when_option_counts_differ():
    jobs = build_plan([choice()], templates="all", orders="rotate")
    # c1 has 3 options, c2 has 4: rotate0..rotate3 apply to both items (c1 shifts by s mod 3), so
    # each respondent answers both items: 2 items x 4 rotations x 3 choice templates
    assert len(jobs) == 2 * 4 * 3
    by_order = {}
    for j in jobs:
        by_order.setdefault((j.template.id, j.order.name), []).append(j.item.id)
    assert all(items == ["c1", "c2"] for items in by_order.values())
    c1 = {j.order.name: j.order.perm for j in jobs if j.item.id == "c1"}
    assert c1 == {"rotate0": (0, 1, 2), "rotate1": (1, 2, 0), "rotate2": (2, 0, 1), "rotate3": (0, 1, 2)}


def test_jobs_run_persona_then_repeat_template_order_and_items_innermost():
    jobs = build_plan([likert(3)], orders="original,reversed", repeats=2, shape="E=all")
    keys = [(j.persona.id, j.repeat, j.template.id, j.order.name) for j in jobs]
    # each (persona, repeat, template, order) block is contiguous and holds every item in order
    blocks = [keys[i] for i in range(0, len(keys), 3)]
    assert len(set(blocks)) == len(blocks)
    assert all(keys[i : i + 3] == [keys[i]] * 3 for i in range(0, len(keys), 3))
    assert [j.item.id for j in jobs[:3]] == ["q1", "q2", "q3"]


def test_consecutive_prompts_share_everything_before_the_item_text():
    jobs = build_plan([likert(4)], templates="likert-plain", orders="original")
    for a, b in itertools.pairwise(jobs):
        shared = os.path.commonprefix([a.prompt, b.prompt])  # noqa: RUF071
        assert len(a.prompt) - len(shared) <= len(a.item.text) + len("\nAnswer:")


def test_no_template_for_the_response_type_is_a_clear_error():
    with pytest.raises(PlanError, match="cho: no prompt template for response type 'choice'"):
        build_plan([choice()], templates="likert-plain")


def test_response_ids_are_deterministic_and_distinct():
    kw = dict(model_key="sha", mode="logprob", label_style="digits", seed=0)
    a = build_plan([likert(4)], orders="original,reversed", repeats=2)
    b = build_plan([likert(4)], orders="original,reversed", repeats=2)
    ids_a = [response_id(j, **kw) for j in a]
    assert ids_a == [response_id(j, **kw) for j in b]
    assert len(set(ids_a)) == len(ids_a)
    # anything that defines the response changes the id
    j = a[0]
    assert response_id(j, **{**kw, "model_key": "other"}) != ids_a[0]
    assert response_id(j, **{**kw, "mode": "generate"}) != ids_a[0]
    assert response_id(j, **{**kw, "seed": 1}) != ids_a[0]
    assert response_id(j, **kw, generation={"temperature": 0.7}) != ids_a[0]


def test_instrument_hash_tracks_content_not_the_file_path():
    from dataclasses import replace
    from pathlib import Path

    inst = likert(3)
    assert instrument_hash(replace(inst, path=Path("/somewhere.yaml"))) == instrument_hash(inst)
    assert instrument_hash(replace(inst, instructions="Other.")) != instrument_hash(inst)


def test_repeats_get_distinct_sampling_seeds():
    jobs = build_plan([likert(1)], templates="likert-plain", orders="original", repeats=5)
    seeds = {job_seed(0, j) for j in jobs}
    assert len(seeds) == 5
    assert {job_seed(0, j) for j in jobs} == seeds  # reproducible


def test_respondent_ids_are_model_persona_template_order_repeat_and_a_settings_tag():
    job = build_plan([likert(2)], templates="likert-plain", orders="reversed")[0]
    assert job.respondent("gemma") == "gemma/none/likert-plain/reversed/0"  # files of psychometry-store/1
    assert job.respondent("gemma", "0a1b2c3d") == "gemma/none/likert-plain/reversed/0/0a1b2c3d"


def test_the_respondent_tag_changes_with_every_setting_that_changes_answers_but_not_with_the_item():
    from dataclasses import replace

    kw = dict(model_key="sha", mode="logprob", label_style="digits", seed=0, generation={}, chat="none")
    jobs = build_plan([likert(2), likert(2, "other")], templates="likert-plain", orders="original")
    tag = respondent_tag(jobs[0], **kw)
    assert len(tag) == 8 and int(tag, 16) >= 0
    # one respondent answers every item of every instrument of a run under one id
    assert {respondent_tag(j, **kw) for j in jobs} == {tag}
    for change in (
        {"model_key": "other"},
        {"mode": "generate"},
        {"label_style": "letters"},
        {"seed": 1},
        {"generation": {"temperature": 0.7}},
        {"chat": "model"},
    ):
        assert respondent_tag(jobs[0], **{**kw, **change}) != tag, change
    # persona and template texts (their ids are in the respondent id already)
    j = jobs[0]
    assert respondent_tag(replace(j, persona=replace(j.persona, text="You are a pilot.")), **kw) != tag
    assert respondent_tag(replace(j, template=replace(j.template, user=j.template.user + " ")), **kw) != tag


def test_order_notes_name_each_instrument_s_dropped_conditions_and_why():
    # rotate0 shows both choice items (3 and 4 options) in the original order: a copy
    assert order_notes([choice()], "original,rotate") == [
        "cho: rotate0 shows every item in the same order as original (a copy of that respondent); "
        "not administered",
    ]
    assert order_notes([likert(3)], "original,reversed,all") == [
        "toy: perm0 shows every item in the same order as original, perm119 shows every item in the same "
        "order as reversed (copies of those respondents); not administered",
    ]
    assert order_notes([likert(3)], "original,reversed") == []
    # rotate3 repeats original on c1 only: a partial duplicate is administered and not noted
    assert order_notes([choice()], "original,reversed,rotate") == [
        "cho: rotate0 shows every item in the same order as original (a copy of that respondent); "
        "not administered",
    ]
    jobs = build_plan([likert(3)], orders="original,rotate", templates="likert-plain")
    assert len(jobs) == 3 * 5  # original + rotate1..rotate4


def test_jobs_of_one_order_condition_are_contiguous_and_hold_every_item_with_mixed_option_counts():
    jobs = build_plan([choice()], templates="choice-plain", orders="original,reversed,random:4")
    names = [j.order.name for j in jobs]
    assert names == [
        n for n in ("original", "reversed", "random0", "random1", "random2", "random3") for _ in range(2)
    ]
    assert [j.item.id for j in jobs] == ["c1", "c2"] * 6


def test_a_job_keeps_its_conversation_and_the_backend_formats_it_into_the_same_prompt():
    from psychometry.backends import FakeBackend
    from psychometry.backends.base import format_messages

    be = FakeBackend()
    kw = {"templates": "likert-plain", "orders": "original", "personas": "default"}
    jobs = build_plan([likert(2)], **kw)[:4]
    direct = build_plan([likert(2)], **kw, format_chat=be.format_chat)[:4]
    assert [j.prompt for j in format_jobs(jobs, lambda m: format_messages(be, m))] == [
        j.prompt for j in direct
    ]
    j = jobs[0]
    assert j.system and j.messages == [
        {"role": "system", "content": j.system},
        {"role": "user", "content": j.user},
    ]
    assert j.prompt == plain_format(j.system, j.user)  # plain formatting until a backend formats it
    no_persona = build_plan([likert(2)], templates="likert-plain", orders="original")[0]
    assert no_persona.messages == [{"role": "user", "content": no_persona.user}]
    # a longer conversation (a two-turn item) is the base-model transcript: the reply after its cue
    longer = [*j.messages, {"role": "assistant", "content": "3"}, {"role": "user", "content": "Sure?"}]
    assert format_messages(be, longer) == j.prompt + " 3\n\nSure?"


def test_fixed_prompts_are_one_step_episodes():
    jobs = build_plan([likert(2)], templates="likert-plain", orders="original")
    eps = episodes(jobs)
    assert [e.next_requests([]) for e in eps] == [(j,) for j in jobs]
    assert FixedPrompt(jobs[0]).next_requests([Turn(jobs[0], "rid")]) == ()
