"""Payment rules, pure (no database, no network): sources, states, grouping of a batch into
bank instructions, stable SNAP ids, how the order's hold is consumed and the ledger legs of a
paid invoice (decision: docs/adr/0020-payments.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_BATCH = 50


class Source(models.TextChoices):
    UP_TUNAI = "UP_TUNAI", gettext_lazy("UP Tunai (transfer)")
    KKP = "KKP", gettext_lazy("Kartu Kredit Pemerintah (UP KKP)")


class Purpose(models.TextChoices):
    """Why money leaves the treasurer's account: a vendor's invoices (``pay``) or a generic
    transfer another app asks for (``instruct_transfer``): a tax deposit, a KKP card bill."""

    VENDOR = "VENDOR", gettext_lazy("Pembayaran vendor")
    TAX_DEPOSIT = "TAX_DEPOSIT", gettext_lazy("Setoran pajak")
    CARD_BILL = "CARD_BILL", gettext_lazy("Pembayaran tagihan KKP")


class PaymentState(models.TextChoices):
    IN_PROGRESS = "IN_PROGRESS", gettext_lazy("Sedang diproses bank")
    PAID = "PAID", gettext_lazy("Dibayar")
    PARTIAL = "PARTIAL", gettext_lazy("Sebagian dibayar")
    FAILED = "FAILED", gettext_lazy("Gagal")


class InstructionKind(models.TextChoices):
    TRANSFER = "TRANSFER", gettext_lazy("Transfer")
    CARD_CHARGE = "CARD_CHARGE", gettext_lazy("Tagihan kartu KKP")


class InstructionStatus(models.TextChoices):
    PENDING = "PENDING", gettext_lazy("Menunggu dikirim")
    # Sent (or about to be): the bank may have executed it; only a status inquiry decides.
    UNKNOWN = "UNKNOWN", gettext_lazy("Menunggu kepastian bank")
    DONE = "DONE", gettext_lazy("Berhasil")
    FAILED = "FAILED", gettext_lazy("Gagal")


OPEN_STATUSES = (InstructionStatus.PENDING, InstructionStatus.UNKNOWN)

# The order's payment method → the only source that may pay it (the hold sits there).
SOURCE_FOR_METHOD: Mapping[str, str] = {"TRANSFER": Source.UP_TUNAI, "KKP": Source.KKP}


def source_error(order_method: str, source: str) -> str | None:
    if source not in Source.values:
        return _("Sumber dana tidak dikenal.")
    if SOURCE_FOR_METHOD.get(order_method) != source:
        return _("Sumber dana tidak sesuai dengan cara bayar pesanan.")
    return None


def batch_error(invoice_ids: Sequence[int]) -> str | None:
    if not invoice_ids:
        return _("Pilih minimal satu tagihan.")
    if len(invoice_ids) > MAX_BATCH:
        return _("Paling banyak %(n)d tagihan dalam satu pembayaran.") % {"n": MAX_BATCH}
    if len(set(invoice_ids)) != len(invoice_ids):
        return _("Tagihan yang sama dipilih dua kali.")
    return None


def transfer_error(
    *,
    purpose: str,
    amount_idr: int,
    beneficiary_bank_code: str,
    beneficiary_account: str,
    beneficiary_name: str,
    remark: str,
    legs: Sequence[tuple[int, int]],
) -> str | None:
    """A generic transfer's request, checked before anything is written: a known non-vendor
    purpose, a positive whole amount, a plausible beneficiary and legs that move exactly the
    amount (the hold must reserve what leaves the account, no more, no less)."""
    if purpose not in Purpose.values or purpose == Purpose.VENDOR:
        return _("Tujuan transfer tidak dikenal.")
    if isinstance(amount_idr, bool) or not isinstance(amount_idr, int) or amount_idr <= 0:
        return _("Jumlah transfer harus bilangan bulat rupiah lebih dari nol.")
    if not (beneficiary_bank_code.isdigit() and len(beneficiary_bank_code) == 3):
        return _("Kode bank penerima harus 3 digit.")
    if not (beneficiary_account.isdigit() and 5 <= len(beneficiary_account) <= 20):
        return _("Nomor rekening penerima harus 5 sampai 20 digit.")
    if not beneficiary_name.strip() or len(beneficiary_name) > 150:
        return _("Nama penerima wajib diisi (paling banyak 150 karakter).")
    if len(remark) > 50:
        return _("Keterangan transfer paling banyak 50 karakter.")
    if not legs:
        return _("Transfer tanpa jurnal cadangan tidak diizinkan.")
    if sum(v for _a, v in legs) != 0:
        return _("Jurnal cadangan transfer tidak seimbang.")
    if sum(v for _a, v in legs if v > 0) != amount_idr:
        return _("Jurnal cadangan transfer harus sebesar jumlah transfer.")
    return None


# --- SNAP ids -----------------------------------------------------------------------------------


def external_id_ok(value: str) -> bool:
    """X-EXTERNAL-ID: numeric, at most 36 digits (SNAP), unique per day. Digipay writes one per
    instruction when the payment is made (``snap.values.new_external_id``: Jakarta time to the
    microsecond + 8 random digits) and keeps it on the row, so every attempt sends the same."""
    return value.isdigit() and 1 <= len(value) <= 36


def partner_reference(external_id: str) -> str:
    """partnerReferenceNo: the bank's duplicate check (unique per partner, bank and day among
    executed transfers). Derived from the external id, never from a row id: ids may be
    reused (a rolled-back sequence), references must not."""
    return f"DGP{external_id}"


def next_attempt_delay(attempts: int) -> int:
    """Seconds before the next try: 10, 20, 40 … at most 15 minutes."""
    return int(min(900, 10 * 2 ** max(0, attempts - 1)))


# --- grouping -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Payable:
    invoice_id: int
    vendor_account_id: int
    card_id: int | None
    net: int


def group(payables: Iterable[Payable]) -> dict[tuple[int, int | None], list[Payable]]:
    """One bank instruction per (vendor account, card): several invoices of one vendor paid in
    one batch make one transfer (or one card charge) of their summed net."""
    groups: dict[tuple[int, int | None], list[Payable]] = {}
    for p in payables:
        groups.setdefault((p.vendor_account_id, p.card_id), []).append(p)
    return groups


def payment_state(statuses: Iterable[str]) -> str:
    found = set(statuses)
    if not found or found & set(OPEN_STATUSES):
        return PaymentState.IN_PROGRESS
    if found == {InstructionStatus.DONE}:
        return PaymentState.PAID
    if found == {InstructionStatus.FAILED}:
        return PaymentState.FAILED
    return PaymentState.PARTIAL


# --- the hold and the ledger legs -----------------------------------------------------------------

Leg = tuple[int, int]  # (account id, amount: + debit, − credit)


@dataclass(frozen=True, slots=True)
class Consumption:
    """How a paid invoice consumes the order's hold of ``held``: post ``gross``, hold the
    ``remainder`` again when the order still expects invoices, release the rest."""

    posted: int
    remainder: int
    released: int


def consume(held: int, gross: int, *, more_expected: bool) -> Consumption:
    if gross <= 0:
        raise ValueError("gross must be positive")
    if gross > held:
        raise ValueError("the invoice exceeds what the order still holds")
    rest = held - gross
    if more_expected:
        return Consumption(gross, rest, 0)
    return Consumption(gross, 0, rest)


def scale_hold(held: Sequence[Leg], amount: int) -> list[Leg]:
    """The hold's legs for ``amount`` (every leg of an order hold carries the same amount)."""
    return [(account, amount if value > 0 else -amount) for account, value in held]


