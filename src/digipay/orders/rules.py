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
    KPPN = "KPPN", gettext_lazy("Help desk KPPN")


class Action(models.TextChoices):
    CREATE = "CREATE", gettext_lazy("Pesanan dibuat")
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
    # After the vendor confirmed: cancellation by agreement, or by the KPPN help desk.
    BUYER_ASK_CANCEL = "BUYER_ASK_CANCEL", gettext_lazy("Satker mengusulkan pembatalan")
    VENDOR_ASK_CANCEL = "VENDOR_ASK_CANCEL", gettext_lazy("Vendor mengusulkan pembatalan")
    BUYER_AGREE_CANCEL = "BUYER_AGREE_CANCEL", gettext_lazy("Satker menyetujui pembatalan")
    VENDOR_AGREE_CANCEL = "VENDOR_AGREE_CANCEL", gettext_lazy("Vendor menyetujui pembatalan")
    BUYER_REFUSE_CANCEL = "BUYER_REFUSE_CANCEL", gettext_lazy("Satker menolak pembatalan")
    VENDOR_REFUSE_CANCEL = "VENDOR_REFUSE_CANCEL", gettext_lazy("Vendor menolak pembatalan")
    BUYER_ESCALATE = "BUYER_ESCALATE", gettext_lazy("Satker meminta bantuan KPPN")
    VENDOR_ESCALATE = "VENDOR_ESCALATE", gettext_lazy("Vendor meminta bantuan KPPN")
    KPPN_CANCEL = "KPPN_CANCEL", gettext_lazy("KPPN membatalkan pesanan")
    KPPN_CONTINUE = "KPPN_CONTINUE", gettext_lazy("KPPN melanjutkan pesanan")
    # Delivery-date changes need the other side's acceptance.
    BUYER_ASK_DATE = "BUYER_ASK_DATE", gettext_lazy("Satker mengusulkan tanggal kirim")
    VENDOR_ASK_DATE = "VENDOR_ASK_DATE", gettext_lazy("Vendor mengusulkan tanggal kirim")
    BUYER_AGREE_DATE = "BUYER_AGREE_DATE", gettext_lazy("Satker menyetujui tanggal kirim")
    VENDOR_AGREE_DATE = "VENDOR_AGREE_DATE", gettext_lazy("Vendor menyetujui tanggal kirim")
    BUYER_REFUSE_DATE = "BUYER_REFUSE_DATE", gettext_lazy("Satker menolak tanggal kirim")
    VENDOR_REFUSE_DATE = "VENDOR_REFUSE_DATE", gettext_lazy("Vendor menolak tanggal kirim")


class ProposalKind(models.TextChoices):
    CANCEL = "CANCEL", gettext_lazy("Pembatalan pesanan")
    DATE = "DATE", gettext_lazy("Perubahan tanggal kirim")


class ProposalStatus(models.TextChoices):
    OPEN = "OPEN", gettext_lazy("Menunggu jawaban")
    ACCEPTED = "ACCEPTED", gettext_lazy("Disetujui")
    REFUSED = "REFUSED", gettext_lazy("Ditolak")
    ESCALATED = "ESCALATED", gettext_lazy("Menunggu keputusan KPPN")
    UPHELD = "UPHELD", gettext_lazy("Dibatalkan oleh KPPN")
    DISMISSED = "DISMISSED", gettext_lazy("Pesanan dilanjutkan oleh KPPN")
    LAPSED = "LAPSED", gettext_lazy("Tidak berlaku lagi")


# A proposal waiting for an answer (or for the KPPN): at most one of each kind per order.
LIVE_PROPOSAL = frozenset({ProposalStatus.OPEN, ProposalStatus.ESCALATED})


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
# After the vendor confirmed and before the BAST is complete: changes need both parties.
CONFIRMED = (S.DIPROSES, S.DIKIRIM, S.KOMPLAIN)
BUYER_AMEND, VENDOR_AMEND = "order.amend", "order.vendor_respond"


