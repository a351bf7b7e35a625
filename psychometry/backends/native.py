"""What the llama.cpp build and the CPU offer, and the loading choices that follow from it.

llama.cpp picks its code paths by CPU. One of them is fatal: on CPUs with AMX (Intel Sapphire
Rapids and later; ``/proc/cpuinfo`` flags ``amx_tile amx_int8 amx_bf16``) a build with AMX support
repacks Q4_K weights into its AMX "extra buffer type", and that matrix multiply segfaults on the
first decode (llama.cpp issue #20824). Loading the model with ``use_extra_bufts = False`` keeps the
weights in the plain CPU buffer and the same run finishes.

:func:`decide_repack` makes that choice from the build (``llama_print_system_info()``) and the CPU
flags; an explicit setting (the backend's ``cpu_repack=``, the CLI's ``--cpu-repack``, or the
environment variable ``PSYCHOMETRY_CPU_REPACK``) overrides it. The decision, with its reason, is
recorded in the run manifest (``backend_settings.cpu_repack``).

:func:`default_threads` is the number of CPU threads llama.cpp gets when none are given.

The supported llama-cpp-python range is :data:`LLAMA_CPP_PYTHON_RANGE`: the backend drives only
its documented low-level API (``llama_cpp.llama_*``), and :func:`check_llama_cpp_version` gives one
clear error outside that range.

Example
-------
>>> d = decide_repack("auto", system_info="CPU : AVX2 = 1 | AMX_INT8 = 1 |", cpu_flags=set())
>>> d.use_extra_bufts, d.value
(False, 'off')
>>> decide_repack("auto", system_info="CPU : AVX2 = 1 |", cpu_flags={"avx2"}).use_extra_bufts
True
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ModelError

__all__ = [
    "LLAMA_CPP_PYTHON_RANGE",
    "REPACK_CHOICES",
    "REPACK_ENV",
    "RepackDecision",
    "amx_reasons",
    "blas_kernels",
    "build_features",
    "check_llama_cpp_version",
    "cpu_flags",
    "decide_repack",
    "default_threads",
    "system_info",
]

#: Environment variable that overrides the automatic choice (``auto``, ``on`` or ``off``).
REPACK_ENV = "PSYCHOMETRY_CPU_REPACK"
#: ``auto``: off where AMX is compiled in or the CPU has it, on elsewhere; ``on``/``off``: forced.
REPACK_CHOICES = ("auto", "on", "off")
#: llama-cpp-python versions this package is tested against: ``(lowest, first excluded)``.
LLAMA_CPP_PYTHON_RANGE = ((0, 3, 36), (0, 4, 0))

#: CPU flags (``/proc/cpuinfo``) that llama.cpp's choice of kernels depends on.
RELEVANT_CPU_FLAGS = (
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_vnni",
    "avx512_bf16",
    "avx_vnni",
    "amx_tile",
    "amx_int8",
    "amx_bf16",
    "asimd",
    "sve",
    "i8mm",
)


@dataclass(frozen=True)
class RepackDecision:
    """Whether llama.cpp may repack weights into extra buffer types (AMX, CPU repack kernels).

    ``value``: ``"on"`` or ``"off"`` (what is done); ``requested``: ``auto``/``on``/``off``;
    ``source``: ``"option"``, ``"environment"`` or ``"default"``; ``reason``: one sentence.
    """

    use_extra_bufts: bool
    requested: str
    source: str
    reason: str

    @property
    def value(self) -> str:
        return "on" if self.use_extra_bufts else "off"

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "requested": self.requested,
            "source": self.source,
            "reason": self.reason,
        }


def default_threads() -> int:
    """Threads for llama.cpp when none are given: every core this process may use but one.

    llama.cpp's CPU threads synchronise at every layer; when one of them loses its core to
    another process the whole decode waits. Measured with Gemma 3 270M on a 2-core machine
    shared with other jobs, ``psychometry administer bfi44`` (264 prompts) did not finish in 300 s
    with 2 threads and took 60 s with 1; idle, 2 threads take 36 s. Leaving one core free costs
    little on larger machines and avoids the tenfold slow-down under load.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


def blas_kernels() -> list[dict[str, Any]]:
    """The BLAS libraries loaded in this process and the kernels they chose (threadpoolctl).

    numpy's bundled OpenBLAS picks its kernels by CPU (``architecture``: Haswell, SkylakeX, ...;
    ``OPENBLAS_CORETYPE`` overrides it), and the statistics' last bits depend on them
    (docs/performance.md, "BLAS kernels"). Each entry: ``library``, ``version``, ``architecture``,
    ``threads`` and ``coretype_env`` (the ``OPENBLAS_CORETYPE`` override, or None).
    """
    import numpy  # noqa: F401  (loads the BLAS it bundles)

    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [
        {
            "library": i.get("internal_api", ""),
            "version": i.get("version") or "",
            "architecture": i.get("architecture") or "",
            "threads": i.get("num_threads"),
            "coretype_env": os.environ.get("OPENBLAS_CORETYPE"),
        }
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    ]


