"""Where unexpected errors go: a log file the user can send to whoever maintains pyxl."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

LOG_NAME = "pyxl.log"


def log_exception(folder: Path) -> Path:
    """Append the current exception's traceback to `<folder>/logs/pyxl.log`; return its path."""
    logs = Path(folder) / "logs"
    try:
        logs.mkdir(parents=True, exist_ok=True)
        target = logs / LOG_NAME
        with target.open("a", encoding="utf-8") as handle:
            handle.write(traceback.format_exc())
            handle.write("\n")
        return target
    except OSError:
        logging.getLogger("pyxl").exception("unexpected error")
        return Path("(标准错误输出)")
