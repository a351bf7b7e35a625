"""The findings first: section ``findings`` (text and HTML) lays out each model's verdicts (headline
first, each verdict coloured by level with its figure, sentence and per-scale details), the models side
by side when there are several, and the cut-offs with their sources.

It is also the HTML of one model's findings in Jupyter: it registers itself as
:attr:`ModelVerdicts.html_renderer <psychometry.report.verdicts.model.ModelVerdicts.html_renderer>`."""

from __future__ import annotations

import html as _h
import json
import math
from collections.abc import Sequence
from dataclasses import fields as _fields
from typing import Any

import pandas as pd

from psychometry.stats._rprint import format_strings

from .document import Section
from .thresholds import THRESHOLD_SOURCES, VerdictThresholds
from .verdicts.model import ModelVerdicts

__all__ = ["degenerate_logprobs", "findings_html", "findings_section"]

#: two option probabilities closer than this are equal (stored probabilities keep 10 decimals)
_EQUAL = 1e-6


def _option_probs(x: Any) -> list[float] | None:
    """A row's option probabilities in shown order (``position_probs``: a list or its JSON text)."""
    if isinstance(x, str):
        try:
            x = json.loads(x)
        except ValueError:
            return None
    if not isinstance(x, (list, tuple)) or len(x) < 2:
        return None
    try:
        out = [float(v) for v in x]
    except (TypeError, ValueError):
        return None
    return out if all(math.isfinite(v) for v in out) else None


def degenerate_logprobs(long: pd.DataFrame, *, across_items: bool = False) -> str | None:
    """One line naming degenerate log-likelihoods in the logprob-mode answers of ``long`` (the long
    results table), or None.

    Two signs, each meaning that the scores did not come from the model reading the item:

    * **equal options**: more than half of the answers give every option the same probability
      (their log-likelihoods are equal). lm-eval's ``gguf`` model against llama-cpp-python's server
      does this: it drops the last continuation token, so every choice is scored as the same (empty)
      continuation (lm-eval issues #4158, #2525; llama-cpp-python #1983).
    * **one answer for every item** (``across_items=True``, what ``psychometry results import``
      checks): more than half of the respondents with three or more items give every item the same
      option probabilities (to 6 decimals), not uniform: the item text did not reach the scores (a
      fixed context, a cached prompt). The report does not ask this of its data: a scripted test
      model (``FakeBackend(choice=0)``) answers so by design, and a real model never does.

    A psychometry run of a working model shows neither (its option probabilities differ between
    items and between options); ``tests/test_results_import.py`` checks both on real runs.
    """
    if "position_probs" not in long.columns or long.empty:
        return None
    rows = long
    if "mode" in rows.columns:
        rows = rows[rows["mode"].astype(str) == "logprob"]
    probs = [
        (i, p) for i, x in zip(rows.index, rows["position_probs"]) if (p := _option_probs(x)) is not None
    ]
    if not probs:
        return None
    equal = sum(max(p) - min(p) < _EQUAL for _, p in probs)
    n = len(probs)
    if equal * 2 > n:
        return (
            f"degenerate log-likelihoods: {equal} of {n} logprob answers ({100 * equal / n:.0f}%) give every "
            "option the same probability (equal log-likelihoods, e.g. lm-eval's gguf model dropping the "
            "continuation against llama-cpp-python's server); these answers carry no information about the model"
        )
    if not across_items or "respondent" not in rows.columns or "item" not in rows.columns:
        return None
    by_resp: dict[str, dict[str, tuple[float, ...]]] = {}
    resp, item = rows["respondent"].astype(str), rows["item"].astype(str)
    for i, p in probs:
        if max(p) - min(p) >= _EQUAL:
            by_resp.setdefault(resp[i], {})[item[i]] = tuple(round(v, 6) for v in p)
    judged = {r: v for r, v in by_resp.items() if len(v) >= 3}
    same = sum(len(set(v.values())) == 1 for v in judged.values())
    if judged and same * 2 > len(judged):
        return (
            f"degenerate log-likelihoods: {same} of {len(judged)} respondents give every item the same "
            "option probabilities; the scores do not depend on the item (the item text did not reach the model)"
        )
    return None


_BADGE = {"ok": "OK", "caution": "CAUTION", "fails": "FAILS", "n/a": "N/A"}


def findings_section(
    verdicts: Sequence[ModelVerdicts],
    thresholds: VerdictThresholds,
    *,
    degenerate: Sequence[tuple[str, str]] = (),
) -> Section:
    """Section ``findings``: the verdicts of each model (headline first), and side by side when there
    are several models. The text is what ``psychometry report`` prints first.

    ``degenerate``: ``(model, line)`` for each model whose log-likelihoods are degenerate
    (:func:`degenerate_logprobs`), printed before everything else."""
    key, title = "findings", "Findings"
    lines: list[str] = []
    out_html: list[str] = []
    for model, line in degenerate:
        lines += [f"DEGENERATE ({model}): {line}", ""]
        out_html.append(
            f'<p class="headline lv-fails"><span class="badge fails">DEGENERATE</span> '
            f"<b>{_h.escape(model)}</b>: {_h.escape(line)}</p>"
        )
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
