"""Reconciliation under concurrent runs (PostgreSQL only): several workers reconciling the same
satker's day at once record one run and open each case once; cases worked by two people at
once end in one consistent state.

The demo world is loaded inside each (transactional) test, as in the payments' concurrency
tests."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from digipay import demo as demo_set
from digipay.accounts.models import Organisation
from digipay.books import services
from digipay.books.models import CaseNote, ReconciliationCase, ReconciliationRun
from digipay.books.rules import CaseStatus
from digipay.core import clock
from digipay.core.errors import DomainError
from digipay.payments import services as payments
from digipay.payments.models import TreasurerAccount

from ..orders.test_concurrency import as_user, race
from .conftest import BENDAHARA, BRI, A, Bank
from .test_reconciliation import bank_transfer

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 6


@pytest.fixture
def sim(_banksim: Bank, monkeypatch: pytest.MonkeyPatch) -> Bank:
    demo_set.load(full=False)
    monkeypatch.setattr(payments, "gateway_for", _banksim.gateway)
    monkeypatch.setattr(services, "movement_sources", [services.treasury_movements])
    return _banksim


@pytest.fixture
def account(sim: Bank) -> str:
    number = f"0346018{uuid.uuid4().int % 10**8:08d}"
    sim.admin(
        "PUT", f"/admin/accounts/{BRI}/{number}", {"name": "BPG UJI", "balance": "5000000.00"}
    )
    TreasurerAccount.objects.update_or_create(
        satker=Organisation.objects.get(code=A), defaults={"bank_code": BRI, "account_no": number}
    )
    return number


def test_concurrent_runs_of_one_day_open_each_case_once(sim: Bank, account: str) -> None:
    bank_transfer(sim, account, 125_000, f"ASING-{uuid.uuid4().hex[:8]}")
    bank_transfer(sim, account, 250_000, f"ASING-{uuid.uuid4().hex[:8]}")
    satker_id = Organisation.objects.get(code=A).pk
    today = clock.today_jakarta()

    def reconcile() -> Any:
        return services.reconcile_day(Organisation.objects.get(pk=satker_id), today)

    results = race(*(reconcile for _ in range(THREADS)))
    assert all(isinstance(r, ReconciliationRun) for r in results), results
    run = ReconciliationRun.objects.get()
    assert run.runs == THREADS
    # The UP advance recorded today has no credit at this bank yet: in transit, no case.
    assert ReconciliationCase.objects.count() == 2
    assert sorted(ReconciliationCase.objects.values_list("amount_idr", flat=True)) == [
        -250_000,
        -125_000,
    ]


def test_a_case_closed_twice_at_once_closes_once(sim: Bank, account: str) -> None:
    bank_transfer(sim, account, 125_000, f"ASING-{uuid.uuid4().hex[:8]}")
    services.reconcile_day(Organisation.objects.get(code=A), clock.today_jakarta())
    case = ReconciliationCase.objects.get()
    bendahara = as_user(BENDAHARA)

    def close(n: int) -> Any:
        return services.close_case(
            bendahara(), case.pk, status=CaseStatus.RESOLVED, reason=f"Diselesaikan oleh {n}."
        )

    results = race(*(lambda n=n: close(n) for n in range(THREADS)))
    closed = [r for r in results if isinstance(r, ReconciliationCase)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(closed) == 1, results
    assert len(refused) == THREADS - 1
    assert all(r.code == "case_transition" for r in refused)
    assert ReconciliationCase.objects.get().resolution == closed[0].resolution
    assert CaseNote.objects.filter(case=case, author__isnull=False).count() == 1
