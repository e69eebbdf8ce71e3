"""Demo card bill (full demo only, where the bank simulator is up — ``make run``): the
Bendahara of satker 415256 pays one verified KKP invoice with the satker's card through the
real payment services (the card is charged at the simulated bank), then fetches this month's
running bill of the card from the bank, matched line by line against that payment. The small
test world stays offline and gets nothing. Idempotent: a satker card with a bill is left
alone. After the month ends the worker's monthly job fetches the final bill, which the PPK
verifies and the Bendahara pays."""

from __future__ import annotations

import logging

from django_otp.oath import totp

from digipay.accounts import demo as accounts_demo
from digipay.accounts.models import Organisation, User
from digipay.accounts.rules import Role
from digipay.cardbills import services
from digipay.cardbills.models import CardBill
from digipay.core import clock
from digipay.core.errors import DomainError
from digipay.orders.models import PaymentMethod
from digipay.payments import queries as payment_queries
from digipay.payments import services as payments
from digipay.payments.models import BankInstruction
from digipay.payments.rules import InstructionKind, InstructionStatus, Source
from digipay.treasury.models import CardStatus, KkpCard

log = logging.getLogger(__name__)

DEMO_SATKER = "415256"


def _demo_code() -> str:
    """The demo users' current TOTP code (every demo user shares the demo key)."""
    return f"{totp(bytes.fromhex(accounts_demo.DEMO_TOTP_KEY_HEX), step=30, t0=0, digits=6):06d}"


def _charge_the_card(bendahara: User, card: KkpCard) -> None:
    """Pay one verified KKP invoice of the satker with its card, unless the card was already
    charged through Digipay; the outbox sends the charge to the bank now."""
    done = BankInstruction.objects.filter(
        card=card, kind=InstructionKind.CARD_CHARGE, status=InstructionStatus.DONE
    )
    if done.exists():
        return
    invoice = (
        payment_queries.payable_invoices(bendahara)
        .filter(order__payment_method=PaymentMethod.KKP, order__card=card)
        .first()
    )
    if invoice is None:
        return
    payments.pay(bendahara, invoice_ids=[invoice.pk], source=Source.KKP, otp=_demo_code())
    payments.send_due_instructions()


def load(*, full: bool = True) -> CardBill | None:
    """The demo satker's card bill of this month (None in the small world, or when the bank
    could not be reached: the worker fetches bills later)."""
    if not full:
        return None
    satker = Organisation.objects.filter(code=DEMO_SATKER).first()
    card = KkpCard.objects.filter(satker=satker, status=CardStatus.ACTIVE).first()
    bendahara = User.objects.filter(
        organisation=satker, role=Role.BENDAHARA, is_active=True
    ).first()
    if satker is None or card is None or bendahara is None:
        return None
    existing = CardBill.objects.filter(card=card).order_by("-billing_month").first()
    if existing is not None:
        return existing
    today = clock.now().astimezone(clock.JAKARTA).date()
    try:
        _charge_the_card(bendahara, card)
        return services.fetch_bill(bendahara, card, today.replace(day=1))
    except DomainError as exc:
        log.warning("demo card bill not made: %s (%s)", exc.message, exc.code)
        return None