def system_info() -> str:
    """``llama_cpp.llama_print_system_info()`` as text (empty if llama-cpp-python is missing)."""
    try:
        import llama_cpp
    except ImportError:
        return ""
    raw = llama_cpp.llama_print_system_info()
    return raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)


def build_features(info: str) -> dict[str, str]:
    """The ``NAME = value`` pairs of a llama.cpp system-info line.

    >>> build_features("CPU : SSE3 = 1 | AVX2 = 1 | AMX_INT8 = 1 | REPACK = 1 |")
    {'SSE3': '1', 'AVX2': '1', 'AMX_INT8': '1', 'REPACK': '1'}
    """
    return {k: v for k, v in re.findall(r"([A-Za-z0-9_]+)\s*=\s*([^|\s]+)", info)}


def cpu_flags(path: str = "/proc/cpuinfo") -> set[str]:
    """The CPU's feature flags (Linux ``flags`` / ``Features`` line); empty where unreadable."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() in ("flags", "Features"):
                    return set(value.split())
    except OSError:
        pass
    return set()


def amx_reasons(info: str, flags: set[str]) -> list[str]:
    """Why the AMX path may be taken: the build reports AMX, or the CPU has it (a build that
    selects its CPU variant at run time may report the variant only after loading)."""
    why = []
    feats = build_features(info)
    amx_build = sorted(k for k, v in feats.items() if k.startswith("AMX") and v not in ("0", ""))
    if amx_build:
        why.append(f"llama.cpp reports {', '.join(f'{k} = 1' for k in amx_build)}")
    amx_cpu = sorted(f for f in flags if f.startswith("amx"))
    if amx_cpu:
        why.append(f"the CPU has {' '.join(amx_cpu)}")
    return why


def decide_repack(
    requested: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    system_info: str | None = None,
    cpu_flags: set[str] | None = None,
) -> RepackDecision:
    """Decide ``use_extra_bufts`` for loading a model.

    Precedence: ``requested`` (``on``/``off``/``auto``; ``None`` = not given), then the
    environment variable :data:`REPACK_ENV`, then ``auto``. ``auto`` turns repacking off where
    :func:`amx_reasons` finds AMX (the crash), on elsewhere (the faster kernels). ``system_info``
    and ``cpu_flags`` default to this machine's. A value outside :data:`REPACK_CHOICES` raises
    :class:`~psychometry.errors.ModelError` naming where it came from.
    """
    env = os.environ if environ is None else environ
    if requested is not None:
        source, value = "option", str(requested).strip().lower()
        where = "cpu_repack (--cpu-repack)"
    elif env.get(REPACK_ENV, "").strip():
        source, value = "environment", env[REPACK_ENV].strip().lower()
        where = f"environment variable {REPACK_ENV}"
    else:
        source, value, where = "default", "auto", ""
    if value not in REPACK_CHOICES:
        raise ModelError(f"{where} must be one of {', '.join(REPACK_CHOICES)}, not {value!r}")
    if value == "on":
        return RepackDecision(True, value, source, "weight repacking forced on")
    if value == "off":
        return RepackDecision(False, value, source, "weight repacking forced off")
    info = _system_info_text() if system_info is None else system_info
    flags = _cpu_flags_set() if cpu_flags is None else cpu_flags
    why = amx_reasons(info, flags)
    if why:
        return RepackDecision(
            False,
            value,
            source,
            f"off: {' and '.join(why)}; llama.cpp's AMX repacked matmul crashes (llama.cpp #20824)",
        )
    return RepackDecision(True, value, source, "on: no AMX in the llama.cpp build or the CPU")


# module-level aliases so that decide_repack's keyword names can shadow the functions
_system_info_text = system_info
_cpu_flags_set = cpu_flags


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in re.split(r"[.+-]", text):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts)


def check_llama_cpp_version(version: str | None = None) -> str:
    """Return the llama-cpp-python version, or raise :class:`~psychometry.errors.ModelError` with
    the supported range and the remedy when the installed one is outside it.

    >>> check_llama_cpp_version("0.3.36")
    '0.3.36'
    """
    if version is None:
        try:
            import llama_cpp
        except ImportError:
            raise ModelError(
                "llama-cpp-python is not installed: pip install 'llama-cpp-python>=0.3.36,<0.4'"
            ) from None
        version = str(getattr(llama_cpp, "__version__", ""))
    lo, hi = LLAMA_CPP_PYTHON_RANGE
    v = _version_tuple(version)
    if not v or not (lo <= v < hi):
        want = f">={'.'.join(map(str, lo))},<{'.'.join(map(str, hi[:2]))}"
        raise ModelError(
            f"llama-cpp-python {version or '(unknown version)'} is outside the supported range {want}: "
            f"pip install 'llama-cpp-python{want}'"
        )
    return version
