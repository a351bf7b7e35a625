# Reference values for psychometry.stats.gee: geepack::geeglm (robust "sandwich" standard errors,
# moment estimates of the scale and the working correlation).
#
# Run from the repository root:   Rscript tests/reference/gee.R [output.json]
# Default output: tests/reference/gee.json (committed; tests/test_stats_gee.py compares against it,
# and re-runs this script live under the `r` marker). Needs geepack and jsonlite.

suppressPackageStartupMessages({
  library(geepack)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "tests/reference/gee.json"

rounds <- read.csv("tests/data/behaviour_rounds.csv")
rounds$persona_id <- as.integer(factor(rounds$persona)) # geeglm wants clusters contiguous: they are
named <- function(v) as.list(setNames(as.numeric(v), names(v)))

gee_case <- function(formula, family, corstr) {
  fit <- eval(substitute(
    geeglm(f, id = persona_id, data = rounds, family = fam, corstr = cs),
    list(f = as.formula(formula), fam = as.name(family), cs = corstr)
  ))
  s <- summary(fit)
  cf <- as.matrix(s$coefficients) # a data frame: as a matrix, its columns keep the term names
  z <- qnorm(0.975)
  list(
    formula = formula, family = family, corstr = corstr,
    estimate = named(cf[, "Estimate"]), se = named(cf[, "Std.err"]), wald = named(cf[, "Wald"]),
    p = named(cf[, "Pr(>|W|)"]),
    ci_low = named(cf[, "Estimate"] - z * cf[, "Std.err"]),
    ci_high = named(cf[, "Estimate"] + z * cf[, "Std.err"]),
    scale = s$dispersion$Estimate,
    alpha = if (corstr == "independence") NULL else s$corr$Estimate,
    n_clusters = length(unique(rounds$persona_id)), nobs = nrow(rounds),
    printed = capture.output(print(s))
  )
}

ref <- list(
  generated_by = "tests/reference/gee.R",
  R_version = R.version.string,
  geepack = as.character(packageVersion("geepack")),
  cases = list(
    binomial_exchangeable = gee_case("cooperate ~ trait + round", "binomial", "exchangeable"),
    binomial_independence = gee_case("cooperate ~ trait + round", "binomial", "independence"),
    gaussian_exchangeable = gee_case("giving ~ trait + round", "gaussian", "exchangeable")
  )
)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), out)
