"""Demo data of replenishment.

Full demo (``make run``) only, when the bank and SPAN simulators answer: the demo satkers get
their PPSPM (the officer who signs SPMs), and satker 415256 completes one GUP Tunai — if the
invoices its Bendahara paid (payments' demo) do not yet reach the policy's threshold, more goods
are bought, received, verified and paid through the real services until they do; then the
Bendahara drafts the SPM-GUP, the PPSPM signs it (sent to SPAN), the KPPN approves it and the
SP2D's credit restores UP Tunai in the ledger. As in payments' demo the TOTP re-authentication
is the one step skipped (it guards a person at a screen; the demo loader is a script).

The small test world is untouched (``full=False`` does nothing): it stays fast and offline.
Loading again changes nothing: a satker with a GUP is left as it is.
"""

from __future__ import annotations

import logging
import time

import httpx
from django.conf import settings

from digipay.accounts import demo as accounts_demo
from digipay.accounts import services as accounts
from digipay.accounts.models import Organisation, User
from digipay.accounts.rules import Role
from digipay.catalog.models import Product
from digipay.catalog.rules import ProductKind, ProductState
from digipay.core import clock
from digipay.invoicing import services as invoicing
from digipay.invoicing.models import Invoice
from digipay.invoicing.rules import InvoiceState
from digipay.orders import services as orders
from digipay.orders.models import CartLine, Order, PaymentMethod
from digipay.payments import demo as payments_demo
from digipay.payments import services as payments
from digipay.payments.models import BankInstruction, TreasurerAccount
from digipay.payments.rules import OPEN_STATUSES, Source
from digipay.replenishment import queries, services
from digipay.replenishment.models import Spm
from digipay.replenishment.rules import CreditState, SpmKind, SpmState

log = logging.getLogger(__name__)

DEMO_SATKERS = ("415256", "652840", "527010")
GUP_SATKER = "415256"
VENDOR = "UMKM-0001"  # CV Sinar Jaya Abadi: small, PKP, domestic products
ROUNDS = 30


def load(*, full: bool = False) -> None:
    if not full:
        return
    for code in DEMO_SATKERS:
        ppspm(code)
    try:
        complete_gup(GUP_SATKER)
    except Exception:  # the demo goes on without a GUP
        log.exception("demo: GUP of %s not made", GUP_SATKER)


def ppspm(code: str) -> User | None:
    """The satker's PPSPM, made by its admin and enrolled in 2FA with the demo key."""
    satker = Organisation.objects.filter(code=code).first()
    if satker is None:
        return None
    found = User.objects.filter(organisation=satker, role=Role.PPSPM, is_active=True).first()
    if found is not None:
        return found
    admin = User.objects.filter(organisation=satker, role=Role.SATKER_ADMIN, is_active=True).first()
    if admin is None:
        return None
    user, _password = accounts.create_user(
        admin,
        organisation=satker,
        email=f"ppspm@{code}.demo.digipay.id",
        full_name=f"PPSPM Satker {code}",
        nik=accounts_demo.demo_nik(880 + DEMO_SATKERS.index(code)),
        role=Role.PPSPM,
        password=accounts_demo.DEMO_PASSWORD,
    )
    accounts_demo.enrol(user)
    return user


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url.rstrip('/')}/health", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _run_outbox() -> None:
    for _round in range(ROUNDS):
        BankInstruction.objects.filter(status__in=OPEN_STATUSES).update(next_attempt_at=clock.now())
        payments.send_due_instructions()
        if not BankInstruction.objects.filter(status__in=OPEN_STATUSES).exists():
            return
        time.sleep(0.2)


def _person(satker: Organisation, role: str) -> User:
    return User.objects.filter(organisation=satker, role=role, is_active=True).order_by("id")[0]


def _buy_and_pay(satker: Organisation, bendahara: User, price_total: int) -> None:
    """Goods of about ``price_total`` (before PPN) from the demo vendor, ordered, approved,
    delivered, received, verified and paid by transfer — each step by its own person."""
    pemesan, pp = _person(satker, Role.PEMESAN), _person(satker, Role.PEJABAT_PENGADAAN)
    ppk, penerima = _person(satker, Role.PPK), _person(satker, Role.PENERIMA_BARANG)
    # The demo Pemesan's cart holds lines of other vendors (orders' demo): set them aside so the
    # checkout makes this one order, and put them back afterwards.
    kept = list(
        CartLine.objects.filter(cart__user=pemesan).values_list("product_id", "quantity", "note")
    )
    CartLine.objects.filter(cart__user=pemesan).delete()
    try:
        _order_and_pay(
            satker, bendahara, price_total, pemesan, pp, ppk, penerima, {p for p, _q, _n in kept}
        )
    finally:
        for product_id, quantity, note in kept:
            orders.add_to_cart(
                pemesan, product=Product.objects.get(pk=product_id), quantity=quantity, note=note
            )


