"""Option orders and labels (psychometry.orders): the permutations a run shows."""
from __future__ import annotations

import math

import pytest

from psychometry.orders import (
    MAX_PERMUTATIONS,
    OrderError,
    duplicate_orders,
    expand_orders,
    make_labels,
    parse_orders,
)


def test_original_is_identity_and_reversed_is_backwards():
    o, r = expand_orders("original,reversed", 5)
    assert (o.name, o.perm) == ("original", (0, 1, 2, 3, 4))
    assert (r.name, r.perm) == ("reversed", (4, 3, 2, 1, 0))
    assert r.apply([1, 2, 3, 4, 5]) == (5, 4, 3, 2, 1)


def test_rotate_gives_every_cyclic_shift_named_rotate0_to_rotatek_minus_1():
    orders = expand_orders("rotate", 4)
    assert [o.name for o in orders] == ["rotate0", "rotate1", "rotate2", "rotate3"]
    assert orders[1].perm == (1, 2, 3, 0)
    # every option appears in every position exactly once across the shifts
    for pos in range(4):
        assert sorted(o.perm[pos] for o in orders) == [0, 1, 2, 3]


def test_all_gives_every_permutation_up_to_the_bound():
    orders = expand_orders("all", 5)
    assert len(orders) == math.factorial(5) == MAX_PERMUTATIONS
    assert len({o.perm for o in orders}) == 120
    assert orders[0].name == "perm0" and orders[-1].name == "perm119"


def test_all_is_refused_above_the_bound_with_a_message_suggesting_random():
    with pytest.raises(OrderError, match=r"720 permutations.*random:K"):
        expand_orders("all", 6)


def test_random_k_draws_k_distinct_permutations_reproducibly_from_the_seed():
    a = expand_orders("random:4", 5, seed=7)
    b = expand_orders("random:4", 5, seed=7)
    c = expand_orders("random:4", 5, seed=8)
    assert [o.name for o in a] == ["random0", "random1", "random2", "random3"]
    assert a == b
    assert len({o.perm for o in a}) == 4
    assert [o.perm for o in a] != [o.perm for o in c]


def test_random_k_larger_than_the_number_of_permutations_gives_each_once():
    orders = expand_orders("random:10", 3, seed=1)
    assert len(orders) == 6 and len({o.perm for o in orders}) == 6


def test_order_specs_combine_in_the_order_given():
    names = [o.name for o in expand_orders("reversed, rotate", 3)]
    assert names == ["reversed", "rotate0", "rotate1", "rotate2"]


@pytest.mark.parametrize("spec, k, kept, dropped", [
    # rotate0 is the original order
    ("original,rotate", 5, ["original", "rotate1", "rotate2", "rotate3", "rotate4"], [("rotate0", "original")]),
    # all contains original (perm0) and reversed (perm5 for k = 3)
    ("original,reversed,all", 3, ["original", "reversed", "perm1", "perm2", "perm3", "perm4"],
     [("perm0", "original"), ("perm5", "reversed")]),
    # two options: the only rotation besides the identity is the reversal
    ("original,reversed,rotate", 2, ["original", "reversed"], [("rotate0", "original"), ("rotate1", "reversed")]),
    # one option: every order is the same
    ("original,reversed", 1, ["original"], [("reversed", "original")]),
])
def test_a_condition_showing_the_same_order_as_an_earlier_one_is_dropped(spec, k, kept, dropped):
    # two names for one shown order would be two identical respondents under different names
    assert [o.name for o in expand_orders(spec, k)] == kept
    assert duplicate_orders(spec, k) == dropped


def test_random_draws_equal_to_an_earlier_condition_are_dropped():
    # random:K with K >= k! draws every permutation, so original and reversed are among them
    orders = expand_orders("original,reversed,random:6", 3, seed=0)
    assert len(orders) == 6 and len({o.perm for o in orders}) == 6
    assert [o.name for o in orders[:2]] == ["original", "reversed"]
    assert len(duplicate_orders("original,reversed,random:6", 3, seed=0)) == 2


@pytest.mark.parametrize("bad", ["sideways", "random:0", "random:x", "original,original", ""])
def test_bad_order_specs_are_refused_with_a_clear_message(bad):
    with pytest.raises(OrderError):
        parse_orders(bad)


def test_label_styles_digits_letters_and_anchor_text():
    assert make_labels("digits", 5) == ("1", "2", "3", "4", "5")
    assert make_labels("letters", 4) == ("A", "B", "C", "D")
    assert make_labels("anchors", 2, ["Agree", "Disagree"]) == ("Agree", "Disagree")


def test_anchor_labels_must_be_distinct_and_non_empty():
    with pytest.raises(OrderError, match="distinct"):
        make_labels("anchors", 2, ["Same", "Same"])
    with pytest.raises(OrderError):
        make_labels("anchors", 2, ["x", ""])
    with pytest.raises(OrderError, match="unknown label style"):
        make_labels("emoji", 3)
