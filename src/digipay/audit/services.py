"""Writing audit events. Call inside the caller's transaction so the event and the change
commit (or roll back) together."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import Any

from django.db import transaction

from digipay.audit import rules
from digipay.audit.models import AuditEvent, ChainHead
from digipay.core import clock, context


def record_event(
    *,
    tenant_id: int,
    actor_id: int | None,
    actor_role: str,
    action: str,
    object_type: str,
    object_id: str | int,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the tenant's chain (locks the chain head until commit)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must run inside the service's transaction")
    ctx = context.current()
    ChainHead.objects.bulk_create([ChainHead(tenant_id=tenant_id)], ignore_conflicts=True)
    head = ChainHead.objects.select_for_update().get(tenant_id=tenant_id)
    occurred_at = clock.now().astimezone(UTC)
    seq = head.seq + 1
    payload = rules.event_payload(
        tenant_id=tenant_id,
        seq=seq,
        occurred_at=occurred_at,
        actor_id=actor_id,
        actor_role=actor_role,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before or {},
        after=after or {},
        request_id=ctx.request_id,
        ip=ctx.ip,
    )
    digest = rules.chain_hash(head.hash, payload)
    event = AuditEvent.objects.create(
        tenant_id=tenant_id,
        seq=seq,
        occurred_at=occurred_at,
        actor_id=actor_id,
        actor_role=actor_role,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=payload["before"],
        after=payload["after"],
        request_id=ctx.request_id,
        ip=ctx.ip,
        prev_hash=head.hash,
        hash=digest,
    )
    ChainHead.objects.filter(tenant_id=tenant_id).update(seq=seq, hash=digest)
    return event
