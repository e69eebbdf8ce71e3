"""A book as XLSX (openpyxl; every text cell quoted by ``safe_cell`` so a memo that looks like a
formula stays text) and a book or an LPJ as PDF (xhtml2pdf, as invoicing's documents).
Numbers are whole rupiah."""

from __future__ import annotations

import io
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from xhtml2pdf import pisa  # type: ignore[import-untyped]

from digipay.books.queries import Book
from digipay.catalog.spreadsheets import safe_cell
from digipay.core import clock

RUPIAH = '#,##0;-#,##0;"-"'


def book_workbook(book: Book) -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = str(book.spec.slug.upper())
    sheet.append([safe_cell(str(book.spec.title))])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([_("Satker"), safe_cell(f"{book.satker.code} {book.satker.name}")])
    sheet.append([_("Bulan"), book.period.strftime("%m/%Y")])
    sheet.append([])
    header = [
        _("Tanggal"),
        _("Nomor bukti"),
        _("Uraian"),
        _("Akun"),
        _("Debit"),
        _("Kredit"),
        _("Saldo"),
    ]
    sheet.append(header)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.append(["", "", _("Saldo awal"), "", None, None, book.opening])
    for row in book.rows:
        sheet.append(
            [
                row.at.astimezone(clock.JAKARTA).strftime("%d/%m/%Y %H:%M"),
                safe_cell(row.reference),
                safe_cell(row.description),
                safe_cell(row.account_code),
                row.debit,
                row.credit,
                row.balance,
            ]
        )
    sheet.append(
        ["", "", _("Jumlah dan saldo akhir"), "", book.total_debit, book.total_credit, book.closing]
    )
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for column in ("E", "F", "G"):
        for cell in sheet[column]:
            if isinstance(cell.value, int):
                cell.number_format = RUPIAH
    for column, width in zip("ABCDEFG", (17, 28, 48, 20, 16, 16, 18), strict=True):
        sheet.column_dimensions[column].width = width
    return workbook


def xlsx_bytes(book: Book) -> bytes:
    out = io.BytesIO()
    book_workbook(book).save(out)
    return out.getvalue()


def _only_inline_resources(uri: str, rel: str) -> str:
    return uri if uri.startswith("data:") else ""


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    html = render_to_string(template, context)
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8", link_callback=_only_inline_resources)
    if result.err:
        raise RuntimeError(f"PDF rendering failed for {template}")
    return out.getvalue()
