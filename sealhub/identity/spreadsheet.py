"""Read an uploaded table (.xlsx or CSV in UTF-8 / GB18030) safely.

An .xlsx is a zip: its central directory declares every entry's inflated size, so a
decompression bomb is refused from those numbers before anything is inflated (zipfile
never inflates an entry beyond its declared size). The parse itself runs in
`platform.untrusted`, with a time and memory limit, in a process of its own.
"""

from __future__ import annotations

import csv
import io
import zipfile

from sealhub.identity import errors
from sealhub.platform import untrusted

MAX_ROWS = 5000
MAX_ENTRIES = 200  # a workbook from Excel or WPS has a few dozen parts
MAX_INFLATED = 64 * 1024 * 1024  # bytes of XML a member list can reasonably need
untrusted.preload(__name__)  # its `parse_table` runs in the untrusted-file pool


async def read_table(
    data: bytes,
    *,
    max_rows: int = MAX_ROWS,
    max_inflated: int = MAX_INFLATED,
    limits: untrusted.Limits | None = None,
) -> list[list[str]]:
    """Rows of cells (strings) from an .xlsx or CSV file, at most `max_rows` + 1."""
    if not data:
        raise errors.ImportUnreadable(reason="empty")
    if data.startswith(b"PK\x03\x04"):
        check_zip(data, max_inflated=max_inflated)
    return await untrusted.run(parse_table, data, max_rows, limits=limits)


def check_zip(data: bytes, *, max_inflated: int = MAX_INFLATED) -> None:
    """Refuse a zip whose declared contents are too many or too large (reads no entry)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise errors.ImportUnreadable(reason="xlsx") from exc
    if len(entries) > MAX_ENTRIES:
        raise untrusted.TooComplex(reason="entries", value=len(entries))
    inflated = sum(e.file_size for e in entries)
    if inflated > max_inflated:
        raise untrusted.TooComplex(reason="inflated", value=inflated // (1024 * 1024))


def parse_table(data: bytes, max_rows: int) -> list[list[str]]:
    """Blocking, in the untrusted pool: the rows of the first sheet or of the CSV."""
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, max_rows)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise errors.ImportUnreadable(reason="encoding")
    if "\x00" in text:
        raise errors.ImportUnreadable(reason="binary")
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text)):
            rows.append([c.strip() for c in row])
            if len(rows) > max_rows + 1:
                break
    except csv.Error as exc:
        raise errors.ImportUnreadable(reason="csv") from exc
    return rows


def _read_xlsx(data: bytes, max_rows: int) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        rows = []
        for row in ws.iter_rows(values_only=True):
            rows.append([_cell(v) for v in row])
            if len(rows) > max_rows + 1:
                break
        wb.close()
        return rows
    except MemoryError:
        raise
    except Exception as exc:
        raise errors.ImportUnreadable(reason="xlsx") from exc


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
