"""What a run records about itself: its configuration (hashed into the run id) and its manifest.

:func:`run_config`
    The settings that define a run's responses (instrument, template and persona content hashes,
    model, orders, labels, shape, repeats, mode, seed, generation settings, chat template). Its
    keys and values are those of psychometry 0.1, so run ids (and resuming older files) do not
    change; :func:`run_id` is its hash. A file holds one configuration unless ``--add-run``.
:func:`build_manifest`
    What a reader needs to know how the run was made (``docs/administration.md``, "Manifest"):
    the environment (:func:`environment`: package, Python and llama-cpp-python versions, platform),
    the model file, the backend settings, hashes, the settings objects as dicts (``design``,
    ``model_config``, ``answers``), notes and times. The store copies the per-session keys
    (:data:`psychometry.store.SESSION_KEYS`) into every session of the run.

To record something new, add a key in :func:`environment` (versions and machine facts, recorded
again by every session when listed in ``SESSION_KEYS``) or in :func:`build_manifest`.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .backends import native
from .orders import parse_orders
from .personas import parse_shape
from .store import now_iso

if TYPE_CHECKING:
    from .backends.base import ModelInfo
    from .config import Settings
    from .instrument.model import Instrument
    from .plan import Job

__all__ = ["build_manifest", "environment", "run_config", "run_id"]


def run_config(
    jobs: Sequence[Job], settings: Settings, *, model: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The run configuration of the planned ``jobs`` under ``settings``; ``model`` is
    ``{"name", "sha256"}`` of the loaded model (None before it is loaded: enough to compare the
    rest with the runs of a file)."""
    design, answers = settings.design, settings.answers
    persona_hashes = {j.persona.id: j.persona.text_hash for j in jobs}
    return {
        "instruments": {j.instrument.id: j.instrument_hash for j in jobs},
        "model": model,
        "templates": {j.template.id: j.template.text_hash for j in jobs},
        "orders": list(parse_orders(design.orders)),
        "labels": answers.label_style,
        "personas": {  # by content, not by file name: the same personas from a moved file resume
            "n": len(persona_hashes),
            "sha256": hashlib.sha256(json.dumps(persona_hashes, sort_keys=True).encode()).hexdigest(),
        },
        "shape": parse_shape(design.shape),
        "repeats": design.repeats,
        "mode": answers.mode,
        "seed": int(design.seed),
        "generation": answers.generation,
        "chat_template": settings.model.chat_template,
        # games: the opponents played (absent without games, so questionnaire run ids stay as they were)
        **(
            {"opponents": sorted({j.game.opponent for j in jobs if j.game is not None})}
            if any(j.game is not None for j in jobs)
            else {}
        ),
    }


def run_id(config: dict[str, Any]) -> str:
    """The run id: the first 16 hex digits of the sha256 of the configuration (keys sorted)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]


def environment() -> dict[str, Any]:
    """The versions and the platform this session runs on (recorded per session)."""
    return {
        "psychometry_version": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "llama_cpp_python": getattr(sys.modules.get("llama_cpp"), "__version__", ""),  # loaded by the backend
        # the kernel paths the numbers came from (docs/performance.md, "Batch noise")
        "llama_cpp_system_info": native.system_info().strip() if "llama_cpp" in sys.modules else "",
        "blas": native.blas_kernels(),
    }


def build_manifest(
    info: ModelInfo,
    settings: Settings,
    config: dict[str, Any],
    instruments: Sequence[Instrument],
    jobs: Sequence[Job],
    notes: Sequence[str],
) -> dict[str, Any]:
    """The manifest of a new run: :func:`environment`, the model (``info``), the backend
    settings, the hashes of ``config``, the settings objects as dicts, ``notes`` and the start
    time (the store adds the sessions and the end time)."""
    design = settings.design
    personas, shape = design.personas, design.shape
    return {
        **environment(),
        "model": {
            "name": info.name,
            "file": Path(info.path).name if info.path else "",
            "path": info.path,
            "size": info.size,
            "sha256": info.sha256,
        },
        "backend_settings": dict(info.settings),
        "templates": config["templates"],
        "instruments": {
            i.id: {
                "hash": config["instruments"][i.id],
                "version": i.version,
                "path": str(i.path) if i.path else "",
            }
            for i in instruments
        },
        "personas": {j.persona.id: j.persona.text_hash for j in jobs},
        "personas_spec": str(personas) if isinstance(personas, (str, Path)) or personas is None else "custom",
        "shape": shape if isinstance(shape, (str, dict, type(None))) else [str(x) for x in shape],
        "seed": int(design.seed),
        "design": design.to_dict(),
        "model_config": settings.model.to_dict(),
        "answers": settings.answers.to_dict(),
        "started_at": now_iso(),
        "ended_at": None,
        "planned": len(jobs),
        "notes": list(notes),
    }
