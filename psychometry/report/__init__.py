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

Layout: ``build`` puts the report together; ``analyses`` computes each model's statistics once
(read by ``verdicts/``, one check per module with their registry, and by ``sections/``, one section
per statistic); ``thresholds`` holds the verdicts' cut-offs, ``findings`` the findings' text and HTML,
``outcome`` the one way a statistic is called safely; ``document`` is the report as data, which
``html`` and ``markdown`` lay out.

Layering: this package imports psychometry.stats, .scoring, .results and .instrument; nothing below
it imports the report.
"""

from __future__ import annotations

# the renderers register themselves with the models they lay out (Report.to_html / to_markdown,
# ModelVerdicts._repr_html_): the models import no renderer
from . import findings, html, markdown  # noqa: F401
from .build import REQUIRED_COLUMNS, build_report, load_files, report_from_file, report_from_files
from .document import NOT_COMPUTED, Figure, Report, Section
from .errors import ReportError
from .thresholds import THRESHOLD_SOURCES, VerdictThresholds, load_thresholds
from .verdicts import ModelVerdicts, Verdict, compute_verdicts

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
