"""Delivery channels: each one transports a rendered `Message` and reports failure by exception.

`ChannelError` means "retry later", `PermanentChannelError` means "dead-letter now"; the
dispatcher (outbox) needs nothing else from a channel.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..message import ChannelError, Message, PermanentChannelError
from .config import ChannelConfig
from .console import ConsoleChannel
from .email import EmailChannel
from .webhook import WebhookChannel


@runtime_checkable
class Channel(Protocol):
    name: str

    def send(self, message: Message) -> None:
        """Deliver or raise ChannelError / PermanentChannelError."""
        ...


def build_channels(config: ChannelConfig) -> dict[str, Channel]:
    """All three channels by name, so a dispatcher never meets a KeyError.

    Email without PARTYFLOW_SMTP_HOST is a stand-in that raises PermanentChannelError: the row
    dead-letters with a reason an operator can read, and `retry` works once SMTP is configured
    (the process rereads the environment at start). Check `config.email_enabled` to route around it.
    """
    email: Channel = (
        EmailChannel.from_config(config) if config.email_enabled else UnconfiguredChannel(
            "email", "邮件通道未配置（请设置 PARTYFLOW_SMTP_HOST 与 PARTYFLOW_SMTP_FROM）"
        )
    )
    return {
        "email": email,
        "webhook": WebhookChannel.from_config(config),
        "console": ConsoleChannel.for_target(config.console_target),
    }


class UnconfiguredChannel:
    """A channel the deployment did not set up: every send is a permanent failure with the reason."""

    def __init__(self, name: str, reason: str):
        self.name = name
        self.reason = reason

    def send(self, message: Message) -> None:
        raise PermanentChannelError(self.reason)


__all__ = [
    "Channel",
    "ChannelConfig",
    "ChannelError",
    "ConsoleChannel",
    "EmailChannel",
    "Message",
    "PermanentChannelError",
    "UnconfiguredChannel",
    "WebhookChannel",
    "build_channels",
]
