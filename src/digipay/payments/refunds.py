"""Refunds: money a vendor owes back for goods returned after payment (decision:
docs/adr/0021-treasurer-transfers-deposits-refunds.md).

``request_refund``: the PPK records it against a paid invoice — the returned quantities, an
amount no more than what was paid for them, a reason — with a short reference the vendor
quotes in its transfer to the treasurer's account.

``match_refunds`` (the worker's job): credits on a treasurer's account (the bank's
notifications, stored by ``integrations`` as statement lines) that quote an expected refund's
reference are examined once each: the right amount settles the refund (Dr UP_TUNAI /
Cr EXPENSE:<akun>, the UP is restored), another amount or a second credit is flagged for a
person, never matched silently.

A flagged credit is resolved by the PPK (gate ``refund.request``, audited): ``accept_credit``
posts what it brought (Dr UP_TUNAI / Cr EXPENSE, never more than is still due; instalments
add up until the refund is RECEIVED), ``cancel_refund`` gives up the rest of an expected
refund, with a reason.

``on_refund_check``: another app registers a check that may refuse a new refund of an invoice
(replenishment: an invoice already listed in a live SPM).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from digipay.accounts.models import Organisation, User
from digipay.accounts.permissions import require
from digipay.accounts.rules import Role
from digipay.accounts.services import audit
from digipay.core import clock
from digipay.core.errors import Conflict, NotFound, ValidationFailed
from digipay.integrations.models import BankNotification, StatementLine
from digipay.invoicing import queries as invoicing_queries
from digipay.invoicing.models import Invoice, InvoiceLine
from digipay.invoicing.rules import InvoiceState
from digipay.ledger import services as ledger
from digipay.ledger.rules import Leg
from digipay.notifications.services import notify
from digipay.orders.models import Complaint
from digipay.payments import rules
from digipay.payments.models import PaymentInvoice, Refund, RefundCredit, TreasurerAccount
from digipay.payments.rules import RefundState
from digipay.treasury import chart

log = logging.getLogger(__name__)

# How long after its receipt a refund's reference is still watched for a second credit.
WATCH_AFTER = timedelta(days=35)


# Checks another app registered: each may refuse a new refund of an invoice with a message.
# A module-level list, so a test can monkeypatch it (``monkeypatch.setattr(refunds,
# "REFUND_CHECKS", [...])``).
RefundCheck = Callable[[Invoice], "str | None"]
REFUND_CHECKS: list[RefundCheck] = []


def on_refund_check(check: Callable[[Invoice], str | None]) -> None:
    """Register ``check``: ``request_refund`` refuses (Conflict ``refund_blocked``, the message
    returned) when it returns a message for the invoice. Registering twice is harmless."""
    if check not in REFUND_CHECKS:
        REFUND_CHECKS.append(check)


def _rupiah(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def new_reference() -> str:
    """``RF`` and ten random digits: short enough for any transfer remark, unguessable enough
    that a stray credit does not quote it by chance."""
    return "RF" + "".join(secrets.choice("0123456789") for _i in range(10))


@transaction.atomic
def request_refund(
    actor: User,
    *,
    invoice_id: int,
    returned: Mapping[int, int],
    amount_idr: int,
    reason: str,
    complaint_id: int | None = None,
) -> Refund:
    """The PPK records a refund due from the vendor of a paid invoice for the returned
    ``{invoice line id: quantity}``."""
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("vendor", "vendor__organisation")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        raise NotFound(_("Tagihan tidak ditemukan."))
    require(actor, "refund.request", invoice)
    if invoice.state != InvoiceState.PAID:
        raise Conflict(
            _("Pengembalian hanya untuk tagihan yang sudah dibayar."), code="invoice_not_paid"
        )
    if complaint_id is not None:
        complaint = Complaint.objects.filter(pk=complaint_id, order_id=invoice.order_id).first()
        if complaint is None:
            raise ValidationFailed(
                _("Komplain tidak ditemukan pada pesanan tagihan ini."),
                details={"field": "complaint_id"},
            )
    for check in list(REFUND_CHECKS):
        if message := check(invoice):
            raise Conflict(message, code="refund_blocked")
    payment_line = PaymentInvoice.objects.filter(invoice=invoice, active=True).first()
    if payment_line is None:
        raise Conflict(_("Pembayaran tagihan ini tidak ditemukan."), code="invoice_not_paid")
    earlier = list(Refund.objects.filter(invoice=invoice))
    already: dict[int, int] = {}
    asked = 0  # what earlier refunds ask back (a cancelled one: only what it brought)
    for one in earlier:
        if one.state == RefundState.CANCELLED:
            asked += int(one.received_idr)
            if not one.received_idr:
                continue  # nothing came back: its goods may be refunded again
        else:
            asked += int(one.amount_idr)
        for line_id, qty in dict(one.quantities).items():
            already[int(line_id)] = already.get(int(line_id), 0) + int(qty)
    # What was paid for each line: what is left of it after the credit notes (its base and
    # its PPN share), the units left after them.
    left = invoicing_queries.balances(invoice)
    lines = {}
    for line in InvoiceLine.objects.filter(invoice=invoice):
        balance = left.get(line.pk)
        base, quantity = (balance.value, balance.quantity) if balance else (0, 0)
        ppn = int(line.ppn_idr) * base // int(line.base_idr) if int(line.base_idr) else 0
        lines[line.pk] = rules.RefundLine(line.pk, quantity, base + ppn, already.get(line.pk, 0))
    try:
        wanted = {int(k): v for k, v in returned.items()}
    except (TypeError, ValueError):
        raise ValidationFailed(
            _("Baris tagihan tidak dikenal."), details={"field": "returned"}
        ) from None
    cap = rules.refund_cap(lines, wanted)
    if isinstance(cap, str):
        raise ValidationFailed(cap, details={"field": "returned"})
    # Never more than the payment brought the vendor, less what earlier refunds ask back.
    cap = max(0, min(cap, int(payment_line.gross_idr) - asked))
    if problem := rules.refund_error(amount_idr, cap, reason):
        raise ValidationFailed(problem, details={"field": "amount_idr"})
    satker = Organisation.objects.select_for_update().get(pk=invoice.satker_id)
    now = clock.now()
    prefix = f"RFD/{satker.code}/{now.astimezone(clock.JAKARTA).year}/"
    count = Refund.objects.filter(number__startswith=prefix).count()
    refund = Refund.objects.create(
        number=f"{prefix}{count + 1:05d}",
        reference=new_reference(),
        invoice=invoice,
        satker=satker,
        vendor=invoice.vendor,
        complaint_id=complaint_id,
        amount_idr=amount_idr,
        quantities={str(k): v for k, v in sorted(wanted.items())},
        reason=" ".join(reason.split()),
        requested_by=actor,
        created_at=now,
    )
    audit(actor, "refund.requested", refund, after=refund.audit_state())
    treasurer = TreasurerAccount.objects.filter(satker=satker).first()
    where = (
        _("rekening Bendahara %(bank)s %(account)s")
        % {"bank": treasurer.bank_code, "account": treasurer.account_no}
        if treasurer
        else _("rekening Bendahara satker")
    )
    notify(
        User.objects.filter(
            organisation_id=invoice.vendor.organisation_id,
            role__in=(Role.VENDOR_ADMIN, Role.VENDOR_STAFF),
            is_active=True,
        ),
        title=_("Pengembalian dana diminta"),
        body=_(
            "Satker %(satker)s meminta pengembalian Rp%(amount)s atas tagihan %(invoice)s. "
            "Transfer ke %(where)s dengan berita %(reference)s."
        )
        % {
            "satker": satker.name,
            "amount": _rupiah(amount_idr),
            "invoice": invoice.number,
            "where": where,
            "reference": refund.reference,
        },
        link=f"/pembayaran/pengembalian/{refund.pk}/",
    )
    return refund


# --- reads ------------------------------------------------------------------------------------


def visible_refunds(actor: User) -> QuerySet[Refund]:
    """The satker's refunds for its users; its own for a vendor (the gate decides roles)."""
    require(actor, "refund.view")
    found = Refund.objects.select_related("invoice", "vendor", "satker")
    if actor.role in (Role.VENDOR_ADMIN, Role.VENDOR_STAFF):
        return found.filter(vendor__organisation_id=actor.organisation_id)
    return found.filter(satker_id=actor.organisation_id)


