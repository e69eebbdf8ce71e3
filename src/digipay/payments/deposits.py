"""Tax deposits through the MPN (decision: docs/adr/0021-treasurer-transfers-deposits-refunds.md).

``deposit_taxes``: the Bendahara, re-authenticated by TOTP, asks to deposit one or several
open ``TaxDeposit`` rows of her satker. One transaction: lock, check, mark them PROCESSING and
write one ``DepositRequest`` each (state BILLING). Nothing is sent here.

``advance_deposits`` (the worker's job) moves each request, outside any transaction for the
network calls:

1. BILLING → ask the MPN for a billing code (``create_billing``, keyed by the request's own
   reference; after a try whose outcome is unknown, ``billing_by_reference`` first), then —
   in one transaction — queue the transfer of the amount from the treasurer's account to the
   state's receiving account at the treasurer's bank (``services.instruct_transfer``, purpose
   TAX_DEPOSIT, held Dr TAX_PAYABLE:<tax> / Cr UP_TUNAI). State TRANSFER.
2. TRANSFER → the payments outbox sends it; its settle listener (``on_settled``) moves the
   request to REPORT (success, with the bank's reference) or FAILED (the deposit opens again).
3. REPORT → report the payment (``pay_billing`` with the bank code and reference) for the
   NTPN; after an unknown outcome, ``billing_status`` first (PAID with our reference: done).
   The deposit is then PAID (deposited) with its billing code, NTPN, NTB and date.

A crash at any point leaves a request whose next pass asks before it acts: no second billing,
no second transfer, no second report.

A billing found expired, or expiring within ``BILLING_MARGIN``, before the transfer is
instructed is not paid: the request takes a new reference and asks for a new billing code. If
the MPN refuses the payment report after the money left (the billing expired meanwhile, a
conflict), the request goes to NEEDS_ATTENTION, shown on the deposits page, and the
Bendahara is notified: a person settles it with the MPN/KPPN.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from digipay.accounts.auth import check_second_factor
from digipay.accounts.models import Organisation, User
from digipay.accounts.permissions import require
from digipay.accounts.rules import Role
from digipay.accounts.services import audit
from digipay.core import clock
from digipay.core.errors import Conflict, NotFound, ValidationFailed
from digipay.integrations.mpn import client as mpn
from digipay.integrations.mpn.errors import MpnOutcomeUnknown, MpnRejected, MpnUnavailable
from digipay.invoicing import services as invoicing
from digipay.invoicing.models import TaxDeposit
from digipay.invoicing.rules import InvoiceState
from digipay.notifications.services import notify
from digipay.payments import rules, services
from digipay.payments.models import BankInstruction, DepositRequest, Payment, TreasurerAccount
from digipay.payments.rules import DEPOSIT_OPEN_STATES, DepositState, Purpose
from digipay.treasury import chart

log = logging.getLogger(__name__)

BATCH_SIZE = 20

# A billing that expires sooner than this is not paid: the transfer and the report may take
# that long (outbox retries, the bank's back-off).
BILLING_MARGIN = timedelta(hours=6)

# The state's receiving account for tax receipts at each collecting bank (bank persepsi): the
# Bendahara's bank receives the deposit there and reports it to the MPN. Override with the
# setting DIGIPAY_MPN_RECEIVING_ACCOUNTS {bank code: [account no, name]}; the demo bank
# simulator gets these accounts from payments.demo (docs/mpnsim.md).
DEFAULT_RECEIVING_ACCOUNTS: dict[str, tuple[str, str]] = {
    "002": ("000001990000021", "KAS NEGARA PENERIMAAN MPN BRI"),
    "008": ("1990000000021", "KAS NEGARA PENERIMAAN MPN MANDIRI"),
    "009": ("0199000021", "KAS NEGARA PENERIMAAN MPN BNI"),
    "200": ("0001990000000021", "KAS NEGARA PENERIMAAN MPN BTN"),
}


def receiving_account(bank_code: str) -> tuple[str, str] | None:
    configured = getattr(settings, "DIGIPAY_MPN_RECEIVING_ACCOUNTS", None) or {}
    found = configured.get(bank_code) or DEFAULT_RECEIVING_ACCOUNTS.get(bank_code)
    return (str(found[0]), str(found[1])) if found else None


def _default_mpn() -> mpn.MpnClient:
    return mpn.MpnClient.from_settings()


# The MPN client the worker uses (tests point it at a simulator on loopback).
mpn_client: Callable[[], mpn.MpnClient] = _default_mpn


# --- the Bendahara's request ------------------------------------------------------------------


def request_digest(deposit_ids: Sequence[int]) -> str:
    return hashlib.sha256(json.dumps(sorted(deposit_ids)).encode()).hexdigest()


def deposit_taxes(
    actor: User, *, deposit_ids: Sequence[int], otp: str, request_key: str = ""
) -> list[DepositRequest]:
    """The Bendahara deposits ``deposit_ids`` after re-entering her TOTP code. With a
    ``request_key`` a repeat returns the first requests; another body with it is refused."""
    ids = [int(i) for i in deposit_ids]
    digest = request_digest(ids)
    if request_key:
        found = list(
            DepositRequest.objects.filter(requested_by=actor, request_key=request_key).order_by(
                "id"
            )
        )
        if found:
            if found[0].request_digest != digest:
                raise ValidationFailed(
                    _("Idempotency-Key ini sudah dipakai untuk permintaan lain."),
                    code="idempotency_key_reused",
                )
            return found
    check_second_factor(actor, otp)
    return _deposit(actor, ids, request_key, digest)


@transaction.atomic
def _deposit(actor: User, ids: list[int], request_key: str, digest: str) -> list[DepositRequest]:
    if problem := rules.deposit_batch_error(ids):
        raise ValidationFailed(problem, details={"field": "deposits"})
    deposits = list(
        TaxDeposit.objects.select_for_update(of=("self",))
        .select_related("invoice")
        .filter(pk__in=ids)
        .order_by("id")
    )
    if len(deposits) != len(ids):
        raise NotFound(_("Setoran pajak tidak ditemukan."))
    for deposit in deposits:
        require(actor, "tax_deposit.pay", deposit)  # tenant and role
    satker_ids = {int(d.satker_id) for d in deposits}
    if len(satker_ids) != 1:
        raise ValidationFailed(_("Semua setoran harus milik satu satker."), code="mixed_satker")
    satker = Organisation.objects.get(pk=satker_ids.pop())
    treasurer = TreasurerAccount.objects.filter(satker=satker).first()
    if treasurer is None:
        raise Conflict(
            _("Rekening Bendahara Pengeluaran satker belum terdaftar."), code="no_treasurer_account"
        )
    if receiving_account(treasurer.bank_code) is None:
        raise Conflict(
            _("Bank Bendahara belum terdaftar sebagai bank persepsi penerimaan negara."),
            code="no_receiving_account",
        )
    now = clock.now()
    made = []
    for deposit in deposits:
        if deposit.invoice.state != InvoiceState.PAID:
            # The tax is withheld/collected when the invoice is paid (TAX_PAYABLE is credited
            # then): before that there is nothing in the treasurer's account to deposit.
            raise Conflict(
                _("Tagihan %(number)s belum dibayar; pajaknya belum dipungut.")
                % {"number": deposit.invoice.number},
                code="invoice_not_paid",
            )
        invoicing.start_deposit(deposit)  # OPEN and positive, or refused
        request = DepositRequest.objects.create(
            deposit=deposit,
            satker=satker,
            amount_idr=deposit.amount_idr,
            reference=rules.mpn_reference(satker.code, secrets.token_hex(8).upper()),
            requested_by=actor,
            request_key=request_key,
            request_digest=digest,
            next_attempt_at=now,
            created_at=now,
        )
        made.append(request)
        audit(
            actor,
            "tax_deposit.requested",
            request,
            after={
                "deposit": deposit.pk,
                "tax": deposit.tax,
                "amount_idr": deposit.amount_idr,
                "reference": request.reference,
            },
        )
    return made


# --- the worker -------------------------------------------------------------------------------


def advance_deposits(now: datetime | None = None) -> int:
    """The worker's job: one step for every due request; returns how many were handled."""
    done = 0
    for _round in range(100):
        claimed = _claim(now or clock.now())
        if not claimed:
            break
        for request_id, state, attempts in claimed:
            try:
                if state == DepositState.BILLING:
                    _billing(request_id, attempts)
                elif state == DepositState.REPORT:
                    _report(request_id, attempts)
            except Exception:  # one bad row must not stop the others; it is retried later
                log.exception("deposit request %s failed to advance", request_id)
            done += 1
        if len(claimed) < BATCH_SIZE:
            break
    return done


