"""Two PPKs' clicks racing to verify one invoice (PostgreSQL only; transactional): one
verification, one set of deposits, one audit event; the other click gets 409."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from digipay import demo as demo_set
from digipay.accounts.models import User
from digipay.audit.models import AuditEvent
from digipay.core.errors import Conflict
from digipay.invoicing import services
from digipay.invoicing.models import Invoice, TaxDeposit
from digipay.invoicing.rules import InvoiceState

from ..orders.conftest import JUTA, PPK, Shop, _world, make_product, user
from .conftest import invoice_of, received

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def race(*works: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(len(works))
    results: list[Any] = [None] * len(works)

    def run(i: int, work: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = work()
        except BaseException as exc:  # every outcome is checked below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return results


def test_two_concurrent_verifications_make_one_verification_and_one_set_of_deposits() -> None:
    demo_set.load(full=False)
    shop = Shop(_world())
    invoice = invoice_of(received(shop, [(make_product("UMKM-0001", price=5 * JUTA), 2)]))
    ppk_id = user(PPK).pk

    def verify() -> Invoice:
        return services.verify_invoice(
            User.objects.get(pk=ppk_id), Invoice.objects.get(pk=invoice.pk)
        )

    results = race(verify, verify, verify)

    won = [r for r in results if isinstance(r, Invoice)]
    lost = [r for r in results if not isinstance(r, Invoice)]
    assert len(won) == 1, results
    assert all(isinstance(r, Conflict) and r.code == "invalid_transition" for r in lost), results
    assert Invoice.objects.get(pk=invoice.pk).state == InvoiceState.VERIFIED
    assert TaxDeposit.objects.filter(invoice=invoice).count() == 2
    assert (
        AuditEvent.objects.filter(action="invoice.verified", object_id=str(invoice.pk)).count() == 1
    )
