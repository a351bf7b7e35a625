# Reference values for psychometry.stats.invariance (multi-group CFA, measurement invariance), computed
# with R's lavaan: cfa(model, data, group = g, group.equal = ...) and lavTestLRT().
#
# Run from the repository root:
#   Rscript tests/reference/invariance.R [output.json]
# Default output: tests/reference/invariance.json (committed; the tests compare against it always and
# re-run this script live when Rscript is on the PATH).
#
# Versions used for the committed JSON: R 4.2 (Debian), lavaan 0.6-14.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "tests/reference/invariance.json"
num <- function(x) unname(as.numeric(x))

ref <- list()
ref$meta <- list(R = R.version.string, lavaan = as.character(packageVersion("lavaan")))

levels <- list(configural = "", metric = "loadings", scalar = c("loadings", "intercepts"),
               strict = c("loadings", "intercepts", "residuals"))
measures <- c("npar", "fmin", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "baseline.pvalue",
              "cfi", "tli", "logl", "unrestricted.logl", "aic", "bic", "rmsea", "rmsea.ci.lower",
              "rmsea.ci.upper", "rmsea.pvalue", "srmr", "ntotal")

inv_ref <- function(model, data, group, call, estimator = "ML", ordered = FALSE) {
  fits <- lapply(levels, function(eq) {
    if (isTRUE(ordered)) {
      cfa(model, data = data, group = group, group.equal = eq, ordered = TRUE)
    } else {
      cfa(model, data = data, group = group, group.equal = eq, estimator = estimator)
    }
  })
  res <- list(call = call, model = model, group = group,
              group_labels = I(lavInspect(fits[[1]], "group.label")),
              n = I(num(lavInspect(fits[[1]], "nobs"))))
  for (lv in names(levels)) {
    fit <- fits[[lv]]
    pe <- parameterEstimates(fit)
    fm <- fitMeasures(fit)
    fm <- fm[names(fm) %in% c(measures, "chisq.scaled", "df.scaled", "pvalue.scaled", "cfi.scaled",
                              "tli.scaled", "rmsea.scaled", "chisq.scaling.factor")]
    res[[lv]] <- list(
      group_equal = I(setdiff(levels[[lv]], "")),
      fit = as.list(setNames(num(fm), names(fm))),
      estimates = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, group = num(pe$group), est = num(pe$est),
                       se = num(pe$se)))
  }
  lrt <- lavTestLRT(fits$configural, fits$metric, fits$scalar, fits$strict)
  res$lrt <- list(models = I(names(levels)), df = num(lrt$Df), chisq = num(lrt$Chisq),
                  chisq_diff = num(lrt[["Chisq diff"]]), df_diff = num(lrt[["Df diff"]]),
                  p = num(lrt[["Pr(>Chisq)"]]), method = attr(lrt, "heading"))
  res
}

# Holzinger & Swineford (1939) by school: the lavaan tutorial's measurement-invariance example
hs <- read.csv("tests/data/holzinger_swineford_1939.csv")
hs_model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
ref$hs39_school <- inv_ref(hs_model, hs, "school", "cfa(HS model, HolzingerSwineford1939, group = 'school', group.equal = ...)")

# psych's bfi (real SAPA respondents) by gender: agreeableness and conscientiousness items as continuous
bfi <- read.csv("tests/data/psych_bfi.csv")
bfi_cc <- bfi[complete.cases(bfi[, 1:10]), c(1:10, 26)]
bfi_model <- "A =~ A1 + A2 + A3 + A4 + A5\nC =~ C1 + C2 + C3 + C4 + C5"
ref$bfi_gender <- inv_ref(bfi_model, bfi_cc, "gender", "cfa(A and C, bfi complete rows, group = 'gender', group.equal = ...)")

# ---------------------------------------------------------------- ordinal items (WLSMV, delta parameterisation)
# lavaan's levels for ordered items: configural; metric = loadings; scalar = loadings + thresholds (scale
# factors and latent means then free in the second group); lavTestLRT: Satorra (2000) scaled-shifted
# difference test.
ord_levels <- list(configural = "", metric = "loadings", scalar = c("loadings", "thresholds"))
ord_measures <- c("npar", "fmin", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
                  "chisq.scaling.factor", "baseline.chisq", "baseline.df", "baseline.chisq.scaled", "cfi", "tli",
                  "cfi.scaled", "tli.scaled", "rmsea", "rmsea.scaled", "srmr", "ntotal",
                  "cfi.robust", "tli.robust", "rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust",
                  "rmsea.pvalue.robust", "rmsea.notclose.pvalue.robust")
ord_inv_ref <- function(model, data, group, call) {
  fits <- lapply(ord_levels, function(eq) cfa(model, data = data, group = group, group.equal = eq, ordered = TRUE))
  res <- list(call = call, model = model, group = group,
              group_labels = I(lavInspect(fits[[1]], "group.label")),
              n = I(num(lavInspect(fits[[1]], "nobs"))))
  for (lv in names(ord_levels)) {
    fit <- fits[[lv]]
    pe <- parameterEstimates(fit)
    fm <- fitMeasures(fit, ord_measures)
    ts <- lavInspect(fit, "test")[[2]]
    res[[lv]] <- list(
      group_equal = I(setdiff(ord_levels[[lv]], "")),
      fit = as.list(setNames(num(fm), names(fm))),
      scaling_factor = num(ts$scaling.factor), shift_parameter = num(ts$shift.parameter),
      estimates = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, group = num(pe$group), est = num(pe$est),
                       se = num(pe$se)))
  }
  lrt <- lavTestLRT(fits$configural, fits$metric, fits$scalar)
  res$lrt <- list(models = I(names(ord_levels)), df = num(lrt$Df), chisq = num(lrt$Chisq),
                  chisq_diff = num(lrt[["Chisq diff"]]), df_diff = num(lrt[["Df diff"]]),
                  p = num(lrt[["Pr(>Chisq)"]]), method = attr(lrt, "heading"))
  res
}
bfi_ord <- bfi[complete.cases(bfi[, 1:10]), c(1:10, 26)]
ref$bfi_gender_ordinal <- ord_inv_ref(bfi_model, bfi_ord, "gender",
                                      "cfa(A and C, bfi complete rows, group = 'gender', ordered = TRUE, group.equal = ...)")
sd3 <- read.csv("tests/data/sd3_openpsychometrics.csv")
sd3 <- sd3[sd3$country %in% c("US", "GB"), c(paste0("M", 1:9), "country")]
sd3[sd3 == 0] <- NA
sd3 <- sd3[complete.cases(sd3), ]
ref$sd3_country_ordinal <- ord_inv_ref(paste("M =~", paste0("M", 1:9, collapse = " + ")), sd3, "country",
                                       "cfa(M =~ M1..M9, SD-3 complete rows from US and GB, group = 'country', ordered = TRUE, group.equal = ...)")

writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), out)
cat("wrote", out, "\n")
