# Reference values for psychometry.stats.polychoric / polyserial, computed with R's psych and lavaan
# on real human data in tests/data/ (psych's bfi; the SD-3 openpsychometrics release).
#
# Run from the repository root:
#   Rscript tests/reference/polychoric.R [output.json]
# Default output: tests/reference/polychoric.json (committed; the tests compare against it always
# and re-run this script live when Rscript is on the PATH).
#
# Versions used for the committed JSON: R 4.2 (Debian), psych 2.2.9, lavaan 0.6-14.
suppressPackageStartupMessages({
  library(psych)
  library(lavaan)
  library(jsonlite)
})
options(mc.cores = 1)  # psych's mcmapply: one core (a shared machine); the results do not depend on it

args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "tests/reference/polychoric.json"

num <- function(x) unname(as.numeric(x))
mat <- function(m) {
  m <- as.matrix(unclass(m))
  list(rows = I(rownames(m)), cols = I(colnames(m)),
       values = unname(lapply(seq_len(nrow(m)), function(i) I(num(m[i, ])))))
}

ref <- list()
ref$meta <- list(R = R.version.string, psych = as.character(packageVersion("psych")),
                 lavaan = as.character(packageVersion("lavaan")))

poly_ref <- function(x, call) {
  pc <- suppressWarnings(polychoric(x))
  list(call = call, n = nrow(x), rho = mat(pc$rho), tau = mat(pc$tau))
}
lavcor_ref <- function(x, call) {
  fit <- lavCor(x, ordered = names(x), output = "fit")
  ss <- lavInspect(fit, "sampstat")
  th <- ss$th
  list(call = call, n = nrow(x), rho = mat(ss$cov), th = num(th), th_names = I(names(th)))
}

# ---------------------------------------------------------------- psych bfi (2,800 SAPA respondents)
bfi <- read.csv("tests/data/psych_bfi.csv")
items <- bfi[, 1:25]
cc <- items[complete.cases(items), ]
ref$bfi_complete_psych <- poly_ref(cc, "polychoric(bfi[complete.cases(bfi[1:25]), 1:25])")
ref$bfi_complete_lavaan <- lavcor_ref(cc, "lavCor(bfi_cc, ordered = names(bfi_cc))")
# pairwise-complete (psych's default): thresholds from each item's own non-missing answers
ref$bfi_pairwise_psych <- poly_ref(items, "polychoric(bfi[1:25])  # NA: pairwise tables, global thresholds")

# ---------------------------------------------------------------- SD-3 (18,192 respondents; 0 = not answered)
sd3 <- read.csv("tests/data/sd3_openpsychometrics.csv")[, 1:27]
sd3[sd3 == 0] <- NA
sd3cc <- sd3[complete.cases(sd3), ]
ref$sd3_complete_psych <- poly_ref(sd3cc, "polychoric(sd3_complete)  # 17,740 complete rows, 27 items")
ref$sd3_complete_lavaan <- lavcor_ref(sd3cc, "lavCor(sd3_complete, ordered = names(sd3_complete))")

# ---------------------------------------------------------------- empty categories
# bfi A1..A3, C1..C3 (complete rows) recoded: A1 6 -> 5 (an empty top category: the items no longer
# share one maximum, so psych sets global = FALSE: thresholds per pair from the pair's table, empty
# rows/columns dropped, zero cells set to .5) and A2 3 -> 2 (an empty middle category: lavaan drops it).
emp <- cc[, c("A1", "A2", "A3", "C1", "C2", "C3")]
emp$A1[emp$A1 == 6] <- 5
emp$A2[emp$A2 == 3] <- 2
ref$empty_psych <- poly_ref(emp, "polychoric(emp)  # A1: no 6; A2: no 3 (global = FALSE)")
ref$empty_lavaan <- lavcor_ref(emp, "lavCor(emp, ordered = names(emp))")
# only the empty middle category (all items keep the maximum 6): psych keeps global thresholds
emp2 <- cc[, c("A1", "A2", "A3", "C1", "C2", "C3")]
emp2$A2[emp2$A2 == 3] <- 2
ref$empty_middle_psych <- poly_ref(emp2, "polychoric(emp2)  # A2: no 3 (global thresholds)")
ref$empty_middle_lavaan <- lavcor_ref(emp2, "lavCor(emp2, ordered = names(emp2))")

# zero cells: 150 respondents, A1 capped at 5 (global = FALSE), so psych replaces the zero cells of
# each pair's table by .5 ("10 cells were adjusted for 0 values using the correction for continuity")
small <- cc[1:150, c("A1", "A2", "C1", "C2", "E1")]
small$A1 <- pmin(small$A1, 5)
ref$zero_cells_psych <- poly_ref(small, "polychoric(bfi_cc[1:150, c(A1, A2, C1, C2, E1)] with A1 capped at 5)")

# ---------------------------------------------------------------- polyserial (age x bfi items)
ps_items <- cc[, c("A1", "A2", "A3", "A4", "A5")]
age <- bfi$age[complete.cases(items)]
ref$polyserial_psych <- list(call = "polyserial(age, bfi_cc[A1..A5])",
                             rho = num(polyserial(age, ps_items)), items = I(names(ps_items)))
d <- cbind(age = age, ps_items)
fit <- lavCor(d, ordered = names(ps_items), output = "fit")
ref$polyserial_lavaan <- list(call = "lavCor(cbind(age, bfi_cc[A1..A5]), ordered = A1..A5)",
                              rho = num(cov2cor(lavInspect(fit, "sampstat")$cov)["age", names(ps_items)]),
                              items = I(names(ps_items)))

# lavaan 0.6-14's two-step polyserial (nlminb) stops short of the maximum for A2..A5 (by up to .005):
# the same two-step likelihood maximised by optimize() to 1e-10 (x standardised with N divisor, the
# item's thresholds fixed) is the exact ML value that psychometry reproduces.
z <- (age - mean(age)) / sqrt(mean((age - mean(age))^2))
ref$polyserial_ml_optimize <- list(
  call = "optimize(two-step polyserial log-likelihood, c(-.99, .99), tol = 1e-10)",
  items = I(names(ps_items)),
  rho = sapply(names(ps_items), function(v) {
    k <- as.integer(factor(ps_items[[v]]))
    tau <- c(-Inf, qnorm(cumsum(table(k)) / length(k)))
    nll <- function(r) { s <- sqrt(1 - r^2); -sum(log(pnorm((tau[k + 1] - r * z) / s) - pnorm((tau[k] - r * z) / s))) }
    optimize(nll, c(-.99, .99), tol = 1e-10)$minimum
  }, USE.NAMES = FALSE))

writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), out)
cat("wrote", out, "\n")
