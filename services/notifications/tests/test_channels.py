"""Each HTTP channel against a real local server: generic gateways, Twilio, signed webhooks."""

from __future__ import annotations

import asyncio
import base64
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler

import pytest
from starlette.responses import JSONResponse, RedirectResponse, Response

from rujukan_notifications.adapters.channels import http_client
from rujukan_notifications.adapters.gateways import GenericGateway, TwilioGateway
from rujukan_notifications.adapters.http import HttpClient
from rujukan_notifications.adapters.webhooks import (
    InvalidSignature,
    WebhookChannel,
    sign,
    verify_signature,
)
from rujukan_notifications.domain.channels import DeliveryFailed
from rujukan_notifications.domain.messages import Message
from rujukan_notifications.settings import (
    GenericGatewaySettings,
    NotificationSettings,
    TwilioSettings,
    WebhookEndpoint,
)
from rujukan_platform.testing import ThreadedHttp

from .conftest import HttpPeer, Recorded

MESSAGE = Message("", "Rujukan {ref} diterima & diproses", delivery_id=uuid.uuid4())
SECRET = "agency-shared-secret"


def twilio(peer: HttpPeer, from_number: str = "+15005550006") -> TwilioSettings:
    return TwilioSettings(
        account_sid="AC0123456789",
        auth_token="twilio-token",
        from_number=from_number,
        base_url=peer.url,
    )


async def test_a_generic_gateway_sends_the_configured_json_request(
    http_peer: HttpPeer, http_client: HttpClient
) -> None:
    settings = GenericGatewaySettings(
        name="zenziva",
        url=http_peer.url + "/api/sms?user=rujukan",
        headers={"Authorization": "Bearer gw-key", "X-To": "{to}"},
        body={"msisdn": "{to}", "text": "{body}", "options": {"flash": False, "tags": ["{to}"]}},
    )
    gateway = GenericGateway(settings, http_client)
    assert gateway.provider("+6281234567890") == "zenziva"
    await gateway.send("+6281234567890", MESSAGE)
    [request] = http_peer.requests
    assert request.method == "POST" and request.path == "/api/sms"
    assert request.query == {"user": "rujukan"}
    assert request.headers["authorization"] == "Bearer gw-key"
    assert request.headers["x-to"] == "+6281234567890"
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "msisdn": "+6281234567890",
        "text": "Rujukan {ref} diterima & diproses",  # braces in a message stay as they are
        "options": {"flash": False, "tags": ["+6281234567890"]},
    }


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_a_generic_gateway_can_send_a_form_or_query_parameters(
    http_peer: HttpPeer, http_client: HttpClient, method: str
) -> None:
    settings = GenericGatewaySettings(
        url=http_peer.url + "/send",
        method=method,  # type: ignore[arg-type]
        encoding="form",
        body={"to": "{to}", "msg": "{body}"},
    )
    await GenericGateway(settings, http_client).send("+6281234567890", MESSAGE)
    [request] = http_peer.requests
    assert request.method == method
    sent = request.form() if method == "POST" else request.query
    assert sent == {"to": "+6281234567890", "msg": "Rujukan {ref} diterima & diproses"}


