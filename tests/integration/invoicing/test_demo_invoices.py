"""The full demo set (``make run``): the demo orders' BASTs made one invoice each through the
real services; the Bendahara of satker 415256 has invoices to see and to pay (verified, with
their tax deposits); loading again changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test.utils import override_settings

from digipay import demo as demo_set
from digipay.accounts.models import User
from digipay.invoicing import demo as invoicing_demo
from digipay.invoicing import queries
from digipay.invoicing.models import Invoice, TaxDeposit
from digipay.invoicing.rules import InvoiceState
from digipay.orders.models import Receipt


@pytest.fixture(scope="module")
def _full_demo(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            MEDIA_ROOT=str(tmp_path_factory.mktemp("demo-media")),
        ),
        transaction.atomic(),
    ):
        demo_set.load(full=True)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def full_demo(_full_demo: None, db: None) -> None:
    """The full demo set, loaded once for the module."""


def test_every_demo_bast_has_its_invoice(full_demo: None) -> None:
    receipts = Receipt.objects.count()
    assert receipts > 0
    assert Invoice.objects.count() == receipts
    assert not Receipt.objects.filter(invoice__isnull=True).exists()


def test_the_bendahara_of_415256_has_invoices_to_see_and_to_pay(full_demo: None) -> None:
    bendahara = User.objects.get(email="bendahara@415256.demo.digipay.id")
    assert queries.visible_invoices(bendahara).exists()
    to_pay = queries.todo(bendahara)
    assert to_pay.exists()
    assert all(i.state == InvoiceState.VERIFIED for i in to_pay)
    ppk = User.objects.get(email="ppk@415256.demo.digipay.id")
    assert queries.todo(ppk).exists()  # the younger half still waits for the PPK


def test_verified_demo_invoices_have_their_deposits(full_demo: None) -> None:
    for invoice in Invoice.objects.filter(state=InvoiceState.VERIFIED):
        withheld = {t.tax for t in invoice.taxes.all() if t.collected_idr > 0}
        assert set(TaxDeposit.objects.filter(invoice=invoice).values_list("tax", flat=True)) == (
            withheld
        )


def test_loading_again_changes_nothing(full_demo: None) -> None:
    before = (Invoice.objects.count(), TaxDeposit.objects.count())
    assert invoicing_demo.load(full=True) == 0
    assert demo_set.load(full=True) is False
    assert (Invoice.objects.count(), TaxDeposit.objects.count()) == before
