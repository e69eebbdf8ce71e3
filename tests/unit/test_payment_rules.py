"""The pure rules of payments: sources, batches, SNAP ids, grouping, states, the hold's
consumption and the ledger legs of a paid invoice."""

from __future__ import annotations

import pytest

from digipay.payments import rules
from digipay.payments.rules import InstructionStatus as S
from digipay.payments.rules import Payable, PaymentState, Source


def test_source_must_match_the_orders_method() -> None:
    assert rules.source_error("TRANSFER", Source.UP_TUNAI) is None
    assert rules.source_error("KKP", Source.KKP) is None
    assert rules.source_error("TRANSFER", Source.KKP)
    assert rules.source_error("KKP", Source.UP_TUNAI)
    assert rules.source_error("TRANSFER", "CASH")


def test_batch_checks() -> None:
    assert rules.batch_error([])
    assert rules.batch_error([1, 1])
    assert rules.batch_error(list(range(rules.MAX_BATCH + 1)))
    assert rules.batch_error([1, 2]) is None


def test_snap_ids() -> None:
    ext = "2026112814301512345612345678"
    assert rules.external_id_ok(ext)
    assert not rules.external_id_ok("12a")
    assert not rules.external_id_ok("1" * 37)
    assert rules.partner_reference(ext) == "DGP" + ext
    assert len(rules.partner_reference(ext)) <= 64


def test_backoff_grows_and_is_capped() -> None:
    assert [rules.next_attempt_delay(n) for n in (1, 2, 3)] == [10, 20, 40]
    assert rules.next_attempt_delay(50) == 900


def test_one_instruction_per_vendor_account_and_card() -> None:
    groups = rules.group(
        [Payable(1, 10, None, 100), Payable(2, 10, None, 50), Payable(3, 11, None, 7)]
    )
    assert {k: [p.invoice_id for p in v] for k, v in groups.items()} == {
        (10, None): [1, 2],
        (11, None): [3],
    }
    assert len(rules.group([Payable(1, 10, 5, 1), Payable(2, 10, 6, 1)])) == 2


@pytest.mark.parametrize(
    ("statuses", "state"),
    [
        ([S.PENDING], PaymentState.IN_PROGRESS),
        ([S.DONE, S.UNKNOWN], PaymentState.IN_PROGRESS),
        ([S.DONE, S.DONE], PaymentState.PAID),
        ([S.FAILED], PaymentState.FAILED),
        ([S.DONE, S.FAILED], PaymentState.PARTIAL),
    ],
)
def test_payment_state(statuses: list[str], state: str) -> None:
    assert rules.payment_state(statuses) == state


def test_consume_posts_the_gross_and_keeps_or_releases_the_rest() -> None:
    assert rules.consume(11_100_000, 5_550_000, more_expected=True) == rules.Consumption(
        5_550_000, 5_550_000, 0
    )
    assert rules.consume(11_100_000, 11_000_000, more_expected=False) == rules.Consumption(
        11_000_000, 0, 100_000
    )
    with pytest.raises(ValueError, match="exceeds"):
        rules.consume(100, 101, more_expected=False)
    with pytest.raises(ValueError, match="positive"):
        rules.consume(100, 0, more_expected=False)


def test_transfer_legs_balance_and_reduce_up_tunai_by_the_net() -> None:
    expense, up, ppn, pph22 = 1, 2, 3, 4
    held = [(expense, 11_100_000), (up, -11_100_000)]
    legs = rules.transfer_legs(
        held,
        gross=11_100_000,
        up_tunai=up,
        tax_accounts={"PPN": ppn, "PPH22": pph22},
        collected={"PPN": 1_100_000, "PPH22": 150_000},
    )
    assert legs.from_hold == [(expense, 11_100_000), (up, -11_100_000)]
    assert sum(v for _a, v in legs.taxes) == 0
    effect: dict[int, int] = {}
    for account, value in legs.from_hold + legs.taxes:
        effect[account] = effect.get(account, 0) + value
    assert effect == {expense: 11_100_000, up: -9_850_000, ppn: -1_100_000, pph22: -150_000}


def test_transfer_without_taxes_has_no_tax_entry() -> None:
    legs = rules.transfer_legs(
        [(1, 500), (2, -500)], gross=400, up_tunai=2, tax_accounts={}, collected={}
    )
    assert legs.from_hold == [(1, 400), (2, -400)]
    assert legs.taxes == []


def test_card_legs_charge_the_net_and_spend_the_withheld_tax() -> None:
    expense, up_kkp, limits, card, pph23 = 1, 2, 3, 4, 5
    held = [(expense, 1000), (up_kkp, -1000), (limits, 1000), (card, -1000)]
    legs = rules.card_legs(
        held, gross=1000, expense=expense, tax_accounts={"PPH23": pph23}, collected={"PPH23": 20}
    )
    assert legs.from_hold == [(expense, 980), (up_kkp, -980), (limits, 980), (card, -980)]
    assert legs.taxes == [(expense, 20), (pph23, -20)]
