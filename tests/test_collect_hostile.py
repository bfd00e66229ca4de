"""Hostile and broken returns never crash, stall or fool the office.

Every kind of bad return (the defects of tests/test_collect_corpus.py and
the hostile files of tests/hostile_corpus.py) is collected on its own through
the pipeline: the exit code, the exact (file, cell, code) problems, and that
nothing was lost — the file and everything unpacked from it has its ledger
line and is archived byte for byte. Then all of them at once, beside genuine
returns, through the CLI: exit 1, a problem for each, every original
archived, the genuine returns counted.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path

import pytest
from hostile_corpus import HOSTILE, LONG_NAME, Base, write_case
from test_collect_corpus import CASES, Corpus
from test_collect_support import OTHER, PERIOD, UNIT, filled, workspace_from

from pyxl import cli, pipeline
from pyxl.common.period import Period
from pyxl.common.problems import registered_codes
from pyxl.returns.archive import MAX_NAME_BYTES, read_ledger
from pyxl.workspace import Workspace

NOW = datetime(2025, 7, 3, 9, 30)
WAITS = {"sender-unverified", "date-doubtful"}  # warnings that leave the return 待确认


class Kind:
    """One kind of bad return, however it was made: its name, its bytes or placer, what must be reported."""

    def __init__(self, name, expected, data=None, hostile=None, genuine=0):
        self.name, self.expected, self.data, self.hostile, self.genuine = name, expected, data, hostile, genuine

    @property
    def archived(self) -> bool:
        return self.hostile is None or self.hostile.archived

    def put(self, folder: Path, base: Base) -> Path:
        if self.hostile is not None and self.hostile.place is not None:
            return write_case(self.hostile, folder, base)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / self.name).write_bytes(self.data)
        return folder / self.name


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Every kind, made once: the corpus defects and the hostile files."""
    root = tmp_path_factory.mktemp("hostile")
    corpus = Corpus(root)
    base = Base(root / "base", sent=corpus.sent)
    kinds = []
    for case in CASES:
        where = "!02_区财政局.xlsx" if case.name.endswith(".eml") else ""
        kinds.append(Kind(case.name, {(where, cell, code) for cell, code in case.expected}, case.make(root, corpus),
                          genuine=int(case.accepted and not case.reply)))  # an accepted 回执 is no monthly return
    for case in HOSTILE:
        data = case.make(base) if case.make is not None else None
        kinds.append(Kind(case.name, case.expected, data, hostile=case, genuine=case.genuine))
    return root, base, kinds


KIND_NAMES = [c.name for c in CASES] + [c.name for c in HOSTILE]


def test_the_corpus_has_sixty_kinds_and_a_script_regenerates_it(tmp_path):
    assert len(set(KIND_NAMES)) == len(KIND_NAMES) >= 60
    import hostile_corpus

    assert hostile_corpus.main([str(tmp_path)]) == 0
    written = {p.name for p in (tmp_path / "inbox").iterdir()}
    assert written == {c.name for c in HOSTILE}


@pytest.fixture(scope="module")
def alone(made, tmp_path_factory):
    """One workspace; each kind is collected on its own from its own folder."""
    root, base, kinds = made
    settings = workspace_from(root, tmp_path_factory.mktemp("alone") / "ws")
    return settings, Workspace.load(settings)


def _ledger_is_whole(settings, lines_before: int, source_prefix: str) -> list:
    """This run's ledger lines, each archived file hashing to its line."""
    ledger = read_ledger(settings.returns_dir(PERIOD))
    new = ledger[lines_before:]
    for line in new:
        archived = settings.root / line.file
        assert hashlib.sha256(archived.read_bytes()).hexdigest() == line.sha256, line
        assert len(archived.name.encode("utf-8")) <= MAX_NAME_BYTES
        # never outside, whatever the member's path: returns/<period>/, or its 佐证材料/<unit>/ for evidence
        evidence = settings.returns_dir(PERIOD) / "佐证材料"
        assert archived.parent == settings.returns_dir(PERIOD) or (line.status == "evidence" and archived.parent.parent == evidence)
    return [line for line in new if line.source.startswith(source_prefix)]


@pytest.mark.parametrize("index", range(len(KIND_NAMES)), ids=KIND_NAMES)
def test_each_kind_alone_exit_code_problems_and_nothing_lost(made, alone, index):
    _, base, kinds = made
    kind = kinds[index]
    settings, workspace = alone
    folder = settings.inbox_dir / f"k{index:02d}"
    path = kind.put(folder, base)
    before = len(read_ledger(settings.returns_dir(PERIOD))) if settings.returns_dir(PERIOD).exists() else 0
    result = pipeline.collect_returns(workspace, Period(2025, 6), [folder], now=NOW)

    prefix = f"inbox/k{index:02d}/{kind.name}"
    found = {(p.file[len(prefix):], p.cell, p.code) for p in result.problems}
    assert all(p.file.startswith(prefix) for p in result.problems)
    assert found == kind.expected
    # exit 1 for an error or a return left 待确认 (something to act on); hints alone are done (0)
    severity = registered_codes()
    acted_on = any(severity[code].severity == "error" or code in WAITS for _, _, code in kind.expected)
    assert result.exit_code == (1 if acted_on else 0)
    mine = _ledger_is_whole(settings, before, prefix)
    if kind.archived:
        top = [line for line in mine if line.source == prefix]
        assert len(top) == 1
        assert (settings.root / top[0].file).read_bytes() == path.read_bytes()  # byte for byte
    else:
        assert mine == []  # a link, a pipe: never followed, never copied
    status = {line.sha256: line.status for line in mine}  # the last line of each file in this run
    counted = [r for r in result.data if r.accepted and status.get(r.sha256) != "pending"]  # 待确认 does not count yet
    assert len(counted) == kind.genuine