def _both_sides(
    states: Sequence[str], buyer: str, vendor: str, target: str | None = None
) -> tuple[Transition, ...]:
    """The same step offered to each side from each state (the other side answers)."""
    return tuple(
        row
        for s in states
        for row in (
            Transition(s, buyer, target or s, BUYER_AMEND, Side.BUYER),
            Transition(s, vendor, target or s, VENDOR_AMEND, Side.VENDOR),
        )
    )


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
    # Cancellation before the vendor confirms: the buyer side alone.
    *(Transition(s, A.CANCEL, S.DIBATALKAN, "order.prepare", Side.BUYER) for s in BEFORE_APPROVAL),
    Transition(S.MENUNGGU_PPK, A.CANCEL, S.DIBATALKAN, "order.approve", Side.BUYER),
    Transition(S.MENUNGGU_VENDOR, A.CANCEL, S.DIBATALKAN, "order.approve", Side.BUYER),
    # After confirmation: one side proposes, the other agrees (→ cancelled) or refuses; the
    # proposer may then escalate to the KPPN help desk, which decides.
    *_both_sides(CONFIRMED, A.BUYER_ASK_CANCEL, A.VENDOR_ASK_CANCEL),
    *_both_sides(CONFIRMED, A.BUYER_AGREE_CANCEL, A.VENDOR_AGREE_CANCEL, S.DIBATALKAN),
    *_both_sides(CONFIRMED, A.BUYER_REFUSE_CANCEL, A.VENDOR_REFUSE_CANCEL),
    *_both_sides(CONFIRMED, A.BUYER_ESCALATE, A.VENDOR_ESCALATE),
    *(Transition(s, A.KPPN_CANCEL, S.DIBATALKAN, "order.mediate", Side.KPPN) for s in CONFIRMED),
    *(Transition(s, A.KPPN_CONTINUE, s, "order.mediate", Side.KPPN) for s in CONFIRMED),
    # Delivery-date changes: proposed by one side, accepted or refused by the other.
    *_both_sides(CONFIRMED, A.BUYER_ASK_DATE, A.VENDOR_ASK_DATE),
    *_both_sides(CONFIRMED, A.BUYER_AGREE_DATE, A.VENDOR_AGREE_DATE),
    *_both_sides(CONFIRMED, A.BUYER_REFUSE_DATE, A.VENDOR_REFUSE_DATE),
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
    received: int = 0  # received (in a BAST), over all lines
    cancel_open: str | None = None  # the side whose cancellation proposal awaits an answer
    cancel_escalable: str | None = None  # the side that may take its proposal to the KPPN
    cancel_escalated: bool = False  # a cancellation proposal awaits the KPPN's decision
    date_open: str | None = None  # the side whose delivery-date proposal awaits an answer


PROPOSE_CANCEL = frozenset({Action.BUYER_ASK_CANCEL, Action.VENDOR_ASK_CANCEL})
ANSWER_CANCEL: Mapping[str, str] = {
    Action.BUYER_AGREE_CANCEL: Side.VENDOR,  # the buyer answers the vendor's proposal
    Action.BUYER_REFUSE_CANCEL: Side.VENDOR,
    Action.VENDOR_AGREE_CANCEL: Side.BUYER,
    Action.VENDOR_REFUSE_CANCEL: Side.BUYER,
}
ESCALATE: Mapping[str, str] = {
    Action.BUYER_ESCALATE: Side.BUYER,
    Action.VENDOR_ESCALATE: Side.VENDOR,
}
KPPN_DECIDES = frozenset({Action.KPPN_CANCEL, Action.KPPN_CONTINUE})
PROPOSE_DATE = frozenset({Action.BUYER_ASK_DATE, Action.VENDOR_ASK_DATE})
ANSWER_DATE: Mapping[str, str] = {
    Action.BUYER_AGREE_DATE: Side.VENDOR,
    Action.BUYER_REFUSE_DATE: Side.VENDOR,
    Action.VENDOR_AGREE_DATE: Side.BUYER,
    Action.VENDOR_REFUSE_DATE: Side.BUYER,
}
CANCELS = frozenset({Action.BUYER_AGREE_CANCEL, Action.VENDOR_AGREE_CANCEL, Action.KPPN_CANCEL})
# The proposer may take an unanswered cancellation proposal to the KPPN after this long.
ESCALATE_AFTER = timedelta(days=3)


