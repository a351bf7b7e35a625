# Reference values for psychometry.stats.cfa(..., ordered=True, missing="pairwise"): lavaan's WLSMV with
# missing = "pairwise" on every SD-3 respondent (18,192 rows of the openpsychometrics release; 0 = not
# answered -> NA; lavaan drops the rows with no answer at all).
#
# Run from the repository root:
#   Rscript tests/reference/ordinal_cfa_pairwise.R [output.json]
# Default output: tests/reference/ordinal_cfa_pairwise.json (committed; the tests compare against it always
# and re-run this script live when Rscript is on the PATH). About 50 s.
#
# Versions used for the committed JSON: R 4.2 (Debian), lavaan 0.6-14.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "tests/reference/ordinal_cfa_pairwise.json"
num <- function(x) unname(as.numeric(x))

sd3 <- read.csv("tests/data/sd3_openpsychometrics.csv")[, 1:27]
sd3[sd3 == 0] <- NA
model <- paste("M =~", paste0("M", 1:9, collapse = " + "), "\nN =~", paste0("N", 1:9, collapse = " + "),
               "\nP =~", paste0("P", 1:9, collapse = " + "))
fit <- suppressWarnings(cfa(model, data = sd3, ordered = TRUE, missing = "pairwise"))
fm <- fitMeasures(fit)
pe <- parameterEstimates(fit, standardized = TRUE)
ts <- lavInspect(fit, "test")
ref <- list(meta = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))))
ref$sd3_all_pairwise <- list(
  call = "cfa(SD-3 3 factors, all 18,192 rows, ordered = TRUE, missing = 'pairwise')",
  model = model, n = lavInspect(fit, "nobs"),
  fit = as.list(setNames(num(fm), names(fm))),
  scaling_factor = num(ts[[2]]$scaling.factor), shift_parameter = num(ts[[2]]$shift.parameter),
  estimates = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = num(pe$est), se = num(pe$se),
                   z = num(pe$z), pvalue = num(pe$pvalue), std_lv = num(pe$std.lv), std_all = num(pe$std.all)),
  gamma_diag = num(diag(lavInspect(fit, "gamma"))))

writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), out)
cat("wrote", out, "\n")
