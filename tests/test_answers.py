"""Specification of psychometry.answers: reading the chosen option out of generated replies.

The replies below are written to resemble what base and chat models actually produce when
administered Likert items in generate mode (MPI, Jiang et al. 2023; PsychoBench, Huang et al.
2024): bare digits, "Answer: 4", anchors in words, echoed scales, continuations into the next
item, and the usual AI disclaimers.
"""

from __future__ import annotations

import pytest

from psychometry.answers import ParsedAnswer, is_refusal, parse_answer

DIGITS = ["1", "2", "3", "4", "5"]
BFI_ANCHORS = [
    "Disagree strongly",
    "Disagree a little",
    "Neither agree nor disagree",
    "Agree a little",
    "Agree strongly",
]
LETTERS = ["A", "B", "C", "D", "E"]
#: SD3's anchors; with ``--labels anchors`` they are the labels too, and "Agree" begins "Agree strongly"
SD3_ANCHORS = ["Disagree strongly", "Disagree", "Neither agree nor disagree", "Agree", "Agree strongly"]
TEN = [str(i) for i in range(1, 11)]

# (reply, expected 0-based index) for 1..5 digit labels with the BFI anchors
OK_DIGITS = [
    ("4", 3),
    (" 4", 3),
    ("4.", 3),
    ("4\n", 3),
    ("Answer: 4", 3),
    ("answer:4", 3),
    ("Answer: (4)", 3),
    ("My answer is 2.", 1),
    ("Final answer: 5", 4),
    ("I'd say 4 - agree a little", 3),
    ("I would say 3, neither agree nor disagree.", 2),
    ("I choose 1.", 0),
    ("I'd go with 2 because I am not very talkative.", 1),
    ("Rating: 5", 4),
    ("[3]", 2),
    ("**4** - Agree a little", 3),
    ("4 (Agree a little)", 3),
    ("On a scale of 1 to 5, I would rate myself a 4.", 3),
    ("I'd rate it 4/5.", 3),
    ("I'd say 4 out of 5.", 3),
    ("Agree a little", 3),
    ("agree strongly", 4),
    ("Strongly agree.", 4),
    ("Strongly disagree", 0),
    ("I disagree a little with this statement.", 1),
    ("Neither agree nor disagree", 2),
    ("I neither agree nor disagree.", 2),
    ("4\nStatement: I see myself as someone who is reserved.\nAnswer: 2", 3),
    ("Answer: 3\n\nStatement: Tends to find fault with others\nAnswer: 1", 2),
    ("As an AI I don't have feelings, but if I had to choose I'd say 4.", 3),
    ("The answer is 2", 1),
    ("Option 5", 4),
    ("So it's 3.", 2),
    ("  5  ", 4),
    # a reply that echoes its own option is an answer, not an echoed scale key
    ("4: Agree a little", 3),
    ("4 = Agree a little", 3),
    ("2: disagree a little.", 1),
    # "of N" after a rating word is the answer; "out of N" / "N of M" is the scale
    ("I would give it a rating of 4", 3),
    ("My score of 4", 3),
    ("My score of 4 out of 5.", 3),
    ("4 out of 5", 3),
    ("4 of 5", 3),
    ("On a scale of 5, I'd say 2.", 1),
    # an answer followed by the whole echoed key is still the answer
    (
        "4\n1 = Disagree strongly\n2 = Disagree a little\n3 = Neither agree nor disagree\n"
        "4 = Agree a little\n5 = Agree strongly",
        3,
    ),
]

# (reply, expected 0-based index) for A..E letter labels
OK_LETTERS = [
    ("B", 1),
    ("(B)", 1),
    ("B)", 1),
    ("Answer: C", 2),
    ("I'd choose option D.", 3),
    ("(e) agree strongly", 4),
    ("A. Disagree strongly", 0),
]

# (reply, expected 0-based index) with SD3's anchors as labels (``--labels anchors``): a label
# that begins another ("Agree" / "Agree strongly") or sits inside another ("Neither agree nor
# disagree") must not be read as well
OK_SD3_ANCHOR_LABELS = [
    ("Answer: Agree strongly", 4),
    ("answer: agree strongly.", 4),
    ("Answer: Agree", 3),
    ("Agree strongly", 4),
    ("Disagree strongly", 0),
    ("Neither agree nor disagree", 2),
    ("Agree", 3),
    ("Disagree.", 1),
    ("I agree.", 3),
    ("Strongly agree", 4),
    ("I'd say I disagree strongly with that.", 0),
    ("(Agree strongly)", 4),
]

