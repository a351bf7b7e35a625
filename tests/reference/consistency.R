# Reference values for psychometry.stats.consistency (behaviour_consistency: cor.test) and
# psychometry.stats.priors (direction_share: binom.test), computed with base R.
#
# Run from the repository root:   Rscript tests/reference/consistency.R [output.json]
# Default output: tests/reference/consistency.json (committed; tests/test_stats_consistency.py and
# tests/test_stats_priors.py compare against it, and re-run this script live under the `r` marker).
# Needs jsonlite.

suppressPackageStartupMessages(library(jsonlite))
args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) args[1] else "tests/reference/consistency.json"

rounds <- read.csv("tests/data/behaviour_rounds.csv")
attitude <- read.csv("tests/data/attitude.csv")
# one row per persona: its trait and its mean giving, per model
persona <- aggregate(cbind(trait, giving, cooperate) ~ model + persona, data = rounds, FUN = mean)

cor_case <- function(x, y, conf_level = 0.95, xname = "x", yname = "y") {
  ct <- cor.test(x, y, conf.level = conf_level)
  ci <- if (is.null(ct$conf.int)) c(NA, NA) else as.numeric(ct$conf.int)
  assign(xname, x)
  assign(yname, y)
  printed <- capture.output(print(eval(substitute(cor.test(a, b, conf.level = cl),
    list(a = as.name(xname), b = as.name(yname), cl = conf_level)))))
  list(n = length(x), r = unname(ct$estimate), statistic = unname(ct$statistic), df = unname(ct$parameter),
       p = ct$p.value, r_ci_low = ci[1], r_ci_high = ci[2], printed = printed)
}

binom_case <- function(x, n, conf_level = 0.95) {
  bt <- binom.test(x, n, p = 0.5, conf.level = conf_level)
  list(x = x, n = n, conf_level = conf_level, estimate = unname(bt$estimate), p = bt$p.value,
       ci_low = bt$conf.int[1], ci_high = bt$conf.int[2])
}

doc <- data.frame(rating = c(10, 20, 35, 40, 60, 65, 80, 90),
                  giving = c(5, 30, 20, 50, 45, 70, 60, 85))
m1 <- persona[persona$model == "m1", ]
m2 <- persona[persona$model == "m2", ]
ref <- list(
  generated_by = "tests/reference/consistency.R",
  R_version = R.version.string,
  cor = list(
    doc = cor_case(doc$rating, doc$giving, xname = "rating", yname = "giving"),
    persona_m1 = cor_case(m1$trait, m1$giving, xname = "trait", yname = "giving"),
    persona_m2 = cor_case(m2$trait, m2$giving, xname = "trait", yname = "giving"),
    persona_pooled = cor_case(persona$trait, persona$giving, xname = "trait", yname = "giving"),
    persona_cooperate_90 = cor_case(persona$trait, persona$cooperate, 0.90, "trait", "cooperate"),
    attitude = cor_case(attitude$rating, attitude$complaints, xname = "rating", yname = "complaints"),
    three = cor_case(c(1, 2, 3), c(2, 1, 4), xname = "a", yname = "b")
  ),
  binom = list(
    b7_10 = binom_case(7, 10), b0_5 = binom_case(0, 5), b12_12 = binom_case(12, 12),
    b31_50 = binom_case(31, 50), b3_8_90 = binom_case(3, 8, 0.90), b1_1 = binom_case(1, 1)
  )
)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), out)
