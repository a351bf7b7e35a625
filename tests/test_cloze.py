"""Cloze mode (``--mode cloze``): no options in the prompt; each option text is scored as the
continuation of the item, exactly as lm-evaluation-harness scores the lm-eval export of the same
instrument (prompt = the export's query, continuation = " " + the option text). The answer is the
option of the largest summed log-likelihood (lm-eval's ``acc``); the per-token, per-byte and
per-character (lm-eval's ``acc_norm``) picks are stored beside it."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest

import psychometry
from psychometry.backends import FakeBackend
from psychometry.cli import main
from psychometry.config import AnswerConfig, ConfigError, Design
from psychometry.instrument import load_instrument
from psychometry.instrument.export import lm_eval_docs
from psychometry.results import load_prompts

CLOZE = AnswerConfig(mode="cloze")


def _run(tmp_path, instruments="bfi44", backend=None, **design):
    out = tmp_path / "cloze.sqlite"
    res = psychometry.administer(
        Design(instruments, **design), model=backend or FakeBackend(), answers=CLOZE, out=out, progress=False
    )
    return res, psychometry.load_results(out), out


def test_each_item_is_asked_once_with_the_lm_eval_query_and_its_option_texts_as_continuations(tmp_path):
    be = FakeBackend()
    res, df, out = _run(tmp_path, backend=be, orders="original,reversed", templates="all")
    docs = {d["item"]: d for d in lm_eval_docs(load_instrument("bfi44"))}
    assert len(df) == res.planned == 44  # templates and orders do not apply
    assert set(df["template"]) == {"cloze"} and set(df["order"]) == {"original"}
    prompts = load_prompts(out)
    for row in df.itertuples():
        assert prompts[row.prompt_hash] == docs[row.item]["query"]
    asked = {(c.prompt, c.labels[0]) for c in be.calls if c.method == "loglikelihood"}
    want = {(d["query"], " " + choice) for d in docs.values() for choice in d["choices"]}
    assert asked == want
    assert res.notes[0].startswith(
        "cloze mode: no options are shown and templates and option orders do not apply"
    )


def test_the_answer_is_the_largest_summed_log_likelihood_and_every_normalisation_is_stored(tmp_path):
    be = FakeBackend()
    _, df, _ = _run(tmp_path, backend=be)
    row = df.iloc[0]
    doc = lm_eval_docs(load_instrument("bfi44"))[0]
    lls = [be.loglikelihood(doc["query"], " " + c) for c in doc["choices"]]
    sums = [r.logprob for r in lls]
    detail = json.loads(row["raw_text"])
    assert detail["loglik"] == pytest.approx(sums, abs=1e-9)
    assert detail["tokens"] == [r.n_tokens for r in lls] and detail["bytes"] == [r.n_bytes for r in lls]
    best = max(range(5), key=sums.__getitem__)
    assert row["value"] == doc["values"][best] and detail["pick"]["sum"] == best
    per_char = [s / len(c) for s, c in zip(sums, doc["choices"])]
    assert detail["pick"]["per_char"] == max(range(5), key=per_char.__getitem__)  # lm-eval's acc_norm
    z = [math.exp(s - max(sums)) for s in sums]
    assert list(row["probs"].values()) == pytest.approx([x / sum(z) for x in z], abs=1e-9)


def test_cloze_mode_with_grammar_is_one_line_naming_the_flag(tmp_path, capsys):
    with pytest.raises(ConfigError, match="cloze mode generates no reply"):
        AnswerConfig(mode="cloze", grammar=True)
    assert (
        main(["administer", "bfi44", "--mode", "cloze", "--grammar", "--out", str(tmp_path / "x.sqlite")])
        == 1
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("psychometry: error: --grammar: ")


def test_cloze_mode_on_a_game_is_one_line(tmp_path, capsys):
    assert main(["administer", "ipd", "--mode", "cloze", "--out", str(tmp_path / "x.sqlite")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("psychometry: error: ipd is a game") and "\n" not in err


# ------------------------------------------------------------------ the real models: the textbook reference
@pytest.mark.model
@pytest.mark.parametrize("model", ["smollm2", "gemma3-270m"])
def test_a_cloze_run_stores_the_textbook_log_likelihoods_and_their_answers(tmp_path, model):
    """``psychometry administer --mode cloze`` on the real model stores, per item, the log-likelihoods
    of the textbook computation (llama_cpp.Llama with logits_all: tests/test_loglikelihood_parity.py)
    within the documented kernel noise, and the same answer (argmax of the summed log-likelihood)
    wherever the reference's margin is wider than that noise (``kernel_noise.differences``)."""
    from kernel_noise import LOGLIKELIHOOD, differences
    from test_loglikelihood_parity import MODELS, N_ITEMS, cloze_requests, reference_loglikelihoods

    path = MODELS[model]()
    if path is None:
        pytest.skip(f"model {model} is not installed")
    bfi = load_instrument("bfi44")
    few = bfi.items[:N_ITEMS]  # all on scales E and A
    scales = tuple(
        dataclasses.replace(
            s,
            items=tuple(i.id for i in few if i.scale == s.id),
            reverse=tuple(r for r in s.reverse if r in {i.id for i in few}),
        )
        for s in bfi.scales
        if any(i.scale == s.id for i in few)
    )
    small = dataclasses.replace(bfi, items=few, scales=scales)
    out = tmp_path / "cloze.sqlite"
    psychometry.administer(
        Design([small]), model=psychometry.ModelConfig(path=str(path), threads=2), answers=CLOZE, out=out
    )
    df = psychometry.load_results(out).set_index("item").loc[[it.id for it in few]]
    reference = reference_loglikelihoods(path, cloze_requests(N_ITEMS))
    for (item, row), ref in zip(df.iterrows(), reference):
        ours = json.loads(row["raw_text"])["loglik"]
        assert max(abs(a - b) for a, b in zip(ours, ref)) <= LOGLIKELIHOOD.raw, item
        # the same answer wherever the reference's margin is wider than the batch noise can close
        assert differences(ref, ours) == [], item
        assert json.loads(row["raw_text"])["pick"]["sum"] == max(range(5), key=ours.__getitem__)
