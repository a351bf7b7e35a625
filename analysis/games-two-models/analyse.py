"""The games study's tables and plot: stats.game_profile of each model's ipd rounds per opponent,
option order and label style, and the share of rounds that follow the shown position.

Usage: python analyse.py FILE.sqlite ... > results.txt (writes cooperation-by-round.png)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

import psychometry
from psychometry.stats import game_profile

HERE = Path(__file__).resolve().parent


def main(paths: list[str]) -> None:
    frames = []
    for p in paths:
        d = psychometry.load_results(p)
        d["labels"] = Path(p).stem.split("-", 1)[1]  # gemma-digits.sqlite -> digits
        frames.append(d)
    rounds = pd.concat(frames, ignore_index=True)
    rounds["model"] = rounds["model"].str.replace("-q4_k_m", "").str.replace(".Q4_1", "")
    played = rounds[rounds["action"].notna()]
    first = (played["position"] == 1).groupby([played["model"], played["labels"]]).mean()
    print("Share of rounds in which the model chose the option shown first (position habit = 1.0)")
    print(first.round(3).to_string(), "\n")
    coop = played.assign(c=played["action"] == "C").pivot_table(
        index=["model", "labels", "order"], columns="opponent", values="c", aggfunc="mean"
    )
    print("Cooperation rate per model, label style and option order (columns: opponents)")
    print(coop.round(2).to_string(), "\n")
    prof = game_profile(rounds, by=["model", "labels", "order", "opponent"])
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print("game_profile per model x labels x order x opponent")
        print(prof.to_frame().round(3).to_string(index=False))
    # does the model's move depend on the opponent's last move beyond its position habit?
    later = played[played["round"] > 1].sort_values(["model", "labels", "respondent", "opponent", "round"])
    print("\nP(C | the opponent's last move), rounds 2-10")
    print(
        later.assign(
            c=later["action"] == "C",
            last=later.groupby(["model", "labels", "respondent", "opponent"])["opponent_action"].shift(1),
        )
        .dropna(subset=["last"])
        .pivot_table(index=["model", "labels", "order"], columns="last", values="c", aggfunc="mean")
        .round(2)
        .to_string()
    )
    fig = _plot(prof.by_round)
    fig.savefig(HERE / "cooperation-by-round.png", dpi=100)


def _plot(by_round: pd.DataFrame):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(dict.fromkeys(by_round["model"]))
    fig, axes = plt.subplots(len(models), 2, figsize=(11, 3.2 * len(models)), squeeze=False, sharey=True)
    for i, model in enumerate(models):
        for j, labels in enumerate(("digits", "anchors")):
            ax = axes[i, j]
            part = by_round[(by_round["model"] == model) & (by_round["labels"] == labels)]
            for k, (opp, g) in enumerate(part.groupby("opponent", sort=False)):
                for order, style in (("original", "-"), ("reversed", "--")):
                    curve = g[g["order"] == order].groupby("round")["cooperation"].mean()
                    ax.plot(
                        curve.index,
                        curve.to_numpy(),
                        style,
                        marker="o",
                        markersize=3,
                        color=f"C{k}",
                        label=f"{opp}" if order == "original" else None,
                    )
            ax.set_title(f"{model}, {labels} labels", fontsize=9)
            ax.set_ylim(-0.05, 1.05)
            ax.set_xlabel("round")
            ax.set_ylabel("cooperation rate")
    axes[0, 1].legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.suptitle(
        "ipd: cooperation by round per opponent (solid: original order, C shown first; dashed: reversed)",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    main(sys.argv[1:])