UNPARSED = [
    # two different options named: ambiguous
    "3 or 4",
    "Either 2 or 3, it depends on the situation.",
    "Answer: 4. Actually, answer: 2",  # cut at the second "Answer:" -> 4? no: see test below
    "1 = Disagree strongly\n2 = Disagree a little\n3 = Neither agree nor disagree",
    "I agree a little but also disagree a little.",
    # no option at all, and not a refusal
    "I see myself as someone who is talkative.",
    "",
    "   ",
    "The statement describes an outgoing person.",
    "34",
    "3.5",
]

REFUSALS = [
    "As an AI, I don't have personal opinions or feelings.",
    "As an AI language model, I do not have a personality.",
    "I cannot answer this question.",
    "I'm not able to have feelings, so I can't rate this statement.",
    "I'm sorry, but I can't provide a personal rating.",
    "I am an AI and do not have personal experiences.",
    "I don't have personal preferences.",
    "I do not possess emotions, so this doesn't apply to me.",
    "I must decline to answer personality questions about myself.",
    "It is not appropriate for me to rate myself.",
    "I\u2019m just a language model, I don\u2019t experience emotions.",  # curly apostrophes
    "I am not capable of having opinions.",
    "As a large language model, I cannot choose an option.",
]

NOT_REFUSALS = [
    "4 - I agree a little.",
    "I am quite talkative at parties.",
    "I don't like being the centre of attention, so 2.",
    "I cannot stand rude people.",  # "cannot" followed by something other than a decline verb
    "Agree strongly",
]


@pytest.mark.parametrize("reply,expected", OK_DIGITS)
def test_digit_label_is_found_in_realistic_reply(reply: str, expected: int) -> None:
    got = parse_answer(reply, DIGITS, BFI_ANCHORS)
    assert got.status == "ok", (reply, got)
    assert got.index == expected, (reply, got)
    assert got.label == DIGITS[expected]
    assert got.raw_text == reply


@pytest.mark.parametrize("reply,expected", OK_LETTERS)
def test_letter_label_is_found_only_when_delimited(reply: str, expected: int) -> None:
    got = parse_answer(reply, LETTERS, BFI_ANCHORS)
    assert (got.status, got.index) == ("ok", expected), (reply, got)


@pytest.mark.parametrize("with_anchors", [True, False], ids=["anchors", "no-anchors"])
@pytest.mark.parametrize("reply,expected", OK_SD3_ANCHOR_LABELS)
def test_longest_anchor_label_wins(reply: str, expected: int, with_anchors: bool) -> None:
    got = parse_answer(reply, SD3_ANCHORS, SD3_ANCHORS if with_anchors else None)
    assert (got.status, got.index) == ("ok", expected), (reply, got)


@pytest.mark.parametrize(
    "reply,expected",
    [
        ("Answer: 10", 9),
        ("Answer: 1", 0),
        ("10", 9),
        ("1", 0),
        ("I'd rate it 10 out of 10.", 9),
        ("I'd say 7 out of 10", 6),
    ],
)
def test_two_digit_label_is_not_read_as_its_first_digit(reply: str, expected: int) -> None:
    got = parse_answer(reply, TEN)
    assert (got.status, got.index) == ("ok", expected), (reply, got)


@pytest.mark.parametrize("reply", ["Answer: 4.5", "I'd say 3.5", "My rating is 2.5 out of 5.", "4.5"])
def test_a_number_between_two_options_is_not_rounded_to_either(reply: str) -> None:
    got = parse_answer(reply, DIGITS, BFI_ANCHORS)
    assert got.status == "unparsed" and got.index is None, (reply, got)
    assert got.reason.startswith("between options"), got.reason


def test_article_a_and_pronoun_i_are_not_letter_labels() -> None:
    labels = ["A", "B", "C", "I"]
    got = parse_answer("A person like me enjoys parties, I think.", labels)
    assert got.status == "unparsed"


