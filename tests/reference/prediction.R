# Reference values for psychometry.stats.prediction (behaviour_regression), computed with base R's lm().
#
# Run from the repository root:   Rscript tests/reference/prediction.R [output.json]
# Default output: tests/reference/prediction.json (committed; tests/test_stats_prediction.py compares
# against it, and re-runs this script live into a temporary file when Rscript is on the PATH).
# Needs base R only (stats): the JSON is written by the small writer below, and the robust standard
# errors are the textbook sandwich formulas coded here (no sandwich/lmtest), an independent check of
# statsmodels' HC3 and cluster-robust (CR1) estimators.

args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "tests/reference/prediction.json"

attitude <- read.csv("tests/data/attitude.csv")
bfi <- read.csv("tests/data/psych_bfi.csv")

# ---- a minimal JSON writer (numbers at 17 significant digits, NA/NaN/Inf as null) -----------------
json <- function(x, indent = "") {
  inner <- paste0(indent, "  ")
  if (is.null(x)) return("null")
  if (is.list(x)) {
    if (length(x) == 0) return(if (is.null(names(x))) "[]" else "{}")
    body <- vapply(seq_along(x), function(i) json(x[[i]], inner), "")
    if (is.null(names(x))) {
      return(paste0("[\n", paste0(inner, body, collapse = ",\n"), "\n", indent, "]"))
    }
    keys <- vapply(names(x), function(k) json(k), "")
    return(paste0("{\n", paste0(inner, keys, ": ", body, collapse = ",\n"), "\n", indent, "}"))
  }
  one <- function(v) {
    if (is.character(v)) {
      v <- gsub("\\\\", "\\\\\\\\", v)
      v <- gsub("\"", "\\\\\"", v)
      v <- gsub("\n", "\\\\n", v)
      v <- gsub("\t", "\\\\t", v)
      return(paste0("\"", v, "\""))
    }
    if (is.logical(v)) return(if (is.na(v)) "null" else if (v) "true" else "false")
    if (!is.finite(v)) return("null")
    sprintf("%.17g", v)
  }
  vals <- vapply(seq_along(x), function(i) one(x[[i]]), "")
  if (length(x) == 1 && is.null(names(x))) return(vals)
  if (!is.null(names(x))) {
    return(paste0("{", paste0(json(names(x)), ": ", vals, collapse = ", "), "}"))
  }
  paste0("[", paste(vals, collapse = ", "), "]")
}
arr <- function(v) as.list(unname(v)) # always a JSON array, even of length 1
named <- function(v) { l <- as.list(unname(v)); names(l) <- names(v); l }

# ---- sandwich estimators, by their formulas ----------------------------------------------------------
# HC3 (MacKinnon & White 1985): (X'X)^-1 X' diag(e^2 / (1 - h)^2) X (X'X)^-1
vcov_hc3 <- function(fit) {
  X <- model.matrix(fit); e <- residuals(fit); h <- hatvalues(fit)
  bread <- solve(crossprod(X))
  bread %*% crossprod(X * (e / (1 - h))) %*% bread
}
# CR1 (Stata's cluster-robust; Cameron & Miller 2015): G/(G-1) (n-1)/(n-k) (X'X)^-1 sum_g X_g'e_g e_g'X_g (X'X)^-1
vcov_cr1 <- function(fit, cluster) {
  X <- model.matrix(fit); e <- residuals(fit)
  n <- nrow(X); k <- ncol(X); G <- length(unique(cluster))
  scores <- rowsum(X * e, cluster)
  bread <- solve(crossprod(X))
  G / (G - 1) * (n - 1) / (n - k) * bread %*% crossprod(scores) %*% bread
}
# coefficients, t, p and the Wald F of all slopes under a covariance V, with `df` denominator df
robust_table <- function(fit, V, df) {
  b <- coef(fit); se <- sqrt(diag(V)); t <- b / se
  p <- 2 * pt(abs(t), df, lower.tail = FALSE)
  q <- length(b) - 1
  R <- cbind(0, diag(q))
  Fv <- as.numeric(t(R %*% b) %*% solve(R %*% V %*% t(R)) %*% (R %*% b)) / q
  crit <- qt(0.975, df)
  list(estimate = named(b), se = named(se), t = named(t), p = named(p),
       ci_low = named(b - crit * se), ci_high = named(b + crit * se),
       F = Fv, df1 = q, df2 = df, F_p = pf(Fv, q, df, lower.tail = FALSE))
}

# ---- one lm() case ------------------------------------------------------------------------------------
lm_case <- function(data, y, xs, cluster = NULL) {
  f <- as.formula(paste(y, "~", paste(xs, collapse = " + ")))
  fit <- lm(f, data = data)
  s <- summary(fit)
  cf <- s$coefficients
  ci <- confint(fit)
  used <- model.frame(fit)
  zfit <- lm(f, data = as.data.frame(scale(used))) # standardised betas: lm(scale(y) ~ scale(x))
  printed <- capture.output(print(s))
  res <- list(
    y = y, x = arr(xs),
    n = nobs(fit), n_missing = length(fit$na.action),
    estimate = named(cf[, 1]), se = named(cf[, 2]), t = named(cf[, 3]), p = named(cf[, 4]),
    ci_low = named(ci[, 1]), ci_high = named(ci[, 2]),
    beta = named(coef(zfit)[-1]),
    sigma = s$sigma, df_resid = fit$df.residual,
    r_squared = s$r.squared, adj_r_squared = s$adj.r.squared,
    F = unname(s$fstatistic[1]), df1 = unname(s$fstatistic[2]), df2 = unname(s$fstatistic[3]),
    F_p = unname(pf(s$fstatistic[1], s$fstatistic[2], s$fstatistic[3], lower.tail = FALSE)),
    residual_quantiles = arr(quantile(residuals(fit))),
    printed = arr(printed),
    hc3 = robust_table(fit, vcov_hc3(fit), fit$df.residual)
  )
  if (!is.null(cluster)) {
    cl <- cluster[as.integer(rownames(used))]
    res$cluster <- arr(cluster)
    res$cr1 <- robust_table(fit, vcov_cr1(fit, cl), length(unique(cl)) - 1)
  }
  res
}

attitude_clusters <- rep(1:10, each = 3) # ten made-up clusters of three consecutive rows
traits4 <- c("complaints", "privileges", "learning", "raises")
cases <- list(
  # the example of ?attitude: every other column predicts the overall rating
  attitude_rating_all = lm_case(attitude, "rating", setdiff(names(attitude), "rating")),
  # three "behaviours" on the same four "traits"
  attitude_rating = lm_case(attitude, "rating", traits4, cluster = attitude_clusters),
  attitude_critical = lm_case(attitude, "critical", traits4, cluster = attitude_clusters),
  attitude_advance = lm_case(attitude, "advance", traits4, cluster = attitude_clusters),
  # psych's bfi: missing values (listwise deletion) and p-values below 2.2e-16
  bfi_education = lm_case(bfi, "education", c("A1", "C1", "E1", "N1", "O1")),
  bfi_age = lm_case(bfi, "age", c("A1", "C1", "E1", "N1", "O1"))
)

ref <- list(
  generated_by = "tests/reference/prediction.R",
  R_version = R.version.string,
  cases = cases
)
writeLines(json(ref), out)
