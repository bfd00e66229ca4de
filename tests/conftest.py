"""Shared fixtures: a fresh workspace made from the bundled example, as a user would start."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pyxl.common.config import Settings, load_settings
from pyxl.example import example_config, use_example_document

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """An empty workspace folder holding the example config.yaml."""
    folder = tmp_path / "工作目录"
    folder.mkdir()
    shutil.copy(example_config(), folder / "config.yaml")
    use_example_document(folder)
    return folder


@pytest.fixture
def settings(workspace: Path) -> Settings:
    return load_settings(workspace / "config.yaml")


# ---------------------------------------------------------------- a month whose sheets were sent (collect's tests)


@pytest.fixture(scope="module")
def sent_root(tmp_path_factory) -> Path:
    """A workspace whose June sheets were split and sent, built once per test module."""
    from test_collect_support import make_sent

    root = tmp_path_factory.mktemp("sent") / "ws"
    make_sent(root)
    return root


@pytest.fixture
def ws(sent_root: Path, tmp_path: Path) -> Settings:
    """A fresh copy of `sent_root` in a Chinese-named folder, as an office's 督查室 folder may be."""
    from test_collect_support import workspace_from

    return workspace_from(sent_root, tmp_path / "工作目录")
