"""A refund received in instalments (payments: a flagged credit accepted, the exact rest
matched by the job) is seen by the reconciliation as one movement per credit, through the
source payments publishes, and each matches its bank booking and its ledger entry: no case."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from digipay.books import rules, services
from digipay.books.rules import StatementLine
from digipay.core import clock
from digipay.integrations.models import StatementLine as BankLine
from digipay.payments import refunds
from digipay.payments.models import RefundCredit
from digipay.payments.movements import MovementKind
from digipay.payments.rules import RefundState

from ..payments.test_refunds import ask, credit, paid
from .conftest import PPK, Bank, Shop, satker_a, user

Run = Callable[[], int]


def test_a_refund_in_two_instalments_reconciles_credit_by_credit(
    shop: Shop, bank: Bank, run_worker: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoice, line = paid(shop, run_worker)
    refund = ask(invoice, line)  # 5.550.000
    credit(2_000_000, f"CICILAN 1 {refund.reference}")
    refunds.match_refunds()
    first = RefundCredit.objects.get(refund=refund)
    refunds.accept_credit(user(PPK), refund_id=refund.pk, credit_id=first.pk)
    credit(3_550_000, refund.reference)  # the exact rest: matched by the job
    refunds.match_refunds()
    refund.refresh_from_db()
    assert refund.state == RefundState.RECEIVED

    monkeypatch.setattr(services, "movement_sources", [services._payments_source])
    satker = satker_a()
    start, end = services.day_bounds(refund.received_at.astimezone(clock.JAKARTA).date())
    moves = [
        m
        for m in services.digipay_movements(int(satker.pk), start, end)
        if m.kind == MovementKind.REFUND
    ]
    assert sorted(m.amount_idr for m in moves) == [2_000_000, 3_550_000]
    entries = {e for m in moves for e in m.entry_ids}
    assert len(entries) == 2
    statement = [
        StatementLine(b.reference_no, "", b.amount_idr, b.booked_at, refund.reference)
        for b in BankLine.objects.filter(
            pk__in=RefundCredit.objects.filter(refund=refund).values("statement_line_id")
        )
    ]
    ledger = [
        ln for ln in services.ledger_lines(int(satker.pk), start, end) if ln.entry_id in entries
    ]
    result = rules.reconcile_day(
        day_start=start,
        day_end=end,
        now=end,
        statement=statement,
        movements=moves,
        ledger=ledger,
    )
    assert result.findings == []
    assert result.matched == 2
