"""A social-registry adapter for a DCI-style (G2P Connect) registry search API.

``POST {base}/registry/sync/search`` with one ``search_request`` per KK (``query_type``
``idtype-value``, ``query: {type: "KK", value}``); each ``search_response`` answers with
``status`` ``succ`` and ``data.reg_records`` — our profile of a record is
``{"decile": 1-10, "enrolments": [program codes], "has_kks": bool}`` — or an empty list when
the household is not in the registry. A household not found by its KK is searched again by its
members' NIKs (``query: {type: "NIK", value}``), in one more round trip: a mistyped or replaced
KK still finds the family. KK and NIKs go only to the registry, over the connection the operator
configures (TLS in production).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx

from rujukan_contracts.events import RegistryFacts
from rujukan_intake.adapters.registry import RegistryTable, RegistryUnavailable

SEARCH_PATH = "/registry/sync/search"
REG_TYPE = "ns:org:RegistryType:Social"


def search_message(
    values: list[str], *, sender_id: str, receiver_id: str, id_type: str = "KK"
) -> dict[str, Any]:
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
            "total_count": len(values),
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
                        "query": {"type": id_type, "value": value},
                    },
                    "locale": "id",
                }
                for i, value in enumerate(values)
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
        self,
        table: RegistryTable | None,
        kk_numbers: list[str],
        niks: Mapping[str, Sequence[str]] | None = None,
    ) -> dict[str, RegistryFacts]:
        del table  # the remote registry needs no local copy
        if not kk_numbers:
            return {}
        result = await self._search(kk_numbers, "KK")
        unknown = [
            (kk, nik)
            for kk in kk_numbers
            if not result[kk].found
            for nik in (niks or {}).get(kk, ())
        ]
        if unknown:
            by_nik = await self._search([nik for _, nik in unknown], "NIK")
            for kk, nik in unknown:
                if by_nik[nik].found and not result[kk].found:
                    result[kk] = by_nik[nik].model_copy(update={"matched_by": "nik"})
        return result

    async def _search(self, values: list[str], id_type: str) -> dict[str, RegistryFacts]:
        """Registry facts for each KK or NIK, in one round trip."""
        body = search_message(
            values, sender_id=self._sender, receiver_id=self._receiver, id_type=id_type
        )
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
        for i, value in enumerate(values):
            answer = by_reference.get(str(i))
            if answer is None or answer.get("status") not in ("succ", "rjct"):
                raise RegistryUnavailable(f"social registry gave no answer for request {i}")
            records = (answer.get("data") or {}).get("reg_records") or []
            if answer["status"] == "rjct" or not records:
                result[value] = RegistryFacts(found=False, source=self.source, checked_at=now)
                continue
            record = records[0]
            result[value] = RegistryFacts(
                found=True,
                decile=int(record["decile"]),
                enrolments=[str(e) for e in record.get("enrolments", [])],
                has_kks=bool(record.get("has_kks", False)),
                source=self.source,
                checked_at=now,
                matched_by="kk",
            )
        return result
