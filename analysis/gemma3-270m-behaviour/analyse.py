"""Behaviour on traits for the simulated persons of study.sqlite (see README.md).

Scores are per person (model, persona, repeat), averaged over the two option orders, from logprob
mode's probability-weighted answers (``value="expected"``): with a model that always picks the first
shown option, the chosen answers carry no person-level information (see ../gemma3-270m-big-five).
"""

from __future__ import annotations

import sys
import warnings

import psychometry
import psychometry.stats as s

TRAITS = ["bfi44", "sd3"]
BEHAVIOURS = ["dictator", "risk", "honesty", "cooperation"]


def main(path: str) -> None:
    long = psychometry.load_results(path)
    for value in ("value", "expected"):
        label = "chosen option" if value == "value" else "probability-weighted answer (expected)"
        print(f"=== scores from the {label} ===\n")
        tb = s.trait_behaviour_scores(
            long, trait_instruments=TRAITS, behaviour_instruments=BEHAVIOURS, value=value
        )
        traits, behaviour = tb.traits, tb.behaviour
        print("Person-level scores (mean, sd over persons):")
        both = traits.join(behaviour)
        print(both.agg(["mean", "std"]).T.round(3).to_string(), "\n")
        constant = [c for c in behaviour.columns if behaviour[c].nunique() < 2]
        if constant:
            print(f"Not regressed (no variance across persons): {', '.join(constant)}\n")
        usable = behaviour.drop(columns=constant)
        if usable.empty:
            continue
        # the Big Five only: 8 predictors (Big Five + Dark Triad) on 30 persons would overfit
        big5 = [c for c in traits.columns if c.split("_")[-1] in list("EACNO") and not c.startswith("sd3")]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                res = s.behaviour_regression(traits, behaviour=usable, predictors=big5 or None)
            except psychometry.errors.PsychometryError as exc:
                print(f"regression not computed: {exc}\n")
                continue
        print(res.summary(), "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "study.sqlite")
