"""HTTP API of notifications: the caller's own inbox, mark read, mark all read."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router
from ninja.pagination import CursorPagination, paginate

from digipay.accounts.api import actor_of
from digipay.notifications import queries, services
from digipay.notifications.models import Notification
from digipay.notifications.schemas import NotificationOut, ReadAllOut, UnreadOut

router = Router(tags=["notifications"])


@router.get("", response=list[NotificationOut], summary="The caller's notifications")
@paginate(CursorPagination, ordering=("-id",))
def list_notifications(request: HttpRequest, unread: bool = False) -> QuerySet[Notification]:
    return queries.inbox(actor_of(request), unread_only=unread)


@router.get("/unread-count", response=UnreadOut)
def unread_count(request: HttpRequest) -> dict[str, int]:
    return {"unread": queries.unread_count(actor_of(request))}


@router.post("/read-all", response=ReadAllOut)
def read_all(request: HttpRequest) -> dict[str, int]:
    return {"updated": services.mark_all_read(actor_of(request))}


@router.post("/{notification_id}/read", response=NotificationOut)
def read(request: HttpRequest, notification_id: int) -> Notification:
    actor = actor_of(request)
    return services.mark_read(actor, queries.notification_for(actor, notification_id))
