"""Cursors and idempotency keys (pure): what a client hands back must be ours, and a retried
request is known by its content, not by how its JSON was spelled."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rujukan_platform.idempotency import KEY_MISMATCH_TYPE, fingerprint, key_mismatch
from rujukan_platform.paging import decode_cursor, encode_cursor
from rujukan_platform.problems import Problem

# sort key parts as services use them: timestamps, uuids, codes (never empty, no control
# characters: a cursor carrying one was not made here)
part = st.text(
    alphabet=st.characters(min_codepoint=0x20, blacklist_categories=("Cs", "Cc")), min_size=1
)


@given(st.lists(part, min_size=1, max_size=4))
def test_a_cursor_gives_back_the_parts_it_was_made_of(parts: list[str]) -> None:
    cursor = encode_cursor(*parts)
    assert cursor.isascii() and "/" not in cursor and "+" not in cursor  # safe in a query
    assert decode_cursor(cursor, len(parts)) == parts


def _raw(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("cursor", "why"),
    [
        ("not base64 at all!", "not base64"),
        ("é", "not ascii"),
        (base64.urlsafe_b64encode(b"\xff\xfe").decode(), "not UTF-8 inside"),
        (encode_cursor("2024-01-01T00:00:00Z"), "one part where two are expected"),
        (encode_cursor("a", "b", "c"), "three parts where two are expected"),
        (_raw("2024-01-01\x1f"), "an empty part"),
        (_raw("2024-01-01\x1f0\x00"), "a NUL, which PostgreSQL refuses"),
        (_raw("2024-01-01\x1f\x07bell"), "a control character"),
    ],
)
def test_a_cursor_not_made_here_is_a_422_naming_the_cursor(cursor: str, why: str) -> None:
    with pytest.raises(Problem) as refused:
        decode_cursor(cursor, 2)
    problem = refused.value
    assert problem.status == 422, why
    assert problem.type == "https://rujukan.example/problems/validation", why
    assert problem.body(language="id")["errors"] == [
        {"field": "cursor", "reason": "bukan cursor dari API ini"}
    ]
    assert problem.body(language="en")["errors"] == [
        {"field": "cursor", "reason": "not a cursor from this API"}
    ]


def test_the_same_request_spelled_differently_has_one_fingerprint() -> None:
    first = {"household": {"kk": "x", "members": [1, 2]}, "source": "puskesos"}
    reordered = {"source": "puskesos", "household": {"members": [1, 2], "kk": "x"}}
    assert fingerprint(first) == fingerprint(reordered)
    assert len(fingerprint(first)) == 64 and int(fingerprint(first), 16) >= 0  # SHA-256 hex
    # any change of content is another request: list order is content
    assert fingerprint(first) != fingerprint({**first, "source": "desa"})
    assert fingerprint(first) != fingerprint(
        {"household": {"kk": "x", "members": [2, 1]}, "source": "puskesos"}
    )


def test_a_reused_key_is_refused_in_bahasa_indonesia_first_naming_the_field() -> None:
    problem = key_mismatch()
    assert problem.status == 422 and problem.type == KEY_MISMATCH_TYPE
    indonesian, english = problem.body(language="id"), problem.body(language="en")
    assert indonesian["title"] == "Idempotency-Key dipakai untuk permintaan lain"
    assert indonesian["detail"].startswith("Idempotency-Key ini sudah")
    assert english["title"] == "Idempotency-Key reused"
    assert "nothing was stored" in english["detail"]
    assert indonesian["errors"][0]["field"] == english["errors"][0]["field"] == "Idempotency-Key"
    batch = key_mismatch("batch_key").body()  # a key carried in the body names its field
    assert batch["errors"][0]["field"] == "batch_key"
    assert batch["detail"].startswith("batch_key ini sudah")
