"""Writes the simulated behaviour data of the mixed, logistic and GEE tests (tests/data/behaviour_*.csv).

Run from the repository root: ``python tests/data/make_behaviour_data.py``. The CSV files are
committed; R (tests/reference/behaviour_models.R) and the Python tests read the same files.

* ``behaviour_rounds.csv``: 24 personas x 10 rounds of a repeated game; a persona trait score
  ``trait`` (a standard normal), the round (1-10), a continuous ``giving`` with a real persona
  variance (sd 4 around 50 + 5 trait - 0.3 round, residual sd 6), a binary ``cooperate``
  (logit -0.3 + 0.9 trait - 0.08 round + a persona effect of sd 0.8) and a random slope of round.
* ``behaviour_boundary.csv``: 12 personas x 6 rounds, no persona effect and residuals shrunk toward
  their persona mean: the REML estimate of the persona variance is 0 (lme4: a singular fit).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def rounds(seed: int = 20261207) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_p, n_r = 24, 10
    persona = np.repeat([f"p{i:02d}" for i in range(1, n_p + 1)], n_r)
    trait = np.repeat(rng.normal(size=n_p), n_r)
    rnd = np.tile(np.arange(1, n_r + 1), n_p)
    u0 = np.repeat(rng.normal(scale=4.0, size=n_p), n_r)
    u1 = np.repeat(rng.normal(scale=0.5, size=n_p), n_r)
    giving = 50 + 5 * trait - 0.3 * rnd + u0 + u1 * rnd + rng.normal(scale=6.0, size=n_p * n_r)
    b = np.repeat(rng.normal(scale=0.8, size=n_p), n_r)
    eta = -0.3 + 0.9 * trait - 0.08 * rnd + b
    cooperate = (rng.uniform(size=n_p * n_r) < 1 / (1 + np.exp(-eta))).astype(int)
    model = np.where(np.repeat(np.arange(n_p), n_r) % 2 == 0, "m1", "m2")
    return pd.DataFrame(
        {
            "model": model,
            "persona": persona,
            "round": rnd,
            "trait": trait.round(6),
            "giving": giving.round(4),
            "cooperate": cooperate,
        }
    )


def boundary(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_p, n_r = 12, 6
    persona = np.repeat([f"q{i:02d}" for i in range(1, n_p + 1)], n_r)
    x = rng.normal(size=n_p * n_r).round(6)
    e = rng.normal(scale=3.0, size=(n_p, n_r))
    e -= 0.6 * e.mean(axis=1, keepdims=True)  # less between-persona spread than chance: singular
    y = (10 + 2 * x + e.reshape(-1)).round(4)
    return pd.DataFrame({"persona": persona, "x": x, "y": y})


if __name__ == "__main__":
    rounds().to_csv(HERE / "behaviour_rounds.csv", index=False)
    boundary().to_csv(HERE / "behaviour_boundary.csv", index=False)
