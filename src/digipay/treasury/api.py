"""HTTP API of treasury: UP position, UP/TUP recording, KKP share, cards, the satker's ledger."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import CursorPagination, paginate

from digipay.accounts.api import actor_of, get_or_404
from digipay.accounts.models import Organisation, User
from digipay.accounts.permissions import require
from digipay.accounts.rules import OrgKind
from digipay.core import clock
from digipay.core.errors import NotFound
from digipay.ledger import queries as ledger_queries
from digipay.ledger.models import Entry
from digipay.treasury import queries, services
from digipay.treasury.models import KkpCard, UpAllocation, UpKind, UpReturn
from digipay.treasury.schemas import (
    AllocationOut,
    CardIn,
    CardLimitIn,
    CardLineOut,
    CardOut,
    CardStatusIn,
    EntryDetailOut,
    EntryOut,
    KkpShareIn,
    TupExtendIn,
    TupIn,
    UpIn,
    UpPositionOut,
    UpReturnIn,
    UpReturnOut,
)

router = Router(tags=["treasury"])


def _satker(pk: int) -> Organisation:
    satker = (
        Organisation.objects.filter(pk=pk, kind=OrgKind.SATKER).select_related("parent").first()
    )
    if satker is None:
        raise NotFound(_("Data tidak ditemukan."))
    return satker


def _position(v: queries.Position) -> dict[str, Any]:
    return {
        "label": v.label,
        "allocated_idr": v.allocated,
        "posted_idr": v.posted,
        "held_idr": v.held,
        "available_idr": v.available,
        "spent_this_month_idr": v.spent_this_month,
    }


@router.get("/satkers/{satker_id}/up", response=UpPositionOut)
def up_position(request: HttpRequest, satker_id: int) -> dict[str, Any]:
    satker = _satker(satker_id)
    require(actor_of(request), "up.view", satker)
    position = queries.up_position(satker)
    share = queries.kkp_share(satker, clock.today_jakarta())
    return {
        "satker_id": satker.pk,
        "tunai": _position(position["tunai"]),
        "kkp": _position(position["kkp"]),
        "kkp_share": f"{share.numerator}/{share.denominator}",
        "allocations": list(queries.allocations_of(satker)),
    }


@router.post("/satkers/{satker_id}/up", response={201: AllocationOut})
def record_up(request: HttpRequest, satker_id: int, payload: UpIn) -> Status[UpAllocation]:
    allocation = services.record_up(actor_of(request), satker=_satker(satker_id), **payload.dict())
    return Status(201, allocation)


@router.post("/satkers/{satker_id}/tup", response={201: AllocationOut})
def record_tup(request: HttpRequest, satker_id: int, payload: TupIn) -> Status[UpAllocation]:
    tup = services.record_tup(actor_of(request), satker=_satker(satker_id), **payload.dict())
    return Status(201, tup)


@router.post("/tups/{tup_id}/extend", response=AllocationOut)
def extend_tup(request: HttpRequest, tup_id: int, payload: TupExtendIn) -> UpAllocation:
    tup = get_or_404(UpAllocation.objects.filter(kind=UpKind.TUP), tup_id)
    return services.extend_tup(actor_of(request), tup, reason=payload.reason)


@router.post("/satkers/{satker_id}/up-return", response={201: UpReturnOut})
def return_up(request: HttpRequest, satker_id: int, payload: UpReturnIn) -> Status[UpReturn]:
    returned = services.return_up(actor_of(request), satker=_satker(satker_id), **payload.dict())
    return Status(201, returned)


@router.post("/satkers/{satker_id}/kkp-share", response={204: None})
def set_kkp_share(request: HttpRequest, satker_id: int, payload: KkpShareIn) -> Status[None]:
    services.set_kkp_share(
        actor_of(request),
        satker=_satker(satker_id),
        share=Fraction(payload.share_percent, 100),
        reason=payload.reason,
    )
    return Status(204, None)


@router.get("/satkers/{satker_id}/cards", response=list[CardLineOut])
def list_cards(request: HttpRequest, satker_id: int) -> list[dict[str, Any]]:
    satker = _satker(satker_id)
    require(actor_of(request), "card.view", satker)
    return [
        {"card": line.card, "available_idr": line.available, "held_idr": line.held}
        for line in queries.cards_of(satker)
    ]


@router.post("/satkers/{satker_id}/cards", response={201: CardOut})
def issue_card(request: HttpRequest, satker_id: int, payload: CardIn) -> Status[KkpCard]:
    data = payload.dict()
    cardholder = get_or_404(User.objects.all(), data.pop("cardholder_id"))
    bank = get_or_404(Organisation.objects.filter(kind=OrgKind.BANK), data.pop("bank_id"))
    card = services.issue_kkp_card(
        actor_of(request), satker=_satker(satker_id), cardholder=cardholder, bank=bank, **data
    )
    return Status(201, card)


@router.post("/cards/{card_id}/limit", response=CardOut)
def change_card_limit(request: HttpRequest, card_id: int, payload: CardLimitIn) -> KkpCard:
    card = get_or_404(KkpCard.objects.all(), card_id)
    return services.change_card_limit(
        actor_of(request), card, card_limit_idr=payload.card_limit_idr
    )


@router.post("/cards/{card_id}/status", response=CardOut)
def set_card_status(request: HttpRequest, card_id: int, payload: CardStatusIn) -> KkpCard:
    card = get_or_404(KkpCard.objects.all(), card_id)
    return services.set_card_status(
        actor_of(request), card, status=payload.status, reason=payload.reason
    )


def _entry_out(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "status": entry.status,
        "reason_code": entry.reason_code,
        "source_type": entry.source_type,
        "source_id": entry.source_id,
        "memo": entry.memo,
        "created_at": entry.created_at,
        "resolves_id": entry.resolves_id,
        "corrects_id": entry.corrects_id,
    }


@router.get("/satkers/{satker_id}/entries", response=list[EntryOut])
@paginate(CursorPagination, ordering=("-id",))
def list_entries(request: HttpRequest, satker_id: int) -> Any:
    satker = _satker(satker_id)
    require(actor_of(request), "up.view", satker)
    return ledger_queries.entries_of([satker.pk])


@router.get("/entries/{entry_id}", response=EntryDetailOut)
def get_entry(request: HttpRequest, entry_id: int) -> dict[str, Any]:
    entry = ledger_queries.entry_with_postings(entry_id)
    if entry is None:
        raise NotFound(_("Data tidak ditemukan."))
    owner = get_or_404(Organisation.objects.all(), entry.tenant_id)
    require(actor_of(request), "up.view", owner)
    return {
        **_entry_out(entry),
        "postings": [
            {
                "account_id": p.account_id,
                "account_code": p.account.code,
                "account_owner_id": p.account.owner_id,
                "amount_idr": p.amount,
                "pending": p.pending,
            }
            for p in entry.postings.all()
        ],
    }
