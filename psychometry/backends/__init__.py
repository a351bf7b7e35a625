"""Backends: where prompts meet a language model.

``Backend`` (the protocol in :mod:`psychometry.backends.base`) is all the engine relies on.
Shipped: :class:`LlamaCppBackend` (GGUF models in-process through llama-cpp-python) and
:class:`FakeBackend` (deterministic, for unit tests). :func:`load_backend` builds one by name.

``LlamaCppBackend`` is imported lazily so that ``import psychometry.backends`` (e.g. for the
fake backend in tests) never loads llama.cpp.
"""

from __future__ import annotations

import os
from typing import Any

from .base import Backend, GenerateRequest, Generation, ModelInfo, OptionScores, ScoreRequest
from .fake import FakeBackend

__all__ = [
    "BACKENDS",
    "Backend",
    "FakeBackend",
    "GenerateRequest",
    "Generation",
    "LlamaCppBackend",
    "ModelInfo",
    "OpenAIBackend",
    "OptionScores",
    "ScoreRequest",
    "default_model_path",
    "labels_grammar",
    "load_backend",
]

#: names accepted by :func:`load_backend`
BACKENDS = ("llama", "openai", "fake")


def load_backend(name: str = "llama", model: str | os.PathLike[str] | None = None, **options: Any) -> Backend:
    """Build a backend by name.

    ``load_backend("llama", "path/to/model.gguf", n_ctx=4096, n_gpu_layers=-1)`` or
    ``load_backend()`` for the default model; ``load_backend("fake", choice=2)`` for tests.
    ``load_backend("openai", "served-model", base_urls=["http://127.0.0.1:8080/v1"])`` for an
    OpenAI-compatible server (:class:`psychometry.backends.openai.OpenAIBackend`).
    ``llama.cpp`` and ``llamacpp`` are accepted for ``llama``. Unknown names raise
    :class:`~psychometry.errors.ModelError`.
    """
    from ..errors import ModelError

    key = name.lower().replace(".", "").replace("-", "").replace("_", "")
    if key in ("llama", "llamacpp"):
        from .llama import LlamaCppBackend

        return LlamaCppBackend(model, **options)
    if key in ("openai", "server"):
        from .openai import OpenAIBackend

        urls = options.pop("base_urls", None) or options.pop("base_url", None)
        if not urls:
            raise ModelError("the openai backend needs base_urls (e.g. http://127.0.0.1:8080/v1)")
        return OpenAIBackend(urls, None if model is None else os.fspath(model), **options)
    if key == "fake":
        if model is not None:
            options.setdefault("name", str(model))
        return FakeBackend(**options)
    raise ModelError(f"unknown backend {name!r} (known: {', '.join(BACKENDS)})")


def __getattr__(name: str) -> Any:
    if name == "OpenAIBackend":
        from .openai import OpenAIBackend

        return OpenAIBackend
    if name in ("LlamaCppBackend", "labels_grammar"):
        from . import llama

        return getattr(llama, name)
    if name == "default_model_path":
        from .default_model import default_model_path

        return default_model_path
    raise AttributeError(f"module 'psychometry.backends' has no attribute {name!r}")
