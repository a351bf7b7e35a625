"""The administration engine (psychometry.engine.administer) with fake backends.

The key rule: whatever order and labels the options were shown in, the stored ``value`` is the
item's own scale value. A backend that always picks the option of a given VALUE must therefore
store that value under every order and label style.
"""
from __future__ import annotations

import json
import math
import re

import pytest

import psychometry
from psychometry.backends.base import Generation, ModelInfo, OptionScores
from psychometry.errors import PsychometryError, StoreError
from psychometry.instrument.model import Instrument, Item, Option, ResponseFormat, Scale
from psychometry.results import COLUMNS, load_results
from psychometry.templates import item_options

ANCHORS = ("Disagree strongly", "Disagree a little", "Neutral", "Agree a little", "Agree strongly")


def likert() -> Instrument:
    rf = ResponseFormat("likert", 5, 1, ANCHORS)
    items = (Item("q1", "I talk a lot.", "E"), Item("q2", "I am quiet.", "E", -1),
             Item("q3", "I worry.", "N"), Item("q4", "I am relaxed.", "N", -1))
    return Instrument("toy", "Toy", "1", "c", "l", "u", "Describe yourself.", rf,
                      (Scale("E", "E", ("q1", "q2"), ("q2",)), Scale("N", "N", ("q3", "q4"), ("q4",))), items)


def bipolar() -> Instrument:
    rf = ResponseFormat("bipolar", 5, 1)
    items = (Item("b1", "", "JP", left="makes lists", right="relies on memory"),
             Item("b2", "", "JP", -1, left="plans ahead", right="improvises"))
    return Instrument("bip", "Bip", "1", "c", "l", "u", "Place yourself.", rf,
                      (Scale("JP", "JP", ("b1", "b2"), ("b2",), scoring="sum"),), items)


def choice() -> Instrument:
    rf = ResponseFormat("choice", 4, 1)
    opts = (Option("Stay home", 1), Option("Call a friend", 2), Option("Go out", 3), Option("Throw a party", 4))
    items = (Item("c1", "A free evening.", "E", options=opts),)
    return Instrument("cho", "Cho", "1", "c", "l", "u", "Choose.", rf, (Scale("E", "E", ("c1",)),), items)


class ValuePicker:
    """A fake backend that always answers the option whose scale VALUE is ``target``.

    It knows only the prompt and the labels (like a real backend): it finds the option text of
    the target value in the prompt and returns the label printed next to it.
    """

    def __init__(self, instruments, target: float, name: str = "picker") -> None:
        self.info = ModelInfo(name=name, sha256="f" * 64, settings={"backend": "test"})
        self.target = target
        self.texts = []  # option texts of the target value, one per item
        for inst in instruments:
            for it in inst.items:
                texts, values = item_options(inst, it)
                self.texts += [t for t, v in zip(texts, values) if v == target]
        self.calls = 0

    def _pick(self, prompt: str, labels) -> int:
        for text in self.texts:
            for i, lab in enumerate(labels):
                if lab == text:  # anchor labels: the label is the option text itself
                    return i
                pat = rf"(?m)(?:^|; |: ){re.escape(lab)}(?:\. | = ){re.escape(text)}(?:;|\.?$)"
                if re.search(pat, prompt):
                    return i
        raise AssertionError(f"target option not found in prompt:\n{prompt}")

    def option_logprobs(self, prompt, labels):
        self.calls += 1
        i = self._pick(prompt, labels)
        probs = [0.6 if j == i else 0.1 for j in range(len(labels))]
        probs = [p / sum(probs) * 0.5 for p in probs]
        return OptionScores(tuple(labels), tuple(math.log(p) for p in probs), 0.5)

    def generate(self, prompt, *, max_tokens=32, temperature=0.0, seed=None, grammar=None):
        self.calls += 1
        labels = self._labels_in(prompt)
        return Generation(f"My answer is {labels[self._pick(prompt, labels)]}.")

    @staticmethod
    def _labels_in(prompt):
        m = re.search(r"\(choosing (.*)\):$|Reply with (.*) only\.", prompt)
        if m:
            text = m.group(1) or m.group(2)
            return [x.strip() for x in re.split(r", | or ", text)]
        numbered = [ln.split(". ")[0] for ln in prompt.splitlines() if re.match(r"^[0-9A-Z]\. ", ln)]
        return numbered or [ln[2:] for ln in prompt.splitlines() if ln.startswith("- ")]

    def format_chat(self, system, user):
        return f"{system}\n\n{user}" if system else user