def refund_for(actor: User, refund_id: int) -> Refund:
    refund = visible_refunds(actor).filter(pk=refund_id).first()
    if refund is None:
        raise NotFound(_("Pengembalian tidak ditemukan."))
    if actor.role in (Role.VENDOR_ADMIN, Role.VENDOR_STAFF):
        require(actor, "refund.view", refund.vendor_view())
    else:
        require(actor, "refund.view", refund)
    return refund


# --- matching credits -------------------------------------------------------------------------


def _remark(line: StatementLine) -> str:
    """The remark the payer wrote, as the bank notified it (kept raw by integrations)."""
    notification = BankNotification.objects.filter(
        bank_code=line.bank_code, event_id=line.event_id
    ).first()
    if notification is None:
        return ""
    try:
        body = json.loads(notification.raw_body)
    except ValueError:
        return ""
    return str(body.get("remark") or "") if isinstance(body, dict) else ""


def match_refunds(now: datetime | None = None) -> int:
    """The worker's job: examine the credits on treasurer accounts that may settle an expected
    refund; returns how many credits quoted a refund reference."""
    # Expected refunds, and those received lately: a second credit quoting one is flagged.
    # Cancelled lately: a credit quoting one is flagged too (never posted).
    since_watch = (now or clock.now()) - WATCH_AFTER
    watch = (
        Q(state=RefundState.EXPECTED)
        | Q(received_at__gte=since_watch)
        | Q(cancelled_at__gte=since_watch)
    )
    expected = list(Refund.objects.filter(watch).values_list("satker_id", "created_at"))
    if not expected:
        return 0
    since = min(created for _s, created in expected) - timedelta(days=1)
    accounts = list(
        TreasurerAccount.objects.filter(satker_id__in={s for s, _c in expected}).values_list(
            "satker_id", "bank_code", "account_no"
        )
    )
    seen = set(RefundCredit.objects.values_list("statement_line_id", flat=True))
    handled = 0
    for satker_id, bank_code, account_no in accounts:
        lines = StatementLine.objects.filter(
            bank_code=bank_code, account_no=account_no, direction="C", booked_at__gte=since
        ).order_by("booked_at", "id")
        for line in lines:
            if line.pk in seen:
                continue
            remark = _remark(line)
            refs = Refund.objects.filter(satker_id=satker_id).values_list("pk", "reference")
            found = [
                pk
                for pk, reference in refs
                if rules.quotes(reference, remark, line.partner_reference_no)
            ]
            if len(found) != 1:
                continue  # not a refund (or ambiguous: left for a person)
            try:
                _settle(found[0], line.pk)
            except Exception:  # retried next time; one bad credit must not stop the others
                log.exception("refund credit %s failed", line.pk)
                continue
            handled += 1
    return handled


