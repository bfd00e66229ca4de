"""The reading mark: which file collect was reading, should the process die on it.

`collect` notes each file's SHA-256 in `returns/<period>/.pyxl-reading`
before reading it and removes the mark when it finishes; the next run reads
a mark left behind and does not read that file again.
"""

from __future__ import annotations

from pathlib import Path

READING_MARK = ".pyxl-reading"  # in returns/<period>/: the file being read, should the process die on it


def read_mark(mark: Path) -> set[str]:
    """The SHA-256 the previous run was reading when it died (empty when it finished)."""
    try:
        return {mark.read_text(encoding="utf-8").split("\t", 1)[0].strip()} - {""}
    except (OSError, UnicodeDecodeError):
        return set()


class ReadingMark:
    """The file being read, noted before reading it: one file kept open and rewritten in place.

    Replacing the mark by rename for every file (an atomic write) cost more
    than reading the file. The mark is only ever read by the next run, after
    this process has ended or died: a write that returned is in the file by then.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle = None

    def note(self, digest: str, source: str) -> None:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "wb")  # noqa: SIM115 (open for the whole run)
        data = f"{digest}\t{source}\n".encode("utf-8")
        self._handle.seek(0)
        self._handle.write(data)
        self._handle.truncate(len(data))
        self._handle.flush()

    def remove(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self.path.exists():
            self.path.unlink()
