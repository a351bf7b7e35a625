"""The API convention of :mod:`psychometry.stats` (docs/api.md) in code.

:class:`Result` is the base of every result class: ``to_frame()``, ``summary()`` and
``_repr_html_()`` (the summary's tables as HTML).
"""

from __future__ import annotations

import pandas as pd

__all__ = ["Result"]


class Result:
    """Base of every result class of :mod:`psychometry.stats`.

    Subclasses (usually frozen dataclasses) define ``to_frame()`` (a tidy table in the column
    vocabulary of docs/api.md) and ``summary()`` (printed like R). ``_repr_html_()`` renders the
    summary's tables as HTML tables (Jupyter).
    """

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def summary(self) -> str:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def _repr_html_(self) -> str:
        from ._rhtml import summary_html

        return summary_html(self)