@transaction.atomic
def _settle(refund_id: int, line_id: int) -> None:
    refund = Refund.objects.select_for_update().select_related("invoice__order").get(pk=refund_id)
    line = StatementLine.objects.get(pk=line_id)
    if RefundCredit.objects.filter(statement_line_id=line_id).exists():
        return  # examined already (another worker, or a replay)
    now = clock.now()
    amount = int(line.amount_idr)
    due = refund.remaining_idr
    note = ""
    if refund.state == RefundState.RECEIVED:
        note = _("Kredit kedua dengan referensi %(ref)s (Rp%(amount)s): periksa.") % {
            "ref": refund.reference,
            "amount": _rupiah(amount),
        }
    elif refund.state == RefundState.CANCELLED:
        note = _(
            "Kredit Rp%(amount)s dengan referensi %(ref)s untuk pengembalian yang dibatalkan: "
            "periksa."
        ) % {"ref": refund.reference, "amount": _rupiah(amount)}
    elif amount != due:
        note = _("Kredit Rp%(got)s dengan referensi %(ref)s, seharusnya Rp%(want)s: periksa.") % {
            "got": _rupiah(amount),
            "ref": refund.reference,
            "want": _rupiah(due),
        }
    RefundCredit.objects.create(
        refund=refund,
        statement_line_id=line_id,
        amount_idr=amount,
        matched=not note,
        note=note,
        created_at=now,
    )
    if note:
        refund.flag = note[:300]
        refund.save(update_fields=["flag"])
        audit(None, "refund.flagged", refund, after={"line": line_id, "note": note})
        notify(
            User.objects.filter(
                organisation_id=refund.satker_id,
                role__in=(Role.BENDAHARA, Role.PPK),
                is_active=True,
            ),
            title=_("Pengembalian perlu diperiksa"),
            body=note,
            link=f"/pembayaran/pengembalian/{refund.pk}/",
        )
        return
    satker = Organisation.objects.get(pk=refund.satker_id)
    entry = ledger.post(
        key=f"refund:{refund.pk}:received",
        tenant_id=int(satker.pk),
        reason_code="REFUND_RECEIVED",
        legs=[
            Leg(chart.satker_book(satker).up_tunai.pk, amount),
            Leg(chart.expense(satker, refund.invoice.order.akun).pk, -amount),
        ],
        source_type="payments.refund",
        source_id=str(refund.pk),
        memo=f"{refund.number} {refund.reference} {line.reference_no}"[:200],
    )
    RefundCredit.objects.filter(statement_line_id=line_id).update(entry_id=entry.pk)
    refund.state = RefundState.RECEIVED
    refund.received_idr = int(refund.amount_idr)
    refund.statement_line_id = line_id
    refund.bank_reference = line.reference_no
    refund.received_at = line.booked_at
    refund.entry_id = entry.pk
    refund.flag = ""
    refund.save()
    audit(None, "refund.received", refund, after=refund.audit_state())
    notify(
        [refund.requested_by],
        title=_("Pengembalian diterima"),
        body=_("Pengembalian %(number)s Rp%(amount)s diterima, referensi bank %(ref)s.")
        % {"number": refund.number, "amount": _rupiah(amount), "ref": line.reference_no},
        link=f"/pembayaran/pengembalian/{refund.pk}/",
    )


