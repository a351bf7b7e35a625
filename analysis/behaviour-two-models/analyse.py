"""Does the self-report predict behaviour? The behaviour statistics on two models (see README.md).

    python analyse.py GEMMA.csv.gz SMOLLM2.csv.gz > results.txt

For each model (persons = model x persona; scores from the probability-weighted answers, ``expected``,
because both models' chosen options are a position habit):

1. every trait-behaviour association as ``lmer(behaviour ~ trait + (1 | persona))`` on the behaviour
   score of each option order (``psychometry.stats.mixed_model``, lme4/lmerTest);
2. the share of those associations that point the way they do in people
   (``psychometry.stats.direction_share`` against ``human_priors()``; exact binomial test of 50%);
3. the single cooperation and honesty choices (binary, one row per persona x order x item) on the
   traits: ``logistic_regression`` (R's ``glm(family = binomial)``, ignoring the persona clusters) and
   ``gee`` (geepack's ``geeglm``, exchangeable within persona), on the chosen options.
"""

from __future__ import annotations

import sys
import warnings

import pandas as pd

import psychometry.stats as s
from psychometry.errors import PsychometryError

TRAITS = ["bfi44", "sd3"]
BEHAVIOURS = ["dictator", "risk", "honesty", "cooperation"]
PREDICTORS = ["A", "C", "M", "P"]  # agreeableness, conscientiousness, Machiavellianism, psychopathy


def load(path: str) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"persona": str, "order": str, "template": str})


def associations(long: pd.DataFrame) -> pd.DataFrame:
    """One lmer per trait x behaviour: behaviour per option order, trait per persona (both orders)."""
    tb = s.trait_behaviour_scores(
        long, trait_instruments=TRAITS, behaviour_instruments=BEHAVIOURS, value="expected"
    )
    traits = tb.traits.reset_index()
    beh = long[long["instrument"].isin(BEHAVIOURS) & (long["status"] == "ok")]
    by_order = beh.groupby(["persona", "order", "scale"])["expected"].mean().unstack("scale").reset_index()
    data = by_order.merge(traits, on="persona")
    rows = []
    for b in tb.behaviour.columns:
        for t in tb.traits.columns:
            frame = data[["persona", b, t]].rename(columns={b: "y", t: "x"})
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fit = s.mixed_model(frame, formula="y ~ x", groups="persona")
            except PsychometryError as exc:
                rows.append(
                    {
                        "trait": t,
                        "behaviour": b,
                        "estimate": float("nan"),
                        "p": float("nan"),
                        "note": str(exc),
                    }
                )
                continue
            co = fit.to_frame().set_index("term").loc["x"]
            note = "singular" if fit.singular else ""
            rows.append({"trait": t, "behaviour": b, "estimate": co["estimate"], "p": co["p"], "note": note})
    return pd.DataFrame(rows)


def binary_choices(long: pd.DataFrame) -> pd.DataFrame:
    """The two-option cooperation and honesty items, one row per persona x order x item, with traits."""
    tb = s.trait_behaviour_scores(
        long, trait_instruments=TRAITS, behaviour_instruments=BEHAVIOURS, value="expected"
    )
    two = long[long["instrument"].isin(["cooperation", "honesty"]) & (long["status"] == "ok")]
    two = two[two["shown_values"].str.count(",") == 1].copy()
    two["choice"] = (two["value"] == two.groupby("item")["value"].transform("max")).astype(int)
    return two[["persona", "order", "item", "instrument", "choice"]].merge(
        tb.traits.reset_index(), on="persona"
    )


def main(paths: list[str]) -> None:
    long = pd.concat([load(p) for p in paths], ignore_index=True)
    for model, one in long.groupby("model", sort=False):
        print(f"=================== {model} ===================\n")
        assoc = associations(one)
        print("Trait-behaviour associations, lmer(behaviour ~ trait + (1 | persona)), expected answers:\n")
        print(assoc.round(4).to_string(index=False), "\n")
        ok = assoc.dropna(subset=["estimate", "p"])
        try:
            share = s.direction_share(ok)
            print(share.summary(), "\n")
        except PsychometryError as exc:
            print(f"direction share not computed: {exc}\n")
        choices = binary_choices(one)
        print(
            f"Binary choices: {len(choices)} rows, share of the cooperative/honest option "
            f"{choices['choice'].mean():.3f}, by order: "
            + ", ".join(f"{o} {m:.3f}" for o, m in choices.groupby("order")["choice"].mean().items())
            + "\n"
        )
        formula = "choice ~ " + " + ".join(PREDICTORS)
        for name in ("glm(binomial)", "geeglm(binomial, exchangeable, id = persona)"):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if name.startswith("glm"):
                        res = s.logistic_regression(choices, formula=formula)
                    else:
                        res = s.gee(choices, formula=formula, groups="persona")
                print(f"--- {name} ---\n{res.summary()}\n")
            except PsychometryError as exc:
                print(f"--- {name} --- not computed: {exc}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
