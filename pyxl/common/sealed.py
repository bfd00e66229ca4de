"""What pyxl keeps for its own next run, only for speed: a pickle sealed with the workspace's key.

A sealed file is `magic`, an HMAC-SHA256 under the workspace's key of all
that follows, a list of names, a 32-byte stamp (a fingerprint of what the
kept value was made from) and the value pickled. It is read back only when
the seal is this workspace's (so the bytes were written whole by pyxl here:
nothing else is ever unpickled) and the stamp is the one the reader expects;
anything else — missing, torn, foreign, another stamp, unpicklable — reads
as nothing kept, and the caller computes afresh. Used for consolidate's
judgement and the validated returns (pyxl.pipeline.kept) and for the parsed
returns beside the archive (pyxl.returns.parsed).
"""

from __future__ import annotations

import hashlib
import hmac
import pickle
from pathlib import Path
from typing import Callable

from pyxl.common import files
from pyxl.common.errors import PyxlError


def keep_sealed(target: Path, magic: bytes, key: bytes, names: list[str], stamp: bytes, value: object) -> None:
    """Write `target`: `magic`, an HMAC under `key` of all that follows, `names`, the fingerprint `stamp`, `value` pickled.

    Atomically. Keeping is only for speed: when the file cannot be written (a
    folder that refuses it, a full disk), the one there is removed if it can
    be, and nothing else happens — the next command computes afresh.
    """
    listed = "\n".join(names).encode("utf-8")
    sealed = len(listed).to_bytes(4, "big") + listed + stamp + pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        files.write_bytes_atomic(target, magic + hmac.new(key, sealed, hashlib.sha256).digest() + sealed)
    except (OSError, PyxlError):  # write_bytes_atomic says a full disk or a refused folder as a PyxlError
        try:
            target.unlink(missing_ok=True)
        except OSError:
            pass


def read_sealed(path: Path, magic: bytes, key: bytes | None,
                stamp: Callable[[list[str]], bytes]) -> tuple[list[str], object] | None:
    """(names, value) kept in `path` by `keep_sealed`, when sealed under `key` and `stamp(names)` is its fingerprint; else None.

    The seal is checked first: nothing is read further, let alone unpickled,
    that pyxl in this workspace did not write whole.
    """
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = len(magic)
    if key is None or not data.startswith(magic) or len(data) < head + 36:
        return None
    seal, sealed = data[head:head + 32], data[head + 32:]
    if not hmac.compare_digest(seal, hmac.new(key, sealed, hashlib.sha256).digest()):
        return None
    size = int.from_bytes(sealed[:4], "big")
    names = [name for name in sealed[4:4 + size].decode("utf-8").split("\n") if name]
    fingerprint_kept, payload = sealed[4 + size:4 + size + 32], sealed[4 + size + 32:]
    if not hmac.compare_digest(fingerprint_kept, stamp(names)):
        return None
    try:
        return names, pickle.loads(payload)
    except Exception:  # noqa: BLE001 (sealed but unreadable, e.g. another pandas: compute afresh)
        return None
