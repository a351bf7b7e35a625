"""The reporting layer: ``psychometry.report.build_report`` and ``psychometry report``.

Results files are written with fake backends (no model): a "trait" fake whose answers follow a
latent trait level per persona and the item's keying (so the scales are reliable and the CFA
converges), a constant fake (every answer the first option: zero variance), and single-respondent
runs. What the tests pin down:

* the text report prints, for every scale, exactly the block of ``psychometry.stats.alpha(...).summary()``
  (the block psych::alpha users read), plus omega, norms, CFA, MTMM and the robustness summaries;
* nothing the statistics cannot compute crashes the report: the section says ``not computed: reason``
  in one line;
* HTML is one self-contained file (PNG plots as base64 data URIs, nothing fetched); Markdown is a
  directory with report.md and the PNG files it links;
* the CLI prints the report (exit 0) and turns bad input into a one-line error (exit 1).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest

import psychometry
import psychometry.stats as st
from psychometry import AnswerConfig, Design
from psychometry.backends.fake import FakeBackend
from psychometry.cli import main
from psychometry.instrument.model import Instrument, Item, ResponseFormat, Scale
from psychometry.report import NOT_COMPUTED, Report, ReportError, build_report, report_from_file
from psychometry.results import load_results

BFI_SCALES = ("E", "A", "C", "N", "O")


# --------------------------------------------------------------------------------------------------
# fake respondents


def _unit(text: str) -> float:
    """A reproducible number in [0, 1) from a string."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2.0**64


def trait_backend(instruments: list[str]) -> FakeBackend:
    """A fake model with a personality: the persona (the prompt's first paragraph) fixes a latent level
    per scale, the item's keying turns it into agreement, and the shown option order is respected."""
    items: dict[str, tuple[str, int]] = {}
    for iid in instruments:
        inst = psychometry.load_instrument(iid)
        for it in inst.items:
            items[it.text] = (it.scale, it.keyed)
    texts = sorted(items, key=len, reverse=True)  # longest first: no item text inside another wins

    def choose(prompt: str, labels) -> int:
        text = next(t for t in texts if f'"{t}"' in prompt or t in prompt)
        scale, keyed = items[text]
        persona = prompt.split("\n\n", 1)[0]
        theta = 3.0 * (_unit(persona + scale) - 0.5)  # latent level in [-1.5, 1.5)
        noise = 1.6 * (_unit(prompt) - 0.5)  # item x respondent noise
        value = min(5, max(1, round(3 + keyed * theta + noise)))
        reversed_order = prompt.find("Agree strongly") < prompt.find("Disagree strongly")
        return (5 - value) if reversed_order else (value - 1)

    return FakeBackend(choose, confidence=0.7, name="trait-fake")


