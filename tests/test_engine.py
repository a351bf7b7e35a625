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
from psychometry import AnswerConfig, Design, ModelConfig
from psychometry.backends.base import Generation, ModelInfo, OptionScores
from psychometry.config import ConfigError
from psychometry.errors import PsychometryError, StoreError
from psychometry.instrument.model import Instrument, Item, Option, ResponseFormat, Scale
from psychometry.results import COLUMNS, load_results
from psychometry.templates import item_options

ANCHORS = ("Disagree strongly", "Disagree a little", "Neutral", "Agree a little", "Agree strongly")


def likert() -> Instrument:
    rf = ResponseFormat("likert", 5, 1, ANCHORS)
    items = (
        Item("q1", "I talk a lot.", "E"),
        Item("q2", "I am quiet.", "E", -1),
        Item("q3", "I worry.", "N"),
        Item("q4", "I am relaxed.", "N", -1),
    )
    return Instrument(
        "toy",
        "Toy",
        "1",
        "c",
        "l",
        "u",
        "Describe yourself.",
        rf,
        (Scale("E", "E", ("q1", "q2"), ("q2",)), Scale("N", "N", ("q3", "q4"), ("q4",))),
        items,
    )


def bipolar() -> Instrument:
    rf = ResponseFormat("bipolar", 5, 1)
    items = (
        Item("b1", "", "JP", left="makes lists", right="relies on memory"),
        Item("b2", "", "JP", -1, left="plans ahead", right="improvises"),
    )
    return Instrument(
        "bip",
        "Bip",
        "1",
        "c",
        "l",
        "u",
        "Place yourself.",
        rf,
        (Scale("JP", "JP", ("b1", "b2"), ("b2",), scoring="sum"),),
        items,
    )


def choice() -> Instrument:
    rf = ResponseFormat("choice", 4, 1)
    opts = (
        Option("Stay home", 1),
        Option("Call a friend", 2),
        Option("Go out", 3),
        Option("Throw a party", 4),
    )
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

    def generate(self, prompt, *, max_tokens=32, temperature=0.0, seed=None, choices=None):
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
def test_answer_maps_back_to_the_scale_value_under_every_order_and_label_style(
    inst_fn, targets, label_style, tmp_path
):
    inst = inst_fn()
    for target in targets:
        out = tmp_path / f"{target}.sqlite"
        psychometry.administer(
            Design([inst], orders="all" if inst.response_format.points <= 4 else "rotate,reversed,random:5"),
            model=ValuePicker([inst], target),
            answers=AnswerConfig(label_style=label_style),
            out=out,
            progress=False,
        )
        df = load_results(out)
        assert (df["status"] == "ok").all()
        assert (df["value"] == target).all(), df[["order", "shown_values", "value"]]
        # the shown position varies with the order, and it is where the target value was shown
        shown = df["shown_values"].str.split(",").map(lambda v: [float(x) for x in v])
        assert all(s[int(p) - 1] == target for s, p in zip(shown, df["position"]))
        assert df["position"].nunique() > 1
        # probabilities are keyed by scale value and peak at the target
        assert all(max(p.items(), key=lambda kv: kv[1])[0] == target for p in df["probs"])


@pytest.mark.parametrize("label_style", ["digits", "letters", "anchors"])
def test_generate_mode_maps_parsed_answers_back_to_the_scale_value(label_style, tmp_path):
    inst = likert()
    psychometry.administer(
        Design([inst], orders="original,reversed,rotate"),
        model=ValuePicker([inst], 4),
        answers=AnswerConfig(mode="generate", label_style=label_style),
        out=tmp_path / "g.sqlite",
        progress=False,
    )
    df = load_results(tmp_path / "g.sqlite")
    assert set(df["order"]) == {
        "original",
        "reversed",
        "rotate1",
        "rotate2",
        "rotate3",
        "rotate4",
    }  # not rotate0
    assert (df["status"] == "ok").all() and (df["value"] == 4).all()
    assert df["raw_text"].str.startswith("My answer is").all()
    assert df["expected"].isna().all() and df["probs"].isna().all()


def test_logprob_fields_follow_their_formulas(tmp_path):
    # FakeBackend(choice=0, confidence=0.7, label_mass=0.4): p = (.7, .075, .075, .075, .075)
    be = psychometry.backends.FakeBackend(choice=0, confidence=0.7, label_mass=0.4)
    psychometry.administer(
        Design([likert()], templates="likert-plain", orders="original,reversed"),
        model=be,
        out=tmp_path / "r.sqlite",
        progress=False,
    )
    df = load_results(tmp_path / "r.sqlite")
    p = [0.7] + [0.075] * 4
    rev = df[df["order"] == "reversed"].iloc[0]
    assert rev["value"] == 5 and rev["position"] == 1 and rev["shown_values"] == "5,4,3,2,1"
    assert rev["expected"] == pytest.approx(0.7 * 5 + 0.075 * (4 + 3 + 2 + 1))
    assert rev["entropy"] == pytest.approx(-sum(x * math.log(x) for x in p))
    assert rev["label_mass"] == pytest.approx(0.4)
    assert rev["probs"] == pytest.approx({1.0: 0.075, 2.0: 0.075, 3.0: 0.075, 4.0: 0.075, 5.0: 0.7})
    assert list(rev["probs"]) == [1.0, 2.0, 3.0, 4.0, 5.0]  # decoded once: float keys in value order


