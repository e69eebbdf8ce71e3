"""Notifications: in-app messages to users, copied by e-mail through the worker.

``services.notify(recipients, title=…, body=…, link=…)`` writes one ``Notification`` per
recipient in the caller's transaction and, once that transaction commits, enqueues one
django-task that e-mails them (each at most once). Users read them at ``/notifikasi/`` (a badge
in the header shows the unread count) and over ``/api/v1/notifications``.

May import ``core``, ``audit``, ``accounts`` and ``worker``; every app above ``accounts`` may
use it. See docs/adr/0012-worker-and-notifications.md.
"""
