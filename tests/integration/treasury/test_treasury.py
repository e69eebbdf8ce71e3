"""UP lifecycle, KKP share, TUP, year-end return, KKP cards and policy tables, through the
services, the API and the pages, with the ledger checked after each."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import pytest

from digipay.accounts.models import Organisation, User
from digipay.accounts.rules import OrgKind
from digipay.audit.models import AuditEvent
from digipay.core import clock
from digipay.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from digipay.ledger import queries as ledger_queries
from digipay.ledger import services as ledger
from digipay.ledger.rules import Leg
from digipay.policy import queries as policy
from digipay.policy import services as policy_services
from digipay.policy.rules import PolicyKey
from digipay.treasury import chart, queries, services
from digipay.treasury.models import CardStatus, KkpCard, UpAllocation

YEAR = clock.today_jakarta().year


def _u(email: str) -> User:
    return User.objects.get(email=email)


KPPN_A = "admin@kppn019.demo.digipay.id"
KANWIL_A = "admin@kanwil31.demo.digipay.id"
ADMIN_A = "admin@415256.demo.digipay.id"


@pytest.fixture
def new_satker(world: dict[str, Any]) -> Organisation:
    from digipay.accounts import services as accounts

    return accounts.register_organisation(
        _u(KPPN_A),
        kind=OrgKind.SATKER,
        code="990001",
        name="Satker Uji UP",
        parent=world["kppn_a"],
        ministry_code="015",
        province_code="31",
    )


def _record(
    satker: Organisation, amount: int = 500_000_000, budget: int = 6_000_000_000, **kw: Any
) -> UpAllocation:
    return services.record_up(
        _u(KPPN_A),
        satker=satker,
        fiscal_year=YEAR,
        funding_source=kw.pop("source", "RM"),
        sp2d_number=kw.pop("sp2d", f"{YEAR}990001UP01"),
        sp2d_date=date(YEAR, 1, 15),
        annual_budget_idr=budget,
        amount_idr=amount,
        **kw,
    )


def test_demo_satkers_have_up_and_a_card(world: dict[str, Any]) -> None:
    for key in ("satker_a", "satker_b", "satker_c"):
        position = queries.up_position(world[key])
        assert position["tunai"].available == 300_000_000
        assert position["kkp"].available == 200_000_000
        lines = queries.cards_of(world[key])
        assert len(lines) == 1
        assert lines[0].available == 50_000_000
    assert ledger_queries.validate_ledger() == []
    assert ledger_queries.total_of_all_postings() == 0


def test_record_up_splits_posts_and_audits(new_satker: Organisation) -> None:
    allocation = _record(new_satker)
    assert (allocation.tunai_idr, allocation.kkp_idr) == (300_000_000, 200_000_000)
    entry = ledger_queries.entry_with_postings(allocation.ledger_entry_id or 0)
    assert entry is not None
    assert entry.reason_code == "UP_ADVANCE"
    codes = {(p.account.owner_id, p.account.code): p.amount for p in entry.postings.all()}
    kppn_id = new_satker.parent_id
    assert codes[(new_satker.pk, "UP_TUNAI")] == 300_000_000
    assert codes[(new_satker.pk, "UP_KKP")] == 200_000_000
    assert codes[(kppn_id, f"UP_RECEIVABLE:{new_satker.pk}")] == 500_000_000
    assert codes[(kppn_id, "UP_DISBURSED")] == -500_000_000
    event = AuditEvent.objects.get(action="up.recorded", object_id=str(allocation.pk))
    assert event.after["tunai_idr"] == 300_000_000
    assert ledger_queries.validate_ledger() == []


@pytest.mark.parametrize(
    ("amount", "budget", "approval", "code"),
    [
        (500_000_001, 6_000_000_000, "", "up_ceiling"),  # above 1/12 of the budget
        (600_000_000, 12_000_000_000, "", "up_ceiling"),
    ],  # above Rp500 juta without approval
)
def test_up_ceiling_refused_and_nothing_written(
    new_satker: Organisation, amount: int, budget: int, approval: str, code: str
) -> None:
    before = (
        UpAllocation.objects.count(),
        ledger_queries.total_of_all_postings(),
        AuditEvent.objects.count(),
    )
    with pytest.raises(ValidationFailed) as exc:
        _record(new_satker, amount, budget, kanwil_approval_ref=approval)
    assert exc.value.code == code
    assert (
        UpAllocation.objects.count(),
        ledger_queries.total_of_all_postings(),
        AuditEvent.objects.count(),
    ) == before


def test_up_above_500_juta_with_kanwil_approval(new_satker: Organisation) -> None:
    allocation = _record(
        new_satker, 600_000_000, 12_000_000_000, kanwil_approval_ref="S-77/WPB.12/2026"
    )
    assert allocation.tunai_idr == 360_000_000


def test_one_up_per_funding_source_and_year(new_satker: Organisation) -> None:
    _record(new_satker)
    with pytest.raises(Conflict):
        _record(new_satker, sp2d="OTHER-1")
    _record(new_satker, 100_000_000, sp2d="OTHER-2", source="PNBP")


def test_only_the_paying_kppn_records_up(world: dict[str, Any], new_satker: Organisation) -> None:
    with pytest.raises(NotFound):
        services.record_up(
            _u("admin@kppn030.demo.digipay.id"),
            satker=new_satker,
            fiscal_year=YEAR,
            funding_source="RM",
            sp2d_number="X",
            sp2d_date=date(YEAR, 1, 2),
            annual_budget_idr=1_200_000_000,
            amount_idr=100_000_000,
        )
    with pytest.raises(PermissionDenied):
        services.record_up(
            _u("admin@kanwil31.demo.digipay.id"),
            satker=new_satker,
            fiscal_year=YEAR,
            funding_source="RM",
            sp2d_number="X",
            sp2d_date=date(YEAR, 1, 2),
            annual_budget_idr=1_200_000_000,
            amount_idr=100_000_000,
        )


def test_kanwil_changes_the_kkp_share_for_the_next_up(new_satker: Organisation) -> None:
    with pytest.raises(PermissionDenied):
        services.set_kkp_share(_u(KPPN_A), satker=new_satker, share=Fraction(1, 2), reason="x")
    services.set_kkp_share(
        _u(KANWIL_A), satker=new_satker, share=Fraction(1, 4), reason="Satker jarang memakai kartu"
    )
    allocation = _record(new_satker)
    assert (allocation.tunai_idr, allocation.kkp_idr) == (375_000_000, 125_000_000)
    assert AuditEvent.objects.filter(action="up.kkp_share_set").count() == 1


def test_tup_due_in_a_month_and_extended_at_most_twice(new_satker: Organisation) -> None:
    tup = services.record_tup(
        _u(KPPN_A),
        satker=new_satker,
        amount_idr=80_000_000,
        sp2d_number="TUP-1",
        sp2d_date=date(YEAR, 3, 10),
        reason="Penanganan banjir",
    )
    assert tup.due_date == date(YEAR, 4, 10)
    assert queries.up_position(new_satker)["tunai"].available == 80_000_000
    services.extend_tup(_u(KPPN_A), tup, reason="Kegiatan belum selesai")
    tup = services.extend_tup(_u(KPPN_A), tup, reason="Kegiatan belum selesai")
    assert tup.due_date == date(YEAR, 6, 10)
    with pytest.raises(ValidationFailed) as exc:
        services.extend_tup(_u(KPPN_A), tup, reason="Lagi")
    assert exc.value.code == "tup_extension_limit"


def test_year_end_return_empties_up_and_refuses_open_holds(world: dict[str, Any]) -> None:
    satker = world["satker_a"]
    book = chart.satker_book(satker)
    expense = chart.expense(satker, "521211")
    hold = ledger.hold(
        key="order-1",
        tenant_id=satker.pk,
        reason_code="ORDER_APPROVED",
        legs=[Leg(expense.pk, 10_000_000), Leg(book.up_tunai.pk, -10_000_000)],
    )
    with pytest.raises(Conflict) as exc:
        services.return_up(
            _u(KPPN_A),
            satker=satker,
            fiscal_year=YEAR,
            deposit_reference="NTPN1",
            returned_on=date(YEAR, 12, 30),
        )
    assert exc.value.code == "holds_open"
    ledger.post_hold(key="pay-1", hold_id=hold.pk, amount=4_000_000)
    returned = services.return_up(
        _u(KPPN_A),
        satker=satker,
        fiscal_year=YEAR,
        deposit_reference="0123456789ABCDEF",
        returned_on=date(YEAR, 12, 30),
    )
    assert (returned.tunai_idr, returned.kkp_idr) == (296_000_000, 200_000_000)
    position = queries.up_position(satker)
    assert position["tunai"].posted == 0
    assert position["kkp"].posted == 0
    assert ledger_queries.validate_ledger() == []


def test_cards_store_no_card_number_and_respect_limits(world: dict[str, Any]) -> None:
    satker = world["satker_a"]
    admin = _u(ADMIN_A)
    ppk = _u("ppk@415256.demo.digipay.id")
    bni = Organisation.objects.get(kind=OrgKind.BANK, code="009")
    common = {"satker": satker, "cardholder": ppk, "bank": bni, "issued_on": date(YEAR, 2, 1)}
    with pytest.raises(ValidationFailed) as exc:
        services.issue_kkp_card(
            admin,
            bank_card_ref="4111111111111111",
            last4="1111",
            card_limit_idr=10_000_000,
            **common,
        )
    assert exc.value.code == "card_data"
    with pytest.raises(ValidationFailed):
        services.issue_kkp_card(
            admin, bank_card_ref="BNI-9", last4="1111", card_limit_idr=200_000_001, **common
        )
    card = services.issue_kkp_card(
        admin, bank_card_ref="BNI-9", last4="1111", card_limit_idr=20_000_000, **common
    )
    assert "4111111111111111" not in str(KkpCard.objects.filter(pk=card.pk).values().get())
    # Spend on the card line (a hold, as a card authorization will) and try to cut the limit.
    line = chart.card_line(satker, card.pk, card.last4)
    memo = chart.satker_book(satker).card_limits
    ledger.hold(
        key="auth-1",
        tenant_id=satker.pk,
        reason_code="CARD_AUTH",
        legs=[Leg(line.pk, -15_000_000), Leg(memo.pk, 15_000_000)],
    )
    with pytest.raises(ledger.LedgerError) as lerr:
        services.change_card_limit(admin, card, card_limit_idr=10_000_000)
    assert lerr.value.code == "insufficient_funds"
    card.refresh_from_db()
    assert card.card_limit_idr == 20_000_000
    services.change_card_limit(admin, card, card_limit_idr=30_000_000)
    assert [line.available for line in queries.cards_of(satker) if line.card.pk == card.pk] == [
        15_000_000
    ]
    with pytest.raises(Conflict):
        services.set_card_status(admin, card, status=CardStatus.CLOSED, reason="Pensiun")
    services.set_card_status(admin, card, status=CardStatus.BLOCKED, reason="Hilang")
    with pytest.raises(PermissionDenied):
        services.set_card_status(ppk, card, status=CardStatus.ACTIVE, reason="x")
    assert ledger_queries.validate_ledger() == []


def test_closing_a_card_returns_its_unused_line(world: dict[str, Any]) -> None:
    satker = world["satker_b"]
    card = KkpCard.objects.get(satker=satker)
    services.set_card_status(
        _u("admin@527010.demo.digipay.id"),
        card,
        status=CardStatus.CLOSED,
        reason="Pemegang kartu pensiun",
    )
    line = chart.card_line(satker, card.pk, card.last4)
    assert ledger_queries.balance_of(line).posted == 0
    assert ledger_queries.validate_ledger() == []


def test_policy_values_are_effective_dated_and_audited(world: dict[str, Any]) -> None:
    djpb = _u("admin@djpb.demo.digipay.id")
    today = clock.today_jakarta()
    assert policy.idr_in_force(PolicyKey.PAYMENT_LIMIT_GENERAL, today) == 50_000_000
    start = today + timedelta(days=10)
    policy_services.schedule_policy_value(
        djpb,
        key=PolicyKey.PAYMENT_LIMIT_GENERAL,
        value=Fraction(75_000_000),
        valid_from=start,
        legal_basis="PMK uji",
    )
    assert policy.idr_in_force(PolicyKey.PAYMENT_LIMIT_GENERAL, today) == 50_000_000
    assert policy.idr_in_force(PolicyKey.PAYMENT_LIMIT_GENERAL, start) == 75_000_000
    assert policy.idr_in_force(PolicyKey.PAYMENT_LIMIT_GENERAL, start - timedelta(days=1)) == (
        50_000_000
    )
    event = AuditEvent.objects.get(action="policy.scheduled")
    assert event.before["value"] == "50000000"
    with pytest.raises(ValidationFailed):
        policy_services.schedule_policy_value(
            djpb,
            key=PolicyKey.GUP_THRESHOLD,
            value=Fraction(1, 3),
            valid_from=today - timedelta(days=1),
            legal_basis="surut",
        )
    # The national policy is outside a KPPN's reach: refused like any foreign object.
    with pytest.raises(NotFound):
        policy_services.schedule_policy_value(
            _u(KPPN_A),
            key=PolicyKey.GUP_THRESHOLD,
            value=Fraction(1, 3),
            valid_from=start,
            legal_basis="bukan DJPb",
        )


def test_up_ceiling_follows_the_policy_in_force(new_satker: Organisation) -> None:
    policy_services.schedule_policy_value(
        _u("admin@djpb.demo.digipay.id"),
        key=PolicyKey.UP_CEILING,
        value=Fraction(100_000_000),
        valid_from=clock.today_jakarta() + timedelta(days=1),
        legal_basis="uji",
    )
    # The SP2D is dated in January: the old ceiling (Rp500 juta) applies to it.
    _record(new_satker, 400_000_000)
