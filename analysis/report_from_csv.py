"""Rebuild a study's report from its exported long tables (responses.csv.gz), without the .sqlite files.

    python analysis/report_from_csv.py analysis/gemma3-270m-big-five/responses.csv.gz \
        --markdown analysis/gemma3-270m-big-five/report-chosen [--answers expected] [--html FILE]

The exported CSV is the long results table (``psychometry results export``), so the report is the one
``psychometry report study.sqlite`` prints.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from psychometry.report import build_report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("csv", nargs="+", help="one exported long table per model (several: side by side)")
    p.add_argument("--markdown", default=None)
    p.add_argument("--html", default=None)
    p.add_argument("--text", default=None, help="write the text report to this file")
    p.add_argument("--answers", choices=("chosen", "expected"), default="chosen")
    p.add_argument("--respondent", choices=("condition", "persona"), default="condition")
    p.add_argument("--source", default="study.sqlite", help="the results file named in the Data section")
    a = p.parse_args(argv)
    long = pd.concat(
        [
            pd.read_csv(f, keep_default_na=True, dtype={"persona": str, "order": str, "template": str})
            for f in a.csv
        ],
        ignore_index=True,
    )
    files = bool(a.markdown or a.html)
    rep = build_report(long, source=a.source, plots=files, answers=a.answers, respondent=a.respondent)
    if a.markdown:
        rep.to_markdown(a.markdown)
    if a.html:
        rep.to_html(a.html)
    if a.text:
        with open(a.text, "w", encoding="utf-8") as fh:
            fh.write(rep.text())
    if not (files or a.text):
        sys.stdout.write(rep.text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
