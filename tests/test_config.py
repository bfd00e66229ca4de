"""Settings: defaults, paths relative to config.yaml, unknown keys and wrong types named."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO

from pyxl.cli import main
from pyxl.common.config import load_settings
from pyxl.common.errors import PyxlError
from pyxl.example import example_document


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


@pytest.mark.parametrize(
    "text, words",
    [
        ("year: 明年\n", ["「year」", "应为整数", "明年"]),
        ("mail:\n  security: tls\n", ["「mail.security」", "'ssl'、'starttls'、'none'"]),
        ("period:\n  return_due_day: 40\n", ["「period.return_due_day」", "不大于 31"]),
        ("units:\n - {name: 区财政局, kind: ''}\n", ["「units 第 1 项（区财政局）.kind」", "不能为空"]),
        ("units:\n - {name: 区财政局, kind: 一个非常非常长的类别名称写成了一句话还没完}\n", ["「units 第 1 项（区财政局）.kind」", "不能多于 20 个字"]),
        ("split:\n  master_sheets: 也许\n", ["「split.master_sheets」", "true 或 false"]),
    ],
)
def test_wrong_values_are_explained_in_chinese(tmp_path, text, words):
    with pytest.raises(PyxlError) as raised:
        load_settings(_write(tmp_path, text))
    message = str(raised.value)
    assert all(word in message for word in words), message
    assert "Input should" not in message and "String should" not in message  # pydantic's English stays out of the clerk's way


def test_a_group_member_must_be_a_unit(tmp_path):
    text = "units:\n - {name: 文昌街道, kind: 街镇}\ngroups:\n  各街镇: {members: [文昌街道, 平安街到]}\n"
    with pytest.raises(PyxlError, match="「平安街到」不是 units 中的单位名称"):
        load_settings(_write(tmp_path, text))


def test_a_name_cannot_be_both_a_unit_and_a_group(tmp_path):
    text = "units:\n - {name: 区财政局, kind: 区直部门, aliases: [各部门]}\ngroups:\n  各部门: {open: true}\n"
    with pytest.raises(PyxlError) as raised:
        load_settings(_write(tmp_path, text))
    assert "单位「区财政局」和单位组「各部门」" in str(raised.value)
    assert "{'units'" not in str(raised.value)  # never the whole file as "the value"


@pytest.mark.parametrize("where", ["before", "after command", "after document"])
def test_config_is_taken_before_or_after_the_command(workspace, capsys, monkeypatch, tmp_path, where):
    monkeypatch.chdir(tmp_path)  # no config.yaml here
    config = ["--config", str(workspace / "config.yaml")]
    argv = {
        "before": [*config, "parse"],
        "after command": ["parse", *config],
        "after document": ["parse", str(example_document()), *config],
    }[where]
    assert main(argv) == 0  # the example's two open groups are hints (severity warning), not errors
    assert "89 项任务" in capsys.readouterr().out


def test_usage_error_points_to_the_right_help(capsys):
    with pytest.raises(SystemExit):
        main(["--no-such-option"])
    assert "（pyxl --help 查看用法）" in capsys.readouterr().err


def test_outputs_get_the_folder_s_normal_permissions(tmp_path):
    import os
    import stat

    from pyxl.common.files import write_text_atomic

    target = write_text_atomic(tmp_path / "汇总.csv", "a,b\n")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    os.chmod(target, 0o640)  # a file staff restricted keeps its mode when rewritten
    write_text_atomic(target, "a,b,c\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_closed_pipe_is_not_a_bug(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        f"{sys.executable} -m pyxl.cli parse --json | head -c 10",
        shell=True, capture_output=True, text=True, cwd=tmp_path,
    )
    assert "内部错误" not in done.stderr and not (tmp_path / "logs").exists()


def test_csv_cells_that_excel_would_run_are_written_as_text_and_read_back_exactly():
    from pyxl.common.files import csv_cell, csv_value

    for value in ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "'quoted", "普通文字", ""]:
        cell = csv_cell(value)
        assert not cell.startswith(("=", "+", "-", "@"))
        assert csv_value(cell) == value


def test_a_bug_is_logged_in_the_configured_logs_folder_and_told_in_one_line(workspace, monkeypatch, capsys):
    from pyxl import pipeline

    config = workspace / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("  logs: logs", "  logs: 日志"), encoding="utf-8")

    def broken(*args, **kwargs):  # stands for any defect in a step: the shell's boundary is under test
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(pipeline, "parse_document", broken)
    assert main(["--config", str(config), "parse"]) == 3
    err = capsys.readouterr().err
    log = workspace / "日志" / "pyxl.log"
    assert str(log) in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "ZeroDivisionError" in log.read_text(encoding="utf-8")


def test_a_county_names_its_own_unit_kinds(tmp_path):
    text = "district: 沁县\nunits:\n - {name: 县财政局, kind: 县直部门}\n - {name: 定昌镇, kind: 乡镇}\n"
    settings = load_settings(_write(tmp_path, text))
    assert [(u.name, u.kind) for u in settings.unit_directory().units] == [("县财政局", "县直部门"), ("定昌镇", "乡镇")]
    assert settings.level == "县" and settings.office_name == "沁县人民政府督查室"


def test_an_atomic_write_steps_past_a_temporary_name_already_taken_and_makes_its_folder(tmp_path, monkeypatch):
    import itertools
    import os

    from pyxl.common import files

    monkeypatch.setattr(files, "_temporaries", itertools.count(7))
    taken = tmp_path / f"{files.TEMP_PREFIX}{os.getpid()}-7.csv"  # left by an earlier process with our number
    taken.write_bytes(b"left over")
    target = files.write_bytes_atomic(tmp_path / "汇总.csv", b"x,y\n")
    assert target.read_bytes() == b"x,y\n"
    assert taken.read_bytes() == b"left over"  # not ours to touch
    assert next(files._temporaries) == 9  # 7 was taken, 8 written and renamed
    nested = files.write_bytes_atomic(tmp_path / "a" / "b" / "汇总.csv", b"1\n")  # its folders made on the way
    assert nested.read_bytes() == b"1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([taken.name, "汇总.csv", "a"])
    assert [p.name for p in nested.parent.iterdir()] == ["汇总.csv"]
