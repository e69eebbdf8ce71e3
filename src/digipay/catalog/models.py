"""Categories, products, their images, delivery areas and price history, and the search
lexicon. The full-text index lives beside the tables and differs per database (migration
0002): a generated ``tsvector`` column with GIN on PostgreSQL, an FTS5 table on SQLite."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from digipay.accounts.models import Organisation, Province, User
from digipay.catalog.rules import ProductKind, ProductState
from digipay.vendors.models import Vendor


class Category(models.Model):
    """A node of the category tree. ``path`` is the chain of ids ("12/40/"): a category and
    everything below it is one prefix match, on products too (``Product.category_path``)."""

    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=120)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=120, unique=True)
    depth = models.PositiveSmallIntegerField(default=0)
    default_kind = models.CharField(
        max_length=8, choices=ProductKind.choices, default=ProductKind.GOODS
    )
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["path"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="products")
    # The tenant key on the hot table (the vendor's organisation), and the vendor facts the
    # search filters on, kept here so a search touches one table (synchronised by services).
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    vendor_name = models.CharField(max_length=200)
    vendor_province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+")
    vendor_class = models.CharField(max_length=8)
    sku = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    category_path = models.CharField(max_length=120)
    unit = models.CharField(max_length=20)
    price_idr = models.BigIntegerField()
    min_order = models.PositiveIntegerField(default=1)
    stock = models.BigIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=8, choices=ProductKind.choices)
    is_pdn = models.BooleanField(default=False)
    tkdn_bp = models.PositiveSmallIntegerField(default=0)  # basis points: 4050 = 40,50%
    bmp_bp = models.PositiveSmallIntegerField(default=0)
    lead_time_days = models.PositiveSmallIntegerField(default=3)
    delivers_nationwide = models.BooleanField(default=True)
    delivery_regencies = models.JSONField(default=list, blank=True)
    state = models.CharField(
        max_length=10, choices=ProductState.choices, default=ProductState.DRAFT
    )
    is_listed = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "sku"], name="product_vendor_sku"),
            models.CheckConstraint(condition=Q(price_idr__gt=0), name="product_price_positive"),
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(stock__gte=0), name="product_stock_nonneg"
            ),
            models.CheckConstraint(condition=Q(min_order__gte=1), name="product_min_order"),
            models.CheckConstraint(
                condition=Q(tkdn_bp__lte=10000) & Q(bmp_bp__lte=10000), name="product_pct_range"
            ),
        ]
        indexes = [
            models.Index(
                fields=["price_idr", "id"], condition=Q(is_listed=True), name="product_listed_price"
            ),
            models.Index(
                fields=["-published_at", "-id"],
                condition=Q(is_listed=True),
                name="product_listed_newest",
            ),
            models.Index(
                fields=["category_path", "price_idr"],
                condition=Q(is_listed=True),
                name="product_listed_category",
            ),
            # A leaf category's listed products, newest first or by price (catalog search).
            models.Index(
                fields=["category", "-published_at", "-id"],
                condition=Q(is_listed=True),
                name="product_leaf_newest",
            ),
            models.Index(
                fields=["category", "price_idr", "id"],
                condition=Q(is_listed=True),
                name="product_leaf_price",
            ),
            models.Index(fields=["organisation", "state"], name="product_org_state"),
            models.Index(fields=["vendor", "is_listed"], name="product_vendor_listed"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tenant_id(self) -> int:
        return int(self.organisation_id)

    def audit_state(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "name": self.name,
            "category_id": self.category_id,
            "unit": self.unit,
            "price_idr": self.price_idr,
            "min_order": self.min_order,
            "stock": self.stock,
            "kind": self.kind,
            "is_pdn": self.is_pdn,
            "tkdn_bp": self.tkdn_bp,
            "bmp_bp": self.bmp_bp,
            "lead_time_days": self.lead_time_days,
            "delivers_nationwide": self.delivers_nationwide,
            "state": self.state,
        }


class DeliveryArea(models.Model):
    """A province a product is delivered to (when not nationwide)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="areas")
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["product", "province"], name="delivery_area_unique")
        ]
        indexes = [models.Index(fields=["province", "product"], name="delivery_area_province")]

    def __str__(self) -> str:
        return f"{self.product_id}→{self.province_id}"


class ProductImage(models.Model):
    """An uploaded image, re-encoded (which drops EXIF data) into a large and a thumbnail
    rendition; the upload itself is not kept."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    position = models.PositiveSmallIntegerField(default=0)
    large = models.FileField(upload_to="products/%Y/%m/")
    thumb = models.FileField(upload_to="products/%Y/%m/")
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    alt_text = models.CharField(max_length=200, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.alt_text or f"gambar {self.pk}"

    @property
    def tenant_id(self) -> int:
        return int(self.product.organisation_id)


class PriceChange(models.Model):
    """Every price a product has had (append-only): orders freeze the price of their day."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="price_history")
    price_idr = models.BigIntegerField()
    previous_idr = models.BigIntegerField(null=True, blank=True)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.price_idr}"


class SearchWord(models.Model):
    """The words of product names: a small table where a mistyped query word finds its
    nearest real word (pg_trgm similarity on PostgreSQL, difflib on SQLite)."""

    word = models.CharField(max_length=30, unique=True)

    def __str__(self) -> str:
        return self.word
