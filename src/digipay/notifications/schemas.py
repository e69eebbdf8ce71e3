"""API schemas of notifications."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema


class NotificationOut(Schema):
    id: int
    title: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None
    is_read: bool


class UnreadOut(Schema):
    unread: int


class ReadAllOut(Schema):
    updated: int
