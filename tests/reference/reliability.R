# Reference values for psychometry.stats reliability (alpha, omega, splithalf), computed with R's psych.
#
# Run from the repository root:   Rscript tests/reference/reliability.R [output.json]
# Default output: tests/reference/reliability.json (committed; tests compare against it, and re-run this
# script live into a temporary file when Rscript is on the PATH, see tests/test_stats_reliability.py).
# Needs: psych (2.2.9 used for the committed file), GPArotation, jsonlite.
suppressPackageStartupMessages({
  library(psych)
  library(GPArotation)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "tests/reference/reliability.json"

bfi <- read.csv("tests/data/psych_bfi.csv")
attitude <- read.csv("tests/data/attitude.csv")
thurstone <- as.matrix(read.csv("tests/data/thurstone.csv", row.names = 1))
sd3 <- read.csv("tests/data/sd3_openpsychometrics.csv")
sd3 <- sd3[, grep("^[MNP][0-9]$", names(sd3))]
sd3[sd3 == 0] <- NA # 0 = not answered (tests/data/ORIGIN.md)

# A data frame as {column: [values...]} plus its row names, at full precision.
frame <- function(df) {
  df <- as.data.frame(df)
  list(rownames = rownames(df), columns = lapply(as.list(df), function(v) as.numeric(v)))
}

# The cases: name, items, keys (character vector of reversed items, as alpha(keys=) accepts).
# Scales and keys as in psych's documentation (?bfi, bfi.keys); SD-3 reversed items: N2 N6 N8 P2 P7.
alpha_cases <- list(
  attitude = list(x = attitude, keys = NULL),
  bfi_agree = list(x = bfi[, paste0("A", 1:5)], keys = c("A1")),
  bfi_conscientious = list(x = bfi[, paste0("C", 1:5)], keys = c("C4", "C5")),
  bfi_extraversion = list(x = bfi[, paste0("E", 1:5)], keys = c("E1", "E2")),
  bfi_neuroticism = list(x = bfi[, paste0("N", 1:5)], keys = NULL),
  bfi_openness = list(x = bfi[, paste0("O", 1:5)], keys = c("O2", "O5")),
  bfi_all25 = list(x = bfi[, 1:25], keys = c("A1", "C4", "C5", "E1", "E2", "O2", "O5")),
  sd3_machiavellianism = list(x = sd3[, paste0("M", 1:9)], keys = NULL),
  sd3_narcissism = list(x = sd3[, paste0("N", 1:9)], keys = c("N2", "N6", "N8")),
  sd3_psychopathy = list(x = sd3[, paste0("P", 1:9)], keys = c("P2", "P7"))
)

alpha_ref <- list()
for (name in names(alpha_cases)) {
  case <- alpha_cases[[name]]
  a <- suppressWarnings(suppressMessages(
    if (is.null(case$keys)) alpha(case$x) else alpha(case$x, keys = case$keys)
  ))
  printed <- capture.output(print(a))
  alpha_ref[[name]] <- list(
    items = names(case$x),
    keys = if (is.null(case$keys)) list() else as.list(case$keys),
    total = frame(a$total),
    feldt = list(lower = a$feldt$lower.ci[[1]], upper = a$feldt$upper.ci[[1]]),
    duhachek = list(lower = a$total$raw_alpha - 1.96 * a$total$ase,
                    upper = a$total$raw_alpha + 1.96 * a$total$ase),
    alpha_drop = frame(a$alpha.drop),
    item_stats = frame(a$item.stats),
    response_freq = if (is.null(a$response.freq)) NULL else frame(a$response.freq),
    printed = paste(printed, collapse = "\n")
  )
}

# omega: Thurstone (psych omega vignette), one-factor omega on attitude, bfi 25 items with 5 factors,
# SD-3 27 items with 3 factors.
omega_cases <- list(
  thurstone = list(m = thurstone, nfactors = 3),
  attitude_1f = list(m = attitude, nfactors = 1),
  bfi_25_5f = list(m = bfi[, 1:25], nfactors = 5),
  sd3_27_3f = list(m = sd3, nfactors = 3)
)
omega_ref <- list()
for (name in names(omega_cases)) {
  case <- omega_cases[[name]]
  o <- suppressWarnings(suppressMessages(omega(case$m, nfactors = case$nfactors, plot = FALSE)))
  printed <- capture.output(print(o))
  omega_ref[[name]] <- list(
    nfactors = case$nfactors,
    omega_h = o$omega_h, omega_lim = o$omega.lim, alpha = o$alpha, omega_tot = o$omega.tot,
    G6 = o$G6, ECV = unname(o$ECV),
    sl = frame(o$schmid$sl),
    phi = if (case$nfactors > 1) unname(o$schmid$phi) else NULL,
    omega_group = frame(o$omega.group),
    printed = paste(printed, collapse = "\n")
  )
}

# splitHalf: psych's Guttman split-half 4 R_AB / 1'R1 on the correlation matrix, keys given explicitly
# (check.keys = FALSE). For odd k psych enumerates only the first choose(k, floor(k/2))/2 splits.
split_cases <- list(
  attitude = list(x = attitude, key = NULL),
  attitude_6 = list(x = attitude[, 1:6], key = NULL),
  bfi_agree = list(x = bfi[, paste0("A", 1:5)], key = c(-1, 1, 1, 1, 1)),
  bfi_agree_conscientious = list(x = bfi[, c(paste0("A", 1:5), paste0("C", 1:5))],
                                 key = c(-1, 1, 1, 1, 1, 1, 1, 1, -1, -1)),
  sd3_machiavellianism = list(x = sd3[, paste0("M", 1:9)], key = NULL)
)
split_ref <- list()
for (name in names(split_cases)) {
  case <- split_cases[[name]]
  s <- suppressWarnings(splitHalf(case$x, check.keys = FALSE, key = case$key))
  split_ref[[name]] <- list(
    items = names(case$x), key = if (is.null(case$key)) list() else case$key,
    maxrb = s$maxrb, minrb = s$minrb, meanr = s$meanr, alpha = s$alpha,
    lambda2 = s$lambda2, lambda6 = s$lambda6, av.r = s$av.r, med.r = s$med.r
  )
}

result <- list(
  generated_by = "tests/reference/reliability.R",
  R_version = R.version.string,
  psych_version = as.character(packageVersion("psych")),
  GPArotation_version = as.character(packageVersion("GPArotation")),
  alpha = alpha_ref, omega = omega_ref, splithalf = split_ref
)
writeLines(toJSON(result, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), out)
cat("wrote", out, "\n")
