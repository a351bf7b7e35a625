"""Option orders and labels (psychometry.orders): the permutations a run shows."""

from __future__ import annotations

import math

import pytest

from psychometry.orders import (
    MAX_PERMUTATIONS,
    OrderError,
    design_orders,
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


@pytest.mark.parametrize(
    "spec, k, kept, dropped",
    [
        # rotate0 is the original order
        (
            "original,rotate",
            5,
            ["original", "rotate1", "rotate2", "rotate3", "rotate4"],
            [("rotate0", "original")],
        ),
        # all contains original (perm0) and reversed (perm5 for k = 3)
        (
            "original,reversed,all",
            3,
            ["original", "reversed", "perm1", "perm2", "perm3", "perm4"],
            [("perm0", "original"), ("perm5", "reversed")],
        ),
        # two options: the only rotation besides the identity is the reversal
        (
            "original,reversed,rotate",
            2,
            ["original", "reversed"],
            [("rotate0", "original"), ("rotate1", "reversed")],
        ),
        # one option: every order is the same
        ("original,reversed", 1, ["original"], [("reversed", "original")]),
    ],
)
def test_a_condition_showing_the_same_order_as_an_earlier_one_is_dropped(spec, k, kept, dropped):
    # two names for one shown order would be two identical respondents under different names
    assert [o.name for o in expand_orders(spec, k)] == kept
    assert duplicate_orders(spec, k) == dropped


def test_random_draws_equal_to_an_earlier_condition_are_dropped_when_every_permutation_is_drawn():
    # random:K with K >= k! draws every permutation, so original and reversed are among them
    orders = expand_orders("original,reversed,random:6", 3, seed=0)
    assert len(orders) == 6 and len({o.perm for o in orders}) == 6
    assert [o.name for o in orders[:2]] == ["original", "reversed"]
    assert len(duplicate_orders("original,reversed,random:6", 3, seed=0)) == 2


@pytest.mark.parametrize("seed", range(40))
def test_random_draws_avoid_earlier_orders_while_the_item_has_other_permutations(seed):
    # three options: 6 permutations, 4 of them neither original nor reversed, so random:4 adds 4
    # new orders for every seed (a draw equal to original/reversed is replaced by a further draw)
    orders = expand_orders("original,reversed,random:4", 3, seed=seed)
    assert [o.name for o in orders] == ["original", "reversed", "random0", "random1", "random2", "random3"]
    assert len({o.perm for o in orders}) == 6
    # random:5 needs one of the two earlier orders again: only that one condition is a copy
    assert len(duplicate_orders("original,reversed,random:5", 3, seed=seed)) == 1


@pytest.mark.parametrize("seed", range(40))
def test_only_the_draws_that_equal_an_earlier_order_change_when_earlier_conditions_are_added(seed):
    alone = expand_orders("random:3", 4, seed=seed)
    after = expand_orders("original,reversed,random:3", 4, seed=seed)[2:]
    assert [o.name for o in after] == [o.name for o in alone]
    for a, b in zip(alone, after):
        assert b.perm == a.perm or a.perm in {(0, 1, 2, 3), (3, 2, 1, 0)}
    assert expand_orders("original,reversed,random:3", 4, seed=seed) == expand_orders(
        "original,reversed,random:3", 4, seed=seed
    )


# --------------------------------------------------------------------- items with different option counts
#: the option counts of the shipped behavioural tasks' items
COOPERATION = (2, 5, 3, 4)
HONESTY = (3, 3, 2, 3)


@pytest.mark.parametrize("counts", [COOPERATION, HONESTY], ids=["cooperation", "honesty"])
@pytest.mark.parametrize(
    "spec", ["original,reversed,random:3", "original,reversed,rotate", "reversed,all", "random:7"]
)
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_every_condition_of_an_instrument_is_administered_to_every_item(counts, spec, seed):
    d = design_orders(spec, counts, seed=seed)
    for k in counts:
        orders = d.orders(k)
        assert [o.name for o in orders] == list(d.names)
        assert all(sorted(o.perm) == list(range(k)) for o in orders)
    # no kept condition is a copy of another: some item shows them in different orders
    shown = [tuple(d.orders(k)[i].perm for k in sorted(set(counts))) for i in range(len(d.names))]
    assert len(set(shown)) == len(shown)


def test_a_condition_is_dropped_only_when_it_copies_an_earlier_one_on_every_item():
    d = design_orders("original,reversed,rotate", COOPERATION)
    # rotate0 is the original order on every item: dropped. rotate2 is the original order on the
    # two-option item only (2 mod 2 = 0) and differs on the others: a condition of its own
    assert d.dropped == (("rotate0", "original"),)
    assert d.names == ("original", "reversed", "rotate1", "rotate2", "rotate3", "rotate4")
    assert d.orders(2)[d.names.index("rotate2")].perm == (0, 1)
    assert d.orders(5)[d.names.index("rotate2")].perm == (2, 3, 4, 0, 1)
    # all: perm{i} is permutation i mod k! of a smaller item, so perm0 is original and perm119
    # reversed on every item; each permutation of a smaller item appears equally often
    d = design_orders("original,reversed,all", COOPERATION)
    assert d.dropped == (("perm0", "original"), ("perm119", "reversed"))
    all3 = [o.perm for o in design_orders("all", COOPERATION).orders(3)]
    assert len(all3) == 120 and {all3.count(p) for p in set(all3)} == {20}
    # one option: reversed is the original order there, but not on the two-option item
    assert design_orders("original,reversed", [1, 2]).names == ("original", "reversed")
    assert design_orders("original,reversed", [1]).dropped == (("reversed", "original"),)


@pytest.mark.parametrize("seed", range(20))
def test_random_conditions_of_mixed_items_show_new_orders_where_an_item_has_enough_options(seed):
    d = design_orders("original,reversed,random:3", COOPERATION, seed=seed)
    assert d.names == ("original", "reversed", "random0", "random1", "random2")
    for k in (3, 4, 5):  # 3! - 2 >= 3: three new orders
        perms = [o.perm for o in d.orders(k)]
        assert len(set(perms)) == 5, (k, perms)
    # two options have only the original and reversed orders: the draws cycle through them
    assert {o.perm for o in d.orders(2)[2:]} == {(0, 1), (1, 0)}
    # random:K draws at most as many conditions as the largest item has permutations
    assert len(design_orders("random:500", COOPERATION, seed=seed).names) == 120
    assert design_orders("random:3", COOPERATION, seed=seed) == design_orders(
        "random:3", COOPERATION, seed=seed
    )


def test_all_is_refused_when_the_largest_item_has_too_many_permutations():
    with pytest.raises(OrderError, match=r"720 permutations of 6 options"):
        design_orders("all", [2, 6])


@pytest.mark.parametrize("bad", ["sideways", "random:0", "random:x", "original,original", ""])
def test_bad_order_specs_are_refused_with_a_clear_message(bad):
    with pytest.raises(OrderError):
        parse_orders(bad)


def test_random_given_twice_with_different_sizes_is_refused():
    # both would name their conditions random0, random1, ...: parse_orders accepts the two
    # tokens (they differ), design_orders refuses the clash of names
    with pytest.raises(OrderError, match=r"duplicate option order names"):
        design_orders("random:3,random:2", [5])


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
