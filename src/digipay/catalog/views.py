"""Catalog pages: the search page (results at once, facet counts by a second request), product
and store pages, the vendor's own products (form, states, images), import with a dry run,
export, and the permission-checked image files.

Thin, like the API: the same search, queries and services; a DomainError becomes a form error;
every page asks the gate first.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import IO, Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from digipay.accounts import permissions
from digipay.accounts import queries as account_queries
from digipay.accounts import rules as account_rules
from digipay.accounts.models import User
from digipay.catalog import forms, queries, rules, search, services, spreadsheets
from digipay.catalog.models import Product, ProductImage
from digipay.catalog.rules import ProductState, SortOrder
from digipay.core.errors import DomainError, NotFound, PermissionDenied
from digipay.vendors import queries as vendor_queries
from digipay.vendors.forms import show_domain_error
from digipay.vendors.models import Vendor

PAGE_SIZE = 24
IMPORT_SESSION = "digipay_catalog_import"

# The buttons that move a product, by target state.
STATE_BUTTONS = {
    ProductState.PUBLISHED: gettext_lazy("Tayangkan"),
    ProductState.READY: gettext_lazy("Siap dipesan"),
    ProductState.DRAFT: gettext_lazy("Kembalikan ke draf"),
    ProductState.ARCHIVED: gettext_lazy("Arsipkan"),
}


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _provinces() -> list[tuple[str, str]]:
    return [(p.code, p.name) for p in account_queries.provinces()]


def _category_choices() -> list[tuple[int, str]]:
    """Every category, sub-categories indented under their parent."""
    out: list[tuple[int, str]] = []

    def walk(nodes: list[queries.CategoryNode]) -> None:
        for node in nodes:
            out.append((node.category.pk, "\u2003" * node.category.depth + node.category.name))
            walk(node.children)

    walk(queries.category_tree())
    return out


def _leaf_choices() -> list[tuple[int, str]]:
    """Leaf categories (the only ones a product may be in), labelled with their parents."""
    out: list[tuple[int, str]] = []

    def walk(nodes: list[queries.CategoryNode], trail: list[str]) -> None:
        for node in nodes:
            names = [*trail, node.category.name]
            if node.children:
                walk(node.children, names)
            else:
                out.append((node.category.pk, " › ".join(names)))

    walk(queries.category_tree(), [])
    return out


@dataclass(frozen=True)
class Card:
    """A product as a result card shows it."""

    product: Product
    thumb: ProductImage | None
    tkdn: str
    orderable: bool


def _card(product: Product) -> Card:
    images = list(product.images.all())
    return Card(
        product=product,
        thumb=images[0] if images else None,
        tkdn=rules.bp_to_percent(product.tkdn_bp),
        orderable=product.is_listed
        and product.state == ProductState.READY
        and (product.stock is None or product.stock >= product.min_order),
    )


def _total_text(page: search.SearchPage) -> str:
    text = f"{page.total:,}".replace(",", ".")
    return text + "+" if page.total_capped else text


def _run(params: search.SearchParams, *, facets: bool = False) -> search.SearchPage:
    try:
        return search.search(params, facets=facets)
    except search.BadCursor:
        return search.search(replace(params, cursor=""), facets=facets)


def _search_form(request: HttpRequest) -> forms.SearchForm:
    return forms.SearchForm(request.GET, categories=_category_choices(), provinces=_provinces())


def _params(form: forms.SearchForm, *, limit: int = PAGE_SIZE) -> search.SearchParams:
    d = form.cleaned_data
    return search.SearchParams(
        q=d["q"] or "",
        category_id=d["category"],
        price_min=d["price_min"],
        price_max=d["price_max"],
        vendor_province=d["province"] or "",
        delivery_province=d["delivery"] or "",
        vendor_classes=tuple(d["vendor_class"]),
        pdn_only=bool(d["pdn"]),
        min_tkdn_bp=(d["min_tkdn"] or 0) * 100,
        sort=d["sort"] or SortOrder.RELEVANCE,
        cursor=d["cursor"] or "",
        limit=limit,
    )


@login_required
def search_view(request: HttpRequest) -> HttpResponse:
    """Results come at once; the facet counts follow in a second request (``facets_view``)."""
    permissions.require(_actor(request), "catalog.browse")
    form = _search_form(request)
    context: dict[str, Any] = {"form": form, "valid": form.is_valid()}
    if context["valid"]:
        page = _run(_params(form))
        context.update(
            page=page,
            cards=[_card(p) for p in page.items],
            total=_total_text(page),
            first_page=bool(form.cleaned_data["cursor"]),
        )
    template = "catalog/search.html#results" if request.htmx else "catalog/search.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
def facets_view(request: HttpRequest) -> HttpResponse:
    permissions.require(_actor(request), "catalog.browse")
    form = _search_form(request)
    facets: dict[str, list[tuple[Any, str, int]]] = {}
    if form.is_valid():
        facets = search.facets(replace(_params(form, limit=1), cursor=""))
    return render(request, "catalog/facets.html", {"facets": facets, "form": form})


@login_required
def product_view(request: HttpRequest, product_id: int) -> HttpResponse:
    actor = _actor(request)
    permissions.require(actor, "catalog.browse")
    product = queries.product_for(actor, product_id)
    vendor = product.vendor
    return render(
        request,
        "catalog/product.html",
        {
            "product": product,
            "card": _card(product),
            "images": list(product.images.all()),
            "areas": [a.province for a in product.areas.all()],
            "prices": queries.price_history(product)[:24],
            "vendor": vendor,
            "tkdn": rules.bp_to_percent(product.tkdn_bp),
            "bmp": rules.bp_to_percent(product.bmp_bp),
            "is_own": product.organisation_id == actor.organisation_id,
            "can_manage": account_rules.role_allows(
                account_queries.effective_roles(actor), "product.manage"
            )
            and product.organisation_id == actor.organisation_id,
        },
    )


@login_required
def store_view(request: HttpRequest, vendor_id: int) -> HttpResponse:
    permissions.require(_actor(request), "catalog.browse")
    vendor = queries.store_vendor(vendor_id)
    summary = queries.store_summary(vendor)
    cursor = request.GET.get("cursor", "")[:200]
    page = _run(
        search.SearchParams(
            vendor_id=vendor.pk, sort=SortOrder.NEWEST, cursor=cursor, limit=PAGE_SIZE
        )
    )
    pdn_share = round(100 * summary.pdn / summary.listed) if summary.listed else 0
    return render(
        request,
        "catalog/store.html",
        {
            "vendor": vendor,
            "summary": summary,
            "pdn_share": pdn_share,
            "page": page,
            "cards": [_card(p) for p in page.items],
            "first_page": bool(cursor),
        },
    )


@login_required
def image_view(request: HttpRequest, image_id: int, size: str) -> FileResponse:
    """Product images are for signed-in users: listed products, or the vendor's own (the same
    rule as the API's image endpoint)."""
    actor = _actor(request)
    image = ProductImage.objects.select_related("product").filter(pk=image_id).first()
    if image is None or size not in ("thumb", "large"):
        raise NotFound(_("Gambar tidak ditemukan."))
    queries.product_for(actor, image.product_id)
    field = image.thumb if size == "thumb" else image.large
    response = FileResponse(field.open("rb"), content_type=image.content_type)
    response["Cache-Control"] = "private, max-age=86400"
    return response


