"""HTTP API of the catalog: categories, search with facets, products (read for every signed-in
user; write for the vendor's admin and staff), images, bulk import/export, store pages."""

from __future__ import annotations

from typing import IO, Any

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import CursorPagination, paginate
from pydantic import Field

from digipay.accounts.api import actor_of
from digipay.accounts.permissions import require
from digipay.catalog import queries, search, services, spreadsheets
from digipay.catalog.models import Product, ProductImage
from digipay.catalog.rules import SortOrder
from digipay.catalog.schemas import (
    CategoryOut,
    ImageOut,
    ImportReportOut,
    PriceChangeOut,
    ProductIn,
    ProductOut,
    ProductUpdateIn,
    SearchOut,
    StateIn,
    StoreOut,
)
from digipay.core.errors import NotFound, ValidationFailed
from digipay.vendors import queries as vendor_queries


def _stream(upload: UploadedFile) -> IO[bytes]:
    if upload.file is None:
        raise ValidationFailed(_("Berkas tidak terkirim."), details={"field": "file"})
    return upload.file


router = Router(tags=["catalog"])


class SearchQuery(Schema):
    q: str = Field("", max_length=200)
    category: int | None = None
    price_min: int | None = Field(None, ge=0)
    price_max: int | None = Field(None, ge=0)
    province: str = Field("", description="Provinsi vendor (kode 2 digit)")
    delivery: str = Field("", description="Provinsi tujuan pengiriman (kode 2 digit)")
    vendor_class: list[str] = Field(default_factory=list)
    pdn: bool = False
    min_tkdn: int = Field(0, ge=0, le=100, description="TKDN minimal, persen")
    vendor: int | None = None
    sort: str = SortOrder.RELEVANCE
    cursor: str = ""
    limit: int = Field(search.DEFAULT_LIMIT, ge=1, le=search.MAX_LIMIT)
    facets: bool = False


def to_params(f: SearchQuery) -> search.SearchParams:
    if f.sort not in SortOrder.values:
        raise ValidationFailed(_("Urutan tidak dikenal."), details={"field": "sort"})
    if f.price_min is not None and f.price_max is not None and f.price_min > f.price_max:
        raise ValidationFailed(
            _("Harga minimum melebihi harga maksimum."), details={"field": "price_min"}
        )
    return search.SearchParams(
        q=f.q,
        category_id=f.category,
        price_min=f.price_min,
        price_max=f.price_max,
        vendor_province=f.province,
        delivery_province=f.delivery,
        vendor_classes=tuple(f.vendor_class),
        pdn_only=f.pdn,
        min_tkdn_bp=f.min_tkdn * 100,
        vendor_id=f.vendor,
        sort=f.sort,
        cursor=f.cursor,
        limit=f.limit,
    )


def run_search(params: search.SearchParams, *, facets: bool) -> search.SearchPage:
    try:
        return search.search(params, facets=facets)
    except search.BadCursor as exc:
        raise ValidationFailed(
            _("Kursor halaman tidak valid."), details={"field": "cursor"}
        ) from exc


def _facet_list(values: list[tuple[Any, str, int]]) -> list[dict[str, Any]]:
    return [{"value": v, "label": label, "count": n} for v, label, n in values]


@router.get("/catalog/categories", response=list[CategoryOut])
def categories(request: HttpRequest) -> Any:
    require(actor_of(request), "catalog.browse")
    return list(queries.categories())


@router.get("/catalog/search", response=SearchOut)
def search_products(request: HttpRequest, filters: Query[SearchQuery]) -> dict[str, Any]:
    """Indonesian full-text search over listed products, with filters, sorting, cursor pages
    and (``facets=true``) facet counts."""
    require(actor_of(request), "catalog.browse")
    page = run_search(to_params(filters), facets=filters.facets)
    return {
        "items": page.items,
        "next_cursor": page.next_cursor,
        "total": page.total,
        "total_capped": page.total_capped,
        "corrected_query": page.corrected_query,
        "facets": (
            {k: _facet_list(v) for k, v in page.facets.items()} if page.facets is not None else None
        ),
    }


@router.get("/catalog/products/{product_id}", response=ProductOut)
def product_detail(request: HttpRequest, product_id: int) -> Product:
    actor = actor_of(request)
    require(actor, "catalog.browse")
    return queries.product_for(actor, product_id)


@router.get("/catalog/products/{product_id}/prices", response=list[PriceChangeOut])
def product_prices(request: HttpRequest, product_id: int) -> Any:
    actor = actor_of(request)
    require(actor, "catalog.browse")
    return list(queries.price_history(queries.product_for(actor, product_id))[:100])


@router.get("/catalog/stores/{vendor_id}", response=StoreOut)
def store(request: HttpRequest, vendor_id: int) -> dict[str, Any]:
    require(actor_of(request), "catalog.browse")
    summary = queries.store_summary(queries.store_vendor(vendor_id))
    v = summary.vendor
    return {
        "vendor_id": v.pk,
        "business_name": v.business_name,
        "province_name": v.province.name,
        "regency": v.regency,
        "umkm_class": v.umkm_class,
        "listed_products": summary.listed,
        "pdn_products": summary.pdn,
        "from_price_idr": summary.from_price,
        "categories": [
            {"value": name, "label": name, "count": n} for name, n in summary.categories
        ],
    }


