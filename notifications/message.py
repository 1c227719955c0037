"""What a channel delivers, and how a channel says it failed.

A `Message` is fully rendered before it reaches a channel: channels only transport, so a
delivery retried tomorrow sends exactly the text the outbox stored today.
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Message:
    key: str  # the outbox idempotency key; sent as Message-ID / Idempotency-Key so receivers can dedupe
    channel: str  # "email" | "webhook" | "console"
    recipient: str  # email address, webhook URL (or a name when a default URL is configured), console name
    subject: str
    body: str  # rendered plain text (Chinese)
    payload: Mapping[str, Any] = field(default_factory=dict)  # structured data (the webhook's JSON)


class ChannelError(Exception):
    """Temporary failure: the dispatcher should retry later (with backoff)."""


class PermanentChannelError(ChannelError):
    """Retrying cannot help (address refused, bad URL, HTTP 4xx): dead-letter the row at once."""


def message_id(key: str, domain: str = "partyflow") -> str:
    """A stable RFC 5322 Message-ID for an outbox key: the same key always gives the same id."""
    return f"<{hashlib.sha1(key.encode('utf-8')).hexdigest()}@{domain}>"