@pytest.mark.parametrize("label_style", ["digits", "letters", "anchors"])
@pytest.mark.parametrize("inst_fn, targets", [(likert, [1, 2, 4, 5]), (bipolar, [1, 3, 5]), (choice, [1, 4])])
def test_answer_maps_back_to_the_scale_value_under_every_order_and_label_style(inst_fn, targets, label_style, tmp_path):
    inst = inst_fn()
    for target in targets:
        out = tmp_path / f"{target}.sqlite"
        psychometry.administer([inst], backend=ValuePicker([inst], target), out=out, progress=False,
                               orders="all" if inst.response_format.points <= 4 else "rotate,reversed,random:5",
                               label_style=label_style)
        df = load_results(out)
        assert (df["status"] == "ok").all()
        assert (df["value"] == target).all(), df[["order", "shown_values", "value"]]
        # the shown position varies with the order, and it is where the target value was shown
        shown = df["shown_values"].str.split(",").map(lambda v: [float(x) for x in v])
        assert all(s[int(p) - 1] == target for s, p in zip(shown, df["position"]))
        assert df["position"].nunique() > 1
        # probabilities are keyed by scale value and peak at the target
        assert all(max(json.loads(p).items(), key=lambda kv: kv[1])[0] == str(target) for p in df["probs"])


@pytest.mark.parametrize("label_style", ["digits", "letters", "anchors"])
def test_generate_mode_maps_parsed_answers_back_to_the_scale_value(label_style, tmp_path):
    inst = likert()
    psychometry.administer([inst], backend=ValuePicker([inst], 4), out=tmp_path / "g.sqlite", progress=False,
                           mode="generate", orders="original,reversed,rotate", label_style=label_style)
    df = load_results(tmp_path / "g.sqlite")
    assert (df["status"] == "ok").all() and (df["value"] == 4).all()
    assert df["raw_text"].str.startswith("My answer is").all()
    assert df["expected"].isna().all() and df["probs"].isna().all()


def test_logprob_fields_follow_their_formulas(tmp_path):
    # FakeBackend(choice=0, confidence=0.7, label_mass=0.4): p = (.7, .075, .075, .075, .075)
    be = psychometry.backends.FakeBackend(choice=0, confidence=0.7, label_mass=0.4)
    psychometry.administer([likert()], backend=be, out=tmp_path / "r.sqlite", progress=False,
                           templates="likert-plain", orders="original,reversed")
    df = load_results(tmp_path / "r.sqlite")
    p = [0.7] + [0.075] * 4
    rev = df[df["order"] == "reversed"].iloc[0]
    assert rev["value"] == 5 and rev["position"] == 1 and rev["shown_values"] == "5,4,3,2,1"
    assert rev["expected"] == pytest.approx(0.7 * 5 + 0.075 * (4 + 3 + 2 + 1))
    assert rev["entropy"] == pytest.approx(-sum(x * math.log(x) for x in p))
    assert rev["label_mass"] == pytest.approx(0.4)
    assert json.loads(rev["probs"]) == pytest.approx({"1": 0.075, "2": 0.075, "3": 0.075, "4": 0.075, "5": 0.7})


