"""Sealing values at rest (pure): round trips, contexts, tampering, unknown keys, rotation."""

from __future__ import annotations

import base64
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from rujukan_platform.sealing import (
    Sealer,
    SealError,
    context,
    dev_key,
    is_sealed,
    sealer_from_settings,
)

OLD = base64.b64encode(os.urandom(32)).decode()
NEW = base64.b64encode(os.urandom(32)).decode()
HERE = context("members", "name", "0b7c0c1e-6a4e-4d7e-9d3a-1d2b3c4d5e6f")
THERE = context("members", "name", "6f5e4d3c-2b1d-4a3d-8e7d-4e6a1e0c7c0b")


def sealer(current: str = "old", **keys: str) -> Sealer:
    return Sealer.from_base64(keys or {"old": OLD}, current)


@given(st.text(max_size=200))
def test_a_sealed_value_opens_in_its_row(text: str) -> None:
    s = sealer()
    token = s.seal(text, context=HERE)
    assert is_sealed(token) and token.startswith("v1.old.")
    assert s.open(token, context=HERE) == text


def test_the_sealed_value_shows_nothing_of_the_text_and_differs_each_time() -> None:
    s = sealer()
    first, second = s.seal("Siti Aminah", context=HERE), s.seal("Siti Aminah", context=HERE)
    assert first != second  # a fresh nonce each time: equal names do not look equal
    for token in (first, second):
        assert "Siti" not in token and "Aminah" not in token
        assert "U2l0aS" not in token  # nor its base64


def test_a_value_moved_to_another_row_or_column_does_not_open() -> None:
    s = sealer()
    token = s.seal("warga@example.org", context=context("contacts", "email", "h1"))
    with pytest.raises(SealError, match="moved"):
        s.open(token, context=context("contacts", "email", "h2"))
    with pytest.raises(SealError, match="moved"):
        s.open(token, context=context("contacts", "phone", "h1"))
    with pytest.raises(SealError):
        s.open(s.seal("Siti", context=HERE), context=THERE)


@pytest.mark.parametrize("position", [10, 30, -5])  # nonce, ciphertext, tag
def test_a_tampered_value_does_not_open(position: int) -> None:
    s = sealer()
    token = s.seal("Siti Aminah", context=HERE)
    at = position % len(token)
    altered = token[:at] + ("B" if token[at] == "A" else "A") + token[at + 1 :]
    with pytest.raises(SealError, match="altered"):
        s.open(altered, context=HERE)
    with pytest.raises(SealError, match="not a sealed value"):
        s.open("Siti Aminah", context=HERE)
    with pytest.raises(SealError, match="not a sealed value"):
        s.open(token[:20], context=HERE)


def test_a_value_under_an_unknown_key_id_says_so() -> None:
    token = sealer("old", old=OLD).seal("Siti", context=HERE)
    with pytest.raises(SealError, match="'old', which is not configured"):
        sealer("new", new=NEW).open(token, context=HERE)
    # the same id with another key: the value does not open either
    with pytest.raises(SealError):
        sealer("old", old=NEW).open(token, context=HERE)


def test_rotation_reads_old_values_and_seals_new_ones_under_the_current_key() -> None:
    before = sealer("old", old=OLD)
    old_token = before.seal("Siti", context=HERE)
    assert not before.needs_resealing(old_token)

    after = sealer("new", old=OLD, new=NEW)
    assert after.open(old_token, context=HERE) == "Siti"
    assert after.needs_resealing(old_token)
    resealed = after.reseal(old_token, HERE)
    assert resealed is not None and after.key_id(resealed) == "new"
    assert after.open(resealed, context=HERE) == "Siti"
    assert after.reseal(resealed, HERE) is None  # already current: left as it is
    with pytest.raises(SealError):  # resealed in its own row only
        after.open(resealed, context=THERE)
    # once every value is resealed, the old key can go
    assert sealer("new", new=NEW).open(resealed, context=HERE) == "Siti"


def test_plain_values_are_sealed_once_and_unsealed_back() -> None:
    s = sealer()
    token = s.seal_plain("Siti Aminah", HERE)
    assert token is not None and s.open(token, context=HERE) == "Siti Aminah"
    assert s.seal_plain(token, HERE) is None
    assert s.unseal(token, HERE) == "Siti Aminah"
    assert s.unseal("Siti Aminah", HERE) is None
    with pytest.raises(SealError):  # a plain value is not resealed: it was never sealed
        s.reseal("Siti Aminah", HERE)
    assert not is_sealed("v1.old.short") and not is_sealed("v1.someone@example.org")


@pytest.mark.parametrize(
    ("keys", "current", "reason"),
    [
        ({"k": base64.b64encode(b"short").decode()}, "k", "5 bytes, not 32"),
        ({"k": "not base64!"}, "k", "not base64"),
        ({"a.b": OLD}, "a.b", "letters, digits"),
        ({"k": OLD}, "other", "not among the keys"),
    ],
)
def test_bad_keys_are_refused(keys: dict[str, str], current: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        Sealer.from_base64(keys, current)


def test_production_refuses_the_development_key_even_as_an_old_one() -> None:
    dev = dev_key("intake")
    assert dev != dev_key("notifications")
    assert base64.b64decode(dev) and len(base64.b64decode(dev)) == 32
    local = sealer_from_settings(
        {"dev": SecretStr(dev)}, "dev", dev=dev, production=False, variable="X"
    )
    assert local.current == "dev"
    for keys in ({"dev": SecretStr(dev)}, {"dev": SecretStr(dev), "k1": SecretStr(NEW)}):
        with pytest.raises(ValueError, match="X must hold the production keys"):
            sealer_from_settings(keys, "k1", dev=dev, production=True, variable="X")
    prod = sealer_from_settings(
        {"k1": SecretStr(NEW)}, "k1", dev=dev, production=True, variable="X"
    )
    assert prod.current == "k1"
