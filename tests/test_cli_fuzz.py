"""No command-line input ends in a traceback: every flag of every sub-command, fuzzed.

The cases are GENERATED from the argparse definitions (``psychometry.cli.build_parser()``): the
sub-commands are walked, and for each argument that takes a value, bad values are chosen by its
type (the ``psychometry.cli._args`` types say what they accept), its choices, or its kind (files:
missing, a directory, a binary file, a non-UTF-8 file, a path in a missing folder...). Flags
without a value are added, required arguments left out, value flags given no value, and ``-h``
is asked of every parser. A flag added later is covered without touching this file; a new
sub-command needs a valid baseline command line in ``BASELINES``.

Each case runs ``psychometry.cli.main(argv)`` in-process with the model load replaced by
``FakeBackend`` (after the same file checks the llama.cpp backend makes), in a scratch folder.
It must not print a traceback nor ``internal error`` (main's last line of defence counts as a
failure here); a value known to be invalid must exit non-zero; and a non-zero exit must say so in
exactly one ``error:`` line that names the flag (or the offending value, for errors found by the
API layer, which names the file or value).
"""

from __future__ import annotations

import argparse
import io
import math
import os
import re
import shutil
import signal
import sqlite3
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

import psychometry
from psychometry.backends import FakeBackend
from psychometry.cli import _args, build_parser, main

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"

#: A valid command line for every sub-command (without the command path): positionals by dest
#: (or metavar), then options. ``{case}`` becomes a name unique to the case (so that outputs do not collide).
BASELINES: dict[tuple[str, ...], tuple[dict[str, list[str]], list[str]]] = {
    ("administer",): (
        {"instruments": ["mini.yaml"]},
        ["--templates", "likert-plain", "--orders", "original", "--quiet", "--out", "{case}.sqlite"],
    ),
    ("instruments", "list"): ({}, []),
    ("instruments", "show"): ({"instrument": ["mini.yaml"]}, []),
    ("instruments", "validate"): ({"files": ["mini.yaml"]}, []),
    ("instruments", "export"): ({"instrument": ["mini.yaml"]}, ["--format", "csv", "--out", "{case}.csv"]),
    ("instruments", "import"): (
        {"file": ["psychobench_mini.json"]},
        ["--from", "psychobench", "--name", "MINI", "--out", "{case}.yaml"],
    ),
    ("results", "info"): ({"path": ["run.sqlite"]}, []),
    ("results", "export"): ({"path": ["run.sqlite"]}, ["--out", "{case}.csv"]),
    ("results", "import"): (
        {"file": ["lm_eval_samples.jsonl"]},
        ["--from", "lm-eval", "--out", "{case}-imported.sqlite"],
    ),
    ("report",): ({"RUN.sqlite": ["run.sqlite"]}, ["--quiet"]),
    ("doctor",): ({}, ["--no-smoke", "--model", "tiny.gguf"]),
}

# the scratch folder's files (made by the `workdir` fixture)
MISSING_FOLDER = "no_dir/x.yaml"
FILE_PROBLEMS = [
    "missing.yaml",
    MISSING_FOLDER,
    "adir",
    "binary.bin",
    "latin1.yaml",
    "empty.yaml",
    "unreadable.yaml",
]
NOT_TEXT = [
    "",
    " ",
    "\x00",
    "bad\x00nul",
    "\udcff",
]  # empty, blank, NUL byte, not UTF-8 (surrogate-escaped argv)


@dataclass(frozen=True)
class Case:
    path: tuple[str, ...]  # sub-command path
    flag: str  # option string or positional metavar ("" for whole-command cases)
    argv: tuple[str, ...]  # with {case} placeholders
    value: str | None  # the bad value (None: a flag without value, a left-out argument)
    invalid: bool | None  # True: must exit non-zero; None: either is fine (but no traceback)

    @property
    def id(self) -> str:
        v = "" if self.value is None else "=" + ascii(self.value)[1:-1][:40]
        return (
            f"{' '.join(self.path)} {self.flag}{v} [{' '.join(a for a in self.argv[len(self.path) :])[:60]}]"
        )


# --------------------------------------------------------------------------------- value oracles
def _is_int(text: str) -> bool:
    return re.fullmatch(r"[+-]?[0-9]+", text.strip()) is not None


def _int_invalid(t: _args.IntRange, v: str) -> bool:
    if v.strip().lower() in t.words:
        return False
    if not _is_int(v) or len(v.strip().lstrip("+-")) > 30:
        return True
    n = int(v)
    return (t.minimum is not None and n < t.minimum) or (t.maximum is not None and n > t.maximum)


