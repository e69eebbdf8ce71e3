"""Fixtures of the books tests: the payment tests' world and real bank simulator, with a fresh
treasurer account for satker A in every test (so the day's statement holds only that test's
bookings) whose bank balance agrees with the ledger's UP_TUNAI, the UP advance credited by
the treasury with its SP2D number in the remark.

Digipay's payment records come through ``services.movement_sources``: until payments and
replenishment publish ``treasurer_movements``, ``payment_movements`` builds them from the
payments tables the way that function is specified (``digipay.payments.movements``)."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from digipay.accounts.models import Organisation
from digipay.books import services
from digipay.ledger.models import AccountBalance, Entry
from digipay.payments.models import BankInstruction, TreasurerAccount
from digipay.payments.movements import Movement, MovementKind, MovementStatus
from digipay.payments.rules import InstructionStatus
from digipay.treasury import chart
from digipay.treasury.models import UpAllocation

from ..payments.conftest import (  # noqa: F401 - fixtures
    BENDAHARA,
    BRI,
    JUTA,
    PPK,
    A,
    Bank,
    Shop,
    _banksim,
    _module_world,
    bank,
    email,
    make_product,
    received,
    run_worker,
    shop,
    user,
    verified,
    world,
)

_numbers = itertools.count(1)


def satker_a() -> Organisation:
    return Organisation.objects.get(code=A)


def up_tunai_posted(satker: Organisation) -> int:
    row = AccountBalance.objects.get(account=chart.satker_book(satker).up_tunai)
    return int(row.debits_posted - row.credits_posted)


def payment_movements(satker_id: int, start: datetime, end: datetime) -> list[Movement]:
    """What ``payments.queries.treasurer_movements`` is to answer: one row per transfer
    instruction from the treasurer's account, its ledger entries (the hold's posting and the
    withheld taxes)."""
    status = {
        InstructionStatus.DONE: MovementStatus.DONE,
        InstructionStatus.FAILED: MovementStatus.FAILED,
    }
    found = []
    for ins in BankInstruction.objects.filter(
        payment__satker_id=satker_id, created_at__lt=end
    ).exclude(source_account=""):
        entries: list[int] = []
        for line in ins.lines.all():
            if line.posted_entry_id:
                entries.append(int(line.posted_entry_id))
            tax = Entry.objects.filter(idempotency_key=f"payment-line:{line.pk}:tax").first()
            if tax is not None:
                entries.append(int(tax.pk))
        found.append(
            Movement(
                kind=MovementKind.VENDOR_TRANSFER,
                direction=-1,
                amount_idr=int(ins.amount_idr),
                status=status.get(ins.status, MovementStatus.OPEN),
                bank_reference=ins.bank_reference,
                partner_reference=ins.partner_reference_no,
                remark=f"Digipay {ins.payment.number}",
                created_at=ins.created_at,
                settled_at=ins.finished_at,
                entry_ids=tuple(entries),
                source=f"payments.bankinstruction:{ins.pk}",
            )
        )
    return found


class Records:
    """Digipay's records as the reconciliation sees them; tests add their own rows."""

    def __init__(self) -> None:
        self.extra: list[Movement] = []

    def __call__(self, satker_id: int, start: datetime, end: datetime) -> list[Movement]:
        return list(self.extra)


@pytest.fixture
def records(monkeypatch: pytest.MonkeyPatch) -> Records:
    extra = Records()
    monkeypatch.setattr(
        services,
        "movement_sources",
        [payment_movements, services.treasury_movements, extra],
    )
    return extra


@pytest.fixture
def treasurer(bank: Bank) -> str:  # noqa: F811 - the fixture
    """A new treasurer account for satker A at BRI: its balance is the ledger's UP_TUNAI
    without today's UP advances, which the treasury then credits (SP2D number in the remark)."""
    satker = satker_a()
    account_no = f"0346019{next(_numbers):08d}"  # unique in the module's simulator
    advances = list(UpAllocation.objects.filter(satker=satker, tunai_idr__gt=0))
    opening = up_tunai_posted(satker) - sum(int(a.tunai_idr) for a in advances)
    bank.admin(
        "PUT",
        f"/admin/accounts/{BRI}/{account_no}",
        {"name": "BPG 415256 SETDITJEN PERBENDAHARAAN", "balance": f"{opening}.00"},
    )
    for a in advances:
        bank.admin(
            "POST",
            "/admin/credits",
            {
                "bank": BRI,
                "accountNo": account_no,
                "amount": f"{int(a.tunai_idr)}.00",
                "sourceBankCode": BRI,
                "sourceAccountNo": "0000000001",
                "sourceName": "RPKBUN KPPN",
                "remark": f"SP2D {a.sp2d_number}",
            },
        )
    TreasurerAccount.objects.update_or_create(
        satker=satker, defaults={"bank_code": BRI, "account_no": account_no}
    )
    return account_no


__all__ = [
    "BENDAHARA",
    "BRI",
    "JUTA",
    "PPK",
    "A",
    "Bank",
    "Records",
    "Shop",
    "email",
    "make_product",
    "payment_movements",
    "received",
    "satker_a",
    "up_tunai_posted",
    "user",
    "verified",
]
