"""Invoice use cases: the invoice made from each BAST (the orders app calls
``create_invoice`` inside the transaction that records the receipt), the vendor's numbers,
the PPK's test (verify or return), credit notes, and the tax deposits made on verification.

Each: one transaction; lock the invoice (and, for a register number, the satker row); the
gate; ``rules``; write; the audit event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from digipay.accounts.models import Organisation, User
from digipay.accounts.permissions import require
from digipay.accounts.services import audit
from digipay.core import clock
from digipay.core.errors import Conflict, ValidationFailed
from digipay.invoicing import queries, rules
from digipay.invoicing.models import (
    CreditNote,
    CreditNoteLine,
    CreditNoteTax,
    Invoice,
    InvoiceLine,
    InvoiceTax,
    TaxDeposit,
)
from digipay.invoicing.rules import Action, DepositStatus, InvoiceState
from digipay.orders.models import Order, Receipt
from digipay.tax import rules as tax_rules
from digipay.tax import services as tax_services
from digipay.vendors.models import Vendor


def vendor_facts(vendor: Vendor, on: Any) -> tax_rules.VendorFacts:
    """The vendor's tax facts on ``on``: PKP (only with an NPWP), NPWP, and a Suket PPh Final
    only when verified and valid that day (``vendors.rules.suket_valid_on``)."""
    has_npwp = vendor.has_npwp
    suket = has_npwp and vendor.suket_valid_on(on)
    return tax_rules.VendorFacts(
        pkp=vendor.is_pkp and has_npwp,
        has_npwp=has_npwp,
        final_tax_certificate=suket,
        final_tax_certificate_valid_from=vendor.suket_valid_from if suket else None,
        final_tax_certificate_valid_until=vendor.suket_valid_until if suket else None,
    )


def _next_number(kind: str, satker: Organisation, year: int) -> str:
    """The next number of the satker's register of ``kind`` for the year (the caller holds
    the satker row lock, so two BASTs cannot take the same number)."""
    prefix = rules.register_prefix(kind, satker.code, year)
    model = Invoice if kind == rules.INVOICE else CreditNote
    issued = model.objects.filter(number__startswith=prefix).count()
    return rules.register_number(kind, satker.code, year, issued + 1)


def _store_taxes(model: Any, owner_field: str, owner: Any, figures: rules.Figures) -> None:
    model.objects.bulk_create(
        [
            model(
                **{owner_field: owner},
                tax=tax,
                amount_idr=figures.amount(tax),
                collected_idr=figures.collected(tax),
            )
            for tax in tax_rules.TAX_ORDER
            if figures.amount(tax) or figures.collected(tax)
        ]
    )


def on_receipt(receipt: Receipt) -> None:
    """The orders app's ``on_receipt`` listener (registered in ``apps.py``)."""
    create_invoice(receipt)


def _collected(case: tax_rules.TaxCase) -> set[str]:
    return set(tax_services.quote(case).withheld_by_collector)


def _part_of_a_larger_purchase(case: tax_rules.TaxCase, order: Order, receipt: Receipt) -> bool:
    """Pemecahan transaksi (DOMAIN.md §6): the small-payment exemptions hold only when the
    whole purchase is small. The purchase is the whole order (a partial BAST is part of it)
    plus the same satker's other invoices from the same vendor dated the same day. True when
    that purchase, quoted as one payment, would have a tax collected that this invoice alone
    escapes."""
    whole = [
        tax_rules.Line(
            kind=rules.line_kind(line.kind), quantity=line.quantity, unit_price=line.unit_price_idr
        )
        for line in order.lines.filter(removed=False, quantity__gt=0).order_by("id")
    ]
    same_day = InvoiceLine.objects.filter(
        invoice__satker_id=order.satker_id,
        invoice__vendor_id=order.vendor_id,
        invoice__invoice_date=case.date,
    ).exclude(invoice__order_id=order.pk)
    whole += [
        tax_rules.Line(kind=line.kind, quantity=line.quantity, unit_price=line.unit_price_idr)
        for line in same_day.order_by("id")
    ]
    purchase = replace(case, lines=tuple(whole))
    return bool(_collected(purchase) - _collected(case))


