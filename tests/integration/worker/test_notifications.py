"""notify(): rows in the caller's transaction, e-mail copies after commit through the worker,
each e-mailed at most once; mark read; the retry job."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from digipay.accounts.models import User
from digipay.core import clock
from digipay.core.errors import NotFound, ValidationFailed
from digipay.notifications import delivery, queries, services
from digipay.notifications.jobs import retry_unsent_emails
from digipay.notifications.models import Notification
from digipay.notifications.tasks import email_notifications
from digipay.worker import services as worker


class Boom(Exception):
    pass


def note(users: list[User], **kw: Any) -> list[Notification]:
    return services.notify(
        users,
        title=kw.pop("title", "Pesanan menunggu persetujuan"),
        body=kw.pop("body", "Pesanan PO-0001 menunggu persetujuan Anda."),
        link=kw.pop("link", "/pesanan/1/"),
        **kw,
    )


# Writing -----------------------------------------------------------------------------------


def test_notify_writes_one_row_per_distinct_active_recipient(
    new_user: Callable[..., User],
    django_capture_on_commit_callbacks: Any,
) -> None:
    alice, bob, gone = new_user(), new_user(), new_user(active=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rows = note([alice, bob, alice, gone])
    assert sorted(r.recipient_id for r in rows) == sorted([alice.pk, bob.pk])
    assert all(r.tenant_id == alice.organisation_id and r.wants_email for r in rows)
    assert len(callbacks) == 1
    task = DBTaskResult.objects.get()
    assert task.task_path == "digipay.notifications.tasks.email_notifications"
    assert sorted(task.args_kwargs["args"][0]) == sorted(r.pk for r in rows)


def test_notify_without_email_enqueues_nothing(
    new_user: Callable[..., User], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        [row] = note([new_user()], email=False)
    assert callbacks == []
    assert not row.wants_email
    assert not DBTaskResult.objects.exists()


@pytest.mark.parametrize(
    ("kw", "fragment"),
    [
        ({"title": "  "}, "Judul"),
        ({"title": "x" * 201}, "Judul"),
        ({"link": "https://contoh.example/"}, "Tautan"),
        ({"link": "//contoh.example/"}, "Tautan"),
        ({"link": "javascript:alert(1)"}, "Tautan"),
    ],
)
def test_notify_refuses_bad_input(
    new_user: Callable[..., User], kw: dict[str, str], fragment: str
) -> None:
    with pytest.raises(ValidationFailed, match=fragment):
        note([new_user()], **kw)
    assert not Notification.objects.exists()


# Mark read -----------------------------------------------------------------------------------


def test_mark_read_only_own_and_keeps_the_first_time(new_user: Callable[..., User]) -> None:
    alice, bob = new_user(), new_user()
    [mine] = note([alice], email=False)
    [theirs] = note([bob], email=False)

    with pytest.raises(NotFound):
        services.mark_read(alice, theirs)
    with pytest.raises(NotFound):
        queries.notification_for(alice, theirs.pk)
    assert Notification.objects.get(pk=theirs.pk).read_at is None

    first = services.mark_read(alice, mine).read_at
    assert first is not None
    assert services.mark_read(alice, mine).read_at == first
    assert queries.unread_count(alice) == 0
    assert queries.unread_count(bob) == 1


def test_mark_all_read(new_user: Callable[..., User]) -> None:
    alice, bob = new_user(), new_user()
    note([alice, bob], email=False)
    note([alice], email=False)
    assert queries.unread_count(alice) == 2
    assert services.mark_all_read(alice) == 2
    assert services.mark_all_read(alice) == 0
    assert queries.unread_count(alice) == 0
    assert queries.unread_count(bob) == 1
    assert [n.pk for n in queries.inbox(alice)] == sorted(
        (n.pk for n in queries.inbox(alice)), reverse=True
    )


# E-mail: at most once ---------------------------------------------------------------------------


def test_the_email_task_twice_sends_one_email(new_user: Callable[..., User]) -> None:
    alice = new_user()
    [row] = note([alice])
    assert email_notifications.call([row.pk]) == 1
    assert email_notifications.call([row.pk]) == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [alice.email]
    assert message.subject == "Digipay: Pesanan menunggu persetujuan"
    assert "Pesanan PO-0001 menunggu persetujuan Anda." in message.body
    assert "http://127.0.0.1:8000/pesanan/1/" in message.body
    row.refresh_from_db()
    assert row.emailed_at is not None
    assert row.email_attempts == 1


def test_a_refused_email_is_released_for_a_retry(
    new_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    alice, bob = new_user(), new_user()
    rows = note([alice, bob])
    real_send = delivery.EmailMessage.send

    def refuse_alice(self: Any, fail_silently: bool = False) -> int:
        if alice.email in self.to:
            raise OSError(f"550 mailbox {alice.email} unavailable")
        return real_send(self, fail_silently)

    monkeypatch.setattr(delivery.EmailMessage, "send", refuse_alice)
    with pytest.raises(delivery.EmailDeliveryFailed):
        delivery.send_emails([r.pk for r in rows])
    assert [m.to for m in mail.outbox] == [[bob.email]]
    by_user = {n.recipient_id: n for n in Notification.objects.all()}
    assert by_user[alice.pk].emailed_at is None
    assert by_user[alice.pk].email_attempts == 1
    assert by_user[bob.pk].emailed_at is not None
    assert alice.email not in caplog.text  # ids only in the logs

    monkeypatch.undo()
    assert delivery.send_emails([r.pk for r in rows]) == 1
    assert len(mail.outbox) == 2


def test_the_retry_job_enqueues_only_owed_emails(new_user: Callable[..., User]) -> None:
    alice, bob, carol = new_user(), new_user(), new_user()
    [owed] = note([alice])
    [sent] = note([bob])
    note([carol], email=False)  # no e-mail wanted: never owed
    delivery.send_emails([sent.pk])
    now = clock.now()

    assert retry_unsent_emails(now) == 0  # too fresh: the first task still has its chance
    assert retry_unsent_emails(now + timedelta(minutes=11)) == 1
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [[owed.pk]]
    assert retry_unsent_emails(now + timedelta(days=2)) == 0  # stale news is not e-mailed
    Notification.objects.filter(pk=owed.pk).update(email_attempts=5)
    assert retry_unsent_emails(now + timedelta(minutes=11)) == 0  # tried often enough


# Through the worker, with real commits ---------------------------------------------------------

transactional = pytest.mark.django_db(transaction=True)


@transactional
def test_worker_once_emails_a_committed_notification(new_user: Callable[..., User]) -> None:
    alice = new_user()
    [row] = note([alice])  # commits: the task is enqueued on commit
    assert DBTaskResult.objects.ready().count() == 1
    assert mail.outbox == []

    call_command("worker", "--once", "--worker-id", "test-worker")

    assert [m.to for m in mail.outbox] == [[alice.email]]
    row.refresh_from_db()
    assert row.emailed_at is not None
    task = DBTaskResult.objects.get()
    assert task.status == "SUCCESSFUL"
    assert task.worker_ids == ["test-worker"]
    assert task.return_value == 1

    # The same notification enqueued again (a retry, a duplicate): nothing more is sent.
    email_notifications.enqueue([row.pk])
    call_command("worker", "--once")
    assert len(mail.outbox) == 1


@transactional
def test_notify_in_a_rolled_back_transaction_sends_nothing(new_user: Callable[..., User]) -> None:
    alice = new_user()

    def change_then_fail() -> None:
        with transaction.atomic():
            note([alice])
            raise Boom

    with pytest.raises(Boom):
        change_then_fail()
    assert not Notification.objects.exists()
    assert not DBTaskResult.objects.exists()
    call_command("worker", "--once")
    assert mail.outbox == []


@transactional
def test_worker_records_a_failed_task_and_goes_on(
    new_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = new_user(), new_user()
    [first] = note([alice])
    [second] = note([bob])

    def refuse(self: Any, fail_silently: bool = False) -> int:
        if alice.email in self.to:
            raise OSError("refused")
        return 1

    monkeypatch.setattr(delivery.EmailMessage, "send", refuse)
    ran = worker.run_queued_tasks(worker_id="w", max_tasks=10)
    assert ran == 2
    statuses = sorted(DBTaskResult.objects.values_list("status", flat=True))
    assert statuses == ["FAILED", "SUCCESSFUL"]
    failed = DBTaskResult.objects.get(status="FAILED")
    assert failed.exception_class_path.endswith("EmailDeliveryFailed")
    assert alice.email not in failed.traceback  # no address in the stored traceback
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.emailed_at is None
    assert second.emailed_at is not None


@transactional
def test_worker_runs_at_most_batch_size_tasks(new_user: Callable[..., User]) -> None:
    users = [new_user() for _ in range(3)]
    for user in users:
        note([user])
    assert worker.run_queued_tasks(worker_id="w", max_tasks=2) == 2
    assert DBTaskResult.objects.ready().count() == 1
    assert worker.run_queued_tasks(worker_id="w", max_tasks=2) == 1
    assert len(mail.outbox) == 3


@pytest.mark.postgres
@transactional
def test_two_workers_emailing_the_same_notification_send_it_once(
    new_user: Callable[..., User],
) -> None:
    rows = note([new_user() for _ in range(20)])
    ids = [r.pk for r in rows]
    barrier = threading.Barrier(4)
    results: list[Any] = [None] * 4

    def work(i: int) -> None:
        try:
            barrier.wait()
            results[i] = delivery.send_emails(ids if i % 2 else list(reversed(ids)))
        except BaseException as exc:  # pragma: no cover - shown by the assertion
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(results) == 20, results
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.recipient.email for r in rows)
