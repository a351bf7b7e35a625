"""The results store: one SQLite file per study, one row per response, resumable.

Design
------
* SQLite in WAL mode; every response is committed as it arrives, so a process killed with
  ``kill -9`` loses at most the response in flight.
* ``responses.response_id`` (see :func:`psychometry.plan.response_id`) is the primary key and
  rows are written with ``INSERT ... ON CONFLICT DO NOTHING``: re-running the same command skips
  completed responses and never duplicates or overwrites one. Triggers make the table
  append-only (an ``UPDATE`` or ``DELETE`` aborts).
* ``runs`` holds one row per configuration (``run_id`` = hash of the configuration) with the
  configuration and the manifest (package version, model file name, size and sha256, backend
  settings, template and instrument hashes, seed, start/end times of every session, and each
  session's own versions and backend settings). A different configuration writing into a file that
  already holds a run is refused (:class:`StoreError`) unless ``add_run=True`` (``--add-run``).
* ``run_responses (run_id, response_id)`` records which responses belong to which run: every
  response id a run plans, whether this run wrote it or found it already stored by another run
  (a response is stored once, by the first run that asked for it; its ``run_id`` column names
  that run). ``load_results(path, run_id=...)`` selects through it. Append-only too.
* ``prompts`` keeps the exact text of every prompt once, keyed by its sha256.
* ``meta`` holds ``schema``: ``psychometry-store/2`` for files created by this version,
  ``psychometry-store/1`` for older files. Older files are still read and resumed: opened for
  writing they gain the ``run_responses`` table, the ``position_probs`` column and the game columns (additive
  changes, no row is touched) but keep their ``schema``, and with it their respondent ids
  (``model/persona/template/order/repeat``, without the tag of :func:`psychometry.plan.respondent_tag`),
  so a resumed run never mixes two kinds of id. A file of an unknown schema is refused.
* ``Store(path, create=False)`` (every read-only command) opens the file read-only
  (``mode=ro``): it never writes, never changes the journal mode, never creates a results file.
  (Reading a file in WAL mode, as every psychometry file is, SQLite itself keeps its usual
  ``-wal``/``-shm`` companion files beside it, as for any reader.)

Example
-------
>>> with Store("run.sqlite") as st:  # doctest: +SKIP
...     st.begin_run("abc", {"mode": "logprob"}, {}, add_run=False)
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import StoreError

__all__ = [
    "COLUMNS",
    "LEGACY_SCHEMAS",
    "RESPONSE_COLUMNS",
    "SCHEMA",
    "SESSION_KEYS",
    "Store",
    "StoreError",
    "check_out",
    "config_differences",
    "different_configuration",
    "now_iso",
    "response_row",
]

#: The schema of files created by this version (``meta.schema``).
SCHEMA = "psychometry-store/2"
#: Older schemas this version still reads and resumes (see the module docstring).
LEGACY_SCHEMAS = ("psychometry-store/1",)

#: Manifest keys copied into every session entry (a resumed run may use other settings or versions).
SESSION_KEYS = (
    "psychometry_version", "python", "platform", "llama_cpp_python", "llama_cpp_system_info", "blas",
    "backend_settings",
)  # fmt: skip

#: The long results table (docs/architecture.md), in order: what :meth:`Store.responses` returns.
COLUMNS: tuple[str, ...] = (
    "response_id",
    "run_id",
    "model",
    "persona",
    "template",
    "order",
    "repeat",
    "respondent",
    "instrument",
    "item",
    "scale",
    "keyed",
    "shown_values",
    "mode",
    "status",
    "value",
    "position",
    "expected",
    "entropy",
    "label_mass",
    "probs",
    "position_probs",
    "raw_text",
    "prompt_hash",
    "created_at",
    "round",
    "opponent",
    "action",
    "opponent_action",
    "payoff",
)
#: Columns of ``responses``: the long table plus the per-response sampling seed.
RESPONSE_COLUMNS: tuple[str, ...] = (*COLUMNS, "seed")

_REQUIRED_TABLES = ("meta", "runs", "responses")
#: the columns of game rounds (NULL for questionnaire items)
GAME_COLUMNS: tuple[str, ...] = ("round", "opponent", "action", "opponent_action", "payoff")
_OPTIONAL = ("seed", "position_probs", *GAME_COLUMNS)  # response columns a row may omit (NULL)
_ADDED = {  # columns added since psychometry-store/1, with their types
    "position_probs": "TEXT",
    "round": "INTEGER",
    "opponent": "TEXT",
    "action": "TEXT",
    "opponent_action": "TEXT",
    "payoff": "REAL",
}

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    config TEXT NOT NULL,
    manifest TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS prompts (prompt_hash TEXT PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS responses (
    "response_id" TEXT PRIMARY KEY,
    "run_id" TEXT NOT NULL REFERENCES runs(run_id),
    "model" TEXT NOT NULL,
    "persona" TEXT NOT NULL,
    "template" TEXT NOT NULL,
    "order" TEXT NOT NULL,
    "repeat" INTEGER NOT NULL,
    "respondent" TEXT NOT NULL,
    "instrument" TEXT NOT NULL,
    "item" TEXT NOT NULL,
    "scale" TEXT NOT NULL,
    "keyed" INTEGER NOT NULL,
    "shown_values" TEXT NOT NULL,
    "mode" TEXT NOT NULL,
    "status" TEXT NOT NULL CHECK ("status" IN ('ok', 'refused', 'unparsed')),
    "value" REAL,
    "position" REAL,
    "expected" REAL,
    "entropy" REAL,
    "label_mass" REAL,
    "probs" TEXT,
    "raw_text" TEXT,
    "prompt_hash" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    "seed" INTEGER,
    "position_probs" TEXT,
    "round" INTEGER,
    "opponent" TEXT,
    "action" TEXT,
    "opponent_action" TEXT,
    "payoff" REAL
);
CREATE INDEX IF NOT EXISTS responses_run ON responses(run_id);
CREATE TRIGGER IF NOT EXISTS responses_no_update BEFORE UPDATE ON responses
BEGIN SELECT RAISE(ABORT, 'psychometry responses are append-only'); END;
CREATE TRIGGER IF NOT EXISTS responses_no_delete BEFORE DELETE ON responses
BEGIN SELECT RAISE(ABORT, 'psychometry responses are append-only'); END;
"""

