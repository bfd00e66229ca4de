"""The bundled example district (长清区, 2025): duty document and config."""

from importlib.resources import files
from pathlib import Path

EXAMPLE_DOCUMENT_NAME = "长清区2025年政府工作报告重点工作责任分工.txt"


def example_document() -> Path:
    """Path of the bundled duty document, the default input of every command."""
    return Path(str(files(__package__) / EXAMPLE_DOCUMENT_NAME))


def example_config() -> Path:
    """Path of the bundled example config.yaml (copied by `pyxl init`)."""
    return Path(str(files(__package__) / "config.yaml"))