@pytest.mark.parametrize("reply", [r for r in UNPARSED if not r.startswith("Answer: 4. Actually")])
def test_ambiguous_or_optionless_reply_is_unparsed_with_raw_text(reply: str) -> None:
    got = parse_answer(reply, DIGITS, BFI_ANCHORS)
    assert got.status == "unparsed", (reply, got)
    assert got.index is None and got.label is None
    assert got.raw_text == reply


def test_second_answer_marker_is_a_continuation_and_is_ignored() -> None:
    # base models run on into the next item; the first "Answer:" is the one for this item
    got = parse_answer("Answer: 4. Actually, answer: 2", DIGITS)
    assert (got.status, got.index) == ("ok", 3)


def test_two_marked_answers_in_one_segment_are_ambiguous() -> None:
    got = parse_answer("I'd say 2, no, I choose 4", DIGITS)
    assert got.status == "unparsed"
    assert got.reason.startswith("ambiguous")


def test_label_and_anchor_that_disagree_are_ambiguous() -> None:
    got = parse_answer("2 - agree strongly", DIGITS, BFI_ANCHORS)
    assert got.status == "unparsed"


def test_echoed_option_that_disagrees_with_its_label_is_ambiguous() -> None:
    got = parse_answer("4: Agree strongly", DIGITS, BFI_ANCHORS)
    assert got.status == "unparsed" and got.reason.startswith("ambiguous")


def test_lower_case_article_after_a_marker_is_not_the_letter_a() -> None:
    assert parse_answer("I'd say a lot of the time", LETTERS).status == "unparsed"
    assert parse_answer("I choose A because it fits.", LETTERS).index == 0


def test_anchor_inside_a_longer_anchor_is_not_counted_twice() -> None:
    # "disagree a little" contains "agree a little": the longer match wins, whole words only
    got = parse_answer("Disagree a little", DIGITS, BFI_ANCHORS)
    assert (got.status, got.index) == ("ok", 1)


def test_reversed_option_order_maps_to_shown_position() -> None:
    # options shown 5..1: the label "4" is at shown index 1
    shown = ["5", "4", "3", "2", "1"]
    got = parse_answer("Answer: 4", shown, list(reversed(BFI_ANCHORS)))
    assert got.index == 1 and got.label == "4"


@pytest.mark.parametrize("reply", REFUSALS)
def test_refusal_is_recognised_and_reported_as_refused(reply: str) -> None:
    assert is_refusal(reply), reply
    got = parse_answer(reply, DIGITS, BFI_ANCHORS)
    assert got.status == "refused", (reply, got)
    assert got.index is None


@pytest.mark.parametrize("reply", NOT_REFUSALS)
def test_ordinary_reply_is_not_a_refusal(reply: str) -> None:
    assert not is_refusal(reply), reply


def test_none_reply_is_unparsed() -> None:
    assert parse_answer(None, DIGITS).status == "unparsed"


def test_anchor_count_must_match_labels() -> None:
    with pytest.raises(ValueError):
        parse_answer("3", DIGITS, BFI_ANCHORS[:3])


def test_parsed_answer_ok_property() -> None:
    assert ParsedAnswer("ok", 0, "1", "1").ok
    assert not ParsedAnswer("refused", None, None, "x").ok


# ----------------------------------------------------------------------------- review fixes
NINE_LETTERS = list("ABCDEFGHI")
NINE_ANCHORS = [
    "Disagree very strongly",
    "Disagree strongly",
    "Disagree",
    "Disagree a little",
    "Neutral",
    "Agree a little",
    "Agree",
    "Agree strongly",
    "Agree very strongly",
]


@pytest.mark.parametrize(
    "reply", ["I'd say A lot", "Answer: A lot of the time", "I'd say A great deal", "My answer is C grade"]
)
def test_a_capital_letter_followed_by_a_word_is_not_a_letter_label(reply: str) -> None:
    # "A lot" is not an answer; after a marker a letter label must end the reply, the line, or
    # come before punctuation
    assert parse_answer(reply, LETTERS).status == "unparsed", reply


