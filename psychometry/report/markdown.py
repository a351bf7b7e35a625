"""Markdown rendering of a :class:`~psychometry.report.document.Report`: ``report.md`` plus one PNG
file per plot in the same directory (relative links, so the directory can be moved as a whole)."""

from __future__ import annotations

import re
from pathlib import Path

from .document import Report, register_writer
from .errors import ReportError

__all__ = ["figure_filename", "render_markdown", "write_markdown"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def figure_filename(name: str) -> str:
    """The PNG file name of a figure: its name with anything but letters, digits, ``_.-`` as ``-``."""
    return _UNSAFE.sub("-", name).strip("-.") + ".png"


def _fence(body: str) -> str:
    # a fence longer than any run of backticks in the body
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    return "`" * max(3, longest + 1)


def render_markdown(report: Report) -> str:
    """The Markdown text; figures are linked as ``<figure name>.png`` beside the file."""
    out = [f"# {report.title}", ""]
    for s in report.sections:
        out += [("##" if s.level <= 2 else "###") + f" {s.title}", ""]
        if s.body:
            if s.computed:
                fence = _fence(s.body)
                out += [fence + "text", s.body.rstrip("\n"), fence, ""]
            else:
                out += [f"*{s.body}*", ""]
        for f in s.figures:
            out += [f"![{f.title}]({figure_filename(f.name)})", ""]
            if f.caption:
                out += [f"*{f.caption}*", ""]
    return "\n".join(out).rstrip() + "\n"


def write_markdown(report: Report, directory: str | Path) -> Path:
    """Write ``directory/report.md`` and the figures' PNG files; return the path of ``report.md``."""
    d = Path(directory)
    if d.exists() and not d.is_dir():
        raise ReportError(f"--markdown: {d} exists and is not a directory")
    try:
        d.mkdir(parents=True, exist_ok=True)
        for f in report.figures:
            (d / figure_filename(f.name)).write_bytes(f.png)
        md = d / "report.md"
        md.write_text(render_markdown(report), encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"cannot write the Markdown report to {d}: {exc.strerror or exc}") from None
    return md


register_writer("markdown", write_markdown)
