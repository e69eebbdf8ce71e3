"""Pages of books: the hub (satker and month), each book (printable HTML, PDF, XLSX), the
LPJ (preview with the bank's balance, submission, the frozen copy as PDF), the
reconciliation cases and one case with its actions. Thin: the same services and queries
decide; a DomainError becomes a message on the page."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy

from digipay.accounts.models import Organisation, User
from digipay.accounts.permissions import allows
from digipay.accounts.rules import OrgKind
from digipay.books import exports, queries, rules, services
from digipay.books.rules import CaseStatus
from digipay.core import clock
from digipay.core.errors import DomainError

PAGE_SIZE = 25


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _choice(request: HttpRequest, actor: User) -> tuple[Organisation, date, dict[str, Any]]:
    """The satker (own, or an overseer's pick) and month of the page, and the picker's data."""
    satker = queries.satker_for(actor, request.GET.get("satker") or None)
    period = queries.parse_month(request.GET.get("bulan"))
    overseer = actor.organisation.kind != OrgKind.SATKER
    context = {
        "satker": satker,
        "period": period,
        "bulan": period.strftime("%Y-%m"),
        "satkers": queries.book_satkers(actor) if overseer else [],
        "query": f"satker={satker.code}&bulan={period:%Y-%m}",
    }
    return satker, period, context


@login_required
def index_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    satker, _period, context = _choice(request, actor)
    context["books"] = list(queries.BOOKS.values())
    context["lpjs"] = list(queries.lpjs_of(actor, satker)[:12])
    context["runs"] = list(queries.runs_of(satker)[:7])
    context["can_see_cases"] = allows(actor, "reconciliation.view", satker)
    context["can_rerun"] = allows(actor, "reconciliation.resolve", satker)
    context["today"] = clock.today_jakarta()
    if context["can_see_cases"]:
        context["open_cases"] = queries.open_cases(actor).filter(satker=satker).count()
    return render(request, "books/index.html", context)


@login_required
def rerun_view(request: HttpRequest) -> HttpResponse:
    """POST: reconcile the chosen day of the satker again (``hari``, default today)."""
    actor = _actor(request)
    if request.method != "POST":
        return redirect("books:index")
    satker = queries.satker_for(actor, request.POST.get("satker") or None, "reconciliation.view")
    try:
        day = date.fromisoformat(request.POST.get("hari") or clock.today_jakarta().isoformat())
        run = services.rerun_day(actor, satker, day)
    except ValueError:
        messages.error(request, str(gettext_lazy("Tanggal tidak valid.")))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if run.error:
            messages.error(request, str(gettext_lazy("Rekening koran gagal diambil.")))
        else:
            messages.success(request, str(gettext_lazy("Rekonsiliasi selesai.")))
    return redirect(f"/pembukuan/?satker={satker.code}")


@login_required
def book_view(request: HttpRequest, slug: str) -> HttpResponse:
    actor = _actor(request)
    satker, period, context = _choice(request, actor)
    context["book"] = queries.book(actor, satker, slug, period)
    return render(request, "books/book.html", context)


@login_required
def book_pdf_view(request: HttpRequest, slug: str) -> HttpResponse:
    actor = _actor(request)
    satker, period, _context = _choice(request, actor)
    book = queries.book(actor, satker, slug, period)
    pdf = exports.render_pdf("books/book_pdf.html", {"book": book})
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"{slug}-{satker.code}-{period:%Y-%m}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def book_xlsx_view(request: HttpRequest, slug: str) -> HttpResponse:
    actor = _actor(request)
    satker, period, _context = _choice(request, actor)
    book = queries.book(actor, satker, slug, period)
    response = HttpResponse(
        exports.xlsx_bytes(book),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"{slug}-{satker.code}-{period:%Y-%m}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- LPJ ------------------------------------------------------------------------------------------


@login_required
def lpj_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    satker, period, context = _choice(request, actor)
    error = ""
    if request.method == "POST":
        try:
            services.submit_lpj(actor, satker, period)
        except DomainError as exc:
            error = exc.message
        else:
            return redirect(f"{request.path}?{context['query']}")
    lpj = queries.lpj_of(actor, satker, period)
    figures = None
    if lpj is None:
        try:
            figures = services.lpj_figures(actor, satker, period)
        except DomainError as exc:
            error = error or exc.message
    context.update(
        {
            "lpj": lpj,
            "figures": figures,
            "error": error,
            "due_date": rules.lpj_due_date(period),
            "late_now": lpj is None
            and rules.lpj_is_late(period, submitted_on=None, today=clock.today_jakarta()),
            "can_submit": lpj is None and allows(actor, "lpj.submit", satker),
        }
    )
    return render(request, "books/lpj.html", context, status=422 if error else 200)


@login_required
def lpj_pdf_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    satker, period, _context = _choice(request, actor)
    lpj = queries.lpj_of(actor, satker, period)
    if lpj is None:
        return redirect(f"/pembukuan/lpj/?satker={satker.code}&bulan={period:%Y-%m}")
    pdf = exports.render_pdf("books/lpj_pdf.html", {"lpj": lpj, "satker": satker})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{lpj.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- reconciliation cases -----------------------------------------------------------------------


@login_required
def case_list_view(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    found = queries.visible_cases(actor)
    status = request.GET.get("status", "open")
    if status == "open":
        found = found.filter(status__in=rules.OPEN_CASE_STATUSES)
    elif status in CaseStatus.values:
        found = found.filter(status=status)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "books/cases.html",
        {"page": page, "status": status, "statuses": CaseStatus.choices},
    )


class NoteForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Catatan"), widget=forms.Textarea, max_length=2000)


class CloseForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Penyelesaian"),
        choices=[
            (CaseStatus.RESOLVED, gettext_lazy("Selesai")),
            (CaseStatus.DISMISSED, gettext_lazy("Diabaikan")),
        ],
    )
    reason = forms.CharField(label=gettext_lazy("Alasan"), widget=forms.Textarea, max_length=2000)


@login_required
def case_detail_view(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = _actor(request)
    case = queries.case_for(actor, case_id)
    note_form = NoteForm(request.POST if request.POST.get("action") == "note" else None)
    close_form = CloseForm(request.POST if request.POST.get("action") == "close" else None)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "take":
                services.take_case(actor, case.pk)
            elif action == "note" and note_form.is_valid():
                services.add_note(actor, case.pk, note_form.cleaned_data["text"])
            elif action == "close" and close_form.is_valid():
                services.close_case(
                    actor,
                    case.pk,
                    status=close_form.cleaned_data["status"],
                    reason=close_form.cleaned_data["reason"],
                )
            else:
                error = str(gettext_lazy("Periksa kembali isian formulir."))
        except DomainError as exc:
            error = exc.message
        if not error:
            return redirect("books:case_detail", case_id=case.pk)
        case = queries.case_for(actor, case_id)
    context = {
        "case": case,
        "notes": case.notes.select_related("author"),
        "can_act": case.is_open and allows(actor, "reconciliation.resolve", case),
        "note_form": note_form,
        "close_form": close_form,
        "error": error,
    }
    return render(request, "books/case_detail.html", context, status=422 if error else 200)
