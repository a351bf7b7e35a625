# Reference values for psychometry.stats validity functions (efa, parallel_analysis, cfa, mtmm,
# compare_norms), computed with R's psych and lavaan on the data in tests/data/.
#
# Run from the repository root:
#   Rscript tests/reference/validity.R [output.json]
# Default output: tests/reference/validity.json (committed; the tests compare against it always
# and re-run this script live when Rscript is on the PATH).
#
# Versions used for the committed JSON: R 4.2 (Debian), psych 2.2.9, lavaan 0.6-14,
# GPArotation (Debian r-cran-gparotation).
suppressPackageStartupMessages({
  library(psych)
  library(lavaan)
  library(GPArotation)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "tests/reference/validity.json"

num <- function(x) unname(as.numeric(x))
mat <- function(m) {
  # matrix -> list(rows, cols, values row-major)
  m <- as.matrix(unclass(m))
  list(rows = I(rownames(m)), cols = I(colnames(m)), values = unname(lapply(seq_len(nrow(m)), function(i) I(num(m[i, ])))))
}

ref <- list()
ref$meta <- list(
  R = R.version.string,
  psych = as.character(packageVersion("psych")),
  lavaan = as.character(packageVersion("lavaan")),
  GPArotation = as.character(packageVersion("GPArotation"))
)

# ---------------------------------------------------------------- CFA (lavaan tutorial model)
hs <- read.csv("tests/data/holzinger_swineford_1939.csv")
model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
fit <- cfa(model, data = hs)
fm <- fitMeasures(fit, c("npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df",
                         "baseline.pvalue", "cfi", "tli", "logl", "unrestricted.logl", "aic",
                         "bic", "bic2", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper",
                         "rmsea.pvalue", "rmsea.notclose.pvalue", "srmr", "ntotal"))
pe <- parameterEstimates(fit, standardized = TRUE)
ref$cfa_hs39 <- list(
  call = "cfa(model, data = HolzingerSwineford1939); fitMeasures(fit); parameterEstimates(fit, standardized = TRUE)",
  model = model,
  fit = as.list(setNames(num(fm), names(fm))),
  estimates = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = num(pe$est), se = num(pe$se),
                   z = num(pe$z), pvalue = num(pe$pvalue), std_lv = num(pe$std.lv),
                   std_all = num(pe$std.all)),
  summary = paste(capture.output(summary(fit, fit.measures = TRUE, standardized = TRUE)), collapse = "\n")
)

# ---------------------------------------------------------------- EFA (psych::fa on bfi)
bfi <- read.csv("tests/data/psych_bfi.csv")
items <- bfi[, 1:25]
efa_ref <- function(f, call) {
  list(call = call,
       loadings = mat(f$loadings),
       h2 = num(f$communality), u2 = num(f$uniquenesses), com = num(f$complexity),
       Vaccounted = mat(f$Vaccounted),
       Phi = if (is.null(f$Phi)) NULL else mat(f$Phi),
       values = num(f$values), e_values = num(f$e.values), rms = num(f$rms),
       print = paste(capture.output(print(f, digits = 2)), collapse = "\n"))
}
ref$efa_bfi_minres_oblimin <- efa_ref(fa(items, nfactors = 5), "fa(bfi[1:25], nfactors = 5)")
ref$efa_bfi_ml_varimax <- efa_ref(fa(items, nfactors = 5, fm = "ml", rotate = "varimax"),
                                  "fa(bfi[1:25], nfactors = 5, fm = 'ml', rotate = 'varimax')")
ref$efa_bfi_pa_promax <- efa_ref(fa(items, nfactors = 5, fm = "pa", rotate = "promax"),
                                 "fa(bfi[1:25], nfactors = 5, fm = 'pa', rotate = 'promax')")
# stats::varimax stops early (eps = 1e-5 on the relative change of its criterion): its loadings
# on bfi differ by up to .0011 from the converged varimax. The converged solution of the same
# unrotated ML loadings (factor order and signs as returned, unsorted):
ml_none <- fa(items, nfactors = 5, fm = "ml", rotate = "none")
ref$varimax_converged_bfi_ml <- list(
  call = "varimax(unclass(fa(bfi[1:25], 5, fm = 'ml', rotate = 'none')$loadings), eps = 1e-14)",
  unrotated = mat(unclass(ml_none$loadings)),
  loadings = mat(varimax(unclass(ml_none$loadings), eps = 1e-14)$loadings))
ref$efa_bfi_minres_none_1 <- efa_ref(fa(items, nfactors = 1, rotate = "none"),
                                     "fa(bfi[1:25], nfactors = 1, rotate = 'none')")

# ---------------------------------------------------------------- parallel analysis
set.seed(42)
pa <- fa.parallel(items, n.iter = 20, plot = FALSE)
ref$parallel_bfi <- list(
  call = "set.seed(42); fa.parallel(bfi[1:25], n.iter = 20)",
  nfact = pa$nfact, ncomp = pa$ncomp,
  fa_values = num(pa$fa.values), pc_values = num(pa$pc.values),
  fa_sim = num(pa$fa.sim), pc_sim = num(pa$pc.sim)
)
set.seed(42)
pa_hs <- fa.parallel(hs[, paste0("x", 1:9)], n.iter = 20, plot = FALSE)
ref$parallel_hs39 <- list(
  call = "set.seed(42); fa.parallel(HolzingerSwineford1939[, x1..x9], n.iter = 20)",
  nfact = pa_hs$nfact, ncomp = pa_hs$ncomp,
  fa_values = num(pa_hs$fa.values), pc_values = num(pa_hs$pc.values),
  fa_sim = num(pa_hs$fa.sim), pc_sim = num(pa_hs$pc.sim)
)

# ---------------------------------------------------------------- MTMM-like correlations
# Two "methods" per Big Five trait from the bfi items (complete cases): method a = mean of
# items 1-3, method b = mean of items 4-5, reverse-keyed items scored 7 - x.
cc <- items[complete.cases(items), ]
rev_items <- c("A1", "C4", "C5", "E1", "E2", "O2", "O5")
for (it in rev_items) cc[[it]] <- 7 - cc[[it]]
traits <- c("A", "C", "E", "N", "O")
sa <- sapply(traits, function(t) rowMeans(cc[, paste0(t, 1:3)]))
sb <- sapply(traits, function(t) rowMeans(cc[, paste0(t, 4:5)]))
colnames(sa) <- paste0(traits, "_a")
colnames(sb) <- paste0(traits, "_b")
conv <- lapply(traits, function(t) {
  ct <- cor.test(sa[, paste0(t, "_a")], sb[, paste0(t, "_b")])
  list(trait = t, r = num(ct$estimate), lower = num(ct$conf.int[1]), upper = num(ct$conf.int[2]),
       t = num(ct$statistic), df = num(ct$parameter), p = num(ct$p.value))
})
allr <- cor(cbind(sa, sb))
hh <- cor(sa, sb)
ref$mtmm_bfi <- list(
  call = "cor.test(score_a, score_b) per trait; cor(cbind(a, b)) on complete cases of bfi[1:25]",
  n = nrow(cc), convergent = conv, cor = mat(allr),
  mean_abs_heterotrait_heteromethod = mean(abs(hh[row(hh) != col(hh)]))
)

# ---------------------------------------------------------------- norm comparison
# Agreeableness (method a + b items) of men (gender 1) vs women (gender 2), complete cases:
# Welch t test and Cohen's d with the pooled SD (= psych's hedges.g) and its noncentral-t CI.
agree <- rowMeans(cc[, paste0("A", 1:5)])
g <- bfi$gender[complete.cases(items)]
x <- agree[g == 1]
y <- agree[g == 2]
tt <- t.test(x, y, var.equal = FALSE)
n1 <- length(x); n2 <- length(y)
sp <- sqrt(((n1 - 1) * var(x) + (n2 - 1) * var(y)) / (n1 + n2 - 2))
d <- (mean(x) - mean(y)) / sp
dci <- cohen.d.ci(d, n1 = n1, n2 = n2)
ref$norms_bfi_agreeableness <- list(
  call = "t.test(men, women); d = (m1 - m2)/pooled sd; psych::cohen.d.ci(d, n1, n2)",
  sample = list(mean = mean(x), sd = sd(x), n = n1),
  norm = list(mean = mean(y), sd = sd(y), n = n2),
  t = num(tt$statistic), df = num(tt$parameter), p = num(tt$p.value),
  d = d, d_lower = num(dci[1, "lower"]), d_upper = num(dci[1, "upper"])
)

# ---------------------------------------------------------------- CFA (bfi, five factors, raw items)
# The Big Five model on the 25 raw bfi items: A1, C4, C5, E1, E2, O2, O5 are reverse keyed and left
# unreversed, so their loadings are negative (A1 and E1 are markers: the other A and E loadings
# are then negative). lavaan's defaults: listwise complete cases (missing = "listwise"), ML.
bfi_model <- "A =~ A1 + A2 + A3 + A4 + A5
C =~ C1 + C2 + C3 + C4 + C5
E =~ E1 + E2 + E3 + E4 + E5
N =~ N1 + N2 + N3 + N4 + N5
O =~ O1 + O2 + O3 + O4 + O5"
fit_bfi <- cfa(bfi_model, data = items)
fm_bfi <- fitMeasures(fit_bfi, c("npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df",
                                 "baseline.pvalue", "cfi", "tli", "logl", "unrestricted.logl", "aic",
                                 "bic", "bic2", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper",
                                 "rmsea.pvalue", "rmsea.notclose.pvalue", "srmr", "ntotal"))
pe_bfi <- parameterEstimates(fit_bfi, standardized = TRUE)
ref$cfa_bfi_raw <- list(
  call = "cfa(model, data = bfi[, 1:25]); fitMeasures(fit); parameterEstimates(fit, standardized = TRUE)",
  model = bfi_model,
  converged = lavInspect(fit_bfi, "converged"),
  iterations = lavInspect(fit_bfi, "iterations"),
  fit = as.list(setNames(num(fm_bfi), names(fm_bfi))),
  estimates = list(lhs = pe_bfi$lhs, op = pe_bfi$op, rhs = pe_bfi$rhs, est = num(pe_bfi$est),
                   se = num(pe_bfi$se), z = num(pe_bfi$z), pvalue = num(pe_bfi$pvalue),
                   std_lv = num(pe_bfi$std.lv), std_all = num(pe_bfi$std.all)),
  summary = paste(capture.output(summary(fit_bfi, fit.measures = TRUE, standardized = TRUE)), collapse = "\n")
)

# ---------------------------------------------------------------- CFA on weakly structured data
# tests/data/cfa_weak_<seed>.csv: 200 x 6 independent standard normal values, Python
# numpy.random.default_rng(seed).normal(size = (200, 6)) rounded to 3 decimals (no real factor
# structure, as with many LLM answer sets). With lavaan's default (marker) parameterisation the
# optimum has negative factor variances (seeds 6, 21) or a non-positive-definite factor covariance
# matrix (seed 9); lavaan converges and warns.
weak_model <- "f1 =~ x1 + x2 + x3
f2 =~ x4 + x5 + x6"
for (seed in c(6, 9, 21)) {
  d <- read.csv(sprintf("tests/data/cfa_weak_%d.csv", seed))
  w <- character(0)
  fit_w <- withCallingHandlers(cfa(weak_model, data = d),
                               warning = function(x) { w <<- c(w, conditionMessage(x)); invokeRestart("muffleWarning") })
  fm_w <- fitMeasures(fit_w, c("npar", "chisq", "df", "pvalue", "cfi", "tli", "logl", "rmsea", "srmr", "ntotal"))
  pe_w <- parameterEstimates(fit_w, standardized = TRUE)
  ref[[sprintf("cfa_weak_%d", seed)]] <- list(
    call = sprintf("cfa(model, data = read.csv('tests/data/cfa_weak_%d.csv')); fitMeasures(fit); parameterEstimates(fit, standardized = TRUE)", seed),
    model = weak_model,
    converged = lavInspect(fit_w, "converged"),
    iterations = lavInspect(fit_w, "iterations"),
    warnings = I(gsub("\\s+", " ", w)),
    fit = as.list(setNames(num(fm_w), names(fm_w))),
    estimates = list(lhs = pe_w$lhs, op = pe_w$op, rhs = pe_w$rhs, est = num(pe_w$est),
                     se = num(pe_w$se), z = num(pe_w$z), pvalue = num(pe_w$pvalue),
                     std_lv = num(pe_w$std.lv), std_all = num(pe_w$std.all))
  )
}

writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), out)
cat("wrote", out, "\n")
