"""Reading a register file as a stream of rows: .xlsx through openpyxl's read-only mode, .csv in UTF-8 (with
or without BOM), UTF-16 with BOM, or GBK/GB18030 as Excel on Chinese Windows saves it.

One pass over the bytes first gives the file's SHA-256, a row estimate for the progress bar and whether
the text is UTF-8; the rows are then read lazily, never the whole sheet at once.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _


class FileProblem(Exception):
    """The file cannot be read as a register (wrong type, broken, no header)."""


@dataclass
class Source:
    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]  # (spreadsheet row number, raw cell values)
    total_estimate: int | None


@contextmanager
def binary(path_or_file: str | os.PathLike[str] | IO[bytes]) -> Iterator[IO[bytes]]:
    if isinstance(path_or_file, str | os.PathLike):
        with open(path_or_file, "rb") as handle:
            yield handle
    else:
        path_or_file.seek(0)
        yield path_or_file


def scan(handle: IO[bytes]) -> tuple[str, int, bool]:
    """One pass over the bytes: SHA-256, line count (a row estimate for CSV) and whether it is UTF-8."""
    digest = hashlib.sha256()
    lines = 0
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    while chunk := handle.read(1 << 20):
        digest.update(chunk)
        lines += chunk.count(b"\n")
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    handle.seek(0)
    return digest.hexdigest(), lines, utf8


def open_source(handle: IO[bytes], file_name: str, lines: int, utf8: bool) -> Source:
    head = handle.read(8)
    handle.seek(0)
    suffix = Path(file_name).suffix.lower()
    if head.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(handle)
    if head.startswith(b"\xd0\xcf\x11\xe0") or suffix == ".xls":
        raise FileProblem(_("old .xls workbooks are not read; save the file as .xlsx or .csv"))
    return _read_csv(handle, utf8, lines)


def _csv_encoding(head: bytes, utf8: bool) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    # Excel on Chinese Windows saves "CSV" in the ANSI code page (GBK); GB18030 is its superset.
    return "utf-8" if utf8 else "gb18030"


def _read_csv(handle: IO[bytes], utf8: bool, lines: int) -> Source:
    head = handle.read(4)
    handle.seek(0)
    encoding = _csv_encoding(head, utf8)
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    first_line = text.readline()
    text.seek(0)
    delimiter = max(",\t;", key=first_line.count) if first_line else ","
    reader = csv.reader(text, delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration as exc:
        raise FileProblem(_("the file is empty")) from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise FileProblem(_("the file cannot be read as CSV")) from exc

    def rows() -> Iterator[tuple[int, list[Any]]]:
        number = 1
        try:
            for row in reader:
                number += 1
                yield number, row
        except (UnicodeDecodeError, csv.Error) as exc:
            raise FileProblem(
                _("the file cannot be read as CSV after row %(row)d") % {"row": number}
            ) from exc
        finally:
            text.detach()

    return Source(headers=headers, rows=rows(), total_estimate=max(lines - 1, 0) or None)


def _read_xlsx(handle: IO[bytes]) -> Source:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(handle, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken or non-xlsx file
        raise FileProblem(_("the file cannot be read as an .xlsx workbook")) from exc
    sheet = workbook.worksheets[0]
    estimate = sheet.max_row
    # Some tools write wrong dimensions; without them openpyxl reads every row that is really there.
    sheet.reset_dimensions()
    iterator = sheet.iter_rows(values_only=True)
    try:
        headers = ["" if v is None else str(v) for v in next(iterator)]
    except StopIteration as exc:
        workbook.close()
        raise FileProblem(_("the first sheet is empty")) from exc

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for number, row in enumerate(iterator, start=2):
                yield number, list(row)
        finally:
            workbook.close()

    return Source(
        headers=headers, rows=rows(), total_estimate=(estimate - 1) if estimate and estimate > 1 else None
    )


def cell_text(value: Any) -> str:
    """A cell as the text a person sees: whole numbers without ".0", dates as YYYY-MM-DD, trimmed."""
    if type(value) is str:  # every CSV cell, most xlsx cells
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return str(value).strip()
