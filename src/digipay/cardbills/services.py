"""Card bill use cases (decision: docs/adr/0022-kkp-card-bills.md).

``fetch_bill``: read a card's monthly bill from the issuing bank (SNAP 94) — the network call
outside any transaction — then store it, one per card and month, and match every line against
Digipay's card payments. ``fetch_due_bills`` is the worker's monthly job.

``verify_bill`` / ``dispute_bill``: the PPK approves a bill whose lines all match, or records
why it does not; a disputed bill is not payable until the bank's corrected bill is fetched.

``pay_bill``: the Bendahara, re-authenticated by TOTP, pays a verified bill from UP Tunai by a
transfer to the issuer's card settlement account (``payments.instruct_transfer``: held
Dr KKP_BILL_PAID / Cr UP_TUNAI). ``_transfer_settled`` (registered with payments) marks it
paid and frees the card's limit (Dr KKP_CARD / Cr KKP_CARD_LIMITS), or puts it back to
verified with the bank's reason.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from digipay.accounts.auth import check_second_factor
from digipay.accounts.models import Organisation, User
from digipay.accounts.permissions import require
from digipay.accounts.rules import Role
from digipay.accounts.services import audit
from digipay.cardbills import rules
from digipay.cardbills.models import CardBill, CardBillLine
from digipay.cardbills.rules import CardBillState, LineMatch
from digipay.core import clock
from digipay.core.errors import Conflict, DomainError, ValidationFailed
from digipay.integrations.banks.errors import BankError, BankRejected
from digipay.integrations.banks.gateway import CardBill as BankBill
from digipay.ledger import services as ledger
from digipay.ledger.rules import Leg
from digipay.notifications.services import notify
from digipay.payments import services as payments
from digipay.payments.models import BankInstruction, Payment
from digipay.payments.rules import InstructionKind, InstructionStatus, Purpose
from digipay.treasury import chart
from digipay.treasury.models import CardStatus, KkpCard

log = logging.getLogger(__name__)

REASON_PAID = "CARD_BILL_PAID"
REASON_LIMIT = "CARD_LIMIT_RESTORED"


class BankUnreachable(DomainError):
    """The bank did not answer (or not clearly): nothing was stored; try again later."""

    status = 503
    default_code = "bank_unavailable"


def due_workdays() -> int:
    """DOMAIN.md §5: the bill is due this many working days after the month ends."""
    return int(getattr(settings, "DIGIPAY_KKP_BILL_DUE_WORKDAYS", rules.DEFAULT_DUE_WORKDAYS))


def _today() -> date:
    return clock.now().astimezone(clock.JAKARTA).date()


def _bill_link(bill: CardBill) -> str:
    return f"/tagihan-kkp/{bill.pk}/"


def _month_bounds(month: date) -> tuple[datetime, datetime]:
    """The Jakarta month as UTC instants [start, end)."""
    start = datetime.combine(month, time.min, tzinfo=clock.JAKARTA)
    return start, rules.month_end(month)


# --- fetch -------------------------------------------------------------------------------------


def fetch_bill(actor: User | None, card: KkpCard, month: date) -> CardBill:
    """Read ``card``'s bill of ``month`` from its bank and store it (``actor`` None: the
    worker). Fetching again returns the stored bill unchanged once the PPK has verified it;
    before that (received or disputed) a bill the bank changed replaces the stored one — so
    the current month's running bill grows into the final one as it is fetched again."""
    if actor is not None:
        # Fetching is the Bendahara's task: she pays the bill.
        require(actor, "card_bill.pay", card)
    if problem := rules.month_error(month, _today()):
        raise ValidationFailed(problem, code="invalid_month", details={"field": "month"})
    existing = CardBill.objects.filter(card=card, billing_month=month).first()
    if existing is not None and not _replaceable(existing):
        return existing
    if card.status == CardStatus.CLOSED and existing is None:
        raise Conflict(_("Kartu KKP ini sudah ditutup."), code="card_closed")
    gateway = payments.gateway_for(card.bank.code)
    try:  # outside any transaction: nothing is locked while the bank answers
        bank_bill: BankBill = gateway.card_bill(
            card_ref=card.bank_card_ref, billing_month=rules.month_text(month)
        )
    except BankRejected as exc:
        raise Conflict(
            _("Bank menolak permintaan tagihan: %(why)s (%(code)s).")
            % {"why": exc, "code": exc.code},
            code="bank_rejected",
        ) from exc
    except BankError as exc:
        raise BankUnreachable(
            _("Bank tidak dapat dihubungi; coba lagi nanti. Tidak ada yang disimpan.")
        ) from exc
    if problem := _bank_bill_error(bank_bill, card, month):
        raise Conflict(problem, code="bank_bill_invalid")
    return _store(actor, card, month, bank_bill)


