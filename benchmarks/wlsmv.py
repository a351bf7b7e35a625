#!/usr/bin/env python3
"""Timing of the ordinal CFA (WLSMV) on real human data: psychometry vs lavaan, one run each.

    python3 benchmarks/wlsmv.py [--no-r]

Data: the SD-3 openpsychometrics release (tests/data/sd3_openpsychometrics.csv; 27 items, 18,192
respondents, 0 = not answered): the 17,740 rows complete on all 27 items (lavaan's listwise default),
and all 18,192 rows with missing = "pairwise".
Model: the three SD-3 factors (M1..M9, N1..N9, P1..P9), all items ordered.

Times, in one process each, wall clock:
* psychometry: ``polychoric(x, method="lavaan")`` alone (thresholds + 351 polychoric correlations),
  then the whole ``cfa(x, model, ordered=True)`` (sample statistics, Gamma, DWLS fit, robust SEs,
  scaled-shifted test, robust indices), then ``cfa(all, model, ordered=True, missing="pairwise")``;
* lavaan 0.6-14: ``lavCor(x, ordered = names(x))``, ``cfa(model, data = x, ordered = TRUE)`` and the
  pairwise fit via Rscript (skipped without Rscript or with ``--no-r``), reading the same rows.

Prints the chi-square, scaled chi-square and CFI of both as a check that they fitted the same model.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from psychometry.stats import cfa, polychoric  # noqa: E402

MODEL = (
    "M =~ "
    + " + ".join(f"M{i}" for i in range(1, 10))
    + "\nN =~ "
    + " + ".join(f"N{i}" for i in range(1, 10))
    + "\nP =~ "
    + " + ".join(f"P{i}" for i in range(1, 10))
)

R_SCRIPT = r"""
suppressPackageStartupMessages(library(lavaan))
x <- read.csv(commandArgs(TRUE)[1])
model <- commandArgs(TRUE)[2]
t0 <- proc.time(); r <- lavCor(x, ordered = names(x)); t1 <- proc.time()
fit <- cfa(model, data = x, ordered = TRUE); t2 <- proc.time()
fm <- fitMeasures(fit, c("chisq", "chisq.scaled", "cfi.scaled"))
cat(sprintf("lavaan %s: lavCor %.2f s, cfa(ordered = TRUE) %.2f s; chisq %.3f, scaled %.3f, cfi.scaled %.4f\n",
            packageVersion("lavaan"), (t1 - t0)[["elapsed"]], (t2 - t1)[["elapsed"]], fm[1], fm[2], fm[3]))
all <- read.csv(commandArgs(TRUE)[3])
t3 <- proc.time(); fit2 <- suppressWarnings(cfa(model, data = all, ordered = TRUE, missing = "pairwise")); t4 <- proc.time()
fm <- fitMeasures(fit2, c("chisq", "chisq.scaled", "cfi.scaled"))
cat(sprintf("lavaan, all %d rows, missing = 'pairwise': %.2f s; chisq %.3f, scaled %.3f, cfi.scaled %.4f\n",
            lavInspect(fit2, "nobs"), (t4 - t3)[["elapsed"]], fm[1], fm[2], fm[3]))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-r", action="store_true", help="skip the lavaan run")
    args = ap.parse_args()
    sd3 = pd.read_csv(ROOT / "tests" / "data" / "sd3_openpsychometrics.csv").iloc[:, :27]
    x = sd3.replace(0, np.nan).dropna().astype(int)
    print(
        f"SD-3: {len(x)} complete rows of {len(sd3)}, {x.shape[1]} items; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    t0 = time.perf_counter()
    polychoric(x, method="lavaan")
    t1 = time.perf_counter()
    res = cfa(x, model=MODEL, ordered=True)
    t2 = time.perf_counter()
    f = res.fit
    print(
        f"psychometry: polychoric {t1 - t0:.2f} s, cfa(ordered=True) {t2 - t1:.2f} s; chisq {f['chisq']:.3f}, "
        f"scaled {f['chisq.scaled']:.3f}, cfi.scaled {f['cfi.scaled']:.4f}"
    )
    every = sd3.replace(0, np.nan)
    t3 = time.perf_counter()
    res2 = cfa(every, model=MODEL, ordered=True, missing="pairwise")
    t4 = time.perf_counter()
    f = res2.fit
    print(
        f"psychometry, all {res2.n} rows, missing='pairwise': {t4 - t3:.2f} s; chisq {f['chisq']:.3f}, "
        f"scaled {f['chisq.scaled']:.3f}, cfi.scaled {f['cfi.scaled']:.4f}"
    )
    if args.no_r or shutil.which("Rscript") is None:
        print("lavaan: skipped (no Rscript or --no-r)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "sd3.csv"
        x.to_csv(csv, index=False)
        csv_all = Path(tmp) / "sd3_all.csv"
        every.to_csv(csv_all, index=False)
        script = Path(tmp) / "bench.R"
        script.write_text(R_SCRIPT)
        out = subprocess.run(
            ["Rscript", str(script), str(csv), MODEL, str(csv_all)], capture_output=True, text=True
        )
        print(out.stdout.strip() or out.stderr.strip()[-500:])


if __name__ == "__main__":
    main()
