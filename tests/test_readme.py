"""The README documents every command and every problem code (fails when one is added silently)."""

from __future__ import annotations

from conftest import REPO

from pyxl.cli import build_parser
from pyxl.codes_doc import code_table, load_all_stages
from pyxl.common.problems import registered_codes

README = (REPO / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(sub.choices)


def test_every_command_is_documented():
    missing = [name for name in _commands() if f"`{name}`" not in README]
    assert missing == []


def test_every_problem_code_is_documented_in_the_generated_table():
    load_all_stages()
    codes = registered_codes()
    assert codes, "no stage registered any problem code"
    missing = [code for code in codes if f"`{code}`" not in README]
    assert missing == [], "run: python -m pyxl.codes_doc README.md"


def test_generated_table_is_current():
    assert code_table() in README, "run: python -m pyxl.codes_doc README.md"


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_second():
    section = README.split("## 快速开始", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    assert len(commands) == 2
    assert "pyxl demo" in commands[0]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1].strip() in ci
