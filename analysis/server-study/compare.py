"""Compare the answers of the same design administered through a server and in-process.

    python compare.py server.sqlite inprocess.sqlite

Responses are matched on (instrument, item, template, order, persona, repeat). For every matched pair it
reports the largest absolute difference of an option probability (normalised over the options, as stored
in ``position_probs``), of the expected value and of the label mass, and whether the chosen option is the
same, overall and on the items whose in-process top-two probability margin exceeds 0.05.
"""

from __future__ import annotations

import sys

import numpy as np

from psychometry import load_results

KEY = ["instrument", "item", "template", "order", "persona", "repeat"]


def compare(a_path: str, b_path: str, margin: float = 0.05) -> dict:
    a = load_results(a_path)
    b = load_results(b_path)
    m = a.merge(b, on=KEY, suffixes=("_a", "_b"))
    dp, margins, same = [], [], []
    for _, r in m.iterrows():
        pa = np.array(r["position_probs_a"], float)  # load_results decodes the JSON
        pb = np.array(r["position_probs_b"], float)
        dp.append(float(np.max(np.abs(pa - pb))))
        top = np.sort(pb)[::-1]
        margins.append(float(top[0] - top[1]) if len(top) > 1 else 1.0)
        same.append(bool(r["position_a"] == r["position_b"]))
    dp, margins, same = np.array(dp), np.array(margins), np.array(same)
    clear = margins > margin
    return {
        "responses_a": len(a),
        "responses_b": len(b),
        "matched": len(m),
        "max_abs_dp": float(dp.max()) if len(dp) else float("nan"),
        "mean_abs_dp": float(dp.mean()) if len(dp) else float("nan"),
        "max_abs_d_expected": float(np.abs(m["expected_a"] - m["expected_b"]).max()),
        "max_rel_d_label_mass": float(
            (np.abs(m["label_mass_a"] - m["label_mass_b"]) / m["label_mass_b"]).max()
        ),
        "same_choice": int(same.sum()),
        "margin_gt": margin,
        "n_clear": int(clear.sum()),
        "same_choice_clear": int(same[clear].sum()),
        "min_margin": float(margins.min()) if len(margins) else float("nan"),
    }


def main(argv: list[str]) -> int:
    a_path, b_path = argv[1], argv[2]
    c = compare(a_path, b_path)
    print(
        f"{a_path}: {c['responses_a']} responses; {b_path}: {c['responses_b']} responses; matched {c['matched']}"
    )
    print(f"max |dp| (option probability, normalised): {c['max_abs_dp']:.3g}; mean {c['mean_abs_dp']:.3g}")
    print(f"max |d expected value|: {c['max_abs_d_expected']:.3g}")
    print(f"max relative |d label mass|: {c['max_rel_d_label_mass']:.3g}")
    print(f"same chosen option: {c['same_choice']} of {c['matched']}")
    print(
        f"items with top-two margin > {c['margin_gt']}: {c['n_clear']}; same chosen option on "
        f"{c['same_choice_clear']} of them (smallest margin {c['min_margin']:.3g})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
