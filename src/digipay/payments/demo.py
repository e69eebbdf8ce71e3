"""Demo data of payments.

Always: the Bendahara Pengeluaran accounts of the demo satkers, as the bank simulator's demo
config holds them (simulators/banksim/demo_config.json).

Full demo (``make run``), only when the bank and MPN simulators answer: the Bendahara of
satker 415256 pays its verified transfer invoices (real bank transfers, bank references),
then deposits the taxes those payments kept (billing codes, transfers to the state's
receiving account, NTPNs) — all through the real services and worker jobs, run here until
done. The Bendahara's TOTP re-authentication is the one step skipped: it guards a person at
a screen, and the demo loader is a script (the services' locked, checked writes run as is).
Loading again changes nothing: paid invoices and deposited taxes are not touched again.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from digipay.accounts.models import Organisation, User
from digipay.accounts.rules import Role
from digipay.core import clock
from digipay.invoicing.models import Invoice, TaxDeposit
from digipay.invoicing.rules import DepositStatus, InvoiceState
from digipay.payments import deposits, services
from digipay.payments.models import BankInstruction, DepositRequest, TreasurerAccount
from digipay.payments.rules import DEPOSIT_OPEN_STATES, OPEN_STATUSES, DepositState, Source

log = logging.getLogger(__name__)

TREASURER_ACCOUNTS = {
    "415256": ("002", "034601000123307", "BPG 415256 SETDITJEN PERBENDAHARAAN"),
    "652840": ("008", "1230007654321", "BPG 652840 BBPJN JAKARTA-BANTEN"),
    "527010": ("009", "0987654321", "BPG 527010 POLTEKKES KEMENKES BANDUNG"),
}
DEMO_SATKER = "415256"
PAY_AT_MOST = 4  # invoices the demo Bendahara pays (the rest stay for the user to pay)
ROUNDS = 20


def load(*, full: bool = False) -> None:
    for code, (bank_code, account_no, holder) in TREASURER_ACCOUNTS.items():
        satker = Organisation.objects.filter(code=code).first()
        if satker is None:
            continue
        TreasurerAccount.objects.get_or_create(
            satker=satker,
            defaults={"bank_code": bank_code, "account_no": account_no, "holder_name": holder},
        )
    if full:
        try:
            pay_and_deposit(DEMO_SATKER)
        except Exception:  # the demo goes on without paid invoices
            log.exception("demo: payments and tax deposits of %s not made", DEMO_SATKER)


def _admin_url(bank_code: str) -> str | None:
    """The bank simulator's base URL, from the bank's profile (``…:8100/002`` → ``…:8100``)."""
    from digipay.integrations.banks import registry

    profile = registry.profile(bank_code)
    if profile is None:
        return None
    parts = urlsplit(profile.base_url)
    return f"{parts.scheme}://{parts.netloc}"


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _open_receiving_account(bank_url: str, bank_code: str) -> None:
    """The state's receiving account at the bank simulator (created if it is missing)."""
    found = deposits.receiving_account(bank_code)
    if found is None:
        return
    account_no, name = found
    answer = httpx.get(f"{bank_url}/admin/accounts/{bank_code}/{account_no}", timeout=5.0)
    if answer.status_code == 200:
        return
    httpx.put(
        f"{bank_url}/admin/accounts/{bank_code}/{account_no}",
        json={"name": name, "notify": False},
        timeout=5.0,
    ).raise_for_status()


def _run_jobs(until_done: list[int]) -> None:
    """Run the outbox and the deposit job until the payments and deposits are settled."""
    for _round in range(ROUNDS):
        BankInstruction.objects.filter(status__in=OPEN_STATUSES).update(next_attempt_at=clock.now())
        DepositRequest.objects.filter(state__in=(DepositState.BILLING, DepositState.REPORT)).update(
            next_attempt_at=clock.now()
        )
        services.send_due_instructions()
        deposits.advance_deposits()
        open_payments = BankInstruction.objects.filter(status__in=OPEN_STATUSES).exists()
        open_deposits = DepositRequest.objects.filter(
            pk__in=until_done, state__in=DEPOSIT_OPEN_STATES
        ).exists()
        if not open_payments and not open_deposits:
            return
        time.sleep(0.2)


def pay_and_deposit(code: str) -> None:
    satker = Organisation.objects.filter(code=code).first()
    treasurer = TreasurerAccount.objects.filter(satker=satker).first() if satker else None
    bendahara = (
        User.objects.filter(organisation=satker, role=Role.BENDAHARA, is_active=True).first()
        if satker
        else None
    )
    if satker is None or treasurer is None or bendahara is None:
        return
    bank_url = _admin_url(treasurer.bank_code)
    mpn_url = str(getattr(settings, "DIGIPAY_MPN_URL", "") or "")
    if not bank_url or not _up(bank_url) or not mpn_url or not _up(mpn_url):
        log.warning("demo: bank or MPN simulator not answering; no payments or deposits made")
        return
    _open_receiving_account(bank_url, treasurer.bank_code)

    payable = list(
        Invoice.objects.filter(
            satker=satker, state=InvoiceState.VERIFIED, payment_method="TRANSFER"
        )
        .exclude(payment_lines__active=True)
        .order_by("invoice_date", "id")[:PAY_AT_MOST]
    )
    if payable and not Invoice.objects.filter(satker=satker, state=InvoiceState.PAID).exists():
        for invoice in payable:  # one payment each: several payments on the list
            ids = [invoice.pk]
            digest = services.request_digest(ids, Source.UP_TUNAI)
            services._pay(bendahara, ids, Source.UP_TUNAI, f"demo-pay-{invoice.pk}", digest)
        _run_jobs([])

    open_deposits = list(
        TaxDeposit.objects.filter(
            satker=satker,
            status=DepositStatus.OPEN,
            amount_idr__gt=0,
            invoice__state=InvoiceState.PAID,
        ).values_list("pk", flat=True)
    )
    if not open_deposits:
        return
    made = deposits._deposit(bendahara, open_deposits, "", deposits.request_digest(open_deposits))
    _run_jobs([r.pk for r in made])
