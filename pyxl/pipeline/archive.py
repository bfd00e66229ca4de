"""Each unit's current return of a period, read from the archive once per command, and its validation kept between commands.

Validating a return (pyxl.returns.check) costs more than the rest of reading
the archive. Collect validates every return it archives; the commands after
it (consolidate, report, remind, split's pre-fill) would validate the same
returns again, as the duty table, the unit directory or the sent sheets may
have changed since. So the validations are kept in out/<period>/.pyxl-returns,
sealed with the workspace's key and stamped with a fingerprint of everything
a validation can depend on (pipeline.kept): a command that finds the seal its
own and the fingerprint unchanged takes them, any other validates afresh.
"""

from __future__ import annotations

from pyxl.common import sealed
from pyxl.common.period import Period
from pyxl.pipeline import kept
from pyxl.workspace import Workspace

_MAGIC = b"pyxl-returns 1\n"


def archived_returns(workspace: Workspace, period: Period) -> list:
    """The current return of each unit for `period` (collect.read_archive), read once per command.

    Consolidate, report, remind and split's pre-fill all want them; a
    command that runs several of those (`pyxl month`, a ribbon button) reads
    the archive once, and collect hands on the returns it has just read.
    The validations kept by the last command are taken when still valid;
    when any return had to be validated afresh, this command's are kept.
    """
    from pyxl.returns import collect

    key = str(period)
    if key not in workspace.archives:
        settings = workspace.settings
        validated = _kept_validations(workspace, period)
        before = set(validated)
        workspace.archives[key] = collect.read_archive(
            settings.returns_dir(period), settings.root, workspace.duty, workspace.directory,
            sent_dir=settings.distribution_dir(period), validated=validated,
        )
        if set(validated) != before:
            _keep_validations(workspace, period, validated)
    return workspace.archives[key]


def _fingerprint(workspace: Workspace, period: Period) -> bytes:
    """A digest of everything the validation of `period`'s returns can depend on (pipeline.kept._workspace_fingerprint).

    Every file of the workspace counts — the master workbook and config.yaml
    (duty table, unit directory), the duty document, the secret key — but
    the archives and outputs of the other periods: a return of `period` is
    validated against its own archive (ledger, originals, parsed forms) and
    its own sent sheets (out/<period>/分发/), never another period's files.
    """
    settings = workspace.settings
    return kept._workspace_fingerprint(
        workspace, period, "validation",
        left_out=[settings.path(settings.paths.returns), settings.path(settings.paths.out)],
        taken_back=[settings.returns_dir(period), settings.distribution_dir(period)],
    )


def _keep_validations(workspace: Workspace, period: Period, validated: dict) -> None:
    """Keep `validated` (collect.validation_key → UnitReturn) in out/<period>/.pyxl-returns, for the next command.

    Called once everything the command wrote into the archive is written;
    the fingerprint is taken now. Only for speed: a workspace without a key
    (nothing split yet) keeps nothing, and a file that cannot be written is
    simply not there.
    """
    from pyxl.distribution import layout

    settings = workspace.settings
    secret = layout.workspace_key(settings.root)  # never made here: the returns were validated with the key as it was
    if secret is None:
        return
    sealed.keep_sealed(settings.out_dir(period) / kept.VALIDATION_FILE, _MAGIC, secret, [], _fingerprint(workspace, period),
                       validated)


def _kept_validations(workspace: Workspace, period: Period) -> dict:
    """The validations the last command kept for `period`, when sealed by this workspace and nothing they depend on changed; else {}."""
    from pyxl.common.model import UnitReturn
    from pyxl.distribution import layout

    settings = workspace.settings
    if not settings.returns_dir(period).is_dir():
        return {}
    found = sealed.read_sealed(settings.out_dir(period) / kept.VALIDATION_FILE, _MAGIC, layout.workspace_key(settings.root),
                               lambda names: _fingerprint(workspace, period))
    if found is None or not isinstance(found[1], dict):
        return {}
    validated = found[1]
    if not all(isinstance(key, tuple) and isinstance(value, UnitReturn) for key, value in validated.items()):
        return {}
    return validated
