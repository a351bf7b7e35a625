"""Reading the chosen option out of a generated reply, and recognising refusals.

Generate-mode administration (as in MPI, Jiang et al. 2023, and PsychoBench, Huang et al. 2024)
asks the model for free text and must map the reply back to one option. The rules, in order:

1. The reply is cut before the model starts on another item (a second ``Answer:``, or a line
   beginning ``Statement``/``Question``/``Item``): base models often continue the questionnaire.
2. Scale descriptions are removed so they are not read as answers: ranges (``1-5``,
   ``1 to 5``, ``between 1 and 5``, ``out of 5``, ``4 of 5``, ``scale of 10``) and an
   echoed key, i.e. two or more consecutive lines ``1 = Disagree strongly`` / ``2: Disagree a
   little``. A single such line (``4: Agree a little``) is an answer, not a key, and so is the
   number after ``rating of`` / ``score of``. ``N/M`` is a rating ``N`` when ``M`` is the top of
   the scale (``4/5`` on a 5-point scale, ``7/10`` on a 10-point one) or no option at all
   (``4/10`` on a 5-point scale, as before); when ``M`` is another option (``3/4`` on a 5-point
   scale) it names two options, ``3 or 4``: ambiguous.
3. **Marked answers**: a label right after ``Answer:``, ``my answer is``, ``I'd say``,
   ``I choose``, ``option``, ``rating (of)``..., or a label in brackets ``(B)`` / ``[3]`` /
   ``(Agree strongly)``. After a marker the *longest* label the text begins with is taken
   (``Answer: Agree strongly`` is "Agree strongly", not "Agree"; ``Answer: 10`` is "10", not
   "1"). A capital letter label counts after a marker only before punctuation, a line break or
   the end of the reply, or (not ``I``) before "because", "since", "as", "or", "and", "but":
   "I'd say A lot" is no answer, and with nine letter labels "I would say I agree" is not ``I``.
   A hedge after the label names a second option (``I'd say 3 or 4``, ``Answer: B/C``,
   ``2, maybe 3``, ``2, 3 or 4``). If the markers name exactly one option, that is the answer;
   if they name several, the reply is ``unparsed`` (ambiguous). A marked non-integer number
   (``Answer: 4.5``) declines to choose one option: ``unparsed`` (reason ``between options``),
   never rounded.
4. Otherwise **free mentions**: labels standing alone as a word (digits, not inside ``34`` or
   ``3.5``; letter labels only when the reply is just the letter or the letter is followed by
   ``)``, ``.`` or ``:``), multi-word labels, and anchor texts (``Agree a little``; the word
   order of two-word labels and anchors may be swapped: ``strongly agree``). Matching is longest
   first and a text span is claimed once, so "Agree strongly" and "Neither agree nor disagree"
   do not also count as "Agree" or "Disagree". One option named -> ``ok``; several ->
   ``unparsed``. An option's words right after a negation (``not``, ``never``, ``don't``,
   ``do not``, ``cannot``..., an intensifier such as ``really`` may stand between) are negated:
   "I don't agree" says what the answer is not, so the reply is ``unparsed`` (reason
   ``negated``; ``refused`` if it declines), unless the option's own text holds the negation
   (an anchor "Do not agree").
5. No option found: ``refused`` if :func:`is_refusal` recognises a decline, else ``unparsed``.

A reply that declines *and* then answers ("As an AI I have no feelings, but I'd say 4") counts
as an answer: the model chose an option.

Decoding a response into the stored fields (``docs/administration.md``, "Answer modes"):
:func:`read_reply` for a generated reply (the rules above), :func:`read_scores` for the option
log-probabilities of logprob mode (normalised over the shown options; the most probable option is
the answer, with its expected value, entropy and label mass).

Example
-------
>>> parse_answer("I'd say 4 - agree a little", ["1", "2", "3", "4", "5"]).index
3
>>> parse_answer("As an AI, I don't have personal opinions.", ["1", "2", "3", "4", "5"]).status
'refused'
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .errors import PsychometryError
from .instrument.model import fmt_value

__all__ = [
    "REFUSAL_PATTERNS",
    "ParsedAnswer",
    "is_refusal",
    "parse_answer",
    "read_cloze",
    "read_reply",
    "read_scores",
]

Status = Literal["ok", "refused", "unparsed"]


@dataclass(frozen=True)
class ParsedAnswer:
    """The outcome of :func:`parse_answer`.

    ``index`` is the 0-based position of the chosen label in ``labels`` (None unless ``ok``);
    ``reason`` says which rule decided (``marked``, ``mention``, ``anchor``, ``ambiguous: ...``,
    ``between options: ...``, ``negated: ...``, ``refusal``, ``empty``, ``no option``).
    """

    status: Status
    index: int | None
    label: str | None
    raw_text: str
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _norm(text: str) -> str:
    text = (
        text.replace("\u2019", "'")
        .replace("\u2018", "'")
        .replace("\u201c", '"')
        .replace("\u201d", '"')
        .replace("\u2013", "-")
        .replace("\u2014", "-")
    )
    text = re.sub(r"[*_`#]+", " ", text)  # markdown emphasis / headings
    return text


# ----------------------------------------------------------------------------- refusals
#: Regular expressions (case-insensitive) that mark a reply as a refusal / a decline to
#: self-report. Matched on the normalised reply (curly apostrophes made straight).
REFUSAL_PATTERNS: tuple[str, ...] = (
    r"\bas an? (?:ai|a\.i\.|artificial intelligence|(?:large )?language model|llm|ai (?:language )?model|"
    r"ai assistant|assistant|machine|chatbot|computer program)\b",
    r"\bi(?: am|'m) (?:just |only |merely |simply )?(?:an? )?(?:ai|a\.i\.|artificial intelligence|"
    r"(?:large )?language model|llm|computer program|machine|chatbot|bot|virtual assistant|ai assistant)\b",
    r"\bi (?:do not|don't|dont|do n't) (?:have|possess|experience|hold|form)(?: any)?(?: personal| real| human|"
    r" genuine| subjective)? (?:opinions?|feelings?|emotions?|preferences?|beliefs?|personality|"
    r"personal experiences?|experiences?|views?|thoughts|a personality|a self|consciousness|traits)\b",
    r"\bi (?:cannot|can't|cant|can not|am unable to|am not able to|'m unable to|'m not able to|"
    r"won't|will not|must decline to|have to decline to|refuse to|am not in a position to|"
    r"'m not in a position to) (?:answer|respond|provide|rate|choose|select|give|share|have|"
    r"express|say|comply|participate|take|complete|fill|assess|evaluate|describe|agree|disagree|"
    r"feel|experience|pick|determine|self-report|answer that|help with)",
    r"\bi(?: am|'m) (?:not (?:capable|able)|incapable) of (?:having|feeling|experiencing|holding|"
    r"forming|answering|rating|choosing)",
    r"\b(?:not|n't) (?:capable of|able to) (?:have|having|feel|feeling|experience|experiencing)\b",
    r"\bi(?: am|'m) (?:sorry|afraid)\b[^.!?]*\b(?:can't|cannot|can not|unable|not able|won't)\b",
    r"\bi (?:must|have to|need to|will) (?:respectfully |politely )?decline\b",
    r"\b(?:it is|it's) not (?:appropriate|possible) for me to\b",
    r"\bi (?:don't|do not) (?:feel comfortable|think it(?:'s| is) appropriate)\b",
    r"\bno (?:personal )?(?:opinions|feelings|emotions|preferences|personality) of my own\b",
    r"\bi (?:lack|do not possess|don't possess) (?:personal |human )?(?:opinions|feelings|emotions|"
    r"experiences|a personality|preferences)\b",
    r"\bdoes not apply to me\b|\bdoesn't apply to me\b|\bnot applicable to (?:me|an ai)\b",
)
_REFUSAL_RE = re.compile("|".join(f"(?:{p})" for p in REFUSAL_PATTERNS), re.IGNORECASE)


def is_refusal(text: str) -> bool:
    """True if ``text`` declines to answer or to self-report ("As an AI, I don't have personal
    opinions", "I cannot answer that", "I'm not able to have feelings").

    >>> is_refusal("I'm sorry, but I can't answer that.")
    True
    >>> is_refusal("4 - I agree a little.")
    False
    """
    return bool(_REFUSAL_RE.search(_norm(text)))


# ----------------------------------------------------------------------------- answers
_CUT_RE = re.compile(
    r"(?im)^\s*(?:statement|question|item|q)\s*\d*\s*[:.)]|"  # a new item starts
    r"^\s*\d+\s*[.)]\s+(?:i\s|i'm|i am|i see myself|am\s)"  # "12. I see myself as ..."
)
_MARKERS = (
    r"(?:final\s+)?answer(?:\s+is)?",
    r"(?:my\s+)?(?:response|choice|rating|selection|score)(?:\s+(?:is|would be|will be))?",
    r"option",
    r"i(?:'d| would)\s+(?:say|choose|pick|select|go with|rate (?:myself|it|this)(?:\s+(?:a|as|at))?|"
    r"answer|respond(?:\s+with)?)",
    r"i\s+(?:choose|chose|pick|select|rate (?:myself|it|this)(?:\s+(?:a|as|at))?|say|answer|go with|"
    r"would go with)",
    r"i(?:'ll| will)\s+(?:go with|choose|pick|select|say|answer)",
    r"(?:so|therefore),?\s+(?:it's|it is)",
)
#: a marker and its connector; the label is looked for right after the match
_MARKER_RE = re.compile(r"(?i)\b(?:" + "|".join(_MARKERS) + r")\s*(?:[:=\-]|\bis\b|\bof\b)?\s*")
#: what may stand between a marker and the label: an article or "number"/"option", a bracket
_MARKER_FILLER_RE = re.compile(r"(?i)^(?:(?:a|an|number|option)\s+)?[\(\[\"']?\s*")
#: between two labels after a marker, a hedge: "3 or 4", "B/C", "2, maybe 3", "2 and 3", "2, 3 or 4"
_HEDGE_RE = re.compile(
    r"(?i)^[^\S\n]*(?:,[^\S\n]*(?:(?:or|and|maybe|perhaps|possibly)\b)?|(?:or|and|maybe|perhaps)\b|/)"
    r"(?:[^\S\n]*(?:maybe|perhaps|possibly)\b)?[^\S\n]*"
)
_BRACKET_RE = re.compile(r"[\(\[]\s*([^\(\)\[\]\n]+?)\s*[\)\]]")
_DECIMAL_RE = re.compile(r"^\d+\.\d+(?!\w)")
_SCALE_NOISE = (
    r"\b\d+\s*(?:-|to)\s*\d+\b",  # 1-5, 1 to 5
    r"\bbetween\s+\d+\s+and\s+\d+\b",
    r"\bout\s+of\s+\d+\b",  # 4 out of 5 -> 4
    r"(?<=\d)\s+of\s+\d+\b",  # 4 of 5 -> 4 (but "a rating of 4" keeps its 4)
    r"(?<=\d)\s*/\s*\d+\b",  # 4/10 (not a label) -> 4; "N/M" with M a label: see _slashes
    r"\bscale\s+(?:(?:from|of)\s+)?\d+",  # "on a scale of 10"
)
#: an echoed scale key: two or more consecutive lines "1 = Disagree strongly" / "2: Disagree"
_KEY_LINE = r"[ \t]*\d+[ \t]*[=:][ \t]*[a-z][a-z ,']*[ \t]*"
_ECHOED_KEY_RE = re.compile(rf"(?im)^{_KEY_LINE}(?:\n{_KEY_LINE})+$")


_SLASH_RE = re.compile(r"(?<![\w.])(\d+)\s*/\s*(\d+)(?![\w]|\.\d)")


def _slashes(text: str, labels: Sequence[str]) -> str:
    """Read ``N/M`` between numbers: with ``M`` the top of the scale (the number of options or the
    largest number label) it is a rating, ``N`` (``4/5`` on a 5-point scale); with ``M`` another
    option it names two options, ``N or M`` (``3/4`` on a 5-point scale: a hedge, ambiguous);
    otherwise (``4/10`` on a 5-point scale) the denominator is dropped as before."""
    tops = {len(labels)} | {int(lab) for lab in labels if lab.strip().isdigit()}
    top = max(tops)

    def repl(m: re.Match) -> str:
        n, d = m.group(1), m.group(2)
        if int(d) != top and _label_index(d, labels) is not None and _label_index(n, labels) is not None:
            return f"{n} or {d}"
        return n

    return _SLASH_RE.sub(repl, text)


def _cut(text: str) -> str:
    # keep everything up to the start of the next item or a second "Answer:"
    m = _CUT_RE.search(text, pos=1)
    if m and text[: m.start()].strip():
        text = text[: m.start()]
    answers = [m.start() for m in re.finditer(r"(?i)\banswer\s*:", text)]
    if len(answers) > 1:
        text = text[: answers[1]]
    return text


def _phrase_pattern(phrase: str) -> str:
    """A whole-word regex for ``phrase`` that tolerates any run of whitespace between words."""
    return r"\s+".join(re.escape(w) for w in phrase.split())


def _label_index(token: str, labels: Sequence[str]) -> int | None:
    """The label that ``token`` is, exactly or else case-insensitively (whitespace-normalised)."""
    token = " ".join(token.split())
    for i, lab in enumerate(labels):
        if token == " ".join(lab.split()):
            return i
    low = token.lower()
    for i, lab in enumerate(labels):
        if low == " ".join(lab.split()).lower():
            return i
    return None


#: what may follow a single upper-case letter label after a marker: punctuation, a line break or
#: the end of the reply ("Answer: B.", "I'd say C\n", "(D)"), or a word that cannot follow the
#: article "A" ("I choose A because it fits", "A or B"); never another word ("I'd say A lot")
_LETTER_END = r"(?=[^\S\n]*(?:[^\w\s]|\n|$)|\s+(?:because|since|as|or|and|but)\b)"
#: the letter "I" only before punctuation, a line break or the end: "I agree" is the pronoun
_I_END = r"(?=[^\S\n]*(?:[^\w\s']|\n|$))"


def _label_span(text: str, labels: Sequence[str]) -> tuple[int, int] | None:
    """``(index, end)`` of the longest label that ``text`` begins with as whole words, or None.

    Digit labels must not continue into a longer number or a decimal (``4`` in ``45``/``4.5``).
    Single-letter labels match in upper case when followed by punctuation, a line break, the end,
    or (not ``I``) one of "because", "since", "as", "or", "and", "but" (so "A lot" is not the
    label ``A`` and "I agree" not the label ``I``), or in lower case only when followed by ``)``,
    ``.``, ``:`` or the end (so the article in "a lot" is not the label ``A``).
    """
    best: tuple[int, int] | None = None  # (length, index)
    for i, lab in enumerate(labels):
        lab = lab.strip()
        if not lab:
            continue
        end = r"(?!\w)(?![.,]\d)" if lab[-1].isdigit() else r"(?!\w)"
        if len(lab) == 1 and lab.isalpha():
            m = re.match(rf"{re.escape(lab)}{_I_END if lab == 'I' else _LETTER_END}", text) or re.match(
                rf"{re.escape(lab.lower())}(?=\s*[\).:](?!\w)|\s*$)", text
            )
        else:
            m = re.match(_phrase_pattern(lab) + end, text, flags=re.IGNORECASE)
        if m and (best is None or m.end() > best[0]):
            best = (m.end(), i)
    return None if best is None else (best[1], best[0])


def _marked(body: str, labels: Sequence[str]) -> tuple[set[int], list[str]]:
    """Labels named right after an answer marker or in brackets, and marked non-integer numbers
    (``Answer: 4.5``: between two options)."""
    marked: set[int] = set()
    between: list[str] = []
    for m in _MARKER_RE.finditer(body):
        rest = body[m.end() :]
        filler = _MARKER_FILLER_RE.match(rest)
        candidates = [rest[filler.end() :]] if filler and filler.end() else []
        candidates.append(rest.lstrip("([\"' \t"))
        for cand in candidates:
            span = _label_span(cand, labels)
            if span is not None:
                marked.add(span[0])
                # a hedge names a second option: "I'd say 3 or 4", "Answer: B/C", "2, maybe 3"
                rest = cand[span[1] :]
                while (h := _HEDGE_RE.match(rest)) and (nxt := _label_span(rest[h.end() :], labels)):
                    marked.add(nxt[0])
                    rest = rest[h.end() + nxt[1] :]
                break
            dec = _DECIMAL_RE.match(cand)
            if dec:
                between.append(dec.group(0))
                break
    for m in _BRACKET_RE.finditer(body):
        idx = _label_index(m.group(1), labels)
        if idx is not None:
            marked.add(idx)
    return marked, between


#: a negation directly before an option's words (an intensifier may stand between): "I don't
#: agree", "I do not really agree", "never agree"
_NEGATION_RE = re.compile(
    r"(?i)(?:\b(?:not|never|dont|cannot)|n't)\s+"
    r"(?:(?:really|quite|fully|entirely|completely|totally|particularly|necessarily|exactly|always|much)\s+)?$"
)


def _mentions(
    text: str, labels: Sequence[str], anchors: Sequence[str] | None
) -> tuple[set[int], set[int], set[int]]:
    """Options named anywhere in ``text``: (indices found as labels, indices found as anchors,
    indices whose words are negated).

    Every label and anchor (and the swapped word order of two-word labels and anchors) is
    searched longest first; a span of text claimed by a longer phrase is not counted again for a shorter one
    ("agree strongly" is not also "agree", "disagree a little" not also "agree a little"). An
    option text or word label right after a negation ("I don't agree", "I do not disagree") is
    negated, not named; an option whose own text holds the negation ("Do not agree") is named.
    """
    stripped = text.strip().strip(".!\"'()[] ")
    whole = _label_index(stripped, labels)
    if whole is not None:  # the reply is just a label ("B", "agree")
        return {whole}, set(), set()
    patterns: list[tuple[int, int, str, str, int]] = []  # (length, order, regex, kind, index)
    for i, lab in enumerate(labels):
        lab = lab.strip()
        if not lab:
            continue
        esc = re.escape(lab)
        if lab.isdigit():
            # a number standing alone (not part of 3.5 or 34)
            pat = rf"(?<![\w.]){esc}(?![\w]|\.\d)"
        elif len(lab) == 1 and lab.isalpha():
            # letters only with a delimiter: "B)", "B.", "B:" (not the article "A" or pronoun "I")
            pat = rf"(?<![\w']){esc}(?=\s*[\).:](?!\w))"
        else:
            words = lab.split()
            for v in [words] + ([words[::-1]] if len(words) == 2 else []):  # "strongly agree"
                phrase = " ".join(v)
                pat = rf"(?i)(?<![\w]){_phrase_pattern(phrase)}(?![\w])"
                patterns.append((len(phrase), len(patterns), pat, "label", i))
            continue
        patterns.append((len(lab), len(patterns), pat, "label", i))
    for i, anchor in enumerate(anchors or ()):
        words = anchor.split()
        if not words:
            continue
        variants = [words] + ([words[::-1]] if len(words) == 2 else [])  # "strongly agree"
        for v in variants:
            phrase = " ".join(v)
            pat = rf"(?i)(?<![\w]){_phrase_pattern(phrase)}(?![\w])"
            patterns.append((len(phrase), len(patterns), pat, "anchor", i))
    patterns.sort(key=lambda p: (-p[0], p[1]))
    spans: list[tuple[int, int]] = []
    by_label: set[int] = set()
    by_anchor: set[int] = set()
    negated: set[int] = set()
    for _, _, pat, kind, i in patterns:
        is_words = kind == "anchor" or not (labels[i].strip().isdigit() or len(labels[i].strip()) == 1)
        for m in re.finditer(pat, text):
            if any(m.start() < e and s < m.end() for s, e in spans):
                continue
            spans.append((m.start(), m.end()))
            if is_words and _NEGATION_RE.search(text[: m.start()]):
                negated.add(i)
            else:
                (by_label if kind == "label" else by_anchor).add(i)
    return by_label, by_anchor, negated


def parse_answer(
    text: str | None,
    labels: Sequence[str],
    anchors: Sequence[str] | None = None,
) -> ParsedAnswer:
    """Find the option a generated reply chose; see the module docstring for the rules.

    Parameters
    ----------
    text
        The model's reply.
    labels
        The option labels as shown, in shown order (``["1", ..., "5"]`` or ``["A", ...]``).
    anchors
        The option texts in the same order (``["Disagree strongly", ...]``), if shown.

    Returns
    -------
    ParsedAnswer
        ``status`` ``ok`` with ``index`` (0-based, into ``labels``), ``refused`` or
        ``unparsed``; ``raw_text`` is the reply unchanged.
    """
    raw = "" if text is None else str(text)
    if anchors is not None and len(anchors) != len(labels):
        raise ValueError(f"{len(anchors)} anchors for {len(labels)} labels")
    if not raw.strip():
        return ParsedAnswer("unparsed", None, None, raw, "empty")
    body = _cut(_norm(raw))
    body = _ECHOED_KEY_RE.sub(" ", body)
    body = _slashes(body, labels)
    for pat in _SCALE_NOISE:
        body = re.sub(pat, " ", body, flags=re.IGNORECASE)

    marked, between = _marked(body, labels)
    if len(marked) == 1 and not between:
        idx = marked.pop()
        return ParsedAnswer("ok", idx, labels[idx], raw, "marked")
    if marked:
        named = [labels[i] for i in sorted(marked)] + between
        return ParsedAnswer("unparsed", None, None, raw, "ambiguous: " + ", ".join(named))
    if between:
        return ParsedAnswer("unparsed", None, None, raw, "between options: " + ", ".join(between))

    mentions, anchored, negated = _mentions(body, labels, anchors)
    if negated:  # "I don't agree": says what the answer is not, and the rest is unreliable
        if is_refusal(raw):
            return ParsedAnswer("refused", None, None, raw, "refusal")
        return ParsedAnswer(
            "unparsed", None, None, raw, "negated: " + ", ".join(labels[i] for i in sorted(negated))
        )
    both = mentions | anchored
    if len(both) == 1:
        idx = both.pop()
        return ParsedAnswer("ok", idx, labels[idx], raw, "mention" if mentions else "anchor")
    if len(both) > 1:
        return ParsedAnswer(
            "unparsed", None, None, raw, "ambiguous: " + ", ".join(labels[i] for i in sorted(both))
        )
    if is_refusal(raw):
        return ParsedAnswer("refused", None, None, raw, "refusal")
    if _DECIMAL_RE.match(body.strip()):  # a bare "3.5"
        return ParsedAnswer("unparsed", None, None, raw, "between options: " + body.strip().rstrip("."))
    return ParsedAnswer("unparsed", None, None, raw, "no option")


# ------------------------------------------------------------------------- stored fields
def read_reply(
    text: str,
    labels: Sequence[str],
    shown_values: Sequence[float],
    anchors: Sequence[str] | None = None,
    *,
    number: bool = False,
) -> dict[str, Any]:
    """The stored fields of a generated reply: ``status`` and ``raw_text`` (the reply), and when
    :func:`parse_answer` finds one option its scale ``value`` and 1-based shown ``position``.

    ``number``: the labels are the whole numbers of a range (number answers); a number outside
    the range is no label, so the reply is ``unparsed``, and so is a label written with a minus
    sign (``-3`` is not ``3``)."""
    parsed = parse_answer(text, list(labels), anchors)
    if (
        number
        and parsed.status == "ok"
        and re.search(rf"(?:^|[\s:(\[])-\s?{re.escape(str(parsed.label))}(?![\d.])", text)
    ):
        parsed = ParsedAnswer("unparsed", None, None, text, "outside the range")
    fields: dict[str, Any] = {"status": parsed.status, "raw_text": text}
    if parsed.status == "ok" and parsed.index is not None:
        fields.update(value=float(shown_values[parsed.index]), position=float(parsed.index + 1))
    return fields


def _softmax(logprobs: Sequence[float]) -> list[float] | None:
    finite = [lp for lp in logprobs if lp != -math.inf and not math.isnan(lp)]
    if not finite:
        return None
    m = max(finite)
    ex = [math.exp(lp - m) if lp != -math.inf and not math.isnan(lp) else 0.0 for lp in logprobs]
    s = sum(ex)
    return [e / s for e in ex]


def read_scores(
    logprobs: Sequence[float], label_mass: float, labels: Sequence[str], shown_values: Sequence[float]
) -> dict[str, Any]:
    """The stored fields of the log-probabilities of the shown ``labels`` (logprob mode).

    ``label_mass`` always; when any label has probability, ``status`` ``ok``, the most probable
    option's ``value`` and ``position``, ``expected`` (sum p_i v_i), ``entropy`` (nats), ``probs``
    (JSON keyed by scale value, options sharing a value summed) and ``position_probs`` (JSON list
    in shown order). Otherwise ``status`` ``unparsed``. A count of log-probabilities other than
    the labels' is a :class:`~psychometry.errors.PsychometryError`.
    """
    if len(logprobs) != len(labels):
        raise PsychometryError(f"backend returned {len(logprobs)} log-probabilities for {len(labels)} labels")
    fields: dict[str, Any] = {"status": "unparsed", "label_mass": float(label_mass)}
    probs = _softmax(logprobs)
    if probs is None:  # no label has any probability: nothing to read
        return fields
    best = max(range(len(probs)), key=probs.__getitem__)
    by_value: dict[float, float] = {}
    for p, v in zip(probs, shown_values):
        by_value[float(v)] = by_value.get(float(v), 0.0) + p
    fields.update(
        status="ok",
        value=float(shown_values[best]),
        position=float(best + 1),
        expected=float(sum(p * v for p, v in zip(probs, shown_values))),
        entropy=float(-sum(p * math.log(p) for p in probs if p > 0)),
        probs=json.dumps({fmt_value(v): round(by_value[v], 10) for v in sorted(by_value)}),
        position_probs=json.dumps([round(float(p), 10) for p in probs]),
    )
    return fields


def read_cloze(
    results: Sequence[Any], labels: Sequence[str], shown_values: Sequence[float]
) -> dict[str, Any]:
    """The stored fields of cloze mode: each option text's log-likelihood as the continuation of the
    item (``results``: one :class:`psychometry.backends.base.Loglikelihood` per label).

    The answer is read as lm-evaluation-harness's ``acc`` reads it: the option of the largest summed
    log-likelihood; ``probs``, ``expected``, ``entropy`` and ``position_probs`` are
    :func:`read_scores` of the summed log-likelihoods (normalised over the options), ``label_mass``
    their sum of probabilities. ``raw_text`` keeps, as JSON, every option's log-likelihood
    (``loglik``), its tokens, UTF-8 bytes and characters, whether it was greedy, and the option each
    normalisation picks (``pick``: 0-based shown positions): ``sum`` (lm-eval's ``acc``: the stored
    answer), ``per_token``, ``per_byte`` and ``per_char`` (lm-eval's ``acc_norm``: the characters of the
    option text without its leading space).

    >>> from types import SimpleNamespace as R
    >>> f = read_cloze([R(logprob=-6.0, n_tokens=3, n_bytes=12, greedy=False),
    ...                 R(logprob=-4.0, n_tokens=1, n_bytes=4, greedy=True)], [" Agree strongly", " Yes"], [5, 1])
    >>> f["value"], json.loads(f["raw_text"])["pick"]
    (1.0, {'sum': 1, 'per_token': 0, 'per_byte': 0, 'per_char': 0})
    """
    lls = [float(r.logprob) for r in results]
    mass = sum(math.exp(x) for x in lls if x != -math.inf)
    fields = read_scores(lls, min(1.0, mass), labels, shown_values)
    chars = [len(str(lab).lstrip(" ")) for lab in labels]
    norms = {
        "sum": lls,
        "per_token": [x / r.n_tokens if r.n_tokens else -math.inf for x, r in zip(lls, results)],
        "per_byte": [x / r.n_bytes if r.n_bytes else -math.inf for x, r in zip(lls, results)],
        "per_char": [x / c if c else -math.inf for x, c in zip(lls, chars)],
    }
    detail = {
        "loglik": [round(x, 10) for x in lls],
        "tokens": [int(r.n_tokens) for r in results],
        "bytes": [int(r.n_bytes) for r in results],
        "chars": chars,
        "greedy": [bool(r.greedy) for r in results],
        "pick": {k: max(range(len(v)), key=v.__getitem__) for k, v in norms.items()},
    }
    fields["raw_text"] = json.dumps(detail)
    return fields
