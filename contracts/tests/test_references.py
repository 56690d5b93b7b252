"""Short referral references: stable, readable, forgiving of how people type them."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rujukan_contracts.references import normalise_reference, referral_reference

REFERRAL = UUID("0b7c8a4e-3f1d-4c2a-9e5b-6a7d8c9e0f12")


def test_a_reference_names_the_regency_and_is_the_same_wherever_it_is_computed() -> None:
    ref = referral_reference(REFERRAL, "33.04.01.2001")
    assert ref == referral_reference(REFERRAL, "3304012001")
    assert ref.startswith("RJK-3304-") and len(ref) == len("RJK-3304-7F3K2Q")
    assert ref != referral_reference(uuid4(), "33.04.01.2001")


def test_a_village_code_without_a_regency_is_refused() -> None:
    with pytest.raises(ValueError, match="regency"):
        referral_reference(REFERRAL, "33")


@given(st.uuids())
def test_a_reference_read_back_by_a_person_is_found_again(referral_id: UUID) -> None:
    ref = referral_reference(referral_id, "33.04.01.2001")
    assert set(ref[9:]).isdisjoint("ILOU")
    typed = ref.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert normalise_reference(typed) == ref
    assert normalise_reference(ref) == ref


@pytest.mark.parametrize(
    "raw", ["", "RJK", "RJK-3304", "RJK-33X4-7F3K2Q", "ABC-3304-7F3K2Q", "RJK-3304-7F3K2U"]
)
def test_what_cannot_be_a_reference_is_none(raw: str) -> None:
    assert normalise_reference(raw) is None
