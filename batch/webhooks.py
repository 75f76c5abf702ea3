"""Webhook calls, signed as Standard Webhooks (https://www.standardwebhooks.com/) do.

Headers ``webhook-id`` (the event id, the same on every retry), ``webhook-timestamp`` (Unix seconds) and
``webhook-signature`` (``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body`` with the secret): a receiver checks
them with any Standard Webhooks library, or the few lines in the README, and dedupes by id.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook as Signer

from models import utcnow

TIMEOUT_SECONDS = 10


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def headers_for(secret: str, event_id: str, body: bytes) -> dict[str, str]:
    at = utcnow().replace(microsecond=0)
    return {
        "content-type": "application/json",
        "user-agent": "aiguillage-webhooks",
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Signer(secret).sign(event_id, at, body.decode()),
    }


def post(url: str, secret: str, event_id: str, payload: dict[str, Any]) -> str | None:
    """One call; the error in a few words, or None on a 2xx answer."""
    body = body_of(payload)
    try:
        response = httpx.post(
            url, content=body, headers=headers_for(secret, event_id, body), timeout=TIMEOUT_SECONDS
        )
    except httpx.HTTPError as exc:
        return f"HTTP : {type(exc).__name__}"
    if not 200 <= response.status_code < 300:
        return f"HTTP {response.status_code}"
    return None
