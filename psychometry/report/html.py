"""HTML rendering of a :class:`~psychometry.report.document.Report`: one self-contained file (inline
CSS, plots embedded as ``data:image/png;base64`` URIs, no scripts, nothing fetched when opened)."""
from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ReportError

if TYPE_CHECKING:  # pragma: no cover
    from .document import Report

__all__ = ["render_html", "write_html"]

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 72rem; margin: 2rem auto;
       padding: 0 1rem; color: #222; line-height: 1.4; }
h1 { border-bottom: 2px solid #444; padding-bottom: .3rem; }
h2 { border-bottom: 1px solid #999; margin-top: 2.5rem; }
h3 { margin-top: 1.8rem; }
pre { background: #f6f6f4; border: 1px solid #ddd; padding: .7rem; overflow-x: auto; font-size: .82rem;
      line-height: 1.25; }
p.skipped { color: #8a5a00; font-style: italic; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: .85rem; color: #555; }
nav ul { columns: 2; font-size: .9rem; }
""".strip()


def _anchor(key: str) -> str:
    return "s-" + re.sub(r"[^A-Za-z0-9_-]+", "-", key).strip("-")


def render_html(report: "Report") -> str:
    """The HTML document as a string (UTF-8, self-contained)."""
    esc = html.escape
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>{esc(report.title)}</title>", f"<style>\n{_CSS}\n</style>", "</head>", "<body>",
           f"<h1>{esc(report.title)}</h1>", "<nav><ul>"]
    for s in report.sections:
        if s.level <= 2:
            out.append(f'<li><a href="#{_anchor(s.key)}">{esc(s.title)}</a></li>')
    out.append("</ul></nav>")
    for s in report.sections:
        tag = "h2" if s.level <= 2 else "h3"
        out.append(f'<{tag} id="{_anchor(s.key)}">{esc(s.title)}</{tag}>')
        if s.body:
            if s.computed:
                out.append(f"<pre>{esc(s.body.rstrip())}</pre>")
            else:
                out.append(f'<p class="skipped">{esc(s.body)}</p>')
        for f in s.figures:
            data = base64.b64encode(f.png).decode("ascii")
            out.append("<figure>")
            out.append(f'<img alt="{esc(f.title, quote=True)}" src="data:image/png;base64,{data}">')
            cap = f.title + (f". {f.caption}" if f.caption else "")
            out.append(f"<figcaption>{esc(cap)}</figcaption>")
            out.append("</figure>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def write_html(report: "Report", path: str | Path) -> Path:
    """Write the self-contained HTML report to ``path`` (parent directories created); return it."""
    p = Path(path)
    if p.is_dir():
        raise ReportError(f"--html: {p} is a directory; give a file name such as report.html")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(render_html(report), encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"cannot write the HTML report to {p}: {exc.strerror or exc}") from None
    return p
