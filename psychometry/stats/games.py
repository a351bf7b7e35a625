"""How a player plays a repeated 2x2 game: cooperation, niceness, retaliation, forgiveness, payoff.

From the long table of game rounds (one row per round: ``round``, ``action``, ``opponent_action``,
``payoff``; actions ``C`` = cooperate, ``D`` = defect), per group (default: model x persona x
opponent), pooled over the group's games (a game: one respondent against one opponent):

* **cooperation** = #C / #rounds played, overall and per round (``by_round``);
* **niceness** = P(C in round 1): never the first to defect (Axelrod 1984, ch. 2: "nice" rules);
* **retaliation** = P(D in round k | the opponent played D in round k-1), k >= 2 (Axelrod 1984:
  "provocable"; Akata et al. 2025 measure it against a defecting opponent);
* **forgiveness** = P(C in round k | the opponent played D in k-2 and C in k-1), k >= 3: the
  player cooperates again once the opponent has returned to cooperation (Axelrod 1984:
  "forgiving"; Akata et al. 2025: GPT-4 "never forgives" a single defection);
* **payoff** = mean points per round; ``total_payoff`` = mean points per game.

Each conditional rate is a ratio of counts pooled over the group's rounds that meet its condition;
its denominator is reported (``n_retaliation``, ``n_forgiveness``) and the rate is NaN when no round
meets the condition (e.g. forgiveness against ``cooperator``). A round whose answer was not read
(an unparsed reply: ``action`` missing) ends its game and counts in none of the rates.

References: Axelrod, R. (1984). *The evolution of cooperation*. Basic Books. Akata, E., et al.
(2025). Playing repeated games with large language models. *Nature Human Behaviour, 9*, 1380-1390.
Test: ``tests/test_stats_games.py`` (worked move sequences, rates counted by hand).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from psychometry.errors import StatsInputError

from ._api import Result
from ._rprint import format_frame

__all__ = ["GameProfileResult", "game_profile"]

MEASURES = (
    "games",
    "rounds",
    "cooperation",
    "niceness",
    "retaliation",
    "n_retaliation",
    "forgiveness",
    "n_forgiveness",
    "payoff",
    "total_payoff",
)
_NEEDED = ("round", "action", "opponent_action", "payoff")


@dataclass(frozen=True, eq=False)
class GameProfileResult(Result):
    """Result of :func:`game_profile`.

    ``table``: one row per group: ``games``, ``rounds`` (played, answered), ``cooperation``,
    ``niceness``, ``retaliation`` (with ``n_retaliation``), ``forgiveness`` (with
    ``n_forgiveness``), ``payoff`` (mean per round) and ``total_payoff`` (mean per game).
    ``by_round``: the cooperation rate per group and round (``n``: games that reached the round).
    """

    by: tuple[str, ...]
    table: pd.DataFrame
    by_round: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """One row per group: the ``by`` columns, then the measures."""
        return self.table.copy()

    def summary(self, digits: int = 3) -> str:
        """The profile table, then the cooperation rate by round (a row per group)."""
        lines = [f"Game profile per {' x '.join(self.by)}", "(rates pooled over each group's games)", ""]
        lines.append(format_frame(self.table, digits, row_names=False))
        wide = self.by_round.pivot_table(
            index=list(self.by), columns="round", values="cooperation", sort=False
        )
        wide.index = [" x ".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in wide.index]
        lines += ["", "Cooperation by round", format_frame(wide, digits)]
        return "\n".join(lines) + "\n"


def _rate(hits: np.ndarray, mask: np.ndarray) -> tuple[float, int]:
    n = int(mask.sum())
    return (float(hits[mask].mean()) if n else math.nan), n


def game_profile(
    long: pd.DataFrame,
    *,
    by: str | Sequence[str] = ("model", "persona", "opponent"),
    game: str = "respondent",
) -> GameProfileResult:
    """Cooperation, niceness, retaliation, forgiveness and payoff of each group's games.

    Definitions (module docstring): cooperation = #C / #rounds; niceness = P(C in round 1);
    retaliation = P(D_k | opponent D_(k-1)); forgiveness = P(C_k | opponent D_(k-2), C_(k-1));
    payoff = mean points per round. Pooled counts per group.

    References: Axelrod (1984), *The evolution of cooperation*; Akata et al. (2025), *Nature Human
    Behaviour 9*. Test: ``tests/test_stats_games.py`` (worked sequences counted by hand).

    Parameters
    ----------
    long : the long table of game rounds (``psychometry.load_results``), one row per round with
        ``round``, ``action``, ``opponent_action`` (``C``/``D``) and ``payoff``; rows without a
        round (questionnaire items) are ignored.
    by : the grouping columns (default model x persona x opponent).
    game : the column that, with ``opponent``, identifies one game (default ``respondent``).

    Returns
    -------
    GameProfileResult

    Example
    -------
    >>> import pandas as pd
    >>> from psychometry.stats import game_profile
    >>> me, tft = list("CDDC"), list("CCDD")  # the model's moves; tit-for-tat copies them a round later
    >>> pay = {("C", "C"): 8, ("C", "D"): 0, ("D", "C"): 10, ("D", "D"): 5}
    >>> long = pd.DataFrame({"respondent": "m", "opponent": "tft", "round": [1, 2, 3, 4],
    ...                      "action": me, "opponent_action": tft,
    ...                      "payoff": [pay[a, b] for a, b in zip(me, tft)]})
    >>> game_profile(long, by="opponent").to_frame()[["cooperation", "niceness", "retaliation", "payoff"]]
       cooperation  niceness  retaliation  payoff
    0          0.5       1.0          0.0    5.75
    """
    what = "game_profile"
    if not isinstance(long, pd.DataFrame):
        raise StatsInputError(f"{what}: long must be a pandas DataFrame, got {type(long).__name__}")
    by_cols = [by] if isinstance(by, str) else list(by)
    for col in (*_NEEDED, game, "opponent", *by_cols):
        if col not in long.columns:
            raise StatsInputError(
                f"{what}: the long table has no column {col!r} (a table of game rounds has round, "
                "opponent, action, opponent_action and payoff: psychometry.load_results of a game run)"
            )
    d = long[long["round"].notna()].copy()
    if d.empty:
        raise StatsInputError(f"{what}: the long table holds no game rounds (no row has a round)")
    bad = sorted(set(d["opponent_action"].dropna()) - {"C", "D"})
    if bad:
        raise StatsInputError(
            f"{what}: actions must be C (cooperate) and D (defect), as in the 2x2 games; found {bad[0]!r}"
        )
    d["round"] = d["round"].astype(int)
    rows, per_round = [], []
    for key, grp in d.groupby(by_cols, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        c_all, first, ret_hits, ret_mask, for_hits, for_mask, pays, totals = [], [], [], [], [], [], [], []
        for _, g in grp.groupby([game, "opponent"], sort=False):
            g = g.sort_values("round")
            played = g[g["action"].notna()]
            if played.empty:
                continue
            me = (played["action"] == "C").to_numpy()
            opp = (g["opponent_action"] == "C").to_numpy()[: len(me)]
            c_all.append(me)
            first.append(me[0])
            pays.append(played["payoff"].to_numpy(float))
            totals.append(float(played["payoff"].sum()))
            prev = np.r_[True, opp[:-1]]  # the opponent's move one round before (round 1: none)
            prev2 = np.r_[True, True, opp[:-2]][: len(me)]
            k = np.arange(1, len(me) + 1)
            ret_hits.append(~me)
            ret_mask.append((k >= 2) & ~prev)
            for_hits.append(me)
            for_mask.append((k >= 3) & ~prev2 & prev)
        if not c_all:
            continue
        coop = np.concatenate(c_all)
        retaliation, n_ret = _rate(np.concatenate(ret_hits), np.concatenate(ret_mask))
        forgiveness, n_for = _rate(np.concatenate(for_hits), np.concatenate(for_mask))
        rows.append(
            {
                **dict(zip(by_cols, key)),
                "games": len(c_all),
                "rounds": int(coop.size),
                "cooperation": float(coop.mean()),
                "niceness": float(np.mean(first)),
                "retaliation": retaliation,
                "n_retaliation": n_ret,
                "forgiveness": forgiveness,
                "n_forgiveness": n_for,
                "payoff": float(np.concatenate(pays).mean()),
                "total_payoff": float(np.mean(totals)),
            }
        )
        width = max(len(m) for m in c_all)
        for r in range(width):
            moves = [m[r] for m in c_all if len(m) > r]
            per_round.append(
                {
                    **dict(zip(by_cols, key)),
                    "round": r + 1,
                    "n": len(moves),
                    "cooperation": float(np.mean(moves)),
                }
            )
    table = pd.DataFrame(rows, columns=[*by_cols, *MEASURES])
    return GameProfileResult(
        by=tuple(by_cols),
        table=table,
        by_round=pd.DataFrame(per_round, columns=[*by_cols, "round", "n", "cooperation"]),
    )
