"""Argument types shared by the sub-commands: every value is checked where it is parsed.

A bad number, word or string is an ``argparse.ArgumentTypeError``: argparse prints the usage and
``psychometry CMD: error: argument --FLAG: must be ...`` and exits 2. A bad *file* (missing, a
directory, not UTF-8 text, not a GGUF or SQLite file) is an :class:`ArgumentFileError`, a
:class:`~psychometry.errors.PsychometryError`: :class:`Parser` prefixes it with the argument's name
and :func:`psychometry.cli.main` prints it as one line ``psychometry: error: argument --FLAG: ...``
and exits 1, as for every other problem with the user's files.

Each type is a small callable object whose attributes (``kind``, ``minimum``, ``maximum``...) say
what it accepts; ``tests/test_cli_fuzz.py`` reads them to generate bad values for every flag.

>>> positive_int("3")
3
>>> int_at_least(64)("16")
Traceback (most recent call last):
argparse.ArgumentTypeError: must be an integer from 64 to 2147483647, not '16'
>>> float_range(0)("nan")
Traceback (most recent call last):
argparse.ArgumentTypeError: must be a finite number >= 0, not 'nan'
"""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import PsychometryError

__all__ = [
    "ArgumentFileError",
    "FloatRange",
    "InputFile",
    "InstrumentRef",
    "IntRange",
    "ModelFile",
    "OutputDir",
    "OutputFile",
    "Parser",
    "ResultsFile",
    "Text",
    "existing_file",
    "float_range",
    "int_at_least",
    "int_range",
    "positive_int",
    "seed",
    "text",
    "threads",
]

#: llama.cpp takes its sizes as C ``int32``: larger values would overflow there.
INT32_MAX = 2**31 - 1
_INT_RE = re.compile(r"[+-]?[0-9]+")
_MAX_DIGITS = 30  # int() of a longer string is slow (or refused by Python's digit limit)


class ArgumentFileError(PsychometryError):
    """A command-line argument names a file that cannot be used (exit 1, one line)."""


