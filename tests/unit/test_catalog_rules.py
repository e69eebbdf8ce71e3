"""The pure catalog rules: product states and listing, product validation, TKDN/BMP
percentages, the search text (the Snowball Indonesian stemmer), the cursor codec, the import
row format and the spreadsheet quoting of formula-like cells."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digipay.catalog import spreadsheets
from digipay.catalog.rules import (
    IMPORT_COLUMNS,
    ProductFacts,
    ProductKind,
    ProductState,
    bp_to_percent,
    can_move,
    decode_cursor,
    encode_cursor,
    fold,
    is_listed,
    is_orderable,
    lexicon_words,
    parse_import_row,
    percent_to_bp,
    product_errors,
    query_words,
    stem,
    stemmed,
    words,
)
from digipay.core.errors import ValidationFailed

D, P, R, A = (ProductState.DRAFT, ProductState.PUBLISHED, ProductState.READY, ProductState.ARCHIVED)

# --- states and listing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (D, P, True),
        (D, A, True),
        (D, R, False),
        (P, R, True),
        (P, D, True),
        (P, A, True),
        (R, P, True),
        (R, D, True),
        (R, A, True),
        (A, D, True),
        (A, P, False),
        (A, R, False),
        (D, "SOLD", False),
    ],
)
def test_state_transitions(current: str, target: str, allowed: bool) -> None:
    assert can_move(current, target) is allowed


@pytest.mark.parametrize(
    ("state", "stock", "sells", "listed"),
    [
        (D, 10, True, False),
        (P, 10, True, True),
        (P, 0, True, True),  # published: shown, not orderable
        (R, 10, True, True),
        (R, 0, True, False),  # out of stock: hidden until restocked
        (R, None, True, True),  # a service has no stock
        (A, 10, True, False),
        (P, 10, False, False),  # suspended or unverified vendor
        (R, None, False, False),
    ],
)
def test_what_buyers_see(state: str, stock: int | None, sells: bool, listed: bool) -> None:
    assert is_listed(state=state, stock=stock, vendor_sells=sells) is listed


def test_orderable_needs_ready_a_seller_and_the_minimum_order_in_stock() -> None:
    assert is_orderable(state=R, stock=12, min_order=12, vendor_sells=True)
    assert not is_orderable(state=R, stock=11, min_order=12, vendor_sells=True)
    assert is_orderable(state=R, stock=None, min_order=100, vendor_sells=True)
    assert not is_orderable(state=P, stock=99, min_order=1, vendor_sells=True)
    assert not is_orderable(state=R, stock=99, min_order=1, vendor_sells=False)


# --- product validation -----------------------------------------------------------------------

GOOD = ProductFacts(
    name="Kertas HVS A4 80 gram",
    description="",
    unit="rim",
    price_idr=55_000,
    min_order=1,
    stock=10,
    kind=ProductKind.GOODS,
    is_pdn=True,
    tkdn_bp=4000,
    bmp_bp=1500,
    lead_time_days=3,
)


def test_a_good_product_has_no_errors() -> None:
    assert product_errors(GOOD) == {}
    assert product_errors(replace(GOOD, kind=ProductKind.SERVICES, stock=None)) == {}
    assert product_errors(replace(GOOD, tkdn_bp=8500, bmp_bp=1500)) == {}  # exactly 100 %
    assert product_errors(replace(GOOD, price_idr=1)) == {}
    assert product_errors(replace(GOOD, price_idr=10_000_000_000)) == {}


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"price_idr": 0}, {"price_idr"}),
        ({"price_idr": -1}, {"price_idr"}),
        ({"price_idr": 10_000_000_001}, {"price_idr"}),
        ({"stock": -1}, {"stock"}),
        ({"stock": None}, {"stock"}),  # goods need a stock
        ({"is_pdn": False}, {"tkdn_bp"}),  # TKDN/BMP only for PDN
        ({"is_pdn": False, "tkdn_bp": 0, "bmp_bp": 0}, set()),
        ({"tkdn_bp": 8600, "bmp_bp": 1500}, {"bmp_bp"}),  # 101 %
        ({"tkdn_bp": 10_001, "bmp_bp": 0}, {"tkdn_bp", "bmp_bp"}),
        ({"unit": "ton"}, {"unit"}),
        ({"name": "  AB "}, {"name"}),
        ({"name": "x" * 201}, {"name"}),
        ({"description": "x" * 5001}, {"description"}),
        ({"min_order": 0}, {"min_order"}),
        ({"kind": "BARANG"}, {"kind"}),
        ({"lead_time_days": 366}, {"lead_time_days"}),
    ],
)
def test_product_errors_name_the_field(changes: dict[str, Any], fields: set[str]) -> None:
    assert set(product_errors(replace(GOOD, **changes))) == fields


@pytest.mark.parametrize(
    ("text", "bp"),
    [
        ("40", 4000),
        ("40,5", 4050),
        ("40.25", 4025),
        ("40,05", 4005),
        ("0", 0),
        ("", 0),
        ("100", 10_000),
        ("12 %", 1200),
        ("12%", 1200),
        ("abc", None),
        ("40,123", None),
        ("-5", None),
        ("1000", None),
    ],
)
def test_percent_to_basis_points(text: str, bp: int | None) -> None:
    assert percent_to_bp(text) == bp


@given(st.integers(min_value=0, max_value=10_000))
def test_basis_points_round_trip_through_the_percent_text(bp: int) -> None:
    assert percent_to_bp(bp_to_percent(bp)) == bp


def test_percent_text_is_indonesian() -> None:
    assert [bp_to_percent(b) for b in (4000, 4050, 4005, 0, 10_000)] == [
        "40",
        "40,5",
        "40,05",
        "0",
        "100",
    ]


# --- search text --------------------------------------------------------------------------------


def test_words_are_folded_ascii_lowercase() -> None:
    assert fold("Kopi Gayo Café — Ñ") == "kopi gayo cafe  n"
    assert words("Kertas HVS A4, 80 gram (isi 500)") == [
        "kertas",
        "hvs",
        "a4",
        "80",
        "gram",
        "isi",
        "500",
    ]


@pytest.mark.parametrize(
    ("word", "root"),
    [
        ("pembersih", "bersih"),
        ("membersihkan", "bersih"),
        ("pembersihan", "bersih"),
        ("bersih", "bersih"),
        ("kertas", "kertas"),
        ("pulpen", "pulpen"),
        ("cairan", "cair"),
        ("pelindung", "lindung"),
        ("a4", "a4"),
    ],
)
def test_stems_match_the_indonesian_snowball_stemmer(word: str, root: str) -> None:
    assert stem(word) == root


def test_stemmed_text_is_what_the_index_holds() -> None:
    assert stemmed("Cairan untuk membersihkan lantai") == "cair untuk bersih lanta"
    assert stemmed("Pembersih kaca") == "bersih kaca"


def test_query_words_are_capped_and_the_lexicon_keeps_real_words() -> None:
    assert query_words("a b c d e f g h i j") == list("abcdefgh")
    assert lexicon_words("Kertas HVS A4 80 gram ukuran") == {"kertas", "hvs", "gram", "ukuran"}


# --- cursor -------------------------------------------------------------------------------------


@given(
    st.one_of(
        st.integers(min_value=-(2**62), max_value=2**62),
        st.floats(allow_nan=False, allow_infinity=False),
    ),
    st.integers(min_value=1, max_value=2**62),
)
def test_a_cursor_round_trips(key: int | float, row_id: int) -> None:
    cursor = encode_cursor([key, row_id])
    assert "=" not in cursor
    assert decode_cursor(cursor, 2) == [key, row_id]


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        "nonsense!",
        encode_cursor([1, 2, 3]),
        encode_cursor([1]),
        encode_cursor(["x", 1]),
        encode_cursor([True, 1]),
        encode_cursor([None, 1]),
        "eyJhIjoxfQ",
        encode_cursor([[1], 2]),
    ],
)
def test_a_malformed_cursor_decodes_to_none(cursor: str) -> None:
    assert decode_cursor(cursor, 2) is None


# --- import rows --------------------------------------------------------------------------------

ROW = {
    "sku": "KRT-A4-80",
    "nama": "  Kertas  HVS A4 ",
    "deskripsi": " 500 lembar ",
    "kategori": "atk-kertas",
    "satuan": "Rim",
    "harga": "55.000",
    "min_pesan": "",
    "stok": "1.000",
    "jenis": "Barang",
    "pdn": "YA",
    "tkdn": "40,5",
    "bmp": "10",
    "waktu_kirim_hari": "",
    "wilayah_kirim": "31; 32;31",
}


def test_an_import_row_is_parsed_and_normalised() -> None:
    row, errors = parse_import_row(ROW)
    assert errors == {}
    assert row is not None
    assert (row.sku, row.name, row.description, row.category_code, row.unit) == (
        "KRT-A4-80",
        "Kertas HVS A4",
        "500 lembar",
        "ATK-KERTAS",
        "rim",
    )
    assert (row.price_idr, row.min_order, row.stock, row.lead_time_days) == (55_000, 1, 1000, 3)
    assert (row.kind, row.is_pdn, row.tkdn_bp, row.bmp_bp) == ("GOODS", True, 4050, 1000)
    assert (row.provinces, row.nationwide) == (("31", "32"), False)
    for everywhere in ("", "SEMUA", "nasional"):
        parsed, _e = parse_import_row({**ROW, "wilayah_kirim": everywhere})
        assert parsed is not None
        assert parsed.nationwide
        assert parsed.provinces == ()


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"harga": "12.500,50"}, {"harga"}),
        pytest.param({"harga": "12500.50"}, {"harga"}, id="decimal-point-price"),
        pytest.param({"harga": 12500.5}, {"harga"}, id="xlsx-number-with-decimals"),
        ({"harga": "Rp 12.500"}, {"harga"}),
        ({"harga": ""}, {"harga"}),
        ({"harga": "0"}, {"harga"}),
        ({"sku": ""}, {"sku"}),
        ({"sku": "A" * 41}, {"sku"}),
        ({"stok": "banyak"}, {"stok"}),
        ({"stok": "-3"}, {"stok"}),
        ({"jenis": "produk"}, {"jenis"}),
        ({"pdn": "mungkin"}, {"pdn"}),
        ({"tkdn": "empat puluh"}, {"tkdn"}),
        ({"pdn": "tidak"}, {"tkdn"}),
        ({"tkdn": "95"}, {"bmp"}),
        ({"wilayah_kirim": "JKT"}, {"wilayah_kirim"}),
        ({"wilayah_kirim": "31;3"}, {"wilayah_kirim"}),
        ({"satuan": "ton"}, {"satuan"}),
        ({"nama": "AB"}, {"nama"}),
        ({"min_pesan": "0"}, {"min_pesan"}),
        ({"waktu_kirim_hari": "dua"}, {"waktu_kirim_hari"}),
    ],
)
def test_import_row_errors_name_the_column(changes: dict[str, Any], fields: set[str]) -> None:
    row, errors = parse_import_row({**ROW, **changes})
    assert row is None
    assert set(errors) == fields


@pytest.mark.parametrize(
    ("cell", "price"),
    [
        ("55.000", 55_000),
        ("55000", 55_000),
        (55000, 55_000),
        (55000.0, 55_000),
        ("1.250.000", 1_250_000),
    ],
)
def test_import_prices_accept_thousands_separators_and_whole_numbers(cell: Any, price: int) -> None:
    row, errors = parse_import_row({**ROW, "harga": cell})
    assert errors == {}
    assert row is not None
    assert row.price_idr == price


# --- spreadsheets -------------------------------------------------------------------------------


def _row(**changes: Any) -> dict[str, Any]:
    return dict.fromkeys(IMPORT_COLUMNS, "") | changes


def test_formula_like_cells_are_quoted_and_read_back_intact() -> None:
    risky = ['=HYPERLINK("http://x","y")', "+62 812", "-5 derajat", "@SUM(A1)", "=1+2"]
    content = spreadsheets.write_csv([_row(sku="A", nama=v, deskripsi=v) for v in risky])
    cells = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert [r[1] for r in cells[1:]] == [f"'{v}" for v in risky]
    back = spreadsheets.read_rows("ekspor.csv", io.BytesIO(content))
    assert [r["nama"] for r in back] == risky
    book = spreadsheets.write_xlsx([_row(sku="A", nama=v, deskripsi=v) for v in risky])
    back = spreadsheets.read_rows("ekspor.xlsx", io.BytesIO(book))
    assert [r["deskripsi"] for r in back] == risky
    # A leading quote the vendor typed itself stays.
    plain = spreadsheets.read_rows(
        "p.csv", io.BytesIO(spreadsheets.write_csv([_row(nama="'kutip' biasa")]))
    )
    assert plain[0]["nama"] == "'kutip' biasa"


def test_both_csv_delimiters_are_read() -> None:
    header = ";".join(IMPORT_COLUMNS)
    semi = f"{header}\nA;Kertas;;ATK-KERTAS;rim;55.000\n".encode()
    comma = (header.replace(";", ",") + '\nA,"Pulpen, gel",,ATK-TULIS,buah,"3,500"\n').encode()
    assert spreadsheets.read_rows("a.csv", io.BytesIO(semi))[0]["harga"] == "55.000"
    row = spreadsheets.read_rows("a.csv", io.BytesIO(comma))[0]
    assert (row["nama"], row["harga"]) == ("Pulpen, gel", "3,500")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param("a.csv", b"", id="empty"),
        pytest.param("a.csv", b"sku;nama\n", id="missing-columns"),
        pytest.param("a.csv", b"\xff\xfe\x00k\x00e\x00r", id="not-utf8"),
        pytest.param("a.xlsx", b"PK\x03\x04 not really a zip", id="zip-magic-not-a-zip"),
        pytest.param("a.xlsx", b"plain text named xlsx", id="text-named-xlsx"),
    ],
)
def test_unreadable_files_are_refused(name: str, content: bytes) -> None:
    with pytest.raises(ValidationFailed):
        spreadsheets.read_rows(name, io.BytesIO(content))
