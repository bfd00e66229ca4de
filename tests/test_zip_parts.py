"""The lean part reader: the very bytes zipfile reads, or None (never other bytes) for anything not plain."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest

from pyxl.common.zip_parts import read_part

SHEET = ("<worksheet><sheetData>" + "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>推进{r}</t></is></c></row>'
                                            for r in range(1, 200)) + "</sheetData></worksheet>").encode("utf-8")
NAME = "xl/worksheets/sheet1.xml"


def package(method: int = zipfile.ZIP_DEFLATED, content: bytes = SHEET, name: str = NAME) -> bytearray:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr(name, content)
    return bytearray(buffer.getvalue())


def opened(data: bytes | bytearray) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(bytes(data)))


def local_header(data: bytearray, name: str = NAME) -> int:
    return opened(data).getinfo(name).header_offset


def central_header(data: bytearray, name: str = NAME) -> int:
    return data.rindex(b"PK\x01\x02", 0, data.rindex(name.encode("utf-8")))


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_a_plain_part_reads_as_zipfile_reads_it(method):
    data = package(method)
    archive = opened(data)
    for name in archive.namelist():
        assert read_part(archive, name, 1 << 20) == archive.read(name)


def _local_name_changed(data):
    start = local_header(data)
    data[start + 30 + len("xl/worksheets/")] = ord("X")  # the name in the local header only


def _stream_damaged(data):
    start = local_header(data)
    middle = start + 30 + len(NAME) + 40
    data[middle:middle + 8] = b"\x00\xff" * 4


def _declared_smaller(data):  # the central directory says fewer bytes than the part inflates to
    struct.pack_into("<I", data, central_header(data) + 24, len(SHEET) - 10)


def _crc_changed(data):
    start = central_header(data) + 16
    struct.pack_into("<I", data, start, struct.unpack_from("<I", data, start)[0] ^ 1)


def _marked_encrypted(data):
    for start in (local_header(data) + 6, central_header(data) + 8):
        struct.pack_into("<H", data, start, struct.unpack_from("<H", data, start)[0] | 0x1)


def _cut_short(data):  # the central directory gives the part fewer bytes than its stream holds
    start = central_header(data) + 20
    struct.pack_into("<I", data, start, struct.unpack_from("<I", data, start)[0] - 50)


@pytest.mark.parametrize("damage", [_local_name_changed, _stream_damaged, _declared_smaller, _crc_changed, _marked_encrypted,
                                    _cut_short])
def test_a_part_zipfile_would_refuse_is_left_to_zipfile(damage):
    data = package()
    damage(data)
    archive = opened(data)
    assert read_part(archive, NAME, 1 << 20) is None
    with pytest.raises((zipfile.BadZipFile, RuntimeError, EOFError, zlib.error)):
        archive.read(NAME)


def test_other_compressions_large_or_missing_parts_and_files_on_disk_are_left_to_zipfile(tmp_path):
    assert read_part(opened(package(zipfile.ZIP_BZIP2)), NAME, 1 << 20) is None
    assert read_part(opened(package(zipfile.ZIP_LZMA)), NAME, 1 << 20) is None
    archive = opened(package())
    assert read_part(archive, NAME, len(SHEET) - 1) is None and read_part(archive, NAME, len(SHEET)) == SHEET
    assert read_part(archive, "xl/worksheets/sheet9.xml", 1 << 20) is None
    (tmp_path / "book.xlsx").write_bytes(bytes(package()))
    with zipfile.ZipFile(tmp_path / "book.xlsx") as on_disk:
        assert read_part(on_disk, NAME, 1 << 20) is None
