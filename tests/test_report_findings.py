"""The report leads with its findings; HTML tables; several models side by side; persons as respondents;
behaviour prediction (issue 10).

Fake backends only (no model). What the tests pin down:

* the text report starts with the findings (a first-option model: "position habit", "not
  interpretable"), and the rest of the text report is what it was;
* the HTML report: findings first with coloured levels, a table of contents, result tables as real
  ``<table>`` s holding the same strings as the text, plots embedded, nothing fetched, no script;
* every result class of psychometry.stats has ``_repr_html_`` with the numbers of its ``summary()``;
* two models (two files, or one file) are reported per model and side by side, never pooled;
* ``respondent="persona"`` averages the prompt conditions within persona before the reliability;
* tasks and inventories given to the same persons give a behaviour-prediction section.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest
from test_report import personas_file, trait_backend

import psychometry
import psychometry.stats as st
from psychometry import Design
from psychometry.backends.fake import FakeBackend
from psychometry.cli import main
from psychometry.report import build_report
from psychometry.report.respondents import persona_level
from psychometry.stats._rhtml import summary_html


def _unit(text: str) -> float:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2.0**64


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("first") / "first.sqlite"
    psychometry.administer(
        Design(["bfi44"], orders="original,reversed"),
        model=FakeBackend(0, confidence=0.6, name="first-option"),
        out=out,
        progress=False,
    )
    return out


@pytest.fixture(scope="module")
def trait_run(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("trait")
    out = d / "trait.sqlite"
    psychometry.administer(
        Design(
            ["bfi44"],
            templates="likert-plain,likert-survey",
            orders="original,reversed",
            personas=str(personas_file(d / "p.yaml", 12)),
        ),
        model=trait_backend(["bfi44"]),
        out=out,
        progress=False,
    )
    return out


@pytest.fixture(scope="module")
def first_report(first_run):
    return build_report(psychometry.load_results(first_run), source=str(first_run))


# --------------------------------------------------------------------------------------------------
# findings first


def test_text_report_leads_with_the_findings(first_run, first_report):
    text = build_report(psychometry.load_results(first_run), source=str(first_run), plots=False).text()
    lines = text.splitlines()
    assert lines[:5] == ["psychometry report", "##################", "", "Findings", "========"]
    assert lines[5].startswith("Model first-option: 264 responses, 6 respondents")
    assert lines[6].startswith(
        "The answers are a position habit: 100% of the answers are the option shown first"
    )
    assert lines[7] == "The scale scores are not interpretable."
    # the rest of the text report is the report it was: the same sections, after the findings
    old = build_report(
        psychometry.load_results(first_run), source=str(first_run), verdicts=False, plots=False
    )
    assert text.endswith(old.text().split("\n", 2)[2])
    assert first_report.text().startswith(text.split("\nData\n", 1)[0])


def test_html_leads_with_coloured_verdicts_a_toc_and_real_tables(first_report, tmp_path):
    html = first_report.to_html(tmp_path / "r.html").read_text(encoding="utf-8")
    body = html.split("<body>", 1)[1]
    assert body.index('id="s-findings"') < body.index('<nav class="toc">') < body.index('id="s-data"')
    assert 'class="headline lv-fails"' in html and '<span class="badge fails">FAILS</span>' in html
    assert "The scale scores are not interpretable." in html
    assert html.count('<table class="rtable"') >= 20
    # the same strings as the text: psych::alpha's Feldt row of scale E
    alpha_text = first_report.section("bfi44/alpha/E").body
    feldt = next(ln for ln in alpha_text.splitlines() if ln.startswith("Feldt")).split()
    row = re.search(r"<th scope=\"row\"[^>]*>Feldt</th>(.*?)</tr>", html).group(1)
    assert re.findall(r">([^<]+)</td>", row) == feldt[1:]
    # R's p-value formatting survives into the HTML table
    assert "&lt;2e-16" in html or "&lt; 2.2e-16" in html or "< 2.2e-16" in html
    assert not re.search(r'(src|href)="(https?:)?//', html) and "<script" not in html
    assert html.count('src="data:image/png;base64,') == len(first_report.figures)
    names = {f.name for f in first_report.figures}
    assert {"bfi44-profile", "bfi44-reliability", "bfi44-positions", "bfi44-options"} <= names


def test_every_stats_result_has_repr_html_with_the_summary_numbers(first_run):
    long = psychometry.load_results(first_run)
    e = long[long.scale == "E"]
    x = st.item_matrix(e)
    scores = st.scale_scores(long).pivot_table(index="respondent", columns="scale", values="score")
    results = [
        st.alpha(x),
        st.splithalf(x),
        st.refusal_rates(long),
        st.position_bias(long),
        st.order_sensitivity(long),
        st.template_sensitivity(long),
        st.response_styles(long),
        st.compare_norms(scores[["E"]], norms={"E": (3.25, 0.9, 6076)}),
    ]
    for res in results:
        html = res._repr_html_()
        assert html.startswith("<") and ("<table" in html or "<pre" in html)
        text = res.summary()
        for token in re.findall(r"-?\d+\.\d+", text)[:40]:
            assert token in html, (type(res).__name__, token)
    classes = [
        "RefusalRatesResult",
        "TemplateSensitivityResult",
        "OrderSensitivityResult",
        "PositionBiasResult",
        "ResponseStylesResult",
        "AlphaResult",
        "SplitHalfResult",
        "ICCResult",
        "OmegaResult",
        "EFAResult",
        "ParallelAnalysisResult",
        "MTMMResult",
        "NormComparisonResult",
        "RegressionFitResult",
        "BehaviourRegressionResult",
    ]
    import psychometry.stats.factor as fa
    import psychometry.stats.omega_sl as om
    import psychometry.stats.prediction as pr
    import psychometry.stats.reliability as re_
    import psychometry.stats.robustness as ro
    import psychometry.stats.validity as va

    for name in classes:
        cls = next(getattr(m, name) for m in (fa, om, pr, re_, ro, va) if hasattr(m, name))
        assert hasattr(cls, "_repr_html_"), name


def test_summary_html_falls_back_to_the_text_when_a_table_is_reshaped():
    from psychometry.stats._rprint import format_frame

    class Odd:
        def summary(self) -> str:
            return "head " + format_frame(pd.DataFrame({"a": [1.5]}), 2)  # the table is not on its own line

    html = summary_html(Odd())
    assert "<table" not in html and "1.5" in html and "\x00" not in html


# --------------------------------------------------------------------------------------------------
# several models


def test_two_files_are_reported_per_model_side_by_side(first_run, trait_run, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc = main(["report", str(first_run), str(trait_run), "--html"])
    out, err = capsys.readouterr()
    assert rc == 0 and "wrote report.html" in err
    assert "Models side by side" in out and "first-option" in out and "trait-fake" in out
    assert "Models are never pooled" in out
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'class="verdicts side"' in html
    rep = psychometry.report.report_from_files([first_run, trait_run], plots=False)
    # each model's alpha is the alpha of that model's respondents alone
    alone = build_report(psychometry.load_results(trait_run), plots=False)
    assert rep.section("trait-fake/bfi44/alpha/E").body == alone.section("bfi44/alpha/E").body
    assert [mv.model for mv in rep.verdicts] == ["first-option", "trait-fake"]
    assert rep.section("compare/bfi44/profile").computed and rep.section("compare/bfi44/reliability").computed


def test_the_same_model_in_two_files_is_compared_not_pooled(first_run, tmp_path):
    copy = tmp_path / "again.sqlite"
    copy.write_bytes(Path(first_run).read_bytes())
    long = psychometry.report.load_files([first_run, copy])
    assert sorted(long["model"].unique()) == ["first-option [again]", "first-option [first]"]
    assert long["respondent"].nunique() == 12


# --------------------------------------------------------------------------------------------------
# respondent = persona


def test_persona_level_averages_conditions_within_persona(trait_run):
    long = psychometry.load_results(trait_run)
    p = persona_level(long)
    assert p["respondent"].nunique() == 12 and len(p) == 12 * 44
    one = long[(long.persona == "p03") & (long.item == "bfi1") & (long.status == "ok")]["value"].mean()
    assert p[(p.persona == "p03") & (p.item == "bfi1")]["value"].iloc[0] == pytest.approx(one)
    rep = build_report(long, plots=False, respondent="persona")
    assert "Respondent = persona" in rep.section("data").body
    x = st.item_matrix(p[p.scale == "E"])
    keys = sorted(set(p.loc[(p.scale == "E") & (p.keyed < 0), "item"]))
    assert st.alpha(x, keys=keys).summary() in rep.section("bfi44/alpha/E").body
    # the robustness sections still compare the conditions
    assert rep.section("bfi44/orders").computed and rep.section("bfi44/positions").computed
    assert rep.verdicts[0].respondent == "persona"


def test_cli_respondent_and_thresholds(trait_run, tmp_path, capsys):
    th = tmp_path / "th.yaml"
    th.write_text("reliability_ok: 0.999\nreliability_fails: 0.99\n", encoding="utf-8")
    rc = main(["report", str(trait_run), "--respondent", "persona", "--thresholds", str(th), "--quiet"])
    assert rc == 0
    th.write_text("nope: 1\n", encoding="utf-8")
    rc = main(["report", str(trait_run), "--thresholds", str(th)])
    _out, err = capsys.readouterr()
    assert rc == 1 and "unknown threshold" in err and err.count("\n") == 1


# --------------------------------------------------------------------------------------------------
# behaviour prediction


def _behaving_backend() -> FakeBackend:
    """Trait answers for the BFI-44 (as test_report's trait fake); in the tasks, the option chosen
    follows the persona's agreeableness, plus noise."""
    trait = trait_backend(["bfi44"])
    tasks = set()
    for tid in ("dictator", "honesty"):
        tasks |= {it.text for it in psychometry.load_instrument(tid).items}

    def choose(prompt: str, labels):
        if not any(t in prompt for t in tasks):
            return trait.choice(prompt, labels)
        persona = prompt.split("\n\n", 1)[0]
        level = _unit(persona + "A") + 0.3 * (_unit(prompt) - 0.5)
        return min(len(labels) - 1, max(0, int(level * len(labels))))

    return FakeBackend(choose, confidence=0.7, name="behaving-fake")


def test_behaviour_prediction_section_and_verdict(tmp_path):
    out = tmp_path / "beh.sqlite"
    psychometry.administer(
        Design(
            ["bfi44", "dictator", "honesty"],
            templates="likert-plain,choice-plain",
            orders="original",
            personas=str(personas_file(tmp_path / "p.yaml", 30)),
        ),
        model=_behaving_backend(),
        out=out,
        progress=False,
    )
    rep = build_report(psychometry.load_results(out))
    sec = rep.section("behaviour")
    assert sec.computed and "Call:" in sec.body and "Coefficients:" in sec.body
    assert "Pr(&gt;|t|)</th>" in sec.html  # R's coefficient table as an HTML table, same strings
    assert any(f.name == "behaviour" for f in sec.figures)
    v = rep.verdicts[0].get("behaviour")
    assert v is not None and v.level in ("ok", "caution", "fails")
    assert "behaviours predicted" in v.figure
