"""The verdict model: a :class:`Verdict` (one finding: level, figure, sentence) and a model's
:class:`ModelVerdicts` (its verdicts and headline), with the levels and their order.

The model knows no renderer: :mod:`psychometry.report.findings` lays the findings out as HTML and
registers itself as :attr:`ModelVerdicts.html_renderer` (Jupyter's ``_repr_html_``) when the package is
imported."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

__all__ = ["LEVELS", "RANK", "ModelVerdicts", "Verdict", "worst_level"]

#: The levels of a verdict, best first; ``n/a`` when the design does not allow the check.
LEVELS = ("ok", "caution", "fails", "n/a")
#: The order of the levels (``n/a`` below every other).
RANK = {"n/a": -1, "ok": 0, "caution": 1, "fails": 2}


def worst_level(levels: Sequence[str]) -> str:
    """The worst of the levels, ``n/a`` left out (``n/a`` when nothing else is left)."""
    levels = [lv for lv in levels if lv != "n/a"]
    return max(levels, key=RANK.__getitem__) if levels else "n/a"


@dataclass(frozen=True)
class Verdict:
    """One finding: ``level`` (ok / caution / fails / n/a), the ``figure`` it rests on, one ``sentence``.

    ``check`` is the question (answers, positions, orders, templates, reliability, invariance, mtmm,
    norms, behaviour), ``instrument`` the instrument it is about (None for the whole model), ``details`` one
    line per scale, ``data`` the numbers behind it (a DataFrame for the plots and tables)."""

    check: str
    title: str
    level: str
    figure: str
    sentence: str
    instrument: str | None = None
    details: tuple[str, ...] = ()
    data: Any = field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str:
        return self.title + (f" ({self.instrument})" if self.instrument else "")


@dataclass
class ModelVerdicts:
    """The verdicts of one model, with the ``headline`` (first lines of the report)."""

    model: str
    verdicts: list[Verdict]
    headline: list[str]
    n_responses: int = 0
    n_respondents: int = 0
    respondent: str = "condition"

    @property
    def interpretable(self) -> bool:
        """False when the model does not answer or its answers are a position habit."""
        return not any(v.check in ("answers", "positions") and v.level == "fails" for v in self.verdicts)

    @property
    def level(self) -> str:
        """The worst level of the verdicts."""
        return worst_level([v.level for v in self.verdicts])

    def get(self, check: str, instrument: str | None = None) -> Verdict | None:
        for v in self.verdicts:
            if v.check == check and (instrument is None or v.instrument == instrument):
                return v
        return None

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "model": self.model,
                    "check": v.check,
                    "instrument": v.instrument,
                    "level": v.level,
                    "figure": v.figure,
                    "sentence": v.sentence,
                }
                for v in self.verdicts
            ]
        )

    def text(self, *, details: bool = True) -> str:
        """Headline, then one block per verdict: ``[LEVEL]  title: figure`` and its sentence."""
        who = self.model or "(no model column)"
        lines = [
            f"Model {who}: {self.n_responses} responses, {self.n_respondents} "
            f"respondent{'' if self.n_respondents == 1 else 's'} "
            f"(respondent = {'persona, conditions averaged' if self.respondent == 'persona' else 'prompt condition'})"
        ]
        lines += self.headline
        lines.append("")
        for v in self.verdicts:
            tag = f"[{v.level.upper()}]"
            lines.append(f"{tag:<10}{v.label}: {v.figure}")
            lines.append(" " * 10 + v.sentence)
            if details:
                lines += [" " * 12 + d for d in v.details]
        return "\n".join(lines).rstrip() + "\n"

    def __str__(self) -> str:
        return self.text()

    #: Lays one model's findings out as HTML (set by psychometry.report.findings).
    html_renderer: ClassVar[Callable[[ModelVerdicts], str] | None] = None

    def _repr_html_(self) -> str:
        """The findings as the HTML report shows them (Jupyter); classes styled by the report's CSS."""
        return ModelVerdicts.html_renderer(self) if ModelVerdicts.html_renderer is not None else ""