def _open_flag(refund: Refund) -> str:
    """The note of the latest credit still waiting for a person, or nothing."""
    waiting = (
        RefundCredit.objects.filter(refund=refund, matched=False, accepted_idr__isnull=True)
        .order_by("-id")
        .first()
    )
    return waiting.note[:300] if waiting else ""


# --- a person resolves a flagged credit -------------------------------------------------------


@transaction.atomic
def accept_credit(actor: User, *, refund_id: int, credit_id: int) -> Refund:
    """The PPK accepts a flagged credit of an expected refund (another amount, an instalment):
    what it brought is posted (Dr UP_TUNAI / Cr EXPENSE:<akun>), never more than is still due;
    the refund is RECEIVED once the credits accepted reach its amount."""
    refund = (
        Refund.objects.select_for_update(of=("self",))
        .select_related("invoice__order")
        .filter(pk=refund_id)
        .first()
    )
    if refund is None:
        raise NotFound(_("Pengembalian tidak ditemukan."))
    require(actor, "refund.request", refund)
    credit = RefundCredit.objects.select_for_update().filter(pk=credit_id, refund=refund).first()
    if credit is None:
        raise NotFound(_("Kredit tidak ditemukan pada pengembalian ini."))
    if credit.matched or credit.accepted_idr is not None:
        raise Conflict(_("Kredit ini sudah dicatat."), code="credit_already_accepted")
    due = refund.remaining_idr
    if due <= 0:
        raise Conflict(
            _("Pengembalian ini tidak lagi menunggu dana; kredit tidak dapat dicatat."),
            code="refund_not_expected",
        )
    line = StatementLine.objects.get(pk=credit.statement_line_id)
    amount = min(int(credit.amount_idr), due)
    satker = Organisation.objects.get(pk=refund.satker_id)
    entry = ledger.post(
        key=f"refund:{refund.pk}:credit:{credit.pk}",
        tenant_id=int(satker.pk),
        reason_code="REFUND_RECEIVED",
        legs=[
            Leg(chart.satker_book(satker).up_tunai.pk, amount),
            Leg(chart.expense(satker, refund.invoice.order.akun).pk, -amount),
        ],
        source_type="payments.refund",
        source_id=str(refund.pk),
        memo=f"{refund.number} {refund.reference} {line.reference_no}"[:200],
    )
    before = refund.audit_state()
    credit.matched = True
    credit.accepted_idr = amount
    credit.entry_id = entry.pk
    credit.save(update_fields=["matched", "accepted_idr", "entry_id"])
    refund.received_idr = int(refund.received_idr) + amount
    if refund.received_idr >= int(refund.amount_idr):
        refund.state = RefundState.RECEIVED
        refund.statement_line_id = line.pk
        refund.bank_reference = line.reference_no
        refund.received_at = line.booked_at
        refund.entry_id = entry.pk
    refund.flag = _open_flag(refund)
    refund.save()
    audit(
        actor,
        "refund.credit_accepted",
        refund,
        before=before,
        after={
            **refund.audit_state(),
            "credit": credit.pk,
            "line": line.pk,
            "credit_idr": int(credit.amount_idr),
            "accepted_idr": amount,
            "excess_idr": int(credit.amount_idr) - amount,
        },
    )
    return refund