def _bank_bill_error(bank: BankBill, card: KkpCard, month: date) -> str | None:
    """A bill that does not add up is refused as a whole (nothing is stored)."""
    if bank.card_ref != card.bank_card_ref or bank.billing_month != rules.month_text(month):
        return _("Bank mengirim tagihan kartu atau bulan yang lain.")
    if any(line.amount_idr <= 0 for line in bank.lines):
        return _("Tagihan bank memuat baris bernilai nol atau negatif.")
    if sum(line.amount_idr for line in bank.lines) != bank.total_idr:
        return _("Jumlah baris tagihan bank tidak sama dengan totalnya.")
    refs = [line.reference_no for line in bank.lines]
    if any(not r for r in refs) or len(set(refs)) != len(refs):
        return _("Tagihan bank memuat referensi kosong atau ganda.")
    return None


def _replaceable(bill: CardBill) -> bool:
    """A bill the bank may still change: not yet verified (received or disputed), or
    verified from a running bill fetched before its month ended (only before the verify rule
    required the final bill; such a bill is replaced if the final one differs)."""
    if bill.state in rules.FETCH_REPLACEABLE:
        return True
    return bill.state == CardBillState.VERIFIED and not rules.fetched_final(
        bill.billing_month, bill.fetched_at
    )


def _same_as_stored(bill: CardBill, bank: BankBill) -> bool:
    stored = sorted(
        (line.bank_reference, int(line.amount_idr or 0)) for line in bill.lines.filter(on_bill=True)
    )
    return int(bill.total_idr) == bank.total_idr and stored == sorted(bank.charges)


@transaction.atomic
def _store(actor: User | None, card: KkpCard, month: date, bank: BankBill) -> CardBill:
    # The card's row serialises fetches of its bills (a worker and a click at once).
    card = KkpCard.objects.select_for_update().select_related("bank").get(pk=card.pk)
    bill = CardBill.objects.select_for_update().filter(card=card, billing_month=month).first()
    now = clock.now()
    if bill is not None:
        if not _replaceable(bill) or _same_as_stored(bill, bank):
            if _replaceable(bill):
                # Still the same bill: refresh the bank's view of the card and of what was
                # paid, note when it was read (a running bill read again after the month
                # ended is the final one), match again.
                bill.available_limit_idr = bank.available_limit_idr
                bill.paid_idr = bank.paid_idr
                bill.fetched_at = now
                bill.fetch_count += 1
                bill.save(
                    update_fields=["available_limit_idr", "paid_idr", "fetched_at", "fetch_count"]
                )
                if bill.state == CardBillState.RECEIVED:
                    _rematch(bill)
            return bill
        before = bill.audit_state()
    else:
        before = None
    due, due_source = rules.due_date(month, bank_due=bank.due_date, workdays=due_workdays())
    fields: dict[str, Any] = {
        "satker_id": card.satker_id,
        "total_idr": bank.total_idr,
        "credit_limit_idr": bank.credit_limit_idr,
        "available_limit_idr": bank.available_limit_idr,
        "paid_idr": bank.paid_idr,
        "due_date": due,
        "due_date_source": due_source,
        "pay_to_bank_code": bank.pay_to_bank_code[:3],
        "pay_to_account_no": bank.pay_to_account_no[:20],
        # The beneficiary name sent with the transfer: data for the bank, not translated.
        "pay_to_name": f"PELUNASAN TAGIHAN KKP {card.bank.name}"[:150],
        "fetched_at": now,
        "fetched_by": actor,
        "state": CardBillState.RECEIVED,
        "dispute_reason": "",
        "disputed_by": None,
        "disputed_at": None,
        "verified_by": None,
        "verified_at": None,
        "failure_reason": "",
    }
    if bill is None:
        bill = CardBill.objects.create(card=card, billing_month=month, **fields)
    else:
        for name, value in fields.items():
            setattr(bill, name, value)
        bill.fetch_count += 1
        bill.save()
        bill.lines.all().delete()
    CardBillLine.objects.bulk_create(
        CardBillLine(
            bill=bill,
            on_bill=True,
            bank_reference=line.reference_no[:64],
            partner_reference_no=line.partner_reference_no[:64],
            transaction_at=line.transaction_date,
            merchant_name=line.merchant_name[:150],
            remark=line.remark[:100],
            amount_idr=line.amount_idr,
            match=LineMatch.NO_PAYMENT,
        )
        for line in bank.lines
    )
    _rematch(bill)
    audit(
        actor,
        "card_bill.fetched" if before is None else "card_bill.refetched",
        bill,
        before=before,
        after={**bill.audit_state(), "lines": len(bank.lines)},
    )
    notify(
        User.objects.filter(organisation_id=bill.satker_id, role=Role.PPK, is_active=True),
        title=_("Tagihan KKP menunggu verifikasi"),
        body=_("Tagihan kartu •••• %(last4)s bulan %(month)s sebesar Rp%(amount)s.")
        % {
            "last4": card.last4,
            "month": rules.month_text(month),
            "amount": f"{bill.total_idr:,}".replace(",", "."),
        },
        link=_bill_link(bill),
    )
    return bill


