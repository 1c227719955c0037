"""Notifications: Chinese texts from templates (`render`), and the channels that carry them.

The outbox and dispatcher live elsewhere; they use only `Message`, the two error classes,
`Renderer` and `build_channels(ChannelConfig.from_env())`.
"""
from .channels import Channel, build_channels
from .channels.config import ChannelConfig
from .message import ChannelError, Message, PermanentChannelError, message_id
from .render import KINDS, Renderer

__all__ = [
    "KINDS",
    "Channel",
    "ChannelConfig",
    "ChannelError",
    "Message",
    "PermanentChannelError",
    "Renderer",
    "build_channels",
    "message_id",
]
