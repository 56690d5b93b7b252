"""E-mail over real SMTP (aiosmtplib).

Each message's ``Message-ID`` is derived from its delivery (``<delivery id@sender's domain>``):
a copy sent again after a crash carries the same one, so mail stores and clients can tell it
is the same message.
"""

from __future__ import annotations

import socket
from email.message import EmailMessage
from email.utils import parseaddr

import aiosmtplib

from rujukan_notifications.domain.channels import DeliveryFailed
from rujukan_notifications.domain.messages import Message


class EmailChannel:
    def __init__(self, *, host: str, port: int, sender: str, timeout: float) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._timeout = timeout
        self._domain = parseaddr(sender)[1].rpartition("@")[2] or "rujukan.local"
        # aiosmtplib would look it up for every message (tens of ms each, in a thread)
        self._local_hostname = socket.getfqdn()

    def provider(self, recipient: str) -> str:
        return "smtp"

    async def send(self, recipient: str, message: Message) -> None:
        mail = EmailMessage()
        mail["From"] = self._sender
        mail["To"] = recipient
        mail["Subject"] = message.subject
        if message.delivery_id:
            mail["Message-ID"] = f"<{message.delivery_id}@{self._domain}>"
            mail["X-Rujukan-Delivery"] = str(message.delivery_id)
        mail.set_content(message.body)
        try:
            await aiosmtplib.send(
                mail,
                hostname=self._host,
                port=self._port,
                timeout=self._timeout,
                local_hostname=self._local_hostname,
                start_tls=False,
                use_tls=False,
            )
        except aiosmtplib.SMTPResponseException as exc:
            # 5xx: the server refuses this message for good; 4xx: try again later
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}", retryable=exc.code < 500) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}", retryable=True) from exc