# --- the vendor's own products ------------------------------------------------------------------


def _own_vendor(actor: User, action: str = "product.view_own") -> Vendor:
    if actor.role not in vendor_queries.VENDOR_ROLES:
        raise PermissionDenied(_("Halaman ini khusus untuk pengguna vendor."))
    try:
        vendor = vendor_queries.vendor_of(actor)
    except NotFound as exc:
        raise NotFound(_("Data vendor tidak ditemukan.")) from exc
    permissions.require(actor, action, vendor)
    return vendor


def _own_product(actor: User, product_id: int) -> Product:
    product = (
        Product.objects.select_related(
            "vendor", "vendor__organisation", "category", "vendor_province"
        )
        .prefetch_related("images", "areas")
        .filter(pk=product_id, organisation_id=actor.organisation_id)
        .first()
    )
    if product is None:
        raise NotFound(_("Produk tidak ditemukan."))
    return product


def _stream(upload: UploadedFile[bytes]) -> IO[bytes]:
    return cast("IO[bytes]", upload)


@login_required
def my_products_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    vendor = _own_vendor(actor)
    form = forms.MyProductsFilterForm(request.GET)
    state, q = "", ""
    if form.is_valid():
        state, q = form.cleaned_data["state"], form.cleaned_data["q"].strip()
    products = queries.products_of(vendor, state=state, q=q)
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "catalog/my_products.html#results" if request.htmx else "catalog/my_products.html"  # type: ignore[attr-defined]
    return render(
        request,
        template,
        {
            "vendor": vendor,
            "form": form,
            "page": page,
            "cards": [_card(p) for p in page.object_list],
            "can_manage": account_rules.role_allows(
                account_queries.effective_roles(actor), "product.manage"
            ),
        },
    )


