# Reference values for psychometry.stats.logistic (logistic_regression): R's glm(family = binomial).
#
# Run from the repository root:   Rscript tests/reference/logistic.R [output.json]
# Default output: tests/reference/logistic.json (committed; tests/test_stats_logistic.py compares
# against it, and re-runs this script live under the `r` marker). Needs jsonlite.

suppressPackageStartupMessages(library(jsonlite))
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "tests/reference/logistic.json"

mtcars <- read.csv("tests/data/mtcars.csv")
rounds <- read.csv("tests/data/behaviour_rounds.csv")
named <- function(v) as.list(setNames(as.numeric(v), names(v)))

glm_case <- function(formula, data_name) {
  fit <- eval(substitute(
    glm(f, family = binomial, data = d),
    list(f = as.formula(formula), d = as.name(data_name))
  ))
  s <- summary(fit)
  cf <- s$coefficients
  wald <- confint.default(fit) # Wald intervals: b +- qnorm(0.975) se
  list(
    formula = formula,
    estimate = named(cf[, 1]), se = named(cf[, 2]), z = named(cf[, 3]), p = named(cf[, 4]),
    ci_low = named(wald[, 1]), ci_high = named(wald[, 2]),
    odds_ratio = named(exp(cf[, 1])), odds_ratio_ci_low = named(exp(wald[, 1])),
    odds_ratio_ci_high = named(exp(wald[, 2])),
    null_deviance = fit$null.deviance, deviance = fit$deviance,
    df_null = fit$df.null, df_resid = fit$df.residual,
    aic = AIC(fit), bic = BIC(fit), loglik = as.numeric(logLik(fit)), nobs = nobs(fit),
    iterations = fit$iter,
    printed = capture.output(print(s))
  )
}

ref <- list(
  generated_by = "tests/reference/logistic.R",
  R_version = R.version.string,
  cases = list(
    mtcars_am = glm_case("am ~ wt + hp", "mtcars"),
    mtcars_vs = glm_case("vs ~ mpg", "mtcars"),
    rounds_cooperate = glm_case("cooperate ~ trait + round", "rounds")
  )
)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), out)
