"""The pure rules of orders (``digipay.orders.rules``): the one state table, delivery state,
negotiation rounds, the per-recipient limit, split detection, the PPN estimate, deadlines.

The expected state table below is written out independently of ``rules.TRANSITIONS`` (from
DOMAIN.md §4), so that any change to the table — a row added, removed or re-targeted — fails
here. Every (state, action) pair outside it must be refused by the lookup the services use.
No database.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from digipay.accounts.rules import ACTIONS
from digipay.core import calendar
from digipay.core.errors import Conflict
from digipay.orders import rules
from digipay.orders.models import Order
from digipay.orders.rules import Action, Side
from digipay.orders.rules import OrderState as S

A = Action

JUTA = 1_000_000

# (state, action) → (target, gate, side). Target None: depends on the quantities.
EXPECTED: dict[tuple[str, str], tuple[str | None, str | None, str]] = {
    (S.MENUNGGU_RINCIAN, A.EDIT): (S.MENUNGGU_RINCIAN, "order.prepare", Side.BUYER),
    (S.NEGO_SELESAI, A.EDIT): (S.NEGO_SELESAI, "order.prepare", Side.BUYER),
    (S.MENUNGGU_RINCIAN, A.SEND_NEGO): (S.PROSES_NEGO, "order.prepare", Side.BUYER),
    (S.PROSES_NEGO, A.BUYER_OFFER): (S.PROSES_NEGO, "order.prepare", Side.BUYER),
    (S.PROSES_NEGO, A.VENDOR_COUNTER): (S.PROSES_NEGO, "order.vendor_respond", Side.VENDOR),
    (S.PROSES_NEGO, A.VENDOR_ACCEPT_NEGO): (S.NEGO_SELESAI, "order.vendor_respond", Side.VENDOR),
    (S.PROSES_NEGO, A.BUYER_ACCEPT_NEGO): (S.NEGO_SELESAI, "order.prepare", Side.BUYER),
    (S.PROSES_NEGO, A.VENDOR_REFUSE_NEGO): (
        S.MENUNGGU_RINCIAN,
        "order.vendor_respond",
        Side.VENDOR,
    ),
    (S.MENUNGGU_RINCIAN, A.CHECKOUT): (S.MENUNGGU_PPK, "order.submit", Side.BUYER),
    (S.NEGO_SELESAI, A.CHECKOUT): (S.MENUNGGU_PPK, "order.submit", Side.BUYER),
    (S.MENUNGGU_PPK, A.APPROVE): (S.MENUNGGU_VENDOR, "order.approve", Side.BUYER),
    (S.MENUNGGU_PPK, A.REJECT): (S.DITOLAK, "order.approve", Side.BUYER),
    (S.MENUNGGU_VENDOR, A.CONFIRM): (S.DIPROSES, "order.vendor_respond", Side.VENDOR),
    (S.MENUNGGU_VENDOR, A.DECLINE): (S.DIBATALKAN, "order.vendor_respond", Side.VENDOR),
    (S.DIPROSES, A.SHIP): (S.DIKIRIM, "order.ship", Side.VENDOR),
    (S.DIKIRIM, A.SHIP): (S.DIKIRIM, "order.ship", Side.VENDOR),
    (S.DIKIRIM, A.RECEIVE): (None, "order.receive", Side.BUYER),
    (S.DIKIRIM, A.COMPLAIN): (S.KOMPLAIN, "order.receive", Side.BUYER),
    (S.KOMPLAIN, A.RESOLVE): (None, "order.vendor_respond", Side.VENDOR),
    (S.MENUNGGU_RINCIAN, A.CANCEL): (S.DIBATALKAN, "order.prepare", Side.BUYER),
    (S.PROSES_NEGO, A.CANCEL): (S.DIBATALKAN, "order.prepare", Side.BUYER),
    (S.NEGO_SELESAI, A.CANCEL): (S.DIBATALKAN, "order.prepare", Side.BUYER),
    (S.MENUNGGU_PPK, A.CANCEL): (S.DIBATALKAN, "order.approve", Side.BUYER),
    (S.MENUNGGU_VENDOR, A.CANCEL): (S.DIBATALKAN, "order.approve", Side.BUYER),
    (S.MENUNGGU_PPK, A.AUTO_CANCEL): (S.DIBATALKAN, None, Side.SYSTEM),
    (S.MENUNGGU_VENDOR, A.AUTO_CANCEL): (S.DIBATALKAN, None, Side.SYSTEM),
}
# After the vendor confirmed (DOMAIN.md §4 step 8): no one-sided cancellation; either side
# proposes a cancellation or a new delivery date, the other side agrees or refuses; a refused
# cancellation goes to the KPPN help desk, which cancels or lets the order continue.
for _state in (S.DIPROSES, S.DIKIRIM, S.KOMPLAIN):
    EXPECTED |= {
        (_state, A.BUYER_ASK_CANCEL): (_state, "order.amend", Side.BUYER),
        (_state, A.VENDOR_ASK_CANCEL): (_state, "order.vendor_respond", Side.VENDOR),
        (_state, A.BUYER_AGREE_CANCEL): (S.DIBATALKAN, "order.amend", Side.BUYER),
        (_state, A.VENDOR_AGREE_CANCEL): (S.DIBATALKAN, "order.vendor_respond", Side.VENDOR),
        (_state, A.BUYER_REFUSE_CANCEL): (_state, "order.amend", Side.BUYER),
        (_state, A.VENDOR_REFUSE_CANCEL): (_state, "order.vendor_respond", Side.VENDOR),
        (_state, A.BUYER_ESCALATE): (_state, "order.amend", Side.BUYER),
        (_state, A.VENDOR_ESCALATE): (_state, "order.vendor_respond", Side.VENDOR),
        (_state, A.KPPN_CANCEL): (S.DIBATALKAN, "order.mediate", Side.KPPN),
        (_state, A.KPPN_CONTINUE): (_state, "order.mediate", Side.KPPN),
        (_state, A.BUYER_ASK_DATE): (_state, "order.amend", Side.BUYER),
        (_state, A.VENDOR_ASK_DATE): (_state, "order.vendor_respond", Side.VENDOR),
        (_state, A.BUYER_AGREE_DATE): (_state, "order.amend", Side.BUYER),
        (_state, A.VENDOR_AGREE_DATE): (_state, "order.vendor_respond", Side.VENDOR),
        (_state, A.BUYER_REFUSE_DATE): (_state, "order.amend", Side.BUYER),
        (_state, A.VENDOR_REFUSE_DATE): (_state, "order.vendor_respond", Side.VENDOR),
    }

ALL_PAIRS = list(itertools.product(S.values, A.values))
FORBIDDEN = [pair for pair in ALL_PAIRS if pair not in EXPECTED]


def _id(pair: tuple[str, str]) -> str:
    return f"{pair[0]}-{pair[1]}"


# --- the state table --------------------------------------------------------------------------


def test_the_table_is_exactly_the_expected_one() -> None:
    rows = {(t.source, t.action): (t.target, t.gate, t.side) for t in rules.TRANSITIONS}
    assert len(rows) == len(rules.TRANSITIONS), "a (state, action) pair appears twice"
    assert rows == EXPECTED


@pytest.mark.parametrize("pair", list(EXPECTED), ids=_id)
def test_allowed_pair_goes_where_the_table_says(pair: tuple[str, str]) -> None:
    state, action = pair
    target, gate, side = EXPECTED[pair]
    row = rules.transition(state, action)
    assert row is not None
    assert (row.source, row.action, row.target, row.gate, row.side) == (
        state,
        action,
        target,
        gate,
        side,
    )
    # The services' lookup (no actor: the gate is not asked) returns the same row.
    from digipay.orders import services

    assert services._step(None, Order(state=state), action) == row


@pytest.mark.parametrize("pair", FORBIDDEN, ids=_id)
def test_forbidden_pair_is_refused(pair: tuple[str, str]) -> None:
    state, action = pair
    assert rules.transition(state, action) is None
    from digipay.orders import services

    with pytest.raises(Conflict) as exc:
        services._step(None, Order(state=state), action)
    assert exc.value.code == "invalid_transition"


def test_every_pair_is_either_allowed_or_forbidden() -> None:
    assert len(ALL_PAIRS) == len(S.values) * len(A.values)
    assert len(FORBIDDEN) + len(EXPECTED) == len(ALL_PAIRS)
    assert len(FORBIDDEN) > 150  # the parametrisation really covers the whole product


@pytest.mark.parametrize("state", sorted(rules.TERMINAL))
def test_terminal_states_have_no_way_out(state: str) -> None:
    assert rules.actions_from(state) == []
    assert {S.DITOLAK, S.DIBATALKAN, S.SELESAI} == set(rules.TERMINAL)


def test_actions_from_lists_the_rows_of_a_state_in_table_order() -> None:
    assert [t.action for t in rules.actions_from(S.MENUNGGU_PPK)] == [
        A.APPROVE,
        A.REJECT,
        A.CANCEL,
        A.AUTO_CANCEL,
    ]
    assert [t.action for t in rules.actions_from(S.DITERIMA)] == []


def test_every_gate_is_a_declared_gate_action_of_the_right_side() -> None:
    vendor_gates = {"order.vendor_respond", "order.ship"}
    for row in rules.TRANSITIONS:
        if row.side == Side.SYSTEM:
            assert row.gate is None
            continue
        assert row.gate in ACTIONS, row
        assert (row.gate in vendor_gates) == (row.side == Side.VENDOR), row


def test_every_state_is_reachable_from_the_cart() -> None:
    seen, frontier = {S.MENUNGGU_RINCIAN}, [S.MENUNGGU_RINCIAN]
    while frontier:
        state = frontier.pop()
        for row in rules.actions_from(state):
            targets = [row.target] if row.target else [S.DIPROSES, S.DIKIRIM, S.DITERIMA]
            for target in targets:
                if target not in seen:
                    seen.add(target)
                    frontier.append(target)
    # SELESAI comes with payment (not built yet): nothing in the orders table leads there.
    assert seen == set(S.values) - {S.SELESAI}


def test_holding_and_open_states() -> None:
    holding = {S.MENUNGGU_VENDOR, S.DIPROSES, S.DIKIRIM, S.KOMPLAIN, S.DITERIMA}
    assert holding == rules.HOLDING
    open_states = set(S.values) - {S.DITOLAK, S.DIBATALKAN, S.SELESAI}
    assert open_states == rules.OPEN
    # Every way out of a holding state into a terminal one is a cancellation (voids the hold).
    for row in rules.TRANSITIONS:
        if row.source in rules.HOLDING and row.target in rules.TERMINAL:
            assert row.action in {
                A.CANCEL,
                A.AUTO_CANCEL,
                A.DECLINE,
                A.BUYER_AGREE_CANCEL,
                A.VENDOR_AGREE_CANCEL,
                A.KPPN_CANCEL,
            }, row


# --- delivery state ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([(5, 0, 0)], S.DIPROSES),  # nothing shipped
        ([(5, 3, 0)], S.DIKIRIM),  # partly shipped, nothing received
        ([(5, 3, 3)], S.DIPROSES),  # what was shipped is received, the rest still to ship
        ([(5, 5, 3)], S.DIKIRIM),  # all shipped, partly received
        ([(5, 5, 5)], S.DITERIMA),  # all received
        ([(5, 5, 5), (2, 0, 0)], S.DIPROSES),
        ([(5, 5, 5), (2, 1, 0)], S.DIKIRIM),
        ([(5, 5, 5), (2, 2, 2)], S.DITERIMA),
        ([(1, 1, 1), (3, 3, 3), (7, 7, 7)], S.DITERIMA),
        ([(10, 6, 0)], S.DIKIRIM),  # after a complaint took 4 back
        ([(10, 0, 0), (1, 1, 0)], S.DIKIRIM),
    ],
)
def test_delivery_state(lines: list[tuple[int, int, int]], expected: str) -> None:
    assert rules.delivery_state(lines) == expected
    assert rules.delivery_state(iter(lines)) == expected  # any iterable, read once


# --- negotiation ------------------------------------------------------------------------------


@pytest.mark.parametrize("side", [Side.BUYER, Side.VENDOR])
def test_each_side_gets_max_rounds(side: str) -> None:
    assert rules.rounds_error(side=side, rounds_used=0, max_rounds=2) is None
    assert rules.rounds_error(side=side, rounds_used=1, max_rounds=2) is None
    assert rules.rounds_error(side=side, rounds_used=2, max_rounds=2) is not None
    assert rules.rounds_error(side=side, rounds_used=3, max_rounds=2) is not None
    assert rules.rounds_error(side=side, rounds_used=2, max_rounds=3) is None
    assert rules.rounds_error(side=side, rounds_used=0, max_rounds=0) is not None


def test_rounds_error_names_the_side() -> None:
    assert "Satker" in (rules.rounds_error(side=Side.BUYER, rounds_used=2, max_rounds=2) or "")
    assert "Vendor" in (rules.rounds_error(side=Side.VENDOR, rounds_used=2, max_rounds=2) or "")


@pytest.mark.parametrize(
    ("prices", "ok"),
    [
        ({1: 1000}, True),
        ({1: 1000, 2: 1}, True),
        ({}, False),
        ({3: 1000}, False),  # not a line of the order
        ({1: 0}, False),
        ({1: -5}, False),
        ({1: 10.5}, False),
        ({1: True}, False),
        ({1: "1000"}, False),
    ],
)
def test_offer_error(prices: dict[int, object], ok: bool) -> None:
    problem = rules.offer_error(prices, line_ids=[1, 2])  # type: ignore[arg-type]
    assert (problem is None) == ok


# --- limits and split detection -----------------------------------------------------------------

GENERAL, SPECIAL = 50 * JUTA, 200 * JUTA


@pytest.mark.parametrize(
    ("small", "pdn", "limit", "special"),
    [
        (True, True, SPECIAL, True),
        (True, False, GENERAL, False),
        (False, True, GENERAL, False),
        (False, False, GENERAL, False),
    ],
)
def test_recipient_limit(small: bool, pdn: bool, limit: int, special: bool) -> None:
    check = rules.recipient_limit(
        vendor_small=small, all_pdn=pdn, general_idr=GENERAL, umkm_pdn_idr=SPECIAL
    )
    assert (check.limit_idr, check.special) == (limit, special)


@pytest.mark.parametrize(("limit", "special"), [(GENERAL, False), (SPECIAL, True)])
def test_limit_boundaries(limit: int, special: bool) -> None:
    check = rules.LimitCheck(limit, special)
    assert rules.limit_error(0, check) is None
    assert rules.limit_error(limit - 1, check) is None
    assert rules.limit_error(limit, check) is None  # exactly the limit is allowed
    problem = rules.limit_error(limit + 1, check)  # one rupiah more is refused
    assert problem is not None
    assert f"{limit:,}".replace(",", ".") in problem


def test_general_limit_refuses_what_the_special_limit_allows() -> None:
    general = rules.recipient_limit(
        vendor_small=True, all_pdn=False, general_idr=GENERAL, umkm_pdn_idr=SPECIAL
    )
    special = rules.recipient_limit(
        vendor_small=True, all_pdn=True, general_idr=GENERAL, umkm_pdn_idr=SPECIAL
    )
    assert rules.limit_error(GENERAL + 1, general) is not None
    assert rules.limit_error(GENERAL + 1, special) is None
    assert rules.limit_error(SPECIAL, special) is None
    assert rules.limit_error(SPECIAL + 1, special) is not None


LIMIT = rules.LimitCheck(GENERAL, False)


def test_split_found_when_the_sum_crosses_the_limit_although_each_is_under() -> None:
    finding = rules.detect_split(total_idr=30 * JUTA, related=[("DP-1", 25 * JUTA)], check=LIMIT)
    assert finding == rules.SplitFinding(55 * JUTA, ("DP-1",), GENERAL)


def test_split_sums_every_related_order() -> None:
    finding = rules.detect_split(
        total_idr=20 * JUTA,
        related=[("DP-1", 15 * JUTA), ("DP-2", 15 * JUTA), ("DP-3", 1)],
        check=LIMIT,
    )
    assert finding is not None
    assert finding.combined_idr == 50 * JUTA + 1
    assert finding.order_numbers == ("DP-1", "DP-2", "DP-3")


@pytest.mark.parametrize(
    ("total", "related"),
    [
        (30 * JUTA, []),  # alone
        (30 * JUTA, [("DP-1", 20 * JUTA)]),  # sum exactly the limit: not a split
        (1, [("DP-1", GENERAL - 1)]),
        (GENERAL, []),
    ],
)
def test_no_split_at_or_under_the_limit(total: int, related: list[tuple[str, int]]) -> None:
    assert rules.detect_split(total_idr=total, related=related, check=LIMIT) is None


def test_split_one_rupiah_over_the_limit() -> None:
    finding = rules.detect_split(total_idr=1, related=[("DP-1", GENERAL)], check=LIMIT)
    assert finding is not None
    assert finding.combined_idr == GENERAL + 1


def test_an_order_already_over_the_limit_alone_is_the_limits_job_not_a_split() -> None:
    assert (
        rules.detect_split(total_idr=GENERAL + 1, related=[("DP-1", 10 * JUTA)], check=LIMIT)
        is None
    )


def test_split_uses_the_limit_that_applies() -> None:
    special = rules.LimitCheck(SPECIAL, True)
    related = [("DP-1", 120 * JUTA)]
    assert rules.detect_split(total_idr=80 * JUTA, related=related, check=special) is None
    assert rules.detect_split(total_idr=80 * JUTA + 1, related=related, check=special) is not None


# --- the PPN estimate ---------------------------------------------------------------------------


def test_line_total() -> None:
    assert rules.line_total(3, 39_500) == 118_500
    assert rules.line_total(1, 1) == 1


# --- deadlines ----------------------------------------------------------------------------------


def _at(day: date, hour: int = 10) -> datetime:
    from digipay.core.clock import JAKARTA

    return datetime(day.year, day.month, day.day, hour, tzinfo=JAKARTA)


def test_the_holidays_these_tests_rely_on() -> None:
    assert calendar.is_holiday(date(2026, 12, 25))  # Christmas (Friday)
    assert calendar.is_holiday(date(2026, 5, 27))  # Idul Adha (Wednesday)
    assert calendar.is_holiday(date(2026, 6, 1))  # Pancasila Day (Monday)
    assert not calendar.is_holiday(date(2026, 12, 24))
    assert not calendar.is_holiday(date(2026, 5, 28))


@pytest.mark.parametrize(
    ("submitted", "deadline"),
    [
        # Plain week: Monday + 3 working days = Thursday.
        (date(2026, 11, 2), date(2026, 11, 5)),
        # Over a weekend: Thursday → Fri, Mon, Tue.
        (date(2026, 11, 5), date(2026, 11, 10)),
        # Submitted on a Saturday: Mon, Tue, Wed.
        (date(2026, 11, 7), date(2026, 11, 11)),
        # Christmas (Fri 25/12) and the weekend: Wed 23 → Thu 24, Mon 28, Tue 29.
        (date(2026, 12, 23), date(2026, 12, 29)),
        # Idul Adha (Wed 27/05): Mon 25 → Tue 26, Thu 28, Fri 29.
        (date(2026, 5, 25), date(2026, 5, 29)),
        # Weekend then Pancasila Day (Mon 01/06): Thu 28/05 → Fri 29, Tue 2, Wed 3.
        (date(2026, 5, 28), date(2026, 6, 3)),
    ],
)
def test_ppk_deadline_counts_working_days(submitted: date, deadline: date) -> None:
    assert rules.ppk_deadline(_at(submitted), 3) == deadline
    assert calendar.is_working_day(deadline)


def test_ppk_deadline_follows_the_policy_value() -> None:
    assert rules.ppk_deadline(_at(date(2026, 12, 23)), 1) == date(2026, 12, 24)
    assert rules.ppk_deadline(_at(date(2026, 12, 23)), 2) == date(2026, 12, 28)
    assert rules.ppk_deadline(_at(date(2026, 12, 23)), 0) == date(2026, 12, 23)


def test_vendor_deadline_counts_calendar_days_to_the_second() -> None:
    approved = datetime(2026, 12, 23, 3, 15, 7, tzinfo=UTC)
    assert rules.vendor_deadline(approved, 5) == approved + timedelta(days=5)
    # Holidays and weekends are not skipped for the vendor (DOMAIN.md §4: "5 days").
    assert rules.vendor_deadline(approved, 5).date() == date(2026, 12, 28)


# --- quantities and the budget line -------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "min_order", "stock", "ok"),
    [
        (1, 1, None, True),
        (5, 5, 5, True),
        (0, 1, None, False),
        (-1, 1, None, False),
        (True, 1, None, False),
        (2.0, 1, None, False),
        (4, 5, None, False),  # below the minimum order
        (6, 1, 5, False),  # more than the stock
        (10_000, 1, None, True),  # services without stock
    ],
)
def test_quantity_error(quantity: object, min_order: int, stock: int | None, ok: bool) -> None:
    problem = rules.quantity_error(quantity, min_order=min_order, stock=stock)  # type: ignore[arg-type]
    assert (problem is None) == ok


@pytest.mark.parametrize(
    ("akun", "ok"),
    [
        ("521211", True),
        ("532111", True),
        ("511111", False),
        ("52121", False),
        ("5212111", False),
        ("52121a", False),
    ],
)
def test_akun_pattern(akun: str, ok: bool) -> None:
    import re

    assert bool(re.match(rules.AKUN_PATTERN, akun)) == ok
