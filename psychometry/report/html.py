"""HTML rendering of a :class:`~psychometry.report.document.Report`: one self-contained file (inline
CSS, plots embedded as ``data:image/png;base64`` URIs, no scripts, nothing fetched when opened).

The findings (verdicts, coloured by level) come first, then a table of contents, then every section:
result tables as real ``<table>`` s (psychometry.stats._rhtml, the same strings as the text report),
other text preformatted, plots as embedded PNG images."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

from .document import Report, register_writer
from .errors import ReportError

__all__ = ["render_html", "write_html"]

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 76rem; margin: 1.5rem auto;
       padding: 0 1rem; color: #222; line-height: 1.4; }
h1 { border-bottom: 2px solid #444; padding-bottom: .3rem; margin-bottom: .6rem; }
h2 { border-bottom: 1px solid #999; margin-top: 2.5rem; }
h3 { margin-top: 1.8rem; }
pre, pre.rout { background: #f6f6f4; border: 1px solid #ddd; padding: .5rem .7rem; overflow-x: auto; font-size: .8rem;
      line-height: 1.25; }
p.skipped { color: #8a5a00; font-style: italic; }
p.note { font-size: .9rem; color: #333; margin: .4rem 0; }
p.warning { color: #8a5a00; font-size: .85rem; margin: .2rem 0; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: .85rem; color: #555; }
nav.toc { background: #fafafa; border: 1px solid #ddd; padding: .3rem 1rem; margin: 1.2rem 0; }
nav.toc ul { columns: 2; font-size: .88rem; margin: .3rem 0; }
nav.toc li.l2 { margin-left: 1.2rem; }
table.rtable { border-collapse: collapse; font-size: .82rem; font-variant-numeric: tabular-nums; }
table.rtable caption { text-align: left; font-size: .85rem; color: #555; }
table.rtable thead th { border-bottom: 1.5px solid #888; }
div.rsummary { overflow-x: auto; }
section#s-data pre, section[id^="s-model"] pre { white-space: pre-wrap; }
div.rsummary pre.rout { background: none; border: none; padding: .1rem 0; margin: 0; }
nav.toc li.l3 { display: inline; font-size: .8rem; margin-right: .6rem; }
nav.toc ul ul { columns: 1; padding-left: .6rem; margin: 0 0 .2rem 0; list-style: none; }
table.verdicts { border-collapse: collapse; width: 100%; font-size: .88rem; margin: .4rem 0 1rem 0; }
table.verdicts th, table.verdicts td { border-bottom: 1px solid #ddd; padding: .3rem .5rem; text-align: left;
      vertical-align: top; }
table.verdicts td.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; min-width: 4.6rem; text-align: center; border-radius: .25rem; padding: .05rem .35rem;
         font-weight: 700; font-size: .78rem; color: #fff; }
.badge.ok { background: #2e7d32; } .badge.caution { background: #b26a00; } .badge.fails { background: #c62828; }
.badge.na { background: #888; }
tr.lv-fails td { background: #fdecea; } tr.lv-caution td { background: #fff4e0; } tr.lv-ok td { background: #edf7ee; }
td.lv-fails { background: #fdecea; } td.lv-caution { background: #fff4e0; } td.lv-ok { background: #edf7ee; }
p.headline { font-size: 1.15rem; font-weight: 600; padding: .6rem .8rem; border-left: .4rem solid #888;
             background: #f4f4f4; margin: .4rem 0; }
p.headline.lv-fails { border-color: #c62828; background: #fdecea; }
p.headline.lv-caution { border-color: #b26a00; background: #fff4e0; }
p.headline.lv-ok { border-color: #2e7d32; background: #edf7ee; }
p.meta { color: #555; font-size: .85rem; margin: .2rem 0; }
div.model-verdicts h3 { margin: 1rem 0 .2rem 0; }
details summary { cursor: pointer; color: #444; font-size: .85rem; }
details.thresholds { margin: .5rem 0 1rem 0; }
""".strip()


def _anchor(key: str) -> str:
    return "s-" + re.sub(r"[^A-Za-z0-9_-]+", "-", key).strip("-")


def render_html(report: Report) -> str:
    """The HTML document as a string (UTF-8, self-contained: inline CSS, base64 PNG images, no scripts)."""
    esc = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(report.title)}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        f"<h1>{esc(report.title)}</h1>",
    ]
    first = [s for s in report.sections if s.key == "findings"]
    rest = [s for s in report.sections if s.key != "findings"]

    def emit(s) -> None:
        tag = {1: "h2", 2: "h2"}.get(s.level, "h3") if s.key != "findings" else "h2"
        out.append(f'<section id="{_anchor(s.key)}">')
        out.append(f"<{tag}>{esc(s.title)}</{tag}>")
        if s.body or s.html:
            if not s.computed:
                out.append(f'<p class="skipped">{esc(s.body)}</p>')
            elif s.html is not None:
                out.append(s.html)
            else:
                out.append(f'<pre class="rout">{esc(s.body.rstrip())}</pre>')
        for f in s.figures:
            data = base64.b64encode(f.png).decode("ascii")
            out.append("<figure>")
            out.append(f'<img alt="{esc(f.title, quote=True)}" src="data:image/png;base64,{data}">')
            cap = f.title + (f". {f.caption}" if f.caption else "")
            out.append(f"<figcaption>{esc(cap)}</figcaption>")
            out.append("</figure>")
        out.append("</section>")

    for s in first:
        emit(s)
    out.append('<nav class="toc"><strong>Contents</strong><ul>')
    open_sub = False
    for s in report.sections:
        if s.level <= 2:
            if open_sub:
                out.append("</ul></li>")
                open_sub = False
            cls = "l1" if s.level == 1 else "l2"
            out.append(f'<li class="{cls}"><a href="#{_anchor(s.key)}">{esc(s.title)}</a>')
            out.append("<ul>")
            open_sub = True
        else:
            parts = s.key.split("/")
            short = (
                f"{parts[-2]} {parts[-1]}"
                if len(parts) >= 3 and parts[-2] in ("alpha", "omega")
                else parts[-1]
            )
            out.append(f'<li class="l3"><a href="#{_anchor(s.key)}">{esc(short)}</a></li>')
    if open_sub:
        out.append("</ul></li>")
    out.append("</ul></nav>")
    for s in rest:
        emit(s)
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def write_html(report: Report, path: str | Path) -> Path:
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


register_writer("html", write_html)