# additive changes since psychometry-store/1 (applied to older files opened for writing)
_DDL_MEMBERSHIP = """
CREATE TABLE IF NOT EXISTS run_responses (
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    response_id TEXT NOT NULL,
    PRIMARY KEY (run_id, response_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS run_responses_response ON run_responses(response_id);
CREATE TRIGGER IF NOT EXISTS run_responses_no_update BEFORE UPDATE ON run_responses
BEGIN SELECT RAISE(ABORT, 'psychometry run membership is append-only'); END;
CREATE TRIGGER IF NOT EXISTS run_responses_no_delete BEFORE DELETE ON run_responses
BEGIN SELECT RAISE(ABORT, 'psychometry run membership is append-only'); END;
"""


def now_iso() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def config_differences(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """The keys whose values differ between two configurations (sorted)."""
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def response_row(**values: Any) -> dict[str, Any]:
    """One row of ``responses``: every column of :data:`RESPONSE_COLUMNS`, None where ``values``
    gives none. The one place the row's columns are spelled; a name that is not a column is a
    :class:`StoreError`."""
    unknown = [k for k in values if k not in RESPONSE_COLUMNS]
    if unknown:
        raise StoreError(f"not a response column: {', '.join(unknown)}")
    return {c: values.get(c) for c in RESPONSE_COLUMNS}


def different_configuration(
    path: str | Path, last: Mapping[str, Any], config: Mapping[str, Any], *, ignore_model: bool = False
) -> StoreError:
    """The refusal to write ``config`` into ``path``, whose last run ``last`` has another
    configuration (without ``--add-run``). ``ignore_model``: the model is not known yet (the check
    before the model is loaded), so the configuration is not said to differ in it."""
    diff = [k for k in config_differences(last["config"], config) if not (ignore_model and k == "model")]
    return StoreError(
        f"{path} already holds run {last['run_id']} with a different configuration (differs in: "
        f"{', '.join(diff) or 'settings'}); re-run the same command to resume it, choose another --out, "
        "or pass --add-run to add this run"
    )


def _check_sqlite_header(path: Path) -> None:
    """Refuse a file that is not an SQLite database before SQLite opens it."""
    with path.open("rb") as fh:
        head = fh.read(16)
    if head != b"SQLite format 3\x00":
        what = "an empty file" if not head else "not an SQLite database"
        raise StoreError(f"{path} is not a psychometry results file ({what})")


def _tables(con: sqlite3.Connection) -> set[str]:
    return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _columns(con: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in con.execute(f'PRAGMA table_info("{table}")')}


class Store:
    """A results file. Open with ``Store(path)``; use as a context manager or call :meth:`close`.

    ``create=True`` (the engine) creates the file if needed and brings an older file up to the
    current tables; ``create=False`` (everything that only reads) opens it read-only.
    """

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        self.readonly = not create
        self._con: sqlite3.Connection | None = None
        self.schema: str | None = None
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a directory, not a results file")
        exists = self.path.is_file()
        if not create and not exists:
            raise StoreError(f"no results file {self.path}")
        try:
            if exists and (not create or self.path.stat().st_size > 0):
                _check_sqlite_header(self.path)
                self._con = self._open_readonly()
                self.schema = self._check()  # a foreign file is refused before anything is written
                if create:
                    self._con.close()
                    self._con = None
            if create:
                fresh = not exists or self.path.stat().st_size == 0 or self.schema is None
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._con = sqlite3.connect(str(self.path), timeout=30.0)
                self._con.execute("PRAGMA journal_mode=WAL")
                self._con.execute("PRAGMA synchronous=NORMAL")
                self._con.executescript(_DDL)
                self._con.executescript(_DDL_MEMBERSHIP)
                have = _columns(self._con, "responses")
                for col, sqltype in _ADDED.items():  # files written before these columns existed
                    if col not in have:
                        self._con.execute(f'ALTER TABLE responses ADD COLUMN "{col}" {sqltype}')
                if fresh:
                    self._con.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA,))
                self._con.commit()
                self.schema = self._check()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(f"{self.path}: not a psychometry results file ({exc})") from None
        except OSError as exc:
            self.close()
            raise StoreError(f"{self.path}: cannot open the results file ({exc.strerror or exc})") from None
        except StoreError:
            self.close()
            raise

    @property
    def _db(self) -> sqlite3.Connection:
        if self._con is None:
            raise StoreError(f"{self.path}: the results file is closed")
        return self._con

    def _open_readonly(self) -> sqlite3.Connection:
        uri = self.path.resolve().as_uri() + "?mode=ro"
        return sqlite3.connect(uri, uri=True, timeout=30.0)

    def _check(self) -> str | None:
        """The file's schema; None for an SQLite file without tables (a new file). Raises
        :class:`StoreError` for anything that is not a psychometry results file."""
        tables = _tables(self._db)
        if not tables and not self.readonly:
            return None
        missing = [t for t in _REQUIRED_TABLES if t not in tables]
        if missing:
            raise StoreError(
                f"{self.path} is not a psychometry results file "
                f"(no {', '.join(missing)} table{'s' if len(missing) > 1 else ''})"
            )
        row = self._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None:
            raise StoreError(f"{self.path} is not a psychometry results file (no schema in its meta table)")
        if row[0] != SCHEMA and row[0] not in LEGACY_SCHEMAS:
            raise StoreError(
                f"{self.path}: results file format {row[0]!r} is not one this version of "
                f"psychometry reads ({', '.join((SCHEMA,) + LEGACY_SCHEMAS)}); upgrade psychometry"
            )
        return row[0]

    @property
    def tagged_respondents(self) -> bool:
        """Whether respondent ids carry the settings tag (files of the current schema; older files
        keep the ids they were written with, see the module docstring)."""
        return self.schema == SCHEMA

    @property
    def has_membership(self) -> bool:
        """Whether the file has the ``run_responses`` table (older files read-only may not)."""
        return "run_responses" in _tables(self._db)

    @property
    def response_columns(self) -> set[str]:
        return _columns(self._db, "responses")

    def _run_filter(self, run_id: str, table: str = "responses") -> tuple[str, tuple[str, ...]]:
        """An SQL condition (and its parameters) selecting the responses of ``run_id`` from
        ``table``: the run's members (``run_responses``: every response its plan holds, written by it
        or shared with an earlier run). A run recorded before membership existed (files of an
        earlier schema, never resumed since) has no members: then the rows it wrote itself."""
        if (
            self.has_membership
            and self._db.execute("SELECT 1 FROM run_responses WHERE run_id = ? LIMIT 1", (run_id,)).fetchone()
        ):
            return (
                f"({table}.response_id IN (SELECT m.response_id FROM run_responses m WHERE m.run_id = ?))",
                (run_id,),
            )
        return f"({table}.run_id = ?)", (run_id,)

    # ------------------------------------------------------------------ runs
    def runs(self) -> list[dict[str, Any]]:
        """Every run in the file: ``run_id``, ``config``, ``manifest``, ``created_at``,
        ``n_responses`` (stored responses of the run, including those it shares with an earlier
        run; see ``run_responses``)."""
        rows = self._db.execute(
            "SELECT r.run_id, r.config, r.manifest, r.created_at FROM runs r ORDER BY r.created_at, r.run_id"
        ).fetchall()
        return [
            {
                "run_id": a,
                "config": json.loads(b),
                "manifest": json.loads(c),
                "created_at": d,
                "n_responses": self.count(a),
            }
            for a, b, c, d in rows
        ]

    def begin_run(
        self, run_id: str, config: Mapping[str, Any], manifest: Mapping[str, Any], *, add_run: bool = False
    ) -> bool:
        """Register (or resume) a run. Returns True when resuming an existing run.

        Raises :class:`StoreError` when the file holds runs of another configuration and
        ``add_run`` is False; the message names the settings that differ. Each call appends a
        session to the run's manifest, with this session's :data:`SESSION_KEYS` (versions and
        backend settings); the manifest's top-level entries stay those of the first session.
        """
        existing = self.runs()
        session = {
            "started_at": now_iso(),
            "ended_at": None,
            "written": 0,
            **{k: manifest[k] for k in SESSION_KEYS if k in manifest},
        }
        for r in existing:
            if r["run_id"] == run_id:
                m = r["manifest"]
                m.setdefault("sessions", []).append(session)
                m.update({k: v for k, v in manifest.items() if k != "sessions" and k not in m})
                self._set_manifest(run_id, m)
                return True
        if existing and not add_run:
            raise different_configuration(self.path, existing[-1], config)
        m = dict(manifest)
        m["sessions"] = [session]
        self._db.execute(
            "INSERT INTO runs (run_id, config, manifest, created_at) VALUES (?, ?, ?, ?)",
            (run_id, json.dumps(dict(config), sort_keys=True), json.dumps(m, sort_keys=True), now_iso()),
        )
        self._db.commit()
        return False

    def _set_manifest(self, run_id: str, manifest: Mapping[str, Any]) -> None:
        self._db.execute(
            "UPDATE runs SET manifest = ? WHERE run_id = ?",
            (json.dumps(dict(manifest), sort_keys=True), run_id),
        )
        self._db.commit()

    def end_session(self, run_id: str, written: int, *, complete: bool) -> None:
        """Record the end time of the current session (and of the run when ``complete``)."""
        row = self._db.execute("SELECT manifest FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:  # pragma: no cover
            return
        m = json.loads(row[0])
        if m.get("sessions"):
            m["sessions"][-1].update(ended_at=now_iso(), written=int(written))
        if complete:
            m["ended_at"] = now_iso()
        self._set_manifest(run_id, m)

    # ------------------------------------------------------------- responses
    def completed_ids(self) -> set[str]:
        """The response ids already stored (any run: a run skips what another run stored)."""
        return {r[0] for r in self._db.execute("SELECT response_id FROM responses")}

    def add_members(self, run_id: str, response_ids: Iterable[str]) -> None:
        """Record that ``response_ids`` (a run's whole plan, written now or earlier, by this run or
        another) belong to ``run_id``. Idempotent."""
        with self._db:
            self._db.executemany(
                "INSERT OR IGNORE INTO run_responses (run_id, response_id) VALUES (?, ?)",
                ((run_id, rid) for rid in response_ids),
            )

    def count(self, run_id: str | None = None) -> int:
        """Stored responses (of one run: its members, see :meth:`responses`)."""
        if run_id is None:
            return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])
        where, params = self._run_filter(run_id)
        return int(self._db.execute(f"SELECT COUNT(*) FROM responses WHERE {where}", params).fetchone()[0])

    def insert(self, row: Mapping[str, Any], *, prompt: str | None = None) -> bool:
        """Write one response and commit. Returns False (and changes nothing) when a response
        with the same ``response_id`` is already stored: rows are never replaced."""
        missing = [c for c in RESPONSE_COLUMNS if c not in row and c not in _OPTIONAL]
        if missing:
            raise StoreError(f"response row lacks column(s) {', '.join(missing)}")
        cols = ", ".join(f'"{c}"' for c in RESPONSE_COLUMNS)
        marks = ", ".join("?" for _ in RESPONSE_COLUMNS)
        with self._db:  # one transaction, committed on exit
            if prompt is not None:
                self._db.execute(
                    "INSERT INTO prompts (prompt_hash, text) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    (row["prompt_hash"], prompt),
                )
            cur = self._db.execute(
                f"INSERT INTO responses ({cols}) VALUES ({marks}) ON CONFLICT(response_id) DO NOTHING",
                tuple(row.get(c) for c in RESPONSE_COLUMNS),
            )
        return cur.rowcount == 1

    def responses(self, run_id: str | None = None) -> list[tuple[Any, ...]]:
        """The stored responses as tuples of :data:`COLUMNS` (as stored: ``probs`` and
        ``position_probs`` are JSON text), in the order they were written.

        Without ``run_id`` every stored response once; with ``run_id`` the run's members
        (``run_responses``: every response its plan holds, written by it or shared with an earlier
        run), or, for a run recorded before membership existed (files of an earlier schema, never
        resumed since), the rows it wrote itself. A column the file lacks (``position_probs`` in
        files written before it existed) is None.
        """
        sel = self._select_columns()
        sql = f"SELECT {sel} FROM responses"
        params: tuple[Any, ...] = ()
        if run_id is not None:
            where, params = self._run_filter(run_id)
            sql += f" WHERE {where}"
        try:
            return self._db.execute(sql + " ORDER BY responses.rowid", params).fetchall()
        except sqlite3.DatabaseError as exc:  # pragma: no cover - a damaged file
            raise StoreError(f"{self.path}: cannot read responses: {exc}") from None

    def _select_columns(self) -> str:
        """The SELECT list of :data:`COLUMNS`: NULL for a column the file lacks (older files)."""
        have = self.response_columns
        return ", ".join(f'responses."{c}"' if c in have else f'NULL AS "{c}"' for c in COLUMNS)

    def stored_fields(self, response_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """``{response_id: {column: stored value}}`` (the columns of :data:`COLUMNS`) for those of
        ``response_ids`` that are stored: how a resumed game reads back the rounds an earlier
        session answered."""
        sel = self._select_columns()
        ids = list(response_ids)
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
            part = ids[start : start + 500]
            marks = ", ".join("?" for _ in part)
            rows = self._db.execute(f"SELECT {sel} FROM responses WHERE response_id IN ({marks})", part)
            for row in rows.fetchall():
                out[row[0]] = dict(zip(COLUMNS, row))
        return out

    def prompts(self) -> dict[str, str]:
        """``{prompt_hash: exact prompt text}`` for every stored prompt."""
        return dict(self._db.execute("SELECT prompt_hash, text FROM prompts").fetchall())

    def prompt(self, prompt_hash: str) -> str | None:
        """The exact prompt text stored under ``prompt_hash``."""
        r = self._db.execute("SELECT text FROM prompts WHERE prompt_hash = ?", (prompt_hash,)).fetchone()
        return r[0] if r else None

    @property
    def connection(self) -> sqlite3.Connection:
        """The SQLite connection, for tests that check what the file refuses; the package itself
        reads and writes only through the methods above."""
        return self._db

    def close(self) -> None:
        con = getattr(self, "_con", None)
        if con is not None:
            con.close()
            self._con = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_out(
    path: str | Path, config: Mapping[str, Any] | None = None, *, add_run: bool = False
) -> list[dict[str, Any]]:
    """Check, without creating or changing anything, that ``path`` can take results: a new
    file (its nearest existing parent a folder), an empty file, or a psychometry results file.
    Returns the runs it already holds (:meth:`Store.runs`); raises :class:`StoreError` otherwise.
    The engine calls this before loading a model.

    With ``config`` (a run configuration whose model is not known yet), a file whose runs all have
    another configuration (the model not compared) is refused too, unless ``add_run``."""
    runs = _check_out(Path(path))
    if config is not None and runs and not add_run:
        if not any(_without_model(r["config"]) == _without_model(config) for r in runs):
            raise different_configuration(path, runs[-1], config, ignore_model=True)
    return runs


def _without_model(config: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k != "model"}


def _check_out(p: Path) -> list[dict[str, Any]]:
    if p.is_dir():
        raise StoreError(f"{p} is a directory, not a results file")
    if not p.exists():
        parent = p.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir():
            raise StoreError(f"cannot create {p}: {parent} is not a folder")
        return []
    if p.stat().st_size == 0:
        return []
    _check_sqlite_header(p)
    try:
        con = sqlite3.connect(p.resolve().as_uri() + "?mode=ro", uri=True, timeout=30.0)
        try:
            empty = not _tables(con)
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{p}: not a psychometry results file ({exc})") from None
    if empty:
        return []
    with Store(p, create=False) as st:
        return st.runs()