def test_a_link_is_never_followed_into_the_archive(made, alone):
    settings, _ = alone
    secret = (made[0] / "base" / "secret" / "机密.xlsx")
    if not secret.exists():
        pytest.skip("the link case has not run")
    archived = b"".join(p.read_bytes() for p in settings.returns_dir(PERIOD).iterdir() if p.is_file())
    assert secret.read_bytes() not in archived


def test_all_kinds_at_once_beside_genuine_returns(made, tmp_path, capsys):
    root, base, kinds = made
    settings = workspace_from(root, tmp_path / "ws")
    inbox = settings.inbox_dir
    for kind in kinds:
        kind.put(inbox, base)
    sent = settings.out_dir(PERIOD) / "分发"
    genuine = {
        OTHER: filled(next(sent.glob(f"*_{OTHER}.xlsx")), inbox / "发改局6月报表.xlsx"),
        "文昌街道": filled(next(sent.glob("*_文昌街道.xlsx")), inbox / "文昌街道.xlsx"),
    }
    originals = {p.relative_to(settings.root).as_posix(): p.read_bytes()
                 for p in inbox.iterdir() if p.is_file() and not p.is_symlink() and not _special(p)}

    code = cli.main(["--config", str(settings.root / "config.yaml"), "collect", "--period", PERIOD])
    printed = capsys.readouterr()
    assert code == 1, printed.err
    assert "内部错误" not in printed.err

    problems = _problems_csv(settings)
    for kind in kinds:
        prefix = f"inbox/{kind.name}"
        found = {(f[len(prefix):], cell or None, c) for f, cell, c in problems if f == prefix or f.startswith(prefix + "!")}
        assert found == kind.expected, kind.name
    ledger = read_ledger(settings.returns_dir(PERIOD))
    by_source = {line.source: line for line in ledger}
    for source, data in originals.items():
        assert (settings.root / by_source[source].file).read_bytes() == data, source
    for line in ledger:
        assert hashlib.sha256((settings.root / line.file).read_bytes()).hexdigest() == line.sha256
    from pyxl.returns import collect

    workspace = Workspace.load(settings)
    current = {r.unit: r for r in collect.read_archive(settings.returns_dir(PERIOD), settings.root, workspace.duty,
                                                        workspace.directory, sent_dir=sent)}
    for unit, path in genuine.items():
        assert current[unit].accepted and current[unit].source == f"inbox/{path.name}"
    assert UNIT in current  # the genuine 区财政局 returns among the hostile ones were read too


def _special(path: Path) -> bool:
    import stat

    return not stat.S_ISREG(os.lstat(path).st_mode)


def _problems_csv(settings) -> list[tuple[str, str, str]]:
    import csv

    from pyxl.common.files import csv_value
    from pyxl.common.problems import PROBLEM_LABELS

    path = settings.out_dir(PERIOD) / f"回收问题_{PERIOD}.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    label = PROBLEM_LABELS
    return [(csv_value(r[label["file"]]), csv_value(r[label["cell"]]), csv_value(r[label["code"]])) for r in rows]


def test_long_chinese_name_is_archived_cut_by_bytes(made, alone):
    settings, _ = alone
    names = [p.name for p in settings.returns_dir(PERIOD).iterdir() if LONG_NAME[:10] in p.name]
    if not names:
        pytest.skip("the long-name case has not run")
    assert all(len(n.encode("utf-8")) <= MAX_NAME_BYTES and n.endswith(".xlsx") for n in names)


@pytest.mark.parametrize("short", range(4))
def test_a_mail_cut_inside_its_attachment_reads_as_a_damaged_file_wherever_the_cut_falls(short, made):
    """h19 with every remainder of the cut base64 text: one of four used to come back as the text itself."""
    from email.message import EmailMessage

    from pyxl.returns.intake import expand
    from pyxl.common.spreadsheets import read_book

    _, base, _ = made
    message = EmailMessage()
    message["From"], message["Subject"] = "czj@changqing.example", "报表"
    message.set_content("见附件")
    message.add_attachment(base.genuine(f"cut {short}"), maintype="application", subtype="octet-stream", filename="r.xlsx")
    raw = message.as_bytes()
    body = raw.rindex(b"\n--")  # the closing boundary: cut the base64 text before it, at 4 different lengths
    cut = raw[: body - 200 - short]
    attachment = [item for item in expand("cut.eml", "inbox/cut.eml", cut) if item.name == "r.xlsx"][0]
    assert attachment.data.startswith(b"PK") and read_book(attachment.data).code == "file-corrupt"


def test_a_file_longer_than_it_said_when_opened_is_read_whole(tmp_path, monkeypatch):
    # a file still being written (a mail client saving into the inbox): what it holds when read counts, not its size at fstat
    from pyxl.returns import intake

    path = tmp_path / "报表.xlsx"
    path.write_bytes(bytes(range(256)) * 50)
    real = os.fstat

    def stale(handle):
        found = real(handle)
        return os.stat_result((*found[:6], 100, *found[7:]))  # st_size as it was a moment earlier

    monkeypatch.setattr(intake.os, "fstat", stale)
    data, _modified = intake._read_plain_file(path, "inbox/报表.xlsx", explicit=True)
    assert data == path.read_bytes()