def _order_and_pay(
    satker: Organisation,
    bendahara: User,
    price_total: int,
    pemesan: User,
    pp: User,
    ppk: User,
    penerima: User,
    in_carts: set[int],
) -> None:
    # One order (one vendor, several lines): several same-day orders to one vendor would be
    # a split purchase.
    total = 0
    vendor: User | None = None
    for product in _products():
        if product.pk in in_carts:  # left for the cart's lines put back afterwards
            continue
        if total >= price_total:
            break
        price = int(product.price_idr)
        quantity = min(-(-(price_total - total) // price), int(product.stock or 0))
        if quantity <= 0:
            continue
        orders.add_to_cart(pemesan, product=product, quantity=quantity, note="Demo GUP")
        total += quantity * price
        vendor = User.objects.filter(
            organisation=product.vendor.organisation, role=Role.VENDOR_ADMIN
        ).first()
    if vendor is None or total < price_total:
        raise RuntimeError("the demo vendor has not enough domestic goods in stock")
    [order] = orders.checkout_cart(pemesan)
    orders.submit_order(
        pp,
        order,
        orders.Checkout(
            ppk=ppk,
            payment_method=PaymentMethod.TRANSFER,
            akun="521211",
            funding_source="RM",
            card=None,
            delivery_address="",
        ),
    )
    orders.approve_order(ppk, order)
    orders.confirm_order(vendor, order)
    order = Order.objects.get(pk=order.pk)
    lines = list(order.lines.filter(removed=False))
    orders.ship_order(vendor, order, quantities={x.pk: x.quantity for x in lines})
    orders.receive_order(penerima, order, quantities={x.pk: x.quantity for x in lines})
    invoice = Invoice.objects.get(order=order)
    invoicing.verify_invoice(ppk, invoice)
    ids = [invoice.pk]
    digest = payments.request_digest(ids, Source.UP_TUNAI)
    payments._pay(bendahara, ids, Source.UP_TUNAI, f"demo-gup-{invoice.pk}", digest)
    _run_outbox()
    if Invoice.objects.get(pk=invoice.pk).state != InvoiceState.PAID:
        raise RuntimeError(f"demo invoice {invoice.number} was not paid")


def _products() -> list[Product]:
    """The demo vendor's Ready domestic goods in stock, the largest (price × stock) first."""
    found = Product.objects.filter(
        vendor__organisation__code=VENDOR,
        state=ProductState.READY,
        kind=ProductKind.GOODS,
        is_pdn=True,
        stock__gt=0,
    ).select_related("vendor__organisation")
    return sorted(found, key=lambda p: -int(p.price_idr) * int(p.stock or 0))


def complete_gup(code: str) -> Spm | None:
    satker = Organisation.objects.filter(code=code).select_related("parent").first()
    if satker is None or satker.parent is None:
        return None
    if Spm.objects.filter(satker=satker, kind=SpmKind.GUP).exists():
        return None
    treasurer = TreasurerAccount.objects.filter(satker=satker).first()
    span_url = str(getattr(settings, "DIGIPAY_SPAN_URL", "") or "")
    if treasurer is None or not span_url or not _up(span_url):
        log.warning("demo: SPAN simulator not answering; no GUP made")
        return None
    try:
        payments.gateway_for(treasurer.bank_code)
    except LookupError:  # SPAN up, but no bank profile to pay the goods through
        log.warning("demo: no bank profile for %s; no GUP made", treasurer.bank_code)
        return None
    bendahara = _person(satker, Role.BENDAHARA)
    signer = ppspm(code)
    kppn = User.objects.filter(organisation=satker.parent, role=Role.KPPN_ADMIN).first()
    if signer is None or kppn is None:
        return None
    readiness = queries.gup_readiness(satker)
    if not readiness.ready:
        # Gross includes PPN (11%): buy a little more than the missing part before PPN.
        missing = readiness.threshold_amount - readiness.spent
        _buy_and_pay(satker, bendahara, missing * 100 // 111 + 1_000_000)
        # The Bendahara collected PPN and withheld PPh on it: deposited before the GUP, so the
        # SPM shows their NTPNs.
        payments_demo.pay_and_deposit(code)
    spm = services.draft_gup(bendahara)
    services._record_signature(signer, spm.pk)
    spm = services.submit(spm.pk)
    if spm.state != SpmState.SUBMITTED:
        log.warning("demo: SPM %s not taken by SPAN (%s)", spm.number, spm.last_error)
        return spm
    spm = services.approve_spm(kppn, spm)
    for _round in range(ROUNDS):
        if spm.credit_status == CreditState.CREDITED:
            break
        time.sleep(0.5)
        spm = services.sync_spm(spm.pk)
    return spm
