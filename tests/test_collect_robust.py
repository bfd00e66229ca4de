"""One bad file never blocks the rest; the file system and a second command never end in an internal error.

A bug inside one file, a run that died on a file, a full disk, a read-only
folder, the leftovers of an interrupted run and two commands on one
workspace at once — each through the real collect, CLI or ribbon path.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest
from test_collect_support import OTHER, PERIOD, UNIT, filled, workspace_from

from pyxl import cli, pipeline
from pyxl.common import files
from pyxl.common.period import Period
from pyxl.returns import collect, reading_mark
from pyxl.returns.archive import read_ledger
from pyxl.workspace import Workspace

NOW = datetime(2025, 7, 3, 9, 0)
REPO = Path(__file__).resolve().parent.parent



@pytest.fixture
def ws(sent_root, tmp_path):
    settings = workspace_from(sent_root, tmp_path / "工作目录")
    sent = settings.out_dir(PERIOD) / "分发"
    for unit in (UNIT, OTHER):
        filled(next(sent.glob(f"*_{unit}.xlsx")), settings.inbox_dir / f"{unit}.xlsx")
    return settings


def _config(settings) -> str:
    return str(settings.root / "config.yaml")


def test_a_bug_inside_one_file_is_recorded_and_the_rest_proceeds(ws, monkeypatch):
    real = collect.read_return

    def buggy(data, **kwargs):
        if kwargs["source"].endswith(f"{UNIT}.xlsx"):
            raise ZeroDivisionError("a bug met in this file only")
        return real(data, **kwargs)

    monkeypatch.setattr(collect, "read_return", buggy)
    result = pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), None, now=NOW)
    assert result.exit_code == 1
    assert [(p.file, p.code) for p in result.problems] == [(f"inbox/{UNIT}.xlsx", "file-crashed")]
    log = ws.logs_dir / "pyxl.log"
    assert str(log.relative_to(ws.root)) in result.problems[0].message or str(log) in result.problems[0].message
    assert "ZeroDivisionError" in log.read_text(encoding="utf-8")
    states = {line.source: line.status for line in read_ledger(ws.returns_dir(PERIOD))}
    assert states == {f"inbox/{UNIT}.xlsx": "rejected", f"inbox/{OTHER}.xlsx": "accepted"}

    monkeypatch.setattr(collect, "read_return", real)
    again = pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), None, now=NOW)
    assert again.problems == [] and len(read_ledger(ws.returns_dir(PERIOD))) == 2  # the next run does not trip on it


def test_a_file_the_last_run_died_on_is_set_aside_not_read_again(ws, monkeypatch):
    import hashlib

    died_on = ws.inbox_dir / f"{UNIT}.xlsx"
    mark = ws.returns_dir(PERIOD) / reading_mark.READING_MARK
    mark.parent.mkdir(parents=True)
    mark.write_text(f"{hashlib.sha256(died_on.read_bytes()).hexdigest()}\tinbox/{UNIT}.xlsx\n", encoding="utf-8")
    read = []
    real = collect.read_return
    monkeypatch.setattr(collect, "read_return", lambda data, **kw: (read.append(kw["source"]), real(data, **kw))[1])

    result = pipeline.collect_returns(Workspace.load(ws), Period(2025, 6), None, now=NOW)
    assert f"inbox/{UNIT}.xlsx" not in read and f"inbox/{OTHER}.xlsx" in read
    assert [(p.file, p.code) for p in result.problems] == [(f"inbox/{UNIT}.xlsx", "file-crashed")]
    assert not mark.exists()


def _boom(code: int, folder: Path):
    real = os.replace

    def replace(source, target, *args, **kwargs):
        if str(target).startswith(str(folder)):
            raise OSError(code, os.strerror(code), str(target))
        return real(source, target, *args, **kwargs)

    return replace


@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "磁盘已满"), (errno.EROFS, "没有权限写入"), (errno.EACCES, "没有权限写入")])
def test_a_full_disk_or_read_only_folder_exits_2_naming_the_folder(ws, monkeypatch, capsys, code, words):
    monkeypatch.setattr(os, "replace", _boom(code, ws.returns_dir(PERIOD)))
    exit_code = cli.main(["--config", _config(ws), "collect", "--period", PERIOD])
    err = capsys.readouterr().err
    assert exit_code == 2, err
    assert words in err and str(ws.returns_dir(PERIOD)) in err and "内部错误" not in err
    assert len(err.strip().splitlines()) == 1
    assert not list(ws.returns_dir(PERIOD).glob(".~pyxl-*"))  # the temporary went with the failure


def test_a_full_disk_met_outside_the_atomic_writes_is_named_too(ws, monkeypatch, capsys):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(ws.logs_dir / "x"))

    monkeypatch.setattr(pipeline, "collect_returns", full)
    assert cli.main(["--config", _config(ws), "collect", "--period", PERIOD]) == 2
    assert "磁盘已满" in capsys.readouterr().err


def test_leftovers_of_an_interrupted_run_are_removed_by_the_next_command(ws, capsys):
    stray = [ws.out_dir(PERIOD) / ".~pyxl-abc.xlsx", ws.returns_dir(PERIOD) / ".~pyxl-def.csv", ws.root / ".~pyxl-x"]
    for path in stray[:2]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half written")
    stray[2].mkdir()
    (stray[2] / "督办单.docx").write_bytes(b"half")
    keep = ws.inbox_dir / "~$区财政局.xlsx"
    keep.write_bytes(b"Excel's own lock")
    assert cli.main(["--config", _config(ws), "collect", "--period", PERIOD]) in (0, 1)
    assert not any(path.exists() for path in stray)
    assert keep.exists()


def test_staging_folders_get_the_permissions_of_any_new_folder(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    with files.staging_folder(tmp_path / "out") as folder:
        assert (folder.stat().st_mode & 0o777) == (0o777 & ~umask)
    assert not folder.exists()


# ---------------------------------------------------------------- one command at a time


HOLD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from pyxl.common.files import workspace_lock
    with workspace_lock(Path(sys.argv[1])):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
""")


