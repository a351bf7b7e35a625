"""Specification of FakeBackend: a deterministic stand-in that implements the Backend protocol."""

from __future__ import annotations

import math

import pytest

from psychometry.backends import Backend, FakeBackend, load_backend
from psychometry.errors import ModelError

LABELS = ["1", "2", "3", "4", "5"]


def test_fake_backend_implements_the_backend_protocol() -> None:
    assert isinstance(FakeBackend(), Backend)


def test_fixed_choice_gets_the_confidence_and_the_rest_share_equally() -> None:
    be = FakeBackend(choice=3, confidence=0.6, label_mass=1.0)
    s = be.option_logprobs("p", LABELS)
    probs = [math.exp(x) for x in s.logprobs]
    assert probs[3] == pytest.approx(0.6)
    assert probs[0] == pytest.approx(0.1)
    assert sum(probs) == pytest.approx(1.0)
    assert s.labels == tuple(LABELS)


def test_logprobs_sum_to_the_reported_label_mass() -> None:
    s = FakeBackend(choice=0, label_mass=0.3).option_logprobs("p", LABELS)
    assert sum(math.exp(x) for x in s.logprobs) == pytest.approx(0.3)
    assert s.label_mass == 0.3


def test_choice_beyond_the_labels_is_clamped_to_the_last_label() -> None:
    s = FakeBackend(choice=9).option_logprobs("p", ["a", "b"])
    assert s.logprobs[1] > s.logprobs[0]


def test_hash_choice_is_deterministic_and_depends_on_the_prompt() -> None:
    be1, be2 = FakeBackend(choice="hash"), FakeBackend(choice="hash")
    prompts = [f"item {i}" for i in range(20)]
    a = [max(range(5), key=be1.option_logprobs(p, LABELS).logprobs.__getitem__) for p in prompts]
    b = [max(range(5), key=be2.option_logprobs(p, LABELS).logprobs.__getitem__) for p in prompts]
    assert a == b
    assert len(set(a)) > 1


def test_choice_function_may_return_weights() -> None:
    be = FakeBackend(choice=lambda prompt, labels: [1, 0, 0, 0, 3], label_mass=1.0)
    probs = [math.exp(x) for x in be.option_logprobs("p", LABELS).logprobs]
    assert probs == pytest.approx([0.25, 0, 0, 0, 0.75])


def test_calls_are_recorded_in_order() -> None:
    be = FakeBackend()
    be.format_chat("sys", "user")
    be.option_logprobs("p1", LABELS)
    be.generate("p2", max_tokens=4, choices=["A", "B"])
    assert [c.method for c in be.calls] == ["format_chat", "option_logprobs", "generate"]
    assert be.calls[1].labels == tuple(LABELS)
    assert be.calls[2].kwargs["max_tokens"] == 4
    assert be.calls[2].kwargs["choices"] == ("A", "B")
    assert be.calls[2].labels == ("A", "B")


def test_generate_replies_with_the_chosen_label_or_the_configured_reply() -> None:
    be = FakeBackend(choice=1)
    be.option_logprobs("p", LABELS)
    assert be.generate("p").text == "2"
    assert FakeBackend(reply="As an AI, I cannot answer.").generate("p").text.startswith("As an AI")
    assert FakeBackend(reply=lambda p: p.upper()).generate("abc").text == "ABC"


def test_constrained_reply_is_the_choice_among_the_given_labels() -> None:
    # a constrained reply is always one of the choices, whatever free reply is configured
    assert FakeBackend(choice=2, reply="As an AI...").generate("p", choices=["x", "y", "z"]).text == "z"
    assert FakeBackend(choice=9).generate("p", choices=["Agree", "Agree strongly"]).text == "Agree strongly"
    weights = FakeBackend(choice=lambda prompt, labels: [0, 1, 0])
    assert weights.generate("p", choices=["1", "2", "3"]).text == "2"
    assert FakeBackend(reply="free text").generate("p", choices=None).text == "free text"
    with pytest.raises(ValueError):
        FakeBackend().generate("p", choices=[])


def test_format_chat_is_a_raw_prompt() -> None:
    assert FakeBackend().format_chat(None, "Q") == "Q"
    assert FakeBackend().format_chat("S", "Q") == "S\n\nQ"


def test_load_backend_builds_the_fake_by_name_and_rejects_unknown_names() -> None:
    be = load_backend("fake", choice=2)
    assert isinstance(be, FakeBackend)
    with pytest.raises(ModelError, match="unknown backend"):
        load_backend("gpt-17")


def test_invalid_settings_are_rejected() -> None:
    with pytest.raises(ValueError):
        FakeBackend(label_mass=0)
    with pytest.raises(ValueError):
        FakeBackend().option_logprobs("p", [])