def proposal_error(action: str, s: Situation) -> str | None:
    """Why a proposal step cannot be taken now (None: it can). The services raise it, the
    pages offer only the steps for which it is None."""
    if (action in CANCELS or action in PROPOSE_CANCEL) and s.received:
        return _(
            "Sebagian barang sudah diterima dengan BAST: pesanan tidak dapat dibatalkan lagi. "
            "Sepakati pengurangan jumlah melalui komplain."
        )
    if action in PROPOSE_CANCEL:
        if s.cancel_open or s.cancel_escalated:
            return _("Sudah ada usulan pembatalan yang belum diputuskan.")
        return None
    if action in ANSWER_CANCEL:
        if s.cancel_open != ANSWER_CANCEL[action]:
            return _("Tidak ada usulan pembatalan dari pihak lain yang menunggu jawaban.")
        return None
    if action in ESCALATE:
        if s.cancel_escalable != ESCALATE[action]:
            return _(
                "Bantuan KPPN dapat diminta oleh pengusul setelah usulan pembatalannya ditolak "
                "atau tidak dijawab selama %(days)d hari."
            ) % {"days": ESCALATE_AFTER.days}
        return None
    if action in KPPN_DECIDES:
        if not s.cancel_escalated:
            return _("Tidak ada permintaan bantuan yang menunggu keputusan KPPN.")
        return None
    if action in PROPOSE_DATE:
        if s.date_open:
            return _("Sudah ada usulan tanggal kirim yang belum dijawab.")
        if not s.unshipped:
            return _("Semua barang sudah dikirim; tanggal kirim tidak dapat diubah lagi.")
        return None
    if action in ANSWER_DATE:
        if s.date_open != ANSWER_DATE[action]:
            return _("Tidak ada usulan tanggal kirim dari pihak lain yang menunggu jawaban.")
        return None
    return None


def may_escalate(status: str, proposed_at: datetime, now: datetime) -> bool:
    """A refused cancellation proposal, or one left unanswered for ``ESCALATE_AFTER``."""
    if status == ProposalStatus.REFUSED:
        return True
    return status == ProposalStatus.OPEN and now - proposed_at >= ESCALATE_AFTER


def delivery_date_error(new: date | None, *, current: date | None, today: date) -> str | None:
    if new is None:
        return _("Isi tanggal kirim yang diusulkan.")
    if new < today:
        return _("Tanggal kirim yang diusulkan tidak boleh sebelum hari ini.")
    if new == current:
        return _("Tanggal yang diusulkan sama dengan tanggal kirim sekarang.")
    if new > today + timedelta(days=366):
        return _("Tanggal kirim paling lambat satu tahun dari hari ini.")
    return None


def action_available(row: Transition, s: Situation) -> bool:
    """The same conditions the services enforce after the table and the gate: whose turn it
    is in the negotiation, rounds left, something left to ship or receive, and for proposals
    after confirmation whose answer is awaited (``proposal_error``)."""
    if proposal_error(row.action, s) is not None:
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


def line_total(quantity: int, unit_price_idr: int) -> int:
    return quantity * unit_price_idr


# --- document numbers -------------------------------------------------------------------------


def sp_register_number(satker_code: str, year: int, sequence: int) -> str:
    """The Surat Pesanan's number in the satker's own register: one series per satker per
    year (``SP/415256/2026/00017``), as a PPK's paper register would run."""
    return f"SP/{satker_code}/{year}/{sequence:05d}"


def sp_register_prefix(satker_code: str, year: int) -> str:
    return f"SP/{satker_code}/{year}/"


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
