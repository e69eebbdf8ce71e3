"""Page forms: they parse input only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from digipay.accounts.rules import Role
from digipay.core.errors import DomainError


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"),
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Kata sandi"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class OtpForm(forms.Form):
    token = forms.RegexField(
        label=_("Kode verifikasi (6 digit)"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Masukkan 6 digit kode dari aplikasi autentikator.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("Kata sandi lama"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("Kata sandi baru"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("Ulangi kata sandi baru"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", _("Kedua kata sandi baru tidak sama."))
        return data


class UserCreateForm(forms.Form):
    full_name = forms.CharField(label=_("Nama lengkap"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    nik = forms.CharField(
        label=_("NIK"),
        max_length=16,
        min_length=16,
        help_text=_("16 digit; hanya hash-nya yang disimpan."),
    )
    role = forms.ChoiceField(label=_("Peran"))
    organisation = forms.TypedChoiceField(label=_("Organisasi"), coerce=int)

    def __init__(
        self,
        *args: Any,
        roles: list[tuple[str, str]],
        organisations: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "role", roles)
        _set_choices(self, "organisation", organisations)


class SatkerAdminForm(forms.Form):
    full_name = forms.CharField(label=_("Nama lengkap"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    nik = forms.CharField(label=_("NIK"), max_length=16, min_length=16)
    letter_number = forms.CharField(label=_("Nomor surat penunjukan KPA"), max_length=100)
    letter_date = forms.DateField(
        label=_("Tanggal surat (dd/mm/yyyy)"), input_formats=["%d/%m/%Y", "%Y-%m-%d"]
    )


class SatkerForm(forms.Form):
    code = forms.RegexField(label=_("Kode satker (6 digit)"), regex=r"^\d{6}$")
    name = forms.CharField(label=_("Nama satker"), max_length=200)
    ministry_code = forms.RegexField(label=_("Kode K/L (3 digit)"), regex=r"^\d{3}$")
    province = forms.ChoiceField(label=_("Provinsi"))
    regency = forms.CharField(label=_("Kabupaten/kota"), max_length=100)
    address = forms.CharField(label=_("Alamat"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, provinces: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "province", provinces)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Peran baru"))

    def __init__(self, *args: Any, roles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "role", roles)


class DisableForm(forms.Form):
    reason = forms.CharField(label=_("Alasan penonaktifan"), max_length=500)


class DelegationForm(forms.Form):
    delegate = forms.TypedChoiceField(label=_("Pegawai penerima delegasi"), coerce=int)
    role = forms.ChoiceField(
        label=_("Peran yang didelegasikan"),
        choices=[
            (r.value, r.label)
            for r in (
                Role.PEMESAN,
                Role.PEJABAT_PENGADAAN,
                Role.PPK,
                Role.PENERIMA_BARANG,
                Role.BENDAHARA,
            )
        ],
    )
    valid_from = forms.DateTimeField(
        label=_("Berlaku mulai (dd/mm/yyyy jj:mm)"),
        input_formats=["%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M"],
    )
    valid_until = forms.DateTimeField(
        label=_("Berlaku sampai (dd/mm/yyyy jj:mm)"),
        input_formats=["%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M"],
    )
    reason = forms.CharField(label=_("Dasar delegasi (nomor surat tugas, alasan)"), max_length=500)

    def __init__(self, *args: Any, delegates: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "delegate", delegates)


def _set_choices(form: forms.Form, name: str, choices: Any) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on the field it names, or on the form as a whole."""
    field = exc.details.get("field")
    if isinstance(field, str) and field in form.fields:
        form.add_error(field, exc.message)
    else:
        form.add_error(None, exc.message)