def test_a_second_command_waits_briefly_then_exits_2(ws, monkeypatch, capsys):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(ws.root), "20"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(files, "LOCK_WAIT_SECONDS", 0.5)
        assert cli.main(["--config", _config(ws), "collect", "--period", PERIOD]) == 2
        assert "另一个 pyxl 命令正在运行" in capsys.readouterr().err
        assert not ws.returns_dir(PERIOD).exists()  # nothing was done
    finally:
        holder.kill()
        holder.wait()
    assert cli.main(["--config", _config(ws), "collect", "--period", PERIOD]) == 0  # the lock died with its holder


SLOW_COLLECT = textwrap.dedent("""
    import os, sys, time
    real = os.replace
    def slow(source, target, *args, **kwargs):  # every rename takes a while: two runs would interleave
        time.sleep(0.3)
        return real(source, target, *args, **kwargs)
    os.replace = slow
    from pyxl import cli
    sys.exit(cli.main(sys.argv[1:]))
""")


def test_two_collects_at_once_lose_no_ledger_line(ws):
    first, second = ws.inbox_dir / "a", ws.inbox_dir / "b"
    first.mkdir(), second.mkdir()
    (ws.inbox_dir / f"{UNIT}.xlsx").rename(first / f"{UNIT}.xlsx")
    (ws.inbox_dir / f"{OTHER}.xlsx").rename(second / f"{OTHER}.xlsx")
    runs = [
        subprocess.Popen([sys.executable, "-c", SLOW_COLLECT, "--config", _config(ws), "collect", "--period", PERIOD, str(folder)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
        for folder in (first, second)
    ]
    outcomes = [run.communicate(timeout=120) + (run.returncode,) for run in runs]
    assert [code for _, _, code in outcomes] == [0, 0], outcomes
    sources = sorted(line.source for line in read_ledger(ws.returns_dir(PERIOD)))
    assert sources == sorted([f"inbox/a/{UNIT}.xlsx", f"inbox/b/{OTHER}.xlsx"])


def test_a_ribbon_button_pressed_during_a_command_says_so(ws, monkeypatch):
    from pyxl.excel import run_button
    from pyxl.master.memory import MemoryBook

    pipeline.build_workbook(Workspace.load(ws), now=datetime(2025, 7, 1, 8, 0, 0))
    book = MemoryBook.open(ws.workbook_path)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(ws.root), "20"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(files, "LOCK_WAIT_SECONDS", 0.5)
        assert run_button(book, "collect_returns", datetime(2025, 7, 3, 9, 0)) is None
        assert "另一个 pyxl 命令正在运行" in book.alerts[-1]
        assert not ws.returns_dir(PERIOD).exists()
    finally:
        holder.kill()
        holder.wait()
