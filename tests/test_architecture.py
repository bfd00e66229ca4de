"""The folder tree is the loop: stages import only what lies above them, the master is read once a command."""

from __future__ import annotations

import ast
import graphlib
import inspect
import re
from datetime import datetime
from pathlib import Path

import pytest

import pyxl
from pyxl import pipeline
from pyxl.cli import main
from pyxl.excel import run_button
from pyxl.master import rows as master_rows
from pyxl.master.build import ribbon_buttons
from pyxl.master.memory import MemoryBook

PACKAGE = Path(pyxl.__file__).parent
README = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")

# The loop from top to bottom: a stage may import the ones before it in this list, never one after.
STAGES = ["common", "document", "distribution", "mail", "returns", "judgement", "outputs", "master"]
ORCHESTRATION = {"workspace", "pipeline"}  # pipeline/ is a package: each of its modules is in this layer
SHELLS = {"cli", "excel", "demo", "codes_doc"}


def _layer(module: str) -> int | None:
    """Where a pyxl module stands: stages by their order, then the orchestration, then the shells."""
    parts = module.split(".")
    if parts[0] != "pyxl" or len(parts) < 2:
        return None
    if parts[1] in STAGES:
        return STAGES.index(parts[1])
    if parts[1] in ORCHESTRATION:
        return len(STAGES)
    if parts[1] in SHELLS:
        return len(STAGES) + 1
    return None  # data packages (example, templates, workbook)


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(path: Path) -> set[str]:
    """Every pyxl module a file imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "pyxl":
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                names.add(candidate if candidate in _modules() else node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.split(".")[0] == "pyxl")
    return names


def test_the_tree_has_one_subpackage_per_stage_and_nothing_flat_but_the_orchestration_and_shells():
    subpackages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")} - {"example"}
    assert subpackages == set(STAGES) | {"pipeline", "demo"}
    flat = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert flat == (ORCHESTRATION - {"pipeline"}) | (SHELLS - {"demo"})


@pytest.mark.parametrize("stage", [*STAGES, "pipeline", "demo"])
def test_each_subpackage_says_what_it_owns_and_may_import(stage):
    doc = ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text(encoding="utf-8")))
    assert doc and "Owns:" in doc and "May import:" in doc and "Must not" in doc


def test_no_module_imports_a_later_stage_or_a_shell():
    wrong = []
    for module, path in _modules().items():
        mine = _layer(module)
        if mine is None:
            continue
        for imported in _imports(path):
            theirs = _layer(imported)
            if theirs is not None and theirs > mine:
                wrong.append(f"{module} → {imported}")
    assert wrong == []


def test_the_pipeline_modules_import_each_other_without_a_cycle():
    modules = {m: p for m, p in _modules().items() if m.startswith("pyxl.pipeline.")}
    graph = {m: {i for i in _imports(p) if i in modules} for m, p in modules.items()}
    list(graphlib.TopologicalSorter(graph).static_order())  # raises CycleError on a cycle


def test_the_package_re_exports_every_step_and_the_shells_call_the_steps_through_it():
    """So `pipeline.<step>` is what the shells run, and a test that patches it patches what they call."""
    for module, path in _modules().items():
        if not module.startswith("pyxl.pipeline."):
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                step = getattr(pipeline, node.name, None)
                assert step is not None and inspect.getmodule(step).__name__ == module, node.name
    wrong = []
    for module, path in _modules().items():
        if _layer(module) != len(STAGES) + 1:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            # `from pyxl import pipeline` only: a step bound to a name of its own would escape a patch
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pyxl.pipeline"):
                wrong.append(f"{module}: from {node.module} import …")
            elif isinstance(node, ast.Import) and any(a.name.startswith("pyxl.pipeline.") for a in node.names):
                wrong.append(f"{module}: import {', '.join(a.name for a in node.names)}")
    assert wrong == []


def test_only_the_excel_shell_imports_xlwings():
    importers = [m for m, path in _modules().items() if re.search(r"^\s*(import|from) xlwings", path.read_text(encoding="utf-8"), re.M)]
    assert importers == ["pyxl.excel"]


def test_the_readme_architecture_section_names_every_subpackage_and_no_other():
    section = README.split("## 代码结构 Architecture", 1)[1].split("\n## ", 1)[0]
    drawn = set(re.findall(r"^[├└]─ (\w+)/", section, re.M))
    described = set(re.findall(r"^- `(\w+)` — ", section, re.M))
    assert drawn == set(STAGES) | {"pipeline"}  # the shells, demo/ among them, share the drawing's last line
    assert "demo/" in section.split("└─ shells", 1)[1].split("\n", 1)[0]
    assert described == set(STAGES) | {"pipeline", "demo"}
    modules = {p.stem for p in (PACKAGE / "pipeline").glob("*.py")} - {"__init__"}
    drawing = section.split("├─ pipeline/", 1)[1].split("└─ shells", 1)[0]
    assert set(re.findall(r"\b(\w+)\.py\b", drawing)) == modules


# ---------------------------------------------------------------- the master is read once a command

NOW = datetime(2025, 7, 10, 9, 0)


@pytest.fixture
def reads(monkeypatch) -> list[Path]:
    """Every reading of the saved master workbook, in order."""
    seen: list[Path] = []
    real = master_rows.read_master

    def counting(path, *args, **kwargs):
        seen.append(Path(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(master_rows, "read_master", counting)
    return seen


@pytest.fixture
def built(workspace: Path) -> Path:
    assert main(["--config", str(workspace / "config.yaml"), "build-workbook"]) in (0, 1)
    (workspace / "inbox").mkdir(exist_ok=True)
    return workspace


@pytest.mark.parametrize("command", [
    ["split"], ["send", "--dry-run"], ["collect"], ["consolidate", "--as-of", "2025-07-10"],
    ["report", "--as-of", "2025-07-10"], ["remind", "--dry-run", "--as-of", "2025-07-10"],
    ["month", "2025-06", "--as-of", "2025-07-10"], ["excel-setup"], ["build-workbook", "--force"],
])
def test_each_command_reads_the_master_once(built, reads, command):
    config = str(built / "config.yaml")
    if command[0] != "split":
        assert main(["--config", config, "split"]) in (0, 1)
    reads.clear()
    assert main(["--config", config, *command]) in (0, 1)
    assert reads == [built / "workbook" / "Responsibilities.xlsm"]


def test_parsing_a_document_does_not_read_the_master(built, reads):
    assert main(["--config", str(built / "config.yaml"), "parse"]) in (0, 1)
    assert reads == []


@pytest.mark.parametrize("button", [b.id for b in ribbon_buttons() if b.id != "open_output_folder"])
def test_each_ribbon_button_reads_the_saved_master_once(built, reads, button):
    assert main(["--config", str(built / "config.yaml"), "split"]) in (0, 1)  # 发送 needs the sheets
    book = MemoryBook.open(built / "workbook" / "Responsibilities.xlsm")
    book.answers = [False]
    reads.clear()
    assert run_button(book, button, NOW) is not None, book.alerts
    assert len(reads) == 1
