"""Benchmark: collect 500 synthetic returns of about 20 rows each.

Writes 500 unit workbooks with the real split writer (20 rows each, filled
in like a clerk would, through openpyxl), then in one run:
  - pyxl: `check.read_return` on each file's bytes — sniff, zip-bomb check,
    python-calamine read, recognition, locked-hash check, value parsing;
  - naive baseline: `pandas.read_excel(engine="openpyxl")` of every sheet of
    the same files, with no validation at all.
Reports ms per return and peak memory (tracemalloc) of each.

    .venv/bin/python benchmarks/bench_collect.py [--returns 500]
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
import tracemalloc
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd

from pyxl.common.model import Unit, UnitDirectory
from pyxl.distribution import layout
from pyxl.distribution.unit_sheet import SheetRow, write_unit_workbook
from pyxl.returns import check

ROWS = 20


def make_files(folder: Path, count: int) -> tuple[list[bytes], UnitDirectory]:
    units = [f"测试单位{i:03d}" for i in range(count)]
    files = []
    for i, unit in enumerate(units):
        rows = []
        for t in range(ROWS // 2):
            number = str(i % 80 + t + 1)
            rows.append(SheetRow(number, number, None, f"第{number}项重点任务：推进项目建设，确保按期完成", layout.ROLE_LEAD))
            rows.append(SheetRow(f"{number}-1", number, 0, f"第{number}项任务的指标", layout.ROLE_LEAD, "投资额", "10亿元", "年底前"))
        path = folder / f"{i:03d}.xlsx"
        write_unit_workbook(path, unit, "2025-06", rows, date(2025, 7, 5), year=2025)
        book = openpyxl.load_workbook(path)
        sheet = book.worksheets[0]
        for r in range(5, 5 + ROWS):
            sheet.cell(r, 7).value = 3.5
            sheet.cell(r, 8).value = 50
            sheet.cell(r, 9).value = "按计划推进"
            sheet.cell(r, 10).value = "项目按计划推进，已完成年度投资的一半"
        buffer = io.BytesIO()
        book.save(buffer)
        files.append(buffer.getvalue())
    return files, UnitDirectory(tuple(Unit(u, "区直部门") for u in units))


def measure(run) -> tuple[float, float]:
    """Seconds of a plain run, then the Python heap's peak (MB) in a second, traced run.

    tracemalloc slows Python code several times, so time and memory are separate runs.
    """
    start = time.perf_counter()
    run()
    elapsed = time.perf_counter() - start
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak / (1 << 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returns", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        files, directory = make_files(Path(folder), args.returns)
    received = datetime(2025, 7, 3)

    def pyxl_run():
        for i, data in enumerate(files):
            result = check.read_return(data, file=f"{i}.xlsx", source=f"{i}.xlsx", sha256="", received=received,
                                         period="2025-06", duty=None, directory=directory)
            assert result.accepted and len(result.rows) == ROWS, result.problems

    def naive_run():
        for data in files:
            pd.read_excel(io.BytesIO(data), sheet_name=None, engine="openpyxl", header=None)

    # untimed warm-up of imports and caches
    check.read_return(files[0], file="w", source="w", sha256="", received=received, period="2025-06", duty=None, directory=directory)
    ours, ours_mb = measure(pyxl_run)
    naive, naive_mb = measure(naive_run)
    n = len(files)
    print(f"| 方法 | 每份 ms | 峰值内存 MB |")
    print(f"|---|---|---|")
    print(f"| pyxl collect（读取+识别+校验，python-calamine） | {ours / n * 1000:.2f} | {ours_mb:.1f} |")
    print(f"| 对照：pandas.read_excel(engine=\"openpyxl\")，不校验 | {naive / n * 1000:.2f} | {naive_mb:.1f} |")
    print(f"\n{n} 份回执，每份 {ROWS} 行。")


if __name__ == "__main__":
    main()
