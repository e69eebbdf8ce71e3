"""Vendor page forms: they parse input only; the services decide."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from digipay.core.errors import DomainError
from digipay.vendors.rules import (
    DocumentKind,
    LegalForm,
    LicenceKind,
    SuketState,
    UmkmBasis,
    UmkmClass,
    VendorStatus,
)

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
DOCUMENT_ACCEPT = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"


class RupiahField(forms.IntegerField):
    """Whole rupiah as people type it: "Rp 1.500.000", "1 500 000" or "1500000"."""

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str):
            value = re.sub(r"(?i)^\s*rp\.?|[\s.]", "", value)
        return super().to_python(value)


def date_field(label: Any, *, required: bool = False) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )


def show_domain_error(
    form: forms.Form, exc: DomainError, aliases: Mapping[str, str] | None = None
) -> None:
    """A service's refusal on the field it names (service names mapped to form names), or on
    the form as a whole."""
    field = exc.details.get("field")
    if isinstance(field, str):
        field = (aliases or {}).get(field, field)
    if isinstance(field, str) and field in form.fields:
        form.add_error(field, exc.message)
    else:
        form.add_error(None, exc.message)


class BusinessFields(forms.Form):
    """The business data a vendor declares at registration and may correct later."""

    business_name = forms.CharField(label=_("Nama usaha"), max_length=200)
    legal_form = forms.ChoiceField(label=_("Bentuk usaha"), choices=LegalForm.choices)
    licence_kind = forms.ChoiceField(label=_("Jenis izin usaha"), choices=LicenceKind.choices)
    licence_number = forms.CharField(
        label=_("Nomor izin usaha"),
        max_length=60,
        help_text=_("NIB: 13 digit angka."),
    )
    kbli_codes = forms.CharField(
        label=_("Kode KBLI"),
        max_length=200,
        help_text=_("5 digit per kode, pisahkan dengan koma, contoh: 47611, 46499"),
    )
    address = forms.CharField(
        label=_("Alamat usaha"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500
    )
    province = forms.ChoiceField(label=_("Provinsi"))
    regency = forms.CharField(label=_("Kabupaten/kota"), max_length=100)
    phone = forms.CharField(
        label=_("Nomor telepon"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    npwp = forms.CharField(
        label=_("NPWP"),
        max_length=25,
        help_text=_("15 atau 16 digit; isi 15 angka nol bila usaha belum memiliki NPWP."),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    is_pkp = forms.BooleanField(label=_("Pengusaha Kena Pajak (PKP)"), required=False)
    umkm_basis = forms.ChoiceField(label=_("Dasar klasifikasi UMKM"), choices=UmkmBasis.choices)
    umkm_amount_idr = RupiahField(
        label=_("Nilai modal usaha atau penjualan tahunan (Rp)"),
        min_value=0,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text=_(
            "Modal usaha di luar tanah dan bangunan (usaha baru) atau hasil penjualan "
            "setahun terakhir (PP 7/2021)."
        ),
    )
    suket_number = forms.CharField(
        label=_("Nomor Suket PPh Final (bila ada)"), max_length=60, required=False
    )
    suket_valid_from = date_field(_("Suket berlaku mulai"))
    suket_valid_until = date_field(_("Suket berlaku sampai"))

    def __init__(self, *args: Any, provinces: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["province"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("— pilih provinsi —")), *provinces]

    def business_values(self) -> dict[str, Any]:
        """The cleaned values under the names the services take."""
        d = self.cleaned_data
        return {
            "business_name": d["business_name"],
            "legal_form": d["legal_form"],
            "licence_kind": d["licence_kind"],
            "licence_number": d["licence_number"],
            "kbli_codes": d["kbli_codes"],
            "address": d["address"],
            "province_code": d["province"],
            "regency": d["regency"],
            "phone": d["phone"],
            "npwp": d["npwp"],
            "is_pkp": d["is_pkp"],
            "umkm_basis": d["umkm_basis"],
            "umkm_amount_idr": d["umkm_amount_idr"],
            "suket_number": d["suket_number"].strip(),
            "suket_valid_from": d["suket_valid_from"],
            "suket_valid_until": d["suket_valid_until"],
        }


# Service field names → form field names.
REGISTRATION_ALIASES = {"nik": "owner_nik", "licence": "licence_file", "suket": "suket_file"}


class RegistrationForm(BusinessFields):
    """Self-registration (naming the partner satker) or registration by invitation."""

    partner_satker_code = forms.RegexField(
        label=_("Kode satker mitra (6 digit)"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Kode satker terdiri dari 6 digit angka.")},
        help_text=_("Satker yang akan memverifikasi usaha Anda, biasanya satker pembeli."),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    owner_name = forms.CharField(
        label=_("Nama pemilik (sesuai KTP)"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    owner_nik = forms.RegexField(
        label=_("NIK pemilik"),
        regex=r"^\s*\d{16}\s*$",
        error_messages={"invalid": _("NIK terdiri dari 16 digit angka.")},
        help_text=_("Tidak dapat diubah setelah pendaftaran; hanya 4 digit terakhir yang tampil."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("E-mail (untuk masuk)"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Kata sandi"),
        help_text=_("Minimal 12 karakter, berisi huruf serta angka atau simbol."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Ulangi kata sandi"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    licence_file = forms.FileField(
        label=_("Berkas izin usaha (PDF, JPEG atau PNG, maks. 5 MB)"),
        required=False,
        help_text=_("Wajib untuk SIUP dan surat keterangan usaha desa/kelurahan."),
        widget=forms.ClearableFileInput(attrs={"accept": DOCUMENT_ACCEPT}),
    )
    suket_file = forms.FileField(
        label=_("Berkas Suket PPh Final (bila ada)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": DOCUMENT_ACCEPT}),
    )

    field_order = [
        "partner_satker_code",
        "owner_name",
        "owner_nik",
        "email",
        "phone",
        "password",
        "password2",
        "business_name",
        "legal_form",
        "licence_kind",
        "licence_number",
        "licence_file",
        "kbli_codes",
        "address",
        "province",
        "regency",
        "npwp",
        "is_pkp",
        "umkm_basis",
        "umkm_amount_idr",
        "suket_number",
        "suket_valid_from",
        "suket_valid_until",
        "suket_file",
    ]

    def __init__(self, *args: Any, invited: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if invited:
            del self.fields["partner_satker_code"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("Kedua kata sandi tidak sama."))
        kind = data.get("licence_kind")
        if kind and kind != LicenceKind.NIB and not data.get("licence_file"):
            self.add_error("licence_file", _("Unggah berkas izin usaha."))
        if (data.get("suket_number") or "").strip() and not data.get("suket_file"):
            self.add_error("suket_file", _("Unggah berkas Suket PPh Final."))
        return data


class ProfileForm(BusinessFields):
    """The vendor admin corrects its data (the NIK is not here: it cannot change)."""


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Jenis dokumen"), choices=DocumentKind.choices)
    file = forms.FileField(
        label=_("Berkas (PDF, JPEG atau PNG, maks. 5 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": DOCUMENT_ACCEPT}),
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail pemilik/admin vendor"))
    business_name = forms.CharField(
        label=_("Nama usaha (opsional)"), max_length=200, required=False
    )


class BankAccountForm(forms.Form):
    bank_code = forms.ChoiceField(label=_("Bank"))
    account_no = forms.RegexField(
        label=_("Nomor rekening"),
        regex=r"^[\d\s\-]{6,30}$",
        error_messages={"invalid": _("Nomor rekening berisi 6–20 digit angka.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    holder_name = forms.CharField(
        label=_("Nama pemilik rekening (sesuai buku tabungan)"),
        max_length=150,
        help_text=_("Nama usaha atau nama pemilik usaha: pembayaran hanya ke rekening vendor."),
    )
    primary = forms.BooleanField(
        label=_("Jadikan rekening utama"),
        required=False,
        help_text=_("Rekening menjadi utama setelah bank mengonfirmasi nama pemiliknya."),
    )

    def __init__(self, *args: Any, banks: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["bank_code"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("— pilih bank —")), *banks]

    def clean_account_no(self) -> str:
        return re.sub(r"[\s\-]", "", self.cleaned_data["account_no"])


class HolderNameForm(forms.Form):
    holder_name = forms.CharField(label=_("Nama pemilik rekening yang benar"), max_length=150)


class VerifyForm(forms.Form):
    accept_suket = forms.BooleanField(
        label=_("Suket PPh Final juga diterima"), required=False, initial=True
    )
    suket_reasons = forms.CharField(
        label=_("Alasan Suket ditolak (bila tidak diterima)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReasonForm(forms.Form):
    reasons = forms.CharField(
        label=_("Alasan"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class SuketDecisionForm(forms.Form):
    accept = forms.TypedChoiceField(
        label=_("Keputusan Suket PPh Final"),
        choices=[("1", _("Terima")), ("0", _("Tolak"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(
        label=_("Alasan (wajib bila ditolak)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


SUKET_FILTERS = [
    ("", _("Semua")),
    ("expiring", SuketState.EXPIRING.label),
    ("expired", SuketState.EXPIRED.label),
]


class RegistryFilterForm(forms.Form):
    q = forms.CharField(label=_("Cari nama atau kode vendor"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Semua")), *VendorStatus.choices]
    )
    province = forms.ChoiceField(label=_("Provinsi"), required=False)
    umkm_class = forms.ChoiceField(
        label=_("Kelas UMKM"), required=False, choices=[("", _("Semua")), *UmkmClass.choices]
    )
    partner = forms.RegexField(
        label=_("Kode satker mitra"),
        regex=r"^\d{6}$",
        required=False,
        error_messages={"invalid": _("Kode satker terdiri dari 6 digit angka.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 8}),
    )
    suket = forms.ChoiceField(label=_("Suket PPh Final"), required=False, choices=SUKET_FILTERS)

    def __init__(self, *args: Any, provinces: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["province"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Semua")), *provinces]
