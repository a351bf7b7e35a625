"""The results store (psychometry.store): WAL, append-only rows, one configuration per file."""

from __future__ import annotations

import ast
import io
import json
import re
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

import psychometry
from psychometry.errors import StoreError
from psychometry.store import _DDL, RESPONSE_COLUMNS, SCHEMA, Store
from psychometry.store import COLUMNS as COLS


def row(rid: str, value: float = 3.0, run_id: str = "run1") -> dict:
    r = {c: None for c in RESPONSE_COLUMNS}
    r.update(
        response_id=rid,
        run_id=run_id,
        model="m",
        persona="none",
        template="t",
        order="original",
        repeat=0,
        respondent="m/none/t/original/0",
        instrument="i",
        item="q1",
        scale="E",
        keyed=1,
        shown_values="1,2,3,4,5",
        mode="logprob",
        status="ok",
        value=value,
        position=value,
        prompt_hash="h" * 64,
        created_at="2024-01-01T00:00:00+00:00",
    )
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


# ----------------------------------------------------------------------------------- read-only opening
def _fingerprint(p):
    """Everything a read-only command must leave alone: the bytes, the journal mode, sibling files."""
    con = sqlite3.connect(p)
    mode = con.execute("PRAGMA journal_mode").fetchone()[0]
    con.close()
    return p.read_bytes(), mode, sorted(x.name for x in p.parent.iterdir())


def test_opening_for_reading_never_writes_to_the_file(tmp_path):
    p = tmp_path / "r.sqlite"
    with Store(p) as st:
        st.begin_run("run1", {"a": 1}, {})
        st.insert(row("x"))
    con = sqlite3.connect(p)
    con.execute("PRAGMA journal_mode=DELETE")  # e.g. a copy someone made with another tool
    con.close()
    before = _fingerprint(p)
    with Store(p, create=False) as st:
        assert st.count() == 1
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            st.connection.execute("INSERT INTO meta VALUES ('x', 'y')")
    assert _fingerprint(p) == before  # still DELETE mode, no -wal/-shm files, same bytes


def test_an_empty_file_opened_for_reading_is_refused_and_stays_empty(tmp_path):
    p = tmp_path / "empty.sqlite"
    p.touch()
    with pytest.raises(StoreError, match="not a psychometry results file"):
        Store(p, create=False)
    assert p.stat().st_size == 0


def test_a_file_with_responses_but_no_meta_is_refused_in_one_line(tmp_path):
    p = tmp_path / "resp.sqlite"
    con = sqlite3.connect(p)
    con.execute("CREATE TABLE responses (response_id TEXT)")
    con.commit()
    con.close()
    for create in (False, True):
        with pytest.raises(StoreError, match=r"not a psychometry results file \(no meta, runs tables\)"):
            Store(p, create=create)


def test_a_foreign_database_is_refused_before_its_journal_mode_is_touched(tmp_path):
    p = tmp_path / "theirs.sqlite"
    con = sqlite3.connect(p)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    before = _fingerprint(p)
    with pytest.raises(StoreError):
        Store(p)  # even the writing engine checks first
    assert _fingerprint(p) == before


def test_a_results_file_of_an_unknown_schema_is_refused(tmp_path):
    p = tmp_path / "r.sqlite"
    with Store(p):
        pass
    con = sqlite3.connect(p)
    con.execute("UPDATE meta SET value = 'psychometry-store/99' WHERE key = 'schema'")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="'psychometry-store/99'.*upgrade psychometry"):
        Store(p, create=False)


# --------------------------------------------------------------------------------- schema and runs
def test_a_new_file_records_its_schema_in_meta(tmp_path):
    with Store(tmp_path / "r.sqlite") as st:
        assert st.connection.execute("SELECT value FROM meta WHERE key='schema'").fetchone() == (SCHEMA,)
        assert st.tagged_respondents and st.has_membership
        assert "position_probs" in st.response_columns