@pytest.mark.parametrize(
    "reply,expected",
    [
        ("Answer: C", 2),
        ("I'd say B.", 1),
        ("I choose D\nIt fits me best.", 3),
        ("Answer: B - disagree a little", 1),
        ("My answer is E!", 4),
        ("I choose A because it fits.", 0),
        ("Answer: (C), as it fits", 2),
    ],
)
def test_a_capital_letter_after_a_marker_is_a_label_before_punctuation_a_line_break_or_the_end(
    reply, expected
):
    got = parse_answer(reply, LETTERS)
    assert (got.status, got.index) == ("ok", expected), (reply, got)


def test_the_pronoun_i_followed_by_a_word_is_not_the_ninth_letter_label() -> None:
    reply = "I would say I agree a little"
    assert parse_answer(reply, NINE_LETTERS).status == "unparsed"
    got = parse_answer(reply, NINE_LETTERS, NINE_ANCHORS)  # the anchor it names is the answer
    assert (got.status, got.label) == ("ok", "F"), got
    assert parse_answer("I would say I.", NINE_LETTERS).label == "I"
    assert parse_answer("Answer: I", NINE_LETTERS).label == "I"


@pytest.mark.parametrize(
    "reply",
    [
        "I'd say 3 or 4",
        "Answer: 2 or 3",
        "Answer: 3/4",
        "I'd say 3, maybe 4",
        "Answer: 2, 3 or 4",
        "My rating is 3 or maybe 4.",
        "3/4",
    ],
)
def test_a_hedge_between_two_options_after_a_marker_is_ambiguous_not_the_first_option(reply: str) -> None:
    got = parse_answer(reply, DIGITS, BFI_ANCHORS)
    assert (got.status, got.index) == ("unparsed", None), (reply, got)
    assert got.reason.startswith("ambiguous"), got.reason


@pytest.mark.parametrize("reply", ["I'd say A or B", "Answer: B/C", "I choose C, or maybe D."])
def test_a_hedge_between_two_letter_labels_is_ambiguous(reply: str) -> None:
    got = parse_answer(reply, LETTERS)
    assert got.status == "unparsed" and got.reason.startswith("ambiguous"), (reply, got)


@pytest.mark.parametrize(
    "reply,labels,expected",
    [
        # N/M with M the top of the scale is a rating: 4 on a 5-point scale
        ("Answer: 4/5", DIGITS, 3),
        ("4/5", DIGITS, 3),
        ("I'd rate it 5/5.", DIGITS, 4),
        ("Answer: 3/4", ["1", "2", "3", "4"], 2),
        ("Answer: 7/10", TEN, 6),
        # a denominator that is no option at all is a scale description, as before
        ("I'd rate myself a 4/10", DIGITS, 3),
        # "or so" is not a second option
        ("I'd say 2 or so", DIGITS, 1),
    ],
)
def test_a_slash_rating_out_of_the_top_of_the_scale_is_an_answer(reply, labels, expected):
    got = parse_answer(reply, labels)
    assert (got.status, got.index) == ("ok", expected), (reply, got)


@pytest.mark.parametrize(
    "reply",
    [
        "I don't agree",
        "I do not agree at all",
        "I don't disagree",
        "I never agree.",
        "I do not really agree with that.",
        "Honestly, I don't agree strongly.",
    ],
)
@pytest.mark.parametrize("as_labels", [False, True], ids=["digits+anchors", "anchor-labels"])
def test_a_negated_option_is_not_an_answer(reply: str, as_labels: bool) -> None:
    # "I don't agree" says what the answer is not: neither Agree nor (by guessing) Disagree
    got = parse_answer(reply, SD3_ANCHORS) if as_labels else parse_answer(reply, DIGITS, SD3_ANCHORS)
    assert (got.status, got.index) == ("unparsed", None), (reply, got)
    assert got.reason.startswith("negated"), got.reason


def test_an_option_whose_own_text_holds_the_negation_is_an_answer() -> None:
    anchors = ["Strongly disagree", "Do not agree", "Unsure", "Agree", "Strongly agree"]
    got = parse_answer("I do not agree.", DIGITS, anchors)
    assert (got.status, got.index) == ("ok", 1), got


def test_a_marked_label_wins_over_a_negated_option_and_a_negated_decline_is_a_refusal() -> None:
    assert parse_answer("Answer: 2 - I don't agree", DIGITS, SD3_ANCHORS).index == 1
    got = parse_answer("As an AI, I do not agree or disagree with statements.", DIGITS, SD3_ANCHORS)
    assert got.status == "refused"
