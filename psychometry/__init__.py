"""psychometry: measure the personality of language models with the rigour of human psychometrics.

Data flows one way: instrument YAML -> Instrument -> plan (templates x option orders x personas)
-> backend (llama.cpp) -> store (SQLite) -> tidy DataFrame -> statistics -> report.
"""

from __future__ import annotations

from ._version import __version__

__all__ = [
    "AnswerConfig",
    "Design",
    "ModelConfig",
    "__version__",
    "administer",
    "list_instruments",
    "load_instrument",
    "load_results",
    "score",
]


def __getattr__(name: str):
    # Lazy imports keep ``import psychometry`` fast and keep the layers independent
    # (``psychometry.stats`` never pulls in llama.cpp).
    if name in ("load_instrument", "list_instruments"):
        from .instrument import load

        return getattr(load, name)
    if name == "score":
        from .scoring import score

        return score
    if name == "load_results":
        from .results import load_results

        return load_results
    if name in ("Design", "ModelConfig", "AnswerConfig"):
        from . import config

        return getattr(config, name)
    if name == "administer":
        from .engine import administer

        return administer
    raise AttributeError(f"module 'psychometry' has no attribute {name!r}")
