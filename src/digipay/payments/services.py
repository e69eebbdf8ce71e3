"""Payment use cases (decision: docs/adr/0020-payments.md).

``pay``: the Bendahara pays verified invoices, re-authenticated by TOTP. One transaction:
lock, re-check, record the payment ``IN_PROGRESS`` and write one ``BankInstruction`` per
vendor account (and card) — the outbox. Nothing leaves for the bank here.

``send_due_instructions`` (the worker's periodic job): sends each due instruction outside any
transaction — account inquiry then transfer (UP Tunai), or the card charge (KKP) — and records
the outcome. An instruction whose outcome is unknown is settled by the transfer status
inquiry, never by sending it blindly again. Success posts the order's hold and marks the
invoices ``PAID``; failure releases the invoices for another payment and tells the Bendahara.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from digipay.accounts.auth import check_second_factor
from digipay.accounts.models import Organisation, User
from digipay.accounts.permissions import require
from digipay.accounts.rules import Role
from digipay.accounts.services import audit
from digipay.core import clock
from digipay.core.errors import Conflict, ValidationFailed
from digipay.integrations.banks.errors import (
    BankError,
    BankRejected,
    BankUnavailable,
)
from digipay.integrations.banks.gateway import TransferInstruction
from digipay.integrations.banks.rules import Service, routes
from digipay.invoicing import queries as invoicing_queries
from digipay.invoicing import services as invoicing
from digipay.invoicing.models import Invoice
from digipay.invoicing.rules import InvoiceState
from digipay.ledger import services as ledger
from digipay.ledger.models import Entry, Posting
from digipay.ledger.rules import Leg
from digipay.notifications.services import notify
from digipay.orders.models import Order
from digipay.orders.rules import OrderState
from digipay.payments import rules
from digipay.payments.models import BankInstruction, Payment, PaymentInvoice, TreasurerAccount
from digipay.payments.rules import (
    InstructionKind,
    InstructionStatus,
    PaymentState,
    Purpose,
    Source,
)
from digipay.snap import values
from digipay.treasury import chart
from digipay.treasury.models import CardStatus
from digipay.vendors.models import VendorBankAccount
from digipay.vendors.rules import BankAccountStatus

log = logging.getLogger(__name__)

BATCH_SIZE = 20


def _registry_gateway(bank_code: str) -> Any:
    from digipay.integrations.banks import registry

    return registry.gateway_for(bank_code)


# The gateway to a bank by its code (tests point it at a simulator-bound gateway).
gateway_for: Callable[[str], Any] = _registry_gateway


# --- pay ------------------------------------------------------------------------------------------


def request_digest(invoice_ids: Sequence[int], source: str) -> str:
    body = json.dumps({"invoices": sorted(invoice_ids), "source": source}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


def pay(
    actor: User, *, invoice_ids: Sequence[int], source: str, otp: str, request_key: str = ""
) -> Payment:
    """The Bendahara pays ``invoice_ids`` from ``source`` after re-entering her TOTP code.
    With a ``request_key`` a repeat of the same request returns the first payment; the same
    key with another body is refused (422)."""
    ids = [int(i) for i in invoice_ids]
    digest = request_digest(ids, source)
    if request_key:
        found = Payment.objects.filter(created_by=actor, request_key=request_key).first()
        if found is not None:
            if found.request_digest != digest:
                raise ValidationFailed(
                    _("Idempotency-Key ini sudah dipakai untuk permintaan lain."),
                    code="idempotency_key_reused",
                )
            return found
    # Outside the transaction: a wrong code must count against the throttle even though the
    # payment is refused.
    check_second_factor(actor, otp)
    return _pay(actor, ids, source, request_key, digest)


def _held_legs(hold_id: int) -> list[tuple[int, int]]:
    return [
        (int(p.account_id), int(p.amount))
        for p in Posting.objects.filter(entry_id=hold_id).order_by("id")
    ]


def _held_amount(hold_id: int) -> int:
    return max(abs(amount) for _account, amount in _held_legs(hold_id))


def _primary_account(invoice: Invoice) -> VendorBankAccount:
    account = VendorBankAccount.objects.filter(
        vendor_id=invoice.vendor_id, is_primary=True, removed_at__isnull=True
    ).first()
    if account is None or account.status != BankAccountStatus.VERIFIED:
        raise Conflict(
            _("Rekening utama vendor %(vendor)s belum terverifikasi.")
            % {"vendor": invoice.vendor.organisation.name},
            code="vendor_account_unverified",
        )
    return account


@transaction.atomic
def _pay(actor: User, ids: list[int], source: str, request_key: str, digest: str) -> Payment:
    if problem := rules.batch_error(ids):
        raise ValidationFailed(problem, details={"field": "invoices"})
    if source not in Source.values:
        raise ValidationFailed(_("Sumber dana tidak dikenal."), details={"field": "source"})
    invoices = list(
        Invoice.objects.select_for_update(of=("self",))
        .select_related("order", "vendor", "vendor__organisation")
        .filter(pk__in=ids)
        .order_by("id")
    )
    if len(invoices) != len(ids):
        from digipay.core.errors import NotFound

        raise NotFound(_("Tagihan tidak ditemukan."))
    for invoice in invoices:
        require(actor, "invoice.pay", invoice)  # tenant, role, separation of duties
    satkers = {int(i.satker_id) for i in invoices}
    if len(satkers) != 1:
        raise ValidationFailed(_("Semua tagihan harus milik satu satker."), code="mixed_satker")
    satker = Organisation.objects.select_for_update().get(pk=satkers.pop())
    treasurer = TreasurerAccount.objects.filter(satker=satker).first()
    if source == Source.UP_TUNAI and treasurer is None:
        raise Conflict(
            _("Rekening Bendahara Pengeluaran satker belum terdaftar."), code="no_treasurer_account"
        )
    orders = {
        o.pk: o
        for o in Order.objects.select_for_update(of=("self",))
        .select_related("card", "card__bank")
        .filter(pk__in={i.order_id for i in invoices})
        .order_by("id")
    }
    payables: list[rules.Payable] = []
    figures: dict[int, tuple[int, int, int]] = {}
    withheld: dict[int, dict[str, int]] = {}
    per_order: dict[int, int] = {}
    accounts: dict[int, VendorBankAccount] = {}
    for invoice in invoices:
        order = orders[invoice.order_id]
        if invoice.state != InvoiceState.VERIFIED:
            raise Conflict(
                _("Tagihan %(number)s belum diuji PPK atau sudah dibayar.")
                % {"number": invoice.number},
                code="invoice_not_payable",
            )
        if PaymentInvoice.objects.filter(invoice=invoice, active=True).exists():
            raise Conflict(
                _("Tagihan %(number)s sedang atau sudah dibayar.") % {"number": invoice.number},
                code="payment_in_progress",
            )
        if problem := rules.source_error(order.payment_method, source):
            raise ValidationFailed(problem, details={"field": "source"}, code="wrong_source")
        if (
            order.hold_entry_id is None
            or Entry.objects.filter(resolves_id=order.hold_entry_id).exists()
        ):
            raise Conflict(
                _("Pesanan %(number)s tidak memiliki cadangan UP yang aktif.")
                % {"number": order.number},
                code="no_pending_hold",
            )
        if source == Source.KKP and (order.card is None or order.card.status != CardStatus.ACTIVE):
            raise Conflict(_("Kartu KKP pesanan ini tidak aktif."), code="card_inactive")
        left = invoicing_queries.outstanding(invoice)
        if left.net <= 0:
            raise Conflict(_("Tidak ada yang perlu dibayar."), code="nothing_to_pay")
        per_order[order.pk] = per_order.get(order.pk, 0) + left.gross
        if per_order[order.pk] > _held_amount(order.hold_entry_id):
            raise Conflict(
                _("Tagihan melebihi cadangan UP pesanan %(number)s.") % {"number": order.number},
                code="exceeds_hold",
            )
        account = _primary_account(invoice)
        accounts[account.pk] = account
        figures[invoice.pk] = (left.gross, left.collected_total, left.net)
        withheld[invoice.pk] = {
            str(tax): int(amount.collected)
            for tax, amount in left.taxes.items()
            if amount.collected
        }
        payables.append(
            rules.Payable(
                invoice.pk, account.pk, order.card_id if source == Source.KKP else None, left.net
            )
        )

    now = clock.now()
    payment = Payment.objects.create(
        number=_numbered(satker, now, "PAY"),
        satker=satker,
        source=source,
        created_by=actor,
        request_key=request_key,
        request_digest=digest,
        gross_idr=sum(f[0] for f in figures.values()),
        collected_idr=sum(f[1] for f in figures.values()),
        net_idr=sum(f[2] for f in figures.values()),
        created_at=now,
    )
    by_id = {i.pk: i for i in invoices}
    for (account_id, card_id), group in rules.group(payables).items():
        account = accounts[account_id]
        first = by_id[group[0].invoice_id]
        card = orders[first.order_id].card if card_id is not None else None
        amount = sum(p.net for p in group)
        external = values.new_external_id(now)
        bank_code = card.bank.code if card is not None else treasurer.bank_code  # type: ignore[union-attr]
        ins = BankInstruction.objects.create(
            payment=payment,
            kind=InstructionKind.CARD_CHARGE if card is not None else InstructionKind.TRANSFER,
            bank_code=bank_code,
            source_account=treasurer.account_no if card is None and treasurer else "",
            card=card,
            vendor_id=first.vendor_id,
            vendor_account=account,
            beneficiary_bank_code=account.bank_code,
            beneficiary_account=account.account_no,
            beneficiary_name=(account.bank_name_returned or account.holder_name)[:150],
            amount_idr=amount,
            service=(
                ""
                if card is not None
                else routes(same_bank=account.bank_code == bank_code, amount=amount, urgent=False)[
                    0
                ].value
            ),
            external_id=external,
            partner_reference_no=rules.partner_reference(external),
            next_attempt_at=now,
            created_at=now,
        )
        for p in group:
            gross, collected, net = figures[p.invoice_id]
            PaymentInvoice.objects.create(
                payment=payment,
                invoice_id=p.invoice_id,
                instruction=ins,
                gross_idr=gross,
                collected_idr=collected,
                net_idr=net,
                taxes=withheld[p.invoice_id],
            )
    audit(
        actor,
        "payment.created",
        payment,
        after={**payment.audit_state(), "invoices": [i.number for i in invoices]},
    )
    return payment


# --- generic transfers ----------------------------------------------------------------------------

TransferListener = Callable[[Payment, BankInstruction, bool, str], None]
_listeners: dict[str, list[TransferListener]] = {}


def on_transfer_settled(purpose: str, listener: TransferListener) -> None:
    """Register ``listener(payment, instruction, succeeded, reason)`` for the transfers of
    ``purpose``. It runs inside the settling transaction, after the transfer's ledger hold was
    posted (success) or voided (failure), at most once per transfer: a settled instruction is
    never settled again. Registering the same listener twice is harmless (``ready()`` may run
    more than once in tests)."""
    if purpose not in Purpose.values or purpose == Purpose.VENDOR:
        raise ValueError(f"not a generic transfer purpose: {purpose}")
    found = _listeners.setdefault(purpose, [])
    if listener not in found:
        found.append(listener)


def _numbered(satker: Organisation, now: datetime, kind: str) -> str:
    """The next number of the satker's year (the caller holds the satker's row lock)."""
    year = now.astimezone(clock.JAKARTA).year
    prefix = f"{kind}/{satker.code}/{year}/"
    count = Payment.objects.filter(number__startswith=prefix).count()
    return f"{prefix}{count + 1:05d}"


def instruct_transfer(
    actor: User,
    *,
    satker: Organisation,
    purpose: str,
    purpose_ref: str,
    beneficiary_bank_code: str,
    beneficiary_account: str,
    beneficiary_name: str,
    amount_idr: int,
    remark: str,
    legs: Sequence[tuple[int, int]],
    reason_code: str,
) -> Payment:
    """Queue a transfer out of ``satker``'s treasurer account for another app (tax deposit,
    card bill) through the same outbox, status inquiry and fault handling as vendor payments.

    Must run inside the caller's transaction: the caller has gated ``actor`` and locked its own
    row, so its record and this payment commit together or not at all. ``legs`` are held in
    the ledger now (the money cannot be spent twice while the bank works); the worker posts
    the hold on success or voids it on failure, then calls the ``on_transfer_settled``
    listeners of ``purpose``."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("instruct_transfer must run inside the caller's transaction")
    up_tunai = chart.satker_book(satker).up_tunai.pk
    if problem := rules.transfer_error(
        purpose=purpose,
        amount_idr=amount_idr,
        beneficiary_bank_code=beneficiary_bank_code,
        beneficiary_account=beneficiary_account,
        beneficiary_name=beneficiary_name,
        remark=remark,
        legs=legs,
        up_tunai=int(up_tunai),
    ):
        raise ValidationFailed(problem, code="invalid_transfer")
    satker = Organisation.objects.select_for_update().get(pk=satker.pk)
    treasurer = TreasurerAccount.objects.filter(satker=satker).first()
    if treasurer is None:
        raise Conflict(
            _("Rekening Bendahara Pengeluaran satker belum terdaftar."), code="no_treasurer_account"
        )
    now = clock.now()
    external = values.new_external_id(now)
    payment = Payment.objects.create(
        number=_numbered(satker, now, "TRF"),
        satker=satker,
        source=Source.UP_TUNAI,
        purpose=purpose,
        purpose_ref=purpose_ref[:80],
        reason_code=reason_code[:40],
        created_by=actor,
        gross_idr=amount_idr,
        collected_idr=0,
        net_idr=amount_idr,
        created_at=now,
        # Set just below, in this transaction; the constraint wants it from the start.
        hold_entry_id=0,
    )
    held = ledger.hold(
        key=f"transfer:{external}:hold",
        tenant_id=int(satker.pk),
        reason_code=reason_code,
        legs=[Leg(int(a), int(v)) for a, v in legs],
        source_type="payments.payment",
        source_id=str(payment.pk),
        memo=f"{payment.number} {purpose_ref}"[:200],
    )
    payment.hold_entry_id = held.pk
    payment.save(update_fields=["hold_entry_id"])
    BankInstruction.objects.create(
        payment=payment,
        kind=InstructionKind.TRANSFER,
        bank_code=treasurer.bank_code,
        source_account=treasurer.account_no,
        beneficiary_bank_code=beneficiary_bank_code,
        beneficiary_account=beneficiary_account,
        beneficiary_name=beneficiary_name[:150],
        amount_idr=amount_idr,
        remark=remark or payment.number[:50],
        service=routes(
            same_bank=beneficiary_bank_code == treasurer.bank_code, amount=amount_idr, urgent=False
        )[0].value,
        external_id=external,
        partner_reference_no=rules.partner_reference(external),
        next_attempt_at=now,
        created_at=now,
    )
    audit(actor, "payment.transfer_created", payment, after=payment.audit_state())
    return payment


