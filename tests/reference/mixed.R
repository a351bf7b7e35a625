# Reference values for psychometry.stats.mixed (mixed_model), computed with lme4::lmer and lmerTest
# (Satterthwaite degrees of freedom).
#
# Run from the repository root:   Rscript tests/reference/mixed.R [output.json]
# Default output: tests/reference/mixed.json (committed; tests/test_stats_mixed.py compares against
# it, and re-runs this script live under the `r` marker). Needs lme4, lmerTest and jsonlite.

suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "tests/reference/mixed.json"

sleepstudy <- read.csv("tests/data/sleepstudy.csv")
rounds <- read.csv("tests/data/behaviour_rounds.csv")
boundary <- read.csv("tests/data/behaviour_boundary.csv")

named <- function(v) as.list(setNames(as.numeric(v), names(v)))

fit_case <- function(formula, data, data_name, reml, control = lmerControl()) {
  assign(data_name, data)
  singular_message <- NULL
  fit <- withCallingHandlers(
    eval(substitute(
      lmer(f, data = d, REML = r, control = control),
      list(f = as.formula(formula), d = as.name(data_name), r = reml)
    )),
    message = function(m) {
      singular_message <<- trimws(conditionMessage(m))
      invokeRestart("muffleMessage")
    }
  )
  s <- summary(fit) # lmerTest: Satterthwaite df
  cf <- s$coefficients
  crit <- qt(0.975, cf[, "df"])
  vc <- as.data.frame(VarCorr(fit))
  vc$var1[is.na(vc$var1)] <- ""
  vc$var2[is.na(vc$var2)] <- ""
  printed <- capture.output(print(s, correlation = FALSE))
  list(
    formula = formula, reml = reml,
    estimate = named(cf[, "Estimate"]), se = named(cf[, "Std. Error"]), df = named(cf[, "df"]),
    t = named(cf[, "t value"]), p = named(cf[, "Pr(>|t|)"]),
    ci_low = named(cf[, "Estimate"] - crit * cf[, "Std. Error"]),
    ci_high = named(cf[, "Estimate"] + crit * cf[, "Std. Error"]),
    varcor = list(grp = vc$grp, var1 = vc$var1, var2 = vc$var2, vcov = vc$vcov, sdcor = vc$sdcor),
    theta = as.numeric(getME(fit, "theta")),
    sigma = sigma(fit),
    loglik = as.numeric(logLik(fit)), deviance_crit = if (reml) REMLcrit(fit) else deviance(fit),
    AIC = AIC(fit), BIC = BIC(fit), df_loglik = attr(logLik(fit), "df"),
    nobs = nobs(fit), ngrps = as.numeric(ngrps(fit)),
    singular = isSingular(fit), singular_message = singular_message,
    scaled_residuals = as.numeric(quantile(residuals(fit, type = "pearson", scaled = TRUE))),
    printed = printed
  )
}

cases <- list()
add <- function(name, formula, data, data_name) {
  cases[[paste0(name, "_reml")]] <<- fit_case(formula, data, data_name, TRUE)
  cases[[paste0(name, "_ml")]] <<- fit_case(formula, data, data_name, FALSE)
}
add("sleep_intercept", "Reaction ~ Days + (1 | Subject)", sleepstudy, "sleepstudy")
add("sleep_slope", "Reaction ~ Days + (Days | Subject)", sleepstudy, "sleepstudy")
add("rounds_intercept", "giving ~ trait + round + (1 | persona)", rounds, "rounds")
add("rounds_slope", "giving ~ trait + round + (round | persona)", rounds, "rounds")
add("boundary", "y ~ x + (1 | persona)", boundary, "boundary")
# lme4's default optimiser stops within ~1e-8 of the deviance's minimum; with tight tolerances it
# reaches it (the slope models' estimates move by up to 2e-4 relative): the strict 1e-4 comparison
tight <- lmerControl(optCtrl = list(ftol_abs = 1e-14, xtol_abs = 1e-12, ftol_rel = 1e-14, xtol_rel = 1e-12))
for (reml in c(TRUE, FALSE)) {
  sfx <- if (reml) "_reml_tight" else "_ml_tight"
  cases[[paste0("sleep_slope", sfx)]] <- fit_case("Reaction ~ Days + (Days | Subject)", sleepstudy, "sleepstudy", reml, tight)
  cases[[paste0("rounds_slope", sfx)]] <- fit_case("giving ~ trait + round + (round | persona)", rounds, "rounds", reml, tight)
}

ref <- list(
  generated_by = "tests/reference/mixed.R",
  R_version = R.version.string,
  lme4 = as.character(packageVersion("lme4")),
  lmerTest = as.character(packageVersion("lmerTest")),
  cases = cases
)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), out)
