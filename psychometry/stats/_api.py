"""The API convention of :mod:`psychometry.stats` (docs/api.md) in code.

- :class:`Result` is the base of every result class: ``to_frame()``, ``summary()`` and
  ``_repr_html_()`` (the summary's tables as HTML), and old attribute names that still work for one
  release with a :class:`DeprecationWarning` (``_renamed = {"old": "new"}`` on the class).
- :func:`deprecated_params` keeps old parameter names and old positional calls working for one
  release, with a :class:`DeprecationWarning` that names the new spelling.
- :func:`frame` returns a ``to_frame()`` table whose old column names still work for one release.
- :func:`renamed_module_attrs` gives a module a ``__getattr__`` for renamed classes.

Deprecated spellings are removed in psychometry 1.1.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import pandas as pd

from psychometry.errors import warn_deprecated

__all__ = ["Result", "deprecated_params", "frame", "renamed_module_attrs"]

F = TypeVar("F", bound=Callable[..., Any])


def _warn(message: str, stacklevel: int = 3) -> None:
    warn_deprecated(message, stacklevel)  # stacklevel counted from _warn's caller's caller, as before


def deprecated_params(*, positional: Sequence[str] = (), **renamed: str) -> Callable[[F], F]:
    """Keep old call spellings of a stats function working for one release.

    ``positional`` names, in their old order, the parameters that callers could pass by position after
    the first (they are keyword-only now); ``renamed`` maps old keyword names to new ones. A call that
    uses either gets a :class:`DeprecationWarning` naming the new spelling, and runs as if spelled new.
    ``alpha=`` renamed to ``conf_level=`` is converted (``conf_level = 1 - alpha``).

    >>> @deprecated_params(positional=("keys",), items="data")
    ... def f(data, *, keys=None):
    ...     return data, keys
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     f(items=1, keys=2), f(1, 2)
    ((1, 2), (1, 2))
    """

    def decorate(func: F) -> F:
        name = func.__name__
        params = inspect.signature(func).parameters
        first = next(iter(params))
        for new in [*positional, *renamed.values()]:
            if new not in params:  # pragma: no cover - a mistake in the decorator's arguments
                raise TypeError(f"{name}: deprecated_params names {new!r}, which is not a parameter")

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if len(args) > 1:
                extra = args[1:]
                if len(extra) > len(positional):
                    raise TypeError(
                        f"{name}() takes 1 positional argument ({first}); pass the others by name"
                    )
                spelled = ", ".join(f"{p}=..." for p in positional[: len(extra)])
                _warn(f"{name}(): passing {spelled} by position is deprecated; pass it by name")
                for p, v in zip(positional, extra):
                    if p in kwargs:
                        raise TypeError(f"{name}() got multiple values for argument {p!r}")
                    kwargs[p] = v
                args = args[:1]
            for old, new in renamed.items():
                if old in kwargs:
                    value = kwargs.pop(old)
                    if new in kwargs or (new == first and args):
                        raise TypeError(f"{name}() got both {old}= and {new}=; use {new}=")
                    if old == "alpha" and new == "conf_level":
                        _warn(f"{name}(): alpha= is deprecated; use conf_level= (conf_level = 1 - alpha)")
                        value = 1.0 - float(value)
                    else:
                        _warn(f"{name}(): {old}= is deprecated; use {new}=")
                    kwargs[new] = value
            return func(*args, **kwargs)

        wrapper.__deprecated_params__ = dict(renamed)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


class _Frame(pd.DataFrame):
    """A ``to_frame()`` table whose renamed columns still answer to their old names (with a warning)."""

    _metadata: ClassVar[list[str]] = ["_renamed_columns"]
    _renamed_columns: Mapping[str, str]

    @property
    def _constructor(self) -> type[pd.DataFrame]:  # derived tables are plain DataFrames
        return pd.DataFrame

    def _new_name(self, key: Any) -> Any:
        renamed = getattr(self, "_renamed_columns", None) or {}
        if isinstance(key, str) and key in renamed and key not in self.columns:
            _warn(f"column {key!r} is now {renamed[key]!r}", stacklevel=4)
            return renamed[key]
        if isinstance(key, (list, tuple)) and any(
            isinstance(k, str) and k in renamed and k not in self.columns for k in key
        ):  # df[["est", "pvalue"]]
            old = [k for k in key if isinstance(k, str) and k in renamed and k not in self.columns]
            _warn(", ".join(f"column {k!r} is now {renamed[k]!r}" for k in old), stacklevel=4)
            return type(key)(renamed[k] if k in old else k for k in key)
        return key

    def __getitem__(self, key: Any) -> Any:
        return super().__getitem__(self._new_name(key))

    def __getattr__(self, name: str) -> Any:  # type: ignore[misc]  # pandas-stubs mark it final; pandas allows it
        renamed = object.__getattribute__(self, "__dict__").get("_renamed_columns") or {}
        if name in renamed and name not in self.columns:
            _warn(f"column {name!r} is now {renamed[name]!r}")
            return self[renamed[name]]
        return super().__getattr__(name)


def frame(df: pd.DataFrame, renamed: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``df`` as a ``to_frame()`` table; ``renamed`` maps old column names to new ones, which keep
    working for one release with a :class:`DeprecationWarning` when the table is indexed by them
    (``t["pvalue"]``, ``t[["est", "pvalue"]]``, ``t.pvalue``); tables derived from it (``t.round()``)
    have the new names only.

    >>> import warnings
    >>> t = frame(pd.DataFrame({"p": [0.5]}), {"pvalue": "p"})
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     float(t["pvalue"].iloc[0])
    0.5
    """
    if not renamed:
        return df
    out = _Frame(df)
    out._renamed_columns = dict(renamed)
    return out


class Result:
    """Base of every result class of :mod:`psychometry.stats`.

    Subclasses (usually frozen dataclasses) define ``to_frame()`` (a tidy table in the column
    vocabulary of docs/api.md) and ``summary()`` (printed like R). ``_repr_html_()`` renders the
    summary's tables as HTML tables (Jupyter), and ``_renamed`` keeps old attribute names working for
    one release.
    """

    _renamed: ClassVar[Mapping[str, str]] = {}

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def summary(self) -> str:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def _repr_html_(self) -> str:
        from ._rhtml import summary_html

        return summary_html(self)

    def __getattr__(self, name: str) -> Any:
        new = type(self)._renamed.get(name)
        if new is None or name.startswith("__"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        _warn(f"{type(self).__name__}.{name} is now .{new}")
        return getattr(self, new)


def renamed_module_attrs(module: str, renamed: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` under which renamed classes or functions answer to their old names.

    ``renamed`` maps old names to new names in ``module``.
    """

    def __getattr__(name: str) -> Any:
        new = renamed.get(name)
        if new is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        _warn(f"{module}.{name} is now {new}")
        import importlib

        return getattr(importlib.import_module(module), new)

    return __getattr__
