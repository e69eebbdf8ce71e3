"""Bulk import (CSV with ; or , and XLSX) and export: the dry run writes nothing, any row error
is reported with its row and column and the whole file is refused, a second import updates by
SKU (price history) and counts unchanged rows, an export imports back as a no-op, and cells a
spreadsheet would run as formulas are quoted on the way out and intact on the way back."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from digipay.audit.models import AuditEvent
from digipay.catalog import services
from digipay.catalog.models import PriceChange, Product
from digipay.catalog.rules import IMPORT_COLUMNS

from .conftest import SATKER_USER, CatalogKit, Seller

IMPORT = "/api/v1/catalog/import"

ROWS: list[dict[str, Any]] = [
    {
        "sku": "KRT-A4-80",
        "nama": "Kertas HVS A4 80 gram",
        "deskripsi": "500 lembar per rim",
        "kategori": "ATK-KERTAS",
        "satuan": "rim",
        "harga": "55.000",
        "min_pesan": "1",
        "stok": "100",
        "jenis": "barang",
        "pdn": "ya",
        "tkdn": "40,5",
        "bmp": "10",
        "waktu_kirim_hari": "2",
        "wilayah_kirim": "31;32",
    },
    {
        "sku": "PLP-GEL-HTM",
        "nama": "Pulpen gel hitam 0,5 mm",
        "deskripsi": "",
        "kategori": "ATK-TULIS",
        "satuan": "buah",
        "harga": "3500",
        "min_pesan": "12",
        "stok": "1.000",
        "jenis": "barang",
        "pdn": "tidak",
        "tkdn": "",
        "bmp": "",
        "waktu_kirim_hari": "",
        "wilayah_kirim": "SEMUA",
    },
    {
        "sku": "JASA-FC",
        "nama": "Jasa fotokopi dokumen",
        "deskripsi": "Hitam putih, A4/F4",
        "kategori": "CETAK-DOKUMEN",
        "satuan": "lembar",
        "harga": "300",
        "min_pesan": "100",
        "stok": "",
        "jenis": "jasa",
        "pdn": "Ya",
        "tkdn": "100",
        "bmp": "0",
        "waktu_kirim_hari": "1",
        "wilayah_kirim": "",
    },
]


def as_csv(
    rows: list[dict[str, Any]], delimiter: str = ";", columns: tuple[str, ...] = IMPORT_COLUMNS
) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=list(columns), delimiter=delimiter, extrasaction="ignore"
    )
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def as_xlsx(rows: list[dict[str, Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Produk"
    sheet.append([c.upper() if c == "sku" else c for c in IMPORT_COLUMNS])  # headers: any case
    for row in rows:
        cells: list[Any] = []
        for column in IMPORT_COLUMNS:
            value = row[column]
            numeric = column in ("harga", "stok", "min_pesan", "waktu_kirim_hari")
            if numeric and re.fullmatch(r"-?[\d.]+", str(value)):
                value = int(str(value).replace(".", ""))  # real numbers, as Excel keeps them
            cells.append(value if value != "" else None)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client: Any, name: str, content: bytes, *, dry_run: bool) -> Any:
    return client.upload(IMPORT, "file", name, content, dry_run="true" if dry_run else "false")


@pytest.fixture
def seller(kit: CatalogKit) -> Seller:
    return kit.seller("CV Impor Massal Jaya")


def products_of(seller: Seller) -> dict[str, Product]:
    return {p.sku: p for p in Product.objects.filter(vendor=seller.vendor)}


def test_a_dry_run_reports_and_writes_nothing(kit: CatalogKit, api: Any, seller: Seller) -> None:
    client = api(seller.admin)
    events = AuditEvent.objects.count()
    for name, content in (
        ("produk.csv", as_csv(ROWS, ";")),
        ("produk.csv", as_csv(ROWS, ",")),
        ("produk.xlsx", as_xlsx(ROWS)),
    ):
        response = upload(client, name, content, dry_run=True)
        assert response.status_code == 200, response.content
        report = response.json()
        assert report == {
            "dry_run": True,
            "ok": True,
            "rows": 3,
            "created": 3,
            "updated": 0,
            "unchanged": 0,
            "errors": [],
        }, name
    assert products_of(seller) == {}
    assert not PriceChange.objects.exists()
    assert AuditEvent.objects.count() == events
    # Without the field the import is a dry run too.
    default = client.upload(IMPORT, "file", "produk.csv", as_csv(ROWS))
    assert default.json()["dry_run"] is True
    assert products_of(seller) == {}


@pytest.mark.parametrize(
    ("name", "make"),
    [
        pytest.param("produk.csv", lambda: as_csv(ROWS, ";"), id="csv-semicolon"),
        pytest.param("produk.csv", lambda: as_csv(ROWS, ","), id="csv-comma"),
        pytest.param("produk.xlsx", lambda: as_xlsx(ROWS), id="xlsx"),
    ],
)
def test_a_valid_import_creates_the_products(
    kit: CatalogKit, api: Any, seller: Seller, name: str, make: Any
) -> None:
    response = upload(api(seller.admin), name, make(), dry_run=False)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "dry_run": False,
        "ok": True,
        "rows": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "errors": [],
    }
    made = products_of(seller)
    assert set(made) == {"KRT-A4-80", "PLP-GEL-HTM", "JASA-FC"}
    paper, pen, copy = made["KRT-A4-80"], made["PLP-GEL-HTM"], made["JASA-FC"]
    assert (paper.name, paper.price_idr, paper.stock, paper.unit) == (
        "Kertas HVS A4 80 gram",
        55_000,
        100,
        "rim",
    )
    assert (paper.is_pdn, paper.tkdn_bp, paper.bmp_bp, paper.lead_time_days) == (
        True,
        4050,
        1000,
        2,
    )
    assert paper.category.code == "ATK-KERTAS"
    assert paper.state == "DRAFT"
    assert not paper.delivers_nationwide
    assert sorted(paper.areas.values_list("province_id", flat=True)) == ["31", "32"]
    assert (pen.price_idr, pen.stock, pen.min_order, pen.is_pdn, pen.tkdn_bp) == (
        3_500,
        1_000,
        12,
        False,
        0,
    )
    assert pen.delivers_nationwide
    assert pen.lead_time_days == 3
    assert (copy.kind, copy.stock, copy.tkdn_bp, copy.delivers_nationwide) == (
        "SERVICES",
        None,
        10_000,
        True,
    )
    assert AuditEvent.objects.filter(action="product.created").count() == 3


def _bad_rows() -> list[dict[str, Any]]:
    good = ROWS[0]
    return [
        good,  # row 2
        {**ROWS[1], "harga": "12.500,50"},  # row 3
        {**ROWS[2], "kategori": "ATK-SERBAGUNA"},  # row 4
        {**good, "nama": "Kertas HVS A4 80 gram (lagi)"},  # row 5: the same SKU again
        {**good, "sku": "KRT-F4", "wilayah_kirim": "JKT"},  # row 6
        {**good, "sku": "KRT-A3", "wilayah_kirim": "31;99"},  # row 7: no province 99
        {**good, "sku": "KRT-A5", "kategori": "ATK"},  # row 8: a parent category
        {**good, "sku": "KRT-B5", "pdn": "tidak"},  # row 9: TKDN without PDN
        {**good, "sku": "KRT-LEGAL", "harga": "0"},  # row 10
        {**good, "sku": "KRT-FOLIO", "satuan": "ton", "stok": "-3"},  # row 11: two errors
        {**ROWS[1], "sku": "PLP-GEL-BIRU"},  # row 12: valid, after the errors
    ]


EXPECTED_ERRORS = {
    (3, "harga"),
    (4, "kategori"),
    (5, "sku"),
    (6, "wilayah_kirim"),
    (7, "wilayah_kirim"),
    (8, "kategori"),
    (9, "tkdn"),
    (10, "harga"),
    (11, "satuan"),
    (11, "stok"),
}


@pytest.mark.parametrize(
    ("name", "make"),
    [
        pytest.param("salah.csv", lambda: as_csv(_bad_rows(), ";"), id="csv-semicolon"),
        pytest.param("salah.csv", lambda: as_csv(_bad_rows(), ","), id="csv-comma"),
        pytest.param("salah.xlsx", lambda: as_xlsx(_bad_rows()), id="xlsx"),
    ],
)
def test_row_errors_are_reported_and_nothing_is_written(
    kit: CatalogKit, api: Any, seller: Seller, name: str, make: Any
) -> None:
    client = api(seller.admin)
    for dry_run in (True, False):
        response = upload(client, name, make(), dry_run=dry_run)
        assert response.status_code == 200, response.content
        report = response.json()
        assert report["ok"] is False
        assert report["dry_run"] is dry_run
        assert {(e["row"], e["field"]) for e in report["errors"]} == EXPECTED_ERRORS
        assert all(e["message"] for e in report["errors"])
        if not dry_run:
            assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 0)
    assert products_of(seller) == {}
    assert not PriceChange.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="product.").exists()


def _xlsx_with_price(price: Any) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(IMPORT_COLUMNS))
    sheet.append([{**ROWS[0], "harga": price}[c] for c in IMPORT_COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "make"),
    [
        pytest.param("p.xlsx", lambda: _xlsx_with_price(12500.5), id="xlsx-number-12500.5"),
        pytest.param(
            "p.csv", lambda: as_csv([{**ROWS[0], "harga": "12500.50"}]), id="csv-decimal-point"
        ),
        pytest.param(
            "p.csv",
            lambda: as_csv([{**ROWS[0], "harga": "12,500.50"}], ";"),
            id="csv-english-format",
        ),
    ],
)
def test_a_price_with_decimals_is_refused_never_multiplied(
    kit: CatalogKit, api: Any, seller: Seller, name: str, make: Any
) -> None:
    report = upload(api(seller.admin), name, make(), dry_run=False).json()
    assert {(e["row"], e["field"]) for e in report["errors"]} == {(2, "harga")}, [
        (p.sku, p.price_idr) for p in Product.objects.all()
    ]
    assert products_of(seller) == {}


def test_a_missing_header_column_refuses_the_file(
    kit: CatalogKit, api: Any, seller: Seller
) -> None:
    columns = tuple(c for c in IMPORT_COLUMNS if c != "harga")
    for delimiter in (";", ","):
        response = upload(
            api(seller.admin), "p.csv", as_csv(ROWS, delimiter, columns), dry_run=False
        )
        assert response.status_code == 422, response.content
        assert response.json()["code"] == "bad_header"
        assert "harga" in response.json()["message"]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(columns))
    out = io.BytesIO()
    book.save(out)
    response = upload(api(seller.admin), "p.xlsx", out.getvalue(), dry_run=False)
    assert response.status_code == 422
    assert response.json()["code"] == "bad_header"
    empty = upload(api(seller.admin), "p.csv", b"", dry_run=False)
    assert empty.status_code == 422


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param("rusak.xlsx", b"PK\x03\x04 bukan zip yang utuh", id="not-a-zip"),
        pytest.param("terpotong.xlsx", None, id="truncated-xlsx"),
        pytest.param("gambar.xlsx", b"\x89PNG\r\n\x1a\n", id="png-named-xlsx"),
        pytest.param("latin1.csv", "sku;nama\nA;Caf\xe9".encode("latin-1"), id="not-utf8"),
    ],
)
def test_an_unreadable_file_is_a_422_not_a_crash(
    kit: CatalogKit, api: Any, seller: Seller, name: str, content: bytes | None
) -> None:
    if content is None:
        content = as_xlsx(ROWS)[:700]
    response = upload(api(seller.admin), name, content, dry_run=False)
    assert response.status_code == 422, response.content[:300]
    assert products_of(seller) == {}
    assert products_of(seller) == {}


def test_a_second_import_updates_by_sku_and_counts_unchanged_rows(
    kit: CatalogKit, api: Any, seller: Seller
) -> None:
    client = api(seller.admin)
    assert upload(client, "p.csv", as_csv(ROWS), dry_run=False).json()["created"] == 3
    changed = [
        {**ROWS[0], "harga": "57.500"},
        ROWS[1],
        {**ROWS[2], "harga": "350"},
        {**ROWS[1], "sku": "PLP-GEL-BIRU", "nama": "Pulpen gel biru 0,5 mm"},
    ]

    dry = upload(client, "p.csv", as_csv(changed, ","), dry_run=True).json()
    assert (dry["created"], dry["updated"], dry["unchanged"], dry["ok"]) == (1, 2, 1, True)
    assert products_of(seller)["KRT-A4-80"].price_idr == 55_000

    report = upload(client, "p.csv", as_csv(changed, ","), dry_run=False).json()
    assert (report["rows"], report["created"], report["updated"], report["unchanged"]) == (
        4,
        1,
        2,
        1,
    )
    made = products_of(seller)
    assert (made["KRT-A4-80"].price_idr, made["JASA-FC"].price_idr) == (57_500, 350)
    history = list(
        PriceChange.objects.filter(product=made["KRT-A4-80"])
        .order_by("id")
        .values_list("price_idr", "previous_idr")
    )
    assert history == [(55_000, None), (57_500, 55_000)]
    assert PriceChange.objects.filter(product=made["PLP-GEL-HTM"]).count() == 1
    assert AuditEvent.objects.filter(action="product.updated").count() == 2

    # A changed delivery area or description is an update too; the same file again is not.
    areas = [{**changed[0], "wilayah_kirim": "32"}, *changed[1:]]
    report = upload(client, "p.csv", as_csv(areas), dry_run=False).json()
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 1, 3)
    assert list(made["KRT-A4-80"].areas.values_list("province_id", flat=True)) == ["32"]
    again = upload(client, "p.csv", as_csv(areas), dry_run=False).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 4)


def _catalog_for_export(kit: CatalogKit, seller: Seller) -> None:
    kit.product(
        seller,
        "Kertas HVS A4 80 gram",
        price=55_000,
        unit="rim",
        is_pdn=True,
        tkdn_bp=4005,
        bmp_bp=1500,
        provinces=("31", "36", "32"),
        description='Putih; 500 lembar\nbaris kedua, dengan "kutip"',
        sku="KRT-1",
    )
    kit.product(
        seller,
        "Tinta printer hitam",
        category="ATK-TINTA",
        price=95_000,
        unit="botol",
        stock=0,
        sku="TNT-1",
        state="DRAFT",
    )
    kit.product(
        seller,
        "Jasa jilid spiral",
        category="CETAK-JILID",
        price=7_500,
        stock=None,
        kind="SERVICES",
        unit="eksemplar",
        sku="JLD-1",
        state="READY",
    )
    kit.product(
        seller,
        "@Kertas struk 57 mm",
        price=4_000,
        unit="roll",
        sku="STRUK-57",
        description='=HYPERLINK("https://contoh.id/x","klik di sini")',
    )
    kit.product(
        seller,
        "Sampul plastik -A4",
        price=1_500,
        unit="lembar",
        sku="-SMP",
        description="+62 812 3456 7890 (pemesanan)",
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_imports_back_unchanged(
    kit: CatalogKit, api: Any, seller: Seller, fmt: str
) -> None:
    _catalog_for_export(kit, seller)
    before = {
        sku: p.audit_state() | {"description": p.description}
        for sku, p in products_of(seller).items()
    }
    client = api(seller.admin)
    prices, events = PriceChange.objects.count(), AuditEvent.objects.count()
    exported = client.get("/api/v1/catalog/export", {"format": fmt})
    assert exported.status_code == 200, exported.content
    assert "attachment" in exported["Content-Disposition"]
    report = upload(client, f"ekspor.{fmt}", exported.content, dry_run=False).json()
    assert report["errors"] == []
    assert (report["rows"], report["created"], report["updated"], report["unchanged"]) == (
        5,
        0,
        0,
        5,
    )
    after = {
        sku: p.audit_state() | {"description": p.description}
        for sku, p in products_of(seller).items()
    }
    assert after == before
    assert (PriceChange.objects.count(), AuditEvent.objects.count()) == (prices, events)


def test_formula_like_cells_are_quoted_in_the_export(
    kit: CatalogKit, api: Any, seller: Seller
) -> None:
    _catalog_for_export(kit, seller)
    client = api(seller.admin)
    text = client.get("/api/v1/catalog/export", {"format": "csv"}).content.decode("utf-8-sig")
    rows = {r["nama"]: r for r in csv.DictReader(io.StringIO(text), delimiter=";")}
    formula = rows["'@Kertas struk 57 mm"]
    assert formula["deskripsi"] == '\'=HYPERLINK("https://contoh.id/x","klik di sini")'
    plastic = rows["Sampul plastik -A4"]
    assert (plastic["sku"], plastic["deskripsi"]) == ("'-SMP", "'+62 812 3456 7890 (pemesanan)")
    paper = rows["Kertas HVS A4 80 gram"]
    assert (paper["tkdn"], paper["bmp"], paper["wilayah_kirim"]) == ("40,05", "15", "31;32;36")

    book = load_workbook(
        io.BytesIO(client.get("/api/v1/catalog/export", {"format": "xlsx"}).content)
    )
    sheet = book.worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "no cell is a formula"
    values = {c.value for c in cells}
    assert '\'=HYPERLINK("https://contoh.id/x","klik di sini")' in values
    assert "'-SMP" in values
    assert "'@Kertas struk 57 mm" in values

    # Imported back, the text is the vendor's own again: nothing to update.
    for fmt, content in (
        ("csv", text.encode()),
        ("xlsx", client.get("/api/v1/catalog/export", {"format": "xlsx"}).content),
    ):
        report = upload(client, f"ekspor.{fmt}", content, dry_run=False).json()
        assert (report["ok"], report["updated"], report["unchanged"]) == (True, 0, 5), fmt
    made = products_of(seller)
    assert made["STRUK-57"].description == '=HYPERLINK("https://contoh.id/x","klik di sini")'
    assert made["STRUK-57"].name == "@Kertas struk 57 mm"
    assert made["-SMP"].description == "+62 812 3456 7890 (pemesanan)"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_product_edited_through_the_api_round_trips(
    kit: CatalogKit, api: Any, seller: Seller, fmt: str
) -> None:
    # A description typed in a text area ends with a new line; the import trims cells.
    product = kit.product(seller, "Kertas HVS A4 80 gram", sku="KRT-9", unit="rim")
    client = api(seller.admin)
    edited = client.patch(
        f"/api/v1/catalog/products/{product.pk}",
        {
            "description": "  Putih bersih, 500 lembar per rim.\r\n",
            "price_idr": 56_000,
        },
    )
    assert edited.status_code == 200, edited.content
    # Kept as create_product keeps a description (trimmed), so the export reads back the same.
    assert edited.json()["description"] == "Putih bersih, 500 lembar per rim."
    exported = client.get("/api/v1/catalog/export", {"format": fmt}).content
    report = upload(client, f"ekspor.{fmt}", exported, dry_run=False).json()
    assert report["errors"] == []
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 1)


def test_a_sku_accepted_by_the_api_survives_the_round_trip(
    kit: CatalogKit, api: Any, seller: Seller
) -> None:
    client = api(seller.admin)
    created = client.post(
        "/api/v1/catalog/products",
        {
            "sku": "ATK/KRT/001",
            "name": "Kertas HVS A4 80 gram",
            "category_id": kit.category("ATK-KERTAS").pk,
            "unit": "rim",
            "price_idr": 55_000,
            "kind": "GOODS",
            "stock": 10,
        },
    )
    assert created.status_code == 201, created.content
    exported = client.get("/api/v1/catalog/export", {"format": "csv"}).content
    report = upload(client, "ekspor.csv", exported, dry_run=False).json()
    assert report["errors"] == []
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, 1)


def test_only_vendor_users_import_and_export(kit: CatalogKit, api: Any) -> None:
    buyer = api(SATKER_USER)
    response = upload(buyer, "p.csv", as_csv(ROWS), dry_run=False)
    assert response.status_code in (403, 404)
    assert buyer.get("/api/v1/catalog/export").status_code in (403, 404)
    assert not Product.objects.exists()


def test_the_service_refuses_rows_the_same_way(kit: CatalogKit, seller: Seller) -> None:
    report = services.import_products(
        seller.admin, seller.vendor, [{**ROWS[0], "harga": "12.500,50"}, ROWS[1]], dry_run=False
    )
    assert not report.ok
    assert report.errors[0]["row"] == 2
    assert report.errors[0]["field"] == "harga"
    assert report.created == 0
    assert products_of(seller) == {}


def test_purge_imports_deletes_only_old_checked_files(settings: Any, tmp_path: Any) -> None:
    import os
    import time
    from io import StringIO

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.core.management import call_command

    settings.MEDIA_ROOT = str(tmp_path)
    old = default_storage.save("imports/7/old.csv", ContentFile(b"sku;nama\n"))
    new = default_storage.save("imports/7/new.csv", ContentFile(b"sku;nama\n"))
    two_days_ago = time.time() - 48 * 3600
    os.utime(default_storage.path(old), (two_days_ago, two_days_ago))
    out = StringIO()
    call_command("catalog", "purge-imports", stdout=out)
    assert not default_storage.exists(old)
    assert default_storage.exists(new)
    assert out.getvalue().startswith("1 ")