def test_rows_carry_the_contract_columns_and_the_respondent_id(tmp_path):
    be = psychometry.backends.FakeBackend(choice="hash", name="gemma")
    res = psychometry.administer([likert()], backend=be, out=tmp_path / "r.sqlite", progress=False)
    df = load_results(res.path)
    assert tuple(df.columns) == COLUMNS
    assert len(df) == res.planned == 4 * 3 * 2
    r = df.iloc[0]
    assert r["respondent"] == f"gemma/none/{r['template']}/{r['order']}/0"
    assert set(df["keyed"]) == {1, -1}
    assert df["response_id"].is_unique


class Crashing:
    """Wraps a backend and raises after ``n`` answers (a crash mid-run)."""

    def __init__(self, inner, n):
        self.inner, self.n, self.info = inner, n, inner.info

    def option_logprobs(self, prompt, labels):
        if self.n == 0:
            raise KeyboardInterrupt
        self.n -= 1
        return self.inner.option_logprobs(prompt, labels)

    def format_chat(self, system, user):
        return self.inner.format_chat(system, user)


def test_rerunning_the_same_command_resumes_and_skips_completed_responses(tmp_path):
    out = tmp_path / "r.sqlite"
    be = psychometry.backends.FakeBackend(choice="hash")
    with pytest.raises(KeyboardInterrupt):
        psychometry.administer([likert()], backend=Crashing(be, 10), out=out, progress=False)
    assert len(load_results(out)) == 10
    be2 = psychometry.backends.FakeBackend(choice="hash")
    res = psychometry.administer([likert()], backend=be2, out=out, progress=False)
    assert (res.skipped, res.written, res.resumed) == (10, 14, True)
    assert len([c for c in be2.calls if c.method == "option_logprobs"]) == 14
    df = load_results(out)
    assert len(df) == 24 and df["response_id"].is_unique
    again = psychometry.administer([likert()], backend=be2, out=out, progress=False)
    assert (again.written, again.skipped) == (0, 24)


def test_a_completed_response_is_never_overwritten(tmp_path):
    out = tmp_path / "r.sqlite"
    psychometry.administer([likert()], backend=ValuePicker([likert()], 1), out=out, progress=False)
    before = load_results(out)
    # same configuration (same model identity), a backend that would now answer 5 everywhere
    res = psychometry.administer([likert()], backend=ValuePicker([likert()], 5), out=out, progress=False)
    after = load_results(out)
    assert res.written == 0
    assert (after["value"] == 1).all()
    assert after.equals(before)


def test_a_different_configuration_in_the_same_file_is_refused_unless_add_run(tmp_path):
    out = tmp_path / "r.sqlite"
    be = psychometry.backends.FakeBackend(choice=0)
    psychometry.administer([likert()], backend=be, out=out, progress=False)
    with pytest.raises(StoreError, match=r"differs in: orders"):
        psychometry.administer([likert()], backend=be, out=out, progress=False, orders="rotate")
    assert len(load_results(out)) == 24
    res = psychometry.administer([likert()], backend=be, out=out, progress=False, orders="rotate", add_run=True)
    df = load_results(out)
    # rotate0 shows the same options as original but is its own condition: 4 items x 3 templates x 5
    assert res.planned == 60 and len(df) == 24 + 60 and df["run_id"].nunique() == 2


def test_generate_mode_stores_refusals_and_unparsed_replies_with_the_raw_text(tmp_path):
    replies = iter(["As an AI, I don't have personal opinions.", "Hmm, hard to say."] * 50)
    be = psychometry.backends.FakeBackend(reply=lambda prompt: next(replies))
    res = psychometry.administer([likert()], backend=be, out=tmp_path / "g.sqlite", progress=False,
                                 mode="generate", templates="likert-plain", orders="original")
    df = load_results(res.path)
    assert list(df["status"]) == ["refused", "unparsed"] * 2
    assert df["value"].isna().all() and df["position"].isna().all()
    assert df["raw_text"].iloc[0].startswith("As an AI")
    tab = res.summary_frame()
    assert tab["refused"].tolist() == [0.5, 0.5] and tab["unparsed"].tolist() == [0.5, 0.5]


