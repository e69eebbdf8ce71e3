"""HTTP API of replenishment. Thin: the services and the gate decide."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["replenishment"])
