"""``psychometry report RUN.sqlite [RUN.sqlite ...]``: the findings, the R-style text report, and Markdown /
HTML files with plots.

A thin layer over :func:`psychometry.report.report_from_files`: the text goes to standard output,
``--html [FILE]`` and ``--markdown DIR`` write the files (and say so on standard error). Several files
(or one file holding several models) are reported per model, side by side; models are never pooled.
"""

from __future__ import annotations

import argparse
import sys

from ._args import FloatRange, OutputDir, OutputFile, ResultsFile, existing_file, text

EXAMPLES = """\
examples:
  psychometry report run.sqlite                              # findings first, then the R-style report
  psychometry report run.sqlite --html                       # also write report.html (self-contained)
  psychometry report a.sqlite b.sqlite --html compare.html   # two models side by side
  psychometry report run.sqlite --respondent persona         # average prompt conditions within persona
  psychometry report run.sqlite --thresholds strict.yaml     # your own verdict cut-offs
  psychometry report rotate.sqlite --answers debiased        # position debiasing (a run with --orders rotate)
  psychometry report rotate.sqlite --answers debiased --debias pride --share 0.05
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "report",
        help="print the findings and the psychometric report of results files; write Markdown / HTML",
        description="Print the findings (per model: does it answer, position habits, option-order and template "
        "sensitivity, reliability, MTMM, norms, behaviour prediction, each ok / caution / fails) and "
        "the report of one or more results files (psych::alpha and omega per scale, norms, CFA, MTMM, "
        "refusals, template and option-order sensitivity, response styles); optionally write it as "
        "Markdown (with PNG plots) or as one self-contained HTML file. Several models are reported "
        "side by side, never pooled.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "paths",
        nargs="+",
        metavar="RUN.sqlite",
        type=ResultsFile(),
        help="results file(s) written by 'psychometry administer'",
    )
    p.add_argument(
        "--run-id", default=None, metavar="ID", type=text, help="report only this run of the file(s)"
    )
    p.add_argument(
        "--instrument",
        action="append",
        default=None,
        metavar="ID",
        type=text,
        help="report only this instrument (repeat for several; default: all in the file)",
    )
    p.add_argument(
        "--html",
        nargs="?",
        const="report.html",
        default=None,
        metavar="FILE",
        type=OutputFile(),
        help="write a self-contained HTML report (default file name report.html)",
    )
    p.add_argument(
        "--markdown",
        default=None,
        metavar="DIR",
        type=OutputDir(),
        help="write DIR/report.md with the plots as PNG files beside it",
    )
    p.add_argument(
        "--answers",
        choices=("chosen", "expected", "debiased"),
        default="chosen",
        help="analyse the chosen option (default), logprob mode's probability-weighted value, or the "
        "probability-weighted value after position debiasing (--debias; the file keeps the raw answers)",
    )
    p.add_argument(
        "--debias",
        choices=("auto", "permutation", "pride", "calibration"),
        default="auto",
        help="with --answers debiased: average over all cyclic rotations of the options (permutation; needs "
        "--orders rotate), divide by a position prior estimated on items with all rotations (pride), or by the "
        "answer to a content-free item (calibration); auto (default) picks by what the run holds",
    )
    p.add_argument(
        "--share",
        default=None,
        metavar="S",
        type=FloatRange(0.0, 1.0, inclusive=False),
        help="with --debias pride: the share of the items with all rotations that estimate the prior "
        "(default: all of them; the paper uses 0.05)",
    )
    p.add_argument(
        "--respondent",
        choices=("condition", "persona"),
        default="condition",
        help="a respondent is one prompt condition (default) or one persona, its answers averaged over "
        "the prompt templates and option orders",
    )
    p.add_argument(
        "--thresholds",
        default=None,
        metavar="FILE.yaml",
        type=existing_file(text=True, what="thresholds file (UTF-8 YAML)"),
        help="verdict cut-offs {name: value} replacing the defaults (see docs/report.md)",
    )
    p.add_argument("--quiet", action="store_true", help="do not print the text report")
    p.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    from ..report import build_report, load_files, load_thresholds, report_from_files

    files = bool(args.html or args.markdown)
    thresholds = load_thresholds(args.thresholds)
    if args.answers != "debiased" and (args.debias != "auto" or args.share is not None):
        print(
            "psychometry: note: --debias and --share apply with --answers debiased only; ignored",
            file=sys.stderr,
        )
    if args.answers == "debiased":
        from ..stats.robustness.debias import debias_answers

        long = debias_answers(
            load_files(args.paths, run_id=args.run_id), method=args.debias, share=args.share
        )
        method = str(long["debias"].iloc[0]) if len(long) else args.debias
        rep = build_report(
            long,
            args.instrument,
            title=f"psychometry report (answers debiased: {method})",
            source=", ".join(str(p) for p in args.paths),
            plots=files,
            answers="expected",
            respondent=args.respondent,
            thresholds=thresholds,
        )
    else:
        rep = report_from_files(
            args.paths,
            run_id=args.run_id,
            instruments=args.instrument,
            plots=files,
            answers=args.answers,
            respondent=args.respondent,
            thresholds=thresholds,
        )
    if not args.quiet:
        sys.stdout.write(rep.text())
    if args.html:
        out = rep.to_html(args.html)
        print(f"psychometry: wrote {out}", file=sys.stderr)
    if args.markdown:
        out = rep.to_markdown(args.markdown)
        print(f"psychometry: wrote {out} and {len(rep.figures)} plot(s)", file=sys.stderr)
    return 0
