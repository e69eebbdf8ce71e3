"""Reads of card bills: the bills a user may see (own satker; KPPN admins and auditors the
satkers in their reach), one bill with its reconciliation, the cards whose bill the Bendahara
may fetch, and the figures pages and the API show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from digipay.accounts import queries as account_queries
from digipay.accounts.models import User
from digipay.accounts.permissions import require
from digipay.cardbills import rules
from digipay.cardbills.models import CardBill, CardBillLine
from digipay.cardbills.rules import CardBillState, LineMatch
from digipay.core import clock
from digipay.core.errors import NotFound
from digipay.treasury.models import CardStatus, KkpCard


def today() -> date:
    return clock.now().astimezone(clock.JAKARTA).date()


def visible_bills(actor: User, state: str = "") -> QuerySet[CardBill]:
    """Bills of the satkers in the actor's reach, newest month first. ``state`` may be a
    CardBillState or ``OVERDUE`` (past due, not paid)."""
    require(actor, "card_bill.view")
    reach = account_queries.reachable_organisations(actor, read_only=True)
    found = CardBill.objects.filter(satker__in=reach).select_related("card", "satker")
    if state == "OVERDUE":
        found = found.filter(due_date__lt=today()).exclude(state=CardBillState.PAID)
    elif state:
        found = found.filter(state=state)
    return found.order_by("-billing_month", "satker__code", "card_id", "id")


def bill_for(actor: User, bill_id: int) -> CardBill:
    bill = visible_bills(actor).filter(pk=bill_id).first()
    if bill is None:
        raise NotFound(_("Tagihan KKP tidak ditemukan."))
    require(actor, "card_bill.view", bill)
    return bill


def fetchable_cards(actor: User) -> QuerySet[KkpCard]:
    """The Bendahara's satker cards (not closed) whose bill she may fetch."""
    require(actor, "card_bill.pay")
    return (
        KkpCard.objects.filter(satker_id=actor.organisation_id)
        .exclude(status=CardStatus.CLOSED)
        .order_by("last4", "id")
    )


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """A bill's lines as the verification sheet shows them."""

    billed: list[CardBillLine]
    not_billed: list[CardBillLine]
    mismatches: int
    billed_idr: int  # the bank's lines
    digipay_idr: int  # Digipay's card payments matched or missing
    difference_idr: int  # billed − Digipay

    @property
    def matches(self) -> bool:
        return self.mismatches == 0


def reconciliation(bill: CardBill) -> Reconciliation:
    lines = list(bill.lines.select_related("instruction__payment").order_by("id"))
    billed = [line for line in lines if line.on_bill]
    not_billed = [line for line in lines if not line.on_bill]
    billed_idr = sum(int(line.amount_idr or 0) for line in billed)
    # A payment expected on the next bill is not part of this one.
    digipay_idr = sum(
        int(line.digipay_amount_idr or 0) for line in lines if line.match != LineMatch.NEXT_BILL
    )
    return Reconciliation(
        billed=billed,
        not_billed=not_billed,
        mismatches=sum(1 for line in lines if line.mismatch),
        billed_idr=billed_idr,
        digipay_idr=digipay_idr,
        difference_idr=billed_idr - digipay_idr,
    )


def is_overdue(bill: CardBill) -> bool:
    return rules.is_overdue(bill.state, bill.due_date, today())


def paid_bills(satker_id: int) -> QuerySet[CardBill]:
    """A satker's paid bills (for GUP KKP: replenishment reads total_idr, paid_at)."""
    return CardBill.objects.filter(satker_id=satker_id, state=CardBillState.PAID).order_by(
        "paid_at", "id"
    )
