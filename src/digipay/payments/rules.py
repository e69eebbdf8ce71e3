"""Payment rules, pure (no database, no network): sources, states, grouping of a batch into
bank instructions, stable SNAP ids, how the order's hold is consumed and the ledger legs of a
paid invoice (decision: docs/adr/0020-payments.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

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


class DepositState(models.TextChoices):
    """A tax deposit's way through the MPN (docs/adr/0021)."""

    BILLING = "BILLING", gettext_lazy("Meminta kode billing")
    TRANSFER = "TRANSFER", gettext_lazy("Transfer ke Kas Negara")
    REPORT = "REPORT", gettext_lazy("Meminta NTPN")
    DONE = "DONE", gettext_lazy("Disetor (NTPN terbit)")
    FAILED = "FAILED", gettext_lazy("Gagal")
    # The money reached the state's account but the MPN refused the payment report (e.g. the
    # billing expired): a person must settle it with the MPN/KPPN; the worker leaves it alone.
    NEEDS_ATTENTION = "NEEDS_ATTENTION", gettext_lazy("Perlu tindakan")


DEPOSIT_OPEN_STATES = (DepositState.BILLING, DepositState.TRANSFER, DepositState.REPORT)


class RefundState(models.TextChoices):
    EXPECTED = "EXPECTED", gettext_lazy("Menunggu pengembalian vendor")
    RECEIVED = "RECEIVED", gettext_lazy("Diterima")
    CANCELLED = "CANCELLED", gettext_lazy("Dibatalkan")


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
    up_tunai: int,
) -> str | None:
    """A generic transfer's request, checked before anything is written: a known non-vendor
    purpose, a positive whole amount, a plausible beneficiary, and balanced legs that take
    exactly the amount out of the satker's ``up_tunai`` account (the hold must reserve what
    leaves the bank account, no more, no less). Other legs may ride along (a card bill also
    frees the card's limit: Dr KKP_CARD, Cr KKP_CARD_LIMITS)."""
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
    if sum(v for a, v in legs if a == up_tunai) != -amount_idr:
        return _("Jurnal cadangan transfer harus mengkredit UP Tunai sebesar jumlah transfer.")
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


# --- tax deposits (docs/adr/0021) ----------------------------------------------------------------

MAX_DEPOSITS = 50


def deposit_batch_error(deposit_ids: Sequence[int]) -> str | None:
    if not deposit_ids:
        return _("Pilih minimal satu setoran pajak.")
    if len(deposit_ids) > MAX_DEPOSITS:
        return _("Paling banyak %(n)d setoran dalam satu permintaan.") % {"n": MAX_DEPOSITS}
    if len(set(deposit_ids)) != len(deposit_ids):
        return _("Setoran yang sama dipilih dua kali.")
    return None


def mpn_reference(satker_code: str, token: str) -> str:
    """Our reference of one deposit at the MPN (its idempotency key there): the satker and a
    random token stored with the request, never a row id, so that a reset database cannot
    meet a billing an earlier one made with the same reference."""
    return f"DGP-{satker_code}-{token}"[:64]


def npwp16(value: str) -> str | None:
    """A 16-digit NPWP (a 15-digit one gets its leading zero), or None."""
    digits = "".join(c for c in (value or "") if c.isdigit())
    if len(digits) == 15:
        digits = "0" + digits
    return digits if len(digits) == 16 else None


def taxpayer(vendor_npwp: str, satker_npwp: str, satker_nitku: str) -> tuple[str, str] | None:
    """(NPWP, NITKU) the billing is in: the vendor whose tax was withheld/collected (its head
    office, NPWP + 000000); a vendor without an NPWP is billed in the satker's own, as the
    collector. None when neither is usable."""
    vendor = npwp16(vendor_npwp)
    if vendor is not None and set(vendor) != {"0"}:
        return vendor, vendor + "000000"
    satker = npwp16(satker_npwp)
    if satker is None:
        return None
    nitku = satker_nitku if len(satker_nitku) == 22 and satker_nitku.startswith(satker) else ""
    return satker, nitku or satker + "000000"


def deposit_delay(attempts: int) -> int:
    """Seconds before the MPN is asked again: 15, 30, 60 … at most 15 minutes."""
    return int(min(900, 15 * 2 ** max(0, attempts - 1)))


# --- refunds (docs/adr/0021) --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RefundLine:
    line_id: int
    quantity: int  # invoiced
    paid_idr: int  # what was paid for it: base + its PPN share
    already: int  # quantity already refunded (earlier refunds)


def refund_cap(lines: Mapping[int, RefundLine], returned: Mapping[int, int]) -> int | str:
    """The most that may be asked back for ``returned`` {line id: quantity}: what was paid for
    those units (floor of the line's paid amount pro rata, so never a rupiah more), or an
    error message."""
    if not returned:
        return _("Sebutkan barang yang dikembalikan.")
    total = 0
    for line_id, qty in returned.items():
        line = lines.get(line_id)
        if line is None:
            return _("Baris tagihan tidak dikenal.")
        if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
            return _("Jumlah barang yang dikembalikan harus bilangan bulat positif.")
        if qty + line.already > line.quantity:
            return _("Jumlah yang dikembalikan melebihi jumlah yang ditagih.")
        total += line.paid_idr * qty // line.quantity
    return total


def refund_error(amount_idr: int, cap: int, reason: str) -> str | None:
    if isinstance(amount_idr, bool) or not isinstance(amount_idr, int) or amount_idr <= 0:
        return _("Jumlah pengembalian harus bilangan bulat rupiah lebih dari nol.")
    if amount_idr > cap:
        return _(
            "Jumlah pengembalian melebihi yang dibayar untuk barang yang dikembalikan (Rp%(cap)s)."
        ) % {"cap": f"{cap:,}".replace(",", ".")}
    if len(" ".join((reason or "").split())) < 10:
        return _("Tuliskan alasan yang jelas (minimal 10 karakter).")
    return None


def quotes(reference: str, *texts: str) -> bool:
    """Does a credit quote the refund ``reference`` (in its remark or partner reference)?
    Case and separators do not matter; the reference must stand as a whole word."""
    wanted = reference.upper()
    for text in texts:
        cleaned = "".join(c if c.isalnum() else " " for c in (text or "").upper())
        if wanted in cleaned.split():
            return True
    return False


def billing_too_late(
    *, expired: bool, expires_at: datetime, now: datetime, margin: timedelta
) -> bool:
    """A billing code must not be paid when it has expired or expires within ``margin`` (the
    transfer and the report may take that long): a new billing code is asked for instead."""
    return expired or expires_at <= now + margin