def _settle_transfer(payment: Payment, ins: BankInstruction, succeeded: bool, reason: str) -> None:
    """A generic transfer's outcome in the ledger, then its listeners (same transaction)."""
    hold_id = payment.hold_entry_id
    assert hold_id is not None
    if succeeded:
        entry = ledger.post_hold(
            key=f"transfer:{ins.external_id}:post",
            hold_id=hold_id,
            memo=f"{payment.number} {ins.bank_reference}"[:200],
        )
    else:
        entry = ledger.void_hold(
            key=f"transfer:{ins.external_id}:void",
            hold_id=hold_id,
            memo=f"{payment.number} gagal"[:200],
        )
    payment.settled_entry_id = entry.pk
    payment.save(update_fields=["settled_entry_id"])
    for listener in _listeners.get(payment.purpose, []):
        listener(payment, ins, succeeded, reason)


# --- the outbox -----------------------------------------------------------------------------------


def send_due_instructions(now: datetime | None = None) -> int:
    """The worker's job: send every due instruction once; returns how many were handled."""
    done = 0
    for _round in range(100):
        claimed = _claim(now or clock.now())
        if not claimed:
            break
        for ins_id, was_pending in claimed:
            try:
                _send(ins_id, was_pending)
            except Exception:  # one bad row must not stop the others; it is retried later
                log.exception("payment instruction %s failed to process", ins_id)
            done += 1
        if len(claimed) < BATCH_SIZE:
            break
    return done


