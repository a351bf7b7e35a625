"""Errors users can act on. The CLI prints them as one line, never a traceback."""

from __future__ import annotations


class PsychometryError(Exception):
    """Base class for every error caused by the user's input or environment."""


class InstrumentError(PsychometryError):
    """A malformed instrument file. The message names the file, the item and the field."""

    def __init__(self, path: object, message: str, *, item: str | None = None, field: str | None = None):
        self.path = str(path)
        self.item = item
        self.field = field
        where = [self.path]
        if item is not None:
            where.append(f"item {item}")
        if field is not None:
            where.append(f"field '{field}'")
        super().__init__(f"{': '.join(where)}: {message}")


class ModelError(PsychometryError):
    """The model file is missing, unreadable or not a GGUF model."""


class StoreError(PsychometryError):
    """The results store refuses an operation (e.g. a different configuration in the same file)."""


class StatsInputError(PsychometryError, ValueError):
    """Data a statistics function cannot use; the message names the argument, column or value.

    ``psychometry.stats`` raises this (or a subclass) for bad input. It is the one thing the
    statistics layer imports from the rest of the package, so that the CLI reports it as one line.
    """


class PsychometryDeprecationWarning(DeprecationWarning):
    """An old spelling of psychometry's API whose message names the new one (docs/api.md). The test
    suite turns it into an error, so the package never uses its own old spellings."""
