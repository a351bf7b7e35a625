"""The result of a single-group CFA (:class:`CFAResult`) and lavaan's printed parameter blocks
(:func:`parameter_blocks`), shared by the ML and WLSMV (``OrdinalCFAResult``) summaries."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from psychometry.stats._api import Result

__all__ = ["CFAResult", "parameter_blocks"]

_COLUMNS = ("Estimate", "Std.Err", "z-value", "P(>|z|)", "Std.lv", "Std.all")


def parameter_blocks(
    est: pd.DataFrame, model: Mapping[str, Sequence[str]], *, blank_fixed: bool
) -> list[str]:
    """lavaan's "Parameter Estimates" blocks of ``summary(fit, standardized = TRUE)``: Latent Variables,
    Covariances, Thresholds and Variances (a block without rows is left out), each row with Estimate,
    Std.Err, z-value, P(>|z|), Std.lv and Std.all (3 decimals; NaN blank). ``blank_fixed`` leaves the
    Std.Err, z-value and P(>|z|) of fixed parameters (se not > 0) blank, as lavaan prints WLSMV fits."""
    header = "".join(h.rjust(9) for h in _COLUMNS)

    def cells(r: pd.Series) -> str:
        vals = [r["estimate"], r["se"], r["statistic"], r["p"], r["std_lv"], r["std_all"]]
        fixed = blank_fixed and not (r["se"] > 0)
        return "".join(
            ("" if (fixed and k in (1, 2, 3)) or v is None or math.isnan(v) else f"{v:.3f}").rjust(9)
            for k, v in enumerate(vals)
        )

    lines: list[str] = []

    def block(title: str, rows: pd.DataFrame, kind: str) -> None:
        if rows.empty:
            return
        lines.extend(["", f"{title}:", " " * 18 + header])
        if kind == "grouped":
            for lhs, sub in rows.groupby("lhs", sort=False):
                op = sub["op"].iloc[0]
                lines.append(f"  {lhs} {op}")
                for _, r in sub.iterrows():
                    lines.append(f"    {r['rhs']:<14}" + cells(r))
        elif kind == "thresholds":
            for _, r in rows.iterrows():
                lines.append(f"    {r['lhs'] + '|' + r['rhs']:<14}" + cells(r))
        else:
            for _, r in rows.iterrows():
                name = ("." if r["lhs"] not in model else " ") + str(r["lhs"])
                lines.append(f"   {name:<15}" + cells(r))

    block("Latent Variables", est[est["op"] == "=~"], "grouped")
    block("Covariances", est[(est["op"] == "~~") & (est["lhs"] != est["rhs"])], "grouped")
    block("Thresholds", est[est["op"] == "|"], "thresholds")
    block("Variances", est[(est["op"] == "~~") & (est["lhs"] == est["rhs"])], "variances")
    return lines


@dataclass(frozen=True, eq=False)
class CFAResult(Result):
    """Result of :func:`cfa`.

    Attributes
    ----------
    fit : dict of lavaan's fit measures (keys as ``fitMeasures``: npar, chisq, df, pvalue,
        baseline.chisq, baseline.df, baseline.pvalue, cfi, tli, logl, unrestricted.logl, aic, bic,
        bic2, rmsea, rmsea.ci.lower, rmsea.ci.upper, rmsea.pvalue, rmsea.notclose.pvalue, srmr, ntotal);
        also attributes with ``_`` for ``.`` (``res.cfi``, ``res.rmsea_ci_lower``).
    parameters : DataFrame like ``parameterEstimates(fit, standardized = TRUE)`` in the column
        vocabulary of docs/api.md: lhs, op, rhs, estimate, se, statistic (z), p, std_lv, std_all
        (fixed parameters have NaN se/statistic/p).
    model : the parsed model {factor: [items]}.
    implied, sample : model-implied and sample (N divisor) covariance matrices.
    n : the number of observations (rows) the fit uses.
    iterations, converged : optimiser iterations; whether g'H^-1 g / 2 < 1e-14 was reached.
    warnings : lavaan-like warnings (non-convergence, negative residual variances, factor
        covariance matrix not positive definite); also issued as RuntimeWarning.
    """

    fit: dict[str, float]
    parameters: pd.DataFrame
    model: dict[str, list[str]]
    implied: pd.DataFrame
    sample: pd.DataFrame
    n: int
    iterations: int
    converged: bool
    warnings: tuple[str, ...] = ()

    def __getattr__(self, name: str) -> Any:
        # res.cfi, res.rmsea ... as attributes (fit-measure names with '.' -> '_')
        fit = self.__dict__.get("fit")
        if fit is not None and not name.startswith("_"):
            key = name.replace("_", ".")
            if key in fit:
                return fit[key]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def to_frame(self) -> pd.DataFrame:
        """The parameter table (``parameterEstimates(fit, standardized = TRUE)``) with the columns
        lhs, op, rhs, estimate, se, statistic, p, std_lv, std_all."""
        return self.parameters.copy()

    def fit_frame(self) -> pd.DataFrame:
        """The fit measures as a one-column DataFrame."""
        return pd.DataFrame({"value": self.fit})

    def summary(self) -> str:
        """Printed like ``summary(fit, fit.measures = TRUE, standardized = TRUE)`` in lavaan 0.6."""
        f = self.fit

        def row(label: str, value: str, indent: int = 2) -> str:
            return " " * indent + label + value.rjust(54 - indent - len(label))

        def num(x: float, d: int = 3) -> str:
            return f"{x:.{d}f}"

        lines = [
            f"psychometry cfa {'ended normally' if self.converged else 'did NOT converge'} "
            f"after {self.iterations} iterations",
            "",
            row("Estimator", "ML"),
            row("Optimization method", "NEWTON/FISHER"),
            row("Number of model parameters", str(int(f["npar"]))),
            "",
            row("Number of observations", str(self.n)),
            "",
            "Model Test User Model:",
            "",
            row("Test statistic", num(f["chisq"])),
            row("Degrees of freedom", str(int(f["df"]))),
            row("P-value (Chi-square)", num(f["pvalue"])),
            "",
            "Model Test Baseline Model:",
            "",
            row("Test statistic", num(f["baseline.chisq"])),
            row("Degrees of freedom", str(int(f["baseline.df"]))),
            row("P-value", num(f["baseline.pvalue"])),
            "",
            "User Model versus Baseline Model:",
            "",
            row("Comparative Fit Index (CFI)", num(f["cfi"])),
            row("Tucker-Lewis Index (TLI)", num(f["tli"])),
            "",
            "Loglikelihood and Information Criteria:",
            "",
            row("Loglikelihood user model (H0)", num(f["logl"])),
            row("Loglikelihood unrestricted model (H1)", num(f["unrestricted.logl"])),
            "",
            row("Akaike (AIC)", num(f["aic"])),
            row("Bayesian (BIC)", num(f["bic"])),
            row("Sample-size adjusted Bayesian (SABIC)", num(f["bic2"])),
            "",
            "Root Mean Square Error of Approximation:",
            "",
            row("RMSEA", num(f["rmsea"])),
            row("90 Percent confidence interval - lower", num(f["rmsea.ci.lower"])),
            row("90 Percent confidence interval - upper", num(f["rmsea.ci.upper"])),
            row("P-value H_0: RMSEA <= 0.050", num(f["rmsea.pvalue"])),
            row("P-value H_0: RMSEA >= 0.080", num(f["rmsea.notclose.pvalue"])),
            "",
            "Standardized Root Mean Square Residual:",
            "",
            row("SRMR", num(f["srmr"])),
            "",
            "Parameter Estimates:",
            "",
            row("Standard errors", "Standard"),
            row("Information", "Expected"),
            row("Information saturated (h1) model", "Structured"),
        ]
        lines += parameter_blocks(self.parameters, self.model, blank_fixed=False)
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.summary()
