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
  settings, template and instrument hashes, seed, start/end times of every session). A different
  configuration writing into a file that already holds a run is refused (:class:`StoreError`)
  unless ``add_run=True`` (``--add-run``).
* ``prompts`` keeps the exact text of every prompt once, keyed by its sha256.

Example
-------
>>> with Store("run.sqlite") as st:  # doctest: +SKIP
...     st.begin_run("abc", {"mode": "logprob"}, {}, add_run=False)
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from .errors import StoreError

__all__ = ["Store", "StoreError", "RESPONSE_COLUMNS", "SCHEMA", "now_iso", "config_differences"]

SCHEMA = "psychometry-store/1"

#: Columns of ``responses`` (the long-table contract plus the per-response sampling seed).
RESPONSE_COLUMNS: tuple[str, ...] = (
    "response_id", "run_id", "model", "persona", "template", "order", "repeat", "respondent",
    "instrument", "item", "scale", "keyed", "shown_values", "mode", "status", "value",
    "position", "expected", "entropy", "label_mass", "probs", "raw_text", "prompt_hash",
    "created_at", "seed",
)

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
    "seed" INTEGER
);
CREATE INDEX IF NOT EXISTS responses_run ON responses(run_id);
CREATE TRIGGER IF NOT EXISTS responses_no_update BEFORE UPDATE ON responses
BEGIN SELECT RAISE(ABORT, 'psychometry responses are append-only'); END;
CREATE TRIGGER IF NOT EXISTS responses_no_delete BEFORE DELETE ON responses
BEGIN SELECT RAISE(ABORT, 'psychometry responses are append-only'); END;
"""


def now_iso() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def config_differences(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """The keys whose values differ between two configurations (sorted)."""
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


class Store:
    """A results file. Open with ``Store(path)``; use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise StoreError(f"no results file {self.path}")
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a directory, not a results file")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._con = sqlite3.connect(str(self.path), timeout=30.0)
            self._con.execute("PRAGMA journal_mode=WAL")
            self._con.execute("PRAGMA synchronous=NORMAL")
            tables = {r[0] for r in self._con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if tables and "responses" not in tables:
                raise StoreError(f"{self.path} is an SQLite file but not a psychometry results file")
            if create:
                self._con.executescript(_DDL)
                self._con.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA,))
                self._con.commit()
            elif "responses" not in tables:
                raise StoreError(f"{self.path} is not a psychometry results file")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a psychometry results file ({exc})") from None
        schema = self._con.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if schema and schema[0] != SCHEMA:
            raise StoreError(f"{self.path}: results file format {schema[0]!r}, expected {SCHEMA!r}")

    # ------------------------------------------------------------------ runs
    def runs(self) -> list[dict[str, Any]]:
        """Every run in the file: ``run_id``, ``config``, ``manifest``, ``created_at``, ``n_responses``."""
        rows = self._con.execute(
            "SELECT r.run_id, r.config, r.manifest, r.created_at, "
            "(SELECT COUNT(*) FROM responses s WHERE s.run_id = r.run_id) "
            "FROM runs r ORDER BY r.created_at, r.run_id"
        ).fetchall()
        return [
            {"run_id": a, "config": json.loads(b), "manifest": json.loads(c), "created_at": d, "n_responses": n}
            for a, b, c, d, n in rows
        ]

    def begin_run(self, run_id: str, config: Mapping[str, Any], manifest: Mapping[str, Any], *,
                  add_run: bool = False) -> bool:
        """Register (or resume) a run. Returns True when resuming an existing run.

        Raises :class:`StoreError` when the file holds runs of another configuration and
        ``add_run`` is False; the message names the settings that differ.
        """
        existing = self.runs()
        session = {"started_at": now_iso(), "ended_at": None, "written": 0}
        for r in existing:
            if r["run_id"] == run_id:
                m = r["manifest"]
                m.setdefault("sessions", []).append(session)
                m.update({k: v for k, v in manifest.items() if k != "sessions" and k not in m})
                self._set_manifest(run_id, m)
                return True
        if existing and not add_run:
            diff = config_differences(existing[-1]["config"], config)
            raise StoreError(
                f"{self.path} already holds run {existing[-1]['run_id']} with a different "
                f"configuration (differs in: {', '.join(diff) or 'settings'}); re-run the same "
                "command to resume it, choose another --out, or pass --add-run to add this run"
            )
        m = dict(manifest)
        m["sessions"] = [session]
        self._con.execute(
            "INSERT INTO runs (run_id, config, manifest, created_at) VALUES (?, ?, ?, ?)",
            (run_id, json.dumps(dict(config), sort_keys=True), json.dumps(m, sort_keys=True), now_iso()),
        )
        self._con.commit()
        return False

    def _set_manifest(self, run_id: str, manifest: Mapping[str, Any]) -> None:
        self._con.execute(
            "UPDATE runs SET manifest = ? WHERE run_id = ?",
            (json.dumps(dict(manifest), sort_keys=True), run_id),
        )
        self._con.commit()

    def end_session(self, run_id: str, written: int, *, complete: bool) -> None:
        """Record the end time of the current session (and of the run when ``complete``)."""
        row = self._con.execute("SELECT manifest FROM runs WHERE run_id = ?", (run_id,)).fetchone()
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
        """The response ids already stored (any run)."""
        return {r[0] for r in self._con.execute("SELECT response_id FROM responses")}

    def count(self, run_id: str | None = None) -> int:
        if run_id is None:
            return int(self._con.execute("SELECT COUNT(*) FROM responses").fetchone()[0])
        return int(self._con.execute("SELECT COUNT(*) FROM responses WHERE run_id = ?", (run_id,)).fetchone()[0])

    def insert(self, row: Mapping[str, Any], *, prompt: str | None = None) -> bool:
        """Write one response and commit. Returns False (and changes nothing) when a response
        with the same ``response_id`` is already stored: rows are never replaced."""
        missing = [c for c in RESPONSE_COLUMNS if c not in row and c != "seed"]
        if missing:
            raise StoreError(f"response row lacks column(s) {', '.join(missing)}")
        cols = ", ".join(f'"{c}"' for c in RESPONSE_COLUMNS)
        marks = ", ".join("?" for _ in RESPONSE_COLUMNS)
        with self._con:  # one transaction, committed on exit
            if prompt is not None:
                self._con.execute(
                    "INSERT INTO prompts (prompt_hash, text) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    (row["prompt_hash"], prompt),
                )
            cur = self._con.execute(
                f"INSERT INTO responses ({cols}) VALUES ({marks}) ON CONFLICT(response_id) DO NOTHING",
                tuple(row.get(c) for c in RESPONSE_COLUMNS),
            )
        return cur.rowcount == 1

    def prompt(self, prompt_hash: str) -> str | None:
        """The exact prompt text stored under ``prompt_hash``."""
        r = self._con.execute("SELECT text FROM prompts WHERE prompt_hash = ?", (prompt_hash,)).fetchone()
        return r[0] if r else None

    @property
    def connection(self) -> sqlite3.Connection:
        return self._con

    def close(self) -> None:
        con = getattr(self, "_con", None)
        if con is not None:
            con.close()
            self._con = None  # type: ignore[assignment]

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
