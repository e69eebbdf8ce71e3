"""Reads of replenishment: GUP readiness, the SPMs a user may see, the PPSPM's and the KPPN's
queues, the sanctions, overdue TUPs, and the SP2D credits as treasurer movements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from digipay.accounts import queries as account_queries
from digipay.accounts.models import Organisation, User
from digipay.accounts.permissions import require
from digipay.accounts.rules import OrgKind, Role
from digipay.cardbills.models import CardBill
from digipay.cardbills.rules import CardBillState
from digipay.core import clock
from digipay.core.errors import NotFound
from digipay.core.money import format_idr
from digipay.payments.models import PaymentInvoice, Refund
from digipay.payments.movements import Movement, MovementKind, MovementStatus
from digipay.payments.rules import RefundState, Source
from digipay.policy import queries as policy
from digipay.policy.rules import PolicyKey
from digipay.replenishment import rules
from digipay.replenishment.models import SanctionNotice, Spm, SpmCardBill, SpmLine
from digipay.replenishment.rules import CreditState, SpmKind, SpmState
from digipay.treasury.models import UpAllocation, UpKind

OVERSEERS = frozenset({Role.KPPN_ADMIN, Role.KANWIL_ADMIN, Role.DJPB_ADMIN, Role.AUDITOR})


# --- what a GUP may list -------------------------------------------------------------------------


def with_refunds(found: QuerySet[PaymentInvoice]) -> QuerySet[PaymentInvoice]:
    """Paid invoices annotated with their refunds: ``refunded_idr`` (received, the UP already
    restored by them) and ``refund_expected`` (one still awaited from the vendor)."""
    # What each refund brought so far (received in full or in instalments, or cancelled after
    # some): each credit restored UP Tunai by its amount.
    received = (
        Refund.objects.filter(invoice_id=OuterRef("invoice_id"))
        .order_by()
        .values("invoice_id")
        .annotate(total=Sum("received_idr"))
        .values("total")
    )
    expected = Refund.objects.filter(invoice_id=OuterRef("invoice_id"), state=RefundState.EXPECTED)
    return found.annotate(
        refunded_idr=Coalesce(Subquery(received), Value(0)),
        refund_expected=Exists(expected),
    )


def refunded_of(paid: PaymentInvoice) -> int:
    """The refunds received for an invoice of a ``with_refunds`` query."""
    return int(paid.refunded_idr)  # type: ignore[attr-defined]


def replenishable_gross(paid: PaymentInvoice) -> int:
    """What a GUP pays back for an invoice: its gross less the refunds received (each refund
    already restored UP Tunai by its amount)."""
    return int(paid.gross_idr) - refunded_of(paid)


def _unclaimed(satker: Organisation) -> QuerySet[PaymentInvoice]:
    claimed = SpmLine.objects.filter(payment_invoice=OuterRef("pk"), active=True)
    return with_refunds(
        PaymentInvoice.objects.filter(
            payment__satker=satker,
            payment__source=Source.UP_TUNAI,
            active=True,
            posted_entry_id__isnull=False,
        ).exclude(Exists(claimed))
    ).select_related("payment", "invoice", "invoice__order", "invoice__vendor__organisation")


def listable_invoices(satker: Organisation) -> QuerySet[PaymentInvoice]:
    """Invoices paid from UP Tunai (the bank executed the transfer and the ledger posted it)
    that no live SPM lists yet: what a GUP or a PTUP may list. An invoice with a refund still
    expected waits; one whose refunds received exceed its net (SPAN's net = gross − taxes
    cannot hold once the refunds are taken off) is left out (``held_invoices``); one refunded
    in full (no tax withheld) has nothing left to replenish."""
    return (
        _unclaimed(satker)
        .filter(Q(refund_expected=False), net_idr__gte=F("refunded_idr"))
        .filter(gross_idr__gt=F("refunded_idr"))
        .order_by("payment__finished_at", "id")
    )


@dataclass(frozen=True, slots=True)
class HeldInvoice:
    """A paid invoice no GUP may list now, and why."""

    payment_invoice: PaymentInvoice
    number: str
    refunded_idr: int
    waiting: bool  # a refund is still expected: listable once it is received
    reason: str


def held_invoices(satker: Organisation) -> list[HeldInvoice]:
    """Paid invoices a GUP cannot list because of refunds: waiting for a refund still
    expected, or left out because the refunds received exceed the invoice's net (its taxes
    must be corrected; the GUP is asked outside Digipay)."""
    out = []
    found = _unclaimed(satker).filter(Q(refund_expected=True) | Q(net_idr__lt=F("refunded_idr")))
    for paid in found.order_by("payment__finished_at", "id"):
        if paid.refund_expected:  # type: ignore[attr-defined]
            waiting, reason = (
                True,
                _(
                    "Menunggu pengembalian dana dari vendor; tagihan dapat diajukan GUP "
                    "setelah pengembalian diterima."
                ),
            )
        else:
            waiting, reason = (
                False,
                _(
                    "Pengembalian dana (%(refunded)s) melebihi nilai bersih tagihan "
                    "(%(net)s): pajaknya harus dikoreksi, dan GUP-nya diajukan di luar "
                    "Digipay."
                )
                % {
                    "refunded": format_idr(refunded_of(paid)),
                    "net": format_idr(int(paid.net_idr)),
                },
            )
        out.append(HeldInvoice(paid, paid.invoice.number, refunded_of(paid), waiting, str(reason)))
    return out


def listable_card_bills(satker: Organisation) -> QuerySet[CardBill]:
    """KKP bills the Bendahara paid from UP Tunai that no live SPM-GUP KKP lists yet (no
    threshold: GUP KKP may be asked for any paid bill)."""
    claimed = SpmCardBill.objects.filter(card_bill=OuterRef("pk"), active=True)
    return (
        CardBill.objects.filter(satker=satker, state=CardBillState.PAID, total_idr__gt=0)
        .exclude(Exists(claimed))
        .select_related("card")
        .order_by("billing_month", "id")
    )


def up_tunai_given(satker: Organisation, fiscal_year: int) -> int:
    """The UP Tunai the satker was given this year (UP, not TUP: a TUP is accounted for by
    its PTUP, not replenished)."""
    total = UpAllocation.objects.filter(
        satker=satker, fiscal_year=fiscal_year, kind=UpKind.UP
    ).aggregate(total=Sum("tunai_idr"))["total"]
    return int(total or 0)


@dataclass(frozen=True, slots=True)
class Readiness:
    up_tunai: int  # UP Tunai given this year
    spent: int  # gross less refunds received of the invoices a GUP may list now
    in_progress: int  # gross of invoices in SPMs not yet credited
    threshold: Fraction
    threshold_amount: int
    ready: bool
    invoices: int
    card_bills: int  # paid KKP bills waiting for a GUP KKP
    card_bills_idr: int
    held: tuple[HeldInvoice, ...] = ()  # paid invoices held back by refunds


def gup_readiness(satker: Organisation, on: date | None = None) -> Readiness:
    on = on or clock.today_jakarta()
    given = up_tunai_given(satker, on.year)
    threshold = policy.value_in_force(PolicyKey.GUP_THRESHOLD, on)
    free = list(listable_invoices(satker))
    spent = sum(replenishable_gross(p) for p in free)
    in_progress = int(
        SpmLine.objects.filter(
            spm__satker=satker,
            active=True,
            spm__state__in=rules.LIVE_STATES,
        )
        .exclude(spm__credit_status=CreditState.CREDITED)
        .exclude(spm__kind=SpmKind.PTUP)
        .aggregate(total=Sum("gross_idr"))["total"]
        or 0
    )
    return Readiness(
        up_tunai=given,
        spent=spent,
        in_progress=in_progress,
        threshold=threshold,
        threshold_amount=rules.threshold_amount(given, threshold),
        ready=rules.gup_ready(spent=spent, up_tunai=given, threshold=threshold),
        invoices=len(free),
        card_bills=listable_card_bills(satker).count(),
        card_bills_idr=int(
            listable_card_bills(satker).aggregate(total=Sum("total_idr"))["total"] or 0
        ),
        held=tuple(held_invoices(satker)),
    )


# --- SPMs ----------------------------------------------------------------------------------------


def visible_spms(actor: User) -> QuerySet[Spm]:
    """Satker users see their satker's SPMs; the KPPN, Kanwil, DJPb and auditors those of the
    satkers they oversee (the gate decides which roles may look)."""
    require(actor, "spm.view")
    base = Spm.objects.select_related("satker", "kppn", "drafted_by", "signed_by", "decided_by")
    if actor.role in OVERSEERS:
        reachable = account_queries.reachable_organisations(actor, read_only=True)
        return base.filter(satker__in=reachable)
    return base.filter(satker_id=actor.organisation_id)


def spm_for(actor: User, spm_id: int) -> Spm:
    spm = visible_spms(actor).filter(pk=spm_id).first()
    if spm is None:
        raise NotFound(_("SPM tidak ditemukan."))
    require(actor, "spm.view", spm)
    return spm


def sign_queue(actor: User) -> QuerySet[Spm]:
    """The PPSPM's queue: drafts of the satker waiting for the signature."""
    return visible_spms(actor).filter(state=SpmState.DRAFT).order_by("drafted_at", "id")


