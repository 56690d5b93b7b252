"""Revision 0003 reshapes decisions: what was recorded before it is still there and explained."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from rujukan_platform.auth import Principal
from rujukan_platform.db import make_engine, make_sessions
from rujukan_platform.testing import Servers
from rujukan_router.adapters.views import RouterViews, RuleBook
from rujukan_router.bootstrap import definition
from rujukan_router.domain.catalogue import Catalogue

pytestmark = pytest.mark.integration

CRITERIA = [
    {"kind": "criterion", "name": "decile", "label": "Decile 1-4", "cel": "registry.decile <= 4",
     "passed": True, "values": {"registry.decile": 2}, "error": None},
]  # fmt: skip


async def test_decisions_and_referrals_from_before_0003_survive_with_their_explanations(
    servers: Servers, fresh_database: str, make_intake: Any
) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(definition.migrations))
    cfg.set_main_option("sqlalchemy.url", f"{servers.pg_url}/{fresh_database}")
    cfg.attributes["metadata"] = definition.metadata
    await asyncio.to_thread(command.upgrade, cfg, "0002")

    intake = make_intake()
    referral_id = uuid.uuid4()
    at = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    decision = {"program_code": "PKH", "program_version": 2, "eligible": True,
                "criteria": CRITERIA, "evaluated_at": at.isoformat()}  # fmt: skip
    engine = make_engine(f"{servers.pg_url}/{fresh_database}")
    sessions = make_sessions(engine)
    async with sessions() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO intakes VALUES (:i, :h, :v, :at, CAST(:e AS jsonb));"
            ),
            {"i": intake.intake_id, "h": intake.household_id, "v": intake.village_code,
             "at": at, "e": intake.model_dump_json()},
        )  # fmt: skip
        for code, eligible in (("PKH", True), ("DTKS-IN", False)):
            await session.execute(
                text(
                    "INSERT INTO decisions VALUES (:i, :c, 2, :e, NULL, CAST(:cr AS jsonb), :at)"
                ),
                {"i": intake.intake_id, "c": code, "e": eligible,
                 "cr": json.dumps(CRITERIA), "at": at},
            )  # fmt: skip
        await session.execute(
            text(
                "INSERT INTO referrals (id, intake_id, household_id, program_code,"
                " program_version, kind, status, village_code, needs, priority_lanes, rank,"
                " decision, consent, due_at, created_at, updated_at) VALUES (:r, :i, :h, 'PKH',"
                " 2, 'need', 'delivered', :v, '{cash}', '{}', 1, CAST(:d AS jsonb),"
                " CAST(:co AS jsonb), :at, :at, :at)"
            ),
            {"r": referral_id, "i": intake.intake_id, "h": intake.household_id,
             "v": intake.village_code, "d": json.dumps(decision),
             "co": intake.consent.model_dump_json(), "at": at},
        )  # fmt: skip

    await asyncio.to_thread(command.upgrade, cfg, "head")

    admin = Principal(subject="test-admin", role="admin")
    async with sessions() as session:
        views = RouterViews(session, RuleBook(Catalogue()))
        stored = await views.intake_decisions(admin, intake.intake_id)
        referral = await views.referral(admin, referral_id)
    assert stored is not None and sorted(d.cause for d in stored) == ["referral", "routing"]
    assert referral is not None and referral.decision_id == referral_id
    explained = referral.decision
    assert explained is not None and explained.criteria == CRITERIA
    assert explained.eligible and explained.program_version == 2
    routing = next(d for d in stored if d.cause == "routing")
    assert {p.program_code: p.eligible for p in routing.programs} == {
        "DTKS-IN": False,
        "PKH": True,
    }
    assert all(p.criteria == CRITERIA for p in routing.programs)
    await engine.dispose()