def _product_form(data: Any = None, **kwargs: Any) -> forms.ProductForm:
    return forms.ProductForm(data, categories=_leaf_choices(), provinces=_provinces(), **kwargs)


@login_required
def product_create_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    vendor = _own_vendor(actor, "product.manage")
    form = _product_form(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.create_product(actor, vendor, services.ProductInput(**form.values()))
        except DomainError as exc:
            forms.show_product_error(form, exc)
        else:
            messages.success(request, _("Produk disimpan sebagai draf."))
            return redirect("catalog:product_edit", product_id=product.pk)
    return render(
        request, "catalog/product_form.html", {"form": form, "vendor": vendor, "product": None}
    )


def _product_initial(product: Product) -> dict[str, Any]:
    return {
        "name": product.name,
        "description": product.description,
        "category": product.category_id,
        "kind": product.kind,
        "unit": product.unit,
        "price_idr": product.price_idr,
        "min_order": product.min_order,
        "stock": product.stock,
        "lead_time_days": product.lead_time_days,
        "is_pdn": product.is_pdn,
        "tkdn": rules.bp_to_percent(product.tkdn_bp),
        "bmp": rules.bp_to_percent(product.bmp_bp),
        "delivery_provinces": [a.province_id for a in product.areas.all()],
    }


@login_required
def product_edit_view(request: HttpRequest, product_id: int) -> HttpResponse:
    actor = _actor(request)
    vendor = _own_vendor(actor, "product.manage")
    product = _own_product(actor, product_id)
    if request.method == "POST":
        form = _product_form(request.POST, editing=True)
        if form.is_valid():
            try:
                services.update_product(actor, product, **form.values())
            except DomainError as exc:
                forms.show_product_error(form, exc)
            else:
                messages.success(request, _("Perubahan produk disimpan."))
                return redirect("catalog:product_edit", product_id=product.pk)
    else:
        form = _product_form(initial=_product_initial(product), editing=True)
    return render(
        request,
        "catalog/product_form.html",
        {
            "form": form,
            "vendor": vendor,
            "product": product,
            "images": list(product.images.all()),
            "image_form": forms.ImageForm(),
            "max_images": rules.MAX_IMAGES_PER_PRODUCT,
            "state_buttons": [
                (
                    target,
                    STATE_BUTTONS[target]
                    if (product.state, target) != (ProductState.READY, ProductState.PUBLISHED)
                    else gettext_lazy("Hanya tayang (tutup pemesanan)"),
                )
                for target in (
                    ProductState.PUBLISHED,
                    ProductState.READY,
                    ProductState.DRAFT,
                    ProductState.ARCHIVED,
                )
                if rules.can_move(product.state, target)
            ],
        },
    )


@require_POST
@login_required
def product_state_view(request: HttpRequest, product_id: int) -> HttpResponse:
    actor = _actor(request)
    _own_vendor(actor, "product.manage")
    product = _own_product(actor, product_id)
    state = request.POST.get("state", "")
    try:
        product = services.change_state(actor, product, state=state)
    except (PermissionDenied, NotFound) as exc:
        if exc.code != "vendor_not_verified":
            raise
        messages.error(request, exc.message)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Status produk: %(state)s.") % {"state": ProductState(product.state).label},
        )
    return redirect("catalog:product_edit", product_id=product.pk)


