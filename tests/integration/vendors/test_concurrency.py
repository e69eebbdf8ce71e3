"""Vendor decisions under concurrent writers (PostgreSQL only; skipped on SQLite, where
``transaction_mode=IMMEDIATE`` serialises writers anyway).

Threads, each with its own connection, released together by a barrier: verifying and rejecting
the same PENDING vendor at once must end with exactly one decision; a verification racing a
suspension must leave a history whose every step starts where the previous one ended; two
registrations with the same owner NIK at once must leave one vendor.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from digipay.accounts import demo as accounts_demo
from digipay.accounts.models import Organisation
from digipay.audit.queries import verify_chain
from digipay.core.errors import Conflict, DomainError
from digipay.vendors import services
from digipay.vendors.models import Vendor, VendorDecision
from digipay.vendors.rules import VendorStatus

from .conftest import KPPN_A, PP_A, PPK_A, nik, register, registration, user

# serialized_rollback: the reference rows of the migrations (provinces, DJPb) come back even
# when an earlier transactional test flushed them.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROUNDS = 6
REASONS = "Dokumen NIB tidak sesuai dengan nama usaha."


def race(*works: Callable[[], Any]) -> list[Any]:
    """Run the works at once on their own connections; each result or the DomainError raised."""
    barrier = threading.Barrier(len(works))
    results: list[Any] = [None] * len(works)

    def run(i: int, work: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = work()
        except DomainError as exc:
            results[i] = exc
        except BaseException as exc:  # pragma: no cover - reported by the assertion below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_verify_and_reject_at_once_exactly_one_wins() -> None:
    accounts_demo.load()
    pp, ppk = user(PP_A), user(PPK_A)
    for _round in range(ROUNDS):
        vendor = register()
        results = race(
            lambda v=vendor: services.verify_vendor(pp, Vendor.objects.get(pk=v.pk)),
            lambda v=vendor: services.reject_vendor(
                ppk, Vendor.objects.get(pk=v.pk), reasons=REASONS
            ),
        )
        won = [r for r in results if isinstance(r, Vendor)]
        lost = [r for r in results if not isinstance(r, Vendor)]
        assert len(won) == 1, results
        assert len(lost) == 1, results
        assert isinstance(lost[0], Conflict), results
        assert lost[0].code == "invalid_transition"
        decisions = list(VendorDecision.objects.filter(vendor=vendor))
        assert len(decisions) == 1
        final = Vendor.objects.get(pk=vendor.pk)
        assert final.status == won[0].status == decisions[0].to_status
        assert final.status in (VendorStatus.VERIFIED, VendorStatus.REJECTED)
        assert verify_chain(vendor.organisation_id) is None


def test_verify_racing_a_suspension_keeps_a_consistent_history() -> None:
    accounts_demo.load()
    pp, kppn = user(PP_A), user(KPPN_A)
    for _round in range(ROUNDS):
        vendor = register()
        race(
            lambda v=vendor: services.verify_vendor(pp, Vendor.objects.get(pk=v.pk)),
            lambda v=vendor: services.suspend_vendor(
                kppn, Vendor.objects.get(pk=v.pk), reason="Diperiksa KPPN atas laporan."
            ),
        )
        final = Vendor.objects.get(pk=vendor.pk)
        steps = list(VendorDecision.objects.filter(vendor=vendor).order_by("at", "id"))
        assert steps, "neither decision was recorded"
        assert steps[0].from_status == VendorStatus.PENDING
        for before, after in itertools.pairwise(steps):
            assert after.from_status == before.to_status, [
                (s.action, s.from_status, s.to_status) for s in steps
            ]
        assert final.status == steps[-1].to_status == VendorStatus.SUSPENDED
        # Whatever the order, the suspension sticks and reinstatement returns to the truth.
        back = services.reinstate_vendor(kppn, final, reason="Pemeriksaan KPPN selesai.")
        assert back.status == steps[-1].from_status


def test_two_registrations_with_the_same_nik_at_once_leave_one_vendor() -> None:
    accounts_demo.load()
    for serial in range(9500, 9500 + ROUNDS):
        vendors_before = Organisation.objects.filter(kind="VENDOR").count()
        first = registration(owner_nik=nik(serial))
        second = registration(owner_nik=nik(serial), partner_satker_code="527010")
        results = race(
            lambda a=first: services.register_vendor(a),
            lambda b=second: services.register_vendor(b),
        )
        won = [r for r in results if isinstance(r, Vendor)]
        assert len(won) == 1, results
        loser = next(r for r in results if not isinstance(r, Vendor))
        assert isinstance(loser, DomainError), results
        assert loser.status in (409, 422)
        assert Vendor.objects.filter(owner_person_key=won[0].owner_person_key).count() == 1
        assert Organisation.objects.filter(kind="VENDOR").count() == vendors_before + 1
