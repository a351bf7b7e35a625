"""The verdicts' cut-offs: :class:`VerdictThresholds` (the defaults), :data:`THRESHOLD_SOURCES` (where each
default comes from; docs/report.md has the references) and :func:`load_thresholds` (your own, from a
YAML file of ``{name: value}``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from .errors import ReportError

__all__ = ["THRESHOLD_SOURCES", "VerdictThresholds", "load_thresholds"]


@dataclass(frozen=True)
class VerdictThresholds:
    """The cut-offs of the verdicts (see :data:`THRESHOLD_SOURCES` for where each comes from).

    Shares are proportions (0-1); effect sizes are absolute values. Change any of them with
    ``replace(VerdictThresholds(), reliability_ok=0.8)`` or a YAML file (:func:`load_thresholds`)."""

    nonanswer_caution: float = 0.05
    nonanswer_fails: float = 0.50
    label_mass_caution: float = 0.50
    label_mass_fails: float = 0.10
    position_caution: float = 0.50
    position_fails: float = 0.80
    order_dz_caution: float = 0.5
    order_dz_fails: float = 0.8
    template_w_caution: float = 0.3
    template_w_fails: float = 0.5
    shift_negligible: float = 0.05
    shift_fails: float = 0.10
    p_value: float = 0.05
    content_share_ok: float = 0.10
    reliability_ok: float = 0.70
    reliability_fails: float = 0.50
    convergent_ok: float = 0.50
    convergent_fails: float = 0.30
    norm_d_caution: float = 0.5
    norm_d_fails: float = 1.2
    behaviour_r2_ok: float = 0.13
    direction_share_ok: float = 0.50
    direction_share_fails: float = 0.50
    invariance_delta_cfi: float = 0.010
    invariance_delta_rmsea: float = 0.015

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(float(v)) or v < 0:
                raise ReportError(f"verdict threshold {f.name} must be a number >= 0, got {v!r}")


#: Where each default threshold comes from.
THRESHOLD_SOURCES: dict[str, str] = {
    "nonanswer_caution": "share of prompts refused or unparsed; 5% is this package's convention",
    "nonanswer_fails": "half the prompts without a usable answer: this package's convention",
    "label_mass_caution": "probability mass on the option labels (logprob mode); below .50 most of the next-token "
    "probability is elsewhere (convention; cf. Dominguez-Olmedo et al. 2024, NeurIPS, on "
    "answers read from label probabilities)",
    "label_mass_fails": "below .10 the labels are not what the model would say (convention)",
    "position_caution": "share of answers at the same shown position under every option order (selection bias: "
    "Zheng et al. 2024, ICLR; Pezeshkpour & Hruschka 2024, NAACL Findings); .50 is our "
    "convention (2.5 times chance with 5 options)",
    "position_fails": ".80 at one position in every order: the answers do not follow content (convention)",
    "order_dz_caution": "Cohen's d_z of the paired original-vs-reversed scale scores; .5 = medium (Cohen 1988)",
    "order_dz_fails": ".8 = large (Cohen 1988)",
    "template_w_caution": "Kendall's W of the Friedman test across templates; .3 = moderate (Cohen 1988 conventions "
    "as applied to W by Tomczak & Tomczak 2014)",
    "template_w_fails": ".5 = large (Tomczak & Tomczak 2014)",
    "shift_negligible": "a shift below 5% of the scale range (0.2 points on 1-5) is negligible whatever its test "
    "(this package's convention)",
    "shift_fails": "a shift of 10% of the scale range (0.4 points on 1-5) or more can fail (convention)",
    "p_value": "significance level of the paired tests and of the content-signal permutation test (Fisher's .05)",
    "content_share_ok": "content signal: forward- and reverse-keyed items of a scale answered apart by a tenth of the "
    "scale range or more (0.4 points on 1-5; the same cut-off as shift_fails, this package's convention); a "
    "significant smaller separation is a weak signal (caution). The test: keying labels permuted within scales "
    "(Good 2005, Permutation, parametric and bootstrap tests of hypotheses; Phipson & Smyth 2010)",
    "reliability_ok": "alpha / omega .70 for research use (Nunnally 1978, Psychometric Theory, 2nd ed.)",
    "reliability_fails": "below .50 unacceptable (George & Mallery 2003)",
    "convergent_ok": "mean convergent r .50, and each convergent r larger than its heterotrait correlations "
    "(Campbell & Fiske 1959); Carlson & Herdman (2012) ask for .70 before measures are "
    "interchangeable",
    "convergent_fails": "mean convergent r below .30 (Campbell & Fiske 1959: convergent correlations must be "
    "'sufficiently large'; .30 is our convention)",
    "norm_d_caution": "Cohen's d of model vs human norm; .5 = medium (Cohen 1988)",
    "norm_d_fails": "1.2 = very large (Sawilowsky 2009)",
    "behaviour_r2_ok": "R-squared .13 = medium (Cohen 1988, f2 = .15)",
    "direction_share_ok": "share of trait-behaviour associations in the human direction: chance is .50 (Han et al. "
    "2025, The personality illusion, test the share against 50%); ok when the Clopper-Pearson 95% CI "
    "(Clopper & Pearson 1934; R's binom.test) lies above it",
    "direction_share_fails": "fails when the share's Clopper-Pearson 95% CI lies below .50: the associations "
    "run against the human direction (Han et al. 2025; Clopper & Pearson 1934)",
    "invariance_delta_cfi": "measurement invariance holds at a level (metric, scalar) when CFI drops by at most .010 "
    "from the previous level (Chen 2007, Structural Equation Modeling 14, 464-504)",
    "invariance_delta_rmsea": "measurement invariance at a level also needs RMSEA to rise by at most .015 from the "
    "previous level (Chen 2007); Chen's SRMR criterion is not used",
}


def load_thresholds(path: str | Path | None) -> VerdictThresholds:
    """Thresholds from a YAML mapping ``{name: value}`` (unnamed ones keep their defaults)."""
    if path is None:
        return VerdictThresholds()
    import yaml

    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"--thresholds: cannot read {p}: {exc.strerror or exc}") from None
    except ValueError as exc:  # not UTF-8, a NUL byte in the name
        raise ReportError(
            f"--thresholds: cannot read {str(p)!r}: {' '.join(str(exc).split())[:120]}"
        ) from None
    except yaml.YAMLError as exc:
        raise ReportError(
            f"--thresholds: {p} is not valid YAML: {' '.join(str(exc).split())[:200]}"
        ) from None
    if data is None:
        raise ReportError(
            f"--thresholds: {p} is empty; give threshold names and values, e.g. reliability_ok: 0.8"
        )
    if not isinstance(data, Mapping):
        raise ReportError(f"--thresholds: {p} must hold a mapping of threshold names to numbers")
    names = [f.name for f in fields(VerdictThresholds)]
    unknown = [str(k) for k in data if k not in names]
    if unknown:
        raise ReportError(
            f"--thresholds: unknown threshold(s) {', '.join(unknown)} in {p} (known: {', '.join(names)})"
        )
    return replace(VerdictThresholds(), **{str(k): v for k, v in data.items()})