@transaction.atomic
def cancel_refund(actor: User, *, refund_id: int, reason: str) -> Refund:
    """The PPK gives up what is still due on an expected refund, with a reason. Credits still
    waiting must be accepted first (their money is in the treasurer's account)."""
    refund = Refund.objects.select_for_update().filter(pk=refund_id).first()
    if refund is None:
        raise NotFound(_("Pengembalian tidak ditemukan."))
    require(actor, "refund.request", refund)
    if refund.state != RefundState.EXPECTED:
        raise Conflict(
            _("Hanya pengembalian yang masih ditunggu yang dapat dibatalkan."),
            code="refund_not_expected",
        )
    cleaned = " ".join((reason or "").split())
    if len(cleaned) < 10:
        raise ValidationFailed(
            _("Tuliskan alasan yang jelas (minimal 10 karakter)."), details={"field": "reason"}
        )
    if RefundCredit.objects.filter(
        refund=refund, matched=False, accepted_idr__isnull=True
    ).exists():
        raise Conflict(
            _("Ada kredit yang belum dicatat untuk pengembalian ini; catat dulu kreditnya."),
            code="refund_credit_waiting",
        )
    before = refund.audit_state()
    refund.state = RefundState.CANCELLED
    refund.cancel_reason = cleaned
    refund.cancelled_at = clock.now()
    refund.flag = ""
    refund.save()
    audit(actor, "refund.cancelled", refund, before=before, after=refund.audit_state())
    notify(
        User.objects.filter(
            organisation_id=refund.vendor.organisation_id,
            role__in=(Role.VENDOR_ADMIN, Role.VENDOR_STAFF),
            is_active=True,
        ),
        title=_("Pengembalian dana dibatalkan"),
        body=_("Pengembalian %(number)s dibatalkan: %(reason)s")
        % {"number": refund.number, "reason": cleaned},
        link=f"/pembayaran/pengembalian/{refund.pk}/",
    )
    return refund
