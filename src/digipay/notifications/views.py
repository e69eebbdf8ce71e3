"""The inbox page: the user's notifications, mark one or all read (POST + CSRF)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from digipay.accounts.models import User
from digipay.notifications import queries, services

PAGE_SIZE = 20


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _inbox_url(page: str | None) -> str:
    url = reverse("notifications:inbox")
    return f"{url}?page={int(page)}" if page and page.isdigit() and int(page) > 1 else url


@login_required
def inbox_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    page = Paginator(queries.inbox(actor), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "unread": queries.unread_count(actor)},
    )


@login_required
@require_POST
def read_view(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _actor(request)
    notification = services.mark_read(actor, queries.notification_for(actor, pk))
    # The link was checked to be a local path when written; check again before redirecting.
    if (
        request.POST.get("open")
        and notification.link
        and url_has_allowed_host_and_scheme(notification.link, allowed_hosts=None)
    ):
        return redirect(notification.link)
    return redirect(_inbox_url(request.POST.get("page")))


@login_required
@require_POST
def read_all_view(request: HttpRequest) -> HttpResponse:
    count = services.mark_all_read(_actor(request))
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)d notifikasi ditandai sudah dibaca.",
                "%(count)d notifikasi ditandai sudah dibaca.",
                count,
            )
            % {"count": count},
        )
    return redirect("notifications:inbox")
