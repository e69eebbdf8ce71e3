"""Periodic job of notifications: e-mail copies whose task was lost or refused go again."""

from __future__ import annotations

from datetime import datetime, timedelta

from digipay.notifications import queries, rules
from digipay.worker.registry import periodic


@periodic("notifications.email_retry", every=timedelta(minutes=15))
def retry_unsent_emails(now: datetime) -> int:
    """Enqueue one task for the e-mails still owed (see ``queries.unsent_emails``)."""
    from digipay.notifications.tasks import email_notifications

    ids = list(queries.unsent_emails(now=now).values_list("pk", flat=True)[: rules.RETRY_BATCH])
    if ids:
        email_notifications.enqueue(ids)
    return len(ids)
