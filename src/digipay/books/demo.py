"""Demo data of books. The BKU, the sub-books and the LPJ preview are generated from the
ledger and the bank, so the demo's UP advances, orders and payments already fill them: nothing
is created for them.

The full demo (``make run``, with the bank simulator up) also runs today's reconciliation of
every treasurer account through the real service, so the reconciliation pages show a run (and
whatever the demo's bank really disagrees on). A bank that cannot be reached is recorded as
the run's error, as the daily job would."""

from __future__ import annotations

import logging

from digipay.books import services
from digipay.core import clock
from digipay.core.errors import DomainError
from digipay.payments.models import TreasurerAccount

log = logging.getLogger(__name__)


def load(*, full: bool = True) -> int:
    """Returns how many treasurer accounts were reconciled (0 for the small world)."""
    if not full:
        return 0
    done = 0
    today = clock.today_jakarta()
    for account in TreasurerAccount.objects.select_related("satker").order_by("id"):
        try:
            services.reconcile_day(account.satker, today)
        except DomainError as exc:
            log.warning("demo reconciliation of %s skipped: %s", account.satker.code, exc)
            continue
        done += 1
    return done