def test_rows_carry_the_contract_columns_and_the_respondent_id(tmp_path):
    be = psychometry.backends.FakeBackend(choice="hash", name="gemma")
    res = psychometry.administer([likert()], model=be, out=tmp_path / "r.sqlite", progress=False)
    df = load_results(res.path)
    assert tuple(df.columns) == COLUMNS
    assert len(df) == res.planned == 4 * 3 * 2
    r = df.iloc[0]
    assert re.fullmatch(rf"gemma/none/{r['template']}/{r['order']}/0/[0-9a-f]{{8}}", r["respondent"])
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
        psychometry.administer([likert()], model=Crashing(be, 10), out=out, progress=False)
    assert len(load_results(out)) == 10
    be2 = psychometry.backends.FakeBackend(choice="hash")
    res = psychometry.administer([likert()], model=be2, out=out, progress=False)
    assert (res.skipped, res.written, res.resumed) == (10, 14, True)
    assert len([c for c in be2.calls if c.method == "option_logprobs"]) == 14
    df = load_results(out)
    assert len(df) == 24 and df["response_id"].is_unique
    again = psychometry.administer([likert()], model=be2, out=out, progress=False)
    assert (again.written, again.skipped) == (0, 24)


def test_a_completed_response_is_never_overwritten(tmp_path):
    out = tmp_path / "r.sqlite"
    psychometry.administer([likert()], model=ValuePicker([likert()], 1), out=out, progress=False)
    before = load_results(out)
    # same configuration (same model identity), a backend that would now answer 5 everywhere
    res = psychometry.administer([likert()], model=ValuePicker([likert()], 5), out=out, progress=False)
    after = load_results(out)
    assert res.written == 0
    assert (after["value"] == 1).all()
    assert after.equals(before)


def test_a_different_configuration_in_the_same_file_is_refused_unless_add_run(tmp_path):
    out = tmp_path / "r.sqlite"
    be = psychometry.backends.FakeBackend(choice=0)
    psychometry.administer([likert()], model=be, out=out, progress=False)
    with pytest.raises(StoreError, match=r"differs in: orders"):
        psychometry.administer(Design([likert()], orders="rotate"), model=be, out=out, progress=False)
    assert len(load_results(out)) == 24
    res = psychometry.administer(
        Design([likert()], orders="rotate"), model=be, out=out, progress=False, add_run=True
    )
    df = load_results(out)
    # rotate0 shows the same options as original but is its own condition: 4 items x 3 templates x 5
    assert res.planned == 60 and len(df) == 24 + 60 and df["run_id"].nunique() == 2


def test_generate_mode_stores_refusals_and_unparsed_replies_with_the_raw_text(tmp_path):
    replies = iter(["As an AI, I don't have personal opinions.", "Hmm, hard to say."] * 50)
    be = psychometry.backends.FakeBackend(reply=lambda prompt: next(replies))
    res = psychometry.administer(
        Design([likert()], templates="likert-plain", orders="original"),
        model=be,
        answers=AnswerConfig(mode="generate"),
        out=tmp_path / "g.sqlite",
        progress=False,
    )
    df = load_results(res.path)
    assert list(df["status"]) == ["refused", "unparsed"] * 2
    assert df["value"].isna().all() and df["position"].isna().all()
    assert df["raw_text"].iloc[0].startswith("As an AI")
    tab = res.summary_frame()
    assert tab["refused"].tolist() == [0.5, 0.5] and tab["unparsed"].tolist() == [0.5, 0.5]


def test_generate_mode_passes_distinct_seeds_per_repeat_and_the_labels_as_choices(tmp_path):
    be = psychometry.backends.FakeBackend(choice=1)
    psychometry.administer(
        Design([likert()], templates="likert-plain", orders="original", repeats=3),
        model=be,
        answers=AnswerConfig(mode="generate", temperature=0.8, grammar=True),
        out=tmp_path / "g.sqlite",
        progress=False,
    )
    gens = [c for c in be.calls if c.method == "generate"]
    assert len(gens) == 12
    q1 = [c.kwargs["seed"] for c in gens if "I talk a lot." in c.prompt]
    assert len(set(q1)) == 3
    assert all(c.kwargs["temperature"] == 0.8 for c in gens)
    # grammar=True asks for a reply constrained to the shown labels; the backend builds the constraint
    assert all(c.kwargs["choices"] == ("1", "2", "3", "4", "5") for c in gens)


def test_generate_mode_without_grammar_asks_for_free_text(tmp_path):
    be = psychometry.backends.FakeBackend(choice=1)
    psychometry.administer(
        Design([likert()], templates="likert-plain", orders="original"),
        model=be,
        answers=AnswerConfig(mode="generate"),
        out=tmp_path / "g.sqlite",
        progress=False,
    )
    gens = [c for c in be.calls if c.method == "generate"]
    assert gens and all(c.kwargs["choices"] is None for c in gens)