def _candidates(bill: CardBill) -> list[rules.CardPayment]:
    """Digipay's card payments the bill may contain: the card's done charges of the month
    (those after the bank's booking cut-off of its last day may be billed next month) and of
    the previous month's last hours (the bank may have booked them on this month), and any done
    charge of the card that a line names, except those already matched on another bill."""
    start, end = _month_bounds(bill.billing_month)
    start -= rules.BANK_BOOKING_CUTOFF
    refs = list(bill.lines.filter(on_bill=True).values_list("bank_reference", flat=True))
    partner_refs = [
        r
        for r in bill.lines.filter(on_bill=True).values_list("partner_reference_no", flat=True)
        if r
    ]
    done = BankInstruction.objects.filter(
        card_id=bill.card_id, kind=InstructionKind.CARD_CHARGE, status=InstructionStatus.DONE
    )
    in_month = done.filter(finished_at__gte=start, finished_at__lt=end)
    named = done.filter(bank_reference__in=refs) | done.filter(
        partner_reference_no__in=partner_refs
    )
    taken = set(
        CardBillLine.objects.filter(
            on_bill=True,
            instruction__isnull=False,
            match__in=(LineMatch.MATCHED, LineMatch.AMOUNT_DIFFERS),
        )
        .exclude(bill=bill)
        .values_list("instruction_id", flat=True)
    )
    month_ids = set(in_month.values_list("pk", flat=True))
    found = (in_month | named).distinct().order_by("finished_at", "id")
    return [
        rules.CardPayment(
            instruction_id=int(ins.pk),
            bank_reference=ins.bank_reference,
            partner_reference_no=ins.partner_reference_no,
            amount_idr=int(ins.amount_idr),
            in_month=ins.pk in month_ids,
            at_edge=ins.finished_at is not None
            and rules.after_cutoff(ins.finished_at, bill.billing_month),
        )
        for ins in found
        if ins.pk not in taken
    ]


def _rematch(bill: CardBill) -> bool:
    """Match the bill's lines again (Digipay's payments may have settled meanwhile) and store
    the result; True when every line matches and nothing is missing from the bill."""
    billed = list(bill.lines.filter(on_bill=True).order_by("id"))
    bill.lines.filter(on_bill=False).delete()
    matches = rules.match_lines(
        [
            rules.BankLine(
                line.bank_reference, line.partner_reference_no, int(line.amount_idr or 0)
            )
            for line in billed
        ],
        _candidates(bill),
    )
    missing: list[CardBillLine] = []
    finished = dict(
        BankInstruction.objects.filter(
            pk__in=[m.instruction_id for m in matches if m.instruction_id]
        ).values_list("pk", "finished_at")
    )
    for m in matches:
        if m.line_index is None:
            missing.append(
                CardBillLine(
                    bill=bill,
                    on_bill=False,
                    instruction_id=m.instruction_id,
                    digipay_amount_idr=m.digipay_amount_idr,
                    transaction_at=finished.get(m.instruction_id or 0),
                    match=m.match,
                )
            )
            continue
        line = billed[m.line_index]
        line.instruction_id = m.instruction_id
        line.digipay_amount_idr = m.digipay_amount_idr
        line.match = m.match
    CardBillLine.objects.bulk_update(billed, ["instruction", "digipay_amount_idr", "match"])
    CardBillLine.objects.bulk_create(missing)
    return rules.all_match(matches)


