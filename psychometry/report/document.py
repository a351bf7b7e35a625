"""The report as data: a list of :class:`Section` objects with R-style text and PNG figures.

:func:`psychometry.report.build_report` fills a :class:`Report`; the renderers
(:mod:`psychometry.report.markdown`, :mod:`psychometry.report.html`) only lay the sections out; the
document knows no renderer: each registers its file writer (:func:`register_writer`) when the package
is imported, and :meth:`Report.to_html` / :meth:`Report.to_markdown` call it. A
section whose statistic could not be computed carries ``computed=False`` and a one-line body
``not computed: <reason>``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ReportError

if TYPE_CHECKING:  # pragma: no cover
    from .verdicts.model import ModelVerdicts

__all__ = ["NOT_COMPUTED", "WRITERS", "Figure", "Report", "Section", "register_writer"]

#: The prefix of the one-line body of a section that could not be computed.
NOT_COMPUTED = "not computed: "


@dataclass(frozen=True)
class Figure:
    """One plot: ``png`` holds the encoded image; ``name`` is its file stem (unique in a report)."""

    name: str
    title: str
    png: bytes = field(repr=False)
    caption: str = ""


@dataclass
class Section:
    """One titled block of the report.

    Attributes
    ----------
    key : a stable id such as ``"bfi44/alpha/E"`` (look-ups with :meth:`Report.section`).
    title : the heading.
    level : 1 = the report's own sections, 2 = an instrument, 3 = a statistic within an instrument.
    body : preformatted text as printed in the console (R's psych / lavaan layout where it applies).
    figures : plots shown under the text (Markdown / HTML only).
    computed : False when the body is a ``not computed: ...`` line.
    html : the same content as an HTML fragment (tables as ``<table>``), used by the HTML report
        instead of the preformatted body; None: the body is shown preformatted.
    """

    key: str
    title: str
    level: int = 3
    body: str = ""
    figures: list[Figure] = field(default_factory=list)
    computed: bool = True
    html: str | None = field(default=None, repr=False)

    @classmethod
    def skipped(cls, key: str, title: str, reason: str | None, level: int = 3) -> Section:
        """A section that could not be computed: the body is one ``not computed: reason`` line."""
        reason = " ".join(str(reason).split())  # always one line
        return cls(key=key, title=title, level=level, body=NOT_COMPUTED + reason, computed=False)


@dataclass
class Report:
    """A psychometric report of a results table.

    ``text()`` is the console report; ``to_markdown(dir)`` writes ``report.md`` with the plots as
    PNG files beside it; ``to_html(path)`` writes one self-contained HTML file (plots embedded as
    base64 data URIs).
    """

    title: str
    sections: list[Section] = field(default_factory=list)
    verdicts: list[ModelVerdicts] = field(default_factory=list)  # one per model

    # ------------------------------------------------------------------ look-ups
    def section(self, key: str) -> Section:
        """The section with this key (``KeyError`` naming the keys available otherwise)."""
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(f"no section {key!r}; sections: {', '.join(s.key for s in self.sections)}")

    @property
    def figures(self) -> list[Figure]:
        """Every figure of the report, in order."""
        return [f for s in self.sections for f in s.figures]

    @property
    def not_computed(self) -> dict[str, str]:
        """``{section key: reason}`` for the sections that could not be computed."""
        return {s.key: s.body[len(NOT_COMPUTED) :] for s in self.sections if not s.computed}

    # ------------------------------------------------------------------ renderers
    def text(self) -> str:
        """The console report: headings underlined as in R's printed output, bodies as text."""
        rule = {1: "=", 2: "=", 3: "-"}
        lines = [self.title, "#" * len(self.title)]
        for s in self.sections:
            lines += ["", s.title, rule.get(s.level, "-") * len(s.title)]
            if s.level == 2 and not s.body:
                continue
            lines.append(s.body.rstrip("\n"))
        return "\n".join(lines).rstrip() + "\n"

    def to_markdown(self, directory: str | Path) -> Path:
        """Write ``report.md`` and its PNG plots into ``directory`` (created); return the .md path."""
        return _writer("markdown")(self, directory)

    def to_html(self, path: str | Path) -> Path:
        """Write one self-contained HTML file (plots embedded as base64 PNG); return its path."""
        return _writer("html")(self, path)

    def __str__(self) -> str:
        return self.text()


#: A file writer of the report: ``writer(report, path) -> the path written``.
Writer = Callable[[Report, str | Path], Path]
#: The file writers by format (``html``, ``markdown``), registered by the renderer modules.
WRITERS: dict[str, Writer] = {}


def register_writer(fmt: str, writer: Writer) -> None:
    """Register the file writer of a format (the renderer modules do, when the package is imported)."""
    WRITERS[fmt] = writer


def _writer(fmt: str) -> Writer:
    try:
        return WRITERS[fmt]
    except KeyError:
        raise ReportError(f"no {fmt} writer registered (import psychometry.report)") from None