def create_invoice(receipt: Receipt) -> Invoice:
    """The invoice of a BAST (the orders app's ``on_receipt`` listener; runs inside the
    transaction that records the receipt, so a failure here undoes the receipt). Once per
    BAST: a second call returns the invoice made the first time."""
    existing = Invoice.objects.filter(receipt_id=receipt.pk).first()
    if existing is not None:
        return existing
    order = Order.objects.select_related("vendor", "vendor__organisation").get(pk=receipt.order_id)
    satker = Organisation.objects.select_for_update().get(pk=order.satker_id)
    vendor = order.vendor
    on = receipt.at.astimezone(clock.JAKARTA).date()
    received = [
        rl for rl in receipt.lines.select_related("line").order_by("line_id") if rl.quantity > 0
    ]
    collector = rules.collector_for(order.payment_method)
    facts = vendor_facts(vendor, on)
    case = tax_rules.TaxCase(
        date=on,
        collector=collector,
        vendor=facts,
        lines=tuple(
            tax_rules.Line(
                kind=rules.line_kind(rl.line.kind),
                quantity=rl.quantity,
                unit_price=rl.line.unit_price_idr,
            )
            for rl in received
        ),
        split=bool(order.split_flag.strip()),
    )
    if not case.split and _part_of_a_larger_purchase(case, order, receipt):
        case = replace(case, split=True)
    result = tax_services.quote(case)
    figures = rules.figures_of(result)
    invoice = Invoice.objects.create(
        number=_next_number(rules.INVOICE, satker, on.year),
        receipt=receipt,
        order=order,
        satker=satker,
        vendor=vendor,
        vendor_organisation_id=order.vendor_organisation_id,
        invoice_date=on,
        payment_method=order.payment_method,
        collector=collector,
        split=case.split,
        vendor_pkp=facts.pkp,
        vendor_npwp=vendor.npwp,
        vendor_suket=facts.final_tax_certificate,
        vendor_suket_number=vendor.suket_number if facts.final_tax_certificate else "",
        base_idr=figures.base,
        ppn_idr=figures.ppn,
        gross_idr=figures.gross,
        collected_idr=figures.collected_total,
        net_idr=figures.net,
        quote=tax_rules.as_dict(result),
        created_at=clock.now(),
    )
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=invoice,
                position=engine_line.line,
                order_line=rl.line,
                name=rl.line.name,
                sku=rl.line.sku,
                unit=rl.line.unit,
                kind=engine_line.kind,
                quantity=rl.quantity,
                unit_price_idr=rl.line.unit_price_idr,
                base_idr=engine_line.base,
                ppn_idr=engine_line.taxes["ppn"],
                pph22_idr=engine_line.taxes["pph22"],
                pph23_idr=engine_line.taxes["pph23"],
                pph_final_idr=engine_line.taxes["pph_final"],
            )
            for rl, engine_line in zip(received, result.lines, strict=True)
        ]
    )
    _store_taxes(InvoiceTax, "invoice", invoice, figures)
    audit(None, "invoice.created", invoice, after=invoice.audit_state())
    return invoice


# --- the transition machinery -----------------------------------------------------------------


def _lock(invoice: Invoice) -> Invoice:
    return (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("order", "satker", "vendor", "receipt")
        .get(pk=invoice.pk)
    )


def _step(actor: User, invoice: Invoice, action: str) -> rules.Transition:
    """The gate first (role, tenant, separation of duties), then the state table."""
    gate = next(t for t in rules.TRANSITIONS if t.action == action)
    require(actor, gate.gate, invoice.vendor_view() if gate.vendor_side else invoice)
    row = rules.transition(invoice.state, action)
    if row is None:
        raise Conflict(
            _("Tagihan berstatus %(state)s: tindakan '%(action)s' tidak dapat dilakukan.")
            % {"state": InvoiceState(invoice.state).label, "action": Action(action).label},
            code="invalid_transition",
        )
    return row


@transaction.atomic
def set_vendor_numbers(
    actor: User, invoice: Invoice, *, vendor_invoice_number: str, tax_invoice_number: str
) -> Invoice:
    """The vendor adds (or corrects) its own invoice number and the faktur pajak number, until
    the invoice is verified; a returned invoice goes back to the PPK."""
    invoice = _lock(invoice)
    row = _step(actor, invoice, Action.VENDOR_NUMBERS)
    number, problem = rules.clean_vendor_invoice_number(vendor_invoice_number)
    if problem is not None or number is None:
        raise ValidationFailed(problem or "", details={"field": "vendor_invoice_number"})
    faktur, problem = rules.clean_faktur_number(tax_invoice_number)
    if problem is not None or faktur is None:
        raise ValidationFailed(problem or "", details={"field": "tax_invoice_number"})
    if faktur and not invoice.vendor_pkp:
        raise ValidationFailed(
            _("Hanya vendor PKP yang menerbitkan faktur pajak; kosongkan nomor faktur pajak."),
            details={"field": "tax_invoice_number"},
        )
    before = invoice.audit_state()
    invoice.vendor_invoice_number = number
    invoice.tax_invoice_number = faktur
    invoice.vendor_numbers_by = actor
    invoice.vendor_numbers_at = clock.now()
    invoice.state = row.target
    invoice.save()
    audit(actor, "invoice.vendor_numbers_set", invoice, before=before, after=invoice.audit_state())
    return invoice


