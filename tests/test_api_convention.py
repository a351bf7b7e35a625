"""docs/api.md, checked: one first-parameter name per kind of data, keyword-only arguments after it,
one confidence-level argument, ``*Result`` classes with to_frame(), summary() and _repr_html_()."""

from __future__ import annotations

import inspect

import pytest

import psychometry.stats as stats
from psychometry.stats._api import Result

FUNCTIONS = sorted(n for n in stats.__all__ if inspect.isfunction(getattr(stats, n)))
FIRST = {"data", "long"}
EXCEPTIONS = {"irt_from_cfa": "fit"}  # takes a fitted result (docs/api.md)
NO_DATA = {"human_priors"}  # returns a shipped table: no parameters at all (docs/api.md)
BANNED_PARAMS = {
    "alpha",
    "pvalue",
    "items",
    "items_or_R",
    "scores",
    "scores_a",
    "scores_b",
    "traits",
}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_first_parameter_is_the_data_and_the_rest_are_keyword_only(name):
    params = list(inspect.signature(getattr(stats, name)).parameters.values())
    if name in NO_DATA:
        assert not params, f"{name}: takes no parameters"
        return
    assert params[0].name == EXCEPTIONS.get(name, params[0].name if params[0].name in FIRST else "data/long")
    assert params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    positional = [
        p.name
        for p in params[1:]
        if p.kind is not inspect.Parameter.KEYWORD_ONLY and p.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    assert not positional, f"{name}: {positional} must be keyword-only"
    assert not BANNED_PARAMS & {p.name for p in params[1:]}, f"{name}: a parameter docs/api.md renamed"


def _result_classes():
    import importlib
    import pkgutil

    seen = {}
    for mod in pkgutil.walk_packages(stats.__path__, "psychometry.stats."):
        m = importlib.import_module(mod.name)
        for n, obj in vars(m).items():
            if (
                inspect.isclass(obj)
                and obj is not Result
                and obj.__module__ == m.__name__
                and (n.endswith("Result") or hasattr(obj, "to_frame"))
            ):
                seen[n] = obj
    return seen


@pytest.mark.parametrize("name", sorted(_result_classes()))
def test_result_classes_share_one_interface(name):
    cls = _result_classes()[name]
    assert name.endswith("Result"), f"{name}: result classes end in Result"
    assert issubclass(cls, Result), f"{name}: subclass psychometry.stats._api.Result"
    for method in ("to_frame", "summary", "_repr_html_"):
        assert callable(getattr(cls, method, None)), f"{name}.{method}"
        assert getattr(cls, method) is not getattr(Result, method) or method == "_repr_html_", (
            f"{name}.{method}"
        )


def test_one_name_per_shared_concept():
    # docs/api.md: pairing keys are pair_on, the confidence level is conf_level (no alpha=)
    for name in ("template_sensitivity", "order_sensitivity"):
        assert "pair_on" in inspect.signature(getattr(stats, name)).parameters, name
    for name in FUNCTIONS:
        params = inspect.signature(getattr(stats, name)).parameters
        assert "alpha" not in params and "conf_int" not in params, name