@require_POST
@login_required
def image_add_view(request: HttpRequest, product_id: int) -> HttpResponse:
    actor = _actor(request)
    _own_vendor(actor, "product.manage")
    product = _own_product(actor, product_id)
    form = forms.ImageForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Pilih berkas gambar untuk diunggah."))
    else:
        try:
            services.add_image(
                actor,
                product,
                stream=_stream(form.cleaned_data["image"]),
                alt_text=form.cleaned_data["alt_text"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Gambar ditambahkan."))
    return redirect("catalog:product_edit", product_id=product.pk)


@require_POST
@login_required
def image_remove_view(request: HttpRequest, product_id: int, image_id: int) -> HttpResponse:
    actor = _actor(request)
    _own_vendor(actor, "product.manage")
    product = _own_product(actor, product_id)
    image = product.images.filter(pk=image_id).first()
    if image is None:
        raise NotFound(_("Gambar tidak ditemukan."))
    services.remove_image(actor, image)
    messages.success(request, _("Gambar dihapus."))
    return redirect("catalog:product_edit", product_id=product.pk)


# --- import and export -----------------------------------------------------------------------


def _discard_pending(request: HttpRequest) -> None:
    pending = request.session.pop(IMPORT_SESSION, None)
    if pending and default_storage.exists(pending["path"]):
        default_storage.delete(pending["path"])


@login_required
def import_view(request: HttpRequest) -> HttpResponse:
    """Import by SKU: a dry run first (every row error shown, nothing changed); the checked
    file is kept aside (never served) until the vendor confirms with "Impor sekarang"."""
    actor = _actor(request)
    vendor = _own_vendor(actor, "product.manage")
    form = forms.ImportForm()
    report: services.ImportReport | None = None
    pending = request.session.get(IMPORT_SESSION)
    if pending and pending.get("vendor") != vendor.pk:
        _discard_pending(request)
        pending = None
    if request.method == "POST" and "confirm" in request.POST:
        if not pending or request.POST.get("token") != pending["token"]:
            messages.error(request, _("Periksa berkas terlebih dahulu sebelum mengimpor."))
            return redirect("catalog:import")
        try:
            with default_storage.open(pending["path"], "rb") as stored:
                rows = spreadsheets.read_rows(pending["name"], stored)
            report = services.import_products(actor, vendor, rows, dry_run=False)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            if report.ok:
                messages.success(
                    request,
                    _(
                        "Impor selesai: %(created)d produk baru, %(updated)d diubah, "
                        "%(unchanged)d tidak berubah."
                    )
                    % {
                        "created": report.created,
                        "updated": report.updated,
                        "unchanged": report.unchanged,
                    },
                )
                _discard_pending(request)
                return redirect("catalog:my_products")
        _discard_pending(request)
        pending = None
    elif request.method == "POST":
        _discard_pending(request)
        pending = None
        form = forms.ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            stream = _stream(upload)
            try:
                rows = spreadsheets.read_rows(upload.name or "", stream)
                report = services.import_products(actor, vendor, rows, dry_run=True)
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                if report.ok and report.rows:
                    stream.seek(0)
                    data = stream.read()
                    ext = "xlsx" if data.startswith(b"PK\x03\x04") else "csv"
                    token = secrets.token_hex(16)
                    path = default_storage.save(
                        f"imports/{vendor.organisation_id}/{token}.{ext}", ContentFile(data)
                    )
                    pending = {
                        "path": path,
                        "token": token,
                        "name": f"impor.{ext}",
                        "original": (upload.name or "")[-100:],
                        "vendor": vendor.pk,
                    }
                    request.session[IMPORT_SESSION] = pending
    return render(
        request,
        "catalog/import.html",
        {"form": form, "report": report, "pending": pending, "vendor": vendor},
    )


@login_required
def export_view(request: HttpRequest, fmt: str) -> HttpResponse:
    actor = _actor(request)
    vendor = _own_vendor(actor)
    products = queries.products_of(vendor).prefetch_related("areas")
    rows = services.export_rows(products)
    if fmt == "xlsx":
        body = spreadsheets.write_xlsx(rows)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "csv":
        body = spreadsheets.write_csv(rows)
        content_type = "text/csv; charset=utf-8"
    else:
        raise NotFound(_("Format harus csv atau xlsx."))
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="produk-{vendor.organisation.code}.{fmt}"'
    )
    return response