@transaction.atomic
def verify_invoice(actor: User, invoice: Invoice) -> Invoice:
    """The PPK tests the invoice and finds it right (*tagihan diuji*): the Bendahara may pay
    it, and the taxes the collector withholds/collects become deposits to make."""
    invoice = _lock(invoice)
    row = _step(actor, invoice, Action.VERIFY)
    before = invoice.audit_state()
    invoice.state = row.target
    invoice.verified_by = actor
    invoice.verified_at = clock.now()
    invoice.save()
    _sync_deposits(invoice)
    audit(actor, "invoice.verified", invoice, before=before, after=invoice.audit_state())
    return invoice


@transaction.atomic
def mark_paid(invoice: Invoice, *, reference: str, by: User | None = None) -> Invoice:
    """The payments app records the bank's confirmation: a ``VERIFIED`` invoice becomes
    ``PAID`` with the bank reference (the vendor sees it). Called inside the transaction that
    posts the payment; the Bendahara's gate (``invoice.pay``) was checked when she paid."""
    invoice = _lock(invoice)
    if invoice.state != InvoiceState.VERIFIED:
        raise Conflict(
            _("Tagihan berstatus %(state)s: tidak dapat ditandai dibayar.")
            % {"state": InvoiceState(invoice.state).label},
            code="invalid_transition",
        )
    before = invoice.audit_state()
    invoice.state = InvoiceState.PAID
    invoice.paid_at = clock.now()
    invoice.payment_reference = reference[:64]
    invoice.save()
    audit(
        by,
        "invoice.paid",
        invoice,
        before=before,
        after={**invoice.audit_state(), "reference": invoice.payment_reference},
    )
    return invoice


@transaction.atomic
def return_invoice(actor: User, invoice: Invoice, *, reason: str) -> Invoice:
    """The PPK sends the invoice back to the vendor with a reason (e.g. a wrong faktur
    number); the vendor's numbers send it back to the PPK."""
    invoice = _lock(invoice)
    row = _step(actor, invoice, Action.RETURN)
    if problem := rules.reason_error(reason):
        raise ValidationFailed(problem, details={"field": "reason"})
    before = invoice.audit_state()
    invoice.state = row.target
    invoice.returned_by = actor
    invoice.returned_at = clock.now()
    invoice.return_reason = " ".join(reason.split())
    invoice.save()
    audit(
        actor,
        "invoice.returned",
        invoice,
        before=before,
        after={**invoice.audit_state(), "reason": invoice.return_reason},
    )
    return invoice


def _case_like(invoice: Invoice, lines: tuple[tax_rules.Line, ...]) -> tax_rules.TaxCase:
    """A case with the invoice's own date, channel, vendor facts and split flag."""
    suket = invoice.vendor_suket
    return tax_rules.TaxCase(
        date=invoice.invoice_date,
        collector=invoice.collector,
        vendor=tax_rules.VendorFacts(
            pkp=invoice.vendor_pkp,
            has_npwp=bool(invoice.vendor_npwp) and set(invoice.vendor_npwp) != {"0"},
            final_tax_certificate=suket,
        ),
        lines=lines,
        split=invoice.split,
    )


@transaction.atomic
def issue_credit_note(
    actor: User,
    invoice: Invoice,
    *,
    lines: Mapping[int, rules.CreditRequest],
    reason: str,
) -> CreditNote:
    """The PPK corrects an invoice before payment: fewer units or a lower value on some
    lines. The taxes that go with it come from the engine, with the invoice's date, channel
    and vendor facts: what was outstanding minus the engine's figures for what is left (so a
    threshold measured on the whole payment stays right). Never beyond the invoice."""
    invoice = _lock(invoice)
    _step(actor, invoice, Action.CREDIT)
    if queries.being_paid(invoice):
        raise Conflict(
            _(
                "Tagihan ini sedang dibayar: nota kredit baru dapat diterbitkan bila pembayaran "
                "gagal."
            ),
            code="invoice_being_paid",
        )
    if problem := rules.reason_error(reason):
        raise ValidationFailed(problem, details={"field": "reason"})
    now_balances = queries.balances(invoice)
    if problem := rules.credit_problem(now_balances, lines):
        raise ValidationFailed(problem, code="credit_exceeds_invoice", details={"field": "lines"})
    before = queries.outstanding(invoice)
    left = rules.balances_after(now_balances, lines)
    engine_lines = rules.engine_lines(left.values())
    if engine_lines:
        result = tax_services.quote(_case_like(invoice, engine_lines))
        after, quote_after = rules.figures_of(result), tax_rules.as_dict(result)
    else:
        after, quote_after = rules.ZERO, {}
    credit = rules.minus(before, after)
    satker = Organisation.objects.select_for_update().get(pk=invoice.satker_id)
    note = CreditNote.objects.create(
        invoice=invoice,
        number=_next_number(rules.CREDIT_NOTE, satker, clock.today_jakarta().year),
        reason=" ".join(reason.split()),
        issued_by=actor,
        issued_at=clock.now(),
        base_idr=credit.base,
        ppn_idr=credit.ppn,
        gross_idr=credit.gross,
        collected_idr=credit.collected_total,
        net_idr=credit.net,
        quote_after=quote_after,
    )
    CreditNoteLine.objects.bulk_create(
        [
            CreditNoteLine(
                credit_note=note,
                invoice_line_id=line_id,
                quantity=request.quantity,
                base_idr=request.base(now_balances[line_id].unit_price),
            )
            for line_id, request in sorted(lines.items())
            if request.quantity or request.amount
        ]
    )
    _store_taxes(CreditNoteTax, "credit_note", note, credit)
    if invoice.state == InvoiceState.VERIFIED:
        _sync_deposits(invoice)
    audit(
        actor,
        "invoice.credited",
        invoice,
        before={"outstanding": _figures_state(before)},
        after={
            "credit_note": note.number,
            "reason": note.reason,
            "credit": _figures_state(credit),
            "outstanding": _figures_state(after),
        },
    )
    return note


