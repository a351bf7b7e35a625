"""Loading instruments: by shipped id or by path, into the frozen dataclasses of
psychometry.instrument.model, safely (yaml.safe_load semantics only) and losslessly."""

from __future__ import annotations

from pathlib import Path

import pytest

import psychometry
from psychometry.errors import InstrumentError, PsychometryError
from psychometry.instrument import (
    Instrument,
    instrument_to_dict,
    list_instruments,
    load_instrument,
    parse_instrument,
)

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
)  # instruments/tasks/ (tests/test_behaviour_tasks.py)
GAMES = ("ipd",)  # instruments/games/ (tests/test_games.py)


def test_the_package_reexports_the_loader():
    assert psychometry.load_instrument is load_instrument
    assert psychometry.list_instruments is list_instruments


def test_list_instruments_returns_every_shipped_instrument_sorted_by_id():
    found = list_instruments()
    assert [i.id for i in found] == sorted(SHIPPED + TASKS + GAMES)
    assert all(isinstance(i, Instrument) for i in found)
    assert [i.id for i in list_instruments(kind="inventory")] == sorted(SHIPPED)
    assert [i.id for i in list_instruments(kind="task")] == sorted(TASKS)
    assert [i.id for i in list_instruments(kind="game")] == sorted(GAMES)


@pytest.mark.parametrize("instrument_id", SHIPPED)
def test_a_shipped_instrument_loads_by_id_and_by_path_to_the_same_thing(instrument_id):
    by_id = load_instrument(instrument_id)
    by_path = load_instrument(ROOT / "instruments" / f"{instrument_id}.yaml")
    by_str = load_instrument(str(ROOT / "instruments" / f"{instrument_id}.yaml"))
    assert by_id == by_path == by_str
    assert by_id.id == instrument_id


def test_a_fixture_loads_into_the_dataclasses_with_keys_as_plus_minus_one():
    inst = load_instrument(FIXTURES / "mini.yaml")
    assert inst.id == "mini" and inst.version == "1"
    assert inst.response_format.values == (1, 2, 3, 4, 5)
    assert inst.scale("E").items == ("e1", "e2", "e3", "e4") and inst.scale("E").reverse == ("e2",)
    assert inst.scale("C").scoring == "sum"
    assert inst.item("e2").keyed == -1 and inst.item("e2").reverse
    assert inst.item("e1").keyed == 1
    assert [(n.scale, n.mean, n.sd, n.n) for n in inst.norms] == [("E", 3.0, 0.5, 100), ("C", 6.0, 2.0, None)]
    assert inst.path == FIXTURES / "mini.yaml"


def test_bipolar_items_keep_their_poles_and_dichotomies_their_rules():
    inst = load_instrument(FIXTURES / "mini_types.yaml")
    q2 = inst.item("q2")
    assert (q2.text, q2.left, q2.right, q2.keyed) == ("", "energetic", "mellow", -1)
    assert [(d.scale, d.low, d.high, d.cutoff, d.tie) for d in inst.dichotomies] == [
        ("IE", "I", "E", 12.0, "low"),
        ("JP", "J", "P", 0.0, "x"),
    ]
    assert inst.scale("JP").offset == -12.0 and inst.scale("JP").min_items == 3


def test_choice_items_keep_their_options_in_order():
    inst = load_instrument(FIXTURES / "mini_choice.yaml")
    assert next((o.text, o.value) for o in inst.item("s1").options) == ("Sign up at once.", 2.0)
    assert inst.response_format.points == 3


def test_choice_points_default_to_the_largest_number_of_options(tmp_path):
    text = (FIXTURES / "mini_choice.yaml").read_text(encoding="utf-8")
    text = text.replace("  points: 3\n", "").replace("id: mini_choice", "id: nopoints")
    (tmp_path / "nopoints.yaml").write_text(text, encoding="utf-8")
    assert load_instrument(tmp_path / "nopoints.yaml").response_format.points == 3


@pytest.mark.parametrize("instrument_id", SHIPPED)
def test_instrument_to_dict_round_trips_through_the_validator(instrument_id):
    inst = load_instrument(instrument_id)
    assert parse_instrument(instrument_to_dict(inst), inst.path) == inst


def test_an_unknown_id_is_a_clear_error_listing_the_shipped_ids():
    with pytest.raises(InstrumentError, match="no shipped instrument with this id.*bfi44"):
        load_instrument("bfi45")


def test_a_missing_file_is_a_clear_error():
    with pytest.raises(InstrumentError, match="no such file"):
        load_instrument(ROOT / "nowhere" / "x.yaml")


def test_instrument_errors_are_psychometry_errors_the_cli_prints_in_one_line():
    assert issubclass(InstrumentError, PsychometryError)


def test_a_byte_order_mark_is_accepted(tmp_path):
    text = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")
    (tmp_path / "mini.yaml").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_instrument(tmp_path / "mini.yaml").id == "mini"


def test_a_yml_suffix_is_stripped_for_the_file_name_rule(tmp_path):
    (tmp_path / "mini.yml").write_text((FIXTURES / "mini.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert load_instrument(tmp_path / "mini.yml").id == "mini"
