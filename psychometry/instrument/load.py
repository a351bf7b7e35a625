"""Loading instruments: shipped ones by id, users' files by path.

YAML is read with a *safe* loader only (``yaml.SafeLoader``; no Python objects are ever
constructed: a ``!!python/object`` tag is refused), duplicate keys in a mapping are refused (plain
YAML would silently keep the last one), and the document is checked by
:func:`psychometry.instrument.validate.parse_instrument`.

Example
-------
>>> from psychometry import load_instrument, list_instruments
>>> bfi = load_instrument("bfi44")
>>> len(bfi.items), [s.id for s in bfi.scales]
(44, ['E', 'A', 'C', 'N', 'O'])
>>> [i.id for i in list_instruments(kind="inventory")]
['bfi44', 'ipip16pf', 'ipip_neo120', 'oejts', 'sd3', 'self_behaviour']
>>> [i.id for i in list_instruments(kind="task")]
['cct', 'cooperation', 'dictator', 'honesty', 'lottery', 'risk', 'sycophancy']

Questionnaires live in ``instruments/``, behavioural tasks (``kind: task``) in ``instruments/tasks/``,
repeated games (``kind: game``) in ``instruments/games/``; all load by id, and one id names one file
across the folders.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ..errors import InstrumentError
from ..resources import data_dir
from .model import Instrument
from .validate import FORMAT, ID_PATTERN, parse_instrument

__all__ = ["list_instruments", "load_instrument", "read_yaml", "shipped_path"]

#: Sub-folders of the data folder searched for shipped instruments, in order ("" = the folder itself).
SHIPPED_FOLDERS: tuple[str, ...] = ("", "tasks", "games")


class _StrictSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys in a mapping."""


def _construct_mapping(loader: _StrictSafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            continue  # SafeLoader reports unhashable keys itself
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first on line {seen[key] + 1})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_StrictSafeLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(
    path: str | Path, *, what: str = "instrument file", error: Callable[[Path, str], Exception] | None = None
) -> Any:
    """Parse one YAML file safely (plain data only: tags that build objects are refused).

    Every failure (missing file, a folder, unreadable, not UTF-8, YAML syntax, object tags) raises
    ``error(path, message)``, by default an :class:`InstrumentError` naming the file (and line);
    ``what`` names the kind of file in the messages. Templates and persona files are read with it too.
    """
    path = Path(path)
    fail = error or InstrumentError
    article = "an" if what[:1] in "aeiou" else "a"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise fail(path, "no such file") from None
    except IsADirectoryError:
        raise fail(path, f"is a folder, not {article} {what}") from None
    except OSError as exc:
        raise fail(path, f"cannot read the file ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_no = raw[: exc.start].count(b"\n") + 1
        raise fail(
            path,
            f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line_no}); save it as UTF-8",
        ) from None
    try:
        return yaml.load(text, Loader=_StrictSafeLoader)
    except yaml.constructor.ConstructorError as exc:
        line = f"line {exc.problem_mark.line + 1}: " if exc.problem_mark else ""
        problem = exc.problem or str(exc)
        if "could not determine a constructor" in problem:
            tag = problem.split("for the tag", 1)[-1].strip().strip("'").replace("tag:yaml.org,2002:", "!!")
            problem = (
                f"the YAML tag {tag} is refused: {what}s are "
                "plain data (YAML tags that build objects are not allowed)"
            )
        raise fail(path, f"{line}{problem}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        detail = exc.problem or "invalid YAML"
        if exc.context:
            started = exc.context_mark
            detail += f" ({exc.context}" + (f" that starts on line {started.line + 1})" if started else ")")
        raise fail(path, f"YAML syntax error: {line}{detail}") from None
    except yaml.YAMLError as exc:
        raise fail(path, f"YAML error: {exc}") from None


def shipped_path(instrument_id: str) -> Path:
    """The shipped file for ``instrument_id``: ``<data_dir>/<id>.yaml``, else ``tasks/<id>.yaml``
    (behavioural tasks), else ``games/<id>.yaml``; the first path when none exists."""
    candidates = [data_dir() / sub / f"{instrument_id}.yaml" for sub in SHIPPED_FOLDERS]
    return next((p for p in candidates if p.is_file()), candidates[0])


def load_instrument(id_or_path: str | os.PathLike) -> Instrument:
    """Load an instrument by shipped id (``"bfi44"``) or from a YAML file path.

    A string that contains a path separator or ends in ``.yaml``/``.yml``/``.json``, or names an
    existing file, is a path; otherwise it is an id of a shipped instrument
    (see :func:`list_instruments`). Raises InstrumentError (naming the file, item and field) for
    a malformed file or an unknown id.
    """
    if isinstance(id_or_path, Instrument):
        return id_or_path
    text = os.fspath(id_or_path)
    is_path = (
        not isinstance(id_or_path, str)
        or os.sep in text
        or (os.altsep is not None and os.altsep in text)
        or text.endswith((".yaml", ".yml", ".json"))
        or Path(text).is_file()
    )
    if not is_path:
        path = shipped_path(text)
        if not ID_PATTERN.match(text) or not path.is_file():
            known = ", ".join(i.stem for i in _shipped_files())
            raise InstrumentError(
                text,
                f"no shipped instrument with this id (shipped: {known}); "
                "give a path to load your own YAML file",
            )
    else:
        path = Path(text)
    return parse_instrument(read_yaml(path), path)


def _shipped_files() -> list[Path]:
    out = []
    for p in sorted(
        (p for sub in SHIPPED_FOLDERS for p in (data_dir() / sub).glob("*.yaml")), key=lambda p: p.stem
    ):
        try:
            with open(p, encoding="utf-8") as fh:
                head = fh.read(4096)
        except (OSError, UnicodeDecodeError):
            continue
        if FORMAT in head:
            out.append(p)
    return out


def list_instruments(kind: str | None = None) -> list[Instrument]:
    """The shipped instruments, loaded and validated, sorted by id.

    ``kind``: ``None`` (default) lists them all, ``"inventory"`` only the questionnaires
    (``instruments/*.yaml``), ``"task"`` only the tasks (``instruments/tasks/*.yaml``), ``"game"`` only
    the repeated games (``instruments/games/*.yaml``).
    """
    if kind not in (None, "inventory", "task", "game"):
        raise InstrumentError("list_instruments", f"kind must be inventory, task, game or None, not {kind!r}")
    found = [load_instrument(p) for p in _shipped_files()]
    return [i for i in found if kind is None or i.kind == kind]
