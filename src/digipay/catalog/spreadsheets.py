"""Reading and writing the product import/export files (CSV with ; or , and XLSX)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from digipay.catalog.rules import IMPORT_COLUMNS, MAX_IMPORT_ROWS
from digipay.core.errors import ValidationFailed

MAX_FILE_BYTES = 10 * 1024 * 1024


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula is written with a leading quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_cell(value: Any) -> Any:
    """For other apps' exports: ``_safe``, the one rule for formula-looking text."""
    return _safe(value)


def _unquote(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


def _header(cells: Iterable[Any]) -> list[str]:
    names = [str(c or "").strip().lower() for c in cells]
    missing = [c for c in IMPORT_COLUMNS if c not in names]
    if missing:
        raise ValidationFailed(
            _("Kolom wajib tidak ada pada baris judul: %(cols)s") % {"cols": ", ".join(missing)},
            code="bad_header",
        )
    return names


def read_rows(name: str, stream: IO[bytes]) -> list[dict[str, Any]]:
    """The data rows of an uploaded CSV or XLSX file as dicts keyed by the header."""
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    if size == 0:
        raise ValidationFailed(_("Berkas kosong."), code="empty_file")
    if size > MAX_FILE_BYTES:
        raise ValidationFailed(_("Berkas terlalu besar (maksimal 10 MB)."))
    head = stream.read(4)
    stream.seek(0)
    if head.startswith(b"PK\x03\x04"):
        return list(_xlsx_rows(stream))
    if (name or "").lower().endswith((".xlsx", ".xls")):
        raise ValidationFailed(_("Berkas XLSX tidak dapat dibaca."))
    return list(_csv_rows(stream))


def _csv_rows(stream: IO[bytes]) -> Iterator[dict[str, Any]]:
    try:
        text = stream.read().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(_("Berkas CSV harus berenkode UTF-8.")) from exc
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    for count, cells in enumerate(reader):
        if header is None:
            header = _header(cells)
            continue
        if count > MAX_IMPORT_ROWS + 1:
            break
        if not any(c.strip() for c in cells):
            continue
        yield {k: _unquote(v) for k, v in zip(header, cells, strict=False)}


def _xlsx_rows(stream: IO[bytes]) -> Iterator[dict[str, Any]]:
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValidationFailed(_("Berkas XLSX tidak dapat dibaca.")) from exc
    sheet = book.worksheets[0]
    header: list[str] | None = None
    for count, cells in enumerate(sheet.iter_rows(values_only=True)):
        if header is None:
            header = _header(cells)
            continue
        if count > MAX_IMPORT_ROWS + 1:
            break
        if not any(c not in (None, "") for c in cells):
            continue
        yield {k: _unquote(v) for k, v in zip(header, cells, strict=False)}
    book.close()


def write_csv(rows: Iterable[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(IMPORT_COLUMNS), delimiter=";")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _safe(v) for k, v in row.items()})
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(rows: Iterable[dict[str, Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Produk")
    sheet.append(list(IMPORT_COLUMNS))
    for row in rows:
        sheet.append([_safe(row[c]) for c in IMPORT_COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