def kppn_queue(actor: User) -> QuerySet[Spm]:
    """What waits for this KPPN: submitted SPMs of the satkers it pays, oldest first."""
    require(actor, "spm.decide")
    return (
        Spm.objects.filter(kppn_id=actor.organisation_id, state=SpmState.SUBMITTED)
        .select_related("satker", "drafted_by", "signed_by")
        .order_by("submitted_at", "id")
    )


def lines_of(spm: Spm) -> QuerySet[SpmLine]:
    return SpmLine.objects.filter(spm=spm).select_related(
        "payment_invoice", "payment_invoice__invoice"
    )


def deposits_of(spm: Spm) -> dict[int, list[object]]:
    """The tax deposits of each listed invoice (by invoice id), for the KPPN's check."""
    from digipay.invoicing.models import TaxDeposit

    ids = [
        int(line.payment_invoice.invoice_id)
        for line in lines_of(spm)
        if line.payment_invoice is not None
    ]
    out: dict[int, list[object]] = {}
    for deposit in TaxDeposit.objects.filter(invoice_id__in=ids).order_by("invoice_id", "id"):
        out.setdefault(int(deposit.invoice_id), []).append(deposit)
    return out


def open_tups(satker: Organisation) -> QuerySet[UpAllocation]:
    """TUPs not yet accounted for by an approved PTUP (oldest due first)."""
    return UpAllocation.objects.filter(
        satker=satker, kind=UpKind.TUP, accounted_at__isnull=True
    ).order_by("due_date", "id")


