"""A social-registry adapter for a DCI-style (G2P Connect) registry search API.

``POST {base}/registry/sync/search`` with one ``search_request`` per KK (``query_type``
``idtype-value``, ``query: {type: "KK", value}``); each ``search_response`` answers with
``status`` ``succ`` and ``data.reg_records`` — our profile of a record is
``{"decile": 1-10, "enrolments": [program codes], "has_kks": bool}`` — or an empty list when
the household is not in the registry. The KK number goes only to the registry, over the
connection the operator configures (TLS in production).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx

from rujukan_contracts.events import RegistryFacts
from rujukan_intake.adapters.registry import RegistryTable, RegistryUnavailable

SEARCH_PATH = "/registry/sync/search"
REG_TYPE = "ns:org:RegistryType:Social"


def search_message(kk_numbers: list[str], *, sender_id: str, receiver_id: str) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {
        "signature": "",
        "header": {
            "version": "1.0.0",
            "message_id": str(uuid4()),
            "message_ts": now,
            "action": "search",
            "sender_id": sender_id,
            "receiver_id": receiver_id,
            "total_count": len(kk_numbers),
            "is_msg_encrypted": False,
        },
        "message": {
            "transaction_id": str(uuid4()),
            "search_request": [
                {
                    "reference_id": str(i),
                    "timestamp": now,
                    "search_criteria": {
                        "version": "1.0.0",
                        "reg_type": REG_TYPE,
                        "query_type": "idtype-value",
                        "query": {"type": "KK", "value": kk},
                    },
                    "locale": "id",
                }
                for i, kk in enumerate(kk_numbers)
            ],
        },
    }


class DciRegistry:
    source = "dci"

    def __init__(
        self,
        *,
        base_url: str,
        token: str | None = None,
        sender_id: str = "rujukan",
        receiver_id: str = "social-registry",
        timeout: float = 5.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = client or httpx.AsyncClient(
            base_url=base_url.rstrip("/"), timeout=timeout, headers=headers
        )
        self._sender = sender_id
        self._receiver = receiver_id

    async def aclose(self) -> None:
        await self._client.aclose()

    async def lookup_many(
        self, table: RegistryTable | None, kk_numbers: list[str]
    ) -> dict[str, RegistryFacts]:
        del table  # the remote registry needs no local copy
        if not kk_numbers:
            return {}
        body = search_message(kk_numbers, sender_id=self._sender, receiver_id=self._receiver)
        try:
            response = await self._client.post(SEARCH_PATH, json=body)
            response.raise_for_status()
            answers = response.json()["message"]["search_response"]
        except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
            raise RegistryUnavailable(
                f"social registry search failed: {type(exc).__name__}"
            ) from exc
        now = datetime.now(UTC)
        by_reference = {str(a.get("reference_id")): a for a in answers}
        result: dict[str, RegistryFacts] = {}
        for i, kk in enumerate(kk_numbers):
            answer = by_reference.get(str(i))
            if answer is None or answer.get("status") not in ("succ", "rjct"):
                raise RegistryUnavailable(f"social registry gave no answer for request {i}")
            records = (answer.get("data") or {}).get("reg_records") or []
            if answer["status"] == "rjct" or not records:
                result[kk] = RegistryFacts(found=False, source=self.source, checked_at=now)
                continue
            record = records[0]
            result[kk] = RegistryFacts(
                found=True,
                decile=int(record["decile"]),
                enrolments=[str(e) for e in record.get("enrolments", [])],
                has_kks=bool(record.get("has_kks", False)),
                source=self.source,
                checked_at=now,
            )
        return result
