"""HTML for result objects: the same print-out as ``summary()``, with its tables as real ``<table>`` s.

:func:`summary_html` runs a result's ``summary()`` while :data:`psychometry.stats._rprint.TABLE_CAPTURE`
is set: every table that ``summary()`` lays out with the R-style helpers of ``_rprint`` (``format_frame``,
``format_frame_signif``, ``format_strings``) is captured as the strings it would print and becomes an
HTML table, so the numbers are the text's numbers digit for digit (R's digits, R's p-value formatting).
The lines between tables stay preformatted text. Result classes use it as their ``_repr_html_`` (what
Jupyter shows); :mod:`psychometry.report` uses it for the HTML report.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from . import _rprint

__all__ = ["summary_html", "table_html"]

_NUMERIC = re.compile(
    r"^\s*(?:[<>]\s*)?[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?\s*(?:\*{1,3}|\.)?\s*$|^\s*(?:NA|NaN|-?Inf)\s*$",
    re.IGNORECASE,
)
_MARKER = re.compile("^\x00table(\\d+)\x00$")

#: Inline styles, so the tables look right in Jupyter without a style sheet.
_TABLE_STYLE = "border-collapse:collapse;font-variant-numeric:tabular-nums;margin:.3em 0 .8em 0"
_CELL = "padding:.1em .6em;border-bottom:1px solid #e4e4e4"


def table_html(
    cols: list[str], body: list[list[str]], names: list[str], *, caption: str | None = None
) -> str:
    """One R table (column names, one list of printed strings per column, row names) as an HTML
    ``<table class="rtable">``: numeric cells right-aligned with tabular figures."""
    esc = html.escape
    has_names = any(n.strip() for n in names)
    out = [f'<table class="rtable" style="{_TABLE_STYLE}">']
    if caption:
        out.append(f"<caption>{esc(caption)}</caption>")
    head = [f'<th style="{_CELL}"></th>'] if has_names else []
    for j, c in enumerate(cols):
        numeric_col = all(_NUMERIC.match(s) or not s.strip() for s in body[j]) if body[j] else False
        align = "right" if numeric_col else "left"
        head.append(f'<th style="{_CELL};text-align:{align}">{esc(c.strip())}</th>')
    out.append("<thead><tr>" + "".join(head) + "</tr></thead><tbody>")
    for i, name in enumerate(names):
        row = (
            [f'<th scope="row" style="{_CELL};text-align:left;font-weight:normal">{esc(name.strip())}</th>']
            if has_names
            else []
        )
        for col in body:
            s = col[i] if i < len(col) else ""
            align = "right" if _NUMERIC.match(s) else "left"
            row.append(f'<td style="{_CELL};text-align:{align};white-space:pre">{esc(s.strip())}</td>')
        out.append("<tr>" + "".join(row) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _pre(lines: list[str]) -> str:
    text = "\n".join(lines).strip("\n")
    if not text.strip():
        return ""
    return f'<pre class="rout" style="margin:.2em 0">{html.escape(text)}</pre>'


def summary_html(result: Any, summary: Callable[[], str] | None = None) -> str:
    """``result.summary()`` (or ``summary()``) as HTML: tables as ``<table>``, the rest preformatted.

    Falls back to the whole print-out in one ``<pre>`` when a table's text was reshaped by the
    summary (its marker not on a line of its own), so the HTML never shows anything but the text."""
    fn = summary or result.summary
    captured: list = []
    token = _rprint.TABLE_CAPTURE.set(captured)
    try:
        text = fn()
    finally:
        _rprint.TABLE_CAPTURE.reset(token)
    lines = text.split("\n")
    found = [int(m.group(1)) for ln in lines if (m := _MARKER.match(ln.strip()))]
    if sorted(found) != list(range(len(captured))) or "\x00" in "".join(
        ln for ln in lines if not _MARKER.match(ln.strip())
    ):
        return _pre(fn().split("\n"))  # reshaped: the plain text, unchanged
    out: list[str] = ['<div class="rsummary">']
    block: list[str] = []
    for ln in lines:
        m = _MARKER.match(ln.strip())
        if m:
            out.append(_pre(block))
            block = []
            out.append(table_html(*captured[int(m.group(1))]))
        else:
            block.append(ln)
    out.append(_pre(block))
    out.append("</div>")
    return "".join(p for p in out if p)