@transaction.atomic
def _claim(now: datetime) -> list[tuple[int, bool]]:
    """Take due rows (skipping those another worker holds) and push their next attempt into
    the future before any network call; a row taken PENDING becomes UNKNOWN now, so a crash
    mid-call leaves it to the status inquiry."""
    rows = list(
        BankInstruction.objects.select_for_update(skip_locked=True)
        .filter(status__in=rules.OPEN_STATUSES, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")[:BATCH_SIZE]
    )
    claimed = []
    for row in rows:
        was_pending = row.status == InstructionStatus.PENDING
        row.attempts += 1
        row.status = InstructionStatus.UNKNOWN
        row.next_attempt_at = now + timedelta(seconds=rules.next_attempt_delay(row.attempts))
        row.save(update_fields=["attempts", "status", "next_attempt_at"])
        claimed.append((row.pk, was_pending))
    return claimed


def _instruction(ins: BankInstruction) -> TransferInstruction:
    return TransferInstruction(
        partner_reference_no=ins.partner_reference_no,
        external_id=ins.external_id,
        source_account=ins.source_account,
        beneficiary_account=ins.beneficiary_account,
        beneficiary_bank_code=ins.beneficiary_bank_code,
        beneficiary_name=ins.beneficiary_name,
        amount_idr=int(ins.amount_idr),
        remark=(ins.remark or f"Digipay {ins.payment.number}")[:50],
    )


def _send(ins_id: int, was_pending: bool) -> None:
    ins = BankInstruction.objects.select_related("payment", "card").get(pk=ins_id)
    if ins.kind == InstructionKind.CARD_CHARGE:
        _send_card(ins)
    else:
        _send_transfer(ins, was_pending)


def _send_transfer(ins: BankInstruction, was_pending: bool) -> None:
    gateway = gateway_for(ins.bank_code)
    instruction = _instruction(ins)
    sent = False
    try:
        if not was_pending:
            # It may have been executed: ask before anything is sent again.
            state = gateway.transfer_status(instruction, Service(ins.service))
            if state.state == "success":
                _succeed(ins.pk, state.reference_no)
                return
            if state.state == "failed":
                _fail(
                    ins.pk,
                    _("Bank melaporkan transfer gagal (%(code)s).") % {"code": state.response_code},
                )
                return
            if state.state == "pending":
                _note(ins.pk, "pending at the bank")
                return
            # not_found: it never arrived; send it again with the same ids.
        else:
            gateway.account_inquiry(
                account_no=ins.beneficiary_account,
                bank_code=ins.beneficiary_bank_code,
                external_id=values.new_external_id(clock.now()),
            )
        sent = True
        result = gateway.transfer(instruction)
        _succeed(ins.pk, result.reference_no, service=result.service.value)
    except BankRejected as exc:
        _fail(ins.pk, _("Ditolak bank: %(why)s (%(code)s).") % {"why": exc, "code": exc.code})
    except BankUnavailable as exc:
        # Nothing reached the bank: it may be sent as new.
        _note(ins.pk, str(exc), back_to_pending=not sent and was_pending)
    except BankError as exc:
        _note(ins.pk, f"{type(exc).__name__}: {exc}")


def _send_card(ins: BankInstruction) -> None:
    card = ins.card
    assert card is not None
    gateway = gateway_for(ins.bank_code)
    try:
        charge = gateway.card_charge(
            card_ref=card.bank_card_ref,
            amount_idr=int(ins.amount_idr),
            merchant_account_no=ins.beneficiary_account,
            merchant_bank_code=ins.beneficiary_bank_code,
            partner_reference_no=ins.partner_reference_no,
            remark=f"Digipay {ins.payment.number}",
        )
        _succeed(ins.pk, charge.reference_no)
    except BankRejected as exc:
        if str(exc.code).startswith("409") and str(exc.code).endswith("01"):
            # The same partner reference was already charged: it is done.
            _succeed(ins.pk, ins.partner_reference_no)
            return
        _fail(ins.pk, _("Ditolak bank: %(why)s (%(code)s).") % {"why": exc, "code": exc.code})
    except BankError as exc:
        # A card charge is idempotent on its partner reference: repeated as is next time.
        _note(ins.pk, f"{type(exc).__name__}: {exc}")


@transaction.atomic
def _note(ins_id: int, error: str, *, back_to_pending: bool = False) -> None:
    ins = BankInstruction.objects.select_for_update().get(pk=ins_id)
    if ins.status not in rules.OPEN_STATUSES:
        return
    ins.last_error = error[:300]
    if back_to_pending:
        ins.status = InstructionStatus.PENDING
    ins.save(update_fields=["last_error", "status"])


def _lock_instruction(ins_id: int) -> tuple[BankInstruction, Payment] | None:
    ins = BankInstruction.objects.select_for_update().get(pk=ins_id)
    if ins.status not in rules.OPEN_STATUSES:
        return None  # already settled (another worker, or a replay)
    payment = Payment.objects.select_for_update().get(pk=ins.payment_id)
    return ins, payment


def _finish_payment(payment: Payment) -> None:
    statuses = list(payment.instructions.values_list("status", flat=True))
    payment.state = rules.payment_state(statuses)
    if payment.state != PaymentState.IN_PROGRESS:
        payment.finished_at = clock.now()
    payment.save(update_fields=["state", "finished_at"])


@transaction.atomic
def _succeed(ins_id: int, reference: str, *, service: str = "") -> None:
    locked = _lock_instruction(ins_id)
    if locked is None:
        return
    ins, payment = locked
    for line in ins.lines.select_related("invoice").order_by("invoice_id"):
        _post_line(payment, ins, line, reference)
    ins.status = InstructionStatus.DONE
    ins.bank_reference = reference[:64]
    ins.finished_at = clock.now()
    ins.last_error = ""
    if service:
        ins.service = service
    ins.save()
    _finish_payment(payment)
    if payment.purpose != Purpose.VENDOR:
        _settle_transfer(payment, ins, True, "")
        audit(
            None,
            "payment.transfer_done",
            payment,
            after={"instruction": ins.pk, "reference": reference},
        )
        return
    audit(
        None,
        "payment.instruction_done",
        payment,
        after={"instruction": ins.pk, "reference": reference},
    )
    invoices = ", ".join(line.invoice.number for line in ins.lines.select_related("invoice"))
    notify(
        [payment.created_by],
        title=_("Pembayaran berhasil"),
        body=_("Tagihan %(invoices)s dibayar Rp%(amount)s, referensi bank %(ref)s.")
        % {
            "invoices": invoices,
            "amount": f"{ins.amount_idr:,}".replace(",", "."),
            "ref": reference,
        },
        link=f"/pembayaran/{payment.pk}/",
    )
    assert ins.vendor is not None
    vendor_users = User.objects.filter(
        organisation_id=ins.vendor.organisation_id,
        role__in=(Role.VENDOR_ADMIN, Role.VENDOR_STAFF),
        is_active=True,
    )
    notify(
        vendor_users,
        title=_("Tagihan dibayar"),
        body=_("Tagihan %(invoices)s telah dibayar Rp%(amount)s, referensi bank %(ref)s.")
        % {
            "invoices": invoices,
            "amount": f"{ins.amount_idr:,}".replace(",", "."),
            "ref": reference,
        },
    )


def _more_expected(order: Order, paying: Invoice) -> bool:
    """Does the order still expect money after this invoice: another invoice not yet paid,
    or goods not yet received while the order is still open?"""
    others = (
        Invoice.objects.filter(order=order).exclude(pk=paying.pk).exclude(state=InvoiceState.PAID)
    )
    if others.exists():
        return True
    if order.state in (OrderState.SELESAI, OrderState.DIBATALKAN, OrderState.DITOLAK):
        return False
    return any(line.received_quantity < line.quantity for line in order.lines.all())


def _post_line(
    payment: Payment, ins: BankInstruction, line: PaymentInvoice, reference: str
) -> None:
    order = Order.objects.select_for_update().get(pk=line.invoice.order_id)
    satker = Organisation.objects.get(pk=order.satker_id)
    hold_id = order.hold_entry_id
    assert hold_id is not None
    held = _held_legs(hold_id)
    consumption = rules.consume(
        _held_amount(hold_id),
        int(line.gross_idr),
        more_expected=_more_expected(order, line.invoice),
    )
    # The figures frozen when the Bendahara paid: the bank paid exactly these.
    collected = {str(tax): int(v) for tax, v in dict(line.taxes).items() if int(v)}
    if sum(collected.values()) != int(line.collected_idr):
        raise Conflict(_("Rincian pajak pembayaran tidak konsisten."), code="taxes_inconsistent")
    tax_accounts = {t: chart.tax_payable(satker, t).pk for t, v in collected.items() if v}
    if payment.source == Source.UP_TUNAI:
        legs = rules.transfer_legs(
            held,
            gross=int(line.gross_idr),
            up_tunai=chart.satker_book(satker).up_tunai.pk,
            tax_accounts=tax_accounts,
            collected=collected,
        )
    else:
        legs = rules.card_legs(
            held,
            gross=int(line.gross_idr),
            expense=chart.expense(satker, order.akun).pk,
            tax_accounts=tax_accounts,
            collected=collected,
        )
    memo = f"{payment.number} {line.invoice.number}"[:200]
    entry = ledger.post_hold(
        key=f"payment-line:{line.pk}:post",
        hold_id=hold_id,
        legs=[Leg(a, v) for a, v in legs.from_hold],
        memo=memo,
    )
    if consumption.remainder:
        again = ledger.hold(
            key=f"payment-line:{line.pk}:rehold",
            tenant_id=int(order.satker_id),
            reason_code="ORDER_HOLD",
            legs=[Leg(a, v) for a, v in rules.scale_hold(held, consumption.remainder)],
            source_type="orders.order",
            source_id=str(order.pk),
            memo=f"{order.number} sisa setelah {line.invoice.number}"[:200],
        )
        Order.objects.filter(pk=order.pk).update(hold_entry_id=again.pk)
    if legs.taxes:
        ledger.post(
            key=f"payment-line:{line.pk}:tax",
            tenant_id=int(order.satker_id),
            reason_code="PAYMENT_TAX",
            legs=[Leg(a, v) for a, v in legs.taxes],
            source_type="payments.payment",
            source_id=str(payment.pk),
            memo=memo,
        )
    line.posted_entry_id = entry.pk
    line.save(update_fields=["posted_entry_id"])
    invoicing.mark_paid(line.invoice, reference=reference, by=payment.created_by)


@transaction.atomic
def _fail(ins_id: int, reason: str) -> None:
    locked = _lock_instruction(ins_id)
    if locked is None:
        return
    ins, payment = locked
    ins.status = InstructionStatus.FAILED
    ins.last_error = reason[:300]
    ins.finished_at = clock.now()
    ins.save()
    ins.lines.update(active=False)  # the invoices may be paid again; the hold is untouched
    _finish_payment(payment)
    if payment.purpose != Purpose.VENDOR:
        _settle_transfer(payment, ins, False, reason)
        audit(
            None,
            "payment.transfer_failed",
            payment,
            after={"instruction": ins.pk, "reason": reason},
        )
        return
    audit(
        None, "payment.instruction_failed", payment, after={"instruction": ins.pk, "reason": reason}
    )
    invoices = ", ".join(line.invoice.number for line in ins.lines.select_related("invoice"))
    notify(
        [payment.created_by],
        title=_("Pembayaran gagal"),
        body=_(
            "Pembayaran tagihan %(invoices)s gagal: %(why)s Dana UP tetap dicadangkan; "
            "tagihan dapat dibayar lagi."
        )
        % {"invoices": invoices, "why": reason},
        link=f"/pembayaran/{payment.pk}/",
    )