def fetch_due_bills(today: date | None = None) -> int:
    """The worker's job: last month's bill of every active card. A card whose bill may still
    change is asked again: one not yet verified (received — the bank may have corrected it, or
    it is a running bill read before the month ended — or disputed, awaiting the bank's
    correction). A verified final bill is not asked for again. A bank that fails is tried at
    the next run. Returns how many bills were fetched."""
    month = rules.previous_month(today or _today())
    have = (
        CardBill.objects.filter(billing_month=month)
        .exclude(state__in=rules.FETCH_REPLACEABLE)
        .exclude(state=CardBillState.VERIFIED, fetched_at__lt=rules.month_end(month))
        .values("card_id")
    )
    cards = (
        KkpCard.objects.filter(status__in=(CardStatus.ACTIVE, CardStatus.BLOCKED))
        .exclude(pk__in=have)
        .select_related("bank")
        .order_by("id")
    )
    stored = 0
    for card in cards:
        try:
            fetch_bill(None, card, month)
            stored += 1
        except DomainError as exc:
            log.warning("card bill of card %s for %s not fetched: %s", card.pk, month, exc.code)
        except Exception:  # one bank's trouble must not stop the other cards
            log.exception("card bill of card %s for %s failed", card.pk, month)
    return stored


# --- verify / dispute ------------------------------------------------------------------------


def _locked(bill: CardBill) -> CardBill:
    return CardBill.objects.select_for_update().select_related("card").get(pk=bill.pk)


@transaction.atomic
def verify_bill(actor: User, bill: CardBill) -> CardBill:
    """The PPK approves the bill for payment: every line matched, to the rupiah, against
    Digipay's card payments (matched again now, under the bill's lock)."""
    require(actor, "card_bill.verify", bill)
    bill = _locked(bill)
    require(actor, "card_bill.verify", bill)
    matches = _rematch(bill) if bill.state == CardBillState.RECEIVED else False
    ended = rules.month_ended(bill.billing_month, _today())
    final = rules.fetched_final(bill.billing_month, bill.fetched_at)
    if problem := rules.verify_error(bill.state, matches=matches, ended=ended, final=final):
        code = "not_verifiable"
        if bill.state == CardBillState.RECEIVED:
            code = "month_open" if not ended else "not_final" if not final else code
        raise Conflict(problem, code=code)
    before = bill.audit_state()
    bill.state = CardBillState.VERIFIED
    bill.verified_by = actor
    bill.verified_at = clock.now()
    bill.save(update_fields=["state", "verified_by", "verified_at"])
    audit(actor, "card_bill.verified", bill, before=before, after=bill.audit_state())
    notify(
        User.objects.filter(
            organisation_id=bill.satker_id, role=Role.BENDAHARA, is_active=True
        ).exclude(pk=actor.pk),
        title=_("Tagihan KKP siap dibayar"),
        body=_("Tagihan kartu •••• %(last4)s Rp%(amount)s jatuh tempo %(due)s.")
        % {
            "last4": bill.card.last4,
            "amount": f"{bill.total_idr:,}".replace(",", "."),
            "due": bill.due_date.strftime("%d/%m/%Y"),
        },
        link=_bill_link(bill),
    )
    return bill


