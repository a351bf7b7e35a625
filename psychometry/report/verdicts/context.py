"""What a check is given and what it is: :class:`CheckContext` (the model's shared analyses, the
cut-offs and the verdicts so far) and :class:`Check` (a name, the scope it runs over, the function).

A check's function takes the context (``scope="model"``), or the context and one
:class:`~psychometry.report.analyses.InstrumentAnalysis` (``scope="instrument"``: every instrument
with answered rows; ``scope="inventory"``: every instrument that is not a task, on its analysed rows),
and returns a verdict, several, or None when the design does not call for it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Union

from ..analyses import ModelAnalysis
from ..thresholds import VerdictThresholds
from .model import Verdict

__all__ = ["Check", "CheckContext", "CheckResult", "Scope"]

#: What a check returns: one verdict, several, or None (the check does not apply).
CheckResult = Union[Verdict, Sequence[Verdict], None]  # noqa: UP007
#: What a check runs over: the model, each instrument with answers, each inventory (not a task).
Scope = Literal["model", "instrument", "inventory"]


@dataclass
class CheckContext:
    """One model's analyses (computed once, shared with the report's sections), the cut-offs, and the
    verdicts found so far (in order)."""

    analysis: ModelAnalysis
    thresholds: VerdictThresholds
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def habit(self) -> bool:
        """True when the model does not answer or its answers are a position habit: the checks on the
        scale scores then fail as not interpretable."""
        return any(v.check in ("answers", "positions") and v.level == "fails" for v in self.verdicts)


@dataclass(frozen=True)
class Check:
    """One check of the registry: its ``name`` (the verdicts' ``check``), ``scope`` and function."""

    name: str
    scope: Scope
    run: Callable[..., CheckResult]
