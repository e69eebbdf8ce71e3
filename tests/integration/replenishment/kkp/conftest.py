"""Fixtures of the GUP KKP tests: the card bill tests' bank simulator (fresh per test, with
BRI's card settlement account, so a card bill can be fetched, verified and paid), and a SPAN
simulator crediting that bank, Digipay pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from digipay.simulators.spansim import config_from_dict, create_app

from ...cardbills.conftest import (  # noqa: F401 - fixtures
    CardBank,
    _cardbank,
    _module_world,
    bank,
    run_worker,
    shop,
    world,
)
from ...simulators.conftest import live_server
from ..conftest import SPAN_CLIENT, SPAN_SECRET


@pytest.fixture
def span(_cardbank: CardBank, settings: Any) -> Iterator[str]:  # noqa: F811 - the fixture
    config = config_from_dict(
        {
            "clients": [{"clientId": SPAN_CLIENT, "secret": SPAN_SECRET}],
            "bank": {"url": _cardbank.url, "timeoutSeconds": 2, "retrySeconds": 3600},
        }
    )
    with live_server(create_app(config)) as url:
        settings.DIGIPAY_SPAN_URL = url
        settings.DIGIPAY_SPAN_CLIENT_ID = SPAN_CLIENT
        settings.DIGIPAY_SPAN_SECRET = SPAN_SECRET
        yield url
