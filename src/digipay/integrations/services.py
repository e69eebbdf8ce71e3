"""Bank notifications: verify, store once, answer fast, process idempotently.

``receive_notification`` runs in the request: it checks the timestamp window and the bank's
RSA signature, stores the raw notification under its bank event id (a duplicate is a no-op
that still answers 2xx so that the bank stops retrying) and returns. ``process_pending`` turns
stored notifications into statement lines; it is called after the commit and by
``digipay inbox process``, and processing twice has no second effect.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from digipay.core import clock
from digipay.integrations.banks import registry
from digipay.integrations.banks.client import Exchange
from digipay.integrations.models import (
    BankExchange,
    BankNotification,
    NotificationStatus,
    StatementLine,
)
from digipay.snap import signing, values


def record_exchange(exchange: Exchange) -> None:
    """The gateway's recorder: one row per call, secrets never included."""
    BankExchange.objects.create(
        bank_code=exchange.bank_code,
        service=exchange.service,
        external_id=exchange.external_id,
        partner_reference_no=exchange.partner_reference_no,
        request_body=dict(exchange.request_body),
        status_code=exchange.status_code,
        response_body=dict(exchange.response_body) if exchange.response_body is not None else None,
        error=exchange.error,
        duration_ms=exchange.duration_ms,
    )


@dataclass(frozen=True, slots=True)
class InboxAnswer:
    status: int
    body: dict[str, Any]


def _answer(status: int, code: str, message: str) -> InboxAnswer:
    return InboxAnswer(status, {"responseCode": code, "responseMessage": message})


def receive_notification(
    *, bank_code: str, path: str, timestamp: str, signature: str, raw_body: str
) -> InboxAnswer:
    """``bank_code`` comes from the X-PARTNER-ID header: the bank whose account moved."""
    profile = registry.profile(bank_code)
    if profile is None:
        return _answer(404, "4040000", "Unknown bank")
    if not values.within_window(timestamp, clock.now()):
        return _answer(401, "4010000", "Unauthorized. Stale or invalid timestamp")
    public_key = signing.load_public_key(profile.bank_public_key_pem)
    if not signing.verify_asymmetric(public_key, "POST", path, raw_body, timestamp, signature):
        return _answer(401, "4010000", "Unauthorized. Invalid signature")
    try:
        body = json.loads(raw_body)
        event_id = str(body["notificationId"])
    except (ValueError, KeyError, TypeError):
        return _answer(400, "4000001", "Invalid body: notificationId is required")
    try:
        with transaction.atomic():
            notification = BankNotification.objects.create(
                bank_code=bank_code,
                event_id=event_id,
                timestamp=timestamp,
                signature=signature,
                raw_body=raw_body,
            )
    except IntegrityError:
        return _answer(200, "2000000", "Already received")
    transaction.on_commit(lambda: process_pending(ids=[notification.pk]))
    return _answer(200, "2000000", "Successful")


def _apply(notification: BankNotification) -> None:
    body = json.loads(notification.raw_body)
    kind = body.get("eventType")
    if isinstance(kind, str) and kind.startswith("CARD_"):
        # KKP card events are kept as received; the payments issue links them to purchases.
        return
    if kind not in ("CREDIT", "DEBIT"):
        raise ValueError(f"unsupported notification type {kind!r}")
    StatementLine.objects.get_or_create(
        bank_code=notification.bank_code,
        event_id=notification.event_id,
        defaults={
            "account_no": str(body["accountNo"]),
            "direction": "C" if kind == "CREDIT" else "D",
            "amount_idr": values.parse_amount(str(body["amount"]["value"])),
            "reference_no": str(body.get("referenceNo", "")),
            "partner_reference_no": str(body.get("partnerReferenceNo", "")),
            "booked_at": values.parse_timestamp(str(body["transactionDate"])),
        },
    )


def process_received(now: datetime) -> int:
    """The worker's job (``integrations.process_pending``, every minute): notifications the
    receiving request could not process at once (or stored while the worker was away)."""
    return process_pending()


def process_pending(*, ids: list[int] | None = None, limit: int = 500) -> int:
    """Process stored notifications (oldest first); returns how many were processed."""
    done = 0
    qs = BankNotification.objects.filter(status=NotificationStatus.RECEIVED).order_by("id")
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    for pk in list(qs.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            notification = (
                BankNotification.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=NotificationStatus.RECEIVED)
                .first()
            )
            if notification is None:  # another worker has it, or has done it
                continue
            try:
                with transaction.atomic():
                    _apply(notification)
            except (ValueError, KeyError, TypeError) as exc:
                notification.status = NotificationStatus.FAILED
                notification.error = str(exc)[:200]
            else:
                notification.status = NotificationStatus.PROCESSED
                done += 1
            notification.processed_at = clock.now()
            notification.save(update_fields=["status", "error", "processed_at"])
    return done
