"""Specification of psychometry.stats.tidy: the long results table to item matrices and scale scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import psychometry.stats as s
from psychometry.errors import PsychometryError
from psychometry.stats.tidy import LongTableError, item_matrix, scale_scores


def long_table(rows: list[tuple]) -> pd.DataFrame:
    """(persona, template, item, scale, keyed, value, status) rows of one model, order original, repeat 0."""
    out = []
    for persona, template, item, scale, keyed, value, status in rows:
        out.append(
            {
                "model": "m",
                "persona": persona,
                "template": template,
                "order": "original",
                "repeat": 0,
                "respondent": f"m/{persona}/{template}/original/0",
                "instrument": "mini",
                "item": item,
                "scale": scale,
                "keyed": keyed,
                "shown_values": "1,2,3,4,5",
                "status": status,
                "value": value if status == "ok" else np.nan,
            }
        )
    return pd.DataFrame(out)


TABLE = long_table(
    [
        ("p1", "t1", "e1", "E", 1, 4.0, "ok"),
        ("p1", "t1", "e2", "E", -1, 2.0, "ok"),
        ("p1", "t1", "a1", "A", 1, 3.0, "ok"),
        ("p1", "t1", "a2", "A", 1, np.nan, "refused"),
        ("p2", "t1", "e1", "E", 1, 5.0, "ok"),
        ("p2", "t1", "e2", "E", -1, 5.0, "ok"),
        ("p2", "t1", "a1", "A", 1, 1.0, "ok"),
        ("p2", "t1", "a2", "A", 1, 2.0, "ok"),
    ]
)


def test_item_matrix_has_one_row_per_respondent_and_one_column_per_item_with_raw_values():
    m = item_matrix(TABLE)
    assert list(m.index) == ["m/p1/t1/original/0", "m/p2/t1/original/0"]
    assert list(m.columns) == ["e1", "e2", "a1", "a2"]
    assert m.loc["m/p2/t1/original/0", "e2"] == 5.0  # raw: no reverse keying in the item matrix
    assert np.isnan(m.loc["m/p1/t1/original/0", "a2"])  # refused -> missing


def test_item_matrix_is_exported_from_psychometry_stats():
    pd.testing.assert_frame_equal(s.item_matrix(TABLE), item_matrix(TABLE))


def test_item_matrix_treats_a_value_outside_status_ok_as_missing():
    t = TABLE.copy()
    t.loc[3, "value"] = 3.0  # a stray value on a refused row
    assert np.isnan(item_matrix(t).loc["m/p1/t1/original/0", "a2"])
    assert item_matrix(t, status=None).loc["m/p1/t1/original/0", "a2"] == 3.0


def test_item_matrix_feeds_the_reliability_functions():
    m = item_matrix(TABLE)[["e1", "e2"]]
    assert m.shape == (2, 2) and m.dtypes.eq(float).all()


def test_item_matrix_refuses_an_item_answered_twice_by_one_respondent_naming_it():
    t = pd.concat([TABLE, TABLE.iloc[[0]].assign(instrument="other")], ignore_index=True)
    with pytest.raises(LongTableError, match=r"'m/p1/t1/original/0'.*'e1'.*instrument="):
        item_matrix(t)
    assert item_matrix(t, instrument="mini").shape == (2, 4)


def test_item_matrix_names_a_missing_column():
    with pytest.raises(PsychometryError, match="no column.*'answer'"):
        item_matrix(TABLE, value="answer")


def test_item_matrix_names_a_non_numeric_value():
    t = TABLE.astype({"value": object})
    t.loc[0, "value"] = "four"
    with pytest.raises(LongTableError, match="'value'.*'four'"):
        item_matrix(t)


def test_scale_score_is_the_mean_after_reverse_keying_min_plus_max_minus_x():
    sc = scale_scores(TABLE).set_index(["persona", "scale"])
    # p1 E: e1 = 4, e2 reversed = 1 + 5 - 2 = 4 -> 4;   p2 E: 5 and 6 - 5 = 1 -> 3
    assert sc.loc[("p1", "E"), "score"] == 4.0
    assert sc.loc[("p2", "E"), "score"] == 3.0
    # p1 A: a2 refused -> mean of the answered item a1 only
    assert sc.loc[("p1", "A"), "score"] == 3.0
    assert sc.loc[("p1", "A"), "n_items"] == 1 and sc.loc[("p1", "A"), "n_missing"] == 1


def test_scale_scores_keep_the_identifying_factors_for_grouping():
    sc = scale_scores(TABLE)
    assert list(sc.columns) == [
        "model",
        "persona",
        "template",
        "order",
        "repeat",
        "respondent",
        "instrument",
        "scale",
        "score",
        "n_items",
        "n_missing",
    ]
    assert sc.groupby("persona")["score"].mean().to_dict() == {"p1": 3.5, "p2": 2.25}


def test_scale_bounds_default_to_the_shown_values_and_can_be_given():
    t = TABLE.assign(shown_values="5,4,3,2,1")  # the reversed order has the same min and max
    assert scale_scores(t)["score"].tolist() == scale_scores(TABLE)["score"].tolist()
    # with a 0-10 scale declared, e2 = 2 reverses to 0 + 10 - 2 = 8: p1 E = (4 + 8) / 2 = 6
    sc = scale_scores(TABLE, scale_min=0, scale_max=10).set_index(["persona", "scale"])
    assert sc.loc[("p1", "E"), "score"] == 6.0


def test_scale_scores_work_on_other_tables_with_other_column_names():
    t = TABLE.rename(columns={"respondent": "person", "value": "answer", "keyed": "direction"})
    sc = scale_scores(t, respondent="person", value="answer", keyed="direction")
    assert sc["score"].tolist() == scale_scores(TABLE)["score"].tolist()


def test_scale_scores_refuse_keys_other_than_plus_or_minus_one():
    t = TABLE.assign(keyed=[1, 2, 1, 1, 1, -1, 1, 1])
    with pytest.raises(LongTableError, match="'keyed' must be \\+1 or -1, got 2"):
        scale_scores(t)


def test_scale_scores_name_a_malformed_shown_values():
    t = TABLE.assign(shown_values="one,two")
    with pytest.raises(LongTableError, match="'shown_values'.*'one,two'"):
        scale_scores(t)


def test_scale_scores_refuse_an_item_answered_twice_instead_of_averaging():
    long = pd.DataFrame(
        {
            "respondent": ["r1", "r1"],
            "item": ["e1", "e1"],
            "scale": ["E", "E"],
            "keyed": [1, 1],
            "value": [5.0, 1.0],
            "status": ["ok", "ok"],
            "shown_values": ["1,2,3,4,5"] * 2,
        }
    )
    with pytest.raises(LongTableError, match="more than one row for item 'e1'"):
        scale_scores(long)


def test_every_public_statistic_is_a_function_even_after_its_module_is_imported():
    # a module named like its function would shadow it on the package once imported
    import importlib

    import psychometry.stats as st

    for module in set(st._EXPORTS.values()):
        importlib.import_module(f"psychometry.stats.{module}")
    for name in st._EXPORTS:
        assert not isinstance(getattr(st, name), type(st)), name


# --- the one scale scorer: method, min_items, offset ------------------------------------------------------


def test_scale_scores_sum_is_the_item_sum_and_prorated_when_items_are_missing():
    sc = scale_scores(TABLE, method="sum").set_index(["persona", "scale"])["score"]
    # p1 E: 4 + (6 - 2) = 8; p2 E: 5 + 1 = 6; p2 A: 1 + 2 = 3
    assert sc[("p1", "E")] == 8.0 and sc[("p2", "E")] == 6.0 and sc[("p2", "A")] == 3.0
    # p1 A: a2 refused -> the mean of the answered item times the scale's 2 items: 3 x 2 = 6
    assert sc[("p1", "A")] == 6.0


def test_scale_scores_method_offset_and_min_items_per_scale():
    sc = scale_scores(
        TABLE, method={"E": "sum"}, offset={"E": -2.0, "A": 10.0}, min_items={"A": 2}
    ).set_index(["persona", "scale"])["score"]
    assert sc[("p1", "E")] == 6.0 and sc[("p2", "E")] == 4.0  # sums minus 2
    assert np.isnan(sc[("p1", "A")])  # 1 of 2 items answered < min_items 2
    assert sc[("p2", "A")] == 11.5  # mean 1.5 + 10
    one = scale_scores(TABLE, min_items=1)["score"]
    pd.testing.assert_series_equal(one, scale_scores(TABLE)["score"])  # the default: one answered item


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"method": "median"}, "method must be 'mean' or 'sum'"),
        ({"min_items": 0}, "min_items must be whole numbers >= 1"),
        ({"min_items": {"Z": 2}}, "min_items names scale"),
        ({"offset": "x"}, "offset must be a number"),
    ],
)
def test_scale_scores_name_a_bad_scoring_option(kwargs, words):
    with pytest.raises(LongTableError, match=words):
        scale_scores(TABLE, **kwargs)
