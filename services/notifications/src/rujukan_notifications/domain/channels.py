"""The one interface every channel implements (e-mail, SMS, WhatsApp, webhook, inbox)."""

from __future__ import annotations

from typing import Literal, Protocol, get_args

from rujukan_notifications.domain.messages import Message

ChannelName = Literal["email", "sms", "whatsapp", "webhook", "inbox"]
#: every channel this release knows: a dispatcher claims no row on another (a newer release's,
#: during an upgrade, waits for a dispatcher that knows it)
CHANNELS: tuple[ChannelName, ...] = get_args(ChannelName)
RESIDENT_CHANNELS: tuple[ChannelName, ...] = ("email", "sms", "whatsapp")
PHONE_CHANNELS: tuple[ChannelName, ...] = ("sms", "whatsapp")
_CHANNEL_WORDS: dict[str, str] = {
    "email": "e-mail",
    "sms": "SMS",
    "whatsapp": "WhatsApp",
    "webhook": "webhook",
    "inbox": "kotak masuk",
}


def channel_words(channel: str) -> str:
    """A channel as an officer or a resident names it, in Bahasa Indonesia. A name this release
    does not know (a row a newer one planned, during an upgrade) is said as it is: the reason
    for skipping that delivery must not be what stops the dispatcher."""
    return _CHANNEL_WORDS.get(channel, channel)


class DeliveryFailed(Exception):
    """The provider did not take the message. ``retryable``: it may on a later try (network,
    timeout, 5xx, 429); otherwise it never will (a refused number, a 4xx, a bad signature)."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.retryable = retryable


class Channel(Protocol):
    def provider(self, recipient: str) -> str:
        """Who carries the message to ``recipient``: the circuit breaker's key and a metrics
        label (bounded: one per configured provider or agency)."""
        ...

    async def send(self, recipient: str, message: Message) -> None:
        """Hand the message over, or raise ``DeliveryFailed``."""
        ...
