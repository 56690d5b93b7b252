"""A late referral climbs the chain of the agency that owns the late step, each level an
audience read from the live catalogue when it fires; a level the program leaves out is the
regency's Dinas Sosial inbox; the last grace missed expires the referral."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from uuid import UUID

import pytest

from rujukan_contracts.events import (
    EscalationAudience,
    IntakeSubmittedV1,
    ReferralStatusChangedV1,
    escalation_role,
)
from rujukan_router.domain.sla import audience_at

from .conftest import ApiHarness
from .test_sla_capacity_replay import GRACE, fire, program, referral

DINSOS = "Dinas Sosial Kabupaten Banjarnegara"


def inbox(role: str, address: str, office: str | None = None) -> EscalationAudience:
    return EscalationAudience(role=role, channel="inbox", address=address, office=office)  # type: ignore[arg-type]


async def climb(api: ApiHarness, referral_id: UUID, levels: int) -> list[ReferralStatusChangedV1]:
    """Let every deadline of ``referral_id`` pass, ``levels`` times; its status events."""
    now = (await referral(api, referral_id)).due_at + timedelta(seconds=1)
    events = []
    for _ in range(levels):
        (event,) = [e for e in await fire(api, now) if e.referral_id == referral_id]
        events.append(event)
        now += GRACE + timedelta(seconds=1)
    return events


def test_a_level_is_the_program_s_audience_with_the_referral_s_region_filled_in() -> None:
    chain = [
        inbox("agency_supervisor", "agency:PKH:{regency}:korkab", "Koordinator Kabupaten PKH"),
        EscalationAudience(
            role="program_manager", channel="email", address="korwil.pkh@kemensos.example"
        ),
        inbox("head_of_office", "agency:PKH:{province}:kadis"),
    ]
    where = {"program_code": "PKH", "village_code": "35.07.12.2003"}
    assert audience_at(1, chain, **where) == inbox(
        "agency_supervisor", "agency:PKH:35.07:korkab", "Koordinator Kabupaten PKH"
    )
    assert audience_at(2, chain, **where).address == "korwil.pkh@kemensos.example"
    assert audience_at(3, chain, **where).address == "agency:PKH:35:kadis"
    # left out: the agency's own regency inbox for its officer, else the Dinas Sosial inbox
    assert audience_at(0, chain, **where) == inbox("agency_officer", "agency:PKH:35.07")
    assert audience_at(2, [], **where) == inbox(
        "program_manager", "dinsos:35.07", "Dinas Sosial Kabupaten Malang"
    )
    # events and history notes written before the chain followed the agency
    old = ("facilitator", "supervisor", "manager", "head_of_office", "mayor")
    assert [escalation_role(r) for r in old] == [
        "agency_officer",
        "agency_supervisor",
        "program_manager",
        "head_of_office",
        None,
    ]


@pytest.mark.integration
async def test_a_late_referral_climbs_its_agency_s_chain_then_expires(
    api: ApiHarness, make_intake: Callable[..., IntakeSubmittedV1]
) -> None:
    pkh = (await api.route(make_intake(village_code="33.04.01.2001")))["PKH"]
    *escalations, expired = await climb(api, pkh, 4)

    assert [
        (e.escalated, e.escalation_level, e.escalated_to, e.from_status == e.to_status)
        for e in escalations
    ] == [
        (True, 1, "agency_supervisor", True),
        (True, 2, "program_manager", True),
        (True, 3, "head_of_office", True),
    ]
    assert [e.audience for e in escalations] == [
        inbox("agency_supervisor", "agency:PKH:33.04:korkab", "Koordinator Kabupaten PKH"),
        inbox("program_manager", "agency:PKH:33:korwil", "Koordinator Wilayah PKH provinsi"),
        inbox("head_of_office", "dinsos:33.04", "Kepala Dinas Sosial kabupaten/kota"),
    ]
    agency = inbox("agency_officer", "agency:PKH:33.04", "Pendamping Sosial PKH kecamatan")
    assert {e.agency_audience for e in [*escalations, expired]} == {agency}

    assert expired.to_status == "expired" and not expired.escalated
    assert expired.escalated_to is None and expired.escalation_level == 3
    assert expired.audience == escalations[-1].audience  # the head of office hears it expired
    assert [e for e in await fire(api, expired.changed_at + timedelta(days=30))] == []


@pytest.mark.integration
async def test_a_program_without_a_chain_falls_back_to_the_dinas_sosial_inbox(
    api: ApiHarness, make_intake: Callable[..., IntakeSubmittedV1]
) -> None:
    api.state.catalogue.put(program(api, "PBI-JK").model_copy(update={"escalation": []}))
    pbi = (await api.route(make_intake(village_code="33.04.01.2001")))["PBI-JK"]
    escalations = await climb(api, pbi, 3)

    assert [e.audience for e in escalations] == [
        inbox("agency_supervisor", "dinsos:33.04", DINSOS),
        inbox("program_manager", "dinsos:33.04", DINSOS),
        inbox("head_of_office", "dinsos:33.04", DINSOS),
    ]
    assert {e.agency_audience for e in escalations} == {
        inbox("agency_officer", "agency:PBI-JK:33.04")
    }


@pytest.mark.integration
async def test_each_level_is_read_from_the_catalogue_when_it_fires(
    api: ApiHarness, make_intake: Callable[..., IntakeSubmittedV1]
) -> None:
    pkh = (await api.route(make_intake(village_code="33.04.01.2001")))["PKH"]
    (first,) = await climb(api, pkh, 1)
    assert first.audience is not None and first.audience.address == "agency:PKH:33.04:korkab"

    manager = EscalationAudience(
        role="program_manager",
        channel="email",
        address="korwil.pkh.jateng@kemensos.example",
        office="Koordinator Wilayah PKH Jawa Tengah",
    )
    pkh_program = program(api, "PKH")
    api.state.catalogue.put(
        pkh_program.model_copy(update={"escalation": [*pkh_program.escalation[:2], manager]})
    )
    assert first.due_at is not None
    (second,) = [
        e for e in await fire(api, first.due_at + timedelta(seconds=1)) if e.referral_id == pkh
    ]
    assert second.escalated_to == "program_manager" and second.audience == manager
