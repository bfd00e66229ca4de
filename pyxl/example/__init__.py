"""The bundled example district (长清区, 2025): duty document and config.

The example config names no duty document (a new workspace must name its
own); `use_example_document` puts the example's into a workspace, for
`pyxl demo` and the tests.
"""

import re
import shutil
from importlib.resources import files
from pathlib import Path

EXAMPLE_DOCUMENT_NAME = "长清区2025年政府工作报告重点工作责任分工.txt"


def example_document() -> Path:
    """Path of the bundled duty document, the default input of every command."""
    return Path(str(files(__package__) / EXAMPLE_DOCUMENT_NAME))


def example_config() -> Path:
    """Path of the bundled example config.yaml (copied by `pyxl init`)."""
    return Path(str(files(__package__) / "config.yaml"))


def use_example_document(folder: Path) -> Path:
    """Copy the bundled duty document into the workspace `folder` and name it in its config.yaml's paths.document."""
    folder = Path(folder)
    target = folder / EXAMPLE_DOCUMENT_NAME
    shutil.copy(example_document(), target)
    config = folder / "config.yaml"
    text, count = re.subn(r'(?m)^(\s*document:\s*)""', lambda m: f'{m[1]}"{EXAMPLE_DOCUMENT_NAME}"', config.read_text(encoding="utf-8"), count=1)
    if count != 1:
        raise ValueError(f"{config} has no empty paths.document line to fill in")
    config.write_text(text, encoding="utf-8")
    return target