async def test_twilio_sms_uses_the_messages_api_with_basic_auth(
    http_peer: HttpPeer, http_client: HttpClient
) -> None:
    gateway = TwilioGateway(twilio(http_peer), http_client)
    await gateway.send("+6281234567890", MESSAGE)
    [request] = http_peer.requests
    assert request.method == "POST"
    assert request.path == "/2010-04-01/Accounts/AC0123456789/Messages.json"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    scheme, _, credentials = request.headers["authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(credentials).decode() == "AC0123456789:twilio-token"
    assert request.form() == {
        "To": "+6281234567890",
        "From": "+15005550006",
        "Body": "Rujukan {ref} diterima & diproses",
    }


async def test_twilio_whatsapp_addresses_both_ends_as_whatsapp(
    http_peer: HttpPeer, http_client: HttpClient
) -> None:
    settings = twilio(http_peer, "whatsapp:+14155238886")
    await TwilioGateway(settings, http_client, whatsapp=True).send("+6281234567890", MESSAGE)
    settings = twilio(http_peer, "+14155238886")
    await TwilioGateway(settings, http_client, whatsapp=True).send("+6281234567890", MESSAGE)
    for request in http_peer.requests:
        form = request.form()
        assert form["To"] == "whatsapp:+6281234567890"
        assert form["From"] == "whatsapp:+14155238886"


@pytest.mark.parametrize(
    ("status", "retryable"), [(500, True), (503, True), (429, True), (400, False), (401, False)]
)
async def test_gateway_failures_say_whether_a_retry_may_help(
    http_peer: HttpPeer, http_client: HttpClient, status: int, retryable: bool
) -> None:
    http_peer.failures = [status]
    gateway = TwilioGateway(twilio(http_peer), http_client)
    with pytest.raises(DeliveryFailed) as failed:
        await gateway.send("+6281234567890", MESSAGE)
    assert failed.value.retryable is retryable
    assert f"HTTP {status}" in str(failed.value)


async def test_an_unreachable_gateway_is_a_retryable_failure(
    dead_port: int, http_client: HttpClient
) -> None:
    settings = GenericGatewaySettings(url=f"http://127.0.0.1:{dead_port}/send")
    with pytest.raises(DeliveryFailed) as failed:
        await GenericGateway(settings, http_client).send("+6281234567890", MESSAGE)
    assert failed.value.retryable and "ClientConnectorError" in str(failed.value)


class Agency:
    """An agency's endpoint that checks each request the way the docs tell agencies to."""

    def __init__(self, clock: float | None = None) -> None:
        self.clock = clock
        self.accepted: list[Recorded] = []
        self.refused: list[str] = []

    def __call__(self, request: Recorded) -> Response:
        try:
            verify_signature(
                SECRET,
                timestamp=request.headers.get("x-rujukan-timestamp"),
                signature=request.headers.get("x-rujukan-signature"),
                body=request.body,
                now=self.clock,
            )
        except InvalidSignature as exc:
            self.refused.append(str(exc))
            return JSONResponse({"error": str(exc)}, status_code=401)
        self.accepted.append(request)
        return JSONResponse({"ok": True})


async def test_an_agency_webhook_is_signed_and_the_agency_verifies_it(
    http_peer: HttpPeer, http_client: HttpClient
) -> None:
    agency = Agency()
    http_peer.handler = agency
    endpoints = {"PBI-JK": WebhookEndpoint(url=http_peer.url + "/rujukan/hook", secret=SECRET)}
    channel = WebhookChannel(endpoints, http_client)
    assert channel.provider("PBI-JK") == "webhook:PBI-JK"
    body = '{"type":"referral.created","referral_id":"r-1"}'
    await channel.send("PBI-JK", Message("referral.created", body, delivery_id=MESSAGE.delivery_id))
    [request] = agency.accepted
    assert request.path == "/rujukan/hook" and request.body == body.encode()
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-rujukan-delivery"] == str(MESSAGE.delivery_id)
    timestamp = request.headers["x-rujukan-timestamp"]
    assert abs(int(timestamp) - time.time()) < 5
    assert request.headers["x-rujukan-signature"] == sign(SECRET, timestamp, body.encode())
    assert request.headers["x-rujukan-signature"].startswith("v1=")

    # The same request replayed six minutes later is refused by the agency.
    agency.clock = time.time() + 360
    async with http_client.session().post(
        http_peer.url + "/rujukan/hook",
        data=request.body,
        headers={k: v for k, v in request.headers.items() if k.startswith("x-rujukan")},
    ) as replay:
        assert replay.status == 401
    assert agency.refused == ["the timestamp is outside the replay window"]

    # A changed body under the original signature is refused too.
    agency.clock = None
    async with http_client.session().post(
        http_peer.url + "/rujukan/hook",
        data=body.replace("r-1", "r-2").encode(),
        headers={k: v for k, v in request.headers.items() if k.startswith("x-rujukan")},
    ) as tampered:
        assert tampered.status == 401
    assert agency.refused[-1] == "the signature does not match"
    assert len(agency.accepted) == 1


async def test_a_webhook_signed_with_a_stale_clock_or_wrong_secret_fails_for_good(
    http_peer: HttpPeer, http_client: HttpClient
) -> None:
    agency = Agency()
    http_peer.handler = agency
    url = http_peer.url + "/hook"
    stale = WebhookChannel(
        {"PKH": WebhookEndpoint(url=url, secret=SECRET)}, http_client, clock=lambda: 1_000_000.0
    )
    with pytest.raises(DeliveryFailed) as failed:
        await stale.send("PKH", MESSAGE)
    assert not failed.value.retryable and "HTTP 401" in str(failed.value)
    wrong = WebhookChannel({"PKH": WebhookEndpoint(url=url, secret="not-the-secret")}, http_client)
    with pytest.raises(DeliveryFailed):
        await wrong.send("PKH", MESSAGE)
    with pytest.raises(DeliveryFailed) as unknown:
        await wrong.send("PIP", MESSAGE)
    assert not unknown.value.retryable
    assert agency.refused == [
        "the timestamp is outside the replay window",
        "the signature does not match",
    ]
    assert agency.accepted == []


async def test_a_webhook_is_not_redirected_and_a_gateway_s_query_is_written_as_before(
    http_peer: HttpPeer, http_client: HttpClient
) -> None:
    """A 3xx is a failure for good: the signed body never goes where its agency did not say.
    A GET gateway's parameters that are not text are written as JSON writes them."""
    http_peer.handler = lambda _request: RedirectResponse(http_peer.url + "/elsewhere", 307)
    channel = WebhookChannel(
        {"PKH": WebhookEndpoint(url=http_peer.url + "/hook", secret=SECRET)}, http_client
    )
    with pytest.raises(DeliveryFailed) as failed:
        await channel.send("PKH", MESSAGE)
    assert not failed.value.retryable and "HTTP 307" in str(failed.value)
    assert [r.path for r in http_peer.requests] == ["/hook"]

    http_peer.handler = None
    settings = GenericGatewaySettings(
        url=http_peer.url + "/send",
        method="GET",
        body={"to": "{to}", "flash": False, "unicode": True, "priority": 2, "tag": None},
    )
    await GenericGateway(settings, http_client).send("+6281234567890", MESSAGE)
    assert http_peer.requests[-1].query == {
        "to": "+6281234567890",
        "flash": "false",
        "unicode": "true",
        "priority": "2",
        "tag": "",
    }


async def test_sends_go_through_the_environment_s_proxy_unless_no_proxy_names_the_host(
    http_peer: HttpPeer,
) -> None:
    """HTTP_PROXY/HTTPS_PROXY and NO_PROXY as urllib reads them (``getproxies_environment``),
    looked up once per host: the peer stands in for the proxy of agency.invalid."""
    proxies = {"http": http_peer.url, "no": "localhost,.internal.invalid"}
    client = HttpClient(connections=2, timeout_seconds=5.0, proxies=proxies)
    assert client.proxy("http://svc.internal.invalid/hook") is None
    assert client.proxy("http://localhost:1/hook") is None
    try:
        channel = WebhookChannel(
            {"PKH": WebhookEndpoint(url="http://agency.invalid/rujukan/hook", secret=SECRET)},
            client,
        )
        await channel.send("PKH", MESSAGE)
    finally:
        await client.close()
    [request] = http_peer.requests
    assert request.path == "/rujukan/hook" and request.headers["host"] == "agency.invalid"


def test_verify_signature_refuses_what_it_should() -> None:
    body = b'{"a":1}'
    now = 1_800_000_000
    good = sign(SECRET, str(now), body)
    verify_signature(SECRET, timestamp=str(now), signature=good, body=body, now=now + 299)
    verify_signature(
        SECRET, timestamp=str(now), signature=f"v1=deadbeef, {good}", body=body, now=now
    )  # a rotated secret: any matching value passes
    cases = [
        (str(now), good, body, now + 301, "replay window"),
        (str(now), good, body, now - 301, "replay window"),
        (str(now), good, b'{"a":2}', now, "does not match"),
        (str(now + 1), good, body, now, "does not match"),
        (str(now), good.upper(), body, now, "does not match"),
        ("yesterday", good, body, now, "not a number"),
        (None, good, body, now, "missing"),
        (str(now), None, body, now, "missing"),
    ]
    for timestamp, signature, payload, at, reason in cases:
        with pytest.raises(InvalidSignature, match=reason):
            verify_signature(SECRET, timestamp=timestamp, signature=signature, body=payload, now=at)


async def test_webhooks_sent_in_bursts_keep_their_connections() -> None:
    """The client notifications sends with keeps as many connections alive as the dispatcher
    may send on at once: a second burst of webhooks to one agency opens no new connection
    (a client keeping 20, httpx's default, opened 40 again in the second burst)."""
    ports: list[int] = []
    lock = threading.Lock()

    class Agency(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as agencies' servers do

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                ports.append(self.client_address[1])
            time.sleep(0.05)  # each answer takes a moment, so a burst's sends overlap
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadedHttp(Agency)
    server.start()
    endpoint = WebhookEndpoint(url=f"http://127.0.0.1:{server.port}/hook", secret=SECRET)
    try:
        client = http_client(NotificationSettings())
        channel = WebhookChannel({"PKH": endpoint}, client)

        async def burst() -> None:
            news = [Message("new", "{}", delivery_id=uuid.uuid4()) for _ in range(60)]
            await asyncio.gather(*(channel.send("PKH", m) for m in news))

        await burst()
        first = set(ports)
        await burst()
        await client.close()
    finally:
        server.stop()
    assert len(ports) == 120 and len(first) > 20
    assert set(ports) == first
