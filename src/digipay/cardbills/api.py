"""HTTP API of cardbills. Thin: the services and the gate decide."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["cardbills"])
