"""The Kafka rights table follows the catalogue's producers and consumers, and nothing else."""

from __future__ import annotations

from rujukan_contracts import access
from rujukan_contracts.access import Principal, may, principals, programs_in
from rujukan_contracts.topics import TOPICS, Topic

CODES = ["PKH", "BLT-DD"]


def _by_name(codes: list[str] = CODES) -> dict[str, Principal]:
    return {p.name: p for p in principals(codes)}


def test_every_service_and_every_agency_has_a_principal() -> None:
    names = list(_by_name())
    assert names == [*access.SERVICES, "agency-pkh", "agency-blt-dd"]


def test_services_may_do_exactly_what_the_catalogue_lists() -> None:
    table = _by_name()
    for t in access.concrete_topics(CODES):
        producers = set(map(access.party, t.entry.producers))
        consumers = set(map(access.party, t.entry.consumers))
        for service in access.SERVICES:
            assert may(table[service], "Write", "topic", t.name) == (service in producers), (
                service,
                t.name,
            )
            assert may(table[service], "Read", "topic", t.name) == (service in consumers), (
                service,
                t.name,
            )
            if t.dlq:
                assert may(table[service], "Write", "topic", t.dlq) == (service in consumers)
                assert not may(table[service], "Read", "topic", t.dlq)


def test_an_agency_reads_and_writes_only_its_own_program() -> None:
    table = _by_name()
    agency = table["agency-pkh"]
    assert agency.program == "PKH"
    assert may(agency, "Read", "topic", "referrals.PKH")
    assert may(agency, "Write", "topic", "referrals.PKH.outcomes")
    assert not may(agency, "Write", "topic", "referrals.PKH")
    assert not may(agency, "Read", "topic", "referrals.PKH.outcomes")
    # what the platform refused of its outcomes it reads back, with the reasons; no one else's
    assert may(agency, "Read", "topic", "referrals.PKH.outcomes.dlq")
    assert not may(agency, "Write", "topic", "referrals.PKH.outcomes.dlq")
    assert not may(agency, "Read", "topic", "referrals.PIP.outcomes.dlq")
    assert not may(agency, "Read", "topic", "referrals.PKH.dlq")
    assert not may(agency, "Read", "topic", "referrals.BLT-DD")
    assert not may(agency, "Write", "topic", "referrals.BLT-DD.outcomes")
    for name in TOPICS:
        if "{" not in name:  # no platform-wide topic (intake.submitted, referrals.status, ...)
            assert not may(agency, "Read", "topic", name)
            assert not may(agency, "Write", "topic", name)
    assert may(agency, "Read", "group", "agency-pkh.kcat")
    assert not may(agency, "Read", "group", "agency-blt-dd.kcat")
    assert not may(agency, "Read", "group", "router-outcomes")


def test_rights_follow_a_changed_catalogue() -> None:
    """A new per-program entry in the catalogue gives the agency and the services its rights."""
    extra = Topic(
        topic="referrals.{program_code}.appeals",
        description="test",
        key="referral_id",
        partitions=1,
        producers=["owner agency"],
        consumers=["referral-router"],
        events=[],
    )
    table = {p.name: p for p in principals(["PKH"], [*TOPICS.values(), extra])}
    assert may(table["agency-pkh"], "Write", "topic", "referrals.PKH.appeals")
    assert may(table["referral-router"], "Read", "topic", "referrals.PKH.appeals")
    assert may(table["referral-router"], "Write", "topic", "referrals.PKH.appeals.dlq")
    assert not may(table["notifications"], "Read", "topic", "referrals.PKH.appeals")


def test_programs_are_found_by_their_topics() -> None:
    names = [
        "referrals.PKH",
        "referrals.RTLH.outcomes",
        "referrals.RTLH.outcomes.dlq",
        "referrals.status",
        "intake.submitted",
        "referrals.x",
        "t-1a2b.referrals.PIP.outcomes",
    ]
    assert programs_in(names) == {"PKH", "RTLH"}
