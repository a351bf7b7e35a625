# Reference values for psychometry.stats robustness functions (long results table), computed with base R
# (stats) and psych, independently of the Python code: scale scores, reverse keying, pairing and response
# styles are recomputed here from the CSV.
#
# Run from the repository root:   Rscript tests/reference/robustness.R [output.json]
# Default output: tests/reference/robustness.json (committed; tests/test_stats_robustness.py compares
# against it and re-runs this script live into a temporary file when Rscript is on the PATH).
# Data: tests/data/robustness_long.csv, written by `python3 tests/test_stats_robustness.py --write-data`
# (seeded generator make_reference_long() in that file).
# Needs: psych (2.2.9 used for the committed file), jsonlite. R 4.2.2.
suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "tests/reference/robustness.json"

long <- read.csv("tests/data/robustness_long.csv", stringsAsFactors = FALSE)
names(long)[names(long) == "repeat."] <- "rpt"  # read.csv renames the reserved word `repeat`
long$row <- seq_len(nrow(long))
shown <- strsplit(long$shown_values, ",")
long$lo <- sapply(shown, function(v) min(as.numeric(v)))
long$hi <- sapply(shown, function(v) max(as.numeric(v)))
long$n_options <- sapply(shown, length)
long$value[long$status != "ok"] <- NA

# ---- refusal rates: prop.test(correct = FALSE) gives the Wilson score interval -----------------------
rate_row <- function(factor, level, st) {
  n <- length(st)
  one <- function(x) {
    ci <- prop.test(x, n, correct = FALSE)$conf.int
    list(x = x, rate = x / n, lower = ci[1], upper = ci[2])
  }
  list(factor = factor, level = level, n = n, refused = one(sum(st == "refused")),
       unparsed = one(sum(st == "unparsed")))
}
rates <- list(rate_row("all", "all", long$status))
for (f in c("model", "template", "order", "instrument", "persona")) {
  for (lv in sort(unique(long[[f]]))) rates[[length(rates) + 1]] <- rate_row(f, lv, long$status[long[[f]] == lv])
}
# an exact (Clopper-Pearson) interval for comparison, documented in docs/statistics/robustness.md
binom_all <- binom.test(sum(long$status == "refused"), nrow(long))$conf.int

# ---- scale scores: mean of the answered items after reverse keying (lo + hi - x) --------------------
ok <- long[!is.na(long$value), ]
ok$x <- ifelse(ok$keyed < 0, ok$lo + ok$hi - ok$value, ok$value)
scores <- aggregate(x ~ model + persona + template + order + rpt + instrument + scale, data = ok, FUN = mean)
names(scores)[names(scores) == "x"] <- "score"

# ---- template sensitivity ------------------------------------------------------------------------------
template_ref <- list()
for (sc in sort(unique(scores$scale))) {
  d <- scores[scores$scale == sc, ]
  d$target <- paste(d$model, d$persona, d$order, d$rpt, sep = "/")
  wide <- reshape(d[, c("target", "template", "score")], idvar = "target", timevar = "template",
                  direction = "wide")
  rownames(wide) <- wide$target
  wide <- as.matrix(wide[, -1])
  colnames(wide) <- sub("^score\\.", "", colnames(wide))
  wide <- wide[complete.cases(wide), sort(colnames(wide))]
  fr <- friedman.test(wide)
  dl <- data.frame(target = factor(rep(rownames(wide), times = ncol(wide))),
                   template = factor(rep(colnames(wide), each = nrow(wide))),
                   score = as.vector(wide))
  av <- summary(aov(score ~ template + Error(target / template), data = dl))
  tab <- av[["Error: target:template"]][[1]]
  pw <- pairwise.t.test(dl$score, dl$template, paired = TRUE, p.adjust.method = "holm")
  pw_unadj <- pairwise.t.test(dl$score, dl$template, paired = TRUE, p.adjust.method = "none")
  icc <- ICC(wide, lmer = FALSE)$results
  template_ref[[sc]] <- list(
    n_targets = nrow(wide), templates = colnames(wide),
    means = as.list(colMeans(wide)),
    var_means = var(colMeans(wide)), var_within = mean(apply(wide, 1, var)),
    friedman = list(Q = unname(fr$statistic), df = unname(fr$parameter), p = fr$p.value),
    anova = list(F = tab[1, "F value"], df1 = tab[1, "Df"], df2 = tab[2, "Df"], p = tab[1, "Pr(>F)"]),
    pairwise_holm = as.list(as.data.frame(pw$p.value)), pairwise_none = as.list(as.data.frame(pw_unadj$p.value)),
    pairwise_rows = rownames(pw$p.value),
    icc2 = list(ICC = icc["Single_random_raters", "ICC"], lower = icc["Single_random_raters", "lower bound"],
                upper = icc["Single_random_raters", "upper bound"]),
    icc3 = list(ICC = icc["Single_fixed_raters", "ICC"], lower = icc["Single_fixed_raters", "lower bound"],
                upper = icc["Single_fixed_raters", "upper bound"])
  )
}

