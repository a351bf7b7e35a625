"""psychometry.stats.mixed_model against lme4::lmer + lmerTest (tests/reference/mixed.R).

What equals R:

* fixed effects, standard errors, t, the Satterthwaite df (lmerTest), p, intervals, variance
  components, theta, logLik, AIC and BIC, REML and ML, to 1e-4 relative (absolute 1e-6 for logLik,
  AIC, BIC) where lme4's default optimiser reaches the minimum (random intercepts, the boundary
  fit) and against lme4 with tight optimiser tolerances for the random-slope models;
* with lme4's default tolerances the random-slope fits differ by up to 2e-4 relative in the
  variance components (lme4 stops early: our logLik is higher by up to 1.3e-8), checked at 1e-3;
* the singular (boundary) fit: theta = 0, ``singular``, lme4's message;
* ``summary()``: lmerTest's print, line for line, where the numbers agree at the printed digits.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from vocabulary import check_frame

import psychometry.stats as s
from psychometry.errors import StatsInputError
from psychometry.stats import mixed
from psychometry.stats.mixed import SINGULAR_MESSAGE, MixedModelResult, mixed_model

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
COMMITTED = json.loads((ROOT / "tests" / "reference" / "mixed.json").read_text())

FRAMES = {
    "sleepstudy": pd.read_csv(DATA / "sleepstudy.csv"),
    "rounds": pd.read_csv(DATA / "behaviour_rounds.csv"),
    "boundary": pd.read_csv(DATA / "behaviour_boundary.csv"),
}
SPEC = {  # case -> (data, formula, groups, re_formula)
    "sleep_intercept": ("sleepstudy", "Reaction ~ Days", "Subject", None),
    "sleep_slope": ("sleepstudy", "Reaction ~ Days", "Subject", "~Days"),
    "rounds_intercept": ("rounds", "giving ~ trait + round", "persona", None),
    "rounds_slope": ("rounds", "giving ~ trait + round", "persona", "~round"),
    "boundary": ("boundary", "y ~ x", "persona", None),
}
#: lme4's default optimiser stops short of the minimum on these (see the module docstring)
LOOSE = {"sleep_slope_reml", "sleep_slope_ml", "rounds_slope_reml", "rounds_slope_ml"}
PRINT_EQUAL = {
    "sleep_intercept_reml",
    "rounds_intercept_reml",
    "rounds_intercept_ml",
    "boundary_reml",
    "boundary_ml",
}

_CACHE: dict[str, MixedModelResult] = {}


def fit(name: str) -> MixedModelResult:
    if name not in _CACHE:
        base = name.replace("_tight", "")
        base, method = base.rsplit("_", 1)
        data, formula, groups, re_formula = SPEC[base]
        with pytest.warns(UserWarning) if base == "boundary" else _nothing():
            _CACHE[name] = mixed_model(
                FRAMES[data], formula=formula, groups=groups, re_formula=re_formula, reml=method == "reml"
            )
    return _CACHE[name]


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def compare(res: MixedModelResult, case: dict, name: str) -> dict[str, float]:
    """Assert equality to lme4 and return the largest |difference| per quantity."""
    rtol = 1e-3 if name in LOOSE else 1e-4
    co = res.coefficients
    diffs = {}
    for key, col in (("estimate", "estimate"), ("se", "se"), ("df", "df"), ("t", "t"), ("ci_low", "ci_low"),
                     ("ci_high", "ci_high"), ("p", "p")):  # fmt: skip
        want = np.array(list(case[key].values()))
        assert list(co.index) == list(case[key]), key
        # relative to the column's scale (an interval end near 0 has no relative precision)
        # p: 1e-3 relative (a tail probability magnifies the 1e-5 relative differences of t)
        atol = rtol * float(np.max(np.abs(want))) if key != "p" else 1e-10
        tol = rtol if key != "p" else 1e-3
        np.testing.assert_allclose(co[col].to_numpy(), want, rtol=tol, atol=atol, err_msg=key)
        diffs[key] = float(np.max(np.abs(co[col].to_numpy() - want)))
    vc = res.variance_components
    np.testing.assert_allclose(vc["variance"], case["varcor"]["vcov"], rtol=rtol, atol=1e-8)
    np.testing.assert_allclose(vc["sd"], case["varcor"]["sdcor"], rtol=rtol, atol=1e-6)
    assert list(vc["grp"]) == case["varcor"]["grp"] and list(vc["var1"]) == case["varcor"]["var1"]
    assert list(vc["var2"]) == case["varcor"]["var2"]
    np.testing.assert_allclose(res.theta, case["theta"], rtol=rtol, atol=1e-6)
    assert res.sigma == pytest.approx(case["sigma"], rel=rtol)
    for attr, key in (("loglik", "loglik"), ("aic", "AIC"), ("bic", "BIC"), ("deviance", "deviance_crit")):
        assert getattr(res, attr) == pytest.approx(case[key], abs=1e-6 if name not in LOOSE else 1e-7 * 1e3)
        diffs[attr] = abs(getattr(res, attr) - case[key])
    diffs["variance"] = float(np.max(np.abs(vc["variance"] - case["varcor"]["vcov"])))
    assert res.singular == case["singular"] and res.n == case["nobs"] and res.n_groups == case["ngrps"]
    np.testing.assert_allclose(
        np.quantile(res.scaled_residuals, [0, 0.25, 0.5, 0.75, 1]),
        case["scaled_residuals"],
        rtol=rtol,
        atol=1e-5,
    )
    return diffs


@pytest.mark.parametrize("name", sorted(COMMITTED["cases"]))
def test_mixed_model_equals_lme4_lmertest(name):
    compare(fit(name), COMMITTED["cases"][name], name)


def _printed(lines, terms):
    """The printed lines but the data name, the optimiser line and each coefficient row's df (the
    numerical Satterthwaite df agree to 1e-5 relative, not always at the printed 6 digits)."""
    out = []
    for ln in lines:
        if ln.startswith(("   Data:", "Control:", "optimizer (")):
            continue
        if ln.split(" ")[0] in terms:
            parts = ln.split()
            ln = " ".join(parts[:3] + parts[4:])
        out.append(ln)
    while out and out[-1] == "":
        out.pop()
    return out


@pytest.mark.parametrize("name", sorted(PRINT_EQUAL))
def test_summary_prints_as_lmertest(name):
    terms = set(COMMITTED["cases"][name]["estimate"])
    want = _printed(COMMITTED["cases"][name]["printed"], terms)
    assert _printed(fit(name).summary().split("\n"), terms) == want


def test_the_singular_fit_is_reported_as_lme4_reports_it():
    res = fit("boundary_reml")
    assert res.singular and res.theta.tolist() == [0.0] and res.messages == (SINGULAR_MESSAGE,)
    assert COMMITTED["cases"]["boundary_reml"]["singular_message"] == SINGULAR_MESSAGE
    assert res.summary().rstrip("\n").endswith(SINGULAR_MESSAGE)
    assert not fit("sleep_intercept_reml").singular


def test_result_follows_the_api_convention():
    res = fit("sleep_slope_reml")
    f = check_frame(res.to_frame())
    assert list(f.columns) == ["term", "estimate", "se", "df", "statistic", "p", "ci_low", "ci_high"]
    assert "<table" in res._repr_html_()
    assert s.mixed_model is mixed_model
    assert res.formula == "Reaction ~ Days + (Days | Subject)"


def test_conf_level_changes_the_interval():
    d = FRAMES["rounds"]
    r90 = mixed_model(d, formula="giving ~ trait", groups="persona", conf_level=0.90)
    r95 = mixed_model(d, formula="giving ~ trait", groups="persona")
    assert (r90.coefficients["ci_high"] < r95.coefficients["ci_high"]).all()


def test_bad_input_is_one_line_naming_the_argument():
    d = FRAMES["rounds"]
    with pytest.raises(StatsInputError, match=r"formula names 'nope', which is not a column"):
        mixed_model(d, formula="giving ~ nope", groups="persona")
    with pytest.raises(StatsInputError, match=r"re_formula names 'zz'"):
        mixed_model(d, formula="giving ~ trait", groups="persona", re_formula="~zz")
    with pytest.raises(StatsInputError, match=r"groups 'who' is not a column"):
        mixed_model(d, formula="giving ~ trait", groups="who")
    with pytest.raises(StatsInputError, match=r"groups 'persona' has 1 group"):
        mixed_model(d[d["persona"] == "p01"], formula="giving ~ round", groups="persona")
    one_each = d.groupby("persona", as_index=False).first()  # lme4: "number of levels ... must be <"
    with pytest.raises(StatsInputError, match=r"groups 'persona' has \d+ groups for \d+ observations"):
        mixed_model(one_each, formula="giving ~ trait", groups="persona")
    with pytest.raises(StatsInputError, match=r"predictor\(s\) const do not vary"):
        mixed_model(d.assign(const=1.0), formula="giving ~ trait + const", groups="persona")
    with pytest.raises(StatsInputError, match="conf_level"):
        mixed_model(d, formula="giving ~ trait", groups="persona", conf_level=95)


def test_a_failure_to_converge_names_the_optimiser_message(monkeypatch):
    real = mixed.optimize.minimize

    def stuck(fun, x0, **kw):
        res = real(fun, x0, **{**kw, "options": {"maxiter": 0}})
        res.x = np.asarray(x0) * 0 + 3.0  # far from the minimum
        res.fun = fun(res.x)
        res.message = "STOP: TOTAL NO. of ITERATIONS REACHED LIMIT"
        return res

    monkeypatch.setattr(mixed.optimize, "minimize", stuck)
    with pytest.raises(StatsInputError, match=r"did not converge \(L-BFGS-B: STOP: TOTAL NO. of ITERATIONS"):
        mixed_model(FRAMES["sleepstudy"], formula="Reaction ~ Days", groups="Subject")


# --- live R -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live(r_reference):
    return r_reference("mixed")


@pytest.mark.r
@pytest.mark.parametrize("name", sorted(COMMITTED["cases"]))
def test_mixed_model_equals_lme4_live(live, name):
    compare(fit(name), live["cases"][name], name)


@pytest.mark.r
def test_committed_reference_is_what_the_r_script_writes(live):
    for name, case in COMMITTED["cases"].items():
        assert live["cases"][name]["printed"] == case["printed"], name
        np.testing.assert_allclose(
            list(live["cases"][name]["estimate"].values()), list(case["estimate"].values())
        )
