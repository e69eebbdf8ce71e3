"""After the payments: depositing the taxes withheld (MPN) and replenishing UP (GUP Tunai
through SPAN), by the people whose step it is, through the payments' deposit services and the
replenishment services (docs/adr/0021, docs/adr/0023, docs/adr/0025).

Deposits: each Bendahara asks to deposit her satker's open tax deposits (at most
``payments.rules.MAX_DEPOSITS`` per request, each request a fresh TOTP code); then the two
worker jobs run as the worker runs them — ``advance_deposits`` (billing code from the MPN,
then the transfer queued in the payments outbox, then the payment report for the NTPN) and
``send_due_instructions`` (the transfer to the state's receiving account) — until every
request is DONE or FAILED.

Per satker: the Bendahara drafts an SPM-GUP of every paid invoice no SPM lists yet; the PPSPM
signs it with a fresh TOTP code (which sends it to SPAN); the KPPN approves it in SPAN, whose
SP2D is credited to the treasurer's account at the bank simulator; the ledger restores UP
Tunai once the credit is reported CREDITED (asked again with ``sync_spm`` while pending).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from digipay.core.errors import DomainError
from digipay.invoicing.models import TaxDeposit
from digipay.invoicing.rules import DepositStatus
from digipay.payments import deposits as tax_deposits
from digipay.payments import services as payments
from digipay.payments.models import DepositRequest
from digipay.payments.rules import DEPOSIT_OPEN_STATES, MAX_DEPOSITS, DepositState
from digipay.replenishment import services as replenishment
from digipay.replenishment.models import Spm
from digipay.replenishment.rules import CreditState, SpmState

from .cycle import fresh_code
from .world import World


@dataclass
class DepositOutcome:
    request_ids: list[int]
    done: int
    failed: int
    waited: float
    problems: list[str]


def deposit_taxes(world: World, invoice_ids: list[int], *, deadline: float) -> DepositOutcome:
    outcome = DepositOutcome([], 0, 0, 0.0, [])
    chunks: list[tuple[int, list[int]]] = []
    for index, sim in enumerate(world.satkers):
        ids = list(
            TaxDeposit.objects.filter(
                satker=sim.org, invoice_id__in=invoice_ids, status=DepositStatus.OPEN
            )
            .order_by("id")
            .values_list("pk", flat=True)
        )
        for start in range(0, len(ids), MAX_DEPOSITS):
            chunks.append((index, [int(i) for i in ids[start : start + MAX_DEPOSITS]]))
    # Round robin over satkers, as for the payments: one code per Bendahara per 30 s.
    seen: dict[int, int] = {}
    keyed = []
    for n, (index, _ids) in enumerate(chunks):
        keyed.append((seen.get(index, 0), n))
        seen[index] = seen.get(index, 0) + 1
    for _round, n in sorted(keyed):
        index, ids = chunks[n]
        sim = world.satkers[index]
        try:
            code, waited = fresh_code(sim, "bendahara")
            outcome.waited += waited
            made = tax_deposits.deposit_taxes(
                sim.people["bendahara"],
                deposit_ids=ids,
                otp=code,
                request_key=f"sim-{uuid.uuid4()}",
            )
            outcome.request_ids.extend(int(r.pk) for r in made)
        except DomainError as exc:
            outcome.problems.append(f"deposit: {exc.code}: {exc}")
    while time.monotonic() < deadline:
        moved = tax_deposits.advance_deposits() + payments.send_due_instructions()
        if not DepositRequest.objects.filter(
            pk__in=outcome.request_ids, state__in=DEPOSIT_OPEN_STATES
        ).exists():
            break
        if not moved:
            time.sleep(0.1)
    requests = DepositRequest.objects.filter(pk__in=outcome.request_ids)
    outcome.done = requests.filter(state=DepositState.DONE).count()
    outcome.failed = requests.filter(state=DepositState.FAILED).count()
    left = requests.filter(state__in=DEPOSIT_OPEN_STATES).count()
    if left:
        outcome.problems.append(f"deposit: {left} requests still open at the deadline")
    return outcome


@dataclass
class GupOutcome:
    spm_ids: list[int]
    credited: int
    waited: float
    problems: list[str]


def replenish(world: World, *, deadline: float) -> GupOutcome:
    assert world.kppn_admin is not None
    outcome = GupOutcome([], 0, 0.0, [])
    for sim in world.satkers:
        try:
            spm = replenishment.draft_gup(sim.people["bendahara"])
            code, waited = fresh_code(sim, "ppspm")
            outcome.waited += waited
            spm = replenishment.sign_spm(sim.people["ppspm"], spm, otp=code)
            outcome.spm_ids.append(int(spm.pk))
            try:
                replenishment.approve_spm(world.kppn_admin, spm)
            except RuntimeError as exc:
                # Seen while this was written: approve_spm audits outside a transaction
                # after recording the SP2D. The decision is made in SPAN and recorded; the
                # credit is settled below by asking SPAN (sync_spm), as the worker would.
                outcome.problems.append(f"GUP: approve_spm raised {exc}")
        except DomainError as exc:
            outcome.problems.append(f"GUP: {exc.code}: {exc}")
    # The credit may still be pending at the bank: ask SPAN until it is settled.
    while time.monotonic() < deadline:
        pending = list(
            Spm.objects.filter(pk__in=outcome.spm_ids, state=SpmState.APPROVED)
            .exclude(credit_status__in=(CreditState.CREDITED, CreditState.FAILED))
            .values_list("pk", flat=True)
        )
        if not pending:
            break
        for spm_id in pending:
            try:
                replenishment.sync_spm(int(spm_id))
            except DomainError as exc:
                outcome.problems.append(f"GUP sync {spm_id}: {exc.code}")
        time.sleep(0.5)
    # One note per kind of problem, with how many satkers had it.
    counted: dict[str, int] = {}
    for problem in outcome.problems:
        counted[problem] = counted.get(problem, 0) + 1
    outcome.problems = [f"{p} (×{n})" if n > 1 else p for p, n in counted.items()]
    outcome.credited = Spm.objects.filter(
        pk__in=outcome.spm_ids, state=SpmState.APPROVED, credit_status=CreditState.CREDITED
    ).count()
    return outcome
