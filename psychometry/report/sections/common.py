"""What every report section is made of: a statistic's :class:`~psychometry.report.outcome.Outcome`
printed as its ``summary()`` (text) and its tables as ``<table>`` s (HTML, through
``psychometry.stats._rhtml.summary_html``: the same strings), with the warnings the statistic raised;
and the small text helpers the sections share."""

from __future__ import annotations

import html as _h
from collections.abc import Callable, Sequence

import pandas as pd

from psychometry.stats._rhtml import summary_html

from ..document import Section
from ..outcome import Outcome

__all__ = [
    "Printed",
    "frame_text",
    "html_text",
    "html_warnings",
    "n_respondents",
    "one_line",
    "res_section",
    "with_warnings",
]


class Printed:
    """A table laid out by the report itself, printed like a statistic's result: ``summary()`` calls
    ``text`` each time (so ``summary_html`` captures its tables as ``<table>`` s)."""

    def __init__(self, text: Callable[[], str]) -> None:
        self._text = text

    def summary(self) -> str:
        return self._text()


def with_warnings(body: str, warns: Sequence[str]) -> str:
    """The body with one ``Warning: ...`` line per warning below it."""
    if not warns:
        return body
    return body.rstrip("\n") + "\n\n" + "\n".join(f"Warning: {w}" for w in warns)


def html_text(text: str) -> str:
    """Prose lines as HTML paragraphs (blank lines separate paragraphs)."""
    paras = [p.strip() for p in text.strip("\n").split("\n\n") if p.strip()]
    return "".join(f'<p class="note">{_h.escape(p).replace(chr(10), "<br>")}</p>' for p in paras)


def html_warnings(warns: Sequence[str]) -> str:
    """The warnings as HTML paragraphs."""
    return "".join(f'<p class="warning">Warning: {_h.escape(w)}</p>' for w in warns)


def res_section(
    key: str,
    title: str,
    res: Outcome,
    *,
    before: str = "",
    after: str = "",
    level: int = 3,
    preformatted_before: bool = False,
) -> Section:
    """A section whose text is ``before + result.summary() + after`` (and warnings), and whose HTML has
    the result's tables as ``<table>`` s (psychometry.stats._rhtml.summary_html: the same strings)."""
    body = with_warnings(before + res.value.summary() + after, res.warnings)
    pre = (
        f'<pre class="rout">{_h.escape(before.strip(chr(10)))}</pre>'
        if preformatted_before and before.strip()
        else html_text(before)
    )
    html = pre + summary_html(res.value) + html_text(after) + html_warnings(res.warnings)
    return Section(key=key, title=title, level=level, body=body, html=html)


def one_line(text: str) -> str:
    """The text on one line (runs of white space as one space)."""
    return " ".join(str(text).split())


def frame_text(df: pd.DataFrame, digits: int = 2) -> str:
    """A data frame as text, floats rounded to ``digits`` (no ``-0.00``), missing values as ``NA``."""
    shown = df.copy()
    num = shown.select_dtypes("float").columns
    shown[num] = shown[num].round(digits) + 0.0  # + 0.0: no "-0.00"
    return shown.to_string(na_rep="NA")


def n_respondents(long: pd.DataFrame) -> int:
    """The number of respondents of the rows (0 without a respondent column)."""
    return int(long["respondent"].nunique()) if "respondent" in long.columns else 0
