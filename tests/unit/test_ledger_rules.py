"""The pure ledger rules: legs, holds, partial postings, balance arithmetic, idempotency hashes."""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digipay.ledger.rules import (
    Counters,
    LedgerRuleError,
    Leg,
    Side,
    available,
    check_within_hold,
    content_hash,
    held_amount,
    legs_payload,
    merge_legs,
    posted_balance,
    scale_legs,
    validate_legs,
)

EXPENSE, UP, TAX, VENDOR = 11, 12, 13, 14


def spend(amount: int) -> list[Leg]:
    """The usual two-leg hold: debit the expense, credit (pay out of) UP Tunai."""
    return [Leg(EXPENSE, amount), Leg(UP, -amount)]


def refusal(call: Callable[[], object]) -> str:
    """The code of the LedgerRuleError that ``call`` raises."""
    with pytest.raises(LedgerRuleError) as exc:
        call()
    return exc.value.code


# validate_legs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "legs",
    [
        spend(1),
        spend(11_100_000),
        [Leg(EXPENSE, 10_000_000), Leg(UP, -9_850_000), Leg(TAX, -150_000)],
        [Leg(UP, 5), Leg(UP, -5)],  # one account on both sides still balances
        [Leg(1, 10**15), Leg(2, -(10**15))],
    ],
)
def test_validate_legs_accepts_balanced_whole_rupiah(legs: list[Leg]) -> None:
    validate_legs(legs)


@pytest.mark.parametrize(
    ("legs", "code"),
    [
        ([], "too_few_legs"),
        ([Leg(UP, 5)], "too_few_legs"),
        ([Leg(UP, 0)], "too_few_legs"),  # the count is checked before the amounts
        ([Leg(EXPENSE, 5), Leg(UP, -4)], "unbalanced"),
        ([Leg(EXPENSE, 5), Leg(UP, 5)], "unbalanced"),
        ([Leg(EXPENSE, 5), Leg(UP, -5), Leg(TAX, 1)], "unbalanced"),
        ([Leg(EXPENSE, 0), Leg(UP, 0)], "zero_leg"),
        ([Leg(EXPENSE, 5), Leg(UP, -5), Leg(TAX, 0)], "zero_leg"),
        ([Leg(EXPENSE, 5.0), Leg(UP, -5.0)], "not_integer"),  # type: ignore[arg-type]
        ([Leg(EXPENSE, 1.5), Leg(UP, -1.5)], "not_integer"),  # type: ignore[arg-type]
        ([Leg(EXPENSE, True), Leg(UP, -1)], "not_integer"),
        ([Leg(EXPENSE, 1), Leg(UP, False)], "not_integer"),  # a bool is refused before zero
        ([Leg(EXPENSE, Decimal(5)), Leg(UP, Decimal(-5))], "not_integer"),  # type: ignore[arg-type]
        ([Leg(EXPENSE, "5"), Leg(UP, "-5")], "not_integer"),  # type: ignore[arg-type]
    ],
)
def test_validate_legs_refuses(legs: list[Leg], code: str) -> None:
    assert refusal(lambda: validate_legs(legs)) == code


# merge_legs / check_within_hold ----------------------------------------------------------------


def test_merge_legs_sums_per_account_and_direction() -> None:
    legs = [Leg(EXPENSE, 7), Leg(EXPENSE, 3), Leg(UP, -10), Leg(UP, 4), Leg(UP, -4)]
    assert merge_legs(legs) == {(EXPENSE, 1): 10, (UP, -1): 14, (UP, 1): 4}
    assert merge_legs([]) == {}


@pytest.mark.parametrize(
    "posting",
    [
        spend(1_000),  # in full
        spend(999),  # partial
        spend(1),
        [Leg(EXPENSE, 600), Leg(EXPENSE, 400), Leg(UP, -1_000)],  # split lines, same total
        [Leg(EXPENSE, 500)],  # one side only: within the hold (validate_legs guards balance)
        [],  # nothing posted: everything released
    ],
)
def test_posting_within_the_hold_is_accepted(posting: list[Leg]) -> None:
    check_within_hold(spend(1_000), posting)


@pytest.mark.parametrize(
    ("posting", "code"),
    [
        (spend(1_001), "exceeds_hold"),
        ([Leg(EXPENSE, 600), Leg(EXPENSE, 401), Leg(UP, -1_001)], "exceeds_hold"),
        ([Leg(EXPENSE, 1_000), Leg(UP, -1_001)], "exceeds_hold"),
        ([Leg(EXPENSE, 1_000), Leg(UP, -850), Leg(TAX, -150)], "not_in_hold"),  # other account
        ([Leg(VENDOR, 1_000), Leg(UP, -1_000)], "not_in_hold"),
        ([Leg(EXPENSE, -1_000), Leg(UP, 1_000)], "not_in_hold"),  # other direction
        ([Leg(UP, 1), Leg(UP, -1)], "not_in_hold"),
    ],
)
def test_posting_beyond_the_hold_is_refused(posting: list[Leg], code: str) -> None:
    assert refusal(lambda: check_within_hold(spend(1_000), posting)) == code