def _float_invalid(t: _args.FloatRange, v: str) -> bool:
    try:
        x = float(v)
    except ValueError:
        return True
    if not math.isfinite(x):
        return True
    if t.minimum is not None and (x < t.minimum or (x == t.minimum and not t.inclusive)):
        return True
    return t.maximum is not None and x > t.maximum


def _values(action: argparse.Action) -> list[tuple[str, bool | None]]:
    """Bad (and borderline) values for one argument, with whether each must be refused."""
    t = action.type
    if action.choices is not None:
        choices = [str(c) for c in action.choices]
        out = [("", True), ("zzz", True), (" " + choices[0], True), ("\udcff", True)]
        if choices[0].upper() != choices[0]:
            out.append((choices[0].upper(), True))
        return out
    if isinstance(t, _args.IntRange):
        vals = [
            "",
            " ",
            "abc",
            "1.5",
            "1e309",
            "nan",
            "inf",
            "0x10",
            "9" * 40,
            "9" * 5000,
            "-3",
            "0",
            "1",
            "\uff11\uff12",
            "\x00",
            "\udcff",
            "2147483648",
        ]
        if t.minimum is not None:
            vals += [str(t.minimum - 1), str(t.minimum)]
        if t.maximum is not None:
            vals += [str(t.maximum + 1)]
        return [(v, _int_invalid(t, v)) for v in dict.fromkeys(vals)]
    if isinstance(t, _args.FloatRange):
        vals = [
            "",
            "abc",
            "nan",
            "-nan",
            "inf",
            "-inf",
            "1e309",
            "-1",
            "-0.5",
            "0",
            "1e-400",
            "0.7",
            "1e308",
            "\x00",
            "0x1p3",
            "1_0",
        ]
        return [(v, _float_invalid(t, v)) for v in vals]
    if t is int:
        return [
            (v, True if not _is_int(v) else None)
            for v in ["", "abc", "1.5", "-3", "0", "9" * 40, "1e309", "\udcff"]
        ]
    if t is float:
        return [
            (v, None if v not in ("", "abc", "\udcff") else True)
            for v in ["", "abc", "nan", "inf", "-1", "1e309", "\udcff"]
        ]
    kind = getattr(t, "kind", "plain")
    if kind == "file_in":
        vals = (
            NOT_TEXT
            + FILE_PROBLEMS
            + ["mini.yaml" if "sqlite" in t.allowed() else "run.sqlite", "other.sqlite"]
        )
        return [(v, None if v in ("unreadable.yaml", "other.sqlite") else True) for v in vals]
    if kind == "instrument":
        vals = NOT_TEXT + FILE_PROBLEMS + ["nonexistent_id", "Bad Id!", "list.yaml", "-3", "run.sqlite"]
        return [(v, None if v == "unreadable.yaml" else True) for v in vals]
    if kind == "model":
        vals = NOT_TEXT + [
            "missing.gguf",
            "no_dir/m.gguf",
            "adir",
            "binary.bin",
            "latin1.yaml",
            "notgguf.gguf",
            "empty.yaml",
        ]
        return [(v, True) for v in vals]
    if kind == "file_out":
        vals = [
            ("", True),
            ("\x00", True),
            ("\udcff.out", True),
            ("adir", True),
            ("adir/", True),
            ("binary.bin/x.out", True),
            ("new_dir/deeper/{case}.out", None),
        ]
        return vals
    if kind == "dir_out":
        return [
            ("", True),
            ("\x00", True),
            ("mini.yaml", True),
            ("binary.bin/sub", True),
            ("new_dir/{case}", None),
        ]
    # text (a non-empty string, often an id list or a file): strings and files of every kind
    must = isinstance(t, _args.Text)
    vals = [(v, True if must else None) for v in NOT_TEXT]
    vals += [(v, None) for v in ["zzz", "-3", "a" * 5000, "a,,b", ",", "all,zzz", "x=y=z"] + FILE_PROBLEMS]
    return vals


# ----------------------------------------------------------------------------------- generation
def _walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _walk(sub, path + (name,))


def _flag(action: argparse.Action) -> str:
    return action.option_strings[-1] if action.option_strings else str(action.metavar or action.dest)


def _key(action: argparse.Action, positionals: dict) -> str | None:
    for k in (action.dest, action.metavar):
        if k in positionals:
            return k
    return None


def _argv(path, positionals, options, parser) -> tuple[str, ...]:
    out = list(path)
    for action in parser._actions:
        if not action.option_strings and _key(action, positionals):
            out += positionals[_key(action, positionals)]
    return tuple(out + list(options))


