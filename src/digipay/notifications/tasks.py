"""The django-tasks of notifications (run by ``digipay worker``)."""

from __future__ import annotations

from django_tasks import task

from digipay.notifications import delivery


@task()
def email_notifications(notification_ids: list[int]) -> int:
    """E-mail these notifications, each at most once; returns how many were sent."""
    return delivery.send_emails(notification_ids)
