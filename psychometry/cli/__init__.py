"""The ``psychometry`` command: a thin layer over the Python API.

Each sub-command lives in its own module with ``register(subparsers)``; the module's handler
receives the parsed arguments and returns an exit code. User errors (``PsychometryError``)
print one line and exit 1: never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import PsychometryError

# sub-command modules, each with register(subparsers) -> None
_COMMANDS = ("instruments", "administer", "results", "report")


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="psychometry",
        description="Measure the personality of language models with human psychometrics.",
    )
    parser.add_argument("--version", action="version", version=f"psychometry {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:  # a sub-command not built yet
            if exc.name == f"{__name__}.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    try:
        return int(args.handler(args) or 0)
    except PsychometryError as exc:
        print(f"psychometry: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("psychometry: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `psychometry instruments show oejts | head`
        import os

        # Python would complain again when it flushes stdout at exit; point stdout at devnull
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
