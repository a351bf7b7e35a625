# Reference values for psychometry.stats ordinal CFA (cfa(..., ordered=True), WLSMV) and the
# graded-response IRT parameters (irt_fa), computed with R's lavaan and psych on real human data in
# tests/data/ (the SD-3 openpsychometrics release; psych's bfi).
#
# Run from the repository root:
#   Rscript tests/reference/ordinal_cfa.R [output.json]
# Default output: tests/reference/ordinal_cfa.json (committed; the tests compare against it always
# and re-run this script live when Rscript is on the PATH).
#
# Versions used for the committed JSON: R 4.2 (Debian), psych 2.2.9, lavaan 0.6-14.
suppressPackageStartupMessages({
  library(psych)
  library(lavaan)
  library(jsonlite)
})
options(mc.cores = 1)

args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "tests/reference/ordinal_cfa.json"

num <- function(x) unname(as.numeric(x))
mat <- function(m) {
  m <- as.matrix(unclass(m))
  list(rows = I(rownames(m)), cols = I(colnames(m)),
       values = unname(lapply(seq_len(nrow(m)), function(i) I(num(m[i, ])))))
}

ref <- list()
ref$meta <- list(R = R.version.string, psych = as.character(packageVersion("psych")),
                 lavaan = as.character(packageVersion("lavaan")))

wlsmv_ref <- function(model, data, call, full_gamma = FALSE, missing = "listwise") {
  fit <- suppressWarnings(cfa(model, data = data, ordered = TRUE, missing = missing))
  fm <- fitMeasures(fit)
  pe <- parameterEstimates(fit, standardized = TRUE)
  g <- lavInspect(fit, "gamma")
  ss <- lavInspect(fit, "test")
  out <- list(
    call = call, model = model, n = lavInspect(fit, "nobs"),
    fit = as.list(setNames(num(fm), names(fm))),
    scaling_factor = num(ss[[2]]$scaling.factor), shift_parameter = num(ss[[2]]$shift.parameter),
    estimates = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = num(pe$est), se = num(pe$se),
                     z = num(pe$z), pvalue = num(pe$pvalue), std_lv = num(pe$std.lv),
                     std_all = num(pe$std.all)),
    gamma_diag = num(diag(g)),
    summary = paste(capture.output(summary(fit, fit.measures = TRUE, standardized = TRUE)), collapse = "\n")
  )
  if (full_gamma) out$gamma <- mat(g)
  out
}

sd3 <- read.csv("tests/data/sd3_openpsychometrics.csv")[, 1:27]
sd3[sd3 == 0] <- NA
sd3cc <- sd3[complete.cases(sd3), ]
sd3_model <- paste("M =~", paste0("M", 1:9, collapse = " + "), "\nN =~", paste0("N", 1:9, collapse = " + "),
                   "\nP =~", paste0("P", 1:9, collapse = " + "))

bfi <- read.csv("tests/data/psych_bfi.csv")
bfi_cc <- bfi[complete.cases(bfi[, 1:25]), 1:25]
bfi_model <- "A =~ A1 + A2 + A3 + A4 + A5
C =~ C1 + C2 + C3 + C4 + C5
E =~ E1 + E2 + E3 + E4 + E5
N =~ N1 + N2 + N3 + N4 + N5
O =~ O1 + O2 + O3 + O4 + O5"
bfi_small <- "A =~ A1 + A2 + A3 + A4 + A5\nC =~ C1 + C2 + C3 + C4 + C5"

ref$bfi_ac <- wlsmv_ref(bfi_small, bfi_cc[, 1:10], "cfa(A and C, bfi complete rows, ordered = TRUE)", full_gamma = TRUE)
ref$sd3_sub <- wlsmv_ref(sd3_model, sd3cc[1:1000, ], "cfa(SD-3 3 factors, first 1,000 complete rows, ordered = TRUE)")
ref$bfi_big5 <- wlsmv_ref(bfi_model, bfi_cc, "cfa(Big Five, bfi complete rows, ordered = TRUE)")
# items with different numbers of categories (6, 5, 4 after an unused middle answer, 3, and a binary item)
mixed <- bfi_cc[, c("A1", "A2", "A3", "A4", "A5", "C1", "C2", "C3")]
mixed$A1[mixed$A1 == 6] <- 5
mixed$A2[mixed$A2 == 3] <- 2
mixed$A3 <- as.integer(mixed$A3 >= 4)
mixed$C1 <- pmin(mixed$C1, 3)
ref$bfi_mixed_categories <- wlsmv_ref("A =~ A1 + A2 + A3 + A4 + A5\nC =~ C1 + C2 + C3", mixed,
                                      "cfa(A and C1..C3, bfi complete rows recoded to 5/4/2/6/6/3/6/6 categories, ordered = TRUE)")
t0 <- proc.time()
ref$sd3_all <- wlsmv_ref(sd3_model, sd3cc, "cfa(SD-3 3 factors, all 17,740 complete rows, ordered = TRUE)")
ref$meta$sd3_all_seconds <- num((proc.time() - t0)["elapsed"])
# (all 18,192 respondents with missing = "pairwise": tests/reference/ordinal_cfa_pairwise.R, a separate
# script so that each live R run stays well inside the test fixture's time limit)

# ---------------------------------------------------------------- IRT from the ordinal factor solution
irt_ref <- function(x, call) {
  res <- irt.fa(x, nfactors = 1, plot = FALSE)
  grDevices::pdf(NULL)
  info <- plot(res, type = "IIC")   # psych's item information at theta = -3..3 (sumInfo), AUC, max.info
  grDevices::dev.off()
  list(call = call, n = nrow(x), items = I(colnames(x)),
       discrimination = num(res$irt$discrimination),
       difficulty = mat(res$irt$difficulty[[1]]),
       loadings = num(res$fa$loadings), tau = mat(res$tau),
       info_theta = -3:3, item_information = mat(info$sumInfo[[1]]),
       auc = num(info$AUC), max_info = num(info$max.info))
}
ref$irt_sd3_M <- irt_ref(sd3cc[, paste0("M", 1:9)], "irt.fa(sd3_complete[M1..M9], nfactors = 1)")
ref$irt_bfi_A <- irt_ref(bfi_cc[, paste0("A", 1:5)], "irt.fa(bfi_cc[A1..A5], nfactors = 1)")

res3 <- irt.fa(sd3cc, nfactors = 3, plot = FALSE)   # oblimin-rotated minres of the polychorics
ref$irt_sd3_3factors <- list(call = "irt.fa(sd3_complete, nfactors = 3)", items = I(colnames(sd3cc)),
                             factors = I(colnames(res3$irt$discrimination)),
                             discrimination = mat(res3$irt$discrimination),
                             difficulty = lapply(res3$irt$difficulty, mat))

writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), out)
cat("wrote", out, "\n")
