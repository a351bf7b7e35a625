"""The package version, in one place: ``psychometry.__version__``, the run manifest and
``psychometry --version`` read it from here (``pyproject.toml`` repeats it statically for the
build: keep the two equal). It imports nothing, so any layer may read it."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
