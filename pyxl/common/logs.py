"""Where unexpected errors go: a log file the user can send to whoever maintains pyxl.

Only the shells call this (the CLI and the Excel binding), so reading the
clock for the entry's time stamp is fine here.
"""

from __future__ import annotations

import logging
import traceback
from datetime import datetime
from pathlib import Path

LOG_NAME = "pyxl.log"


def log_exception(logs_folder: Path, context: str = "") -> Path:
    """Append the current exception's traceback to `<logs_folder>/pyxl.log`; return its path."""
    try:
        logs = Path(logs_folder)
        logs.mkdir(parents=True, exist_ok=True)
        target = logs / LOG_NAME
        with target.open("a", encoding="utf-8") as handle:
            handle.write(f"=== {datetime.now().isoformat(timespec='seconds')} {context}\n")
            handle.write(traceback.format_exc())
            handle.write("\n")
        return target
    except OSError:
        logging.getLogger("pyxl").exception("unexpected error")
        return Path("(标准错误输出)")
