"""A table copied out of a web page or a PDF, arriving one cell per line, put back into rows.

    序号
    目标与任务
    分管县领导
    牵头责任单位
    责任单位
    1
    地区生产总值增长6%。
    张三
    县发改局
    县统计局
    2
    …

The header is a run of lines that are each a column label (`labels.column_role`)
and together make a task table's header. A row starts at its number (1, 2, 3 …
or 1 again after a section); the lines up to the next number are its cells, in
the header's order. A copy loses empty cells and a PDF copy breaks long cells
over several lines, so: as many lines as columns are read in order; more lines
than columns make the task's text longer (a wrapped cell); fewer leave the last
columns empty. A heading line between rows (一、… / （一）…) is a section.
"""

from __future__ import annotations

import re

from pyxl.document.labels import column_map, column_role

_ROW_NUMBER = re.compile(r"^(★?)\s*(\d+)\s*[.．、]?$")
_HEADING = re.compile(r"^(?:[一二三四五六七八九十]{1,3}\s*[、.．]|[（(]\s*[一二三四五六七八九十]{1,3}\s*[)）]).+$")


def _header_at(lines, start: int) -> int:
    """How many lines from `start` form a table header (0 when they don't)."""
    end = start
    while end < len(lines) and lines[end].cells is None and lines[end].text and column_role(lines[end].text):
        end += 1
    texts = [line.text for line in lines[start:end]]
    return end - start if end - start >= 3 and column_map(texts) and "number" in column_map(texts) else 0


def unflatten(lines):
    """`lines` with every one-cell-per-line table turned back into table rows (other lines unchanged)."""
    from pyxl.document.read import Line

    if not any(line.cells is None and column_role(line.text) == "number" for line in lines):
        return lines  # nothing that could be a flattened header: the common case, kept fast
    out = []
    index = 0
    header: list[str] | None = None
    row: list = []  # the current row: its number Line, then its cell Lines

    def close_row() -> None:
        if not row:
            return
        first, cells = row[0], [line.text for line in row[1:]]
        columns = len(header) - 1
        text_at = column_map(header)["text"] - 1
        if len(cells) > columns >= 1:  # a wrapped cell: the task's text took the extra lines
            extra = len(cells) - columns
            cells = cells[:text_at] + ["".join(cells[text_at : text_at + extra + 1])] + cells[text_at + extra + 1 :]
        cells += [""] * (columns - len(cells))
        values = (_ROW_NUMBER.match(first.text)[0],) + tuple(cells)
        out.append(Line(first.number, " | ".join(v for v in values if v), values))
        row.clear()

    previous_number = 0
    while index < len(lines):
        line = lines[index]
        size = _header_at(lines, index) if line.cells is None else 0
        if size:
            close_row()
            texts = [line.text for line in lines[index : index + size]]
            if header != texts:  # a header repeated on the next page is not a new table
                header = texts
                out.append(Line(line.number, " | ".join(texts), tuple(texts)))
            index += size
            continue
        if header is None or line.cells is not None:
            out.append(line)
            index += 1
            continue
        if not line.text:
            index += 1
            continue
        number = _ROW_NUMBER.match(line.text)
        value = int(number[2]) if number else None
        # a row starts at the next number, at 1 again (a new section), or at any number for the first row
        if value is not None and (not row or len(row) > 1) and (value in (previous_number + 1, 1) or not previous_number):
            close_row()
            row.append(line)
            previous_number = value
        elif _HEADING.match(line.text) and (not row or len(row) - 1 >= len(header) - 1 or _next_is_row(lines, index)):
            close_row()
            out.append(line)  # a section heading between rows
        elif row:
            row.append(line)
        else:
            out.append(line)  # text after the header before the first row
        index += 1
    close_row()
    return out


def _next_is_row(lines, index: int) -> bool:
    following = next((line for line in lines[index + 1 :] if line.text), None)
    return following is not None and bool(_ROW_NUMBER.match(following.text))
