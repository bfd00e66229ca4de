"""Converting the formats only an office suite reads (.doc, .wps, .et …) through LibreOffice.

`soffice --headless --convert-to` with a private profile in a temporary
folder (two instances on one profile hand work to each other or hang), a
copy of the file under a plain ASCII name (a Chinese path breaks soffice
under some locales), and a timeout. Without LibreOffice the clerk is told in
one line what to install, or how to save the file in a format pyxl reads.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pyxl.common.errors import PyxlError

TIMEOUT_SECONDS = 180
# where the Windows installer puts it (soffice is rarely on PATH there)
_WINDOWS_PLACES = (
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
)
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the Office 97 (compound file) signature
_OLE_MINIMUM = 1536  # its header and the first sectors: no real .doc/.wps/.et is shorter
_KINDS = {
    ".doc": "旧版 Word 文件（.doc）", ".wps": "WPS 文字文件（.wps）", ".rtf": "RTF 文件", ".odt": "ODF 文本文件",
    ".et": "WPS 表格文件（.et）", ".xls": "旧版 Excel 文件（.xls）", ".ods": "ODF 表格文件",
}


def find_soffice() -> str | None:
    """The LibreOffice program (PYXL_SOFFICE, then PATH, then the usual Windows places), None when absent."""
    configured = os.environ.get("PYXL_SOFFICE")
    if configured:
        return configured if Path(configured).is_file() else None
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    if sys.platform == "win32":
        return next((place for place in _WINDOWS_PLACES if Path(place).is_file()), None)
    return None


def _save_as(suffix: str, target: str) -> str:
    where = "在 Excel 或 WPS 表格中打开" if target == "xlsx" else "在 Word 或 WPS 中打开"
    return f"{where}，另存为 .{target} 后再导入"


@contextmanager
def converted(path: Path, target: str) -> Iterator[Path]:
    """`path` converted to `target` ("docx" or "xlsx") in a temporary folder, removed afterwards."""
    path = Path(path)
    kind = _KINDS.get(path.suffix.lower(), f"{path.suffix} 文件")
    with path.open("rb") as handle:
        head = handle.read(_OLE_MINIMUM)
    if head.startswith(_OLE[:4]) and (not head.startswith(_OLE) or len(head) < _OLE_MINIMUM):
        # an Office 97 file cut short: LibreOffice would read its bytes as text, not fail
        raise PyxlError(f"{path.name} 已损坏（文件不完整）：请重新下载或索要原件，或{_save_as(path.suffix, target)}。")
    soffice = find_soffice()
    if soffice is None:
        raise PyxlError(
            f"{path.name} 是{kind}，读取它需要 LibreOffice：请安装 LibreOffice 后重试，或{_save_as(path.suffix, target)}。"
        )
    with tempfile.TemporaryDirectory(prefix="pyxl-office-") as folder:
        work = Path(folder)
        source = work / f"document{path.suffix.lower()}"
        shutil.copyfile(path, source)
        out = work / "out"
        command = [
            soffice,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless", "--norestore", "--nologo", "--nodefault",
            "--convert-to", target, "--outdir", str(out), str(source),
        ]
        result = out / f"document.{target}"
        env = {**os.environ, "LANG": os.environ.get("LANG") or "C.UTF-8"}
        # a fresh profile's first start may exit (code 81) before converting: start it once more
        for _ in range(2):
            try:
                finished = _run(command, env)
            except OSError:
                break
            if not finished:
                raise PyxlError(
                    f"LibreOffice 转换 {path.name} 超过 {TIMEOUT_SECONDS} 秒仍未完成：请关闭其他 LibreOffice 窗口后重试，或{_save_as(path.suffix, target)}。"
                )
            if result.is_file() and result.stat().st_size:
                break
        if not result.is_file() or not result.stat().st_size:
            raise PyxlError(
                f"LibreOffice 无法打开 {path.name}（文件可能已损坏，或不是{kind}）：请{_save_as(path.suffix, target)}。"
            )
        yield result


def _run(command: list[str], env: dict[str, str]) -> bool:
    """Run soffice to its end; False when it outlived the timeout (then it and its children are ended)."""
    posix = os.name == "posix"
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        start_new_session=posix,  # its own process group: soffice starts soffice.bin, end both
    )
    try:
        process.wait(timeout=TIMEOUT_SECONDS)
        return True
    except subprocess.TimeoutExpired:
        if posix:
            os.killpg(process.pid, 9)
        else:
            process.kill()
        process.wait()
        return False
