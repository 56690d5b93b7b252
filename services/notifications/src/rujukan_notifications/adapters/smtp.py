"""E-mail over real SMTP (aiosmtplib)."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from rujukan_notifications.domain.channels import DeliveryFailed
from rujukan_notifications.domain.messages import Message


class EmailChannel:
    def __init__(self, *, host: str, port: int, sender: str, timeout: float) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._timeout = timeout

    def provider(self, recipient: str) -> str:
        return "smtp"

    async def send(self, recipient: str, message: Message) -> None:
        mail = EmailMessage()
        mail["From"] = self._sender
        mail["To"] = recipient
        mail["Subject"] = message.subject
        if message.delivery_id:
            mail["X-Rujukan-Delivery"] = str(message.delivery_id)
        mail.set_content(message.body)
        try:
            await aiosmtplib.send(
                mail,
                hostname=self._host,
                port=self._port,
                timeout=self._timeout,
                start_tls=False,
                use_tls=False,
            )
        except aiosmtplib.SMTPResponseException as exc:
            # 5xx: the server refuses this message for good; 4xx: try again later
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}", retryable=exc.code < 500) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}", retryable=True) from exc
