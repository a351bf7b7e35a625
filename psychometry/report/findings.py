"""The findings first: section ``findings`` (text and HTML) lays out each model's verdicts (headline
first, each verdict coloured by level with its figure, sentence and per-scale details), the models side
by side when there are several, and the cut-offs with their sources.

It is also the HTML of one model's findings in Jupyter: it registers itself as
:attr:`ModelVerdicts.html_renderer <psychometry.report.verdicts.model.ModelVerdicts.html_renderer>`."""

from __future__ import annotations

import html as _h
from collections.abc import Sequence
from dataclasses import fields as _fields

import pandas as pd

from psychometry.stats._rprint import format_strings

from .document import Section
from .thresholds import THRESHOLD_SOURCES, VerdictThresholds
from .verdicts.model import ModelVerdicts

__all__ = ["findings_html", "findings_section"]


_BADGE = {"ok": "OK", "caution": "CAUTION", "fails": "FAILS", "n/a": "N/A"}


def findings_section(verdicts: Sequence[ModelVerdicts], thresholds: VerdictThresholds) -> Section:
    """Section ``findings``: the verdicts of each model (headline first), and side by side when there
    are several models. The text is what ``psychometry report`` prints first."""
    key, title = "findings", "Findings"
    lines: list[str] = []
    out_html: list[str] = []
    if len(verdicts) > 1:
        labels: list[str] = []
        for mv in verdicts:
            labels += [v.label for v in mv.verdicts if v.label not in labels]
        table = pd.DataFrame(index=labels, columns=[mv.model for mv in verdicts], dtype=object)
        for mv in verdicts:
            for v in mv.verdicts:
                table.loc[v.label, mv.model] = _BADGE[v.level]
        table = table.fillna("-")
        lines += [
            "Models side by side (each model's statistics are its own; nothing is pooled):",
            "",
            format_strings(table),
            "",
        ]
        head = "".join(f"<th>{_h.escape(mv.model)}</th>" for mv in verdicts)
        rows = []
        for lab in labels:
            cells = []
            for mv in verdicts:
                found = next((x for x in mv.verdicts if x.label == lab), None)
                if found is None:
                    cells.append("<td>-</td>")
                else:
                    v = found
                    cells.append(
                        f'<td class="lv-{_lv(v.level)}"><span class="badge {_lv(v.level)}">{_BADGE[v.level]}'
                        f'</span> <span class="fig">{_h.escape(v.figure)}</span></td>'
                    )
            rows.append(f"<tr><th scope=\"row\">{_h.escape(lab)}</th>{''.join(cells)}</tr>")
        out_html.append(
            '<table class="verdicts side"><thead><tr><th>check</th>'
            + head
            + "</tr></thead><tbody>"
            + "".join(rows)
            + "</tbody></table>"
        )
    for mv in verdicts:
        lines.append(mv.text())
        lv = _lv(mv.level)
        out_html.append(
            f'<div class="model-verdicts"><h3>{_h.escape(mv.model or "model")}</h3>'
            f'<p class="meta">{mv.n_responses} responses, {mv.n_respondents} '
            f'respondent{"" if mv.n_respondents == 1 else "s"} (respondent = '
            f'{"persona, prompt conditions averaged" if mv.respondent == "persona" else "prompt condition"})</p>'
            f'<p class="headline lv-{lv}">' + "<br>".join(_h.escape(x) for x in mv.headline) + "</p>"
        )
        out_html.append(
            '<table class="verdicts"><thead><tr><th>level</th><th>check</th><th>figure</th>'
            '<th>what it means</th></tr></thead><tbody>'
        )
        for v in mv.verdicts:
            det = ""
            if v.details:
                det = (
                    "<details><summary>per scale</summary><ul>"
                    + "".join(f"<li>{_h.escape(d)}</li>" for d in v.details)
                    + "</ul></details>"
                )
            out_html.append(
                f'<tr class="lv-{_lv(v.level)}"><td><span class="badge {_lv(v.level)}">{_BADGE[v.level]}</span></td>'
                f"<td>{_h.escape(v.label)}</td><td>{_h.escape(v.figure)}</td>"
                f"<td>{_h.escape(v.sentence)}{det}</td></tr>"
            )
        out_html.append("</tbody></table></div>")
    lines.append(
        "Cut-offs: psychometry.report.VerdictThresholds (sources in docs/report.md); set your own with "
        "--thresholds FILE.yaml."
    )
    th_rows = "".join(
        f"<tr><td><code>{f.name}</code></td><td class=\"num\">{getattr(thresholds, f.name):g}</td>"
        f"<td>{_h.escape(THRESHOLD_SOURCES.get(f.name, ''))}</td></tr>"
        for f in _fields(thresholds)
    )
    out_html.append(
        '<details class="thresholds"><summary>Cut-offs and their sources (VerdictThresholds; '
        '<code>--thresholds FILE.yaml</code>)</summary><table class="verdicts"><thead><tr><th>name</th>'
        f"<th>value</th><th>source</th></tr></thead><tbody>{th_rows}</tbody></table></details>"
    )
    return Section(
        key=key, title=title, level=1, body="\n".join(lines).rstrip() + "\n", html="".join(out_html)
    )


def _lv(level: str) -> str:
    return "na" if level == "n/a" else level


def findings_html(mv: ModelVerdicts) -> str:
    """One model's findings as the HTML report shows them (default cut-offs)."""
    return findings_section([mv], VerdictThresholds()).html or ""


ModelVerdicts.html_renderer = findings_html
