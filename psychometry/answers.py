"""Reading the chosen option out of a generated reply, and recognising refusals.

Generate-mode administration (as in MPI, Jiang et al. 2023, and PsychoBench, Huang et al. 2024)
asks the model for free text and must map the reply back to one option. The rules, in order:

1. The reply is cut before the model starts on another item (a second ``Answer:``, or a line
   beginning ``Statement``/``Question``/``Item``): base models often continue the questionnaire.
2. Scale descriptions are removed so they are not read as answers: ranges (``1-5``,
   ``1 to 5``, ``between 1 and 5``, ``out of 5``, ``/5``) and echoed keys (``1 = Disagree``).
3. **Marked answers**: a label after ``Answer:``, ``my answer is``, ``I'd say``, ``I choose``,
   ``option``, ``rating``..., or a label in brackets ``(B)`` / ``[3]``. If these name exactly one
   option, that is the answer; if they name several, the reply is ``unparsed`` (ambiguous).
4. Otherwise **free mentions**: labels standing alone as a word (digits; letter labels only
   when the reply is just the letter or the letter is followed by ``)``, ``.`` or ``:``) and
   anchor texts (``Agree a little``; word order of two-word anchors may be swapped:
   ``strongly agree``). One option named -> ``ok``; several -> ``unparsed``.
5. No option found: ``refused`` if :func:`is_refusal` recognises a decline, else ``unparsed``.

A reply that declines *and* then answers ("As an AI I have no feelings, but I'd say 4") counts
as an answer: the model chose an option.

Example
-------
>>> parse_answer("I'd say 4 - agree a little", ["1", "2", "3", "4", "5"]).index
3
>>> parse_answer("As an AI, I don't have personal opinions.", ["1", "2", "3", "4", "5"]).status
'refused'
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Sequence

__all__ = ["ParsedAnswer", "parse_answer", "is_refusal", "REFUSAL_PATTERNS"]

Status = Literal["ok", "refused", "unparsed"]


@dataclass(frozen=True)
class ParsedAnswer:
    """The outcome of :func:`parse_answer`.

    ``index`` is the 0-based position of the chosen label in ``labels`` (None unless ``ok``);
    ``reason`` says which rule decided (``marked``, ``mention``, ``anchor``, ``ambiguous``,
    ``refusal``, ``empty``, ``no option``).
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
        text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
        .replace("\u2013", "-").replace("\u2014", "-")
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
_MARKER_RE = re.compile(
    r"(?i)(?:" + "|".join(_MARKERS) + r")\s*(?:[:=\-]|is)?\s*(?:a\s+|an\s+|number\s+|option\s+)?"
    r"[\(\[\"']?\s*(?P<lab>[^\s\)\]\"',.:;!?/]+)"
)
_SCALE_NOISE = (
    r"\b\d+\s*(?:-|to)\s*\d+\b",  # 1-5, 1 to 5
    r"\bbetween\s+\d+\s+and\s+\d+\b",
    r"\b(?:out of|of)\s+\d+\b",
    r"(?<=\d)\s*/\s*\d+\b",  # 4/5 -> 4
    r"(?m)^\s*\d+\s*[=:]\s*[a-z][a-z ]*$",  # echoed scale key "1 = Disagree strongly"
    r"\bscale\s+(?:from\s+)?\d+",
)


def _cut(text: str) -> str:
    # keep everything up to the start of the next item or a second "Answer:"
    m = _CUT_RE.search(text, pos=1)
    if m and text[: m.start()].strip():
        text = text[: m.start()]
    answers = [m.start() for m in re.finditer(r"(?i)\banswer\s*:", text)]
    if len(answers) > 1:
        text = text[: answers[1]]
    return text


def _label_index(token: str, labels: Sequence[str]) -> int | None:
    for i, lab in enumerate(labels):
        if token == lab.strip():
            return i
    low = token.lower()
    for i, lab in enumerate(labels):
        if low == lab.strip().lower():
            return i
    return None


def _free_mentions(text: str, labels: Sequence[str]) -> set[int]:
    found: set[int] = set()
    stripped = text.strip().strip(".!\"'()[] ")
    for i, lab in enumerate(labels):
        lab = lab.strip()
        if not lab:
            continue
        if stripped == lab or stripped.lower() == lab.lower():
            found.add(i)
            continue
        esc = re.escape(lab)
        if lab.isdigit():
            # a number standing alone (not part of 3.5 or 34)
            if re.search(rf"(?<![\w.]){esc}(?![\w]|\.\d)", text):
                found.add(i)
        elif len(lab) == 1 and lab.isalpha():
            # letters only with a delimiter: "B)", "B.", "B:" (not the article "A" or pronoun "I")
            if re.search(rf"(?<![\w']){esc}(?=\s*[\).:](?!\w))", text):
                found.add(i)
        else:
            if re.search(rf"(?<![\w]){esc}(?![\w])", text, flags=re.IGNORECASE):
                found.add(i)
    return found


def _anchor_mentions(text: str, anchors: Sequence[str]) -> set[int]:
    """Indices of anchors named in ``text`` (longest first, non-overlapping, whole words)."""
    spans: list[tuple[int, int]] = []
    found: set[int] = set()
    order = sorted(range(len(anchors)), key=lambda i: -len(anchors[i]))
    low = re.sub(r"\s+", " ", text.lower())
    for i in order:
        anchor = re.sub(r"\s+", " ", anchors[i].strip().lower())
        if not anchor:
            continue
        variants = [anchor]
        words = anchor.split(" ")
        if len(words) == 2:
            variants.append(f"{words[1]} {words[0]}")  # "agree strongly" ~ "strongly agree"
        for v in variants:
            for m in re.finditer(rf"(?<![\w]){re.escape(v)}(?![\w])", low):
                if any(m.start() < e and s < m.end() for s, e in spans):
                    continue
                spans.append((m.start(), m.end()))
                found.add(i)
    return found


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
    for pat in _SCALE_NOISE:
        body = re.sub(pat, " ", body, flags=re.IGNORECASE)

    marked: set[int] = set()
    for m in _MARKER_RE.finditer(body):
        idx = _label_index(m.group("lab"), labels)
        if idx is not None:
            marked.add(idx)
    for m in re.finditer(r"[\(\[]\s*([^\s\)\]]+)\s*[\)\]]", body):
        idx = _label_index(m.group(1), labels)
        if idx is not None:
            marked.add(idx)
    if len(marked) == 1:
        idx = marked.pop()
        return ParsedAnswer("ok", idx, labels[idx], raw, "marked")
    if len(marked) > 1:
        return ParsedAnswer("unparsed", None, None, raw, "ambiguous: " + ", ".join(labels[i] for i in sorted(marked)))

    mentions = _free_mentions(body, labels)
    anchored = _anchor_mentions(body, anchors) if anchors else set()
    both = mentions | anchored
    if len(both) == 1:
        idx = both.pop()
        return ParsedAnswer("ok", idx, labels[idx], raw, "mention" if mentions else "anchor")
    if len(both) > 1:
        return ParsedAnswer("unparsed", None, None, raw, "ambiguous: " + ", ".join(labels[i] for i in sorted(both)))
    if is_refusal(raw):
        return ParsedAnswer("refused", None, None, raw, "refusal")
    return ParsedAnswer("unparsed", None, None, raw, "no option")