def test_generate_mode_passes_distinct_seeds_per_repeat_and_a_label_grammar(tmp_path):
    be = psychometry.backends.FakeBackend(choice=1)
    psychometry.administer([likert()], backend=be, out=tmp_path / "g.sqlite", progress=False, mode="generate",
                           templates="likert-plain", orders="original", repeats=3, temperature=0.8, grammar=True)
    gens = [c for c in be.calls if c.method == "generate"]
    assert len(gens) == 12
    q1 = [c.kwargs["seed"] for c in gens if "I talk a lot." in c.prompt]
    assert len(set(q1)) == 3
    assert all(c.kwargs["temperature"] == 0.8 for c in gens)
    assert gens[0].kwargs["grammar"] == 'root ::= " "? ("1" | "2" | "3" | "4" | "5")'


def test_summary_scores_scales_with_reverse_keying(tmp_path):
    # every answer is 5: forward items score 5, reverse-keyed items 1 + 5 - 5 = 1 -> scale mean 3
    res = psychometry.administer([likert()], backend=ValuePicker([likert()], 5), out=tmp_path / "r.sqlite",
                                 progress=False)
    tab = res.summary_frame().set_index("scale")
    assert tab.loc["E", "mean"] == 3.0 and tab.loc["N", "mean"] == 3.0
    assert tab.loc["E", "n"] == 6  # 3 templates x 2 orders
    assert "run " in res.summary() and "already stored" in res.summary()


def test_sum_scored_scales_add_keyed_item_values(tmp_path):
    # bipolar JP is sum-scored: b1 = 5, reverse-keyed b2 -> 1 + 5 - 5 = 1; sum = 6
    res = psychometry.administer([bipolar()], backend=ValuePicker([bipolar()], 5), out=tmp_path / "r.sqlite",
                                 progress=False)
    assert res.summary_frame()["mean"].tolist() == [6.0]


def test_bad_arguments_are_user_errors(tmp_path):
    be = psychometry.backends.FakeBackend()
    with pytest.raises(PsychometryError, match="unknown mode"):
        psychometry.administer([likert()], backend=be, out=tmp_path / "x.sqlite", mode="vibes")
    with pytest.raises(PsychometryError, match="label style"):
        psychometry.administer([likert()], backend=be, out=tmp_path / "x.sqlite", label_style="emoji")
    with pytest.raises(PsychometryError, match="unknown trait"):
        psychometry.administer([likert()], backend=be, out=tmp_path / "x.sqlite", shape="charm=high")


def test_results_cli_prints_the_manifest_and_exports_csv(tmp_path, capsys):
    from psychometry.cli import main

    out = tmp_path / "r.sqlite"
    psychometry.administer([likert()], backend=psychometry.backends.FakeBackend(), out=out, progress=False)
    assert main(["results", "info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "24 of 24 responses stored" in text and "template    likert-plain" in text
    assert main(["results", "export", str(out), "--format", "csv", "--out", str(tmp_path / "r.csv")]) == 0
    assert (tmp_path / "r.csv").read_text().splitlines()[0] == ",".join(COLUMNS)
    assert main(["results", "info", str(tmp_path / "missing.sqlite")]) == 1
    assert "no results file" in capsys.readouterr().err


def test_summary_fallback_scorer_agrees_when_the_package_scorer_is_absent(tmp_path, monkeypatch):
    res = psychometry.administer([likert(), bipolar()], backend=psychometry.backends.FakeBackend(choice="hash"),
                                 out=tmp_path / "r.sqlite", progress=False)
    official = res.summary_frame()
    monkeypatch.setitem(__import__("sys").modules, "psychometry.scoring", None)  # import fails
    fallback = res.summary_frame()
    assert fallback[["instrument", "scale", "n"]].equals(official[["instrument", "scale", "n"]])
    assert fallback["mean"].tolist() == pytest.approx(official["mean"].tolist())
