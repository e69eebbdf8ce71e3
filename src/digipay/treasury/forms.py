"""Treasury page forms (parsing only)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from digipay.treasury.models import CardStatus
from digipay.treasury.rules import FundingSource

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


class UpForm(forms.Form):
    fiscal_year = forms.IntegerField(label=_("Tahun anggaran"), min_value=2000, max_value=2100)
    funding_source = forms.ChoiceField(label=_("Sumber dana"), choices=FundingSource.choices)
    sp2d_number = forms.CharField(label=_("Nomor SP2D-UP"), max_length=40)
    sp2d_date = forms.DateField(label=_("Tanggal SP2D (dd/mm/yyyy)"), input_formats=DATE_FORMATS)
    annual_budget_idr = forms.IntegerField(
        label=_("Pagu setahun yang dapat dibayar melalui UP (Rp)"), min_value=1
    )
    amount_idr = forms.IntegerField(label=_("Besaran UP (Rp)"), min_value=1)
    kanwil_approval_ref = forms.CharField(
        label=_("Nomor persetujuan Kanwil (bila di atas batas)"), required=False, max_length=100
    )


class TupForm(forms.Form):
    amount_idr = forms.IntegerField(label=_("Besaran TUP (Rp)"), min_value=1)
    sp2d_number = forms.CharField(label=_("Nomor SP2D-TUP"), max_length=40)
    sp2d_date = forms.DateField(label=_("Tanggal SP2D (dd/mm/yyyy)"), input_formats=DATE_FORMATS)
    reason = forms.CharField(
        label=_("Kebutuhan mendesak"), widget=forms.Textarea(attrs={"rows": 2})
    )


class UpReturnForm(forms.Form):
    fiscal_year = forms.IntegerField(label=_("Tahun anggaran"), min_value=2000, max_value=2100)
    deposit_reference = forms.CharField(label=_("NTPN setoran sisa UP"), max_length=40)
    returned_on = forms.DateField(label=_("Tanggal setor (dd/mm/yyyy)"), input_formats=DATE_FORMATS)


class TupExtendForm(forms.Form):
    reason = forms.CharField(label=_("Alasan perpanjangan"), max_length=300)


class KkpShareForm(forms.Form):
    share_percent = forms.IntegerField(label=_("Porsi UP KKP (%)"), min_value=0, max_value=100)
    reason = forms.CharField(label=_("Alasan"), widget=forms.Textarea(attrs={"rows": 2}))


class CardForm(forms.Form):
    cardholder = forms.TypedChoiceField(label=_("Pemegang kartu"), coerce=int)
    bank = forms.TypedChoiceField(label=_("Bank penerbit"), coerce=int)
    bank_card_ref = forms.CharField(
        label=_("Referensi kartu dari bank"),
        max_length=40,
        help_text=_("Bukan nomor kartu. Nomor kartu, CVV dan PIN tidak pernah disimpan."),
    )
    last4 = forms.RegexField(label=_("4 digit terakhir"), regex=r"^\d{4}$")
    card_limit_idr = forms.IntegerField(label=_("Limit kartu (Rp)"), min_value=1)
    issued_on = forms.DateField(label=_("Tanggal terbit (dd/mm/yyyy)"), input_formats=DATE_FORMATS)

    def __init__(
        self,
        *args: Any,
        cardholders: list[tuple[int, str]],
        banks: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in (("cardholder", cardholders), ("bank", banks)):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = choices


class CardLimitForm(forms.Form):
    card_limit_idr = forms.IntegerField(label=_("Limit baru (Rp)"), min_value=1)


class CardStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status baru"), choices=CardStatus.choices)
    reason = forms.CharField(label=_("Alasan"), max_length=300)
