"""The HTML report in a real browser: headless Chromium renders it and nothing is broken.

A copy of the report gets a small checking script (the report itself has none): it records
JavaScript errors and ``console.error`` calls, waits for the page to load, checks that every
``<img>`` decoded (``complete && naturalWidth > 0``) and writes the result into the DOM, which
``chromium --headless --dump-dom`` prints. The browser runs with every host name unresolvable, so a
report that fetched anything from the network would show a failed load. A screenshot of the first
screen must show the coloured findings.

Chromium is found as ``$PSYCHOMETRY_CHROMIUM``, ``chromium``, ``chromium-browser`` or
``google-chrome``. Without it the tests skip on a developer's machine and FAIL in CI
(``PSYCHOMETRY_STRICT_TESTS=1``, set by ``.ci/run``, which installs chromium).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import psychometry
from psychometry import Design
from psychometry.backends.fake import FakeBackend
from psychometry.report import build_report

CHECK = """<script>
(function () {
  var errors = [];
  window.addEventListener('error', function (e) {
    errors.push('error: ' + (e.message || (e.target && (e.target.src || e.target.href)) || 'resource'));
  }, true);
  var origError = console.error;
  console.error = function () { errors.push('console.error: ' + Array.prototype.join.call(arguments, ' '));
                                return origError.apply(console, arguments); };
  window.addEventListener('load', function () {
    var imgs = Array.prototype.slice.call(document.images);
    var broken = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); })
                     .map(function (i) { return i.alt || i.src.slice(0, 40); });
    var out = {images: imgs.length, broken: broken, errors: errors,
               tables: document.querySelectorAll('table').length,
               badges: document.querySelectorAll('.badge').length,
               toc: document.querySelectorAll('nav.toc a').length,
               title: document.title};
    var pre = document.createElement('pre');
    pre.id = 'psychometry-browser-check';
    pre.textContent = 'PSYCHOMETRY-' + 'CHECK ' + JSON.stringify(out) + ' END-' + 'CHECK';
    document.body.appendChild(pre);
  });
})();
</script>"""


def _chromium() -> str:
    for name in (os.environ.get("PSYCHOMETRY_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    msg = "headless Chromium not found (chromium, chromium-browser, google-chrome or $PSYCHOMETRY_CHROMIUM)"
    if os.environ.get("PSYCHOMETRY_STRICT_TESTS") == "1":
        pytest.fail(f"strict mode (PSYCHOMETRY_STRICT_TESTS=1): {msg}")
    pytest.skip(msg)


def _browser(args: list[str], url: str, tmp: Path) -> subprocess.CompletedProcess:
    cmd = [
        _chromium(),
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--no-first-run",
        "--disable-extensions",
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={tmp / 'profile'}",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--virtual-time-budget=10000",
        *args,
        url,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def html_report(tmp_path_factory) -> Path:
    """A two-model report (a first-option model and a varied one) with every plot of the HTML."""
    d = tmp_path_factory.mktemp("browser")
    longs = []
    for name, choice in (("first-option", 0), ("varied", "hash")):
        out = d / f"{name}.sqlite"
        psychometry.administer(
            Design(["bfi44"], orders="original,reversed"),
            model=FakeBackend(choice, confidence=0.6, name=name),
            out=out,
            progress=False,
        )
        longs.append(psychometry.load_results(out))
    import pandas as pd

    rep = build_report(pd.concat(longs, ignore_index=True), title="browser test report")
    assert len(rep.figures) >= 10
    return rep.to_html(d / "report.html")


def test_the_report_renders_without_errors_or_broken_images(html_report, tmp_path):
    html = html_report.read_text(encoding="utf-8")
    assert "<script" not in html  # the report itself runs nothing
    checked = tmp_path / "checked.html"
    checked.write_text(html.replace("<head>", "<head>\n" + CHECK, 1), encoding="utf-8")
    proc = _browser(["--dump-dom"], checked.as_uri(), tmp_path)
    m = re.search(r"PSYCHOMETRY-CHECK (.*?) END-CHECK", proc.stdout, re.S)
    assert m, f"no check marker in the DOM (rc {proc.returncode}); stderr: {proc.stderr[-1500:]}"
    res = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert res["title"] == "browser test report"
    assert res["errors"] == []
    assert res["images"] == html.count('src="data:image/png;base64,') >= 10
    assert res["broken"] == []
    assert res["tables"] >= 20 and res["badges"] >= 10 and res["toc"] >= 10
    console_errors = [
        ln
        for ln in proc.stderr.splitlines()
        if ("CONSOLE" in ln and ("Uncaught" in ln or "rror" in ln))
        or "Failed to load resource" in ln
        or "net::ERR_" in ln
    ]
    assert console_errors == []


def test_first_screen_shows_the_coloured_findings(html_report, tmp_path):
    shot = tmp_path / "first-screen.png"
    proc = _browser(
        ["--hide-scrollbars", "--window-size=1280,900", f"--screenshot={shot}"],
        html_report.as_uri(),
        tmp_path,
    )
    assert shot.is_file(), proc.stderr[-1500:]
    from PIL import Image

    im = Image.open(shot).convert("RGB")
    assert im.size == (1280, 900)
    colours = im.getcolors(maxcolors=1 << 20)
    # the FAILS badge red (#c62828) and the light red of the failing rows are on the first screen
    reds = sum(n for n, (r, g, b) in colours if r > 180 and g < 70 and b < 70)
    light = sum(n for n, (r, g, b) in colours if (r, g, b) == (0xFD, 0xEC, 0xEA))
    assert reds > 200 and light > 2000


def test_the_check_catches_a_broken_image_and_a_script_error(html_report, tmp_path):
    html = html_report.read_text(encoding="utf-8")
    broken = re.sub(r'src="data:image/png;base64,[^"]+"', 'src="data:image/png;base64,AAAA"', html, count=1)
    broken = broken.replace("</body>", "<script>notDefinedAnywhere();</script></body>", 1)
    checked = tmp_path / "broken.html"
    checked.write_text(broken.replace("<head>", "<head>\n" + CHECK, 1), encoding="utf-8")
    proc = _browser(["--dump-dom"], checked.as_uri(), tmp_path)
    res = json.loads(
        re.search(r"PSYCHOMETRY-CHECK (.*?) END-CHECK", proc.stdout, re.S)
        .group(1)
        .replace("&quot;", '"')
        .replace("&amp;", "&")
    )
    assert len(res["broken"]) == 1
    assert any("notDefinedAnywhere" in e for e in res["errors"])
