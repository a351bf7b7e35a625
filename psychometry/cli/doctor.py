"""``psychometry doctor``: check the installation before a long run (a thin layer over
:func:`psychometry.doctor.run_doctor`). Exits 1 when a check fails, i.e. when ``administer`` would."""

from __future__ import annotations

import argparse
import sys

from ..config import CPU_REPACK
from . import _args


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "doctor",
        help="check versions, the llama.cpp build, the CPU/GPU and the model before a long run",
        description="Check what a run needs: psychometry, Python and llama-cpp-python versions; the llama.cpp "
        "build and the CPU flags it uses; the weight-repacking decision (off on AMX CPUs, where "
        "llama.cpp crashes); GPU offload; the model file and its sha256; R with psych and lavaan "
        "(optional); and a smoke test that loads the model and scores one item in a child "
        "process, so that a crash is reported with a remedy. Exits 1 when a check fails.",
    )
    p.add_argument(
        "--model",
        metavar="PATH.gguf",
        default=None,
        type=_args.text,
        help="GGUF model file to check (default: Gemma 3 270M base, Q4_K_M)",
    )
    p.add_argument(
        "--cpu-repack",
        choices=CPU_REPACK,
        default=None,
        help="the weight-repacking setting to check and to run the smoke test with, as for "
        "administer (default: PSYCHOMETRY_CPU_REPACK, else auto)",
    )
    p.add_argument(
        "--no-smoke", dest="smoke", action="store_false", help="do not load the model (skip the smoke test)"
    )
    p.add_argument(
        "--timeout",
        type=_args.float_range(0, 86400, inclusive=False),
        default=300.0,
        metavar="SECONDS",
        help="seconds the smoke test may take (default 300)",
    )
    p.add_argument("--json", action="store_true", help="print the checks as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..doctor import run_doctor

    report = run_doctor(args.model, smoke=args.smoke, timeout=args.timeout, cpu_repack=args.cpu_repack)
    sys.stdout.write((report.to_json() if args.json else report.summary()) + "\n")
    return report.exit_code


if __name__ == "__main__":  # pragma: no cover
    from . import main

    sys.exit(main(["doctor", *sys.argv[1:]]))
