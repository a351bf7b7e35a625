"""The results store (psychometry.store): WAL, append-only rows, one configuration per file."""
from __future__ import annotations

import sqlite3

import pytest

from psychometry.errors import StoreError
from psychometry.store import RESPONSE_COLUMNS, Store


def row(rid: str, value: float = 3.0, run_id: str = "run1") -> dict:
    r = {c: None for c in RESPONSE_COLUMNS}
    r.update(response_id=rid, run_id=run_id, model="m", persona="none", template="t", order="original",
             repeat=0, respondent="m/none/t/original/0", instrument="i", item="q1", scale="E", keyed=1,
             shown_values="1,2,3,4,5", mode="logprob", status="ok", value=value, position=value,
             prompt_hash="h" * 64, created_at="2024-01-01T00:00:00+00:00")
    return r


def test_store_uses_wal_journal_mode(tmp_path):
    with Store(tmp_path / "r.sqlite") as st:
        assert st.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_insert_never_replaces_an_existing_response(tmp_path):
    with Store(tmp_path / "r.sqlite") as st:
        st.begin_run("run1", {"a": 1}, {})
        assert st.insert(row("x", 2.0), prompt="P") is True
        assert st.insert(row("x", 5.0), prompt="P") is False
        assert st.connection.execute("SELECT value FROM responses").fetchall() == [(2.0,)]
        assert st.prompt("h" * 64) == "P"


def test_responses_cannot_be_updated_or_deleted(tmp_path):
    with Store(tmp_path / "r.sqlite") as st:
        st.begin_run("run1", {"a": 1}, {})
        st.insert(row("x"))
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            st.connection.execute("UPDATE responses SET value = 1")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            st.connection.execute("DELETE FROM responses")


def test_the_same_configuration_resumes_and_records_a_new_session(tmp_path):
    p = tmp_path / "r.sqlite"
    with Store(p) as st:
        assert st.begin_run("run1", {"a": 1}, {"seed": 0}) is False
        st.end_session("run1", 0, complete=False)
    with Store(p) as st:
        assert st.begin_run("run1", {"a": 1}, {"seed": 0}) is True
        (run,) = st.runs()
        assert len(run["manifest"]["sessions"]) == 2


def test_a_different_configuration_is_refused_naming_what_differs(tmp_path):
    p = tmp_path / "r.sqlite"
    with Store(p) as st:
        st.begin_run("run1", {"orders": ["original"], "seed": 0}, {})
    with Store(p) as st:
        with pytest.raises(StoreError, match=r"different configuration \(differs in: orders\).*--add-run"):
            st.begin_run("run2", {"orders": ["rotate"], "seed": 0}, {})
        assert st.begin_run("run2", {"orders": ["rotate"], "seed": 0}, {}, add_run=True) is False
        assert [r["run_id"] for r in st.runs()] == ["run1", "run2"]


def test_a_foreign_sqlite_file_or_garbage_is_refused(tmp_path):
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="not a psychometry results file"):
        Store(other)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError):
        Store(junk)
    with pytest.raises(StoreError, match="no results file"):
        Store(tmp_path / "missing.sqlite", create=False)