def test_generate_step_asks_for_a_constrained_reply_through_the_protocol_only():
    import ast
    import inspect

    from psychometry import engine

    tree = ast.parse(inspect.getsource(engine._generate_request))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(m and m.startswith("backends.") for m in imported), imported


def test_summary_scores_scales_with_reverse_keying(tmp_path):
    # every answer is 5: forward items score 5, reverse-keyed items 1 + 5 - 5 = 1 -> scale mean 3
    res = psychometry.administer(
        [likert()], model=ValuePicker([likert()], 5), out=tmp_path / "r.sqlite", progress=False
    )
    tab = res.summary_frame().set_index("scale")
    assert tab.loc["E", "mean"] == 3.0 and tab.loc["N", "mean"] == 3.0
    assert tab.loc["E", "n"] == 6  # 3 templates x 2 orders
    assert "run " in res.summary() and "already stored" in res.summary()


def test_sum_scored_scales_add_keyed_item_values(tmp_path):
    # bipolar JP is sum-scored: b1 = 5, reverse-keyed b2 -> 1 + 5 - 5 = 1; sum = 6
    res = psychometry.administer(
        [bipolar()], model=ValuePicker([bipolar()], 5), out=tmp_path / "r.sqlite", progress=False
    )
    assert res.summary_frame()["mean"].tolist() == [6.0]


def test_bad_arguments_are_user_errors(tmp_path):
    be = psychometry.backends.FakeBackend()
    with pytest.raises(
        PsychometryError, match=r"^AnswerConfig.mode must be logprob, generate or cloze, not 'vibes'$"
    ):
        psychometry.administer(
            [likert()], model=be, answers=AnswerConfig(mode="vibes"), out=tmp_path / "x.sqlite"
        )
    with pytest.raises(PsychometryError, match=r"AnswerConfig.label_style must be digits, letters, anchors"):
        psychometry.administer(
            [likert()], model=be, answers=AnswerConfig(label_style="emoji"), out=tmp_path / "x.sqlite"
        )
    with pytest.raises(PsychometryError, match="Design.shape: .*unknown trait"):
        psychometry.administer(Design([likert()], shape="charm=high"), model=be, out=tmp_path / "x.sqlite")