@transaction.atomic
def _claim(now: datetime) -> list[tuple[int, str, int]]:
    """Take due requests (skipping those another worker holds) and push their next try into
    the future before any network call: a crash mid-call leaves the row to be asked about."""
    rows = list(
        DepositRequest.objects.select_for_update(skip_locked=True)
        .filter(state__in=(DepositState.BILLING, DepositState.REPORT), next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")[:BATCH_SIZE]
    )
    claimed = []
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = now + timedelta(seconds=rules.deposit_delay(row.attempts))
        row.save(update_fields=["attempts", "next_attempt_at"])
        claimed.append((row.pk, row.state, row.attempts))
    return claimed


def _billing_request(request: DepositRequest) -> mpn.BillingRequest | None:
    deposit = request.deposit
    invoice = deposit.invoice
    satker = request.satker
    payer = rules.taxpayer(invoice.vendor_npwp, satker.npwp, satker.nitku)
    if payer is None:
        return None
    npwp, nitku = payer
    name = invoice.vendor.business_name if payer[0] == rules.npwp16(invoice.vendor_npwp) else ""
    account, kind = mpn.deposit_codes(deposit.tax)
    return mpn.BillingRequest(
        reference=request.reference,
        npwp=npwp,
        nitku=nitku,
        name=(name or satker.name)[:100],
        tax_account=account,
        deposit_type=kind,
        period_month=deposit.tax_period.month,
        period_year=deposit.tax_period.year,
        amount_idr=int(request.amount_idr),
    )


def _billing(request_id: int, attempts: int) -> None:
    request = DepositRequest.objects.select_related(
        "deposit", "deposit__invoice", "deposit__invoice__vendor", "satker"
    ).get(pk=request_id)
    body = _billing_request(request)
    if body is None:
        _fail(request_id, _("NPWP vendor dan satker tidak tersedia untuk kode billing."))
        return
    created = False
    try:
        with mpn_client() as client:
            billing = None
            if attempts > 1:
                # An earlier try may have made it: ask before creating again.
                billing = client.billing_by_reference(request.reference)
            if billing is None:
                billing = client.create_billing(body)
                created = True
    except MpnRejected as exc:
        _fail(
            request_id,
            _("MPN menolak kode billing: %(why)s (%(code)s).") % {"why": exc, "code": exc.code},
        )
        return
    except (MpnOutcomeUnknown, MpnUnavailable) as exc:
        _note(request_id, f"{type(exc).__name__}: {exc}")
        return
    if billing.amount_idr != request.amount_idr:
        _fail(request_id, _("Jumlah kode billing tidak sama dengan setoran."))
        return
    if rules.billing_too_late(
        expired=billing.status == mpn.BillingStatus.EXPIRED,
        expires_at=billing.expires_at,
        now=clock.now(),
        margin=BILLING_MARGIN,
    ):
        if created:
            # A fresh billing that already cannot be paid in time: the MPN's lifetime is too
            # short for us; do not loop asking for new ones.
            _fail(
                request_id,
                _("Kode billing %(code)s kedaluwarsa sebelum dapat dibayar.")
                % {"code": billing.billing_code},
            )
        else:
            _rebill(request_id, billing.billing_code)
        return
    _instruct(request_id, billing)


@transaction.atomic
def _rebill(request_id: int, expired_code: str) -> None:
    """The billing found is expired (or about to): never send money against it. A new
    reference makes the next pass ask for a new billing code."""
    request = DepositRequest.objects.select_for_update().get(pk=request_id)
    if request.state != DepositState.BILLING:
        return
    old = request.reference
    request.reference = rules.mpn_reference(request.satker.code, secrets.token_hex(8).upper())
    request.attempts = 0
    request.next_attempt_at = clock.now()
    request.last_error = (
        _("Kode billing %(code)s kedaluwarsa; meminta kode billing baru.") % {"code": expired_code}
    )[:300]
    request.save(update_fields=["reference", "attempts", "next_attempt_at", "last_error"])
    audit(
        None,
        "tax_deposit.rebilled",
        request,
        after={
            "expired_billing": expired_code,
            "old_reference": old,
            "reference": request.reference,
        },
    )


@transaction.atomic
def _instruct(request_id: int, billing: mpn.Billing) -> None:
    """The billing code is known: queue the transfer to the state's receiving account, in the
    same transaction that records the code (so a crash leaves neither or both)."""
    request = DepositRequest.objects.select_for_update().get(pk=request_id)
    if request.state != DepositState.BILLING:
        return
    deposit = TaxDeposit.objects.select_for_update().get(pk=request.deposit_id)
    satker = Organisation.objects.get(pk=request.satker_id)
    treasurer = TreasurerAccount.objects.get(satker=satker)
    receiving = receiving_account(treasurer.bank_code)
    if receiving is None:
        raise Conflict(_("Bank Bendahara bukan bank persepsi."), code="no_receiving_account")
    account_no, name = receiving
    amount = int(request.amount_idr)
    payment = services.instruct_transfer(
        request.requested_by,
        satker=satker,
        purpose=Purpose.TAX_DEPOSIT,
        purpose_ref=f"payments.depositrequest:{request.pk}",
        beneficiary_bank_code=treasurer.bank_code,
        beneficiary_account=account_no,
        beneficiary_name=name,
        amount_idr=amount,
        remark=f"MPN {billing.billing_code}",
        legs=[
            (chart.tax_payable(satker, deposit.tax).pk, amount),
            (chart.satker_book(satker).up_tunai.pk, -amount),
        ],
        reason_code="TAX_DEPOSIT",
    )
    request.billing_code = billing.billing_code
    request.billing_expires_at = billing.expires_at
    request.payment = payment
    request.state = DepositState.TRANSFER
    request.attempts = 0
    request.last_error = ""
    request.save()
    deposit.billing_code = billing.billing_code
    deposit.save(update_fields=["billing_code"])


def on_settled(payment: Payment, ins: BankInstruction, succeeded: bool, reason: str) -> None:
    """The transfer's outcome (inside the settling transaction, the hold already resolved)."""
    request = DepositRequest.objects.select_for_update().filter(payment=payment).first()
    if request is None or request.state != DepositState.TRANSFER:
        return
    if succeeded:
        request.state = DepositState.REPORT
        request.bank_code = ins.bank_code
        request.bank_reference = ins.bank_reference
        request.attempts = 0
        request.next_attempt_at = clock.now()
        request.save()
        return
    _fail_locked(request, _("Transfer setoran gagal: %(why)s") % {"why": reason})


def _report(request_id: int, attempts: int) -> None:
    request = DepositRequest.objects.get(pk=request_id)
    if request.state != DepositState.REPORT:
        return
    try:
        with mpn_client() as client:
            billing = None
            if attempts > 1:
                # An earlier report may have been recorded: ask first.
                status = client.billing_status(request.billing_code)
                if status.status == mpn.BillingStatus.PAID:
                    billing = status
            if billing is None:
                billing = client.pay_billing(
                    request.billing_code,
                    amount_idr=int(request.amount_idr),
                    bank_code=request.bank_code,
                    bank_reference=request.bank_reference,
                )
    except MpnRejected as exc:
        # The money is at the state's account: a person must look (expired, conflict).
        _attention(
            request_id,
            _("MPN menolak laporan pembayaran: %(why)s (%(code)s).")
            % {"why": exc, "code": exc.code},
        )
        return
    except (MpnOutcomeUnknown, MpnUnavailable) as exc:
        _note(request_id, f"{type(exc).__name__}: {exc}")
        return
    if (billing.bank_code, billing.bank_reference) != (request.bank_code, request.bank_reference):
        _attention(request_id, _("Kode billing dibayar dengan referensi lain; periksa di MPN."))
        return
    _record(request_id, billing)


@transaction.atomic
def _record(request_id: int, billing: mpn.Billing) -> None:
    request = DepositRequest.objects.select_for_update().get(pk=request_id)
    if request.state != DepositState.REPORT:
        return
    deposit = (
        TaxDeposit.objects.select_for_update().select_related("invoice").get(pk=request.deposit_id)
    )
    paid_at = billing.paid_at or clock.now()
    request.state = DepositState.DONE
    request.ntpn = billing.ntpn or ""
    request.ntb = billing.ntb or ""
    request.paid_at = paid_at
    request.finished_at = clock.now()
    request.last_error = ""
    request.save()
    invoicing.record_deposit(
        deposit,
        billing_code=request.billing_code,
        ntpn=request.ntpn,
        ntb=request.ntb,
        bank_reference=request.bank_reference,
        deposited_on=paid_at.astimezone(clock.JAKARTA).date(),
    )
    audit(
        None,
        "tax_deposit.deposited",
        request,
        after={"deposit": deposit.pk, "billing_code": request.billing_code, "ntpn": request.ntpn},
    )
    notify(
        [request.requested_by],
        title=_("Pajak disetor"),
        body=_("Setoran %(tax)s Rp%(amount)s tagihan %(invoice)s: NTPN %(ntpn)s.")
        % {
            "tax": deposit.get_tax_display(),
            "amount": f"{request.amount_idr:,}".replace(",", "."),
            "invoice": deposit.invoice.number,
            "ntpn": request.ntpn,
        },
        link=f"/pembayaran/setoran-pajak/{request.pk}/bukti/",
    )


@transaction.atomic
def _note(request_id: int, error: str) -> None:
    DepositRequest.objects.filter(pk=request_id, state__in=DEPOSIT_OPEN_STATES).update(
        last_error=error[:300]
    )


@transaction.atomic
def _attention(request_id: int, reason: str) -> None:
    """The money left the treasurer's account but the MPN will not give the NTPN: the worker
    stops; the Bendahara settles it with the MPN/KPPN (the deposit stays PROCESSING)."""
    request = (
        DepositRequest.objects.select_for_update()
        .select_related("deposit", "deposit__invoice")
        .get(pk=request_id)
    )
    if request.state != DepositState.REPORT:
        return
    request.state = DepositState.NEEDS_ATTENTION
    request.last_error = reason[:300]
    request.save(update_fields=["state", "last_error"])
    audit(
        None,
        "tax_deposit.needs_attention",
        request,
        after={
            "deposit": request.deposit_id,
            "billing_code": request.billing_code,
            "bank_reference": request.bank_reference,
            "reason": reason,
        },
    )
    deposit = request.deposit
    notify(
        User.objects.filter(
            Q(organisation_id=request.satker_id, role=Role.BENDAHARA, is_active=True)
            | Q(pk=request.requested_by_id)
        ),
        title=_("Setoran pajak perlu tindakan"),
        body=_(
            "Setoran %(tax)s Rp%(amount)s tagihan %(invoice)s sudah ditransfer (referensi bank "
            "%(ref)s) tetapi NTPN tidak terbit: %(why)s Selesaikan dengan MPN/KPPN."
        )
        % {
            "tax": deposit.get_tax_display(),
            "amount": f"{request.amount_idr:,}".replace(",", "."),
            "invoice": deposit.invoice.number,
            "ref": request.bank_reference,
            "why": reason,
        },
        link="/pembayaran/setoran-pajak/?status=PROCESSING",
    )


@transaction.atomic
def _fail(request_id: int, reason: str) -> None:
    request = DepositRequest.objects.select_for_update().get(pk=request_id)
    if request.state != DepositState.BILLING:
        return
    _fail_locked(request, reason)


def _fail_locked(request: DepositRequest, reason: str) -> None:
    """Nothing reached the state: the deposit opens again for another request."""
    request.state = DepositState.FAILED
    request.last_error = reason[:300]
    request.finished_at = clock.now()
    request.save()
    deposit = (
        TaxDeposit.objects.select_for_update().select_related("invoice").get(pk=request.deposit_id)
    )
    invoicing.reopen_deposit(deposit)
    audit(None, "tax_deposit.failed", request, after={"reason": reason})
    notify(
        [request.requested_by],
        title=_("Setoran pajak gagal"),
        body=_("Setoran %(tax)s tagihan %(invoice)s gagal: %(why)s Setoran dapat diulang.")
        % {"tax": deposit.get_tax_display(), "invoice": deposit.invoice.number, "why": reason},
        link="/pembayaran/setoran-pajak/",
    )


__all__ = [
    "advance_deposits",
    "deposit_taxes",
    "on_settled",
    "receiving_account",
]
