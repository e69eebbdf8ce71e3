"""Order page forms: they parse input only; the services decide (quantities, prices, rounds,
limits, who may act). Per-line numbers are fields named ``line_<id>`` so that one form serves
an order of any size, each with its own label."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django import forms
from django.forms.boundfield import BoundField
from django.utils.translation import gettext_lazy as _

from digipay.orders.models import ComplaintKind, OrderLine, PaymentMethod, Resolution
from digipay.treasury.rules import FundingSource
from digipay.vendors.forms import RupiahField, date_field

NUMERIC = {"inputmode": "numeric"}


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def reason_field(label: Any = None) -> forms.CharField:
    return forms.CharField(
        label=label or _("Alasan"),
        max_length=2000,
        widget=_textarea(),
        help_text=_("Minimal 10 karakter; dicatat pada riwayat pesanan."),
    )


# --- the cart ---------------------------------------------------------------------------------


class CartAddForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Jumlah"), min_value=1, initial=1, widget=forms.NumberInput(attrs=NUMERIC)
    )
    note = forms.CharField(label=_("Catatan untuk penjual"), max_length=300, required=False)


class CartLineForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Jumlah"), min_value=1, widget=forms.NumberInput(attrs=NUMERIC)
    )
    note = forms.CharField(
        label=_("Catatan"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Catatan (opsional)")}),
    )


# --- forms with one number per order line ---------------------------------------------------------


class LinesForm(forms.Form):
    """One number per order line (a quantity or a price). Subclasses say how each line's field
    is made; ``line_values()`` gives ``{line id: value}`` for the filled ones."""

    column_label: Any = _("Jumlah")

    def __init__(self, *args: Any, lines: Sequence[OrderLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[self.line_key(line)] = self.line_field(line)
        self.order_fields(self.line_keys() + [k for k in self.fields if not k.startswith("line_")])

    @staticmethod
    def line_key(line: OrderLine) -> str:
        return f"line_{line.pk}"

    def line_keys(self) -> list[str]:
        return [self.line_key(line) for line in self.lines]

    def line_field(self, line: OrderLine) -> forms.Field:
        raise NotImplementedError

    def line_rows(self) -> list[tuple[OrderLine, BoundField]]:
        return [(line, self[self.line_key(line)]) for line in self.lines]

    def other_fields(self) -> list[BoundField]:
        return [self[k] for k in self.fields if not k.startswith("line_")]

    def line_values(self) -> dict[int, int]:
        values = {}
        for line in self.lines:
            value = self.cleaned_data.get(self.line_key(line))
            if value is not None:
                values[int(line.pk)] = int(value)
        return values


def _quantity(
    line: OrderLine, *, initial: int | None, required: bool, minimum: int = 0
) -> forms.IntegerField:
    return forms.IntegerField(
        label=line.name,
        min_value=minimum,
        required=required,
        initial=initial,
        widget=forms.NumberInput(attrs=NUMERIC),
    )


class QuantitiesForm(LinesForm):
    """Quantities per line, each starting at ``initial(line)`` (e.g. what remains to ship)."""

    def __init__(
        self, *args: Any, initial_for: Callable[[OrderLine], int | None], **kwargs: Any
    ) -> None:
        self.initial_for = initial_for
        super().__init__(*args, **kwargs)

    def line_field(self, line: OrderLine) -> forms.Field:
        return _quantity(line, initial=self.initial_for(line), required=False)


class EditForm(LinesForm):
    """The Pejabat Pengadaan's order details: the quantity of each line, or remove it."""

    def line_field(self, line: OrderLine) -> forms.Field:
        return _quantity(line, initial=line.quantity, required=True, minimum=1)

    def __init__(self, *args: Any, lines: Sequence[OrderLine], **kwargs: Any) -> None:
        super().__init__(*args, lines=lines, **kwargs)
        for line in self.lines:
            self.fields[f"remove_{line.pk}"] = forms.BooleanField(
                label=_("Hapus %(name)s") % {"name": line.name}, required=False
            )

    def other_fields(self) -> list[BoundField]:
        return []

    def remove_field(self, line: OrderLine) -> BoundField:
        return self[f"remove_{line.pk}"]

    def edit_rows(self) -> list[tuple[OrderLine, BoundField, BoundField]]:
        return [(line, field, self.remove_field(line)) for line, field in self.line_rows()]

    def changes(self) -> tuple[dict[int, int], list[int]]:
        """(quantities that changed, lines to remove)."""
        remove = [int(line.pk) for line in self.lines if self.cleaned_data.get(f"remove_{line.pk}")]
        quantities = {
            line_id: quantity
            for line_id, quantity in self.line_values().items()
            if line_id not in remove
            and quantity != next(line.quantity for line in self.lines if line.pk == line_id)
        }
        return quantities, remove