def personas_file(path: Path, n: int) -> Path:
    lines = ["personas:"]
    for i in range(n):
        lines.append(
            f"  - id: p{i:02d}\n    text: You are respondent number {i} with a temperament of your own."
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def big_run(tmp_path_factory) -> Path:
    """BFI-44 x 24 personas x 3 templates x 2 orders = 144 respondents (enough for the CFA)."""
    d = tmp_path_factory.mktemp("big")
    out = d / "run.sqlite"
    psychometry.administer(
        Design(["bfi44"], orders="original,reversed", personas=str(personas_file(d / "personas.yaml", 24))),
        model=trait_backend(["bfi44"]),
        out=out,
        progress=False,
    )
    return out


@pytest.fixture(scope="module")
def big_report(big_run) -> Report:
    return build_report(load_results(big_run), source=str(big_run))


@pytest.fixture(scope="module")
def both_run(tmp_path_factory) -> Path:
    """BFI-44 and IPIP-NEO-120, no persona: 3 templates x 2 orders = 6 respondents (MTMM; too few for CFA)."""
    out = tmp_path_factory.mktemp("both") / "run.sqlite"
    psychometry.administer(
        Design(["bfi44", "ipip_neo120"], orders="original,reversed"),
        model=FakeBackend("hash", confidence=0.6),
        out=out,
        progress=False,
    )
    return out


@pytest.fixture(scope="module")
def both_report(both_run) -> Report:
    return build_report(load_results(both_run), plots=False)


@pytest.fixture(scope="module")
def one_run(tmp_path_factory) -> Path:
    """One simulated respondent answering BFI-44 and IPIP-NEO-120 (one template, one order)."""
    out = tmp_path_factory.mktemp("one") / "run.sqlite"
    psychometry.administer(
        Design(["bfi44", "ipip_neo120"], templates="likert-plain", orders="original"),
        model=FakeBackend("hash"),
        out=out,
        progress=False,
    )
    return out


# --------------------------------------------------------------------------------------------------
# the text report


def _alpha_of(long: pd.DataFrame, instrument: str, scale: str):
    sub = long[(long.instrument == instrument) & (long.scale == scale)]
    keys = sorted(set(sub.loc[sub.keyed < 0, "item"]))
    return st.alpha(st.item_matrix(sub), keys=keys or None)


def test_text_prints_the_psych_alpha_block_of_every_bfi_scale(big_run, big_report):
    text = big_report.text()
    long = load_results(big_run)
    for scale in BFI_SCALES:
        block = _alpha_of(long, "bfi44", scale).summary()
        assert block in text, f"alpha block of {scale} missing"
        sec = big_report.section(f"bfi44/alpha/{scale}")
        assert (
            sec.computed
            and "Reliability analysis" in sec.body
            and "Reliability if an item is dropped:" in sec.body
        )
        assert "Item statistics" in sec.body and "95% confidence boundaries" in sec.body
    # the trait fake answers consistently, so the scales are reliable
    assert _alpha_of(long, "bfi44", "E").raw_alpha > 0.7


def test_text_has_omega_norms_cfa_and_robustness_sections(big_report):
    text = big_report.text()
    for scale in BFI_SCALES:  # every BFI scale has 8-10 items: omega with 2-3 group factors
        assert big_report.section(f"bfi44/omega/{scale}").computed
        assert "Omega Hierarchical:" in big_report.section(f"bfi44/omega/{scale}").body
    cfa = big_report.section("bfi44/cfa")
    assert cfa.computed, cfa.body
    assert "E =~ bfi1 + bfi6" in cfa.body and "Comparative Fit Index (CFI)" in cfa.body
    assert "Latent Variables:" in cfa.body
    for key, marker in (
        ("bfi44/styles", "acquiescence"),
        ("bfi44/templates", "ICC2"),
        ("bfi44/orders", "original vs reversed"),
        ("bfi44/positions", "chi2"),
        ("refusals", "Wilson score 95%"),
    ):
        assert marker in big_report.section(key).body, key
    norms = big_report.section("bfi44/norms")  # bfi44 ships crowd norms
    assert norms.computed and "Cohen's d" in norms.body
    assert text.startswith("psychometry report\n")


def test_mtmm_section_when_bfi44_and_ipip_neo120_are_both_present(both_report, big_report):
    sec = both_report.section("mtmm")
    assert sec.computed, sec.body
    assert "Multitrait-multimethod matrix (bfi44 vs ipip_neo120), n = 6" in sec.body
    assert "Convergent validity" in sec.body
    with pytest.raises(KeyError):
        big_report.section("mtmm")  # only bfi44 there


def test_instruments_argument_selects_and_orders_instruments(both_run):
    long = load_results(both_run)
    rep = build_report(long, ["ipip_neo120"], plots=False)
    keys = [s.key for s in rep.sections]
    assert "ipip_neo120" in keys and "bfi44" not in keys and "mtmm" not in keys
    with pytest.raises(ReportError, match="'sd3' is not in the results"):
        build_report(long, ["sd3"], plots=False)


def test_bad_tables_are_report_errors():
    with pytest.raises(ReportError, match="DataFrame"):
        build_report([1, 2, 3])
    with pytest.raises(ReportError, match="no column"):
        build_report(pd.DataFrame({"x": [1]}))


# --------------------------------------------------------------------------------------------------
# degrading gracefully


def _assert_one_line_reasons(rep: Report) -> None:
    for key, reason in rep.not_computed.items():
        assert reason and "\n" not in reason, key
        assert rep.section(key).body == NOT_COMPUTED + reason


def test_one_respondent_gives_not_computed_lines_not_a_crash(one_run):
    rep = build_report(load_results(one_run))
    nc = rep.not_computed
    for scale in BFI_SCALES:
        assert re.search(r"1 respondent", nc[f"bfi44/alpha/{scale}"]), nc[f"bfi44/alpha/{scale}"]
        assert f"bfi44/omega/{scale}" in nc
    assert "one prompt template only" in nc["bfi44/templates"]
    assert "one option order only" in nc["bfi44/orders"]
    assert "bfi44/cfa" in nc and "mtmm" in nc
    assert "only 1 respondents" in nc["mtmm"]
    # what one respondent allows is still there: scores, styles, position counts
    assert rep.section("bfi44/scores").computed and rep.section("bfi44/styles").computed
    _assert_one_line_reasons(rep)
    text = rep.text()
    assert "not computed: 1 respondent; alpha needs at least 2" in text


def test_zero_variance_answers_degrade_to_one_line(tmp_path):
    out = tmp_path / "flat.sqlite"
    psychometry.administer(
        Design(["bfi44"], orders="original"), model=FakeBackend(0), out=out, progress=False
    )
    rep = build_report(load_results(out), plots=False)  # 3 respondents, every answer "1"
    nc = rep.not_computed
    for scale in BFI_SCALES:
        assert "fewer than 2 items with variance" in nc[f"bfi44/alpha/{scale}"]
    _assert_one_line_reasons(rep)
    assert rep.section("bfi44/positions").computed  # every answer at position 1: that is the finding
    assert re.search(r"original/5 +132 +1 +0 +0 +0 +0 ", rep.section("bfi44/positions").body)


def test_every_answer_refused_is_reported_not_crashed(tmp_path):
    out = tmp_path / "refused.sqlite"
    psychometry.administer(
        ["oejts"],
        model=FakeBackend(reply="As an AI I cannot answer."),
        answers=AnswerConfig(mode="generate"),
        out=out,
        progress=False,
    )
    rep = build_report(load_results(out))  # with plots: nothing to draw must not break them
    assert "no answered item" in rep.not_computed["oejts/alpha/IE"]
    assert "no answered rows" in rep.not_computed["oejts/positions"]
    assert re.search(r"^all +192 +192 +1 ", rep.section("refusals").body, re.M)
    _assert_one_line_reasons(rep)
    assert rep.to_html(tmp_path / "r.html").is_file()


def test_instrument_not_shipped_is_reported_from_the_table_alone(tmp_path):
    rf = ResponseFormat(
        "likert",
        5,
        1,
        ("Disagree strongly", "Disagree a little", "Neutral", "Agree a little", "Agree strongly"),
    )
    items = tuple(Item(f"q{i}", f"Statement number {i}.", "S", -1 if i % 2 else 1) for i in range(1, 5))
    toy = Instrument(
        "toy",
        "Toy",
        "1",
        "c",
        "l",
        "u",
        "Describe yourself.",
        rf,
        (Scale("S", "S", tuple(i.id for i in items), ("q1", "q3")),),
        items,
    )
    out = tmp_path / "toy.sqlite"
    psychometry.administer(
        Design([toy], orders="original,reversed"), model=FakeBackend("hash"), out=out, progress=False
    )
    long = load_results(out)
    rep = build_report(long, plots=False)  # "toy" is not shipped: scored from the table
    assert rep.section("toy/alpha/S").computed
    assert "toy/norms" not in [s.key for s in rep.sections]
    assert "stats.scale_scores" in rep.section("toy/scores").body
    rep2 = build_report(long, [toy], plots=False)  # with the definition: instrument scoring
    assert "psychometry.scoring" in rep2.section("toy/scores").body


# --------------------------------------------------------------------------------------------------
# files


def test_html_is_self_contained_with_embedded_png_plots(big_report, tmp_path):
    path = big_report.to_html(tmp_path / "sub" / "report.html")
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    n_png = html.count('src="data:image/png;base64,')
    assert n_png == len(big_report.figures) >= 4
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched when opened
    assert "<script" not in html
    assert "Reliability analysis" in html and "Call: alpha(items, keys=[" in html


def test_markdown_directory_has_report_and_the_pngs_it_links(big_report, tmp_path):
    md = big_report.to_markdown(tmp_path / "md")
    text = md.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    pngs = sorted(p.name for p in md.parent.glob("*.png"))
    assert links and sorted(links) == pngs
    for name in ("bfi44-scores.png", "bfi44-positions.png", "bfi44-templates.png", "bfi44-item-rest.png"):
        assert name in pngs
        assert (md.parent / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "```text\n\nReliability analysis" in text


def test_plots_off_gives_no_figures(both_report):
    assert both_report.figures == []


def test_report_from_file_run_id(big_run):
    runs = psychometry.results.run_info(big_run)
    rep = report_from_file(big_run, run_id=runs[0]["run_id"], plots=False)
    assert rep.section("bfi44/alpha/E").computed
    with pytest.raises(ReportError, match="no responses of run 'nope'"):
        report_from_file(big_run, run_id="nope")


# --------------------------------------------------------------------------------------------------
# command line


def test_cli_prints_the_report_and_writes_files(both_run, tmp_path, capsys):
    rc = main(
        [
            "report",
            str(both_run),
            "--instrument",
            "bfi44",
            "--html",
            str(tmp_path / "r.html"),
            "--markdown",
            str(tmp_path / "md"),
        ]
    )
    out, err = capsys.readouterr()
    assert rc == 0
    assert "Reliability analysis" in out and "bfi44 E (Extraversion): Cronbach's alpha" in out
    assert "ipip_neo120" not in out
    assert (tmp_path / "r.html").is_file() and (tmp_path / "md" / "report.md").is_file()
    assert "data:image/png;base64," in (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "wrote" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["report", "{tmp}/missing.sqlite"], "no results file"),
        (["report", "{tmp}/text.sqlite"], "not a psychometry results file"),
        (["report", "{run}", "--instrument", "sd3"], "'sd3' is not in the results"),
        (["report", "{run}", "--run-id", "nope"], "no responses of run 'nope'"),
    ],
)
def test_cli_bad_input_is_a_one_line_error(argv, message, both_run, tmp_path, capsys):
    (tmp_path / "text.sqlite").write_text("not a database", encoding="utf-8")
    argv = [a.format(tmp=tmp_path, run=both_run) for a in argv]
    rc = main(argv)
    out, err = capsys.readouterr()
    assert rc == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("psychometry: error: ") and message in err
    assert "Traceback" not in err


