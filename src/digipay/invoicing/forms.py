"""Invoice page forms: they parse input only; the services decide (faktur format, the state,
who may act, credits never beyond the invoice)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.forms.boundfield import BoundField
from django.utils.translation import gettext_lazy as _

from digipay.invoicing.models import InvoiceLine
from digipay.invoicing.rules import CreditRequest, LineBalance

NUMERIC = {"inputmode": "numeric"}


class VendorNumbersForm(forms.Form):
    vendor_invoice_number = forms.CharField(
        label=_("Nomor tagihan vendor"), max_length=60, required=False
    )
    tax_invoice_number = forms.CharField(
        label=_("Nomor faktur pajak"),
        max_length=30,
        required=False,
        help_text=_(
            "16 digit e-Faktur (010.000-25.00000001) atau 17 digit Coretax "
            "(04002500000000001); hanya vendor PKP."
        ),
    )


class ConfirmForm(forms.Form):
    """A step with nothing to fill in (the PPK's verification)."""


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Alasan"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Minimal 10 karakter; dicatat pada riwayat tagihan."),
    )


class CreditNoteForm(forms.Form):
    """Per invoice line: units to credit (``qty_<id>``) or rupiah off the line
    (``amount_<id>``); and the reason."""

    reason = forms.CharField(
        label=_("Alasan nota kredit"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Minimal 10 karakter."),
    )

    def __init__(
        self,
        data: Any = None,
        *,
        lines: Sequence[InvoiceLine],
        balances: dict[int, LineBalance],
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.lines = list(lines)
        self.balances = balances
        for line in self.lines:
            left = balances[line.pk]
            self.fields[f"qty_{line.pk}"] = forms.IntegerField(
                label=_("Jumlah dikreditkan: %(name)s") % {"name": line.name},
                min_value=0,
                max_value=max(left.quantity, 0),
                required=False,
                widget=forms.NumberInput(attrs=NUMERIC),
            )
            self.fields[f"amount_{line.pk}"] = forms.IntegerField(
                label=_("Nilai dikreditkan (Rp): %(name)s") % {"name": line.name},
                min_value=0,
                required=False,
                widget=forms.NumberInput(attrs=NUMERIC),
            )

    @property
    def line_rows(self) -> list[tuple[InvoiceLine, LineBalance, BoundField, BoundField]]:
        return [
            (line, self.balances[line.pk], self[f"qty_{line.pk}"], self[f"amount_{line.pk}"])
            for line in self.lines
        ]

    def requests(self) -> dict[int, CreditRequest]:
        out = {}
        for line in self.lines:
            quantity = self.cleaned_data.get(f"qty_{line.pk}") or 0
            amount = self.cleaned_data.get(f"amount_{line.pk}") or 0
            if quantity or amount:
                out[line.pk] = CreditRequest(quantity=quantity, amount=amount)
        return out


class ReportForm(forms.Form):
    masa = forms.CharField(label=_("Masa pajak (YYYY-MM)"), max_length=7, required=False)
    satker = forms.CharField(label=_("Kode satker"), max_length=6, required=False)
