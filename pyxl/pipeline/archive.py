"""Each unit's current return of a period, read from the archive once per command."""

from __future__ import annotations

from pyxl.common.period import Period
from pyxl.workspace import Workspace


def archived_returns(workspace: Workspace, period: Period) -> list:
    """The current return of each unit for `period` (collect.read_archive), read once per command.

    Consolidate, report, remind and split's pre-fill all want them; a
    command that runs several of those (`pyxl month`, a ribbon button) reads
    the archive once, and collect hands on the returns it has just read.
    """
    from pyxl.returns import collect

    key = str(period)
    if key not in workspace.archives:
        settings = workspace.settings
        workspace.archives[key] = collect.read_archive(
            settings.returns_dir(period), settings.root, workspace.duty, workspace.directory,
            sent_dir=settings.distribution_dir(period),
        )
    return workspace.archives[key]
