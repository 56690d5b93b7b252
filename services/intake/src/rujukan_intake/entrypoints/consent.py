"""Intake's consent routes: a resident withdraws consent at the Puskesos, the officer records it.

A module of routes of its own beside ``api.py``, mounted by ``bootstrap``; changes go as a
command through the handler table (``service_layer/consent.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from rujukan_intake.domain.consent import Purpose, Withdrawal, WithdrawConsent
from rujukan_intake.service_layer.consent import HouseholdNotFound, NothingToWithdraw
from rujukan_platform.access import not_found
from rujukan_platform.dependencies import Caller, HandleDep
from rujukan_platform.language import Localised
from rujukan_platform.problems import CONFLICT, PROBLEM, Problem

router = APIRouter(prefix="/v1", tags=["consent"])


class ConsentWithdrawIn(BaseModel):
    """What the resident takes back: 'referral' (no program may be referred to or see the
    family any more: open referrals are withdrawn) and/or 'notification' (no more messages:
    the contact is forgotten)."""

    purposes: list[Purpose] = Field(min_length=1, max_length=2)


class ConsentWithdrawal(BaseModel):
    """The withdrawal as recorded (again, when it was already)."""

    withdrawal_id: UUID
    household_id: UUID
    purposes: list[str] = Field(description="the purposes this withdrawal took")
    withdrawn_at: datetime
    recorded_by: str = Field(description="the officer's account that recorded it")
    intakes: int = Field(description="the household's intakes whose consent it changed")
    repeated: bool = Field(
        description="true: already withdrawn; this is the withdrawal that took it, unchanged"
    )


EXAMPLES = {
    "everything": {
        "summary": "The resident withdraws consent to be referred and to be told",
        "value": {"purposes": ["referral", "notification"]},
    },
}


@router.post(
    "/households/{household_id}/consent/withdraw",
    summary="A resident withdraws consent (referral, notification): recorded by the Puskesos",
    description=(
        "Every stored intake of the household loses the purposes withdrawn (the intake keeps "
        "the withdrawal in its consent's history). Withdrawing 'referral' withdraws the "
        "household's open referrals (the router, reason client_refused_services; each agency "
        "is told on its topic); withdrawing 'notification' forgets the contact and cancels the "
        "messages that were waiting. A later intake asks for consent afresh."
    ),
    responses={403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
)
async def withdraw_consent(
    household_id: UUID,
    principal: Caller,
    body: Annotated[ConsentWithdrawIn, Body(openapi_examples=EXAMPLES)],
    handle: HandleDep,
) -> ConsentWithdrawal:
    command = WithdrawConsent(household_id, frozenset(body.purposes), principal)
    try:
        done: Withdrawal = await handle(command)
    except HouseholdNotFound as exc:
        raise not_found(
            Localised(f"rumah tangga {household_id}", f"household {household_id}")
        ) from exc
    except NothingToWithdraw as exc:
        raise Problem(
            409,
            CONFLICT,
            Localised(
                "warga tidak pernah memberi persetujuan untuk keperluan ini",
                "the resident never gave consent for these purposes",
            ),
        ) from exc
    return ConsentWithdrawal.model_validate(done, from_attributes=True)