def overdue_tups(actor: User, on: date | None = None) -> QuerySet[UpAllocation]:
    """TUPs past their due date without an approved PTUP, of the satkers the actor sees."""
    require(actor, "spm.view")
    on = on or clock.today_jakarta()
    found = UpAllocation.objects.filter(
        kind=UpKind.TUP, accounted_at__isnull=True, due_date__lt=on
    ).select_related("satker")
    if actor.role in OVERSEERS:
        return found.filter(satker__in=account_queries.reachable_organisations(actor))
    return found.filter(satker_id=actor.organisation_id)


def sanctions(actor: User) -> QuerySet[SanctionNotice]:
    require(actor, "spm.view")
    found = SanctionNotice.objects.select_related("satker", "kppn", "decided_by")
    if actor.role in OVERSEERS:
        return found.filter(satker__in=account_queries.reachable_organisations(actor))
    return found.filter(satker_id=actor.organisation_id)


def last_replenished(satker: Organisation, fiscal_year: int) -> date | None:
    """The reference date of the sanction: the last credited GUP's SP2D date, else the UP's."""
    gup = (
        Spm.objects.filter(
            satker=satker,
            kind__in=(SpmKind.GUP, SpmKind.GUP_KKP),
            credit_status=CreditState.CREDITED,
            sp2d_date__year=fiscal_year,
        )
        .order_by("-sp2d_date")
        .values_list("sp2d_date", flat=True)
        .first()
    )
    up = (
        UpAllocation.objects.filter(satker=satker, kind=UpKind.UP, fiscal_year=fiscal_year)
        .order_by("-sp2d_date")
        .values_list("sp2d_date", flat=True)
        .first()
    )
    found = [d for d in (gup, up) if d is not None]
    return max(found) if found else None


