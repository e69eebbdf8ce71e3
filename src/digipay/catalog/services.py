"""Catalog use cases: products (create, edit, state, stock, images), bulk import with a dry
run, categories, and keeping listings in step with the vendor's status.

Each write: one transaction, lock, gate, pure rules, write (search index included), audit.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from digipay.accounts.models import Province, User
from digipay.accounts.permissions import require
from digipay.accounts.services import audit
from digipay.catalog import rules, search
from digipay.catalog.models import (
    Category,
    DeliveryArea,
    PriceChange,
    Product,
    ProductImage,
)
from digipay.catalog.rules import ProductFacts, ProductKind, ProductState
from digipay.core import clock
from digipay.core.errors import Conflict, ValidationFailed
from digipay.vendors import services as vendor_services
from digipay.vendors.models import Vendor

# --- listing ---------------------------------------------------------------------------------


def _refresh(product: Product, vendor: Vendor) -> None:
    """Copy the vendor facts the search filters on and decide whether buyers see it."""
    product.vendor_name = vendor.business_name
    product.vendor_province_id = vendor.province_id
    product.vendor_class = vendor.umkm_class
    product.is_listed = rules.is_listed(
        state=product.state, stock=product.stock, vendor_sells=vendor.can_sell
    )


def sync_vendor_listing(vendor: Vendor) -> None:
    """A vendor's status or name changed: its products follow at once (suspended or
    unverified vendors disappear from search)."""
    sells = vendor.can_sell
    products = Product.objects.filter(vendor=vendor)
    products.update(
        vendor_name=vendor.business_name,
        vendor_province_id=vendor.province_id,
        vendor_class=vendor.umkm_class,
        is_listed=False,
    )
    if sells:
        listed = (
            products.filter(state=ProductState.PUBLISHED)
            | products.filter(state=ProductState.READY, stock__isnull=True)
            | products.filter(state=ProductState.READY, stock__gt=0)
        )
        listed.update(is_listed=True)
    search.index_products(products.only("id", "name", "vendor_name", "description"))


# --- stock taken by orders -------------------------------------------------------------------


def _locked_products(quantities: Mapping[int, int]) -> list[Product]:
    # In id order, so that two confirmations sharing products cannot deadlock.
    return list(
        Product.objects.select_for_update(of=("self",))
        .select_related("vendor")
        .filter(pk__in=quantities)
        .order_by("pk")
    )


def take_stock(quantities: Mapping[int, int]) -> None:
    """A confirmed order takes its goods out of stock ({product id: quantity}); products
    without stock (services) are untouched. Refused, changing nothing, when a product has
    less left than the order needs; a product sold out leaves the search until restocked."""
    products = _locked_products(quantities)
    for product in products:
        if product.stock is not None and product.stock < quantities[product.pk]:
            raise Conflict(
                _("Stok %(name)s tinggal %(n)d: perbarui stok produk atau tolak pesanan.")
                % {"name": product.name, "n": product.stock},
                code="stock_insufficient",
                details={"product_id": product.pk},
            )
    for product in products:
        if product.stock is not None:
            product.stock -= quantities[product.pk]
            _refresh(product, product.vendor)
            product.save(update_fields=["stock", "is_listed", "updated_at"])


def return_stock(quantities: Mapping[int, int]) -> None:
    """A confirmed order was cancelled: the goods it had not received go back to stock."""
    for product in _locked_products(quantities):
        if product.stock is not None and quantities[product.pk] > 0:
            product.stock += quantities[product.pk]
            _refresh(product, product.vendor)
            product.save(update_fields=["stock", "is_listed", "updated_at"])


# --- products --------------------------------------------------------------------------------


@dataclass
class ProductInput:
    sku: str
    name: str
    category_id: int
    unit: str
    price_idr: int
    kind: str
    description: str = ""
    min_order: int = 1
    stock: int | None = None
    is_pdn: bool = False
    tkdn_bp: int = 0
    bmp_bp: int = 0
    lead_time_days: int = 3
    delivery_provinces: list[str] = field(default_factory=list)
    delivery_regencies: list[str] = field(default_factory=list)


def _category(category_id: int) -> Category:
    category = Category.objects.filter(pk=category_id, is_active=True).first()
    if category is None:
        raise ValidationFailed(_("Kategori tidak dikenal."), details={"field": "category_id"})
    if category.children.filter(is_active=True).exists():
        raise ValidationFailed(
            _("Pilih subkategori yang paling sesuai, bukan kategori induk."),
            details={"field": "category_id"},
        )
    return category


def _check(data: ProductInput) -> None:
    if not isinstance(data.price_idr, int) or isinstance(data.price_idr, bool):
        raise ValidationFailed(
            _("Harga harus bilangan bulat rupiah."), details={"field": "price_idr"}
        )
    errors = rules.product_errors(
        ProductFacts(
            name=data.name,
            description=data.description,
            unit=data.unit,
            price_idr=data.price_idr,
            min_order=data.min_order,
            stock=data.stock,
            kind=data.kind,
            is_pdn=data.is_pdn,
            tkdn_bp=data.tkdn_bp,
            bmp_bp=data.bmp_bp,
            lead_time_days=data.lead_time_days,
        )
    )
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(errors[first], details={"field": first, "errors": errors})


def _provinces(codes: Iterable[str]) -> list[str]:
    codes = list(dict.fromkeys(codes))
    known = set(Province.objects.filter(code__in=codes).values_list("code", flat=True))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValidationFailed(
            _("Kode provinsi tidak dikenal: %(codes)s") % {"codes": ", ".join(unknown)},
            details={"field": "delivery_provinces"},
        )
    return codes


def _set_areas(product: Product, provinces: list[str]) -> None:
    DeliveryArea.objects.filter(product=product).delete()
    DeliveryArea.objects.bulk_create(
        [DeliveryArea(product=product, province_id=code) for code in provinces]
    )


def _lock_vendor(vendor: Vendor) -> Vendor:
    return (
        Vendor.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=vendor.pk)
    )


@transaction.atomic
def create_product(actor: User, vendor: Vendor, data: ProductInput) -> Product:
    """A new product starts as a draft; any vendor may prepare its catalog before it is
    verified, but only a verified one may publish."""
    vendor = _lock_vendor(vendor)
    require(actor, "product.manage", vendor)
    _check(data)
    category = _category(data.category_id)
    provinces = _provinces(data.delivery_provinces)
    sku = (data.sku or "").strip()
    if problem := rules.sku_error(sku):
        raise ValidationFailed(problem, details={"field": "sku"})
    if Product.objects.filter(vendor=vendor, sku=sku).exists():
        raise ValidationFailed(_("SKU ini sudah dipakai produk lain."), details={"field": "sku"})
    product = Product(
        vendor=vendor,
        organisation_id=vendor.organisation_id,
        sku=sku,
        name=" ".join(data.name.split()),
        description=data.description.strip(),
        category=category,
        category_path=category.path,
        unit=data.unit,
        price_idr=data.price_idr,
        min_order=data.min_order,
        stock=data.stock,
        kind=data.kind,
        is_pdn=data.is_pdn,
        tkdn_bp=data.tkdn_bp,
        bmp_bp=data.bmp_bp,
        lead_time_days=data.lead_time_days,
        delivers_nationwide=not provinces,
        delivery_regencies=[r.strip() for r in data.delivery_regencies if r.strip()],
        state=ProductState.DRAFT,
        created_by=actor,
    )
    _refresh(product, vendor)
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError as exc:
        raise Conflict(_("SKU ini baru saja dipakai produk lain.")) from exc
    _set_areas(product, provinces)
    PriceChange.objects.create(
        product=product, price_idr=product.price_idr, changed_at=clock.now(), changed_by=actor
    )
    search.index_products([product])
    audit(actor, "product.created", product, after=product.audit_state())
    return product


def _lock(product: Product) -> Product:
    return (
        Product.objects.select_for_update(of=("self",))
        .select_related("vendor", "vendor__organisation")
        .get(pk=product.pk)
    )


EDITABLE = frozenset(
    {
        "name",
        "description",
        "category_id",
        "unit",
        "price_idr",
        "min_order",
        "stock",
        "kind",
        "is_pdn",
        "tkdn_bp",
        "bmp_bp",
        "lead_time_days",
        "delivery_provinces",
        "delivery_regencies",
    }
)


@transaction.atomic
def update_product(actor: User, product: Product, **changes: Any) -> Product:
    """Edit a product; a new price is kept in the price history (orders already placed keep
    the price they froze)."""
    product = _lock(product)
    require(actor, "product.manage", product)
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationFailed(
            _("Kolom tidak dapat diubah: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    current = ProductInput(
        sku=product.sku,
        name=changes.get("name", product.name),
        category_id=changes.get("category_id", product.category_id),
        unit=changes.get("unit", product.unit),
        price_idr=changes.get("price_idr", product.price_idr),
        kind=changes.get("kind", product.kind),
        description=changes.get("description", product.description),
        min_order=changes.get("min_order", product.min_order),
        stock=changes.get("stock", product.stock),
        is_pdn=changes.get("is_pdn", product.is_pdn),
        tkdn_bp=changes.get("tkdn_bp", product.tkdn_bp),
        bmp_bp=changes.get("bmp_bp", product.bmp_bp),
        lead_time_days=changes.get("lead_time_days", product.lead_time_days),
    )
    _check(current)
    before = product.audit_state()
    if current.category_id != product.category_id:
        category = _category(current.category_id)
        product.category, product.category_path = category, category.path
    old_price = product.price_idr
    for name in (
        "name",
        "unit",
        "price_idr",
        "kind",
        "description",
        "min_order",
        "stock",
        "is_pdn",
        "tkdn_bp",
        "bmp_bp",
        "lead_time_days",
    ):
        value = getattr(current, name)
        if name == "name":
            value = " ".join(value.split())
        elif name == "description":
            value = value.strip()
        setattr(product, name, value)
    if "delivery_provinces" in changes:
        provinces = _provinces(changes["delivery_provinces"])
        _set_areas(product, provinces)
        product.delivers_nationwide = not provinces
    if "delivery_regencies" in changes:
        product.delivery_regencies = [r.strip() for r in changes["delivery_regencies"] if r.strip()]
    _refresh(product, product.vendor)
    product.save()
    if product.price_idr != old_price:
        PriceChange.objects.create(
            product=product,
            price_idr=product.price_idr,
            previous_idr=old_price,
            changed_at=clock.now(),
            changed_by=actor,
        )
    search.index_products([product])
    audit(actor, "product.updated", product, before=before, after=product.audit_state())
    return product


@transaction.atomic
def change_state(actor: User, product: Product, *, state: str) -> Product:
    """Draft → Published → Ready (and back). Only a verified, active vendor publishes; a Ready
    product needs stock (goods) to be orderable."""
    product = _lock(product)
    require(actor, "product.manage", product)
    if state not in ProductState.values:
        raise ValidationFailed(_("Status produk tidak dikenal."), details={"field": "state"})
    if state == product.state:
        return product
    if not rules.can_move(product.state, state):
        raise Conflict(
            _("Produk berstatus %(from)s tidak dapat diubah menjadi %(to)s.")
            % {
                "from": ProductState(product.state).label,
                "to": ProductState(state).label,
            },
            code="invalid_transition",
        )
    if state in (ProductState.PUBLISHED, ProductState.READY):
        vendor_services.require_seller(product.vendor)
    if state == ProductState.READY and product.kind == ProductKind.GOODS and not product.stock:
        raise ValidationFailed(
            _("Isi stok terlebih dahulu: produk siap dipesan memerlukan stok."),
            details={"field": "stock"},
        )
    before = product.audit_state()
    product.state = state
    if state in (ProductState.PUBLISHED, ProductState.READY) and product.published_at is None:
        product.published_at = clock.now()
    _refresh(product, product.vendor)
    product.save()
    audit(actor, "product.state_changed", product, before=before, after=product.audit_state())
    return product


# --- images ------------------------------------------------------------------------------------


def _render(image: Image.Image, size: int, fmt: str) -> bytes:
    copy = image.copy()
    copy.thumbnail((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if fmt == "JPEG":
        copy.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    else:
        copy.save(out, "PNG", optimize=True)
    return out.getvalue()


def _open_image(stream: IO[bytes]) -> Image.Image:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    if size <= 0:
        raise ValidationFailed(_("Berkas gambar kosong."), details={"field": "image"})
    if size > rules.MAX_IMAGE_BYTES:
        raise ValidationFailed(
            _("Gambar terlalu besar (maksimal 5 MB)."), details={"field": "image"}
        )
    try:
        image = Image.open(stream)
        if image.format not in rules.IMAGE_FORMATS:
            raise ValidationFailed(
                _("Format gambar harus JPEG, PNG atau WebP."), details={"field": "image"}
            )
        if image.width * image.height > rules.MAX_IMAGE_PIXELS:
            raise ValidationFailed(_("Resolusi gambar terlalu besar."), details={"field": "image"})
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ValidationFailed(
            _("Berkas bukan gambar yang valid."), details={"field": "image"}
        ) from exc
    return ImageOps.exif_transpose(image) or image


@transaction.atomic
def add_image(
    actor: User, product: Product, *, stream: IO[bytes], alt_text: str = ""
) -> ProductImage:
    product = _lock(product)
    require(actor, "product.manage", product)
    if product.images.count() >= rules.MAX_IMAGES_PER_PRODUCT:
        raise ValidationFailed(
            _("Paling banyak %(n)d gambar per produk.") % {"n": rules.MAX_IMAGES_PER_PRODUCT},
            details={"field": "image"},
        )
    image = _open_image(stream)
    has_alpha = image.mode in ("RGBA", "LA") or "transparency" in image.info
    fmt, ext, content_type = (
        ("PNG", "png", "image/png") if has_alpha else ("JPEG", "jpg", "image/jpeg")
    )
    name = secrets.token_hex(12)
    position = (product.images.aggregate(m=Max("position"))["m"] or 0) + 1
    record = ProductImage(
        product=product,
        position=position,
        content_type=content_type,
        width=image.width,
        height=image.height,
        alt_text=(alt_text or product.name)[:200],
    )
    record.large.save(
        f"{name}.{ext}", ContentFile(_render(image, rules.LARGE_SIZE, fmt)), save=False
    )
    record.thumb.save(
        f"{name}-t.{ext}", ContentFile(_render(image, rules.THUMB_SIZE, fmt)), save=False
    )
    record.save()
    audit(actor, "product.image_added", product, after={"image_id": record.pk})
    return record


@transaction.atomic
def remove_image(actor: User, image: ProductImage) -> None:
    product = _lock(image.product)
    require(actor, "product.manage", product)
    image_id, files = image.pk, (image.large, image.thumb)
    image.delete()
    audit(actor, "product.image_removed", product, before={"image_id": image_id})

    def delete_files() -> None:  # only once the row is gone for good
        for f in files:
            f.delete(save=False)

    transaction.on_commit(delete_files)


# --- bulk import ------------------------------------------------------------------------------


@dataclass
class ImportReport:
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class _DryRun(Exception):
    pass


def import_products(
    actor: User, vendor: Vendor, rows: Iterable[Mapping[str, Any]], *, dry_run: bool
) -> ImportReport:
    """Create or update products by SKU from import rows. All or nothing: any row error
    leaves the catalog unchanged and reports every error with its row number (a dry run
    checks the same way and writes nothing)."""
    report = ImportReport(dry_run=dry_run)
    try:
        with transaction.atomic():
            _import(actor, vendor, rows, report)
            if dry_run or report.errors:
                raise _DryRun
    except _DryRun:
        if not dry_run:
            report.created = report.updated = report.unchanged = 0
    return report


def _import(
    actor: User, vendor: Vendor, rows: Iterable[Mapping[str, Any]], report: ImportReport
) -> None:
    vendor = _lock_vendor(vendor)
    require(actor, "product.manage", vendor)
    categories = {c.code: c for c in Category.objects.filter(is_active=True)}
    leaf = {c.code for c in categories.values()} - {
        c.parent.code for c in categories.values() if c.parent is not None
    }
    provinces = set(Province.objects.values_list("code", flat=True))
    existing = {p.sku: p for p in Product.objects.filter(vendor=vendor)}
    seen: set[str] = set()
    for number, raw in enumerate(rows, start=2):  # row 1 is the header
        report.rows += 1
        if report.rows > rules.MAX_IMPORT_ROWS:
            report.errors.append(
                {"row": number, "field": "", "message": _("Paling banyak 5.000 baris per impor.")}
            )
            return
        row, errors = rules.parse_import_row(raw)
        if row is not None:
            if row.category_code not in leaf:
                errors["kategori"] = _("Kode kategori tidak dikenal atau bukan subkategori.")
            unknown = [p for p in row.provinces if p not in provinces]
            if unknown:
                errors["wilayah_kirim"] = _("Kode provinsi tidak dikenal: %(codes)s") % {
                    "codes": ", ".join(unknown)
                }
            if row.sku in seen:
                errors["sku"] = _("SKU muncul lebih dari sekali dalam berkas.")
        if errors or row is None:
            report.errors.extend(
                {"row": number, "field": f, "message": m} for f, m in errors.items()
            )
            continue
        seen.add(row.sku)
        if report.errors:
            continue  # keep checking the rest, but write nothing once a row failed
        data = ProductInput(
            sku=row.sku,
            name=row.name,
            category_id=categories[row.category_code].pk,
            unit=row.unit,
            price_idr=row.price_idr,
            kind=row.kind,
            description=row.description,
            min_order=row.min_order,
            stock=row.stock,
            is_pdn=row.is_pdn,
            tkdn_bp=row.tkdn_bp,
            bmp_bp=row.bmp_bp,
            lead_time_days=row.lead_time_days,
            delivery_provinces=list(row.provinces),
        )
        product = existing.get(row.sku)
        if product is None:
            create_product(actor, vendor, data)
            report.created += 1
            continue
        changes = {
            k: v
            for k, v in vars(data).items()
            if k not in ("sku", "delivery_provinces", "delivery_regencies")
            and getattr(product, k) != v
        }
        current_areas = sorted(product.areas.values_list("province_id", flat=True))
        if sorted(row.provinces) != current_areas:
            changes["delivery_provinces"] = list(row.provinces)
        if changes:
            update_product(actor, product, **changes)
            report.updated += 1
        else:
            report.unchanged += 1


def export_rows(products: Iterable[Product]) -> Iterable[dict[str, Any]]:
    """Products as import rows (the same columns), so an export can be edited and imported."""
    for p in products:
        areas = sorted(a.province_id for a in p.areas.all())
        yield {
            "sku": p.sku,
            "nama": p.name,
            "deskripsi": p.description,
            "kategori": p.category.code,
            "satuan": p.unit,
            "harga": p.price_idr,
            "min_pesan": p.min_order,
            "stok": "" if p.stock is None else p.stock,
            "jenis": "barang" if p.kind == ProductKind.GOODS else "jasa",
            "pdn": "ya" if p.is_pdn else "tidak",
            "tkdn": rules.bp_to_percent(p.tkdn_bp),
            "bmp": rules.bp_to_percent(p.bmp_bp),
            "waktu_kirim_hari": p.lead_time_days,
            "wilayah_kirim": "SEMUA" if p.delivers_nationwide else ";".join(areas),
        }


# --- categories -------------------------------------------------------------------------------


@transaction.atomic
def create_category(
    actor: User | None, *, code: str, name: str, parent: Category | None = None, kind: str = ""
) -> Category:
    """DJPb extends the category tree (``actor=None``: the seed)."""
    if actor is not None:
        require(actor, "category.manage")
    code = (code or "").strip().upper()
    if not code or len(code) > 30 or len(name.strip()) < 3:
        raise ValidationFailed(_("Kode dan nama kategori wajib diisi."))
    if Category.objects.filter(code=code).exists():
        raise ValidationFailed(_("Kode kategori sudah dipakai."), details={"field": "code"})
    if parent is not None and parent.products.exists():
        raise ValidationFailed(
            _("Kategori yang sudah berisi produk tidak dapat diberi subkategori.")
        )
    category = Category.objects.create(
        code=code,
        name=name.strip(),
        parent=parent,
        path=f"tmp-{secrets.token_hex(8)}",
        depth=(parent.depth + 1) if parent else 0,
        default_kind=kind or (parent.default_kind if parent else ProductKind.GOODS),
        position=Category.objects.filter(parent=parent).count(),
    )
    category.path = f"{parent.path if parent else ''}{category.pk}/"
    category.save(update_fields=["path"])
    return category


# --- housekeeping -----------------------------------------------------------------------------

IMPORT_FILES_KEPT = timedelta(hours=24)


def purge_imports(*, older_than: timedelta = IMPORT_FILES_KEPT, now: datetime | None = None) -> int:
    """Delete checked import files whose import was never confirmed (the import page keeps
    the checked file between the dry run and "Impor sekarang"); how many were deleted."""
    cutoff = (now or clock.now()) - older_than
    removed = 0
    try:
        folders, _files = default_storage.listdir("imports")
    except FileNotFoundError:
        return 0
    for folder in folders:
        _dirs, files = default_storage.listdir(f"imports/{folder}")
        for name in files:
            path = f"imports/{folder}/{name}"
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
                removed += 1
    return removed


def purge_stale_imports(now: datetime) -> int:
    """The worker's daily job (``catalog.purge_imports``)."""
    return purge_imports(now=now)
