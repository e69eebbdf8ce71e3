"""Catalog search on a small realistic catalog (31 listed products of 4 vendors, plus a draft
and an archived product): relevance, Indonesian stemming, typo tolerance, partial words, store
names, the OR fallback, every filter, facets, sorting and cursor pagination, and the search
endpoint. Every expectation is computed in the test from the product list below, and the same
assertions run on SQLite (FTS5) and PostgreSQL (tsvector + pg_trgm)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from digipay.accounts.models import Province
from digipay.catalog import search, services
from digipay.catalog.models import Category, Product
from digipay.catalog.rules import ProductKind, ProductState
from digipay.core import clock
from digipay.vendors.rules import UmkmClass

from .conftest import CatalogKit, Seller, later

# key: business name, province, annual sales (→ UMKM class), legal form
VENDORS = {
    "sj": ("CV Sinar Jaya Abadi", "31", 1_000_000_000, "CV"),  # MIKRO, DKI Jakarta
    "bm": ("UD Berkah Makmur Sentosa", "32", 5_000_000_000, "UD"),  # KECIL, Jawa Barat
    "ms": ("PT Mitra Sejahtera Bangsa", "35", 30_000_000_000, "PT"),  # MENENGAH, Jawa Timur
    "kl": ("Koperasi Karya Lestari", "31", 1_500_000_000, "KOPERASI"),  # MIKRO, DKI Jakarta
}
CLASS = {
    "sj": UmkmClass.MIKRO,
    "bm": UmkmClass.KECIL,
    "ms": UmkmClass.MENENGAH,
    "kl": UmkmClass.MIKRO,
}


@dataclass(frozen=True)
class P:
    name: str
    category: str
    price: int
    vendor: str
    unit: str = "buah"
    tkdn: int = -1  # basis points; -1: not PDN
    bmp: int = 0
    provinces: tuple[str, ...] = ()
    description: str = ""
    minute: int = 0  # published at T0 + minutes (the id order is deliberately different)
    state: str = ProductState.PUBLISHED
    kind: str = ProductKind.GOODS

    @property
    def pdn(self) -> bool:
        return self.tkdn >= 0

    @property
    def listed(self) -> bool:
        return self.state in (ProductState.PUBLISHED, ProductState.READY)


SPEC: dict[str, P] = {
    "hvs_a4_80": P(
        "Kertas HVS A4 80 gram",
        "ATK-KERTAS",
        55_000,
        "sj",
        "rim",
        tkdn=4000,
        description="Kertas fotokopi putih, 500 lembar per rim.",
        minute=14,
    ),
    "hvs_a4_70": P(
        "Kertas HVS A4 70 gram",
        "ATK-KERTAS",
        48_000,
        "bm",
        "rim",
        tkdn=2500,
        provinces=("31", "32"),
        description="Kertas cetak dan fotokopi, 500 lembar.",
        minute=3,
    ),
    "hvs_a4_80_kl": P("Kertas HVS A4 80 gram", "ATK-KERTAS", 55_000, "kl", "rim", minute=15),
    "hvs_f4": P("Kertas HVS F4 75 gram", "ATK-KERTAS", 52_000, "ms", "rim", minute=22),
    "amplop_coklat": P(
        "Amplop coklat kertas ukuran A4",
        "ATK-KERTAS",
        25_000,
        "sj",
        "pak",
        description="Amplop coklat untuk dokumen ukuran A4, isi 50 lembar.",
        minute=9,
    ),
    "amplop_putih": P(
        "Amplop putih kertas ukuran A4 isi 100", "ATK-KERTAS", 42_000, "bm", "pak", minute=27
    ),
    "amplop_kecil": P(
        "Amplop putih polos 110 x 230 mm", "ATK-KERTAS", 18_000, "ms", "pak", minute=1
    ),
    "kertas_foto": P(
        "Kertas foto glossy A4 isi 20 lembar", "ATK-KERTAS", 35_000, "ms", "pak", minute=30
    ),
    "map": P("Map snelhecter kertas ukuran A4", "ATK-ARSIP", 25_000, "kl", "pak", minute=5),
    "ordner": P("Ordner plastik folio 7 cm", "ATK-ARSIP", 32_000, "sj", minute=18),
    "pulpen_hitam": P("Pulpen gel hitam 0,5 mm", "ATK-TULIS", 3_500, "sj", tkdn=4000, minute=11),
    "pulpen_biru": P("Pulpen gel biru 0,5 mm", "ATK-TULIS", 3_500, "bm", minute=11),
    "pensil": P("Pensil 2B kayu isi 12", "ATK-TULIS", 24_000, "ms", "kotak", minute=25),
    "spidol": P(
        "Spidol papan tulis hitam", "ATK-TULIS", 9_000, "kl", tkdn=6000, bmp=1500, minute=7
    ),
    "penghapus": P("Penghapus karet putih", "ATK-TULIS", 2_500, "bm", minute=20),
    "tinta": P(
        "Tinta printer hitam 70 ml",
        "ATK-TINTA",
        95_000,
        "bm",
        "botol",
        provinces=("32",),
        minute=16,
    ),
    "toner": P("Toner laser hitam 85A", "ATK-TINTA", 350_000, "ms", minute=2),
    "cairan": P(
        "Cairan Bersih Lantai 800 ml",
        "KEBERSIHAN-PEMBERSIH",
        18_500,
        "sj",
        "botol",
        tkdn=3500,
        provinces=("31",),
        description="Cairan untuk membersihkan lantai keramik, aroma lemon.",
        minute=29,
    ),
    "kaca": P(
        "Pembersih kaca semprot 500 ml", "KEBERSIHAN-PEMBERSIH", 21_000, "bm", "botol", minute=4
    ),
    "sabun": P(
        "Sabun cuci tangan 500 ml",
        "KEBERSIHAN-PEMBERSIH",
        15_000,
        "ms",
        "botol",
        tkdn=4500,
        minute=12,
    ),
    "sapu": P("Sapu ijuk gagang kayu", "KEBERSIHAN-ALAT", 25_000, "kl", tkdn=7000, minute=24),
    "pel": P("Kain pel microfiber", "KEBERSIHAN-ALAT", 30_000, "sj", minute=6),
    "tisu": P("Tisu wajah 250 lembar", "KEBERSIHAN-TISU", 12_000, "bm", "pak", minute=19),
    "printer_laser": P(
        "Printer laser monokrom A4",
        "TIK-PRINTER",
        2_150_000,
        "ms",
        "unit",
        provinces=("35", "33"),
        minute=8,
    ),
    "printer_inkjet": P(
        "Printer inkjet warna multifungsi", "TIK-PRINTER", 1_850_000, "sj", "unit", minute=26
    ),
    "mouse": P("Mouse nirkabel 2,4 GHz", "TIK-AKSESORI", 85_000, "bm", minute=13),
    "keyboard": P("Keyboard USB standar", "TIK-AKSESORI", 120_000, "ms", minute=21),
    "galon": P(
        "Air mineral galon 19 liter",
        "KONSUMSI-MINUMAN",
        20_000,
        "kl",
        "galon",
        provinces=("31",),
        minute=0,
    ),
    "kopi": P(
        "Kopi bubuk robusta 200 gram", "KONSUMSI-MINUMAN", 35_000, "sj", "pak", tkdn=9000, minute=17
    ),
    "kursi": P("Kursi kerja ergonomis", "MEBEL-KURSI", 1_500_000, "bm", "unit", minute=28),
    "meja": P("Meja kerja kayu jati 120 cm", "MEBEL-MEJA", 2_750_000, "ms", "unit", minute=10),
    "fotokopi": P(
        "Jasa fotokopi dokumen",
        "CETAK-DOKUMEN",
        300,
        "kl",
        "lembar",
        minute=23,
        kind=ProductKind.SERVICES,
    ),
    # Never listed: a draft and an archived product that would match "kertas".
    "draft": P(
        "Kertas karton manila", "ATK-KERTAS", 4_000, "sj", "lembar", state=ProductState.DRAFT
    ),
    "archived": P(
        "Kertas buffalo warna",
        "ATK-KERTAS",
        6_000,
        "bm",
        "pak",
        minute=31,
        state=ProductState.ARCHIVED,
    ),
}


@dataclass
class Catalog:
    sellers: dict[str, Seller]
    products: dict[str, Product]

    def ids(self, pred: Callable[[P], bool] = lambda s: True) -> set[int]:
        return {self.products[k].pk for k, s in SPEC.items() if s.listed and pred(s)}

    def keys(self, ids: list[int] | set[int]) -> set[str]:
        by_id = {p.pk: k for k, p in self.products.items()}
        return {by_id[i] for i in ids}


@pytest.fixture(scope="module")
def catalog(catalog_kit: CatalogKit, django_db_blocker: Any) -> Iterator[Catalog]:
    with django_db_blocker.unblock():
        sellers = {
            key: catalog_kit.seller(name, province=prov, sales_idr=sales, legal_form=form)
            for key, (name, prov, sales, form) in VENDORS.items()
        }
        products = {
            key: catalog_kit.product(
                sellers[s.vendor],
                s.name,
                category=s.category,
                price=s.price,
                unit=s.unit,
                stock=None if s.kind == ProductKind.SERVICES else 500,
                description=s.description,
                is_pdn=s.pdn,
                tkdn_bp=max(s.tkdn, 0),
                bmp_bp=s.bmp,
                provinces=s.provinces,
                state=s.state,
                kind=s.kind,
                published_at=later(s.minute),
            )
            for key, s in SPEC.items()
        }
        yield Catalog(sellers, products)


@pytest.fixture
def cat(catalog: Catalog, db: None) -> Catalog:
    return catalog


def find(**params: Any) -> search.SearchPage:
    return search.search(search.SearchParams(limit=100, **params))


def found(**params: Any) -> set[int]:
    page = find(**params)
    assert page.next_cursor is None, "the test catalog fits on one page of 100"
    assert page.total == len(page.items)
    return {p.pk for p in page.items}


def walk(limit: int = 3, **params: Any) -> list[int]:
    """Every page, following next_cursor; returns the ids in the order served."""
    ids: list[int] = []
    cursor = ""
    for _ in range(100):
        page = search.search(search.SearchParams(limit=limit, cursor=cursor, **params))
        assert len(page.items) <= limit
        ids += [p.pk for p in page.items]
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor
    raise AssertionError("the cursor never ended")


def has_word(s: P, seller_name: str, word: str) -> bool:
    text = f"{s.name} {s.description} {seller_name}".lower().replace(",", " ").split()
    return word in text


# --- relevance and text matching ---------------------------------------------------------------


def test_kertas_a4_ranks_a4_paper_above_envelopes_and_folders(cat: Catalog) -> None:
    # The papers were created before the envelopes and the folder: equal ranks are served
    # newest id first, so only a real difference in relevance can put the papers first.
    page = find(q="kertas A4")
    order = [p.pk for p in page.items]
    # Every result has both words; F4 paper and the A4 printer do not.
    assert cat.keys(order) == {
        "hvs_a4_80",
        "hvs_a4_70",
        "hvs_a4_80_kl",
        "amplop_coklat",
        "amplop_putih",
        "map",
        "kertas_foto",
    }
    assert page.corrected_query is None
    paper = [cat.products[k].pk for k in ("hvs_a4_80", "hvs_a4_70", "hvs_a4_80_kl")]
    distractors = [cat.products[k].pk for k in ("amplop_coklat", "amplop_putih", "map")]
    last_paper = max(order.index(i) for i in paper)
    first_distractor = min(order.index(i) for i in distractors)
    assert last_paper < first_distractor, [p.name for p in page.items]


def test_stemming_pembersih_finds_bersih_and_membersihkan(cat: Catalog) -> None:
    assert cat.keys(found(q="pembersih")) == {"cairan", "kaca"}
    assert cat.keys(found(q="bersih")) == {"cairan", "kaca"}
    assert cat.keys(found(q="membersihkan lantai")) == {"cairan"}


def test_typos_are_corrected_against_the_lexicon(cat: Catalog) -> None:
    page = find(q="pulpn")
    assert cat.keys([p.pk for p in page.items]) == {"pulpen_hitam", "pulpen_biru"}
    assert page.corrected_query == "pulpen"
    page = find(q="pulpn hitam")
    assert cat.keys([p.pk for p in page.items]) == {"pulpen_hitam"}
    assert page.corrected_query == "pulpen hitam"
    page = find(q="kertsa")
    kertas = {k for k, s in SPEC.items() if s.listed and has_word(s, "", "kertas")}
    assert cat.keys([p.pk for p in page.items]) == kertas
    assert page.corrected_query == "kertas"


def test_a_partial_last_word_matches_as_a_prefix(cat: Catalog) -> None:
    kertas = {k for k, s in SPEC.items() if s.listed and has_word(s, "", "kertas")}
    assert cat.keys(found(q="kert")) == kertas
    assert cat.keys(found(q="pulpen gel hit")) == {"pulpen_hitam"}
    assert cat.keys(found(q="kertas")) == kertas
    assert "draft" not in kertas
    assert "archived" not in kertas


def test_a_store_is_found_by_its_business_name(cat: Catalog) -> None:
    bm = cat.ids(lambda s: s.vendor == "bm")
    assert found(q="Sentosa") == bm
    assert found(q="berkah makmur") == bm
    assert cat.keys(found(q="sentosa tinta")) == {"tinta"}
    assert cat.keys(found(q="koperasi karya")) == cat.keys(cat.ids(lambda s: s.vendor == "kl"))


def test_words_that_no_product_has_together_fall_back_to_any_word(cat: Catalog) -> None:
    page = find(q="sapu kopi")
    assert cat.keys([p.pk for p in page.items]) == {"sapu", "kopi"}
    assert page.corrected_query is None
    # Ranked by how many words match: the A4 printer has "printer" and "A4", the ink only one.
    page = find(q="printer A4 glossy")
    keys = [next(k for k, p in cat.products.items() if p.pk == item.pk) for item in page.items]
    assert set(keys) >= {"printer_laser", "printer_inkjet", "tinta", "kertas_foto"}
    assert keys.index("printer_laser") < keys.index("printer_inkjet")


def test_case_accents_and_punctuation_in_the_query_are_harmless(cat: Catalog) -> None:
    kertas = found(q="kertas")
    assert found(q="KERTAS") == kertas
    assert found(q="kértas") == kertas
    for q in (
        "kertas'",
        'kertas" OR 1=1 --',
        "kertas & | ! ( ) :* <->",
        "kertas; DROP TABLE x",
        "NEAR(kertas)",
        "kertas*",
        "(kertas)",
    ):
        assert found(q=q) >= kertas, q
    assert found(q="\u00a0!!! ???") == cat.ids()  # no word at all: everything


def test_nothing_found_is_an_empty_page(cat: Catalog) -> None:
    page = find(q="helikopter")
    assert page.items == []
    assert page.total == 0
    assert page.next_cursor is None
    assert found(q="karton") == set()  # only the draft has it
    assert found(q="buffalo") == set()  # archived


# --- filters ------------------------------------------------------------------------------------


def test_category_filter_includes_sub_categories(cat: Catalog) -> None:
    atk = Category.objects.get(code="ATK").pk
    assert found(category_id=atk) == cat.ids(lambda s: s.category.startswith("ATK-"))
    assert cat.keys(found(category_id=atk, q="hitam")) == {
        "pulpen_hitam",
        "spidol",
        "tinta",
        "toner",
    }
    leaf = Category.objects.get(code="ATK-TULIS").pk
    assert found(category_id=leaf) == cat.ids(lambda s: s.category == "ATK-TULIS")
    kebersihan = Category.objects.get(code="KEBERSIHAN").pk
    assert found(category_id=kebersihan) == cat.ids(lambda s: s.category.startswith("KEBERSIHAN"))
    assert found(category_id=kebersihan).isdisjoint(found(category_id=atk))


def test_price_range_bounds_are_inclusive(cat: Catalog) -> None:
    assert found(price_min=25_000, price_max=55_000) == cat.ids(
        lambda s: 25_000 <= s.price <= 55_000
    )
    assert cat.keys(found(price_min=25_000, price_max=25_000)) == {"amplop_coklat", "map", "sapu"}
    assert found(price_min=2_750_000) == {cat.products["meja"].pk}
    assert found(price_max=300) == {cat.products["fotokopi"].pk}


def test_vendor_province_filter(cat: Catalog) -> None:
    for province in ("31", "32", "35"):
        assert found(vendor_province=province) == cat.ids(
            lambda s, p=province: VENDORS[s.vendor][1] == p
        )
    assert found(vendor_province="51") == set()


def test_delivery_province_keeps_nationwide_and_drops_other_regions(cat: Catalog) -> None:
    for province in ("31", "32", "33", "51"):
        expected = cat.ids(lambda s, p=province: not s.provinces or p in s.provinces)
        assert found(delivery_province=province) == expected, province
    assert "galon" not in cat.keys(found(delivery_province="32"))
    assert "tinta" in cat.keys(found(delivery_province="32"))
    assert "tinta" not in cat.keys(found(delivery_province="31"))


def test_vendor_class_filter(cat: Catalog) -> None:
    assert found(vendor_classes=("MIKRO",)) == cat.ids(lambda s: s.vendor in ("sj", "kl"))
    assert found(vendor_classes=("KECIL", "MENENGAH")) == cat.ids(
        lambda s: s.vendor in ("bm", "ms")
    )


def test_pdn_and_minimum_tkdn(cat: Catalog) -> None:
    assert found(pdn_only=True) == cat.ids(lambda s: s.pdn)
    assert found(min_tkdn_bp=4000) == cat.ids(lambda s: s.tkdn >= 4000)
    assert cat.keys(found(min_tkdn_bp=4000)) == {
        "hvs_a4_80",
        "pulpen_hitam",
        "spidol",
        "sabun",
        "sapu",
        "kopi",
    }
    assert cat.keys(found(pdn_only=True, min_tkdn_bp=6000, q="kayu")) == {"sapu"}


def test_vendor_filter(cat: Catalog) -> None:
    vendor = cat.sellers["bm"].vendor
    assert found(vendor_id=vendor.pk) == cat.ids(lambda s: s.vendor == "bm")
    assert cat.keys(found(vendor_id=vendor.pk, q="kertas")) == {"hvs_a4_70", "amplop_putih"}


def test_filters_combine(cat: Catalog) -> None:
    atk = Category.objects.get(code="ATK").pk
    expected = cat.ids(
        lambda s: (
            s.category.startswith("ATK-")
            and s.price <= 50_000
            and VENDORS[s.vendor][1] == "31"
            and (not s.provinces or "31" in s.provinces)
        )
    )
    assert (
        found(category_id=atk, price_max=50_000, vendor_province="31", delivery_province="31")
        == expected
    )
    assert expected  # not vacuous


# --- facets ---------------------------------------------------------------------------------------


def _expected_facets(cat: Catalog, keys: set[str], selected: str | None) -> dict[str, Any]:
    codes = {c.pk: c for c in Category.objects.all()}
    by_code = {c.code: c for c in codes.values()}
    per: Counter[str] = Counter()
    for key in keys:
        leaf = by_code[SPEC[key].category]
        if selected is None:
            per[leaf.parent.code if leaf.parent else leaf.code] += 1
        elif leaf.parent and leaf.parent.code == selected:
            per[leaf.code] += 1
    classes = Counter(CLASS[SPEC[k].vendor] for k in keys)
    provinces = Counter(VENDORS[SPEC[k].vendor][1] for k in keys)
    names = dict(Province.objects.values_list("code", "name"))
    return {
        "category": {by_code[c].pk: n for c, n in per.items()},
        "vendor_class": dict(classes.items()),
        "pdn": [
            (True, sum(SPEC[k].pdn for k in keys)),
            (False, sum(not SPEC[k].pdn for k in keys)),
        ],
        "province": sorted(
            ((code, names[code], n) for code, n in provinces.items()), key=lambda t: (-t[2], t[1])
        ),
    }


def _facets(page: search.SearchPage) -> dict[str, Any]:
    assert page.facets is not None
    f = page.facets
    return {
        "category": {value: n for value, _label, n in f["category"]},
        "vendor_class": {value: n for value, _label, n in f["vendor_class"]},
        "pdn": [(value, n) for value, _label, n in f["pdn"]],
        "province": f["province"],
    }


def test_facets_count_the_whole_match_set(cat: Catalog) -> None:
    everything = {k for k, s in SPEC.items() if s.listed}
    page = search.search(search.SearchParams(limit=5), facets=True)
    assert page.total == len(everything)
    assert _facets(page) == _expected_facets(cat, everything, None)
    top = [value for value, _l, _n in page.facets["category"]]  # type: ignore[index]
    positions = {c.pk: c.position for c in Category.objects.filter(pk__in=top)}
    assert top == sorted(top, key=lambda pk: positions[pk])


def test_facets_per_sub_category_when_a_category_is_selected(cat: Catalog) -> None:
    atk = Category.objects.get(code="ATK")
    page = search.search(search.SearchParams(category_id=atk.pk, limit=2), facets=True)
    keys = {k for k, s in SPEC.items() if s.listed and s.category.startswith("ATK-")}
    assert _facets(page) == _expected_facets(cat, keys, "ATK")
    labels = {label for _v, label, _n in page.facets["category"]}  # type: ignore[index]
    assert labels == {
        "Kertas dan amplop",
        "Alat tulis",
        "Map, ordner dan pengarsipan",
        "Tinta, toner dan pita printer",
    }


def test_facets_follow_the_query_and_filters(cat: Catalog) -> None:
    page = search.search(search.SearchParams(q="hitam", limit=1), facets=True)
    assert _facets(page) == _expected_facets(
        cat, {"pulpen_hitam", "spidol", "tinta", "toner"}, None
    )
    page = search.search(search.SearchParams(q="kertas", vendor_province="31"), facets=True)
    assert _facets(page) == _expected_facets(
        cat, {"hvs_a4_80", "amplop_coklat", "map", "hvs_a4_80_kl"}, None
    )
    # A corrected query counts what it found.
    page = search.search(search.SearchParams(q="pulpn"), facets=True)
    assert _facets(page) == _expected_facets(cat, {"pulpen_hitam", "pulpen_biru"}, None)


# --- sorting and cursor pagination ---------------------------------------------------------------


def test_price_ascending_and_descending(cat: Catalog) -> None:
    rows = sorted((SPEC[k].price, cat.products[k].pk) for k in SPEC if SPEC[k].listed)
    assert walk(sort="price") == [pk for _price, pk in rows]
    assert walk(sort="-price") == [pk for _price, pk in reversed(rows)]
    assert walk(limit=4, sort="price", q="kertas") == [
        pk for price, pk in rows if has_word(SPEC[cat.keys([pk]).pop()], "", "kertas")
    ]


def test_newest_first(cat: Catalog) -> None:
    # Ties (two products published in the same instant) are broken by the newer id.
    rows = sorted(
        ((SPEC[k].minute, cat.products[k].pk) for k in SPEC if SPEC[k].listed), reverse=True
    )
    assert walk(sort="newest") == [pk for _minute, pk in rows]
    assert walk(limit=2, sort="newest", category_id=Category.objects.get(code="ATK").pk) == [
        pk for _m, pk in rows if SPEC[cat.keys([pk]).pop()].category.startswith("ATK-")
    ]


@pytest.mark.parametrize(
    ("sort", "q"),
    [
        ("relevance", ""),
        ("relevance", "kertas"),
        ("relevance", "kertas a4"),
        ("relevance", "kertsa"),  # corrected
        ("relevance", "sapu kopi printer"),  # any word
        ("relevance", "hitam"),
        ("price", ""),
        ("-price", ""),
        ("newest", ""),
        ("price", "kertas"),
        ("newest", "kertas"),
    ],
)
def test_walking_every_page_serves_each_match_once(cat: Catalog, sort: str, q: str) -> None:
    one_page = find(q=q, sort=sort)
    everything = [p.pk for p in one_page.items]
    assert everything, "the query must match something"
    served = walk(limit=3, q=q, sort=sort)
    assert len(served) == len(set(served)), "a product was served twice"
    assert served == everything
    assert one_page.total == len(everything)


def test_newest_first_is_exact_below_the_millisecond(cat: Catalog, kit: CatalogKit) -> None:
    # Two drafts published 0.4 ms apart, the older draft last: the newest publication first.
    seller = kit.seller("CV Terbit Bersamaan")
    first = kit.product(
        seller, "Lakban bening 2 inci", state=ProductState.DRAFT, category="ATK-PERLENGKAPAN"
    )
    second = kit.product(
        seller, "Lakban coklat 2 inci", state=ProductState.DRAFT, category="ATK-PERLENGKAPAN"
    )
    with clock.frozen(later(40) + timedelta(microseconds=100)):
        services.change_state(seller.admin, second, state=ProductState.PUBLISHED)
    with clock.frozen(later(40) + timedelta(microseconds=500)):
        services.change_state(seller.admin, first, state=ProductState.PUBLISHED)
    assert walk(sort="newest", vendor_id=seller.vendor.pk) == [first.pk, second.pk]
    assert walk(limit=1, sort="newest", vendor_id=seller.vendor.pk) == [first.pk, second.pk]


def test_a_malformed_cursor_is_refused(cat: Catalog) -> None:
    for cursor in ("nonsense!", "W10", "WzEsMiwzXQ", "eyJhIjoxfQ", "WyJ4IiwxXQ"):
        with pytest.raises(search.BadCursor):
            search.search(search.SearchParams(sort="price", cursor=cursor))


# --- the endpoint ---------------------------------------------------------------------------------


def test_search_endpoint_needs_a_signed_in_user(cat: Catalog, anonymous_api: Any) -> None:
    response = anonymous_api.get("/api/v1/catalog/search", q="kertas")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_search_endpoint_shape_and_facets(cat: Catalog, api: Any) -> None:
    client = api("pemesan@415256.demo.digipay.id")
    response = client.get("/api/v1/catalog/search", {"q": "kertas", "limit": 2})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {
        "items",
        "next_cursor",
        "total",
        "total_capped",
        "corrected_query",
        "facets",
    }
    kertas = {k for k, s in SPEC.items() if s.listed and has_word(s, "", "kertas")}
    assert body["total"] == len(kertas) == 8
    assert body["total_capped"] is False
    assert body["facets"] is None
    assert len(body["items"]) == 2
    assert body["next_cursor"]
    item = body["items"][0]
    hvs = cat.products["hvs_a4_80"]
    expected_fields = {
        "id",
        "vendor_id",
        "vendor_name",
        "vendor_province_code",
        "vendor_province_name",
        "vendor_class",
        "sku",
        "name",
        "description",
        "category_id",
        "category_name",
        "unit",
        "price_idr",
        "min_order",
        "stock",
        "kind",
        "is_pdn",
        "tkdn_bp",
        "bmp_bp",
        "tkdn",
        "bmp",
        "lead_time_days",
        "delivers_nationwide",
        "state",
        "state_label",
        "is_listed",
        "orderable",
        "published_at",
        "images",
    }
    assert set(item) == expected_fields
    everything = client.get("/api/v1/catalog/search", {"q": "kertas", "limit": 100}).json()
    assert cat.keys([i["id"] for i in everything["items"]]) == kertas
    first = next(i for i in everything["items"] if i["id"] == hvs.pk)
    assert first["vendor_name"] == "CV Sinar Jaya Abadi"
    assert first["vendor_id"] == cat.sellers["sj"].vendor.pk
    assert (first["vendor_province_code"], first["vendor_province_name"]) == ("31", "DKI Jakarta")
    assert first["vendor_class"] == "MIKRO"
    assert first["category_name"] == "Kertas dan amplop"
    assert first["price_idr"] == 55_000
    assert first["tkdn"] == "40"
    assert first["is_pdn"] is True
    assert first["is_listed"] is True
    assert first["state"] == "PUBLISHED"
    assert first["orderable"] is False  # Published, not yet Ready
    second = client.get(
        "/api/v1/catalog/search", {"q": "kertas", "limit": 2, "cursor": body["next_cursor"]}
    ).json()
    assert {i["id"] for i in second["items"]}.isdisjoint({i["id"] for i in body["items"]})

    with_facets = client.get(
        "/api/v1/catalog/search",
        {
            "category": Category.objects.get(code="ATK").pk,
            "facets": "true",
            "vendor_class": ["MIKRO", "KECIL"],
        },
    )
    assert with_facets.status_code == 200, with_facets.content
    facets = with_facets.json()["facets"]
    keys = {
        k
        for k, s in SPEC.items()
        if s.listed and s.category.startswith("ATK-") and s.vendor in ("sj", "bm", "kl")
    }
    expected = _expected_facets(cat, keys, "ATK")
    assert {f["value"]: f["count"] for f in facets["category"]} == expected["category"]
    assert {f["value"]: f["count"] for f in facets["vendor_class"]} == expected["vendor_class"]
    assert [(f["value"], f["count"]) for f in facets["pdn"]] == expected["pdn"]
    assert [(f["value"], f["label"], f["count"]) for f in facets["province"]] == expected[
        "province"
    ]
    assert with_facets.json()["total"] == len(keys)


def test_search_endpoint_filters_and_corrects(cat: Catalog, api: Any) -> None:
    client = api("ppk@527010.demo.digipay.id")
    body = client.get("/api/v1/catalog/search", {"q": "pulpn", "min_tkdn": 40}).json()
    assert [i["id"] for i in body["items"]] == [cat.products["pulpen_hitam"].pk]
    assert body["corrected_query"] == "pulpen"
    body = client.get(
        "/api/v1/catalog/search",
        {
            "delivery": "32",
            "price_min": 20_000,
            "price_max": 50_000,
            "sort": "price",
        },
    ).json()
    assert [i["id"] for i in body["items"]] == [
        pk
        for _p, pk in sorted(
            (s.price, cat.products[k].pk)
            for k, s in SPEC.items()
            if s.listed and 20_000 <= s.price <= 50_000 and (not s.provinces or "32" in s.provinces)
        )
    ]


def test_search_endpoint_refuses_bad_parameters(cat: Catalog, api: Any) -> None:
    client = api("pemesan@415256.demo.digipay.id")
    bad_cursor = client.get("/api/v1/catalog/search", {"sort": "price", "cursor": "nonsense!"})
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["details"]["field"] == "cursor"
    wrong_kind = client.get("/api/v1/catalog/search", {"sort": "price", "cursor": "WyJ4IiwxXQ"})
    assert wrong_kind.status_code == 422
    assert client.get("/api/v1/catalog/search", {"sort": "popular"}).status_code == 422
    inverted = client.get("/api/v1/catalog/search", {"price_min": 10, "price_max": 5})
    assert inverted.status_code == 422
    assert client.get("/api/v1/catalog/search", {"limit": 1000}).status_code == 422
