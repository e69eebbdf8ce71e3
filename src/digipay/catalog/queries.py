"""Reads for the catalog: categories, a product for a viewer, a vendor's own products, store
pages, price history. Search itself is in ``search.py``."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Min, Q, QuerySet
from django.utils.translation import gettext as _

from digipay.accounts.models import User
from digipay.catalog.models import Category, PriceChange, Product
from digipay.catalog.rules import ProductState
from digipay.core.errors import NotFound
from digipay.vendors.models import Vendor


def categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("path")


@dataclass(frozen=True)
class CategoryNode:
    category: Category
    children: list[CategoryNode]


def category_tree() -> list[CategoryNode]:
    nodes = list(categories())
    kids: dict[int | None, list[Category]] = {}
    for c in nodes:
        kids.setdefault(c.parent_id, []).append(c)

    def build(parent: int | None) -> list[CategoryNode]:
        return [
            CategoryNode(c, build(c.pk))
            for c in sorted(kids.get(parent, []), key=lambda c: (c.position, c.name))
        ]

    return build(None)


def leaf_categories() -> QuerySet[Category]:
    return categories().filter(~Q(children__is_active=True)).distinct()


def product_for(actor: User, product_id: int) -> Product:
    """A product the actor may see: listed ones for everyone signed in, any of its own for a
    vendor user. Anything else is "not found" (nothing leaks)."""
    product = (
        Product.objects.select_related("vendor", "category", "vendor_province", "vendor__province")
        .prefetch_related("images", "areas__province")
        .filter(pk=product_id)
        .first()
    )
    if product is None:
        raise NotFound(_("Produk tidak ditemukan."))
    if not product.is_listed and product.organisation_id != actor.organisation_id:
        raise NotFound(_("Produk tidak ditemukan."))
    return product


def products_of(
    vendor: Vendor, *, state: str = "", q: str = "", category_id: int | None = None
) -> QuerySet[Product]:
    products = (
        Product.objects.filter(vendor=vendor).select_related("category").prefetch_related("images")
    )
    if state:
        products = products.filter(state=state)
    else:
        products = products.exclude(state=ProductState.ARCHIVED)
    if q:
        products = products.filter(Q(name__icontains=q) | Q(sku__iexact=q))
    if category_id:
        products = products.filter(category_id=category_id)
    return products.order_by("-updated_at", "-id")


def price_history(product: Product) -> QuerySet[PriceChange]:
    return PriceChange.objects.filter(product=product)


@dataclass(frozen=True)
class StoreSummary:
    vendor: Vendor
    listed: int
    pdn: int
    from_price: int | None
    categories: list[tuple[str, int]]


def store_summary(vendor: Vendor) -> StoreSummary:
    listed = Product.objects.filter(vendor=vendor, is_listed=True)
    stats = listed.aggregate(
        n=Count("id"), pdn=Count("id", filter=Q(is_pdn=True)), low=Min("price_idr")
    )
    per_category = (
        listed.values("category__name").annotate(n=Count("id")).order_by("-n", "category__name")
    )
    return StoreSummary(
        vendor=vendor,
        listed=int(stats["n"] or 0),
        pdn=int(stats["pdn"] or 0),
        from_price=stats["low"],
        categories=[(row["category__name"], int(row["n"])) for row in per_category[:8]],
    )


def store_vendor(vendor_id: int) -> Vendor:
    """A vendor's store page is open to every signed-in user once the vendor may sell."""
    vendor = Vendor.objects.select_related("organisation", "province").filter(pk=vendor_id).first()
    if vendor is None or not vendor.can_sell:
        raise NotFound(_("Toko tidak ditemukan."))
    return vendor