@transaction.atomic
def dispute_bill(actor: User, bill: CardBill, *, reason: str) -> CardBill:
    """The PPK records why the bill does not match (the mismatched lines are flagged on it).
    Nothing of it is payable until the bank corrects the bill and it is fetched again."""
    require(actor, "card_bill.verify", bill)
    bill = _locked(bill)
    reason = (reason or "").strip()
    matches = _rematch(bill) if bill.state == CardBillState.RECEIVED else True
    ended = rules.month_ended(bill.billing_month, _today())
    final = rules.fetched_final(bill.billing_month, bill.fetched_at)
    if problem := rules.dispute_error(
        bill.state, matches=matches, reason=reason, ended=ended, final=final
    ):
        raise ValidationFailed(problem, code="not_disputable", details={"field": "reason"})
    before = bill.audit_state()
    bill.state = CardBillState.DISPUTED
    bill.dispute_reason = reason
    bill.disputed_by = actor
    bill.disputed_at = clock.now()
    bill.save(update_fields=["state", "dispute_reason", "disputed_by", "disputed_at"])
    flagged = [
        line.bank_reference or f"Digipay #{line.instruction_id}"
        for line in bill.lines.exclude(match__in=rules.NOT_MISMATCH)
    ]
    audit(
        actor,
        "card_bill.disputed",
        bill,
        before=before,
        after={**bill.audit_state(), "reason": reason, "lines": flagged},
    )
    notify(
        User.objects.filter(organisation_id=bill.satker_id, role=Role.BENDAHARA, is_active=True),
        title=_("Tagihan KKP disanggah"),
        body=_("Tagihan kartu •••• %(last4)s disanggah PPK: %(why)s")
        % {"last4": bill.card.last4, "why": reason[:200]},
        link=_bill_link(bill),
    )
    return bill


# --- pay -----------------------------------------------------------------------------------------


def pay_bill(actor: User, bill: CardBill, *, otp: str) -> CardBill:
    """The Bendahara pays a verified bill in full from UP Tunai after re-entering her TOTP
    code. The transfer is queued (payments' outbox); the bill is ``PAYING`` until the bank
    answers."""
    require(actor, "card_bill.pay", bill)
    # Outside the transaction: a wrong code must count against the throttle even though the
    # payment is refused.
    check_second_factor(actor, otp)
    return _pay(actor, bill)


@transaction.atomic
def _pay(actor: User, bill: CardBill) -> CardBill:
    bill = _locked(bill)
    require(actor, "card_bill.pay", bill)  # again, on the locked row (who verified it)
    if problem := rules.pay_error(
        bill.state, total_idr=int(bill.total_idr), paid_idr=int(bill.paid_idr)
    ):
        outside = bill.state == CardBillState.VERIFIED and bill.total_idr > 0
        code = "paid_outside" if outside else "not_payable"
        raise Conflict(problem, code=code)
    if not rules.fetched_final(bill.billing_month, bill.fetched_at):
        # Verified from a running bill before the final bill was required (ADR 0022).
        raise Conflict(
            _(
                "Tagihan ini diambil sebelum bulan tagihan berakhir; ambil tagihan final dari "
                "bank terlebih dahulu."
            ),
            code="not_final",
        )
    if not (bill.pay_to_bank_code and bill.pay_to_account_no):
        raise Conflict(
            _("Bank tidak mencantumkan rekening pelunasan tagihan ini; ambil ulang tagihan."),
            code="no_payment_account",
        )
    satker = Organisation.objects.get(pk=bill.satker_id)
    book = chart.satker_book(satker)
    amount = int(bill.total_idr)
    payment = payments.instruct_transfer(
        actor,
        satker=satker,
        purpose=Purpose.CARD_BILL,
        purpose_ref=f"cardbill:{bill.pk}",
        beneficiary_bank_code=bill.pay_to_bank_code,
        beneficiary_account=bill.pay_to_account_no,
        beneficiary_name=bill.pay_to_name or bill.card.bank.name,
        amount_idr=amount,
        remark=rules.bill_remark(bill.card.bank_card_ref, bill.billing_month),
        legs=[(int(chart.kkp_bill_paid(satker).pk), amount), (int(book.up_tunai.pk), -amount)],
        reason_code=REASON_PAID,
    )
    before = bill.audit_state()
    bill.state = CardBillState.PAYING
    bill.payment = payment
    bill.pay_requested_by = actor
    bill.pay_requested_at = clock.now()
    bill.failure_reason = ""
    bill.save(
        update_fields=["state", "payment", "pay_requested_by", "pay_requested_at", "failure_reason"]
    )
    audit(
        actor,
        "card_bill.pay_requested",
        bill,
        before=before,
        after={**bill.audit_state(), "payment": payment.number},
    )
    return bill


