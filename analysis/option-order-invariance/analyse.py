#!/usr/bin/env python3
"""Measurement invariance of the BFI-44 scales across the two option orders of the gemma3-270m-big-five study.

    python3 analyse.py [--db ../gemma3-270m-big-five/study.sqlite] [--no-r]

Data: the long results table of ../gemma3-270m-big-five (Gemma 3 270M base answering BFI-44 as 30 personas
under one template, options shown in the original and in the reversed order). With ``--db`` it is read from
the study's results file with ``psychometry.load_results`` (``run.sh`` there re-creates it); without, from
the committed export of the same table (``responses.csv.gz``, ``psychometry results export``).

Answers: the probability-weighted expected value of the options (``expected``; the chosen answers are the
first shown option for every item, so they have no variance within an order). Groups: option order
(original, reversed); one respondent per persona and order. Model: one factor per BFI-44 scale, items raw
(reverse-keyed items load negatively). For each scale: ``psychometry.stats.invariance`` (ML, configural /
metric / scalar / strict, lavTestLRT differences, Chen 2007 cut-offs). With Rscript on the PATH the same
fits are run in lavaan and the largest chi-square difference is printed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from psychometry.stats import invariance  # noqa: E402
from psychometry.stats.tidy import item_matrix  # noqa: E402

R_CHECK = r"""
suppressPackageStartupMessages(library(lavaan))
d <- read.csv(commandArgs(TRUE)[1], check.names = FALSE)
for (sc in strsplit(commandArgs(TRUE)[2], ",")[[1]]) {
  items <- strsplit(sc, ":")[[1]]
  model <- paste(items[1], "=~", paste(items[-1], collapse = " + "))
  eq <- list("", "loadings", c("loadings", "intercepts"), c("loadings", "intercepts", "residuals"))
  chis <- sapply(eq, function(e) fitMeasures(suppressWarnings(cfa(model, d, group = "order", group.equal = e)), "chisq"))
  cat(items[1], sprintf("%.6f", chis), "\n")
}
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="results file (.sqlite) of the gemma3-270m-big-five study")
    ap.add_argument("--no-r", action="store_true")
    args = ap.parse_args()
    if args.db:
        from psychometry import load_results

        long = load_results(args.db)
    else:
        long = pd.read_csv(HERE.parent / "gemma3-270m-big-five" / "responses.csv.gz")
    bfi = long[long["instrument"] == "bfi44"].copy()
    bfi["case"] = bfi["persona"] + "/" + bfi["order"]
    wide = item_matrix(bfi, respondent="case", value="expected")
    wide["order"] = [c.split("/")[-1] for c in wide.index]
    scales = bfi.drop_duplicates("item").groupby("scale", sort=True)["item"].apply(list)
    print(
        f"BFI-44, expected answers: {len(wide)} respondents "
        f"({wide['order'].value_counts().to_dict()}), {len(scales)} scales\n"
    )
    ours: dict[str, list[float]] = {}
    for scale, items in scales.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = invariance(wide[items + ["order"]], model={scale: items}, group="order")
        t = res.table
        ours[scale] = list(t["chisq"])
        print(f"--- {scale} ({len(items)} items)")
        cols = [
            "chisq",
            "df",
            "p",
            "cfi",
            "rmsea",
            "srmr",
            "chisq_diff",
            "df_diff",
            "p_diff",
            "delta_cfi",
            "delta_rmsea",
            "delta_srmr",
            "chen2007",
        ]
        print(t[cols].to_string(float_format=lambda v: f"{v:.3f}"))
        neg = sorted(
            {
                f"{lv}: {r.lhs}"
                for lv, f in res.fits.items()
                for r in f.parameters.itertuples()
                if r.op == "~~" and r.lhs == r.rhs and r.estimate < 0
            }
        )
        print(
            "converged:",
            all(f.converged for f in res.fits.values()),
            "| negative variances:",
            ", ".join(neg) or "none",
            "\n",
        )
    if args.no_r or shutil.which("Rscript") is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "wide.csv"
        wide.to_csv(csv, index=False)
        (Path(tmp) / "check.R").write_text(R_CHECK)
        spec = ",".join(":".join([s, *items]) for s, items in scales.items())
        out = subprocess.run(
            ["Rscript", str(Path(tmp) / "check.R"), str(csv), spec], capture_output=True, text=True
        )
    worst = 0.0
    for line in out.stdout.strip().splitlines():
        name, *vals = line.split()
        worst = max(worst, max(abs(float(v) - o) for v, o in zip(vals, ours[name])))
    print(
        f"lavaan check (cfa(group = 'order', group.equal = ...)): largest |chisq difference| {worst:.2e}"
        if out.returncode == 0
        else f"lavaan check failed: {out.stderr[-300:]}"
    )


if __name__ == "__main__":
    main()
