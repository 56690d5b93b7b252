"""E-mail over real SMTP (aiosmtplib), on connections kept open between messages.

Each message's ``Message-ID`` is derived from its delivery (``<delivery id@sender's domain>``):
a copy sent again after a crash carries the same one, so mail stores and clients can tell it
is the same message.

A connection per message cost a TCP handshake, the greeting and EHLO each time: most of a
send to a nearby relay. Connections are kept instead (at most one per send in flight: the
dispatcher's per-provider slots bound them) and reused while fresh. One that was idle longer
than ``idle_seconds`` is closed rather than tried, since relays drop idle sessions; one that
fails is closed, never reused. A reused connection the server had dropped fails at once
(``SMTPServerDisconnected``): that send is tried again right away on a new connection, so a
relay's idle timeout costs no attempt of the delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from email import quoprimime
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr

import aiosmtplib

from rujukan_notifications.domain.channels import DeliveryFailed
from rujukan_notifications.domain.messages import Message


class EmailChannel:
    def __init__(
        self, *, host: str, port: int, sender: str, timeout: float, idle_seconds: float = 20.0
    ) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._timeout = timeout
        self._idle_seconds = idle_seconds
        name, self._address = parseaddr(sender)
        self._from = formataddr((name, self._address), charset="utf-8")
        self._domain = self._address.rpartition("@")[2] or "rujukan.local"
        # aiosmtplib would look it up for every connection (tens of ms each, in a thread)
        self._local_hostname = socket.getfqdn()
        #: open connections not in use, each with when it was last used (monotonic seconds)
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []
        #: connections opened, for the tests and the benchmark: reuse shows as few
        self.opened = 0

    def provider(self, recipient: str) -> str:
        return "smtp"

    async def send(self, recipient: str, message: Message) -> None:
        mail = self._mail(recipient, message)
        # an address that is not ASCII needs the server's SMTPUTF8 (RFC 6531)
        options = [] if recipient.isascii() else ["SMTPUTF8"]
        smtp, reused = await self._connection()
        try:
            try:
                await smtp.sendmail(self._address, [recipient], mail, mail_options=options)
            except aiosmtplib.SMTPServerDisconnected:
                if not reused:
                    raise
                smtp.close()  # dropped while idle: the message never reached it
                smtp, reused = await self._connection(fresh=True)
                await smtp.sendmail(self._address, [recipient], mail, mail_options=options)
        except aiosmtplib.SMTPResponseException as exc:
            smtp.close()
            # 5xx: the server refuses this message for good; 4xx: try again later
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}", retryable=exc.code < 500) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            smtp.close()
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}", retryable=True) from exc
        except BaseException:  # cancelled mid-conversation: the session's state is unknown
            smtp.close()
            raise
        self._idle.append((smtp, time.monotonic()))

    async def close(self) -> None:
        """Say QUIT on every idle connection (the runtime's shutdown), for two seconds at most:
        a relay that does not answer is not waited for."""
        idle, self._idle = self._idle, []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2):
                for smtp, _ in idle:
                    with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                        await smtp.quit()
        for smtp, _ in idle:
            smtp.close()

    def _mail(self, recipient: str, message: Message) -> bytes:
        """The message as RFC 5322 bytes: plain UTF-8 text, 7bit or quoted-printable, non-ASCII
        header words encoded (RFC 2047). Written out here, since the ``email`` package's header
        registry and generator took a third of the dispatcher's CPU for these few fixed
        headers; tests read the result back with that package."""
        if "\r" in recipient or "\n" in recipient:
            raise DeliveryFailed("alamat berisi pergantian baris", retryable=False)
        headers = [
            ("From", self._from),
            ("To", recipient if recipient.isascii() else _encoded(recipient)),
            ("Subject", _encoded(" ".join(message.subject.split()))),
            ("Date", formatdate(usegmt=True)),
        ]
        if message.delivery_id:
            headers.append(("Message-ID", f"<{message.delivery_id}@{self._domain}>"))
            headers.append(("X-Rujukan-Delivery", str(message.delivery_id)))
        body = "\r\n".join(message.body.splitlines()) + "\r\n"
        if body.isascii() and all(len(line) <= 998 for line in body.split("\r\n")):
            encoding = "7bit"
        else:
            encoding = "quoted-printable"
            body = quoprimime.body_encode(body.encode("utf-8").decode("latin-1"), eol="\r\n")
        headers += [
            ("MIME-Version", "1.0"),
            ("Content-Type", 'text/plain; charset="utf-8"'),
            ("Content-Transfer-Encoding", encoding),
        ]
        head = "".join(f"{name}: {value}\r\n" for name, value in headers)
        return (head + "\r\n" + body).encode("ascii")

    async def _connection(self, *, fresh: bool = False) -> tuple[aiosmtplib.SMTP, bool]:
        """The most recently used idle connection that is still fresh, or a new one; and
        whether it was reused."""
        now = time.monotonic()
        while self._idle and now - self._idle[0][1] >= self._idle_seconds:
            self._idle.pop(0)[0].close()  # the oldest first: the relay may have dropped them
        while self._idle and not fresh:
            smtp, _ = self._idle.pop()
            if smtp.is_connected:
                return smtp, True
            smtp.close()
        smtp = aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            timeout=self._timeout,
            local_hostname=self._local_hostname,
            start_tls=False,
            use_tls=False,
        )
        try:
            await smtp.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}", retryable=True) from exc
        self.opened += 1
        return smtp, False


def _encoded(value: str) -> str:
    """A header value as it may stand in a header: ASCII as it is, else RFC 2047 words."""
    if value.isascii():
        return value
    return Header(value, "utf-8", header_name="Subject").encode(linesep="\r\n")