def generate_cases() -> list[Case]:
    cases: list[Case] = []
    for path, parser in _walk(build_parser()):
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        cases.append(Case(path, "-h", tuple(path) + ("-h",), None, False))
        if subs:  # a command with actions: a bad action name
            for v in ["zzz", "", "\udcff", "-3"]:
                cases.append(Case(path, _flag(subs[0]), tuple(path) + (v,), v, True))
            continue
        if path not in BASELINES:
            continue  # test_every_command_has_a_baseline fails
        positionals, options = BASELINES[path]
        base = _argv(path, positionals, options, parser)
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
                continue
            flag = _flag(action)
            if not action.option_strings:  # a positional: replace its values
                key = _key(action, positionals) or action.dest
                for v, invalid in _values(action):
                    cases.append(
                        Case(path, flag, _argv(path, {**positionals, key: [v]}, options, parser), v, invalid)
                    )
                cases.append(
                    Case(
                        path,
                        flag,
                        _argv(path, {k: x for k, x in positionals.items() if k != key}, options, parser),
                        None,
                        True,
                    )
                )
                continue
            if action.nargs == 0:  # store_true / store_false / count
                cases.append(Case(path, flag, base + (action.option_strings[0],), None, None))
                continue
            for v, invalid in _values(action):
                cases.append(Case(path, flag, base + (action.option_strings[0], v), v, invalid))
            needs_value = action.nargs not in ("?", "*")
            cases.append(
                Case(path, flag, base + (action.option_strings[0],), None, True if needs_value else None)
            )
            if action.required:  # left out
                opts, skip = [], False
                for a in options:
                    if skip:
                        skip = False
                        continue
                    if a in action.option_strings:
                        skip = True
                        continue
                    opts.append(a)
                cases.append(Case(path, flag, _argv(path, positionals, opts, parser), None, True))
    cases.append(Case((), "--version", ("--version",), None, False))
    cases.append(Case((), "COMMAND", (), None, False))
    return cases


CASES = generate_cases()
_tried: list[str] = []


# -------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("fuzz")
    shutil.copy(FIXTURES / "mini.yaml", d / "mini.yaml")
    shutil.copy(FIXTURES / "psychobench_mini.json", d / "psychobench_mini.json")
    shutil.copy(
        next((FIXTURES / "inspect" / "lm_eval_textbook").glob("samples_*.jsonl")), d / "lm_eval_samples.jsonl"
    )
    psychometry.administer(
        psychometry.Design([str(d / "mini.yaml")], templates="likert-plain", orders="original"),
        model=FakeBackend(choice="hash"),
        out=d / "run.sqlite",
        progress=False,
    )
    (d / "adir").mkdir()
    (d / "binary.bin").write_bytes(bytes(range(256)) * 8)
    (d / "latin1.yaml").write_bytes("id: caf\xe9\nname: \xff\xfe\n".encode("latin-1"))
    (d / "empty.yaml").write_bytes(b"")
    (d / "list.yaml").write_text("- 1\n- 2\n", encoding="utf-8")
    (d / "notgguf.gguf").write_text("version https://git-lfs.github.com/spec/v1\n", encoding="utf-8")
    (d / "tiny.gguf").write_bytes(b"GGUF" + bytes(60))
    (d / "unreadable.yaml").write_text("format: psychometry-instrument/1\n", encoding="utf-8")
    os.chmod(d / "unreadable.yaml", 0)
    con = sqlite3.connect(d / "other.sqlite")
    con.execute("CREATE TABLE x (y)")
    con.commit()
    con.close()
    return d


@pytest.fixture
def cli(workdir, monkeypatch):
    """Run main(argv) in the scratch folder with no real model load; returns (rc, stdout, stderr)."""
    import psychometry.backends.llama as llama_mod
    import psychometry.doctor as doctor_mod
    from psychometry.backends.default_model import check_gguf

    def fake_llama(model_path=None, **settings):
        if model_path is not None:
            check_gguf(model_path)  # the real backend's first step
        return FakeBackend(choice="hash")

    monkeypatch.setattr(llama_mod, "LlamaCppBackend", fake_llama)
    monkeypatch.setattr(
        doctor_mod, "_check_r", lambda *a, **k: doctor_mod.Check("R", "ok", "not run in the fuzz test")
    )
    monkeypatch.setattr(
        doctor_mod,
        "_check_smoke",
        lambda *a, **k: doctor_mod.Check("smoke test", "ok", "not run in the fuzz test"),
    )
    monkeypatch.delenv("PSYCHOMETRY_DEBUG", raising=False)
    monkeypatch.delenv("PSYCHOMETRY_CPU_REPACK", raising=False)
    monkeypatch.chdir(workdir)

    def run(argv: list[str]) -> tuple[int, str, str]:
        out_b, err_b = io.BytesIO(), io.BytesIO()
        # like a real terminal: stdout strict UTF-8, stderr backslashreplace
        out = io.TextIOWrapper(out_b, encoding="utf-8", errors="strict", write_through=True)
        err = io.TextIOWrapper(err_b, encoding="utf-8", errors="backslashreplace", write_through=True)

        def too_slow(signum, frame):
            raise TimeoutError("the case took more than 60 s")

        old = signal.signal(signal.SIGALRM, too_slow)
        signal.alarm(60)
        try:
            with redirect_stdout(out), redirect_stderr(err):
                try:
                    rc = main(argv)
                except SystemExit as exc:
                    rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
            out.flush()
            err.flush()
        return rc, out_b.getvalue().decode("utf-8", "replace"), err_b.getvalue().decode("utf-8", "replace")

    return run


