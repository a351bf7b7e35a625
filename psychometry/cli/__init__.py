"""The ``psychometry`` command: a thin layer over the Python API.

Each sub-command lives in its own module with ``register(subparsers)``; the module's handler
receives the parsed arguments and returns an exit code. User errors (``PsychometryError``)
print one line and exit 1: never a traceback. Every flag's value is checked by a type from
:mod:`psychometry.cli._args` (a bad value: argparse's usage error, exit 2; a bad file: one line,
exit 1). Anything else that escapes a command is a bug: ``main`` prints one line
``psychometry: internal error: ...`` and exits 70 (``PSYCHOMETRY_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from ..errors import PsychometryError

# sub-command modules, each with register(subparsers) -> None
_COMMANDS = ("instruments", "administer", "results", "report", "doctor")

#: exit status of an unexpected error (``EX_SOFTWARE`` of sysexits.h)
EXIT_INTERNAL = 70
#: set to 1 to let unexpected errors end in a traceback (for debugging and bug reports)
DEBUG_ENV = "PSYCHOMETRY_DEBUG"


def build_parser() -> argparse.ArgumentParser:
    from .._version import __version__
    from ._args import Parser

    parser = Parser(
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
    try:
        return _main(argv)
    except (SystemExit, KeyboardInterrupt):
        raise
    except Exception as exc:  # the last line of defence: a bug, reported in one line
        if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            raise
        msg = " ".join(str(exc).split())
        if len(msg) > 300:
            msg = msg[:297] + "..."
        print(
            f"psychometry: internal error: {type(exc).__name__}: {msg} (please report this bug with the "
            f"command; {DEBUG_ENV}=1 shows the traceback)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except PsychometryError as exc:  # a file named on the command line cannot be used (_args)
        print(f"psychometry: error: {exc}", file=sys.stderr)
        return 1
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
