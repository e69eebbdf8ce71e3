"""Pure rules of orders: the one state table, who does each step, negotiation rounds, limits,
split detection, deadlines and receipt arithmetic. No database access here.

DOMAIN.md §4 and §7. Every transition of an order is a row of ``TRANSITIONS``: the state it
starts from, the action, the state it ends in, the gate action (role + separation of duties)
and which side acts. Services look the row up, tests walk the whole table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from digipay.core import calendar


class OrderState(models.TextChoices):
    MENUNGGU_RINCIAN = "MENUNGGU_RINCIAN", gettext_lazy("Menunggu Rincian Pemesanan")
    PROSES_NEGO = "PROSES_NEGO", gettext_lazy("Proses Nego")
    NEGO_SELESAI = "NEGO_SELESAI", gettext_lazy("Nego Selesai")
    MENUNGGU_PPK = "MENUNGGU_PPK", gettext_lazy("Menunggu Persetujuan PPK")
    MENUNGGU_VENDOR = "MENUNGGU_VENDOR", gettext_lazy("Menunggu Konfirmasi Vendor")
    DIPROSES = "DIPROSES", gettext_lazy("Diproses Vendor")
    DIKIRIM = "DIKIRIM", gettext_lazy("Dikirim")
    KOMPLAIN = "KOMPLAIN", gettext_lazy("Pending (Komplain)")
    DITERIMA = "DITERIMA", gettext_lazy("Diterima (BAST)")
    DITOLAK = "DITOLAK", gettext_lazy("Ditolak PPK")
    DIBATALKAN = "DIBATALKAN", gettext_lazy("Dibatalkan")
    SELESAI = "SELESAI", gettext_lazy("Selesai")


class Side(models.TextChoices):
    BUYER = "BUYER", gettext_lazy("Satker")
    VENDOR = "VENDOR", gettext_lazy("Vendor")
    SYSTEM = "SYSTEM", gettext_lazy("Sistem")


class Action(models.TextChoices):
    EDIT = "EDIT", gettext_lazy("Ubah rincian")
    SEND_NEGO = "SEND_NEGO", gettext_lazy("Kirim untuk negosiasi")
    BUYER_OFFER = "BUYER_OFFER", gettext_lazy("Tawaran satker")
    VENDOR_COUNTER = "VENDOR_COUNTER", gettext_lazy("Tawaran balik vendor")
    VENDOR_ACCEPT_NEGO = "VENDOR_ACCEPT_NEGO", gettext_lazy("Vendor setuju")
    BUYER_ACCEPT_NEGO = "BUYER_ACCEPT_NEGO", gettext_lazy("Satker setuju")
    VENDOR_REFUSE_NEGO = "VENDOR_REFUSE_NEGO", gettext_lazy("Vendor menolak negosiasi")
    CHECKOUT = "CHECKOUT", gettext_lazy("Kirim ke PPK")
    APPROVE = "APPROVE", gettext_lazy("Setujui")
    REJECT = "REJECT", gettext_lazy("Tolak")
    CONFIRM = "CONFIRM", gettext_lazy("Terima pesanan")
    DECLINE = "DECLINE", gettext_lazy("Tolak pesanan")
    SHIP = "SHIP", gettext_lazy("Kirim barang")
    RECEIVE = "RECEIVE", gettext_lazy("Terima barang")
    COMPLAIN = "COMPLAIN", gettext_lazy("Pending dengan komplain")
    RESOLVE = "RESOLVE", gettext_lazy("Selesaikan komplain")
    CANCEL = "CANCEL", gettext_lazy("Batalkan")
    AUTO_CANCEL = "AUTO_CANCEL", gettext_lazy("Batal otomatis")


@dataclass(frozen=True, slots=True)
class Transition:
    source: str
    action: str
    # None: the target depends on quantities (shipping and receiving may be partial).
    target: str | None
    gate: str | None  # permission gate action; None for the system
    side: str


S, A = OrderState, Action
BEFORE_APPROVAL = (S.MENUNGGU_RINCIAN, S.PROSES_NEGO, S.NEGO_SELESAI)

TRANSITIONS: tuple[Transition, ...] = (
    # Order details and negotiation (Pejabat Pengadaan ↔ vendor).
    Transition(S.MENUNGGU_RINCIAN, A.EDIT, S.MENUNGGU_RINCIAN, "order.prepare", Side.BUYER),
    Transition(S.NEGO_SELESAI, A.EDIT, S.NEGO_SELESAI, "order.prepare", Side.BUYER),
    Transition(S.MENUNGGU_RINCIAN, A.SEND_NEGO, S.PROSES_NEGO, "order.prepare", Side.BUYER),
    Transition(S.PROSES_NEGO, A.BUYER_OFFER, S.PROSES_NEGO, "order.prepare", Side.BUYER),
    Transition(S.PROSES_NEGO, A.VENDOR_COUNTER, S.PROSES_NEGO, "order.vendor_respond", Side.VENDOR),
    Transition(
        S.PROSES_NEGO, A.VENDOR_ACCEPT_NEGO, S.NEGO_SELESAI, "order.vendor_respond", Side.VENDOR
    ),
    Transition(S.PROSES_NEGO, A.BUYER_ACCEPT_NEGO, S.NEGO_SELESAI, "order.prepare", Side.BUYER),
    Transition(
        S.PROSES_NEGO, A.VENDOR_REFUSE_NEGO, S.MENUNGGU_RINCIAN, "order.vendor_respond", Side.VENDOR
    ),
    # Checkout to the PPK (list price, or the negotiated price).
    Transition(S.MENUNGGU_RINCIAN, A.CHECKOUT, S.MENUNGGU_PPK, "order.submit", Side.BUYER),
    Transition(S.NEGO_SELESAI, A.CHECKOUT, S.MENUNGGU_PPK, "order.submit", Side.BUYER),
    # PPK approval: the UP hold is made here.
    Transition(S.MENUNGGU_PPK, A.APPROVE, S.MENUNGGU_VENDOR, "order.approve", Side.BUYER),
    Transition(S.MENUNGGU_PPK, A.REJECT, S.DITOLAK, "order.approve", Side.BUYER),
    # Vendor confirmation.
    Transition(S.MENUNGGU_VENDOR, A.CONFIRM, S.DIPROSES, "order.vendor_respond", Side.VENDOR),
    Transition(S.MENUNGGU_VENDOR, A.DECLINE, S.DIBATALKAN, "order.vendor_respond", Side.VENDOR),
    # Delivery (partial shipments allowed) and receipt (partial receipts allowed).
    Transition(S.DIPROSES, A.SHIP, S.DIKIRIM, "order.ship", Side.VENDOR),
    Transition(S.DIKIRIM, A.SHIP, S.DIKIRIM, "order.ship", Side.VENDOR),
    Transition(S.DIKIRIM, A.RECEIVE, None, "order.receive", Side.BUYER),
    Transition(S.DIKIRIM, A.COMPLAIN, S.KOMPLAIN, "order.receive", Side.BUYER),
    Transition(S.KOMPLAIN, A.RESOLVE, None, "order.vendor_respond", Side.VENDOR),
    # Cancellation: before the vendor confirms, the buyer side alone; after, both parties.
    *(Transition(s, A.CANCEL, S.DIBATALKAN, "order.prepare", Side.BUYER) for s in BEFORE_APPROVAL),
    Transition(S.MENUNGGU_PPK, A.CANCEL, S.DIBATALKAN, "order.approve", Side.BUYER),
    Transition(S.MENUNGGU_VENDOR, A.CANCEL, S.DIBATALKAN, "order.approve", Side.BUYER),
    Transition(S.DIPROSES, A.CANCEL, S.DIBATALKAN, "order.cancel_agreed", Side.BUYER),
    Transition(S.DIKIRIM, A.CANCEL, S.DIBATALKAN, "order.cancel_agreed", Side.BUYER),
    # The scheduler: PPK silent for N working days, vendor silent for N days.
    Transition(S.MENUNGGU_PPK, A.AUTO_CANCEL, S.DIBATALKAN, None, Side.SYSTEM),
    Transition(S.MENUNGGU_VENDOR, A.AUTO_CANCEL, S.DIBATALKAN, None, Side.SYSTEM),
)

TABLE: Mapping[tuple[str, str], Transition] = {(t.source, t.action): t for t in TRANSITIONS}
TERMINAL = frozenset({S.DITOLAK, S.DIBATALKAN, S.SELESAI})
# States in which the order holds UP (the hold is voided when it leaves them by cancelling).
HOLDING = frozenset({S.MENUNGGU_VENDOR, S.DIPROSES, S.DIKIRIM, S.KOMPLAIN, S.DITERIMA})
# Open orders count toward split detection (same satker, vendor, day).
OPEN = frozenset(OrderState.values) - TERMINAL


def transition(state: str, action: str) -> Transition | None:
    return TABLE.get((state, action))


def actions_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source == state]


def delivery_state(lines: Iterable[tuple[int, int, int]]) -> str:
    """Where delivery stands, from (ordered, shipped, received) per line: everything received
    → DITERIMA (the BAST is complete); something shipped and not yet received → DIKIRIM;
    otherwise the vendor still has to ship → DIPROSES."""
    rows = list(lines)
    if all(received >= ordered for ordered, _shipped, received in rows):
        return S.DITERIMA
    if any(shipped > received for _ordered, shipped, received in rows):
        return S.DIKIRIM
    return S.DIPROSES


# --- negotiation ----------------------------------------------------------------------------


def rounds_error(*, side: str, rounds_used: int, max_rounds: int) -> str | None:
    """Each side may make at most ``max_rounds`` offers (default 2, a policy value)."""
    if rounds_used >= max_rounds:
        who = _("Satker") if side == Side.BUYER else _("Vendor")
        return _("%(who)s sudah memakai %(n)d putaran negosiasi (batas %(max)d).") % {
            "who": who,
            "n": rounds_used,
            "max": max_rounds,
        }
    return None


def offer_error(prices: Mapping[int, int], *, line_ids: Iterable[int]) -> str | None:
    """An offer names a whole-rupiah unit price > 0 for lines of the order (at least one)."""
    known = set(line_ids)
    if not prices:
        return _("Tawaran harus memuat minimal satu harga baris.")
    for line_id, price in prices.items():
        if line_id not in known:
            return _("Baris pesanan tidak dikenal.")
        if not isinstance(price, int) or isinstance(price, bool) or price <= 0:
            return _("Harga tawaran harus bilangan bulat rupiah lebih dari 0.")
    return None


@dataclass(frozen=True, slots=True)
class Situation:
    """What, beyond the state, decides whether an action makes sense right now."""

    last_offer_side: str | None
    buyer_rounds: int
    vendor_rounds: int
    max_rounds: int
    unshipped: int  # ordered but not yet shipped, over all lines
    unreceived: int  # shipped but not yet received, over all lines


def action_available(row: Transition, s: Situation) -> bool:
    """The same conditions the services enforce after the table and the gate: whose turn it
    is in the negotiation, rounds left, something left to ship or receive; cancellation after
    the vendor confirmed needs both parties (not offered as a one-sided action)."""
    if row.gate == "order.cancel_agreed":
        return False
    if row.action == Action.BUYER_OFFER:
        return s.last_offer_side != Side.BUYER and s.buyer_rounds < s.max_rounds
    if row.action == Action.VENDOR_COUNTER:
        return s.last_offer_side != Side.VENDOR and s.vendor_rounds < s.max_rounds
    if row.action == Action.BUYER_ACCEPT_NEGO:
        return s.last_offer_side == Side.VENDOR
    if row.action == Action.VENDOR_ACCEPT_NEGO:
        return s.last_offer_side == Side.BUYER
    if row.action == Action.SEND_NEGO:
        return s.buyer_rounds < s.max_rounds
    if row.action == Action.SHIP:
        return s.unshipped > 0
    if row.action in (Action.RECEIVE, Action.COMPLAIN):
        return s.unreceived > 0
    return True


# --- limits and split detection (DOMAIN.md §7) ----------------------------------------------


@dataclass(frozen=True, slots=True)
class LimitCheck:
    limit_idr: int
    special: bool  # the Digipay UMKM-PDN limit applies


def recipient_limit(
    *, vendor_small: bool, all_pdn: bool, general_idr: int, umkm_pdn_idr: int
) -> LimitCheck:
    """Rp50 juta per recipient in general; Rp200 juta when every line is a domestic product
    (PDN) of a micro or small vendor bought through Digipay."""
    if vendor_small and all_pdn:
        return LimitCheck(umkm_pdn_idr, True)
    return LimitCheck(general_idr, False)


def limit_error(total_idr: int, check: LimitCheck) -> str | None:
    if total_idr > check.limit_idr:
        return _(
            "Nilai pesanan Rp%(total)s melebihi batas pembayaran UP per penerima Rp%(limit)s."
        ) % {
            "total": f"{total_idr:,}".replace(",", "."),
            "limit": f"{check.limit_idr:,}".replace(",", "."),
        }
    return None


@dataclass(frozen=True, slots=True)
class SplitFinding:
    combined_idr: int
    order_numbers: tuple[str, ...]
    limit_idr: int


def detect_split(
    *,
    total_idr: int,
    related: Sequence[tuple[str, int]],
    check: LimitCheck,
) -> SplitFinding | None:
    """Several open orders of one satker to one vendor (the same day, or still open) whose sum
    crosses the limit although each alone does not: a split purchase (pemecahan transaksi)."""
    if not related or total_idr > check.limit_idr:
        return None
    combined = total_idr + sum(amount for _number, amount in related)
    if combined <= check.limit_idr:
        return None
    return SplitFinding(combined, tuple(number for number, _amount in related), check.limit_idr)


# --- money ------------------------------------------------------------------------------------

PPN_ESTIMATE_RATE = Fraction(11, 100)


def estimated_ppn(base_idr: int, *, vendor_pkp: bool) -> int:
    """The PPN a PKP vendor adds to the price (DOMAIN.md §6: 11% of the price, which is also
    12% of DPP nilai lain 11/12 from 2025; luxury goods are not sold on Digipay). The hold
    covers it; the tax engine computes the invoice's exact taxes."""
    if not vendor_pkp:
        return 0
    return int(base_idr * PPN_ESTIMATE_RATE)  # floor: Fraction → int truncates toward zero


def line_total(quantity: int, unit_price_idr: int) -> int:
    return quantity * unit_price_idr


# --- deadlines --------------------------------------------------------------------------------


def ppk_deadline(submitted: datetime, working_days: int) -> date:
    """The last working day the PPK may act: after it the scheduler cancels the order."""
    return calendar.add_working_days(submitted.date(), working_days)


def vendor_deadline(approved: datetime, days: int) -> datetime:
    return approved + timedelta(days=days)


def quantity_error(quantity: int, *, min_order: int, stock: int | None) -> str | None:
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        return _("Jumlah harus bilangan bulat minimal 1.")
    if quantity < min_order:
        return _("Pemesanan minimal %(n)d.") % {"n": min_order}
    if stock is not None and quantity > stock:
        return _("Stok tidak mencukupi (tersedia %(n)d).") % {"n": stock}
    return None


AKUN_PATTERN = r"^5[23]\d{4}$"