def _show(argv: list[str]) -> str:
    return repr([a if len(a) <= 80 else a[:60] + f"...({len(a)} chars)" for a in argv])


def _names_it(line: str, case: Case) -> bool:
    cands = [case.flag] if case.flag else []
    if case.value:
        v = case.value.replace("{case}", "")
        cands += [v.strip(), ascii(v)[1:-1], os.path.basename(v.rstrip("/")), os.path.normpath(v)]
        cands += [v.encode("utf-8", "backslashreplace").decode("ascii", "replace")]
        cands += [f"'{piece.strip()}'" for piece in v.split(",")]  # a list's bad member, quoted
    return any(c and c.strip() and c in line for c in cands)


# ----------------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_no_traceback_and_one_line_naming_the_flag(case: Case, cli):
    idx = CASES.index(case)
    argv = [a.replace("{case}", f"case{idx}") for a in case.argv]
    rc, out, err = cli(argv)
    _tried.append(case.id)
    both = out + err
    shown = _show(argv)
    error_lines = [ln for ln in err.splitlines() if re.search(r"\berror: ", ln)]
    n_lines = len([ln for ln in err.splitlines() if ln.strip()])
    err = err if len(err) < 2000 else err[:1000] + " [...] " + err[-1000:]
    assert "Traceback" not in both, f"{shown} ended in a traceback:\n{err}"
    assert "internal error" not in err, f"{shown} is an internal error, not a user error:\n{err}"
    if case.invalid is True:
        assert rc != 0, f"{shown} was accepted (exit 0): {case.flag} must refuse {case.value!r}\n{out[-500:]}"
    if case.invalid is False:
        assert rc == 0, f"{shown} exited {rc}:\n{err}"
    if rc == 0:
        return
    assert rc in (1, 2), f"{shown}: exit status {rc}\n{err}"
    if case.path == ("doctor",) and not err.strip():
        assert rc == 1 and "FAIL" in out, out  # the doctor reports a failed check on stdout
        return
    assert len(error_lines) == 1, f"{shown}: want one error line, got:\n{err}"
    if rc == 1:
        assert n_lines == 1, f"{shown}: more than one line:\n{err}"
    assert _names_it(error_lines[0], case), f"{shown}: the error does not name {case.flag}: {error_lines[0]}"


@pytest.mark.parametrize("path", [p for p in BASELINES], ids=[" ".join(p) for p in BASELINES])
def test_each_baseline_command_line_is_valid(path, cli):
    parser = dict(_walk(build_parser()))[path]
    positionals, options = BASELINES[path]
    argv = [a.replace("{case}", "baseline") for a in _argv(path, positionals, options, parser)]
    rc, _out, err = cli(argv)
    assert rc == 0, f"{argv!r}: {err}"


def test_every_command_has_a_baseline():
    leaves = [
        p
        for p, parser in _walk(build_parser())
        if p and not any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)
    ]
    assert sorted(leaves) == sorted(BASELINES), (
        "add a valid command line for the new sub-command to BASELINES"
    )


def test_every_value_flag_is_fuzzed_and_the_cases_are_many(capsys):
    covered = {(c.path, c.flag) for c in CASES if c.value is not None}
    missing = []
    for path, parser in _walk(build_parser()):
        for a in parser._actions:
            if (
                a.nargs != 0
                and not isinstance(a, (argparse._HelpAction, argparse._VersionAction))
                and (path, _flag(a)) not in covered
            ):
                missing.append(f"{' '.join(path)} {_flag(a)}")
    assert not missing, f"not fuzzed: {missing}"
    untyped = sorted(
        f"{' '.join(p)} {_flag(a)}"
        for p, parser in _walk(build_parser())
        for a in parser._actions
        if a.nargs != 0
        and a.choices is None
        and not isinstance(a.type, _args._ArgType)
        and not isinstance(a, (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction))
    )
    with capsys.disabled():
        print(
            f"\ncli fuzz: {len(CASES)} generated cases ({len(_tried)} run in this session); "
            f"flags without a psychometry.cli._args type: {', '.join(untyped) or 'none'}"
        )
    assert len(CASES) > 300
