"""One part of an .xlsx held in memory, read whole in a single inflate, or None to leave it to `zipfile`.

A return's XML is read as six parts (workbook, its relationships, the
package's, styles, the unit's sheet, the identity sheet). `zipfile` reads
each through a stream object made for files of any size, whose set-up and
bookkeeping cost as much as inflating the small parts: a seventh of
reading a return. A part of an archive opened from bytes
(`spreadsheets._open_zip`) that is stored as every spreadsheet program stores
it — deflated or stored, not encrypted, its local header agreeing with the
central directory — is inflated here at once, and checked as `zipfile`
checks it: no more than its declared size, exactly that size, the CRC-32.
Anything else (a part missing, larger than the caller takes, another
compression, a flag `zipfile` treats specially, a header that disagrees,
a damaged stream) gives None, and the caller reads the part through
`zipfile`, which says what is wrong in its own words.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

_LOCAL_HEADER = struct.Struct("<4s2sHHHHIIIHH")  # as the zip format (APPNOTE 4.3.7) lays it out: 30 bytes
_LOCAL_SIGNATURE = b"PK\x03\x04"
_UTF8_NAME = 0x800
# flag bits that change nothing for a part read whole: deflate's speed options (1, 2), sizes
# after the data (3: the central directory has them) and a UTF-8 name (11); any other goes to zipfile
_PLAIN_FLAGS = 0x2 | 0x4 | 0x8 | _UTF8_NAME


def read_part(archive: zipfile.ZipFile, path: str, largest: int) -> bytes | None:
    """The bytes of part `path` when it is at most `largest` bytes and stored plainly; else None."""
    source = archive.fp
    if not isinstance(source, io.BytesIO):
        return None
    try:
        info = archive.getinfo(path)
    except KeyError:
        return None
    if (info.file_size > largest or info.flag_bits & ~_PLAIN_FLAGS
            or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)):
        return None
    data = source.getvalue()  # the bytes it was opened from, not a copy (BytesIO shares them until written to)
    start = info.header_offset
    try:
        (signature, _version, flags, method, _time, _date, _crc, _packed, _size,
         name_length, extra_length) = _LOCAL_HEADER.unpack_from(data, start)
        name = data[start + 30:start + 30 + name_length].decode("utf-8" if flags & _UTF8_NAME else "cp437")
    except (struct.error, UnicodeDecodeError):
        return None
    if signature != _LOCAL_SIGNATURE or method != info.compress_type or flags & ~_PLAIN_FLAGS or name != info.orig_filename:
        return None
    begin = start + 30 + name_length + extra_length
    packed = data[begin:begin + info.compress_size]
    if len(packed) != info.compress_size:
        return None
    if method == zipfile.ZIP_STORED:
        content = packed
    else:
        inflate = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            content = inflate.decompress(packed, info.file_size + 1)  # never more than it says, and a byte to tell
        except zlib.error:
            return None
        if not inflate.eof:
            return None
    if len(content) != info.file_size or zlib.crc32(content) != info.CRC:
        return None
    return content
