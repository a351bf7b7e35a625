"""psychometry.report: the R-style text report and the Markdown / HTML reports with plots.

The report leads with its findings: per model, verdicts (ok / caution / fails, the figure, one
sentence) on whether the model answers, position habits, option-order and template sensitivity,
reliability, MTMM, norms and behaviour prediction (:mod:`psychometry.report.verdicts`).

``build_report(long_df)`` computes every section from the long results table with
``psychometry.stats`` and ``psychometry.scoring`` (psych::alpha and omega per scale, norms, CFA,
MTMM, refusals, template and option-order sensitivity, position bias, response styles) and returns a
:class:`Report`: ``text()`` for the console, ``to_markdown(dir)`` and ``to_html(path)`` for files.
A statistic that cannot be computed (one respondent, a constant item, one template...) gives a
``not computed: reason`` line in its section, never an exception.

>>> import psychometry
>>> from psychometry.report import build_report
>>> rep = build_report(psychometry.load_results("run.sqlite"))   # doctest: +SKIP
>>> print(rep.text())                                            # doctest: +SKIP
>>> rep.to_html("report.html"); rep.to_markdown("report/")      # doctest: +SKIP

Layering: this package imports psychometry.stats, .scoring, .results and .instrument; nothing below
it imports the report.
"""

from __future__ import annotations

# the renderers register their file writers with the document (Report.to_html / to_markdown): the
# document imports no renderer
from . import html, markdown  # noqa: F401
from .build import REQUIRED_COLUMNS, build_report, load_files, report_from_file, report_from_files
from .document import NOT_COMPUTED, Figure, Report, Section
from .errors import ReportError
from .verdicts import (
    THRESHOLD_SOURCES,
    ModelVerdicts,
    Verdict,
    VerdictThresholds,
    compute_verdicts,
    load_thresholds,
)

__all__ = [
    "NOT_COMPUTED",
    "REQUIRED_COLUMNS",
    "THRESHOLD_SOURCES",
    "Figure",
    "ModelVerdicts",
    "Report",
    "ReportError",
    "Section",
    "Verdict",
    "VerdictThresholds",
    "build_report",
    "compute_verdicts",
    "load_files",
    "load_thresholds",
    "report_from_file",
    "report_from_files",
]
