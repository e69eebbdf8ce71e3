"""The monthly tax report as an XLSX workbook (openpyxl): one row per tax account code, the
total, then every deposit of the month. Numbers are whole rupiah; NPWPs are not exported."""

from __future__ import annotations

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from digipay.catalog.spreadsheets import safe_cell
from digipay.invoicing import queries
from digipay.tax.rules import Tax

RUPIAH = '#,##0;-#,##0;"-"'


def report_workbook(report: queries.MonthlyReport) -> Workbook:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Laporan pajak")
    sheet.append([_("Laporan pajak bulanan")])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([_("Satker"), f"{report.satker.code} {report.satker.name}"])
    sheet.append([_("Masa pajak"), report.period.strftime("%m/%Y")])
    sheet.append([])
    header = [
        _("Kode akun pajak"),
        _("Jenis pajak"),
        _("Dipotong/dipungut"),
        _("Disetor"),
        _("Belum disetor"),
        _("Lewat jatuh tempo"),
        _("Jumlah setoran"),
    ]
    sheet.append(header)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    first = sheet.max_row + 1
    for row in report.rows:
        sheet.append(
            [
                row.account_code,
                str(Tax(row.tax).label),
                row.collected,
                row.deposited,
                row.outstanding,
                row.overdue,
                row.count,
            ]
        )
    total = report.total
    sheet.append(
        [
            _("Jumlah"),
            "",
            total.collected,
            total.deposited,
            total.outstanding,
            total.overdue,
            total.count,
        ]
    )
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row_cells in sheet.iter_rows(min_row=first, max_row=sheet.max_row, min_col=3, max_col=6):
        for cell in row_cells:
            cell.number_format = RUPIAH
    details = book.create_sheet(_("Setoran"))
    details.append(
        [
            _("Nomor tagihan"),
            _("Tanggal tagihan"),
            _("Vendor"),
            _("Jenis pajak"),
            _("Kode akun pajak"),
            _("Jumlah"),
            _("Jatuh tempo"),
            _("Status"),
        ]
    )
    for cell in details[1]:
        cell.font = Font(bold=True)
    for d in report.deposits:
        details.append(
            [
                d.invoice.number,
                d.invoice.invoice_date,
                d.invoice.vendor.business_name,
                str(Tax(d.tax).label),
                d.account_code,
                d.amount_idr,
                d.due_date,
                d.get_status_display(),
            ]
        )
    for column, width in zip("ABCDEFGH", (26, 14, 32, 12, 14, 16, 14, 18), strict=True):
        sheet.column_dimensions[column].width = width
        details.column_dimensions[column].width = width
    _quote_formulas(book)
    return book


def _quote_formulas(book: Workbook) -> None:
    """Text a spreadsheet would run as a formula (a vendor may name itself "=HYPERLINK(…)")
    is written as text, with the leading quote the catalog export uses too."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                cell.value = safe_cell(cell.value)
