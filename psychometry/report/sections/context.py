"""One instrument's sections share an :class:`InstrumentContext`: the instrument's shared analysis
(:class:`~psychometry.report.analyses.InstrumentAnalysis`: its rows and the statistics on them,
computed once and read by the verdicts too) and the report's options."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from psychometry.instrument.model import Instrument

from ..analyses import InstrumentAnalysis
from ..thresholds import VerdictThresholds

__all__ = ["InstrumentContext"]


@dataclass
class InstrumentContext:
    """One instrument's analysis and the options of the report, shared by its sections."""

    analysis: InstrumentAnalysis
    plots: bool
    omega_min_items: int
    cfa_min_per_item: float
    cfa_max_items: int | None
    model_label: str = ""
    thresholds: VerdictThresholds | None = None

    @property
    def iid(self) -> str:
        return self.analysis.iid

    @property
    def inst(self) -> Instrument | None:
        return self.analysis.inst

    @property
    def long(self) -> pd.DataFrame:
        """The rows analysed as respondents (prompt conditions, or persons: conditions averaged)."""
        return self.analysis.long

    @property
    def cond(self) -> pd.DataFrame:
        """The condition-level rows (robustness sections: styles, templates, orders, positions)."""
        return self.analysis.cond

    @property
    def scale_ids(self) -> list[str]:
        return self.analysis.scale_ids

    def scale_name(self, sid: str) -> str:
        if self.inst is not None:
            for s in self.inst.scales:
                if s.id == sid:
                    return s.name
        return sid

    def scale_items(self, sid: str) -> list[str]:
        return self.analysis.scale_items(sid)

    def reversed_items(self, items: Sequence[str]) -> list[str]:
        return self.analysis.reversed_items(items)