class OfferForm(LinesForm):
    """A negotiation offer: a unit price for each line and a message."""

    message = forms.CharField(
        label=_("Pesan"), max_length=2000, required=False, widget=_textarea(2)
    )

    def __init__(self, *args: Any, prices: dict[int, int] | None = None, **kwargs: Any) -> None:
        self.prices = prices or {}
        super().__init__(*args, **kwargs)

    def line_field(self, line: OrderLine) -> forms.Field:
        return RupiahField(
            label=_("Harga satuan %(name)s (Rp)") % {"name": line.name},
            min_value=1,
            initial=self.prices.get(int(line.pk), line.unit_price_idr),
            widget=forms.TextInput(attrs=NUMERIC),
        )


class MessageForm(forms.Form):
    message = reason_field(_("Pesan untuk satker"))


class ReasonForm(forms.Form):
    reason = reason_field()


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Catatan (opsional)"), max_length=2000, required=False, widget=_textarea(2)
    )


class DeliveryDateForm(forms.Form):
    new_date = date_field(_("Tanggal kirim yang diusulkan"))
    reason = reason_field()


class CheckoutForm(forms.Form):
    """Checkout to the PPK (DOMAIN.md §4 step 3)."""

    ppk = forms.TypedChoiceField(label=_("PPK"), coerce=int)
    payment_method = forms.ChoiceField(
        label=_("Metode pembayaran"),
        choices=[
            (PaymentMethod.TRANSFER, _("Transfer (CMS/VA) dari UP Tunai")),
            (PaymentMethod.KKP, _("Kartu Kredit Pemerintah (UP KKP)")),
        ],
    )
    card = forms.TypedChoiceField(
        label=_("Kartu KKP"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Wajib bila dibayar dengan KKP."),
    )
    akun = forms.RegexField(
        label=_("Akun belanja"),
        regex=r"^\d{6}$",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs=NUMERIC),
        help_text=_("6 digit, mis. 521211 (belanja bahan) atau 523111."),
        error_messages={"invalid": _("Kode akun belanja harus 6 digit angka.")},
    )
    funding_source = forms.ChoiceField(
        label=_("Sumber dana"), choices=FundingSource.choices, initial=FundingSource.RM
    )
    delivery_address = forms.CharField(
        label=_("Alamat pengiriman"), max_length=500, required=False, widget=_textarea()
    )
    requested_date = date_field(_("Tanggal kebutuhan"))
    notes = forms.CharField(
        label=_("Catatan"), max_length=2000, required=False, widget=_textarea(2)
    )

    def __init__(
        self,
        *args: Any,
        ppks: Iterable[tuple[int, str]],
        cards: Iterable[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        ppk = self.fields["ppk"]
        card = self.fields["card"]
        assert isinstance(ppk, forms.ChoiceField)
        assert isinstance(card, forms.ChoiceField)
        ppk.choices = [("", _("— pilih PPK —")), *ppks]
        card.choices = [("", _("— tanpa KKP —")), *cards]


class ComplainForm(LinesForm):
    """Pending with a complaint: what is not accepted, per line, and why."""

    column_label = _("Jumlah tidak diterima")
    kind = forms.ChoiceField(label=_("Jenis komplain"), choices=ComplaintKind.choices)
    description = reason_field(_("Uraian"))

    def line_field(self, line: OrderLine) -> forms.Field:
        return _quantity(line, initial=None, required=False)


class ResolveForm(LinesForm):
    """The vendor's answer to the open complaint; agreed quantities only for a reduction."""

    column_label = _("Jumlah baru (bila dikurangi)")
    resolution = forms.ChoiceField(label=_("Penyelesaian"), choices=Resolution.choices)
    response = reason_field(_("Tanggapan"))

    def line_field(self, line: OrderLine) -> forms.Field:
        return _quantity(line, initial=None, required=False)


class ShipForm(QuantitiesForm):
    column_label = _("Jumlah dikirim")
    tracking = forms.CharField(
        label=_("Catatan pengiriman / nomor resi"), max_length=300, required=False
    )


class ReceiveForm(QuantitiesForm):
    column_label = _("Jumlah diterima")
    note = forms.CharField(
        label=_("Catatan penerimaan"), max_length=2000, required=False, widget=_textarea(2)
    )