def test_results_cli_prints_the_manifest_and_exports_csv(tmp_path, capsys):
    from psychometry.cli import main

    out = tmp_path / "r.sqlite"
    psychometry.administer([likert()], model=psychometry.backends.FakeBackend(), out=out, progress=False)
    assert main(["results", "info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "24 of 24 responses stored" in text and "template    likert-plain" in text
    assert main(["results", "export", str(out), "--format", "csv", "--out", str(tmp_path / "r.csv")]) == 0
    assert (tmp_path / "r.csv").read_text().splitlines()[0] == ",".join(COLUMNS)
    assert main(["results", "info", str(tmp_path / "missing.sqlite")]) == 1
    assert "no results file" in capsys.readouterr().err


# ------------------------------------------------------------------------------------ runs in one file
def test_a_run_added_to_a_file_holds_its_whole_design_including_responses_an_earlier_run_stored(tmp_path):
    from psychometry.results import run_info
    from psychometry.scoring import score_long

    out = tmp_path / "r.sqlite"
    be = psychometry.backends.FakeBackend(choice="hash")
    one = psychometry.administer(Design([likert()], orders="original"), model=be, out=out, progress=False)
    two = psychometry.administer(
        Design([likert()], orders="original,reversed"), model=be, out=out, progress=False, add_run=True
    )
    assert (two.planned, two.skipped, two.written) == (24, 12, 12)  # original is shared, not asked again
    # each run's table is its whole design, whoever stored the row; run_id names the run asked for
    df1, df2 = load_results(out, run_id=one.run_id), load_results(out, run_id=two.run_id)
    assert len(df1) == 12 and len(df2) == 24 and (df2["run_id"] == two.run_id).all()
    assert set(df2["order"]) == {"original", "reversed"}
    assert len(two.results()) == 24 and two.summary_frame()["n"].tolist() == [6, 6]
    assert {r["run_id"]: r["n_responses"] for r in run_info(out)} == {one.run_id: 12, two.run_id: 24}
    # the whole file lists every stored response once, tagged with the run that wrote it
    everything = load_results(out)
    assert len(everything) == 24 and everything["response_id"].is_unique
    assert everything.groupby("run_id").size().to_dict() == {one.run_id: 12, two.run_id: 12}
    assert len(score_long(everything, likert())) == 6  # shared rows are one respondent, not two


def test_runs_that_differ_only_in_answer_settings_get_distinct_respondents(tmp_path):
    from psychometry.scoring import score_long

    out = tmp_path / "r.sqlite"
    be = psychometry.backends.FakeBackend(choice="hash")
    a = psychometry.administer(
        [likert()], model=be, answers=AnswerConfig(label_style="digits"), out=out, progress=False
    )
    b = psychometry.administer(
        [likert()],
        model=be,
        answers=AnswerConfig(label_style="letters"),
        out=out,
        progress=False,
        add_run=True,
    )
    ra, rb = set(a.results()["respondent"]), set(b.results()["respondent"])
    assert len(ra) == len(rb) == 6 and not ra & rb
    # model/persona/template/order/repeat stay readable in front of the settings tag
    assert {r.rsplit("/", 1)[0] for r in ra} == {r.rsplit("/", 1)[0] for r in rb}
    assert len(score_long(load_results(out), likert())) == 12


def test_a_respondent_keeps_its_id_across_the_instruments_of_a_run(tmp_path):
    other = likert()
    other = type(other)(**{**other.__dict__, "id": "toy2"})
    res = psychometry.administer(
        [likert(), other], model=psychometry.backends.FakeBackend(), progress=False, out=tmp_path / "r.sqlite"
    )
    df = res.results()
    assert set(df.loc[df["instrument"] == "toy", "respondent"]) == set(
        df.loc[df["instrument"] == "toy2", "respondent"]
    )


def test_a_file_of_the_previous_schema_resumes_with_its_own_respondent_ids(tmp_path):
    # an interrupted run written by psychometry-store/1: no tags, no membership, no position_probs
    import sqlite3

    from psychometry.store import _DDL, RESPONSE_COLUMNS

    def make_legacy_file(p, rows):  # as in test_store.py: the tables psychometry-store/1 wrote
        con = sqlite3.connect(p)
        con.executescript(_DDL.replace(',\n    "position_probs" TEXT', ""))
        con.execute("INSERT INTO meta VALUES ('schema', 'psychometry-store/1')")
        con.execute("INSERT INTO runs VALUES ('run1', '{}', '{}', '2024-01-01T00:00:00+00:00')")
        cols = [c for c in RESPONSE_COLUMNS if c != "position_probs"]
        con.executemany(
            f"INSERT INTO responses ({', '.join(repr(c) for c in cols)}) VALUES "
            f"({', '.join('?' for _ in cols)})",
            [[r.get(c) for c in cols] for r in rows],
        )
        con.commit()
        con.close()

    new = tmp_path / "new.sqlite"
    psychometry.administer(
        [likert()], model=psychometry.backends.FakeBackend(choice="hash"), out=new, progress=False
    )
    from psychometry.instrument.model import fmt_value

    rows = [
        {**r, "probs": json.dumps({fmt_value(v): p for v, p in r["probs"].items()})}  # as stored
        for r in load_results(new).head(10).to_dict("records")
    ]
    con = sqlite3.connect(new)
    ((config, manifest),) = con.execute("SELECT config, manifest FROM runs").fetchall()
    con.close()
    old = tmp_path / "old.sqlite"
    make_legacy_file(old, [{**r, "respondent": r["respondent"].rsplit("/", 1)[0]} for r in rows])
    con = sqlite3.connect(old)
    con.execute("UPDATE runs SET run_id = ?, config = ?, manifest = ?", (rows[0]["run_id"], config, manifest))
    con.commit()
    con.close()
    res = psychometry.administer(
        [likert()], model=psychometry.backends.FakeBackend(choice="hash"), out=old, progress=False
    )
    assert (res.resumed, res.skipped, res.written) == (True, 10, 14)
    df = res.results()
    assert len(df) == 24 and df["respondent"].nunique() == 6
    assert all(r.count("/") == 4 for r in df["respondent"])  # no tag: one kind of id per file


# ------------------------------------------------------------------------------- identical respondents
@pytest.mark.parametrize("kw", [{}, {"mode": "generate"}, {"mode": "generate", "temperature": 0.0}])
def test_repeats_without_sampling_are_refused_as_identical_copies(kw, tmp_path):
    # the message says why (deterministic answers: identical respondents inflate n) and what to do
    with pytest.raises(
        PsychometryError,
        match=r"--repeats 3 .*deterministic.* identical copies .*inflate n"
        r".*--mode generate with --temperature > 0.*--repeats 1"
        r".*earlier version.*read.*not resumed or extended",
    ):
        psychometry.administer(
            Design([likert()], repeats=3),
            model=psychometry.backends.FakeBackend(),
            answers=AnswerConfig(**kw),
            out=tmp_path / "x.sqlite",
            progress=False,
        )
    assert not (tmp_path / "x.sqlite").exists()


def test_order_conditions_that_repeat_an_earlier_order_are_dropped_with_a_note(tmp_path):
    from psychometry.results import run_info

    res = psychometry.administer(
        Design([likert()], templates="likert-plain", orders="original,rotate"),
        model=psychometry.backends.FakeBackend(),
        out=tmp_path / "r.sqlite",
        progress=False,
    )
    df = res.results()
    assert sorted(set(df["order"])) == ["original", "rotate1", "rotate2", "rotate3", "rotate4"]
    assert df.groupby("order")["shown_values"].first().is_unique
    note = "toy: rotate0 shows every item in the same order as original (a copy of that respondent); not administered"
    assert res.notes == (note,) and f"note: {note}" in res.summary()
    assert run_info(res.path)[0]["manifest"]["notes"] == [note]


@pytest.mark.parametrize("orders", ["original,reversed,random:3", "original,reversed,rotate", "all"])
def test_every_respondent_answers_every_item_of_tasks_whose_items_differ_in_option_count(orders, tmp_path):
    # cooperation's items have 2, 5, 3 and 4 options, honesty's 3, 3, 2 and 3: whether an order
    # repeats an earlier one depends on the item, yet a respondent answers every item under its order
    res = psychometry.administer(
        Design(["cooperation", "honesty"], templates="choice-plain", orders=orders),
        model=psychometry.backends.FakeBackend(),
        out=tmp_path / "r.sqlite",
        progress=False,
    )
    df = res.results()
    items = df.groupby("instrument")["item"].nunique()
    assert items.to_dict() == {"cooperation": 4, "honesty": 4}
    per_respondent = df.groupby(["instrument", "respondent"])["item"].agg(["nunique", "size"])
    assert (per_respondent["nunique"] == 4).all() and (per_respondent["size"] == 4).all(), per_respondent
    conditions = df.groupby("instrument")["order"].agg(lambda o: sorted(set(o)))
    if orders.startswith("original,reversed,random"):
        assert (
            conditions["honesty"]
            == conditions["cooperation"]
            == ["original", "random0", "random1", "random2", "reversed"]
        )
        assert res.notes == ()
    elif orders == "all":
        # perm{i} is permutation i mod k! of a smaller item: cooperation runs to 5! = 120, honesty to 3! = 6
        assert len(conditions["cooperation"]) == 120 and len(conditions["honesty"]) == 6
        assert res.notes == ()
    else:
        assert "rotate0" not in conditions["cooperation"] and len(conditions["cooperation"]) == 6
        assert res.notes == tuple(
            f"{i}: rotate0 shows every item in the same order as original (a copy of that respondent); "
            "not administered"
            for i in ("cooperation", "honesty")
        )


# ------------------------------------------------------------------------------- per-position probabilities
def test_position_probabilities_are_stored_per_shown_position_as_well_as_per_value(tmp_path):
    # a TRAIT-style choice item: four options scored 1, 0, 1, 0
    rf = ResponseFormat("choice", 4, 0)
    opts = (
        Option("Talk to everyone", 1),
        Option("Stay by the wall", 0),
        Option("Dance", 1),
        Option("Leave early", 0),
    )
    inst = Instrument(
        "trt",
        "Trt",
        "1",
        "c",
        "l",
        "u",
        "Choose.",
        rf,
        (Scale("E", "E", ("t1",)),),
        (Item("t1", "At a party.", "E", options=opts),),
    )
    be = psychometry.backends.FakeBackend(choice=0, confidence=0.7)  # p = .7 .1 .1 .1 by shown position
    psychometry.administer(
        Design([inst], templates="choice-plain", orders="original,reversed"),
        model=be,
        out=tmp_path / "r.sqlite",
        progress=False,
    )
    df = load_results(tmp_path / "r.sqlite").set_index("order")
    for order, shown in (("original", "1,0,1,0"), ("reversed", "0,1,0,1")):
        assert df.loc[order, "shown_values"] == shown
        assert df.loc[order, "position_probs"] == pytest.approx([0.7, 0.1, 0.1, 0.1])
    # keyed by value, options sharing a value share (sum) their probability
    assert df.loc["original", "probs"] == pytest.approx({0.0: 0.2, 1.0: 0.8})
    assert df.loc["reversed", "probs"] == pytest.approx({0.0: 0.8, 1.0: 0.2})


# ----------------------------------------------------------------------- the design before the model
@pytest.fixture
def no_model_load(monkeypatch):
    """Loading the default backend fails the test: a design error must come first."""
    import psychometry.backends.llama as llama

    class Loaded(Exception):
        pass

    def load(*a, **k):
        raise Loaded("the model was loaded")

    monkeypatch.setattr(llama, "LlamaCppBackend", load)
    return Loaded


def anchors_likert() -> Instrument:
    inst = likert()
    rf = ResponseFormat("likert", 5, 1, ("Agree", "Agree", "Neutral", "Disagree", "Disagree"))
    return type(inst)(**{**inst.__dict__, "response_format": rf})


@pytest.mark.parametrize(
    "args, kw, error",
    [
        (Design([likert(), likert()]), {}, "instrument given twice: toy"),
        (Design([likert()], templates="choice-plain"), {}, "no prompt template for response type 'likert'"),
        ([anchors_likert()], {"label_style": "anchors"}, "distinct option texts"),
    ],
)
def test_design_errors_are_reported_before_the_model_is_loaded(args, kw, error, no_model_load, tmp_path):
    with pytest.raises(PsychometryError, match=error):
        psychometry.administer(
            args,
            model=tmp_path / "missing.gguf",
            answers=AnswerConfig(**kw),
            out=tmp_path / "r.sqlite",
            progress=False,
        )
    assert not (tmp_path / "r.sqlite").exists()


def test_an_unusable_results_file_is_reported_before_the_model_is_loaded(no_model_load, tmp_path):
    import sqlite3

    foreign = tmp_path / "theirs.sqlite"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE t (x)")
    con.close()
    (tmp_path / "file").write_text("x")
    for out, error in (
        (tmp_path, "is a directory"),
        (foreign, "not a psychometry results file"),
        (tmp_path / "file" / "r.sqlite", "is not a folder"),
    ):
        with pytest.raises(StoreError, match=error):
            psychometry.administer([likert()], model=tmp_path / "missing.gguf", out=out, progress=False)
    # a different configuration without --add-run, too (the model's identity is checked after loading)
    out = tmp_path / "r.sqlite"
    psychometry.administer([likert()], model=psychometry.backends.FakeBackend(), out=out, progress=False)
    with pytest.raises(StoreError, match=r"differs in: orders\).*--add-run"):
        psychometry.administer(Design([likert()], orders="rotate"), out=out, progress=False)
    # and a valid design does reach the model load
    with pytest.raises(no_model_load):
        psychometry.administer([likert()], out=tmp_path / "new.sqlite", progress=False)


def test_the_cli_reports_a_design_error_not_the_missing_model(tmp_path, capsys):
    from psychometry.cli import main

    rc = main(
        [
            "administer",
            "bfi44",
            "bfi44",
            "--model",
            str(tmp_path / "missing.gguf"),
            "--out",
            str(tmp_path / "r.sqlite"),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 1 and "given twice: bfi44" in err and "missing.gguf" not in err


# ----------------------------------------------------------------------------------------- results CLI
def test_results_info_on_a_file_that_is_not_a_results_file_is_one_line(tmp_path, capsys):
    import sqlite3

    from psychometry.cli import main

    p = tmp_path / "resp.sqlite"
    con = sqlite3.connect(p)
    con.execute("CREATE TABLE responses (x)")
    con.close()
    assert main(["results", "info", str(p)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a psychometry results file (no meta, runs tables)" in err


def test_results_info_shows_each_sessions_backend_settings(tmp_path, capsys):
    from psychometry.cli import main

    out = tmp_path / "r.sqlite"
    be = psychometry.backends.FakeBackend(choice="hash")
    with pytest.raises(KeyboardInterrupt):
        psychometry.administer([likert()], model=Crashing(be, 5), out=out, progress=False)
    be2 = psychometry.backends.FakeBackend(choice="hash")
    be2.info.settings["n_threads"] = 7  # resumed with other settings (e.g. --threads 7)
    psychometry.administer([likert()], model=be2, out=out, progress=False)
    assert main(["results", "info", str(out)]) == 0
    text = capsys.readouterr().out
    sessions = re.findall(r"(?m)^  session .*\n(?:              .*\n)+", text)
    assert len(sessions) == 2
    assert "n_threads" not in sessions[0] and "n_threads=7" in sessions[1]
    assert all(f"psychometry {psychometry.__version__}" in s for s in sessions)


def test_results_export_creates_missing_folders_and_refuses_a_directory(tmp_path, capsys):
    from psychometry.cli import main

    out = tmp_path / "r.sqlite"
    psychometry.administer([likert()], model=psychometry.backends.FakeBackend(), out=out, progress=False)
    target = tmp_path / "a" / "b" / "r.csv"
    assert main(["results", "export", str(out), "--out", str(target)]) == 0
    assert target.read_text().splitlines()[0] == ",".join(COLUMNS)
    assert main(["results", "export", str(out), "--out", str(tmp_path)]) == 1
    assert "is a directory" in capsys.readouterr().err


def test_an_unconstrained_reply_does_not_require_the_choices_argument(tmp_path):
    # a backend written before `choices` existed still serves unconstrained generate mode
    class OldBackend(psychometry.backends.FakeBackend):
        def generate(self, prompt, *, max_tokens=16, temperature=0.0, seed=0, stop=None):  # no choices
            return super().generate(prompt, max_tokens=max_tokens, temperature=temperature, seed=seed)

    res = psychometry.administer(
        Design([likert()], templates="likert-plain", orders="original"),
        model=OldBackend(reply="3"),
        answers=AnswerConfig(mode="generate"),
        out=tmp_path / "g.sqlite",
        progress=False,
    )
    assert (load_results(res.path)["value"] == 3).all()


# ------------------------------------------------------------------------------- settings objects
#: run ids and a digest of (response_id, respondent) of three sd3 runs, recorded with psychometry 0.1's
#: flat keywords before the settings objects existed: the objects must not change a single id.
IDS_BEFORE_SETTINGS_OBJECTS = {
    "logprob": ("ec161fa1c3ab375f", "65e8414f0826d582", 108),
    "letters_shape": ("785c1bd37f10b427", "889fcdb0a9b6392b", 8100),
    "generate": ("f4a7724e47cb3aa4", "88cac7fd5ea6439d", 54),
}
SETTINGS_CASES = {
    "logprob": (
        Design("sd3", templates="likert-plain,likert-survey", orders="original,reversed"),
        AnswerConfig(),
    ),
    "letters_shape": (
        Design(
            "sd3",
            templates="likert-plain",
            orders="rotate",
            personas="default",
            shape="extraversion=high",
            seed=7,
        ),
        AnswerConfig(label_style="letters"),
    ),
    "generate": (
        Design("sd3", templates="likert-interview", orders="original", repeats=2, seed=3),
        AnswerConfig(mode="generate", temperature=0.7, max_tokens=8, grammar=True),
    ),
}


def _id_digest(path) -> str:
    import hashlib

    df = load_results(path)
    return hashlib.sha256("\n".join(sorted(df["response_id"] + "|" + df["respondent"])).encode()).hexdigest()[
        :16
    ]


@pytest.mark.parametrize("case", sorted(SETTINGS_CASES))
def test_settings_objects_keep_the_run_response_and_respondent_ids(case, tmp_path):
    design, answers = SETTINGS_CASES[case]
    out = tmp_path / "r.sqlite"
    res = psychometry.administer(
        design, model=psychometry.backends.FakeBackend(choice=1), answers=answers, out=out, progress=False
    )
    assert (res.run_id, _id_digest(out), res.planned) == IDS_BEFORE_SETTINGS_OBJECTS[case]


def test_arguments_other_than_the_settings_objects_are_refused(tmp_path):
    be = psychometry.backends.FakeBackend()
    # the flat keywords of 0.1 (never released) are gone: settings travel in the settings objects
    with pytest.raises(TypeError, match="unexpected keyword argument 'orders'"):
        psychometry.administer(Design([likert()]), model=be, out=tmp_path / "r.sqlite", orders="original")
    with pytest.raises(TypeError, match="unexpected keyword argument 'backend'"):
        psychometry.administer([likert()], backend=be, out=tmp_path / "r.sqlite")
    with pytest.raises(PsychometryError, match="needs a Design or instrument ids"):
        psychometry.administer(model=be, out=tmp_path / "r.sqlite")
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        psychometry.administer([likert()], model=be, out=tmp_path / "r.sqlite", colour="red")
    with pytest.raises(PsychometryError, match="model must be a ModelConfig, a GGUF path or a backend"):
        psychometry.administer([likert()], model=42, out=tmp_path / "r.sqlite")
    with pytest.raises(PsychometryError, match="answers must be an AnswerConfig"):
        psychometry.administer([likert()], model=be, answers={"mode": "logprob"}, out=tmp_path / "r.sqlite")


@pytest.mark.parametrize(
    "cls, field, value, allowed",
    [
        (Design, "instruments", [], "at least one instrument"),
        (Design, "instruments", [3], "instrument ids, YAML files or Instrument objects"),
        (Design, "repeats", 0, "a positive integer"),
        (Design, "repeats", True, "a positive integer"),
        (Design, "seed", -1, "an integer from 0 to 4294967295"),
        (Design, "seed", 2**32, "an integer from 0 to 4294967295"),
        (Design, "orders", "sideways", "bad option order|unknown option order"),
        (Design, "orders", 3, "original, reversed, rotate, all or random:K"),
        (Design, "templates", 3, "template ids or template YAML files"),
        (Design, "shape", "charm=high", "unknown trait"),
        (ModelConfig, "path", "", "a GGUF file, a served model name or None"),
        (ModelConfig, "n_ctx", 63, "an integer >= 64"),
        (ModelConfig, "n_gpu_layers", -2, "an integer >= -1"),
        (ModelConfig, "threads", 0, "from 1 to 1024 or None"),
        (ModelConfig, "chat_template", "yes", "auto or model or none"),
        (ModelConfig, "cpu_repack", "maybe", "auto, on, off or None"),
        (ModelConfig, "batch_size", 0, "a positive integer or None"),
        (ModelConfig, "backend", "vllm", "llama or openai"),
        (ModelConfig, "base_url", "http://x/v1", "for backend='openai'"),
        (ModelConfig, "concurrency", 0, "a positive integer"),
        (ModelConfig, "request_timeout", float("nan"), "a finite number of seconds > 0"),
        (ModelConfig, "api_key_env", "", "the name of an environment variable"),
        (AnswerConfig, "mode", "vibes", "logprob, generate or cloze"),
        (AnswerConfig, "label_style", "emoji", "digits, letters, anchors"),
        (AnswerConfig, "temperature", -0.1, "a finite number >= 0"),
        (AnswerConfig, "temperature", float("inf"), "a finite number >= 0"),
        (AnswerConfig, "max_tokens", 0, "a positive integer"),
        (AnswerConfig, "grammar", "yes", "True or False"),
    ],
)
def test_every_settings_field_is_checked_in_one_line_naming_it(cls, field, value, allowed):
    base = {"instruments": ["bfi44"]} if cls is Design else {}
    if field == "api_key_env":  # read only for servers
        base = {"backend": "openai", "base_url": "http://127.0.0.1:8080/v1"}
    with pytest.raises(PsychometryError) as info:
        cls(**{**base, field: value})
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(f"{cls.__name__}.{field}") and re.search(allowed, msg), msg


def test_a_served_model_needs_a_server_url():
    with pytest.raises(PsychometryError, match=r"^ModelConfig.base_url must name a server"):
        ModelConfig(backend="openai")
    assert ModelConfig(backend="openai", base_url="http://127.0.0.1:8080/v1").base_url == (
        "http://127.0.0.1:8080/v1",
    )


def test_the_manifest_stores_the_settings_objects_and_they_load_back(tmp_path):
    from psychometry.results import run_info

    design = Design([likert()], templates="likert-plain", orders=["original"])
    answers = AnswerConfig(mode="generate", temperature=0.5)
    out = tmp_path / "r.sqlite"
    psychometry.administer(
        design, model=psychometry.backends.FakeBackend(reply="3"), answers=answers, out=out, progress=False
    )
    (run,) = run_info(out)
    m = run["manifest"]
    assert m["design"] == {
        "instruments": ["toy"],
        "templates": "likert-plain",
        "orders": ["original"],
        "personas": "none",
        "shape": None,
        "repeats": 1,
        "seed": 0,
        "opponents": None,
        "content_free": False,
    }
    assert AnswerConfig.from_dict(m["answers"]) == answers
    assert ModelConfig.from_dict(m["model_config"]) == ModelConfig()
    assert Design.from_dict({**m["design"], "instruments": [likert()], "future_field": 1}).orders == (
        "original",
    )
    json.dumps(m)  # plain JSON


def test_the_short_form_takes_instrument_ids_and_a_model_path(no_model_load, tmp_path):
    calls = []

    def fake(path=None, **settings):
        calls.append((path, settings))
        return psychometry.backends.FakeBackend()

    import psychometry.backends.llama as llama

    llama.LlamaCppBackend = fake  # the fixture's monkeypatch restores it
    res = psychometry.administer("sd3", model="x.gguf", out=tmp_path / "r.sqlite", progress=False)
    assert res.planned == 27 * 3 * 2 and [i.id for i in res.instruments] == ["sd3"]
    ((path, settings),) = calls
    assert path == "x.gguf" and settings["n_ctx"] == 2048 and settings["n_threads"] >= 1
    assert settings["chat_template"] == "auto" and settings["batch_size"] is None


def test_a_model_config_for_servers_opens_the_openai_backend(monkeypatch, tmp_path):
    import psychometry.backends.openai as openai

    seen = {}

    def fake(urls, model=None, **kw):
        seen.update(urls=urls, model=model, **kw)
        return psychometry.backends.FakeBackend()

    monkeypatch.setattr(openai, "OpenAIBackend", fake)
    config = ModelConfig(
        path="served", backend="openai", base_url=["http://a/v1", "http://b/v1"], chat_template="model"
    )
    psychometry.administer(
        Design([likert()], seed=5), model=config, out=tmp_path / "r.sqlite", progress=False
    )
    assert seen["urls"] == ["http://a/v1", "http://b/v1"] and seen["model"] == "served"
    assert seen["chat"] is True and seen["seed"] == 5 and seen["concurrency"] == 4


def test_the_cli_names_the_flag_of_a_bad_setting(tmp_path, capsys, no_model_load):
    from psychometry.cli import main

    argv = ["administer", "sd3", "--out", str(tmp_path / "r.sqlite"), "--backend", "openai"]
    rc = main([*argv, "--base-url", "http://127.0.0.1:9/v1", "--api-key-env", " "])
    err = capsys.readouterr().err
    assert rc == 1 and err.count("\n") == 1
    assert "--api-key-env: ModelConfig.api_key_env must be the name of an environment variable" in err


def test_progress_goes_to_the_display_given(tmp_path):
    seen: list = []

    class Display:  # what the CLI's progress line (psychometry.cli.progress.ProgressLine) implements
        def __init__(self, total):
            seen.append(("total", total))

        def step(self, n=1):
            seen.append("step")

        def close(self):
            seen.append("close")

    design = Design([likert()], templates="likert-plain", orders="original")
    out = tmp_path / "r.sqlite"
    be = psychometry.backends.FakeBackend()
    psychometry.administer(design, model=be, out=out, progress=Display)
    assert seen == [("total", 4), "step", "step", "step", "step", "close"]
    seen.clear()
    psychometry.administer(design, model=be, out=out, progress=Display)  # resumed: nothing left to do
    assert seen == [("total", 0), "close"]


def test_progress_true_is_refused_in_one_line_naming_the_display_to_pass(tmp_path):
    design = Design([likert()], templates="likert-plain", orders="original")
    with pytest.raises(ConfigError, match=r"progress must be .*ProgressLine\), not True") as exc:
        psychometry.administer(
            design, model=psychometry.backends.FakeBackend(), out=tmp_path / "r", progress=True
        )
    assert "\n" not in str(exc.value) and not (tmp_path / "r").exists()
