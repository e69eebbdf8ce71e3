"""Fixtures of the worker and notification tests: a few users made directly (no demo world),
so that the transactional tests — which flush the database afterwards — stay quick.

The transactional tests here need no reference rows of the migrations, so they do not ask for
``serialized_rollback``: restoring those rows fails (IntegrityError on django_content_type)
after any earlier transactional test without it, whose flush re-creates the content types
under new ids.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest
from django.utils import translation

from digipay.accounts.models import Organisation, User
from digipay.accounts.rules import OrgKind, Role

_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def _indonesian() -> Iterator[None]:
    # Messages are asserted in Indonesian; an English page request leaves its language active
    # on the thread, so start from and go back to the default.
    translation.activate("id")
    yield
    translation.deactivate()


def make_user(organisation: Organisation, *, active: bool = True) -> User:
    n = next(_seq)
    return User.objects.create(
        email=f"user{n}@worker-test.example",
        full_name=f"Pengguna Uji {n}",
        organisation=organisation,
        role=Role.PEMESAN,
        person_key=f"worker-test-{n}",
        nik_last4=f"{n:04d}"[-4:],
        is_active=active,
    )


@pytest.fixture
def satker(db: None) -> Organisation:
    n = next(_seq)
    return Organisation.objects.create(kind=OrgKind.SATKER, code=f"9{n:05d}", name=f"Satker {n}")


@pytest.fixture
def new_user(satker: Organisation) -> Callable[..., User]:
    def make(*, active: bool = True, organisation: Organisation | None = None) -> User:
        return make_user(organisation or satker, active=active)

    return make
