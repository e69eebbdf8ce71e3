"""Catalog page forms: they parse input only; the services and the search decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from digipay.catalog import rules
from digipay.catalog.rules import ProductKind, ProductState, SortOrder
from digipay.core.errors import DomainError
from digipay.vendors.forms import RupiahField, show_domain_error
from digipay.vendors.rules import UmkmClass

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp"


def _choices(form: forms.Form, name: str, choices: Any) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


class SearchForm(forms.Form):
    """The catalog's search box and filters (plain GET, so every result page has a link)."""

    q = forms.CharField(
        label=_("Cari produk"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("contoh: kertas A4")}),
    )
    category = forms.TypedChoiceField(
        label=_("Kategori"), required=False, coerce=int, empty_value=None
    )
    price_min = RupiahField(
        label=_("Harga dari (Rp)"),
        required=False,
        min_value=0,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 10}),
    )
    price_max = RupiahField(
        label=_("Harga sampai (Rp)"),
        required=False,
        min_value=0,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 10}),
    )
    province = forms.ChoiceField(label=_("Provinsi vendor"), required=False)
    delivery = forms.ChoiceField(label=_("Dikirim ke provinsi"), required=False)
    vendor_class = forms.MultipleChoiceField(
        label=_("Kelas usaha"),
        required=False,
        choices=UmkmClass.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    pdn = forms.BooleanField(label=_("Hanya produk dalam negeri (PDN)"), required=False)
    min_tkdn = forms.IntegerField(
        label=_("TKDN minimal (%)"),
        required=False,
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"size": 4}),
    )
    sort = forms.ChoiceField(label=_("Urutkan"), required=False, choices=SortOrder.choices)
    cursor = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        categories: list[tuple[int, str]],
        provinces: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "category", [("", _("Semua kategori")), *categories])
        _choices(self, "province", [("", _("Semua provinsi")), *provinces])
        _choices(self, "delivery", [("", _("Semua provinsi")), *provinces])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", _("Harga sampai harus lebih besar dari harga dari."))
        return data


class MyProductsFilterForm(forms.Form):
    q = forms.CharField(label=_("Cari nama atau SKU"), required=False, max_length=100)
    state = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Semua kecuali arsip")), *ProductState.choices],
    )


# Service field names → form field names.
PRODUCT_ALIASES = {
    "category_id": "category",
    "tkdn_bp": "tkdn",
    "bmp_bp": "bmp",
    "delivery_provinces": "delivery_provinces",
}


class ProductForm(forms.Form):
    sku = forms.CharField(
        label=_("SKU (kode produk Anda)"),
        max_length=40,
        help_text=_("Unik per vendor; tidak dapat diubah setelah disimpan."),
    )
    name = forms.CharField(label=_("Nama produk"), max_length=200)
    description = forms.CharField(
        label=_("Deskripsi"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    category = forms.TypedChoiceField(label=_("Kategori"), coerce=int)
    kind = forms.ChoiceField(label=_("Jenis"), choices=ProductKind.choices)
    unit = forms.ChoiceField(label=_("Satuan"), choices=[(u, u) for u in rules.UNITS])
    price_idr = RupiahField(
        label=_("Harga per satuan (Rp, termasuk PPN bila PKP)"),
        min_value=1,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    min_order = forms.IntegerField(label=_("Pemesanan minimal"), min_value=1, initial=1)
    stock = forms.IntegerField(
        label=_("Stok"),
        required=False,
        min_value=0,
        help_text=_("Wajib untuk barang; kosongkan untuk jasa."),
    )
    lead_time_days = forms.IntegerField(
        label=_("Waktu pengiriman (hari)"), min_value=0, max_value=365, initial=3
    )
    is_pdn = forms.BooleanField(label=_("Produk dalam negeri (PDN)"), required=False)
    tkdn = forms.CharField(
        label=_("TKDN (%)"),
        required=False,
        max_length=6,
        help_text=_("Hanya untuk PDN, contoh 40 atau 40,5."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
    )
    bmp = forms.CharField(
        label=_("BMP (%)"),
        required=False,
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
    )
    delivery_provinces = forms.MultipleChoiceField(
        label=_("Provinsi tujuan pengiriman"),
        required=False,
        help_text=_("Kosongkan bila dikirim ke seluruh Indonesia."),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "province-list"}),
    )

    def __init__(
        self,
        *args: Any,
        categories: list[tuple[int, str]],
        provinces: list[tuple[str, str]],
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "category", [("", _("— pilih subkategori —")), *categories])
        _choices(self, "delivery_provinces", provinces)
        if editing:
            del self.fields["sku"]

    def _percent(self, name: str) -> int:
        bp = rules.percent_to_bp(self.cleaned_data.get(name) or "")
        if bp is None:
            raise forms.ValidationError(_("Isi persentase 0–100, contoh 40 atau 40,5."))
        return bp

    def clean_tkdn(self) -> int:
        return self._percent("tkdn")

    def clean_bmp(self) -> int:
        return self._percent("bmp")

    def values(self) -> dict[str, Any]:
        """The cleaned values under the names the services take."""
        d = self.cleaned_data
        out = {
            "name": d["name"],
            "description": d["description"],
            "category_id": d["category"],
            "kind": d["kind"],
            "unit": d["unit"],
            "price_idr": d["price_idr"],
            "min_order": d["min_order"],
            "stock": d["stock"],
            "lead_time_days": d["lead_time_days"],
            "is_pdn": d["is_pdn"],
            "tkdn_bp": d["tkdn"],
            "bmp_bp": d["bmp"],
            "delivery_provinces": list(d["delivery_provinces"]),
        }
        if "sku" in d:
            out["sku"] = d["sku"].strip()
        return out


def show_product_error(form: forms.Form, exc: DomainError) -> None:
    """Every problem the product rules found, each on its field."""
    errors = exc.details.get("errors")
    if isinstance(errors, dict) and errors:
        for name, message in errors.items():
            target = PRODUCT_ALIASES.get(name, name)
            form.add_error(target if target in form.fields else None, message)
        return
    show_domain_error(form, exc, PRODUCT_ALIASES)


class ImageForm(forms.Form):
    image = forms.FileField(
        label=_("Gambar (JPEG, PNG atau WebP, maks. 5 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    alt_text = forms.CharField(
        label=_("Keterangan gambar (untuk pembaca layar)"), required=False, max_length=200
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Berkas CSV atau XLSX"),
        help_text=_("Kolom sama dengan berkas ekspor; maksimal 5.000 baris."),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