def _flag(action: argparse.Action) -> str:
    if action.option_strings:
        return "/".join(action.option_strings)
    return str(action.metavar or action.dest)


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose file checks name the argument: an :class:`ArgumentFileError`
    raised by a type becomes ``argument --FLAG: message`` (still an ArgumentFileError). Sub-parsers
    made with ``add_subparsers`` are of the same class."""

    def _get_value(self, action: argparse.Action, arg_string: str) -> Any:
        try:
            return super()._get_value(action, arg_string)
        except ArgumentFileError as exc:
            raise ArgumentFileError(f"argument {_flag(action)}: {exc}") from None


class _ArgType:
    """Base of the argument types: a callable with a readable name (argparse shows it in errors)."""

    kind = "str"

    @property
    def __name__(self) -> str:  # argparse uses the type's __name__ in its own messages
        cls: type = type(self)  # typed as `type`: the class name, not this property (what mypy saw)
        return cls.__name__

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.allowed()})"

    def allowed(self) -> str:  # pragma: no cover - overridden
        return "a value"

    def fail(self, text: str, why: str | None = None) -> argparse.ArgumentTypeError:
        return argparse.ArgumentTypeError(
            f"must be {self.allowed()}, not {_show(text)}" + (f" ({why})" if why else "")
        )


def _show(text: str) -> str:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return repr(shown)


#: the longest file name and path the operating system takes (Linux NAME_MAX and PATH_MAX)
NAME_MAX, PATH_MAX = 255, 4095


def _plain(text: str) -> str | None:
    """Why ``text`` cannot be used at all (empty, NUL byte, not UTF-8, or a part too long to be a
    file name: values are often comma-separated lists of ids or files), or None."""
    if "\x00" in text:
        return "it contains a NUL byte"
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:
        return "it is not valid UTF-8"
    if not text.strip():
        return "it is empty"
    if len(raw) > PATH_MAX:
        return f"longer than {PATH_MAX} bytes"
    if any(len(part) > NAME_MAX for part in re.split(rb"[/,]", raw)):
        return f"a name in it is longer than {NAME_MAX} bytes"
    return None


class IntRange(_ArgType):
    """An integer in ``[minimum, maximum]``; ``words`` maps accepted words (``auto``) to values."""

    kind = "int"

    def __init__(
        self,
        minimum: int | None = None,
        maximum: int | None = INT32_MAX,
        *,
        words: Mapping[str, Any] | None = None,
    ) -> None:
        self.minimum, self.maximum = minimum, maximum
        self.words = dict(words or {})

    def allowed(self) -> str:
        lo, hi = self.minimum, self.maximum
        if lo is not None and hi is not None:
            what = f"an integer from {lo} to {hi}"
        elif lo is not None:
            what = f"an integer >= {lo}"
        elif hi is not None:
            what = f"an integer <= {hi}"
        else:
            what = "an integer"
        if self.words:
            what += " or " + " or ".join(repr(w) for w in self.words)
        return what

    def __call__(self, text: str) -> Any:
        t = text.strip()
        if t.lower() in self.words:
            return self.words[t.lower()]
        if not _INT_RE.fullmatch(t):
            raise self.fail(text)
        if len(t.lstrip("+-")) > _MAX_DIGITS:
            raise self.fail(text, "far too large")
        value = int(t)
        if (self.minimum is not None and value < self.minimum) or (
            self.maximum is not None and value > self.maximum
        ):
            raise self.fail(text)
        return value


class FloatRange(_ArgType):
    """A finite number in ``[minimum, maximum]`` (``inclusive=False``: the minimum excluded)."""

    kind = "float"

    def __init__(
        self, minimum: float | None = None, maximum: float | None = None, *, inclusive: bool = True
    ) -> None:
        self.minimum, self.maximum, self.inclusive = minimum, maximum, inclusive

    def allowed(self) -> str:
        lo, hi = self.minimum, self.maximum
        op = ">=" if self.inclusive else ">"
        if lo is not None and hi is not None:
            return (
                f"a finite number from {lo:g} to {hi:g}"
                if self.inclusive
                else f"a finite number {op} {lo:g} and <= {hi:g}"
            )
        if lo is not None:
            return f"a finite number {op} {lo:g}"
        if hi is not None:
            return f"a finite number <= {hi:g}"
        return "a finite number"

    def __call__(self, text: str) -> float:
        t = text.strip()
        if len(t) > 100:
            raise self.fail(text)
        try:
            value = float(t)
        except ValueError:
            raise self.fail(text) from None
        if not math.isfinite(value):
            raise self.fail(text)
        lo, hi = self.minimum, self.maximum
        if lo is not None and (value < lo or (value == lo and not self.inclusive)):
            raise self.fail(text)
        if hi is not None and value > hi:
            raise self.fail(text)
        return value


class Text(_ArgType):
    """A non-empty UTF-8 string without NUL bytes (kept as given)."""

    kind = "str"

    def __init__(self, what: str = "a non-empty text") -> None:
        self.what = what

    def allowed(self) -> str:
        return self.what

    def __call__(self, text: str) -> str:
        why = _plain(text)
        if why:
            raise self.fail(text, why)
        return text


class _PathType(_ArgType):
    def _path(self, text: str) -> Path:
        why = _plain(text)
        if why:
            raise ArgumentFileError(f"must be {self.allowed()}, not {_show(text)} ({why})")
        return Path(text).expanduser()


def _a(what: str) -> str:
    return ("an " if what[:1].lower() in "aeiou" else "a ") + what


def _nearest_existing(p: Path) -> Path:
    parent = p.parent if str(p.parent) else Path(".")
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return parent


class InputFile(_PathType):
    """An existing, readable regular file; ``text=True``: UTF-8 text; ``magic``: its first bytes.

    Failures are :class:`ArgumentFileError` (exit 1)."""

    kind = "file_in"

    def __init__(
        self,
        suffixes: Sequence[str] = (),
        *,
        text: bool = False,
        magic: bytes | None = None,
        what: str = "file",
    ) -> None:
        self.suffixes = tuple(s.lower() for s in suffixes)
        self.text = text
        self.magic = magic
        self.what = what

    def allowed(self) -> str:
        return f"an existing {self.what}" + (f" ({', '.join(self.suffixes)})" if self.suffixes else "")

    def check(self, p: Path) -> None:
        if not p.exists():
            if not (p.parent if str(p.parent) else Path(".")).is_dir():
                raise ArgumentFileError(f"no such file {p} (no folder {p.parent})")
            raise ArgumentFileError(f"no such file {p}")
        if p.is_dir():
            raise ArgumentFileError(f"{p} is a directory, not {_a(self.what)}")
        if not p.is_file():
            raise ArgumentFileError(f"{p} is not a regular file")
        if self.suffixes and p.suffix.lower() not in self.suffixes:
            raise ArgumentFileError(f"{p}: must be {self.allowed()}")
        try:
            with p.open("rb") as fh:
                head = fh.read(1 << 20)
        except OSError as exc:
            raise ArgumentFileError(f"cannot read {p} ({exc.strerror or exc})") from None
        if self.magic is not None and head and not head.startswith(self.magic):
            raise ArgumentFileError(f"{p} is not {_a(self.what)}")
        if self.text:
            if b"\x00" in head:
                raise ArgumentFileError(f"{p} is a binary file, not {_a(self.what)}")
            try:
                head.decode("utf-8")
            except UnicodeDecodeError as exc:
                if exc.start < len(head) - 4:  # not just a character cut at the 1 MiB boundary
                    raise ArgumentFileError(f"{p} is not UTF-8 text (byte {exc.start})") from None

    def __call__(self, text: str) -> str:
        self.check(self._path(text))
        return text


class OutputFile(_PathType):
    """A file to write: not a directory, its nearest existing folder a folder (missing folders are
    created by the command). Failures are :class:`ArgumentFileError` (exit 1)."""

    kind = "file_out"

    def __init__(self, suffixes: Sequence[str] = ()) -> None:
        self.suffixes = tuple(s.lower() for s in suffixes)

    def allowed(self) -> str:
        return "a file name" + (f" ({', '.join(self.suffixes)})" if self.suffixes else "")

    def __call__(self, text: str) -> str:
        p = self._path(text)
        if p.is_dir() or text.endswith(("/", os.sep)):
            raise ArgumentFileError(f"{p} is a directory; give a file name")
        if p.exists() and not p.is_file():
            raise ArgumentFileError(f"{p} is not a regular file")
        where = _nearest_existing(p)
        if not where.is_dir():
            raise ArgumentFileError(f"cannot create {p}: {where} is not a folder")
        if self.suffixes and p.suffix.lower() not in self.suffixes:
            raise ArgumentFileError(f"{p}: must be {self.allowed()}")
        return text


class OutputDir(_PathType):
    """A folder to write into (created if missing): not an existing file."""

    kind = "dir_out"

    def allowed(self) -> str:
        return "a folder"

    def __call__(self, text: str) -> str:
        p = self._path(text)
        if p.exists() and not p.is_dir():
            raise ArgumentFileError(f"{p} is a file, not a folder")
        where = _nearest_existing(p)
        if not p.exists() and not where.is_dir():
            raise ArgumentFileError(f"cannot create {p}: {where} is not a folder")
        return text


class ModelFile(_PathType):
    """A GGUF model file, or a served model's name (``administer --backend openai``). An existing
    file, or an existing path ending in ``.gguf``, must be a readable GGUF file; anything else is
    left for the command to report (``administer`` checks the design and the results file first)."""

    kind = "model"

    def allowed(self) -> str:
        return "a GGUF model file"

    def __call__(self, text: str) -> str:
        p = self._path(text)
        if p.is_file() or (p.suffix.lower() == ".gguf" and p.exists()):
            InputFile(magic=b"GGUF", what="GGUF model file").check(p)
        return text


class ResultsFile(_PathType):
    """An existing results file (SQLite) to read."""

    kind = "file_in"

    def allowed(self) -> str:
        return "a results file (.sqlite)"

    def __call__(self, text: str) -> str:
        p = self._path(text)
        if not p.exists():
            raise ArgumentFileError(f"no results file {p}")
        InputFile(what="results file").check(p)
        with p.open("rb") as fh:
            head = fh.read(16)
        if not head:
            raise ArgumentFileError(f"{p} is empty, not a results file")
        if head != b"SQLite format 3\x00":
            raise ArgumentFileError(f"{p} is not a psychometry results file (not an SQLite database)")
        return text


class InstrumentRef(_PathType):
    """A shipped instrument id or an instrument file (YAML/JSON). An id is checked by the loader;
    something that looks like a path must be an existing UTF-8 text file."""

    kind = "instrument"

    def allowed(self) -> str:
        return "an instrument id or an instrument YAML file"

    def __call__(self, text: str) -> str:
        p = self._path(text)
        looks_like_path = (
            os.sep in text
            or (os.altsep is not None and os.altsep in text)
            or text.lower().endswith((".yaml", ".yml", ".json"))
            or p.exists()
        )
        if looks_like_path:
            InputFile(text=True, what="instrument file (UTF-8 YAML)").check(p)
        return text


# ---------------------------------------------------------------------------- ready-made types
def int_at_least(n: int, maximum: int | None = INT32_MAX) -> IntRange:
    """An integer >= n (and <= ``maximum``)."""
    return IntRange(n, maximum)


def int_range(lo: int, hi: int) -> IntRange:
    return IntRange(lo, hi)


def float_range(lo: float | None = None, hi: float | None = None, *, inclusive: bool = True) -> FloatRange:
    return FloatRange(lo, hi, inclusive=inclusive)


def existing_file(suffixes: Sequence[str] = (), *, text: bool = False, what: str = "file") -> InputFile:
    return InputFile(suffixes, text=text, what=what)


positive_int = IntRange(1)
text = Text()
#: ``--threads``: 1 to 1024 threads, or ``auto`` (None: the backend's default)
threads = IntRange(1, 1024, words={"auto": None})
#: seeds are unsigned 32-bit in llama.cpp
seed = IntRange(0, 2**32 - 1)
