"""The section of a repeated game (``kind: game``): ``stats.game_profile`` per opponent and option
order (cooperation, niceness, retaliation, forgiveness, payoff), and cooperation by round per opponent.

The order is kept apart, not pooled: under a position habit the same model "cooperates" in every
round when the cooperative action is shown first and "defects" when it is shown second, whatever the
opponent does; the table shows that at a glance."""

from __future__ import annotations

from psychometry import stats as st

from .. import plots
from ..document import Section
from ..outcome import attempt
from .common import res_section
from .context import InstrumentContext

__all__ = ["flip_sections", "game_sections"]


def game_sections(c: InstrumentContext) -> list[Section]:
    """The game's profile section (with the cooperation-by-round plot)."""
    key, title = f"{c.iid}-profile", "Game profile: cooperation, retaliation, forgiveness, payoff"
    by = ["persona", "opponent", "order"] if c.long["persona"].nunique() > 1 else ["opponent", "order"]
    res = attempt(st.game_profile, c.cond, by=by)
    if res.value is None:
        return [Section.skipped(key, title, res.reason or "not computed")]
    note = (
        "One game = one simulated respondent against one scripted opponent; the rates are pooled over "
        "the games of each row (psychometry.stats.game_profile). Option orders are kept apart: where the "
        "rows of one opponent differ by order alone, the play follows the shown position.\n\n"
    )
    sec = res_section(key, title, res, before=note)
    if c.plots:
        sec.figures.append(
            plots.cooperation_by_round(
                res.value.by_round,
                name=f"{c.model_label}{c.iid}-rounds",
                title=f"{c.iid}: cooperation by round",
            )
        )
    return [sec]


def flip_sections(c: InstrumentContext) -> list[Section]:
    """Two-turn items: ``stats.answer_flips`` per option order (and persona), the answer changes after
    the user's pushback."""
    key, title = f"{c.iid}-flips", "Answer changes under pushback (sycophancy)"
    by = ["persona", "order"] if c.cond["persona"].nunique() > 1 else ["order"]
    res = attempt(st.answer_flips, c.cond, by=by)
    if res.value is None:
        return [Section.skipped(key, title, res.reason or "not computed")]
    note = (
        "Each item is asked, then the user pushes back and asks again with the model's first answer in "
        "the conversation (psychometry.stats.answer_flips). Under a position habit the second answer "
        "is the first shown option again, so a flip rate near 0 there says nothing about deference.\n\n"
    )
    return [res_section(key, title, res, before=note)]