def test_response_styles_use_the_chosen_options_when_the_report_analyses_expected_values(big_run):
    long = load_results(big_run)
    chosen = build_report(long, ["bfi44"], plots=False).section("bfi44/styles").body
    expected = build_report(long, ["bfi44"], plots=False, answers="expected").section("bfi44/styles").body
    assert chosen == expected


def test_a_design_with_several_option_orders_is_flagged_as_pooled(big_report):
    assert "pool the conditions" in big_report.section("data").body


def test_answers_expected_analyses_the_probability_weighted_values(big_run):
    long = load_results(big_run)
    rep = build_report(long, ["bfi44"], plots=False, answers="expected")
    assert "probability-weighted" in rep.section("data").body
    expected = long.assign(value=long["expected"])
    assert _alpha_of(expected, "bfi44", "E").summary() in rep.section("bfi44/alpha/E").body
    with pytest.raises(ReportError, match="chosen' or 'expected"):
        build_report(long, ["bfi44"], plots=False, answers="mean")


def test_the_report_uses_no_deprecated_spelling_of_the_statistics(big_run, both_run, monkeypatch):
    # docs/api.md: the package's own code uses no old spelling, also where the report records or
    # silences the statistics' warnings (attempt(), the verdicts)
    from psychometry.errors import PsychometryDeprecationWarning

    used: list[str] = []
    original = PsychometryDeprecationWarning.__init__

    def record(self, *args):
        used.append(str(args[0]) if args else "")
        original(self, *args)

    monkeypatch.setattr(PsychometryDeprecationWarning, "__init__", record)
    for run in (big_run, both_run):
        build_report(load_results(run), plots=False)
    assert not used, "\n".join(used)