def test_a_split_hold_can_be_posted_leg_by_leg_within_each_leg() -> None:
    held = [Leg(EXPENSE, 10_000), Leg(UP, -9_850), Leg(TAX, -150)]
    check_within_hold(held, [Leg(EXPENSE, 9_000), Leg(UP, -8_900), Leg(TAX, -100)])
    code = refusal(
        lambda: check_within_hold(held, [Leg(EXPENSE, 10_000), Leg(UP, -9_800), Leg(TAX, -200)])
    )
    assert code == "exceeds_hold"  # the total fits, the TAX leg does not


# scale_legs ------------------------------------------------------------------------------------


def test_scale_legs_keeps_each_legs_direction() -> None:
    assert scale_legs(spend(1_000), 250) == [Leg(EXPENSE, 250), Leg(UP, -250)]
    assert scale_legs([Leg(UP, -1_000), Leg(EXPENSE, 1_000)], 1) == [Leg(UP, -1), Leg(EXPENSE, 1)]
    # Scaling does not itself compare with the hold: check_within_hold does.
    assert scale_legs(spend(10), 11) == spend(11)


@pytest.mark.parametrize(
    ("legs", "amount", "code"),
    [
        ([Leg(EXPENSE, 10_000), Leg(UP, -9_850), Leg(TAX, -150)], 100, "needs_postings"),
        ([Leg(EXPENSE, 10)], 5, "needs_postings"),
        (spend(10), 0, "zero_leg"),
        (spend(10), -5, "zero_leg"),
    ],
)
def test_scale_legs_refuses(legs: list[Leg], amount: int, code: str) -> None:
    assert refusal(lambda: scale_legs(legs, amount)) == code


@pytest.mark.parametrize("amount", [2.7, 0.5, True, Decimal("2.5")])
def test_scale_legs_refuses_a_non_integer_amount(amount: object) -> None:
    assert refusal(lambda: scale_legs(spend(10), amount)) == "not_integer"  # type: ignore[arg-type]


# Counters and the three balance figures --------------------------------------------------------


def test_counters_add_and_release() -> None:
    c = Counters()
    c.add(100, pending=False)
    c.add(-30, pending=False)
    c.add(20, pending=True)
    c.add(-50, pending=True)
    assert c == Counters(
        debits_pending=20, debits_posted=100, credits_pending=50, credits_posted=30
    )
    c.add(20, pending=True, sign=-1)
    c.add(-50, pending=True, sign=-1)
    assert c == Counters(debits_posted=100, credits_posted=30)


@pytest.mark.parametrize(
    ("side", "counters", "posted", "held", "free"),
    [
        # UP Tunai (asset, debit-normal): advanced 500, spent 100, 80 held for an order.
        (Side.DEBIT, Counters(0, 500, 80, 100), 400, 80, 320),
        # Money coming in on hold (debits pending) is not spendable and not "held".
        (Side.DEBIT, Counters(70, 500, 0, 0), 500, 0, 500),
        (Side.DEBIT, Counters(0, 10, 10, 0), 10, 10, 0),
        (Side.DEBIT, Counters(0, 10, 11, 0), 10, 11, -1),
        # UP fund (liability, credit-normal): credited 500, repaid 100, 80 held.
        (Side.CREDIT, Counters(80, 100, 0, 500), 400, 80, 320),
        (Side.CREDIT, Counters(0, 0, 70, 500), 500, 0, 500),
        (Side.CREDIT, Counters(0, 30, 0, 10), -20, 0, -20),
        (Side.CREDIT, Counters(), 0, 0, 0),
    ],
)
def test_balance_figures_for_both_normal_sides(
    side: str, counters: Counters, posted: int, held: int, free: int
) -> None:
    assert posted_balance(side, counters) == posted
    assert held_amount(side, counters) == held
    assert available(side, counters) == free


# content_hash / legs_payload -------------------------------------------------------------------


def test_legs_payload_is_sorted_and_order_independent() -> None:
    legs = [Leg(UP, -9_850), Leg(TAX, -150), Leg(EXPENSE, 10_000)]
    assert legs_payload(legs) == [[EXPENSE, 10_000], [UP, -9_850], [TAX, -150]]
    assert legs_payload(list(reversed(legs))) == legs_payload(legs)


