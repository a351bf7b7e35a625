"""Number answers (``response_format: {type: number, min, max}``): a whole number from a range, read
from the log-probabilities of every number of the range (expected value and most probable number) or
parsed from a reply (refused outside the range)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

import psychometry
from psychometry.backends import FakeBackend
from psychometry.config import AnswerConfig, Design
from psychometry.errors import InstrumentError
from psychometry.instrument import load_instrument
from psychometry.results import load_prompts

DOC = {
    "format": "psychometry-instrument/1",
    "id": "cards",
    "kind": "task",
    "name": "Cards",
    "version": "1",
    "citation": "test",
    "licence": "CC0",
    "source_url": "",
    "instructions": "Decide how many cards to turn over.",
    "response_format": {"type": "number", "min": 0, "max": 32},
    "scales": [{"id": "risk", "name": "Risk taking", "items": ["c1"]}],
    "items": [
        {"id": "c1", "text": "How many of the 32 cards do you turn over?", "scale": "risk", "keyed": "+"}
    ],
}


def _write(tmp_path: Path, doc: dict) -> Path:
    path = tmp_path / f"{doc['id']}.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def _peaked(at: int, sd: float = 2.0):
    """A fake model whose probability over the labels is a discretised normal around ``at``."""
    return lambda prompt, labels: [math.exp(-0.5 * ((int(lab) - at) / sd) ** 2) for lab in labels]


def test_logprob_mode_reads_the_expected_value_and_the_most_probable_number(tmp_path):
    out = tmp_path / "n.sqlite"
    res = psychometry.administer(
        Design(_write(tmp_path, DOC), templates="number-plain"), model=FakeBackend(choice=_peaked(7)), out=out
    )
    (row,) = psychometry.load_results(out).itertuples()
    weights = [math.exp(-0.5 * ((v - 7) / 2.0) ** 2) for v in range(33)]
    assert row.value == 7.0
    assert row.expected == pytest.approx(sum(v * w for v, w in zip(range(33), weights)) / sum(weights))
    assert list(row.probs) == [float(v) for v in range(33)] and row.shown_values.startswith("0,1,2,")
    prompt = load_prompts(out)[row.prompt_hash]
    assert prompt.endswith(
        "How many of the 32 cards do you turn over?\nAnswer with one whole number from 0 to 32.\nAnswer:"
    )
    assert res.notes == ("cards: option orders do not apply to number answers; asked once, as original",)


@pytest.mark.parametrize(
    "reply, status, value",
    [
        ("I would turn over 12 cards.", "ok", 12.0),
        ("Answer: 0", "ok", 0.0),
        ("32", "ok", 32.0),
        ("40", "unparsed", None),  # outside 0-32: refused as an answer, never clipped
        ("-3", "unparsed", None),
        ("I'm sorry, but I can't take part in gambling.", "refused", None),
    ],
)
def test_generate_mode_parses_the_number_and_refuses_one_outside_the_range(tmp_path, reply, status, value):
    out = tmp_path / "n.sqlite"
    psychometry.administer(
        Design(_write(tmp_path, DOC), templates="number-plain"),
        model=FakeBackend(reply=reply),
        answers=AnswerConfig(mode="generate"),
        out=out,
    )
    (row,) = psychometry.load_results(out).itertuples()
    assert row.status == status
    assert (value is None and math.isnan(row.value)) or row.value == value


@pytest.mark.parametrize(
    "rf, message",
    [
        (
            {"type": "number", "min": 10, "max": 5},
            "field 'response_format.max': min (10) must be less than max (5)",
        ),
        ({"type": "number", "min": 0}, "field 'response_format.max': required field missing"),
        (
            {"type": "number", "min": 0, "max": 5, "points": 6},
            "field 'response_format.points': a number answer has",
        ),
        ({"type": "likert", "points": 5, "max": 5}, "field 'response_format.max': max is for number answers"),
    ],
)
def test_a_malformed_number_range_is_one_line_naming_the_field(tmp_path, rf, message):
    path = _write(tmp_path, {**DOC, "response_format": rf})
    with pytest.raises(InstrumentError) as err:
        load_instrument(path)
    assert message in str(err.value) and str(path) in str(err.value)
