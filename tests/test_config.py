"""Settings: defaults, paths relative to config.yaml, unknown keys and wrong types named."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyxl.cli import main
from pyxl.config import load_settings
from pyxl.errors import PyxlError

from conftest import REPO


def test_repository_config_is_the_bundled_example():
    bundled = (REPO / "pyxl" / "example" / "config.yaml").read_text(encoding="utf-8")
    assert (REPO / "config.yaml").read_text(encoding="utf-8") == bundled


def test_paths_are_relative_to_the_config_folder(settings, workspace, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # somewhere else entirely
    assert settings.inbox_dir == workspace / "inbox"
    assert settings.out_dir("2025-06") == workspace / "out" / "2025-06"
    assert settings.document_path.name.endswith("责任分工.txt")


def _write(folder: Path, text: str) -> Path:
    path = folder / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_key_is_named(tmp_path):
    with pytest.raises(PyxlError, match="mail.hots"):
        load_settings(_write(tmp_path, "mail:\n  hots: smtp.example\n"))


def test_wrong_type_is_named(tmp_path):
    with pytest.raises(PyxlError, match="mail.port"):
        load_settings(_write(tmp_path, "mail:\n  port: 不是数字\n"))


def test_alias_claimed_by_two_units_is_an_error(tmp_path):
    text = "units:\n - {name: 甲局, kind: 区直部门, aliases: [局]}\n - {name: 乙局, kind: 区直部门, aliases: [局]}\n"
    with pytest.raises(PyxlError, match="局"):
        load_settings(_write(tmp_path, text))


def test_cli_reports_a_bad_config_in_one_line_and_exits_2(tmp_path, capsys):
    config = _write(tmp_path, "year: 明年\n")
    assert main(["--config", str(config), "split", "--period", "2025-06"]) == 2
    err = capsys.readouterr().err
    assert "year" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_missing_config_says_what_to_do(tmp_path, capsys):
    assert main(["--config", str(tmp_path / "nope.yaml"), "split"]) == 2
    assert "pyxl init" in capsys.readouterr().err


def test_init_creates_a_workspace_that_loads(tmp_path):
    target = tmp_path / "新区县"
    assert main(["init", str(target)]) == 0
    settings = load_settings(target / "config.yaml")
    assert settings.year == 2025
    assert (target / "inbox").is_dir() and (target / "returns").is_dir()
    assert main(["init", str(target)]) == 2  # never overwrite a workspace


def test_bad_period_is_a_usage_error(settings, workspace, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--config", str(workspace / "config.yaml"), "split", "--period", "2025-13"])
    assert stop.value.code == 2
