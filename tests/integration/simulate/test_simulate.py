"""``digipay simulate`` end to end: its own satkers, vendors and orders through the real
services, the real bank, MPN and SPAN simulators (subprocesses), faults on: paid, taxes
deposited, UP replenished by GUP; the JSON summary's shape
and every invariant true (SQLite and PostgreSQL). Then the same check after a run on a database
that already holds the demo set and an earlier run: the prefixes keep them apart.

Transactional: the simulators are other processes, and on PostgreSQL the outbox workers are
other threads with their own connections; the migrations' reference rows (categories, banks,
DJPb) must survive the flush (``serialized_rollback``)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from digipay import demo as demo_set
from digipay.accounts.models import Organisation
from digipay.accounts.rules import OrgKind
from digipay.demo import simulate
from digipay.invoicing.models import Invoice, TaxDeposit
from digipay.invoicing.rules import DepositStatus, InvoiceState
from digipay.ledger import queries as ledger_queries
from digipay.ledger.models import AccountBalance
from digipay.payments.models import BankInstruction
from digipay.payments.rules import InstructionStatus
from digipay.treasury import chart

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ARGS = [
    "--satkers", "2",
    "--vendors", "5",
    "--orders", "30",
    "--faults", "default",
    "--outage-seconds", "2",
    "--breaker-cooldown", "3",
    "--retry-scale", "0.02",
    "--seed", "7",
]  # fmt: skip

INVARIANTS = {
    "ledger_valid",
    "up_never_negative",
    "bank_payments_exactly_once",
    "treasurer_bank_equals_ledger",
    "invoices_paid_exactly_once",
    "outbox_terminal",
    "taxes_deposited_or_flagged",
    "notifications_stored_once",
    "audit_chains_valid",
}


def run(args: list[str]) -> tuple[int, dict[str, Any], str]:
    out, err = io.StringIO(), io.StringIO()
    code = simulate.main(args, stdout=out, stderr=err)
    last = out.getvalue().strip().splitlines()[-1]
    return code, json.loads(last), err.getvalue()


def test_a_small_run_pays_everything_once_with_faults_on() -> None:
    code, summary, progress = run(ARGS)

    assert code == 0, summary["notes"]
    assert set(summary["invariants"]) == INVARIANTS
    assert all(summary["invariants"].values()), summary["notes"]
    counts = summary["counts"]
    assert counts["orders"] == counts["invoices"] == counts["paid"] == 30
    assert counts["failed"] == 0
    assert counts["gups"] == 2  # one SPM-GUP per satker, credited by the SP2D
    assert counts["deposits"] > 0
    assert counts["deposits_failed"] == 0
    assert counts["payments"] >= 2
    assert set(summary["elapsed_seconds"]) >= {"world", "orders", "paying", "gup", "total"}
    assert summary["throughput"]["paid_invoices_per_second"] > 0
    assert summary["faults"]["profile"] == "default"
    assert summary["faults"]["configured"]["timeoutAfterExecutionShare"] == 0.05
    assert summary["faults"]["configured"]["errorBeforeExecutionShare"] == 0.05
    assert "orders → invoices" in progress  # the progress bar went to stderr

    # The summary is computed from the rows: check a few directly.
    run_no = summary["run"]
    satkers = Organisation.objects.filter(kind=OrgKind.SATKER, code__startswith=f"9{run_no:02d}")
    assert satkers.count() == 2
    invoices = Invoice.objects.filter(satker__in=satkers)
    assert invoices.count() == 30
    assert set(invoices.values_list("state", flat=True)) == {InvoiceState.PAID}
    done = BankInstruction.objects.filter(payment__satker__in=satkers)
    assert set(done.values_list("status", flat=True)) == {InstructionStatus.DONE}
    references = list(done.values_list("bank_reference", flat=True))
    assert len(references) == len(set(references))
    # Every tax withheld was deposited (NTPN received): nothing left payable.
    deposits = TaxDeposit.objects.filter(invoice__in=invoices)
    assert deposits.count() == counts["deposits"]
    assert set(deposits.values_list("status", flat=True)) == {DepositStatus.PAID}
    for satker in satkers:
        for tax in chart.TAXES:
            row = AccountBalance.objects.get(account_id=chart.tax_payable(satker, tax).pk)
            assert row.credits_posted == row.debits_posted
    assert ledger_queries.validate_ledger() == []
    assert ledger_queries.total_of_all_postings() == 0


def test_runs_beside_the_demo_and_an_earlier_run() -> None:
    demo_set.load(full=False)
    demo_satkers = set(
        Organisation.objects.filter(kind=OrgKind.SATKER).values_list("code", flat=True)
    )
    args = ["--satkers", "1", "--vendors", "2", "--orders", "4", "--faults", "none"]
    args += ["--payments-only"]  # deposits and GUP: the test above
    code_1, first, _ = run([*args, "--quiet"])
    code_2, second, _ = run([*args, "--quiet", "--seed", "2"])

    assert (code_1, code_2) == (0, 0), (first["notes"], second["notes"])
    assert second["run"] == first["run"] + 1
    assert all(second["invariants"].values()), second["notes"]
    assert second["counts"]["paid"] == 4
    assert second["counts"]["deposits"] == second["counts"]["gups"] == 0
    assert "--payments-only: taxes not deposited, no GUP" in second["notes"]
    assert second["faults"] == {"profile": "none", "configured": {}, "observed": {}}
    codes = set(Organisation.objects.filter(kind=OrgKind.SATKER).values_list("code", flat=True))
    assert codes - demo_satkers == {f"9{first['run']:02d}001", f"9{second['run']:02d}001"}


def test_bad_arguments_are_refused_before_anything_is_made() -> None:
    before = Organisation.objects.count()
    with pytest.raises(SystemExit) as exited:
        simulate.parse(["--satkers", "0", "--vendors", "1", "--orders", "1"])
    assert exited.value.code == 2
    with pytest.raises(SystemExit):
        simulate.parse(["--satkers", "1", "--vendors", "1", "--orders", "1", "--faults", "x"])
    assert Organisation.objects.count() == before