@dataclass(frozen=True, slots=True)
class PaidLegs:
    from_hold: list[Leg]  # posted out of the order's hold
    taxes: list[Leg]  # posted beside it (balanced)


def transfer_legs(
    held: Sequence[Leg],
    *,
    gross: int,
    up_tunai: int,
    tax_accounts: Mapping[str, int],
    collected: Mapping[str, int],
) -> PaidLegs:
    """UP Tunai: the hold posts the gross (Dr EXPENSE:akun, Cr UP_TUNAI); the taxes withheld
    stay in the treasurer's account until deposited (Dr UP_TUNAI, Cr TAX_PAYABLE:tax), so
    UP Tunai falls by the net that left it for the vendor."""
    taxes = [(tax_accounts[t], -amount) for t, amount in sorted(collected.items()) if amount]
    total = sum(collected.values())
    tax_legs = [(up_tunai, total), *taxes] if total else []
    return PaidLegs(scale_hold(held, gross), tax_legs)


def card_legs(
    held: Sequence[Leg],
    *,
    gross: int,
    expense: int,
    tax_accounts: Mapping[str, int],
    collected: Mapping[str, int],
) -> PaidLegs:
    """KKP: the card is charged the net (DOMAIN.md §6: no PPh 22/PPN collected on cards; a
    PPh 23 is withheld), so the hold posts the net against UP KKP and the card's line; what
    is withheld is spent too (Dr EXPENSE:akun, Cr TAX_PAYABLE:tax), deposited later."""
    total = sum(collected.values())
    taxes = [(tax_accounts[t], -amount) for t, amount in sorted(collected.items()) if amount]
    tax_legs = [(expense, total), *taxes] if total else []
    return PaidLegs(scale_hold(held, gross - total), tax_legs)
