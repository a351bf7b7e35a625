#!/usr/bin/env python3
"""Human norms and key checks for the shipped SD3 and OEJTS instruments, from the raw human data.

Run from the repository root::

    python3 analysis/norms/compute_norms.py                 # print the report, write norms.json
    python3 analysis/norms/compute_norms.py --update-yaml   # also rewrite the norms in instruments/*.yaml

The scoring here is written out independently of the package (the published key and formulas are
literal constants below), so that ``tests/test_shipped_instruments.py`` can check the YAML files and
``psychometry.score`` against it.

Data (copies of openpsychometrics.org raw-data releases, see ``tests/data/ORIGIN.md``):

- ``tests/data/sd3_openpsychometrics.csv``: Short Dark Triad, 18,192 online respondents, items
  M1..P9 coded 1-5, 0 = not answered.
- ``tests/data/oejts_openpsychometrics.csv`` (tab-separated): the 48-item OEJTS development form
  (comparison study, 1,560 respondents), 1-5 between two poles, 0 = not answered, plus the
  respondents' self-reported Myers-Briggs type (``knowtype`` 1 = "I know my type", ``knowntype``).

Norms are descriptive statistics of complete cases: n, mean and sample SD (n - 1 divisor) of the
scale score in the instrument's own metric (SD3: item mean 1-5; OEJTS: the published sum 8-40).

References: Jones, D. N., & Paulhus, D. L. (2014). Introducing the Short Dark Triad (SD3).
Assessment, 21(1), 28-41. Jorgenson, E. Open Extended Jungian Type Scales 1.2,
https://openpsychometrics.org/tests/OEJTS/.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency
from statsmodels.stats.inter_rater import cohens_kappa

ROOT = Path(__file__).resolve().parents[2]
SD3_DATA = ROOT / "tests" / "data" / "sd3_openpsychometrics.csv"
OEJTS_DATA = ROOT / "tests" / "data" / "oejts_openpsychometrics.csv"
OUT_JSON = Path(__file__).resolve().parent / "norms.json"
DECIMALS = 4  # mean and SD are stored in the YAML rounded to this many decimals

# --- SD3 (Jones & Paulhus 2014): 9 items per scale, reverse keyed N2 N6 N8 P2 P7, score = item mean
SD3_SCALES = {s: tuple(f"{s}{i}" for i in range(1, 10)) for s in "MNP"}
SD3_REVERSE = ("N2", "N6", "N8", "P2", "P7")

# --- OEJTS 1.2 published formulas: (constant, {item: sign})
#   IE = 30 - Q3 - Q7 - Q11 + Q15 - Q19 + Q23 + Q27 - Q31   (> 24 -> E, else I)
#   SN = 12 + Q4 + Q8 + Q12 + Q16 + Q20 - Q24 - Q28 + Q32   (> 24 -> N, else S)
#   FT = 30 - Q2 + Q6 + Q10 - Q14 - Q18 + Q22 - Q26 - Q30   (> 24 -> T, else F)
#   JP = 18 + Q1 + Q5 - Q9 + Q13 - Q17 + Q21 - Q25 + Q29    (> 24 -> P, else J)
OEJTS_FORMULAS: dict[str, tuple[int, dict[str, int]]] = {
    "IE": (30, {"Q3": -1, "Q7": -1, "Q11": -1, "Q15": 1, "Q19": -1, "Q23": 1, "Q27": 1, "Q31": -1}),
    "SN": (12, {"Q4": 1, "Q8": 1, "Q12": 1, "Q16": 1, "Q20": 1, "Q24": -1, "Q28": -1, "Q32": 1}),
    "FT": (30, {"Q2": -1, "Q6": 1, "Q10": 1, "Q14": -1, "Q18": -1, "Q22": 1, "Q26": -1, "Q30": -1}),
    "JP": (18, {"Q1": 1, "Q5": 1, "Q9": -1, "Q13": 1, "Q17": -1, "Q21": 1, "Q25": -1, "Q29": 1}),
}
OEJTS_CUTOFF = 24
OEJTS_LETTERS = {"IE": ("I", "E"), "SN": ("S", "N"), "FT": ("F", "T"), "JP": ("J", "P")}  # (low, high)
OEJTS_TYPE_POSITION = {"IE": 0, "SN": 1, "FT": 2, "JP": 3}  # letter position in a type code like "INTJ"

# OEJTS 1.2 item -> column of the 48-item development form. Matched by item text: the two poles of
# every 1.2 item are identical, in the same left/right order, to those of the mapped development item
# (checked against the openpsychometrics comparison-study codebook; see README.md here).
OEJTS_COLUMN_MAP: dict[str, str] = {
    "Q1": "Q40",
    "Q2": "Q27",
    "Q3": "Q21",
    "Q4": "Q34",
    "Q5": "Q28",
    "Q6": "Q39",
    "Q7": "Q45",
    "Q8": "Q26",
    "Q9": "Q16",
    "Q10": "Q23",
    "Q11": "Q5",
    "Q12": "Q10",
    "Q13": "Q4",
    "Q14": "Q35",
    "Q15": "Q1",
    "Q16": "Q38",
    "Q17": "Q24",
    "Q18": "Q43",
    "Q19": "Q29",
    "Q20": "Q42",
    "Q21": "Q12",
    "Q22": "Q7",
    "Q23": "Q33",
    "Q24": "Q22",
    "Q25": "Q32",
    "Q26": "Q11",
    "Q27": "Q17",
    "Q28": "Q6",
    "Q29": "Q20",
    "Q30": "Q3",
    "Q31": "Q13",
    "Q32": "Q46",
}


def _describe(scores: pd.DataFrame) -> dict[str, dict[str, float | int]]:
    """n, mean and sample SD (ddof = 1) of every column, rounded to ``DECIMALS``."""
    return {
        str(col): {
            "mean": round(float(scores[col].mean()), DECIMALS),
            "sd": round(float(scores[col].std(ddof=1)), DECIMALS),
            "n": int(scores[col].count()),
        }
        for col in scores.columns
    }


# ----------------------------------------------------------------------------------------- SD3
def sd3_complete_cases(path: Path = SD3_DATA) -> pd.DataFrame:
    """The 27 item columns of the respondents who answered every item (1-5; 0 means not answered)."""
    items = [i for s in SD3_SCALES.values() for i in s]
    data = pd.read_csv(path)[items]
    return data[data.isin([1, 2, 3, 4, 5]).all(axis=1)].astype(float).reset_index(drop=True)


def sd3_keyed(items: pd.DataFrame) -> pd.DataFrame:
    """Reverse-keyed items recoded 6 - x (= (min + max) - x on the 1-5 scale)."""
    keyed = items.copy()
    for it in SD3_REVERSE:
        keyed[it] = 6 - keyed[it]
    return keyed


def sd3_scores(items: pd.DataFrame) -> pd.DataFrame:
    """Scale score = mean of the 9 keyed items (Jones & Paulhus 2014)."""
    keyed = sd3_keyed(items)
    return pd.DataFrame({s: keyed[list(its)].mean(axis=1) for s, its in SD3_SCALES.items()})


def sd3_norms(path: Path = SD3_DATA) -> dict[str, dict[str, float | int]]:
    """Complete-case n, mean, SD of the three SD3 scale scores."""
    return _describe(sd3_scores(sd3_complete_cases(path)))


def sd3_item_rest(path: Path = SD3_DATA) -> pd.DataFrame:
    """Item-rest correlations of every SD3 item with the other 8 items of its scale.

    ``r_raw_rest``: raw item vs the sum of the other 8 raw items (no key applied: a reverse-keyed
    item shows up as a negative correlation). ``r_keyed_rest``: raw item vs the sum of the other 8
    items keyed by the published key (negative exactly for the reverse-keyed items if the key is
    right).
    """
    items = sd3_complete_cases(path)
    keyed = sd3_keyed(items)
    rows = []
    for scale, its in SD3_SCALES.items():
        for it in its:
            rest = [j for j in its if j != it]
            rows.append(
                {
                    "item": it,
                    "scale": scale,
                    "published_reverse": it in SD3_REVERSE,
                    "r_raw_rest": float(items[it].corr(items[rest].sum(axis=1))),
                    "r_keyed_rest": float(items[it].corr(keyed[rest].sum(axis=1))),
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------- OEJTS
def oejts_items(path: Path = OEJTS_DATA) -> pd.DataFrame:
    """The 32 OEJTS 1.2 items (columns Q1..Q32 in 1.2 numbering) plus knowtype/knowntype, for the
    respondents who answered all 32 (0 means not answered)."""
    raw = pd.read_csv(path, sep="\t", keep_default_na=False)
    items = pd.DataFrame({q12: raw[col] for q12, col in OEJTS_COLUMN_MAP.items()})
    complete = items.isin([1, 2, 3, 4, 5]).all(axis=1)
    out = items[complete].astype(float)
    out["knowtype"] = raw.loc[complete, "knowtype"]
    out["knowntype"] = raw.loc[complete, "knowntype"].astype(str).str.strip().str.upper()
    return out.reset_index(drop=True)


def oejts_scores(items: pd.DataFrame) -> pd.DataFrame:
    """The published OEJTS 1.2 formulas, literally: constant + sum(sign * item)."""
    return pd.DataFrame(
        {
            axis: const + sum(sign * items[q] for q, sign in terms.items())
            for axis, (const, terms) in OEJTS_FORMULAS.items()
        }
    )


def oejts_letters(scores: pd.DataFrame, inverted: bool = False) -> pd.DataFrame:
    """Type letters by the published rule: high letter if score > 24, else the low letter (24 -> low).

    ``inverted=True`` applies the rule the wrong way round (high letter if score <= 24), as one public
    implementation does for E/I; used only to show that it disagrees with the self-reports.
    """
    out = {}
    for axis, (low, high) in OEJTS_LETTERS.items():
        is_high = scores[axis] > OEJTS_CUTOFF
        if inverted:
            is_high = ~is_high
        out[axis] = np.where(is_high, high, low)
    return pd.DataFrame(out, index=scores.index)


def oejts_norms(path: Path = OEJTS_DATA) -> dict[str, dict[str, float | int]]:
    """Complete-case n, mean, SD of the four OEJTS 1.2 axis scores (8-40)."""
    return _describe(oejts_scores(oejts_items(path)))


def oejts_type_agreement(path: Path = OEJTS_DATA) -> pd.DataFrame:
    """Agreement between computed letters and self-reported types, per axis.

    Respondents: complete cases who said they know their type (knowtype == 1) and gave a valid
    four-letter code. For each axis: the 2 x 2 table self-reported letter x computed letter,
    observed agreement, chance agreement from the margins (sum of products of the marginal
    proportions), Cohen's kappa (statsmodels), the chi-square test of independence (scipy, Yates
    corrected) and the agreement the inverted rule would give.
    """
    items = oejts_items(path)
    valid = (items["knowtype"] == 1) & items["knowntype"].str.fullmatch("[EI][SN][FT][JP]")
    items = items[valid]
    scores = oejts_scores(items)
    letters = oejts_letters(scores)
    inverted = oejts_letters(scores, inverted=True)
    rows = []
    for axis, (low, high) in OEJTS_LETTERS.items():
        self_letter = items["knowntype"].str[OEJTS_TYPE_POSITION[axis]]
        table = pd.crosstab(self_letter, letters[axis]).reindex(
            index=[low, high], columns=[low, high], fill_value=0
        )
        n = int(table.to_numpy().sum())
        p_self = table.sum(axis=1).to_numpy() / n
        p_comp = table.sum(axis=0).to_numpy() / n
        rows.append(
            {
                "axis": axis,
                "n": n,
                "agreement": float(np.trace(table.to_numpy()) / n),
                "chance": float((p_self * p_comp).sum()),
                "kappa": float(cohens_kappa(table.to_numpy()).kappa),
                "chi2_p": float(chi2_contingency(table.to_numpy())[1]),
                "agreement_inverted_rule": float((inverted[axis] == self_letter).mean()),
                "ties_at_cutoff": int((scores[axis] == OEJTS_CUTOFF).sum()),
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------ outputs
def compute_all() -> dict[str, dict[str, dict[str, float | int]]]:
    """All norms, keyed by instrument id then scale id."""
    return {"sd3": sd3_norms(), "oejts": oejts_norms()}


def update_yaml(norms: dict[str, dict[str, dict[str, float | int]]], instruments_dir: Path) -> None:
    """Rewrite the mean/sd/n lines of each ``- scale: X`` entry under ``norms:`` in place (the rest of
    the file, comments included, is left untouched)."""
    for inst, by_scale in norms.items():
        path = instruments_dir / f"{inst}.yaml"
        text = path.read_text(encoding="utf-8")
        head, sep, tail = text.partition("\nnorms:\n")
        if not sep:
            raise SystemExit(f"{path}: no 'norms:' block to update")
        for scale, st in by_scale.items():
            pattern = re.compile(
                rf"(  - scale: {re.escape(scale)}\n    mean: )[^\n]*(\n    sd: )[^\n]*(\n    n: )[^\n]*"
            )
            tail, count = pattern.subn(rf"\g<1>{st['mean']}\g<2>{st['sd']}\g<3>{st['n']}", tail)
            if count != 1:
                raise SystemExit(f"{path}: norms entry for scale {scale} not found exactly once")
        path.write_text(head + sep + tail, encoding="utf-8")


def report() -> str:
    """The plain-text report printed by ``main`` (and pasted into README.md)."""
    lines = []
    norms = compute_all()
    lines.append("SD3 norms (complete cases, item-mean metric 1-5)")
    for s, st in norms["sd3"].items():
        lines.append(f"  {s}: n = {st['n']}, mean = {st['mean']:.4f}, sd = {st['sd']:.4f}")
    lines.append("SD3 item-rest correlations (raw item vs rest of its scale)")
    ir = sd3_item_rest()
    for _, r in ir.iterrows():
        flag = "  <- reverse keyed" if r["published_reverse"] else ""
        lines.append(
            f"  {r['item']}: raw-rest {r['r_raw_rest']:+.3f}, keyed-rest {r['r_keyed_rest']:+.3f}{flag}"
        )
    lines.append("OEJTS 1.2 norms (complete cases on the 32 items, published formula metric 8-40)")
    for s, st in norms["oejts"].items():
        lines.append(f"  {s}: n = {st['n']}, mean = {st['mean']:.4f}, sd = {st['sd']:.4f}")
    lines.append("OEJTS letters vs self-reported type (knowtype == 1)")
    for _, r in oejts_type_agreement().iterrows():
        lines.append(
            f"  {r['axis']}: n = {r['n']}, agreement = {r['agreement']:.3f} (chance {r['chance']:.3f}), "
            f"kappa = {r['kappa']:.3f}, chi2 p = {r['chi2_p']:.1e}, inverted rule = {r['agreement_inverted_rule']:.3f}, "
            f"scores at 24 = {r['ties_at_cutoff']}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--update-yaml", action="store_true", help="rewrite the norms in instruments/sd3.yaml and oejts.yaml"
    )
    args = parser.parse_args(argv)
    norms = compute_all()
    OUT_JSON.write_text(json.dumps(norms, indent=2) + "\n", encoding="utf-8")
    print(report())
    if args.update_yaml:
        update_yaml(norms, ROOT / "instruments")
        print("updated instruments/sd3.yaml and instruments/oejts.yaml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
