"""Does the design have power? The planted-effect design simulated through the whole pipeline.

How many personas does a study need to detect a standardised slope of beta with 80% power at alpha
.05? One administration plants four slopes of behaviour on agreeableness, one per shipped task
(``psychometry.backends.planted.PlantedRule``; docs/statistics/behaviour.md, "Does the design have
power?"), in P personas: ``psychometry.administer`` (BFI-44 with ``likert-plain``, the four tasks
with ``choice-plain``, original option order, logprob answers) -> ``load_results`` ->
``stats.trait_behaviour_scores(value="expected")``. The personas are independent draws, so the P
personas split into floor(P / n) disjoint samples of n; each is analysed with
``stats.behaviour_regression`` (behaviour ~ A, OLS), and the share of samples with p < .05 is the
simulated power. It is set against the analytic power of the t test of a regression slope (one
predictor, df = n - 2, noncentral t with ncp = sqrt(n f^2), f^2 = beta^2 / (1 - beta^2): G*Power's
"single regression coefficient, fixed model"; scipy.stats.nct).

Usage: ``python analysis/planted-effect/power.py [--personas 10000] [--seed 7]``; writes
``power.txt`` and ``power.csv`` next to this file. About 4 minutes on 2 cores (the store is
written to /dev/shm where there is one).
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats as sps

import psychometry
from psychometry import Design
from psychometry.backends.fake import FakeBackend
from psychometry.backends.planted import PlantedEffect, PlantedItem, PlantedRule
from psychometry.instrument import load_instrument
from psychometry.results import load_results
from psychometry.stats import behaviour_regression, trait_behaviour_scores
from psychometry.templates import item_options

HERE = Path(__file__).resolve().parent
ALPHA = 0.05
TRAIT = "A"
ITEMS_PER_TASK = 4  # answers averaged per persona and behaviour: 4 items x 1 condition
# task -> (behaviour scale, option range, planted standardised slope)
TASKS = {
    "cooperation": ("cooperation", 1.0, 0.0),
    "honesty": ("honesty", 1.0, 0.3),
    "risk": ("risk_taking", 4.0, 0.4),
    "dictator": ("generosity", 80.0, 0.5),
}


def analytic_power(beta: float, n: int, alpha: float = ALPHA) -> float:
    """Power of the two-sided t test of the slope in y ~ x with n observations: noncentral t on
    n - 2 df with ncp sqrt(n f^2), f^2 = beta^2 / (1 - beta^2) (Cohen 1988, ch. 9; G*Power)."""
    df = n - 2
    tc = sps.t.ppf(1 - alpha / 2, df)
    ncp = math.sqrt(n * beta**2 / (1 - beta**2))
    return float(sps.nct.sf(tc, df, ncp) + sps.nct.cdf(-tc, df, ncp))


def random_x_power(beta: float, n: int, alpha: float = ALPHA) -> float:
    """The same test when the trait scores are themselves a normal sample (as here): given x, t is
    noncentral t with ncp sqrt(f^2 W), W = sum (x - mean x)^2 / var(x) ~ chi-square(n - 1), so the
    power is the expectation over W of the conditional power. It equals the exact power of the
    test of a Pearson correlation under bivariate normality."""
    from scipy.integrate import quad

    df = n - 2
    tc = sps.t.ppf(1 - alpha / 2, df)
    f2 = beta**2 / (1 - beta**2)

    def conditional(w: float) -> float:
        ncp = math.sqrt(f2 * w)
        return float(sps.nct.sf(tc, df, ncp) + sps.nct.cdf(-tc, df, ncp)) * float(sps.chi2.pdf(w, n - 1))

    lo, hi = sps.chi2.ppf([1e-12, 1 - 1e-12], n - 1)
    return float(quad(conditional, lo, hi, limit=200, epsabs=1e-10)[0])


def check_random_x(cases=((0.3, 84), (0.5, 29), (0.5, 19)), reps: int = 100_000) -> list[str]:
    """The random-x power against a direct simulation of the correlation test on bivariate-normal
    draws (numpy, seed 0): the formula, not the pipeline."""
    rng = np.random.default_rng(0)
    out = []
    for beta, n in cases:
        x = rng.normal(size=(reps, n))
        y = beta * x + math.sqrt(1 - beta**2) * rng.normal(size=(reps, n))
        xc, yc = x - x.mean(1, keepdims=True), y - y.mean(1, keepdims=True)
        r = (xc * yc).sum(1) / np.sqrt((xc**2).sum(1) * (yc**2).sum(1))
        t = r * np.sqrt((n - 2) / (1 - r**2))
        p = float((np.abs(t) > sps.t.ppf(1 - ALPHA / 2, n - 2)).mean())
        out.append(
            f"  beta {beta:.1f}, n {n:3d}: {reps} bivariate-normal draws {p:.4f} "
            f"(MC SE {math.sqrt(p * (1 - p) / reps):.4f}); random x {random_x_power(beta, n):.4f}; "
            f"fixed x {analytic_power(beta, n):.4f}"
        )
    return out


def analytic_n(beta: float, power: float = 0.8, fn=analytic_power) -> int:
    """The smallest n whose power (``fn``: fixed or random x) reaches ``power``."""
    n = 4
    while fn(beta, n) < power:
        n += 1
    return n


def effects() -> list[PlantedEffect]:
    """Slopes that plant each task's standardised slope: residual SD sigma = range/10 (persona
    deviation and answer error both sigma, so the residual variance of a 4-item score is 1.25
    sigma^2); raw slope = beta / sqrt(1 - beta^2) x sqrt(1.25) sigma / sd_A, sd_A = 4/6."""
    out = []
    for _, (scale, span, beta) in TASKS.items():
        sigma = span / 10
        resid = sigma * math.sqrt(1 + 1 / ITEMS_PER_TASK)
        slope = beta / math.sqrt(1 - beta**2) * resid / (4 / 6)
        out.append(PlantedEffect(scale, trait=TRAIT, slope=slope, persona_sd=sigma, noise_sd=sigma))
    return out


def administer(n_personas: int, seed: int, workdir: Path) -> tuple[PlantedRule, pd.DataFrame, float]:
    texts = [f"You are respondent {i:05d}." for i in range(n_personas)]
    people = workdir / "personas.yaml"
    people.write_text(
        yaml.safe_dump({"personas": [{"id": f"p{i:05d}", "text": t} for i, t in enumerate(texts)]}),
        encoding="utf-8",
    )
    ids = ["bfi44", *TASKS]
    items = {}
    for iid in ids:
        inst = load_instrument(iid)
        for it in inst.items:
            items[it.text.strip()] = PlantedItem(it.scale, it.keyed, tuple(zip(*item_options(inst, it))))
    rule = PlantedRule(items, texts, effects(), seed=seed)
    out = workdir / "power.sqlite"
    t0 = time.monotonic()
    psychometry.administer(
        Design(ids, templates="likert-plain,choice-plain", orders="original", personas=str(people)),
        model=FakeBackend(choice=rule, name="planted"),
        out=out,
        progress=False,
    )
    long = load_results(out)
    return rule, long, time.monotonic() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--personas", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    t_start = time.monotonic()
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() and os.access(shm, os.W_OK) else None) as d:
        rule, long, t_admin = administer(args.personas, args.seed, Path(d))
    tb = trait_behaviour_scores(
        long, trait_instruments="bfi44", behaviour_instruments=list(TASKS), value="expected"
    )
    traits, behaviour = tb.traits[[TRAIT]], tb.behaviour
    n_all = len(traits)
    slopes = {e.behaviour: e.slope for e in rule.effects.values()}

    grid = {}  # behaviour -> the n values to simulate
    for _, (scale, _, beta) in TASKS.items():
        if beta > 0:
            grid[scale] = sorted({analytic_n(beta, p, random_x_power) for p in (0.6, 0.8, 0.9)})
    grid["cooperation"] = sorted({n for ns in grid.values() for n in ns})  # the null at every n

    rows = []
    for scale, _, _ in TASKS.values():
        beta = rule.beta(scale, ITEMS_PER_TASK)
        for n in grid[scale]:
            reps = n_all // n
            reject = cover = 0
            for r in range(reps):
                idx = traits.index[r * n : (r + 1) * n]
                fit = behaviour_regression(traits.loc[idx], behaviour=behaviour.loc[idx, scale])[scale]
                a = fit.coefficients.loc[TRAIT]
                reject += bool(a["p"] < ALPHA)
                cover += bool(a["ci_low"] <= slopes[scale] <= a["ci_high"])
            p_sim = reject / reps
            p_ana = analytic_power(beta, n) if beta > 0 else ALPHA
            p_rnd = random_x_power(beta, n) if beta > 0 else ALPHA
            rows.append(
                {
                    "behaviour": scale,
                    "beta": beta,
                    "slope": slopes[scale],
                    "n": n,
                    "samples": reps,
                    "power_sim": p_sim,
                    "mc_se": math.sqrt(p_rnd * (1 - p_rnd) / reps),
                    "power_fixed_x": p_ana,
                    "power_random_x": p_rnd,
                    "coverage": cover / reps,
                }
            )
    table = pd.DataFrame(rows)
    table["z"] = (table["power_sim"] - table["power_random_x"]) / table["mc_se"]
    table.to_csv(HERE / "power.csv", index=False, float_format="%.6g")

    # the sample size for 80% power: analytic, and interpolated on the simulated curve
    needed = []
    for beta in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6):
        row = {
            "beta": beta,
            "n80_fixed_x": analytic_n(beta),
            "n80_random_x": analytic_n(beta, 0.8, random_x_power),
            "n90_fixed_x": analytic_n(beta, 0.9),
            "n90_random_x": analytic_n(beta, 0.9, random_x_power),
        }
        sim = table[(table["beta"].round(6) == round(beta, 6)) & (table["beta"] > 0)]
        if len(sim) >= 2:
            ns, ps = sim["n"].to_numpy(float), sim["power_sim"].to_numpy(float)
            row["n80_simulated"] = float(np.interp(0.8, ps, ns)) if np.all(np.diff(ps) > 0) else math.nan
        needed.append(row)
    need = pd.DataFrame(needed)

    # the planted correlation against the one observed over all P personas
    observed = {
        scale: float(np.corrcoef(traits[TRAIT], behaviour[scale])[0, 1]) for scale, _, _ in TASKS.values()
    }
    lines = [
        "Power of the planted-effect design (analysis/planted-effect/power.py)",
        f"P = {n_all} personas, rule seed {args.seed}; BFI-44 (likert-plain) and the four tasks "
        f"(choice-plain), original order, logprob answers, scores from `expected`",
        f"administration + load_results: {t_admin:.0f} s; total {time.monotonic() - t_start:.0f} s; "
        f"{len(long)} responses",
        "",
        "Planted standardised slope (PlantedRule.beta) vs the correlation over all P personas:",
    ]
    for _, (scale, _, _) in TASKS.items():
        lines.append(
            f"  {scale:<12} slope {slopes[scale]:8.4f}  beta {rule.beta(scale, ITEMS_PER_TASK):.4f}  "
            f"observed r {observed[scale]:+.4f}"
        )
    lines += [
        "",
        "Simulated power (share of disjoint samples with p < .05) vs the analytic power of the t test",
        "of the slope: fixed x (noncentral t, ncp = sqrt(n f^2): G*Power) and random normal x (the",
        "noncentral t averaged over the chi-square distribution of the trait scores' sum of squares);",
        "for beta = 0 both are alpha. mc_se: Monte Carlo SE at the random-x value; z = (sim -",
        "random x) / mc_se; coverage: share of the 95% CIs that hold the planted slope.",
        "",
        table.to_string(index=False, float_format=lambda x: f"{x:.3f}"),
        "",
        "The random-x formula against a direct simulation of the correlation test:",
        *check_random_x(),
        "",
        "Personas needed for a standardised slope beta (alpha .05, two-sided):",
        "",
        need.to_string(index=False, float_format=lambda x: f"{x:.1f}", na_rep="-"),
        "",
    ]
    (HERE / "power.txt").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
