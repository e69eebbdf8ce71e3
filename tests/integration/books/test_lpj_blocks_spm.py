"""A late LPJ blocks the satker's next SPM (books registers the check with replenishment's
``on_spm_check``): blocked while a past month's LPJ is missing after its due date (the 10th
of the next month), unblocked once it is submitted (late or not); a satker that first held
UP this month, or never, is not blocked."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from digipay.accounts.models import Organisation
from digipay.books import queries, rules
from digipay.books.models import Lpj
from digipay.core import clock
from digipay.core.errors import Conflict
from digipay.replenishment import services as replenishment
from digipay.treasury.models import UpAllocation

from .conftest import BENDAHARA, satker_a, user

TODAY = datetime(2027, 2, 11, 9, tzinfo=clock.JAKARTA)  # the day after January's due date


def first_up_on(satker: Organisation, day: date) -> None:
    assert UpAllocation.objects.filter(satker=satker).exists()
    at = datetime.combine(day, datetime.min.time(), tzinfo=clock.JAKARTA).replace(hour=10)
    UpAllocation.objects.filter(satker=satker).update(recorded_at=at)


def submit(satker: Organisation, period: date) -> None:
    """An LPJ submitted (late) for ``period``: only its row matters to the check."""
    Lpj.objects.create(
        satker=satker,
        period=period,
        number=f"LPJ-{satker.code}-{period:%Y%m}",
        due_date=rules.lpj_due_date(period),
        late=True,
        up_tunai_idr=0,
        up_kkp_idr=0,
        kkp_bill_paid_idr=0,
        taxes_held_idr=0,
        bank_closing_idr=0,
        bank_closing_at=TODAY,
        in_transit_idr=0,
        submitted_by=user(BENDAHARA),
        submitted_at=TODAY,
    )


def draft_gup_refusal() -> Conflict:
    """Drafting a GUP with nothing paid: ``spm_blocked`` when the check refuses first,
    ``nothing_to_replenish`` when it lets the draft through."""
    with clock.frozen(TODAY), pytest.raises(Conflict) as refused:
        replenishment.draft_gup(user(BENDAHARA))
    return refused.value


def test_the_check_is_registered_with_replenishment(world: object) -> None:
    assert queries.spm_check in replenishment.SPM_CHECKS


def test_a_missing_lpj_past_its_due_date_blocks_the_next_spm_until_submitted(
    world: object,
) -> None:
    satker = satker_a()
    first_up_on(satker, date(2026, 12, 5))
    refused = draft_gup_refusal()
    assert refused.code == "spm_blocked"
    assert refused.message == (
        "LPJ bulan 12/2026 belum disampaikan (jatuh tempo 10/01/2027): "
        "SPM berikutnya tidak dapat diajukan."
    )
    with clock.frozen(TODAY), pytest.raises(Conflict) as tup:
        replenishment.request_tup(user(BENDAHARA), amount_idr=1, reason="kebutuhan mendesak")
    assert tup.value.code == "spm_blocked"

    submit(satker, date(2026, 12, 1))  # December's, late: January's is still missing
    refused = draft_gup_refusal()
    assert refused.code == "spm_blocked"
    assert "01/2027" in refused.message
    assert "10/02/2027" in refused.message

    submit(satker, date(2027, 1, 1))  # late but submitted: no longer blocks
    assert draft_gup_refusal().code == "nothing_to_replenish"
    with clock.frozen(TODAY):
        assert queries.spm_check(satker) is None


def test_on_the_due_date_the_lpj_does_not_block_yet(world: object) -> None:
    satker = satker_a()
    first_up_on(satker, date(2027, 1, 20))
    with clock.frozen(datetime(2027, 2, 10, 23, tzinfo=clock.JAKARTA)):
        assert queries.spm_check(satker) is None
    assert queries.overdue_lpj(satker, date(2027, 2, 11)) == date(2027, 1, 1)


def test_a_new_satker_is_not_blocked(world: object) -> None:
    satker = satker_a()
    first_up_on(satker, date(2027, 2, 3))  # its first UP this month: no LPJ due yet
    assert draft_gup_refusal().code == "nothing_to_replenish"
    # Nor one that has never held UP (no month to report).
    UpAllocation.objects.filter(satker=satker).delete()
    with clock.frozen(TODAY):
        assert queries.spm_check(satker) is None
