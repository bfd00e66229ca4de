"""What one command keeps for the next, only for speed: the fingerprint of the workspace a kept result was made from.

Two results are kept this way: consolidate's judgement (pipeline.kept_judgement)
and the validated current returns of a period (pipeline.archive), each as a
pickle sealed with the workspace's key (pyxl.common.sealed) and stamped with
the fingerprint made here. A kept file is taken only when the workspace still
has the fingerprint it was stamped with; otherwise the caller computes afresh.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterable

from pyxl.common.period import Period
from pyxl.workspace import Workspace

# Kept validations (pipeline.archive) are left out of every fingerprint: one taken
# gives exactly what validating afresh gives, so writing one changes no result.
VALIDATION_FILE = ".pyxl-returns"


def _workspace_fingerprint(workspace: Workspace, period: Period, stamp: str,
                           left_out: Iterable[Path], taken_back: Iterable[Path]) -> bytes:
    """A digest of everything a result of `period` kept with `stamp` can have been made from.

    Deliberately wider than what the result reads, so nothing can be missed:
    pyxl's version and source files, the libraries that count and pickle, the
    settings in force (config.yaml overlaid with the master's 设置), `stamp`
    (what else the result depends on, e.g. consolidate's as_of), and the
    path, size, modification time and inode of every file of the workspace —
    master workbook, duty document, archives with their 回执, 佐证材料 and
    caches, outputs, the sent sheets, the secret key. Never covered: logs/,
    inbox/, lock files (Office's ~$, pyxl's own), pyxl's temporaries and kept
    validations; and the folders `left_out` (a result's own outputs, or what
    it provably never reads), except the folders and files in `taken_back`.
    """
    from importlib import metadata

    import pyxl
    from pyxl.common.files import LOCK_NAME, TEMP_PREFIX
    from pyxl.distribution import layout

    settings = workspace.settings
    digest = hashlib.sha256()

    def add(*parts: object) -> None:
        # each part and a \x1f, then a \x1e: one text, encoded and hashed at once (a walk adds a line per file)
        digest.update(("".join([f"{part}\x1f" for part in parts]) + "\x1e").encode("utf-8", "surrogateescape"))

    versions = []
    for name in ("pandas", "numpy", "chinesecalendar", "python-calamine", "openpyxl"):
        try:
            versions.append(metadata.version(name))
        except metadata.PackageNotFoundError:
            versions.append("")
    add(pyxl.__version__, layout.TEMPLATE_VERSION, *versions, str(period), stamp)
    add(settings.model_dump_json())

    def normal(path: Path | str) -> str:
        return os.path.normcase(os.path.abspath(path))

    skipped = {normal(p) for p in (settings.logs_dir, settings.inbox_dir, *left_out)}

    def add_file(path: str) -> None:
        try:
            stat = os.stat(path)
        except OSError:
            add(path, "missing")
            return
        add(path, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)

    def walk(folder: str) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            add(folder, "unreadable")
            return
        for entry in entries:
            # never read: Office's lock files, pyxl's own lock (Windows deletes it after each command) and temporaries
            if entry.name.startswith(("~$", TEMP_PREFIX)) or entry.name in (LOCK_NAME, VALIDATION_FILE):
                continue
            if entry.is_dir(follow_symlinks=False):
                if normal(entry.path) not in skipped:
                    walk(entry.path)
            else:
                add_file(entry.path)

    def cover(path: str) -> None:
        (walk if os.path.isdir(path) else add_file)(path)

    package = Path(pyxl.__file__).parent
    for source in sorted(package.rglob("*.py")):  # a changed module may judge differently, or not unpickle
        add_file(str(source))
    roots = [settings.root, settings.path(settings.paths.returns), settings.path(settings.paths.out),
             settings.workbook_path, settings.path(settings.paths.document)]
    top = os.path.abspath(settings.root)
    for root in roots:  # the root, and any configured path outside it
        path = os.path.abspath(root)
        if root is not settings.root and (path == top or path.startswith(top.rstrip(os.sep) + os.sep)):
            continue
        if normal(path) not in skipped:
            cover(path)
    for path in taken_back:
        add(path)
        cover(str(path))
    return digest.digest()