def _transfer_settled(
    payment: Payment, instruction: BankInstruction, succeeded: bool, reason: str
) -> None:
    """payments' listener for CARD_BILL transfers, in the settling transaction (at most once
    per transfer). Success: the bill is paid and the card's limit freed in the ledger (the bank
    frees it on its side when the payment arrives). Failure: back to verified, with why."""
    bill = (
        CardBill.objects.select_for_update()
        .select_related("card")
        .filter(payment_id=payment.pk)
        .first()
    )
    if bill is None or bill.state != CardBillState.PAYING:
        log.warning("card bill transfer %s settled with no bill paying it", payment.pk)
        return
    before = bill.audit_state()
    satker = Organisation.objects.get(pk=bill.satker_id)
    if succeeded:
        amount = int(bill.total_idr)
        entry = ledger.post(
            key=f"card-bill:{bill.pk}:limit:{payment.pk}",
            tenant_id=int(bill.satker_id),
            reason_code=REASON_LIMIT,
            legs=[
                Leg(int(chart.card_line(satker, int(bill.card_id), bill.card.last4).pk), amount),
                Leg(int(chart.satker_book(satker).card_limits.pk), -amount),
            ],
            source_type="cardbills.cardbill",
            source_id=str(bill.pk),
            memo=f"{bill} {instruction.bank_reference}"[:200],
        )
        bill.state = CardBillState.PAID
        bill.paid_at = instruction.finished_at or clock.now()
        bill.bank_reference = instruction.bank_reference[:64]
        bill.limit_entry_id = entry.pk
        bill.save(update_fields=["state", "paid_at", "bank_reference", "limit_entry_id"])
        audit(None, "card_bill.paid", bill, before=before, after=bill.audit_state())
        title = _("Tagihan KKP lunas")
        body = _("Tagihan kartu •••• %(last4)s Rp%(amount)s dibayar, referensi bank %(ref)s.") % {
            "last4": bill.card.last4,
            "amount": f"{amount:,}".replace(",", "."),
            "ref": bill.bank_reference,
        }
    else:
        bill.state = CardBillState.VERIFIED
        bill.failure_reason = (reason or _("Transfer gagal."))[:300]
        bill.save(update_fields=["state", "failure_reason"])
        audit(
            None,
            "card_bill.payment_failed",
            bill,
            before=before,
            after={**bill.audit_state(), "reason": bill.failure_reason},
        )
        title = _("Pembayaran tagihan KKP gagal")
        body = _("Tagihan kartu •••• %(last4)s belum dibayar: %(why)s Dapat dibayar lagi.") % {
            "last4": bill.card.last4,
            "why": bill.failure_reason,
        }
    recipients: Sequence[User] = [u for u in (bill.pay_requested_by,) if u is not None]
    notify(recipients, title=title, body=body, link=_bill_link(bill))


def overdue_bills(today: date | None = None) -> Any:
    """Bills past their due date and not paid (for flags and reminders)."""
    return CardBill.objects.filter(due_date__lt=today or _today()).exclude(state=CardBillState.PAID)


def remind_overdue(today: date | None = None) -> int:
    """The worker's daily reminder: the Bendahara and PPK of each satker with an overdue
    bill are told once a day (late bills cost interest and may block the card)."""
    day = today or _today()
    count = 0
    for bill in overdue_bills(day).select_related("card").order_by("id"):
        with transaction.atomic():
            notify(
                User.objects.filter(
                    organisation_id=bill.satker_id,
                    role__in=(Role.BENDAHARA, Role.PPK),
                    is_active=True,
                ),
                title=_("Tagihan KKP lewat jatuh tempo"),
                body=_(
                    "Tagihan kartu •••• %(last4)s bulan %(month)s jatuh tempo %(due)s dan belum "
                    "lunas."
                )
                % {
                    "last4": bill.card.last4,
                    "month": rules.month_text(bill.billing_month),
                    "due": bill.due_date.strftime("%d/%m/%Y"),
                },
                link=_bill_link(bill),
                email=False,
            )
        count += 1
    return count
