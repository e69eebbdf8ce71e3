"""The banks' side door: SNAP notifications (signed by the bank, no bearer token)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from digipay.integrations import services


@csrf_exempt  # machine-to-machine, authenticated by the bank's RSA signature instead
@require_POST
def bank_notification_view(request: HttpRequest) -> HttpResponse:
    answer = services.receive_notification(
        bank_code=request.headers.get("X-PARTNER-ID", ""),
        path=request.path,
        timestamp=request.headers.get("X-TIMESTAMP", ""),
        signature=request.headers.get("X-SIGNATURE", ""),
        raw_body=request.body.decode("utf-8", errors="replace"),
    )
    return JsonResponse(answer.body, status=answer.status)