# --- the vendor's own products ------------------------------------------------------------------


def _own_product(request: HttpRequest, product_id: int) -> Product:
    actor = actor_of(request)
    product = (
        Product.objects.select_related(
            "vendor", "vendor__organisation", "category", "vendor_province"
        )
        .filter(pk=product_id, organisation_id=actor.organisation_id)
        .first()
    )
    if product is None:
        raise NotFound(_("Produk tidak ditemukan."))
    return product


@router.get("/catalog/my-products", response=list[ProductOut])
@paginate(CursorPagination, ordering=("-updated_at", "-id"))
def my_products(request: HttpRequest, state: str = "", q: str = "") -> Any:
    actor = actor_of(request)
    vendor = vendor_queries.vendor_of(actor)
    require(actor, "product.view_own", vendor)
    return queries.products_of(vendor, state=state, q=q).select_related("vendor_province")


@router.post("/catalog/products", response={201: ProductOut})
def create_product(request: HttpRequest, payload: ProductIn) -> Status[Product]:
    actor = actor_of(request)
    vendor = vendor_queries.vendor_of(actor)
    product = services.create_product(actor, vendor, services.ProductInput(**payload.dict()))
    return Status(201, queries.product_for(actor, product.pk))


@router.patch("/catalog/products/{product_id}", response=ProductOut)
def update_product(request: HttpRequest, product_id: int, payload: ProductUpdateIn) -> Product:
    actor = actor_of(request)
    product = services.update_product(
        actor, _own_product(request, product_id), **payload.dict(exclude_unset=True)
    )
    return queries.product_for(actor, product.pk)


@router.post("/catalog/products/{product_id}/state", response=ProductOut)
def change_state(request: HttpRequest, product_id: int, payload: StateIn) -> Product:
    actor = actor_of(request)
    product = services.change_state(actor, _own_product(request, product_id), state=payload.state)
    return queries.product_for(actor, product.pk)


@router.post("/catalog/products/{product_id}/images", response={201: ImageOut})
def add_image(
    request: HttpRequest,
    product_id: int,
    image: File[UploadedFile],
    alt_text: Form[str] = "",
) -> Status[ProductImage]:
    actor = actor_of(request)
    record = services.add_image(
        actor, _own_product(request, product_id), stream=_stream(image), alt_text=alt_text
    )
    return Status(201, record)


@router.delete("/catalog/products/{product_id}/images/{image_id}", response={204: None})
def remove_image(request: HttpRequest, product_id: int, image_id: int) -> Status[None]:
    product = _own_product(request, product_id)
    image = product.images.filter(pk=image_id).first()
    if image is None:
        raise NotFound(_("Gambar tidak ditemukan."))
    services.remove_image(actor_of(request), image)
    return Status(204, None)


@router.get("/catalog/images/{image_id}/{size}", response={200: None})
def image_file(request: HttpRequest, image_id: int, size: str) -> FileResponse:
    """Product images are for signed-in users: listed products, or the vendor's own."""
    actor = actor_of(request)
    image = ProductImage.objects.select_related("product").filter(pk=image_id).first()
    if image is None or size not in ("thumb", "large"):
        raise NotFound(_("Gambar tidak ditemukan."))
    queries.product_for(actor, image.product_id)
    field = image.thumb if size == "thumb" else image.large
    response = FileResponse(field.open("rb"), content_type=image.content_type)
    response["Cache-Control"] = "private, max-age=86400"
    return response


@router.post("/catalog/import", response=ImportReportOut)
def import_products(
    request: HttpRequest, file: File[UploadedFile], dry_run: Form[bool] = True
) -> dict[str, Any]:
    """Create or update products by SKU from a CSV or XLSX file (columns as in the export).
    All rows or none; ``dry_run`` (the default) only checks."""
    actor = actor_of(request)
    vendor = vendor_queries.vendor_of(actor)
    require(actor, "product.manage", vendor)
    rows = spreadsheets.read_rows(file.name or "", _stream(file))
    report = services.import_products(actor, vendor, rows, dry_run=dry_run)
    return {**vars(report), "ok": report.ok}


@router.get("/catalog/export", response={200: None})
def export_products(request: HttpRequest, format: str = "csv") -> HttpResponse:
    actor = actor_of(request)
    vendor = vendor_queries.vendor_of(actor)
    require(actor, "product.view_own", vendor)
    products = queries.products_of(vendor).prefetch_related("areas")
    rows = services.export_rows(products)
    if format == "xlsx":
        body = spreadsheets.write_xlsx(rows)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif format == "csv":
        body = spreadsheets.write_csv(rows)
        content_type = "text/csv; charset=utf-8"
    else:
        raise ValidationFailed(_("Format harus csv atau xlsx."), details={"field": "format"})
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="produk-{vendor.organisation.code}.{format}"'
    )
    return response
