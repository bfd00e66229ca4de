"""The judgement `consolidate` keeps between commands, so `report` (and remind, close) need not judge again.

out/<period>/.pyxl-judgement holds the pickled judgement, sealed with an HMAC
under the workspace's secret key and stamped with a fingerprint of everything
it was made from. A command that finds the seal its own and the workspace
still with that fingerprint takes the judgement as it is; anything else —
a file missing, torn, foreign, or any input changed — means judging afresh.
Keeping it is only for speed: nothing is lost when it is gone.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pyxl.common.model import Consolidation
from pyxl.common.period import Period
from pyxl.workspace import Workspace

JUDGEMENT_FILE = ".pyxl-judgement"  # in out/<period>/, beside the summary workbook
_MAGIC = b"pyxl-judgement 2\n"


@dataclass
class Kept:
    """What `consolidate` keeps: the judgement, the current returns' problems, the files it wrote (names in out/<period>/)."""

    consolidation: Consolidation
    problems: list
    outputs: list[str]


def _fingerprint(workspace: Workspace, period: Period, as_of: date, own: list[str]) -> bytes:
    """A digest of everything a judgement of `period` at `as_of` can be made from.

    Deliberately wider than what the judgement reads, so nothing can be missed:
    pyxl's version and source files, the libraries that count and pickle, the
    settings in force (config.yaml overlaid with the master's 设置), as_of, and
    the path, size and modification time of every file of the workspace —
    master workbook (申请审批, 销号 …), duty document, every period's archive
    with its 回执, 佐证材料 and caches, earlier months' 汇总 workbooks and 督办单
    lists, the sent sheets (identity checks read them), the secret key. Left
    out are only what no judgement reads: logs/, inbox/, lock files (Office's
    ~$, pyxl's own), pyxl's temporaries, and the period's own outputs in
    out/<period>/ other than its 分发/ folder and the files `consolidate` wrote
    with the judgement (`own`: the summary workbook, the problem list).
    """
    from importlib import metadata

    import pyxl
    from pyxl.common.files import LOCK_NAME, TEMP_PREFIX
    from pyxl.distribution import layout

    settings = workspace.settings
    digest = hashlib.sha256()

    def add(*parts: object) -> None:
        for part in parts:
            digest.update(str(part).encode("utf-8", "surrogateescape"))
            digest.update(b"\x1f")
        digest.update(b"\x1e")

    versions = []
    for name in ("pandas", "numpy", "chinesecalendar", "python-calamine", "openpyxl"):
        try:
            versions.append(metadata.version(name))
        except metadata.PackageNotFoundError:
            versions.append("")
    add(pyxl.__version__, layout.TEMPLATE_VERSION, *versions, str(period), as_of.isoformat())
    add(settings.model_dump_json())
    out = settings.out_dir(period)
    skipped = {os.path.normcase(os.path.abspath(p)) for p in (settings.logs_dir, settings.inbox_dir, out)}

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
            if entry.name.startswith(("~$", TEMP_PREFIX)) or entry.name == LOCK_NAME:
                continue
            if entry.is_dir(follow_symlinks=False):
                if os.path.normcase(os.path.abspath(entry.path)) not in skipped:
                    walk(entry.path)
            else:
                add_file(entry.path)

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
        (walk if os.path.isdir(path) else add_file)(path)
    walk(str(settings.distribution_dir(period)))
    for name in own:
        add(name)
        add_file(str(out / name))
    return digest.digest()


def _keep_judgement(workspace: Workspace, period: Period, as_of: date, kept: Kept) -> None:
    """Write out/<period>/.pyxl-judgement: an HMAC under the workspace's key, the names of the files written with it, the fingerprint, the pickled judgement.

    The fingerprint is taken after the summary and every cache the judgement
    wrote (.parsed.json, the sent sheets' index). Keeping it is only for speed:
    when it cannot be written, the next report consolidates again.
    """
    from pyxl.common.files import write_bytes_atomic
    from pyxl.distribution import layout

    settings = workspace.settings
    target = settings.out_dir(period) / JUDGEMENT_FILE
    try:
        key = layout.workspace_key(settings.root, create=True)
        names = "\n".join(kept.outputs).encode("utf-8")
        sealed = (len(names).to_bytes(4, "big") + names + _fingerprint(workspace, period, as_of, kept.outputs)
                  + pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL))
        write_bytes_atomic(target, _MAGIC + hmac.new(key, sealed, hashlib.sha256).digest() + sealed)
    except OSError:
        target.unlink(missing_ok=True)


def _kept_judgement(workspace: Workspace, period: Period, as_of: date) -> Kept | None:
    """The judgement `consolidate` kept, when its seal is this workspace's and the workspace still has its fingerprint; else None."""
    from pyxl.distribution import layout

    settings = workspace.settings
    try:
        data = (settings.out_dir(period) / JUDGEMENT_FILE).read_bytes()
    except OSError:
        return None
    key = layout.workspace_key(settings.root)
    head = len(_MAGIC)
    if key is None or not data.startswith(_MAGIC) or len(data) < head + 36:
        return None
    seal, sealed = data[head:head + 32], data[head + 32:]
    # the seal first: nothing is read further, let alone unpickled, that this workspace's consolidate did not write whole
    if not hmac.compare_digest(seal, hmac.new(key, sealed, hashlib.sha256).digest()):
        return None
    size = int.from_bytes(sealed[:4], "big")
    names = sealed[4:4 + size].decode("utf-8").split("\n")
    fingerprint, payload = sealed[4 + size:4 + size + 32], sealed[4 + size + 32:]
    if not hmac.compare_digest(fingerprint, _fingerprint(workspace, period, as_of, names)):
        return None
    try:
        kept = pickle.loads(payload)
    except Exception:  # noqa: BLE001 (sealed but unreadable, e.g. another pandas: consolidate afresh)
        return None
    if not isinstance(kept, Kept) or not isinstance(kept.consolidation, Consolidation) or kept.outputs != names:
        return None
    return kept