def test_run_membership_counts_responses_another_run_stored(tmp_path):
    with Store(tmp_path / "r.sqlite") as st:
        st.begin_run("run1", {"orders": ["original"]}, {})
        st.add_members("run1", ["a"])
        st.insert(row("a", run_id="run1"))
        st.begin_run("run2", {"orders": ["original", "reversed"]}, {}, add_run=True)
        st.add_members("run2", ["a", "b"])  # "a" is already stored by run1: run2 skips it
        st.insert(row("b", run_id="run2"))
        assert st.count("run1") == 1 and st.count("run2") == 2 and st.count() == 2
        assert {r["run_id"]: r["n_responses"] for r in st.runs()} == {"run1": 1, "run2": 2}
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            st.connection.execute("DELETE FROM run_responses")


def test_a_run_with_members_is_exactly_its_members(tmp_path):
    # A run written before membership was recorded, resumed under a plan that no longer holds one of
    # its rows (e.g. a duplicate order condition now dropped): the run is what its plan holds.
    with Store(tmp_path / "r.sqlite") as st:
        st.begin_run("run1", {"orders": ["original", "rotate"]}, {})
        st.insert(row("a", run_id="run1"))
        st.insert(row("copy", run_id="run1"))  # written by the old plan, not in the new one
        assert st.count("run1") == 2  # no members yet: the rows the run wrote
        st.add_members("run1", ["a"])
        assert st.count("run1") == 1 and st.count() == 2  # the file keeps every stored row


def test_every_session_records_its_own_versions_and_backend_settings(tmp_path):
    p = tmp_path / "r.sqlite"
    first = {"psychometry_version": "1.0", "llama_cpp_python": "0.3.1", "backend_settings": {"n_threads": 1}}
    later = {"psychometry_version": "1.1", "llama_cpp_python": "0.3.2", "backend_settings": {"n_threads": 4}}
    with Store(p) as st:
        st.begin_run("run1", {"a": 1}, first)
    with Store(p) as st:
        st.begin_run("run1", {"a": 1}, later)
        (run,) = st.runs()
    m = run["manifest"]
    assert m["backend_settings"] == {"n_threads": 1}  # the top level stays the first session's
    assert [s["backend_settings"]["n_threads"] for s in m["sessions"]] == [1, 4]
    assert [s["llama_cpp_python"] for s in m["sessions"]] == ["0.3.1", "0.3.2"]


# ------------------------------------------------------------------------- files of earlier versions
LEGACY_DDL = _DDL.replace(',\n    "position_probs" TEXT', "")  # psychometry-store/1: no position_probs


def make_legacy_file(p, rows=()):
    """A results file as psychometry-store/1 wrote it (no run_responses, no position_probs)."""
    assert "position_probs" not in LEGACY_DDL
    con = sqlite3.connect(p)
    con.executescript(LEGACY_DDL)
    con.execute("INSERT INTO meta VALUES ('schema', 'psychometry-store/1')")
    con.execute("INSERT INTO runs VALUES ('run1', '{}', '{\"sessions\": []}', '2024-01-01T00:00:00+00:00')")
    cols = [c for c in RESPONSE_COLUMNS if c != "position_probs"]
    for r in rows:
        con.execute(
            f"INSERT INTO responses ({', '.join(repr(c) for c in cols)}) VALUES "
            f"({', '.join('?' for _ in cols)})",
            [r.get(c) for c in cols],
        )
    con.commit()
    con.close()


def test_a_file_of_the_previous_schema_is_read_without_being_changed(tmp_path):
    from psychometry.results import load_results, run_info

    p = tmp_path / "old.sqlite"
    make_legacy_file(p, [row("x"), row("y", 4.0)])
    before = _fingerprint(p)
    df = load_results(p, run_id="run1")
    assert df["value"].tolist() == [3.0, 4.0] and df["position_probs"].isna().all()
    assert run_info(p)[0]["n_responses"] == 2
    assert _fingerprint(p) == before


def test_a_file_of_the_previous_schema_gains_the_new_tables_when_written_but_keeps_its_rows(tmp_path):
    p = tmp_path / "old.sqlite"
    make_legacy_file(p, [row("x")])
    with Store(p) as st:
        assert st.schema == "psychometry-store/1" and not st.tagged_respondents  # its respondent ids stay
        assert st.has_membership and "position_probs" in st.response_columns
        assert st.connection.execute("SELECT response_id, value FROM responses").fetchall() == [("x", 3.0)]


