"""A referral nobody answers climbs its agency's chain through the running platform: the router's
timers raise each level's audience from the seeded catalogue, notifications puts each message
in that level's inbox and the agency's own, and the last grace missed expires the referral."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from rujukan_intake.domain.intake import EXAMPLE_INTAKE
from rujukan_platform.testing import Servers, eventually
from tests.e2e.platform import Platform, running_platform

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

VILLAGE = EXAMPLE_INTAKE["household"]["village_code"]
LATE = f"Mohon tindak lanjut: rujukan PKH terlambat — desa Berta ({VILLAGE})"


@pytest.fixture
async def platform(
    servers: Servers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Platform]:
    monkeypatch.setenv("RUJUKAN_SLA_CHECK_SECONDS", "1")  # the router looks for missed deadlines
    async with running_platform(servers, tmp_path) as p:
        yield p


async def overdue(platform: Platform, referral_id: str) -> None:
    """The referral's deadline in the past, in the router's own table (no clock to move)."""
    dsn = platform.servers.pg_url.replace("postgresql+asyncpg://", "postgresql://").rstrip("/")
    conn = await asyncpg.connect(f"{dsn}/{platform.databases['referral-router']}")
    try:
        await conn.execute(
            "UPDATE referrals SET due_at = now() - interval '1 minute' WHERE id = $1",
            referral_id,
        )
    finally:
        await conn.close()


async def test_an_unanswered_referral_climbs_its_agency_s_chain_then_expires(
    platform: Platform,
) -> None:
    admin = platform.token("admin")
    pkh_officers = platform.token("agency", programs=["PKH"], regions=["33.04"])
    pkh_province = platform.token("agency", programs=["PKH"], regions=["33"])
    dinsos = platform.token("operator", regions=["33.04"])
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(
            platform.url("intake") + "/v1/intakes",
            json=EXAMPLE_INTAKE,
            headers={**platform.token("operator", regions=["33.04"]), "Idempotency-Key": "esc-1"},
        )
        assert r.status_code == 202, r.text

        async def referral() -> dict[str, Any] | None:
            got = await http.get(
                platform.url("referral-router") + "/v1/referrals",
                params={"intake_id": r.json()["intake_id"]},
                headers=admin,
            )
            found = [i for i in got.json()["items"] if i["program_code"] == "PKH"]
            return found[0] if found and found[0]["status"] == "delivered" else None

        pkh = (await eventually(referral, timeout=60))["referral_id"]

        async def inbox(recipient: str, headers: dict[str, str]) -> list[str]:
            got = await http.get(
                platform.url("notifications") + "/v1/inbox",
                params={"recipient": recipient},
                headers=headers,
            )
            assert got.status_code == 200, got.text
            return [i["subject"] for i in got.json()["items"]]

        async def level_now(want: int) -> bool:
            got = await http.get(
                platform.url("referral-router") + f"/v1/referrals/{pkh}", headers=admin
            )
            return bool(got.json()["escalation_level"] == want)

        # each missed deadline: the next level's inbox, as PKH's catalogue entry names it
        for level, recipient, headers in (
            (1, "agency:PKH:33.04:korkab", pkh_officers),
            (2, "agency:PKH:33:korwil", pkh_province),
            (3, "dinsos:33.04", dinsos),
        ):
            await overdue(platform, pkh)
            await eventually(lambda lv=level: level_now(lv), timeout=30)
            assert await eventually(lambda rc=recipient, h=headers: inbox(rc, h), timeout=30) == [
                LATE
            ]

        await overdue(platform, pkh)

        async def expired() -> bool:
            got = await http.get(
                platform.url("referral-router") + f"/v1/referrals/{pkh}", headers=admin
            )
            return bool(got.json()["status"] == "expired")

        await eventually(expired, timeout=30)
        expiry = f"Rujukan PKH kedaluwarsa — desa Berta ({VILLAGE})"

        async def until(recipient: str, headers: dict[str, str], want: Any) -> list[str]:
            async def probe() -> list[str] | None:
                subjects = await inbox(recipient, headers)
                return subjects if want(subjects) else None

            found: list[str] = await eventually(probe, timeout=30)
            return found

        # the head of office hears it expired, beside the level-3 message
        await until("dinsos:33.04", dinsos, lambda s: sorted(s) == [LATE, expiry])
        # the agency hears of its own late referral every time, the Puskesos as before
        own = f"Rujukan PKH Anda melewati tenggat — desa Berta ({VILLAGE})"
        await until("agency:PKH:33.04", pkh_officers, lambda s: s == [own] * 4)
        escalated = f"Eskalasi rujukan PKH — desa Berta ({VILLAGE})"
        late = f"Rujukan PKH melewati batas waktu — desa Berta ({VILLAGE})"
        await until(
            f"puskesos:{VILLAGE}",
            platform.token("operator", regions=["33.04.01"]),
            lambda s: s.count(escalated) == 3 and s.count(late) == 1,
        )
