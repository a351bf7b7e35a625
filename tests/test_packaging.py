"""The wheel ships the instruments: a non-editable ``pip install .`` (as in ``.ci/run``) must carry every
shipped YAML under ``psychometry/_instruments`` (``psychometry.resources.data_dir``)."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _installed_files() -> set[str]:
    try:
        files = metadata.files("psychometry") or []
    except metadata.PackageNotFoundError:
        pytest.skip("psychometry is not installed")
    names = {str(f).replace("\\", "/") for f in files}
    if not any(n.startswith("psychometry/") and n.endswith(".py") for n in names):
        pytest.skip("an editable install: the package files are not in the distribution's RECORD")
    return names


def test_the_installed_wheel_carries_every_shipped_yaml_file():
    names = _installed_files()
    shipped = sorted(
        p.relative_to(REPO / "instruments").as_posix()
        for p in (REPO / "instruments").rglob("*")
        if p.suffix in (".yaml", ".json")
    )
    assert shipped, "no YAML in instruments/"
    missing = [s for s in shipped if f"psychometry/_instruments/{s}" not in names]
    assert not missing, f"not in the wheel: {missing}"


def test_the_console_script_is_installed():
    eps = metadata.entry_points(group="console_scripts")
    assert any(ep.name == "psychometry" and ep.value == "psychometry.cli:main" for ep in eps)


def test_the_installed_wheel_carries_the_human_priors_table():
    # psychometry.stats.human_priors() reads it with importlib.resources; hatch ships every file of
    # the `packages` directories (pyproject [tool.hatch.build.targets.wheel])
    names = _installed_files()
    if "psychometry/stats/priors.py" not in names:
        pytest.skip("the installed wheel predates psychometry.stats.priors: reinstall (pip install .)")
    assert "psychometry/stats/human_priors.yaml" in names