def satkers_with_up(fiscal_year: int) -> QuerySet[Organisation]:
    return Organisation.objects.filter(
        kind=OrgKind.SATKER,
        up_allocations__kind=UpKind.UP,
        up_allocations__fiscal_year=fiscal_year,
    ).distinct()


# --- the treasurer's statement -------------------------------------------------------------------

_MOVEMENT_STATUS = {
    CreditState.PENDING: MovementStatus.OPEN,
    CreditState.CREDITED: MovementStatus.DONE,
    CreditState.FAILED: MovementStatus.FAILED,
}


def treasurer_movements(satker_id: int, start: datetime, end: datetime) -> list[Movement]:
    """The SP2D credits (GUP, GUP KKP, TUP) into the satker's treasurer account of which
    anything happened within [start, end): the SP2D issued (approved), the bank's credit
    (SPAN's ``credited_at``) or Digipay's restoring of UP (the ledger entry) — a credit retried
    days after the approval is found on the day it lands. Direction +1, remark
    ``SP2D <number>`` as the bank's statement shows it, DONE once Digipay posted it, with
    ``settled_at`` the time it posted."""

    def within(field: str) -> Q:
        return Q(**{f"{field}__gte": start, f"{field}__lt": end})

    spms = Spm.objects.filter(
        within("decided_at") | within("credited_at") | within("restored_at"),
        satker_id=satker_id,
        kind__in=rules.MONEY_KINDS,
        state=SpmState.APPROVED,
    ).order_by("decided_at", "id")
    out = []
    for spm in spms:
        if spm.ledger_entry_id and spm.restored_at is not None:
            status = MovementStatus.DONE
        else:
            status = _MOVEMENT_STATUS.get(CreditState(spm.credit_status), MovementStatus.OPEN)
            if status == MovementStatus.DONE:  # credited but not posted yet: still open
                status = MovementStatus.OPEN
        assert spm.decided_at is not None
        out.append(
            Movement(
                kind=MovementKind.SP2D,
                direction=+1,
                amount_idr=int(spm.amount_idr),
                status=status,
                bank_reference=spm.bank_reference,
                partner_reference=spm.sp2d_number,
                remark=spm.remark,
                created_at=spm.decided_at,
                settled_at=spm.restored_at if status == MovementStatus.DONE else None,
                entry_ids=(int(spm.ledger_entry_id),) if spm.ledger_entry_id else (),
                source=f"replenishment.spm:{spm.pk}",
            )
        )
    return out


def spm_listing(invoice_id: int) -> Spm | None:
    """The live SPM (not rejected or cancelled) that lists the invoice, if any."""
    line = (
        SpmLine.objects.filter(
            payment_invoice__invoice_id=invoice_id, active=True, spm__state__in=rules.LIVE_STATES
        )
        .select_related("spm")
        .first()
    )
    return line.spm if line is not None else None


def kppn_of(satker: Organisation) -> Organisation | None:
    parent = satker.parent
    return parent if parent is not None and parent.kind == OrgKind.KPPN else None
