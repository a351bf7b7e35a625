"""Timing of psychometry.stats on a synthetic long results table of 10^6 response rows.

    python3 benchmarks/stats.py [--rows 1000000] [--seed 1]

Builds (numpy, seeded) a long table with the columns of docs/architecture.md: one model, 50 personas x 5
templates x 4 option orders x 20 repeats = 20,000 simulated respondents answering a 50-item 1-5 instrument
(5 scales of 10 items, 4 reverse keyed), logprob mode with option probabilities, 3% refused and 2% unparsed.
Then prints the wall time of each function. Everything is vectorised (groupby), so the whole run takes
seconds; the table is the size of a large study (20,000 respondents x 50 items).

Last, the time of two confirmatory factor analyses (``cfa``) on simulated 5-point answers of n = 500
respondents with a third of the items reverse keyed (negative loadings, left raw): a 5-factor 44-item
model (BFI-44 sizes 8/9/9/8/10) and a 5-factor 120-item model (IPIP-NEO-120 sizes, 24 per domain).
For scale: lavaan 0.6-14 took about 0.5 s and 24 s for these two on a shared 2-core machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ORDERS = {
    "original": [1, 2, 3, 4, 5],
    "reversed": [5, 4, 3, 2, 1],
    "rotate1": [2, 3, 4, 5, 1],
    "rotate2": [3, 4, 5, 1, 2],
}


def synthetic_long(
    rows: int = 1_000_000, seed: int = 1, n_items: int = 50, n_scales: int = 5
) -> pd.DataFrame:
    """A synthetic long results table of about ``rows`` rows (a multiple of n_items)."""
    rng = np.random.default_rng(seed)
    templates, orders = 5, list(ORDERS)
    n_resp = max(rows // n_items, templates * len(orders))
    repeats = 20
    personas = max(n_resp // (templates * len(orders) * repeats), 1)
    n_resp = personas * templates * len(orders) * repeats
    # respondent factors (persona slowest, repeat fastest)
    idx = np.arange(n_resp)
    rep = idx % repeats
    order_i = (idx // repeats) % len(orders)
    tmpl = (idx // (repeats * len(orders))) % templates
    pers = idx // (repeats * len(orders) * templates)
    # items
    item_scale = np.arange(n_items) % n_scales
    item_keyed = np.where((np.arange(n_items) // n_scales) % 5 == 4, -1, 1)
    trait = rng.normal(3, 0.8, size=(personas, n_scales))
    # one row per respondent x item
    r = np.repeat(idx, n_items)
    j = np.tile(np.arange(n_items), n_resp)
    t = trait[pers[r], item_scale[j]] + 0.3 * (tmpl[r] == 4)
    target = np.where(item_keyed[j] > 0, t, 6 - t) + 0.3 * (order_i[r] == 1)
    latent = target + rng.normal(0, 0.7, size=r.size)
    grid = np.arange(1, 6)
    logits = -((grid[None, :] - latent[:, None]) ** 2) / 1.2
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    value = (p.argmax(axis=1) + 1).astype(float)
    u = rng.uniform(size=r.size)
    status = np.where(u < 0.03, "refused", np.where(u < 0.05, "unparsed", "ok"))
    ok = status == "ok"
    shown = np.array([ORDERS[o] for o in orders])[order_i[r]]  # rows x 5
    position = (shown == value[:, None]).argmax(axis=1) + 1.0
    ps = np.round(p, 6).astype(str)
    probs = pd.Series('{"1": ', index=range(r.size), dtype=object)
    for k in range(5):
        probs = probs + ps[:, k] + (f', "{k + 2}": ' if k < 4 else "}")
    model = "bench-model"
    names_p = np.array([f"p{i}" for i in range(personas)])[pers[r]]
    names_t = np.array([f"t{i}" for i in range(templates)])[tmpl[r]]
    names_o = np.array(orders)[order_i[r]]
    respondent = pd.Series(
        np.array([f"{model}/p{a}/t{b}/{orders[c]}/{d}" for a, b, c, d in zip(pers, tmpl, order_i, rep)])[r]
    )
    return pd.DataFrame(
        {
            "model": model,
            "persona": names_p,
            "template": names_t,
            "order": names_o,
            "repeat": rep[r],
            "respondent": respondent,
            "instrument": "bench",
            "item": np.array([f"i{k + 1}" for k in range(n_items)])[j],
            "scale": np.array([f"S{k + 1}" for k in range(n_scales)])[item_scale[j]],
            "keyed": item_keyed[j],
            "shown_values": np.array([",".join(map(str, v)) for v in ORDERS.values()])[order_i[r]],
            "mode": "logprob",
            "status": status,
            "value": np.where(ok, value, np.nan),
            "position": np.where(ok, position, np.nan),
            "expected": p @ grid,
            "entropy": -(p * np.log(p)).sum(axis=1),
            "probs": probs.to_numpy(),
        }
    )


def simulated_cfa_data(
    sizes: list[int], n: int = 500, seed: int = 1
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Simulated 1-5 answers of n respondents to len(sizes) correlated factors (r = .2), loadings
    .4-.8 with every third item reverse keyed (negative), and the matching {factor: [items]} model."""
    rng = np.random.default_rng(seed)
    p, m = sum(sizes), len(sizes)
    lam = np.zeros((p, m))
    model: dict[str, list[str]] = {}
    start = 0
    for j, size in enumerate(sizes):
        lam[start : start + size, j] = rng.uniform(0.4, 0.8, size) * np.where(np.arange(size) % 3 == 1, -1, 1)
        model[f"F{j + 1}"] = [f"i{k + 1}" for k in range(start, start + size)]
        start += size
    phi = np.full((m, m), 0.2) + 0.8 * np.eye(m)
    sigma = lam @ phi @ lam.T
    sigma += np.diag(1.0 - np.diag(sigma))
    x = np.clip(np.round(3 + 1.1 * rng.multivariate_normal(np.zeros(p), sigma, size=n)), 1, 5)
    return pd.DataFrame(x, columns=[f"i{k + 1}" for k in range(p)]), model


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    import psychometry.stats as s
    from psychometry.stats.tidy import scale_scores

    t0 = time.perf_counter()
    long = synthetic_long(args.rows, args.seed)
    print(
        f"synthetic long table: {len(long):,} rows, {long['respondent'].nunique():,} respondents "
        f"({time.perf_counter() - t0:.2f} s to build)"
    )
    results = {}

    def timed(name, fn):
        t = time.perf_counter()
        results[name] = fn()
        print(f"{name:<22} {time.perf_counter() - t:7.2f} s")

    total = time.perf_counter()
    timed("item_matrix", lambda: s.item_matrix(long))
    timed("scale_scores", lambda: scale_scores(long))
    timed("refusal_rates", lambda: s.refusal_rates(long))
    timed("template_sensitivity", lambda: s.template_sensitivity(long))
    timed("order_sensitivity", lambda: s.order_sensitivity(long))
    timed("position_bias", lambda: s.position_bias(long))
    timed("response_styles", lambda: s.response_styles(long))
    try:
        alpha = s.alpha
    except (AttributeError, ImportError) as exc:  # the reliability module may not be there
        print(f"{'alpha':<22}  skipped ({exc})")
    else:
        wide = results["item_matrix"]
        items = [c for c in wide.columns if int(c[1:]) % 5 == 1]  # the 10 items of scale S1
        keys = [c for c in items if int(c[1:]) % 25 > 20]  # the reverse-keyed ones (keyed = -1)
        timed("alpha (20000 x 10)", lambda: alpha(wide[items].dropna(), keys=keys))
    print(f"{'total (statistics)':<22} {time.perf_counter() - total:7.2f} s")
    for label, sizes in (("cfa (500 x 44, 5 f)", [8, 9, 9, 8, 10]), ("cfa (500 x 120, 5 f)", [24] * 5)):
        data, model = simulated_cfa_data(sizes, n=500, seed=args.seed)
        t = time.perf_counter()
        res = s.cfa(data, model=model)
        print(
            f"{label:<22} {time.perf_counter() - t:7.2f} s  ({res.iterations} iterations, "
            f"{'converged' if res.converged else 'NOT converged'}, CFI {res.fit['cfi']:.3f})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
