"""API schemas of the catalog (prices in whole rupiah; TKDN/BMP in basis points and as text)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

from digipay.catalog.rules import ProductState, bp_to_percent


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    parent_id: int | None
    depth: int
    default_kind: str


class ImageOut(Schema):
    id: int
    width: int
    height: int
    alt_text: str
    thumb_url: str
    large_url: str

    @staticmethod
    def resolve_thumb_url(obj: Any) -> str:
        return f"/api/v1/catalog/images/{obj.pk}/thumb"

    @staticmethod
    def resolve_large_url(obj: Any) -> str:
        return f"/api/v1/catalog/images/{obj.pk}/large"


class ProductOut(Schema):
    id: int
    vendor_id: int
    vendor_name: str
    vendor_province_code: str
    vendor_province_name: str
    vendor_class: str
    sku: str
    name: str
    description: str
    category_id: int
    category_name: str
    unit: str
    price_idr: int
    min_order: int
    stock: int | None
    kind: str
    is_pdn: bool
    tkdn_bp: int
    bmp_bp: int
    tkdn: str
    bmp: str
    lead_time_days: int
    delivers_nationwide: bool
    state: str
    state_label: str
    is_listed: bool
    orderable: bool
    published_at: datetime | None
    images: list[ImageOut]

    @staticmethod
    def resolve_vendor_province_code(obj: Any) -> str:
        return str(obj.vendor_province_id)

    @staticmethod
    def resolve_vendor_province_name(obj: Any) -> str:
        return str(obj.vendor_province.name)

    @staticmethod
    def resolve_category_name(obj: Any) -> str:
        return str(obj.category.name)

    @staticmethod
    def resolve_tkdn(obj: Any) -> str:
        return bp_to_percent(obj.tkdn_bp)

    @staticmethod
    def resolve_bmp(obj: Any) -> str:
        return bp_to_percent(obj.bmp_bp)

    @staticmethod
    def resolve_state_label(obj: Any) -> str:
        return str(ProductState(obj.state).label)

    @staticmethod
    def resolve_orderable(obj: Any) -> bool:
        return bool(
            obj.is_listed
            and obj.state == ProductState.READY
            and (obj.stock is None or obj.stock >= obj.min_order)
        )

    @staticmethod
    def resolve_images(obj: Any) -> list[Any]:
        return list(obj.images.all())


class ProductIn(Schema):
    sku: str
    name: str
    category_id: int
    unit: str
    price_idr: int
    kind: str = Field(description="GOODS (barang) atau SERVICES (jasa)")
    description: str = ""
    min_order: int = 1
    stock: int | None = None
    is_pdn: bool = False
    tkdn_bp: int = Field(0, description="TKDN dalam basis poin: 4050 = 40,50%")
    bmp_bp: int = 0
    lead_time_days: int = 3
    delivery_provinces: list[str] = Field(
        default_factory=list, description="Kode provinsi; kosong = seluruh Indonesia"
    )
    delivery_regencies: list[str] = Field(default_factory=list)


class ProductUpdateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    category_id: int | None = None
    unit: str | None = None
    price_idr: int | None = None
    kind: str | None = None
    description: str | None = None
    min_order: int | None = None
    stock: int | None = None
    is_pdn: bool | None = None
    tkdn_bp: int | None = None
    bmp_bp: int | None = None
    lead_time_days: int | None = None
    delivery_provinces: list[str] | None = None
    delivery_regencies: list[str] | None = None


class StateIn(Schema):
    state: str


class PriceChangeOut(Schema):
    price_idr: int
    previous_idr: int | None
    changed_at: datetime


class FacetValueOut(Schema):
    value: Any
    label: str
    count: int


class FacetsOut(Schema):
    category: list[FacetValueOut]
    vendor_class: list[FacetValueOut]
    pdn: list[FacetValueOut]
    province: list[FacetValueOut]


class SearchOut(Schema):
    items: list[ProductOut]
    next_cursor: str | None
    total: int
    total_capped: bool = Field(description="Benar bila total hanya batas bawah (10.000+)")
    corrected_query: str | None
    facets: FacetsOut | None = None


class ImportErrorOut(Schema):
    row: int
    field: str
    message: str


class ImportReportOut(Schema):
    dry_run: bool
    ok: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[ImportErrorOut]


class StoreOut(Schema):
    vendor_id: int
    business_name: str
    province_name: str
    regency: str
    umkm_class: str
    listed_products: int
    pdn_products: int
    from_price_idr: int | None
    categories: list[FacetValueOut]
