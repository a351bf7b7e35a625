"""``psychometry report RUN.sqlite``: the R-style text report, and Markdown / HTML files with plots.

A thin layer over :func:`psychometry.report.report_from_file`: the text goes to standard output,
``--html FILE`` and ``--markdown DIR`` write the files (and say so on standard error).
"""
from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "report", help="print the psychometric report of a results file; write Markdown / HTML",
        description="Print the report of a results file (psych::alpha and omega per scale, norms, CFA, "
                    "MTMM, refusals, template and option-order sensitivity, response styles) and "
                    "optionally write it as Markdown (with PNG plots) or as one self-contained HTML file.")
    p.add_argument("path", metavar="RUN.sqlite", help="results file written by 'psychometry administer'")
    p.add_argument("--run-id", default=None, metavar="ID", help="report only this run of the file")
    p.add_argument("--instrument", action="append", default=None, metavar="ID",
                   help="report only this instrument (repeat for several; default: all in the file)")
    p.add_argument("--html", default=None, metavar="FILE", help="write a self-contained HTML report")
    p.add_argument("--markdown", default=None, metavar="DIR",
                   help="write DIR/report.md with the plots as PNG files beside it")
    p.add_argument("--answers", choices=("chosen", "expected"), default="chosen",
                   help="analyse the chosen option (default) or logprob mode's probability-weighted value")
    p.add_argument("--quiet", action="store_true", help="do not print the text report")
    p.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    from ..report import report_from_file

    files = bool(args.html or args.markdown)
    rep = report_from_file(args.path, run_id=args.run_id, instruments=args.instrument, plots=files,
                           answers=args.answers)
    if not args.quiet:
        sys.stdout.write(rep.text())
    if args.html:
        out = rep.to_html(args.html)
        print(f"psychometry: wrote {out}", file=sys.stderr)
    if args.markdown:
        out = rep.to_markdown(args.markdown)
        print(f"psychometry: wrote {out} and {len(rep.figures)} plot(s)", file=sys.stderr)
    return 0