# ------------------------------------------------------------------------- the store owns its SQL
_SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE FROM|CREATE (TABLE|INDEX|TRIGGER)|ALTER TABLE|PRAGMA)\b")


def test_no_module_but_the_store_holds_sql():
    """Every SQL statement of the package lives in psychometry/store.py: no other module has a
    string literal (docstrings included) that spells SQL."""
    root = Path(psychometry.__file__).parent
    found = []
    for f in sorted(root.rglob("*.py")):
        if f == root / "store.py":
            continue
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SQL.search(node.value):
                found.append(f"{f.relative_to(root)}:{node.lineno}: {_SQL.search(node.value).group(0)}")
    assert not found, "SQL outside psychometry/store.py:\n" + "\n".join(found)
    # the check sees SQL where it is
    assert _SQL.search((root / "store.py").read_text(encoding="utf-8"))


def test_one_column_list_and_the_store_methods_that_read(tmp_path):
    from psychometry import results, store

    assert results.COLUMNS is store.COLUMNS and store.RESPONSE_COLUMNS == (*store.COLUMNS, "seed")
    p = tmp_path / "r.sqlite"
    with Store(p) as st:
        st.begin_run("run1", {"a": 1}, {})
        st.insert(
            {**row("x"), "probs": '{"1": 0.25, "2.5": 0.75}', "position_probs": "[0.75, 0.25]"}, prompt="P"
        )
        st.insert(row("y", 4.0))
        st.add_members("run1", ["x"])
    with Store(p, create=False) as st:
        assert [r[0] for r in st.responses()] == ["x", "y"]
        assert [r[0] for r in st.responses("run1")] == ["x"]  # its members
        assert len(st.responses()[0]) == len(store.COLUMNS)
        assert st.prompts() == {"h" * 64: "P"}
        assert [r["run_id"] for r in st.runs()] == ["run1"]
    assert results.load_prompts(p) == {"h" * 64: "P"}


def test_probabilities_are_decoded_once_and_exported_as_stored(tmp_path):
    from psychometry.results import export_results, load_results

    p = tmp_path / "r.sqlite"
    stored = {
        "x": ('{"1": 0.1234567891, "2.5": 0.8765432109}', "[0.8765432109, 0.1234567891]"),
        "y": (None, None),
    }
    with Store(p) as st:
        st.begin_run("run1", {"a": 1}, {})
        for rid, (probs, pos) in stored.items():
            st.insert({**row(rid), "probs": probs, "position_probs": pos})
    df = load_results(p).set_index("response_id")
    assert df.loc["x", "probs"] == {1.0: 0.1234567891, 2.5: 0.8765432109}
    assert df.loc["x", "position_probs"] == [0.8765432109, 0.1234567891]
    assert df.loc["y", "probs"] is None and df.loc["y", "position_probs"] is None
    csv = pd.read_csv(io.StringIO(export_results(p, "csv")), keep_default_na=False).set_index("response_id")
    records = {r["response_id"]: r for r in json.loads(export_results(p, "json"))}
    for rid, (probs, pos) in stored.items():
        assert (csv.loc[rid, "probs"], csv.loc[rid, "position_probs"]) == (probs or "", pos or "")
        assert (records[rid]["probs"], records[rid]["position_probs"]) == (probs, pos)


def test_exports_of_an_engine_run_keep_the_stored_json_text(tmp_path):
    from psychometry.backends import FakeBackend
    from psychometry.results import export_results

    p = tmp_path / "r.sqlite"
    psychometry.administer(
        psychometry.Design("sd3", templates="likert-plain"), model=FakeBackend(), out=p, progress=False
    )
    with Store(p, create=False) as st:
        raw = {r[0]: (r[COLS.index("probs")], r[COLS.index("position_probs")]) for r in st.responses()}
    records = json.loads(export_results(p, "json"))
    assert len(records) == len(raw) == 54
    assert all((r["probs"], r["position_probs"]) == raw[r["response_id"]] for r in records)