def _figures_state(f: rules.Figures) -> dict[str, Any]:
    return {
        "base_idr": f.base,
        "gross_idr": f.gross,
        "collected_idr": f.collected_total,
        "net_idr": f.net,
        **{f"{t.lower()}_collected_idr": f.collected(t) for t in tax_rules.TAX_ORDER},
    }


def _sync_deposits(invoice: Invoice) -> None:
    """One deposit per tax the collector withholds/collects on what is outstanding: made on
    verification, adjusted by a later credit note (void when nothing is left of it)."""
    left = queries.outstanding(invoice)
    now = clock.now()
    existing = {d.tax: d for d in TaxDeposit.objects.filter(invoice=invoice)}
    for tax in tax_rules.TAX_ORDER:
        amount = left.collected(tax)
        deposit = existing.get(tax)
        if deposit is None:
            if amount:
                TaxDeposit.objects.create(
                    invoice=invoice,
                    satker_id=invoice.satker_id,
                    tax=tax,
                    account_code=rules.ACCOUNT_CODE[tax],
                    amount_idr=amount,
                    tax_period=rules.tax_period(invoice.invoice_date),
                    due_date=rules.deposit_due_date(invoice.invoice_date),
                    created_at=now,
                    updated_at=now,
                )
            continue
        if deposit.status == DepositStatus.PAID:
            continue
        if deposit.status == DepositStatus.PROCESSING:
            if int(deposit.amount_idr) == amount:
                continue
            # Its billing code was made for the old amount: the change must wait.
            raise Conflict(
                _("Pajak %(tax)s tagihan ini sedang disetor; tunggu sampai selesai.")
                % {"tax": deposit.get_tax_display()},
                code="deposit_in_progress",
            )
        deposit.amount_idr = amount
        deposit.status = DepositStatus.OPEN if amount else DepositStatus.VOID
        deposit.updated_at = now
        deposit.save(update_fields=["amount_idr", "status", "updated_at"])


# --- deposits: what payments records while depositing (docs/adr/0021) -------------------------


def start_deposit(deposit: TaxDeposit) -> None:
    """The Bendahara asked to deposit it (the caller holds the row lock): PROCESSING, so no
    credit note changes the amount its billing code is made for."""
    if deposit.status != DepositStatus.OPEN or deposit.amount_idr <= 0:
        raise Conflict(
            _("Setoran pajak %(tax)s tagihan %(number)s tidak terbuka.")
            % {"tax": deposit.get_tax_display(), "number": deposit.invoice.number},
            code="deposit_not_open",
        )
    deposit.status = DepositStatus.PROCESSING
    deposit.updated_at = clock.now()
    deposit.save(update_fields=["status", "updated_at"])


def reopen_deposit(deposit: TaxDeposit) -> None:
    """The deposit failed (transfer refused, billing refused): open again, to be redone."""
    if deposit.status != DepositStatus.PROCESSING:
        return
    deposit.status = DepositStatus.OPEN
    deposit.billing_code = ""
    deposit.updated_at = clock.now()
    deposit.save(update_fields=["status", "billing_code", "updated_at"])


def record_deposit(
    deposit: TaxDeposit,
    *,
    billing_code: str,
    ntpn: str,
    ntb: str,
    bank_reference: str,
    deposited_on: Any,
) -> None:
    """The MPN receipted it: PAID (deposited) with its NTPN, once."""
    if deposit.status == DepositStatus.PAID:
        return
    deposit.status = DepositStatus.PAID
    deposit.billing_code = billing_code
    deposit.ntpn = ntpn
    deposit.ntb = ntb
    deposit.bank_reference = bank_reference
    deposit.deposited_on = deposited_on
    deposit.updated_at = clock.now()
    deposit.save()
