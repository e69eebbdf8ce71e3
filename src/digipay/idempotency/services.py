"""Claiming a key, storing the outcome, releasing a failed claim, pruning expired records.

The claim is an INSERT in its own short transaction, before the handler runs: the unique
constraint on (user, key) lets exactly one of any number of concurrent requests win. The
others read the winner's row and replay its response (finished, same request), get 409 (still
running), 422 (another request under the same key) or take over a claim older than its lease
(the process that held it died). Completion and release are conditional on the claim token,
so a request whose stale claim was taken over cannot overwrite the new holder's outcome.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from digipay.accounts.models import User
from digipay.core import clock
from digipay.core.errors import Conflict, DomainError, ValidationFailed
from digipay.idempotency import rules
from digipay.idempotency.models import IdempotencyRecord
from digipay.idempotency.rules import Decision, RecordState

logger = logging.getLogger("digipay.idempotency")

# A claim that keeps vanishing under us (released, pruned) is retried this often, then 409.
CLAIM_ATTEMPTS = 5


@dataclass(frozen=True)
class Claim:
    """This request holds the key: run the handler, then ``complete`` or ``release``."""

    record_id: int
    token: str


@dataclass(frozen=True)
class StoredResponse:
    """The first request's response, to be sent again."""

    status: int
    content_type: str
    body: bytes


def retention() -> timedelta:
    try:
        return rules.retention(int(getattr(settings, "IDEMPOTENCY_KEY_HOURS", 24)))
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from exc


def default_lease() -> timedelta:
    try:
        return rules.lease(int(getattr(settings, "IDEMPOTENCY_LEASE_MINUTES", 5)))
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from exc


def key_required() -> DomainError:
    return DomainError(
        _("Header Idempotency-Key wajib diisi untuk permintaan ini."),
        code="idempotency_key_required",
        details={"header": rules.HEADER},
    )


def key_invalid() -> DomainError:
    return DomainError(
        _(
            "Idempotency-Key tidak valid: gunakan 1–255 karakter ASCII tanpa spasi, "
            "sebaiknya sebuah UUID."
        ),
        code="idempotency_key_invalid",
        details={"header": rules.HEADER, "max_length": rules.KEY_MAX},
    )


def key_reused() -> ValidationFailed:
    return ValidationFailed(
        _(
            "Idempotency-Key ini sudah dipakai untuk permintaan lain. Gunakan kunci baru untuk "
            "permintaan yang berbeda."
        ),
        code="idempotency_key_reused",
        details={"header": rules.HEADER},
    )


def in_progress() -> Conflict:
    return Conflict(
        _("Permintaan dengan Idempotency-Key ini masih diproses. Coba lagi sebentar lagi."),
        code="idempotency_in_progress",
        details={"header": rules.HEADER},
    )


def claim(
    user: User,
    *,
    key: str,
    fingerprint: str,
    method: str,
    path: str,
    lease: timedelta | None = None,
) -> Claim | StoredResponse:
    """Claim ``key`` for ``user``'s request, or say why not.

    Returns a ``Claim`` (run the handler) or the ``StoredResponse`` of the finished first
    request (replay it). Raises ``ValidationFailed`` ``idempotency_key_reused`` (422) when the
    key belongs to another request and ``Conflict`` ``idempotency_in_progress`` (409) while the
    first request is still running. The insert commits on its own (when no transaction is open
    around it), so concurrent duplicates see the claim at once.
    """
    chosen_lease = lease if lease is not None else default_lease()
    kept = retention()
    for _attempt in range(CLAIM_ATTEMPTS):
        now = clock.now()
        token = uuid.uuid4().hex
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user,
                    key=key,
                    fingerprint=fingerprint,
                    method=method.upper()[:10],
                    path=path[:500],
                    state=RecordState.IN_PROGRESS,
                    claim_token=token,
                    created_at=now,
                    started_at=now,
                    expires_at=now + kept,
                )
            return Claim(record_id=record.pk, token=token)
        except IntegrityError:
            pass  # the key is taken: look at who has it
        found = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if found is None:
            continue  # released or pruned since our insert failed: try again
        decision = rules.decide(
            state=found.state,
            stored_fingerprint=found.fingerprint,
            fingerprint=fingerprint,
            started_at=found.started_at,
            expires_at=found.expires_at,
            now=now,
            lease=chosen_lease,
        )
        if decision == Decision.REPLAY:
            assert found.response_status is not None
            assert found.response_body is not None
            return StoredResponse(
                status=found.response_status,
                content_type=found.response_content_type,
                body=bytes(found.response_body),
            )
        if decision == Decision.MISMATCH:
            raise key_reused()
        if decision == Decision.IN_PROGRESS:
            raise in_progress()
        if decision == Decision.EXPIRED:
            IdempotencyRecord.objects.filter(pk=found.pk, expires_at__lte=now).delete()
            continue
        # TAKE_OVER: only one of several late-comers wins the conditional update.
        taken = IdempotencyRecord.objects.filter(
            pk=found.pk, state=RecordState.IN_PROGRESS, claim_token=found.claim_token
        ).update(claim_token=token, started_at=now, expires_at=now + kept)
        if taken:
            logger.warning("idempotency stale claim taken over record=%s", found.pk)
            return Claim(record_id=found.pk, token=token)
    raise in_progress()


def complete(claim: Claim, *, status: int, content_type: str, body: bytes) -> bool:
    """Store the response of a claimed request; False if the claim was lost meanwhile (taken
    over after its lease, which is logged: the handler ran longer than its lease)."""
    now = clock.now()
    stored = IdempotencyRecord.objects.filter(
        pk=claim.record_id, claim_token=claim.token, state=RecordState.IN_PROGRESS
    ).update(
        state=RecordState.COMPLETED,
        completed_at=now,
        expires_at=now + retention(),
        response_status=status,
        response_content_type=content_type[:100],
        response_body=body,
    )
    if not stored:
        logger.warning("idempotency claim lost before completion record=%s", claim.record_id)
    return bool(stored)


def release(claim: Claim) -> bool:
    """Forget a claim whose handler failed unexpectedly, so that a retry may run."""
    deleted, _rows = IdempotencyRecord.objects.filter(
        pk=claim.record_id, claim_token=claim.token, state=RecordState.IN_PROGRESS
    ).delete()
    return bool(deleted)


def prune(now: datetime) -> int:
    """Delete the records past their retention; returns how many went."""
    deleted, _rows = IdempotencyRecord.objects.filter(expires_at__lte=now).delete()
    return deleted
