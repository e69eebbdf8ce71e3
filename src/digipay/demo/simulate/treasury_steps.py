"""After the payments: replenishing UP (GUP Tunai through SPAN), by the people whose step it
is, through the replenishment services (docs/adr/0023, docs/adr/0025).

Per satker: the Bendahara drafts an SPM-GUP of every paid invoice no SPM lists yet; the PPSPM
signs it with a fresh TOTP code (which sends it to SPAN); the KPPN approves it in SPAN, whose
SP2D is credited to the treasurer's account at the bank simulator; the ledger restores UP
Tunai once the credit is reported CREDITED (asked again with ``sync_spm`` while pending).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from digipay.core.errors import DomainError
from digipay.replenishment import services as replenishment
from digipay.replenishment.models import Spm
from digipay.replenishment.rules import CreditState, SpmState

from .cycle import fresh_code
from .world import World


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
