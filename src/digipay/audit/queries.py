"""Verifying the audit log's chains (browsing it comes with the reports issue)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC

from digipay.audit import rules
from digipay.audit.models import AuditEvent, ChainHead


@dataclass(frozen=True, slots=True)
class BrokenLink:
    tenant_id: int
    seq: int
    event_id: int | None
    reason: str


def _payload(event: AuditEvent) -> dict[str, object]:
    return rules.event_payload(
        tenant_id=event.tenant_id,
        seq=event.seq,
        occurred_at=event.occurred_at.astimezone(UTC),
        actor_id=event.actor_id,
        actor_role=event.actor_role,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        before=event.before,
        after=event.after,
        request_id=event.request_id,
        ip=event.ip,
    )


def verify_chain(tenant_id: int) -> BrokenLink | None:
    """Recompute one tenant's chain; return the first broken link, or None if it is intact."""
    prev = rules.GENESIS_HASH
    expected_seq = 1
    events: Iterator[AuditEvent] = (
        AuditEvent.objects.filter(tenant_id=tenant_id).order_by("seq").iterator(chunk_size=2000)
    )
    for event in events:
        if event.seq != expected_seq:
            return BrokenLink(tenant_id, expected_seq, None, "missing event (gap in sequence)")
        if event.prev_hash != prev:
            return BrokenLink(tenant_id, event.seq, event.id, "prev_hash does not match")
        if rules.chain_hash(prev, _payload(event)) != event.hash:
            return BrokenLink(tenant_id, event.seq, event.id, "content does not match its hash")
        prev = event.hash
        expected_seq += 1
    head = ChainHead.objects.filter(tenant_id=tenant_id).first()
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev):
        return BrokenLink(
            tenant_id, expected_seq, None, "chain is shorter than its head (events removed)"
        )
    return None


def verify_all() -> tuple[int, list[BrokenLink]]:
    """Verify every chain; returns (chains checked, broken links)."""
    tenants = set(AuditEvent.objects.values_list("tenant_id", flat=True).distinct())
    tenants |= set(ChainHead.objects.values_list("tenant_id", flat=True))
    broken = [b for t in sorted(tenants) if (b := verify_chain(t)) is not None]
    return len(tenants), broken