# ---- order sensitivity (original vs reversed; Friedman across all three orders) ----------------------
order_ref <- list()
for (sc in sort(unique(scores$scale))) {
  d <- scores[scores$scale == sc, ]
  d$target <- paste(d$model, d$persona, d$template, d$rpt, sep = "/")
  wide <- reshape(d[, c("target", "order", "score")], idvar = "target", timevar = "order", direction = "wide")
  colnames(wide) <- sub("^score\\.", "", colnames(wide))
  pair <- wide[complete.cases(wide[, c("original", "reversed")]), ]
  x <- pair$original
  y <- pair$reversed
  tt <- t.test(x, y, paired = TRUE)
  wt <- suppressWarnings(wilcox.test(x, y, paired = TRUE))
  ct <- cor.test(x, y)
  full <- as.matrix(wide[complete.cases(wide), c("original", "reversed", "rotate1")])
  fr <- friedman.test(full)
  order_ref[[sc]] <- list(
    n_pairs = length(x), mean_a = mean(x), mean_b = mean(y), mean_diff = mean(x - y),
    mean_abs_diff = mean(abs(x - y)),
    t = unname(tt$statistic), t_df = unname(tt$parameter), t_p = tt$p.value,
    V = unname(wt$statistic), wilcoxon_p = wt$p.value, r = unname(ct$estimate), r_p = ct$p.value,
    n_complete = nrow(full), friedman = list(Q = unname(fr$statistic), df = unname(fr$parameter), p = fr$p.value)
  )
}
# the exact signed-rank test (n < 50, no ties, no zeros): R's default exact = NULL chooses it
wx <- c(1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30)  # ?wilcox.test, Hollander & Wolfe (1973) p. 29
wy <- c(0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29)
wex <- wilcox.test(wx, wy, paired = TRUE)
wilcoxon_exact <- list(x = wx, y = wy, V = unname(wex$statistic), p = wex$p.value)

# ---- position bias --------------------------------------------------------------------------------------
position_ref <- list()
probs <- lapply(long$probs, fromJSON)
for (o in sort(unique(long$order))) {
  d <- long[long$order == o & !is.na(long$position), ]
  counts <- as.vector(table(factor(d$position, levels = 1:5)))
  ch <- chisq.test(counts)
  sel <- which(long$order == o)
  pm <- t(sapply(sel, function(i) {
    v <- as.numeric(strsplit(long$shown_values[i], ",")[[1]])
    unlist(probs[[i]][as.character(v)])
  }))
  position_ref[[o]] <- list(counts = counts, proportion = counts / sum(counts),
                            chi2 = unname(ch$statistic), df = unname(ch$parameter), p = ch$p.value,
                            mean_prob = unname(colMeans(pm)))
}

# ---- response styles ------------------------------------------------------------------------------------
style_ref <- list()
for (r in unique(ok$respondent)) {
  d <- ok[ok$respondent == r, ]
  d <- d[order(d$row), ]
  mid <- (d$lo + d$hi) / 2
  runs <- rle(d$value)
  agree <- d$value > mid
  np <- 0; nb <- 0
  for (sc in unique(d$scale)) {
    f <- d$scale == sc & d$keyed > 0
    b <- d$scale == sc & d$keyed < 0
    np <- np + sum(f) * sum(b)
    nb <- nb + sum(f & agree) * sum(b & agree)
  }
  style_ref[[r]] <- list(
    n_items = nrow(d), acquiescence = mean(d$value), extreme = mean(d$value == d$lo | d$value == d$hi),
    midpoint = mean(d$value == mid),
    straightlining = if (nrow(d) > 1) mean(d$value[-1] == d$value[-nrow(d)]) else NA,
    longest_run = max(runs$lengths), n_pairs = np, agree_both = if (np > 0) nb / np else NA,
    entropy = mean(d$entropy)
  )
}

# ---- ICC on pingouin's `icc` data set (8 wines x 4 judges; pingouin docs: ICC(1,1) = .728) -----------
wine <- matrix(c(1, 1, 3, 6, 6, 7, 8, 9,  2, 3, 8, 4, 5, 5, 7, 9,  0, 3, 1, 3, 5, 6, 7, 9,
                 1, 2, 4, 3, 6, 2, 9, 8), ncol = 4, dimnames = list(1:8, c("A", "B", "C", "D")))
wicc <- ICC(wine, lmer = FALSE)$results
wine_fr <- friedman.test(wine)

ref <- list(
  meta = list(R = R.version.string, psych = as.character(packageVersion("psych")),
              data = "tests/data/robustness_long.csv", rows = nrow(long)),
  rates = rates, binom_refused_all = binom_all,
  template = template_ref, order = order_ref, wilcoxon_exact = wilcoxon_exact,
  position = position_ref, styles = style_ref,
  icc_wine = list(data = as.list(as.data.frame(wine)), type = wicc$type, ICC = wicc$ICC,
                  lower = wicc[["lower bound"]], upper = wicc[["upper bound"]],
                  friedman = list(Q = unname(wine_fr$statistic), p = wine_fr$p.value))
)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), out)