def test_content_hash_is_stable_and_order_independent() -> None:
    def digest(legs: list[Leg], **extra: object) -> str:
        payload: dict[str, object] = {"tenant": 7, "reason": "R", "legs": legs_payload(legs)}
        payload.update(extra)
        return content_hash("POST", payload)

    base = digest(spend(100))
    assert len(base) == 64
    assert int(base, 16) >= 0
    assert digest([Leg(UP, -100), Leg(EXPENSE, 100)]) == base
    # Key order of the payload does not matter either.
    assert content_hash("POST", {"legs": legs_payload(spend(100)), "reason": "R", "tenant": 7}) == (
        base
    )
    # Pinned: hashes are stored with entries, so replays after an upgrade must still match.
    # sha256 of {"legs":[[11,100],[12,-100]],"op":"POST","reason":"R","tenant":7}
    assert base == "83a18ff1ae3afd529f4e916492c0111a3bb729bd2fb5d5d28f9c60e930c2c135"
    # Any change of content changes the hash.
    assert (
        content_hash("HOLD", {"tenant": 7, "reason": "R", "legs": legs_payload(spend(100))}) != base
    )
    assert digest(spend(101)) != base
    assert digest([Leg(VENDOR, 100), Leg(UP, -100)]) != base
    assert digest(spend(100), reason="S") != base
    assert digest(spend(100), tenant=8) != base


# Properties ------------------------------------------------------------------------------------

non_zero = st.integers(min_value=-(10**12), max_value=10**12).filter(bool)
account_ids = st.integers(min_value=1, max_value=50)


@st.composite
def balanced_legs(draw: st.DrawFn) -> list[Leg]:
    """At least two non-zero legs on random accounts summing to zero."""
    amounts = draw(st.lists(non_zero, min_size=1, max_size=8))
    if sum(amounts) != 0:
        amounts.append(-sum(amounts))
    return [Leg(draw(account_ids), amount) for amount in amounts]


@given(balanced_legs(), st.randoms())
def test_any_balanced_legs_validate_and_hash_alike_in_any_order(
    legs: list[Leg], rnd: random.Random
) -> None:
    validate_legs(legs)
    shuffled = list(legs)
    rnd.shuffle(shuffled)
    validate_legs(shuffled)
    assert content_hash("HOLD", {"legs": legs_payload(shuffled)}) == content_hash(
        "HOLD", {"legs": legs_payload(legs)}
    )


@given(balanced_legs(), non_zero)
def test_unbalancing_any_leg_is_refused(legs: list[Leg], delta: int) -> None:
    first, *rest = legs
    changed = [Leg(first.account_id, first.amount + delta), *rest]
    code = refusal(lambda: validate_legs(changed))
    assert code == ("zero_leg" if first.amount + delta == 0 else "unbalanced")


@given(
    st.integers(min_value=1, max_value=10**13),
    st.data(),
    st.sampled_from([(EXPENSE, UP), (UP, EXPENSE), (VENDOR, TAX)]),
)
def test_scaling_within_the_held_amount_always_fits_the_hold(
    held: int, data: st.DataObject, accounts: tuple[int, int]
) -> None:
    debit, credit = accounts
    hold_legs = [Leg(debit, held), Leg(credit, -held)]
    amount = data.draw(st.integers(min_value=1, max_value=held), label="amount")
    scaled = scale_legs(hold_legs, amount)
    validate_legs(scaled)
    check_within_hold(hold_legs, scaled)
    too_much = data.draw(st.integers(min_value=held + 1, max_value=held + 10**6), label="more")
    assert refusal(lambda: check_within_hold(hold_legs, scale_legs(hold_legs, too_much))) == (
        "exceeds_hold"
    )


@given(
    st.sampled_from([Side.DEBIT, Side.CREDIT]),
    st.builds(
        Counters,
        st.integers(0, 10**12),
        st.integers(0, 10**12),
        st.integers(0, 10**12),
        st.integers(0, 10**12),
    ),
    st.integers(min_value=1, max_value=10**12),
)
def test_holding_then_releasing_restores_the_balance(side: str, c: Counters, amount: int) -> None:
    before = (posted_balance(side, c), held_amount(side, c), available(side, c))
    assert before[0] - before[1] == before[2]
    outgoing = -amount if side == Side.DEBIT else amount  # the side that reduces availability
    c.add(outgoing, pending=True)
    assert held_amount(side, c) == before[1] + amount
    assert available(side, c) == before[2] - amount
    assert posted_balance(side, c) == before[0]
    c.add(outgoing, pending=True, sign=-1)
    assert (posted_balance(side, c), held_amount(side, c), available(side, c)) == before
