"""The judgement `consolidate` keeps between commands, so `report` (and remind, close) need not judge again.

out/<period>/.pyxl-judgement holds the pickled judgement, sealed with an HMAC
under the workspace's secret key and stamped with a fingerprint of everything
it was made from. A command that finds the seal its own and the workspace
still with that fingerprint takes the judgement as it is; anything else —
a file missing, torn, foreign, or any input changed — means judging afresh.
Keeping it is only for speed: nothing is lost when it is gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pyxl.common import sealed
from pyxl.common.model import Consolidation
from pyxl.common.period import Period
from pyxl.pipeline import kept
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
    """A digest of everything a judgement of `period` at `as_of` can be made from (pipeline.kept._workspace_fingerprint).

    Every file of the workspace counts — the master workbook (申请审批, 销号 …),
    the duty document, every period's archive with its 回执, 佐证材料 and caches,
    earlier months' 汇总 workbooks and 督办单 lists, the sent sheets (identity
    checks read them), the secret key — but the period's own outputs in
    out/<period>/ other than its 分发/ folder and the files `consolidate` wrote
    with the judgement (`own`: the summary workbook, the problem list).
    """
    out = workspace.settings.out_dir(period)
    return kept._workspace_fingerprint(workspace, period, as_of.isoformat(), left_out=[out],
                                       taken_back=[workspace.settings.distribution_dir(period), *(out / name for name in own)])


def _keep_judgement(workspace: Workspace, period: Period, as_of: date, judged: Kept) -> None:
    """Write out/<period>/.pyxl-judgement: sealed with the workspace's key, the names of the files written with it, the fingerprint, the pickled judgement.

    The fingerprint is taken after the summary and every cache the judgement
    wrote (.pyxl-parsed, the sent sheets' index). Keeping it is only for speed:
    when it cannot be written, the next report consolidates again.
    """
    from pyxl.distribution import layout

    target = workspace.settings.out_dir(period) / JUDGEMENT_FILE
    try:
        key = layout.workspace_key(workspace.settings.root, create=True)
        sealed.keep_sealed(target, _MAGIC, key, judged.outputs, _fingerprint(workspace, period, as_of, judged.outputs), judged)
    except OSError:
        target.unlink(missing_ok=True)


def _kept_judgement(workspace: Workspace, period: Period, as_of: date) -> Kept | None:
    """The judgement `consolidate` kept, when its seal is this workspace's and the workspace still has its fingerprint; else None."""
    from pyxl.distribution import layout

    found = sealed.read_sealed(workspace.settings.out_dir(period) / JUDGEMENT_FILE, _MAGIC,
                               layout.workspace_key(workspace.settings.root),
                               lambda names: _fingerprint(workspace, period, as_of, names))
    if found is None:
        return None
    names, judged = found
    if not isinstance(judged, Kept) or not isinstance(judged.consolidation, Consolidation) or judged.outputs != names:
        return None
    return judged
