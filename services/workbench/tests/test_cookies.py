"""The session cookie is read back only as signed and while fresh; CSRF tokens are per session."""

from __future__ import annotations

from rujukan_platform.auth import Principal
from rujukan_workbench.cookies import CookieSigner, Session

SIGNER = CookieSigner("a-secret-long-enough-for-the-tests", max_age_seconds=3600)


def test_a_signed_session_id_reads_back_as_it_was() -> None:
    session = Session()
    assert SIGNER.read(SIGNER.sign(session.nonce, now=1000), now=1000 + 3599) == session.nonce


def test_a_changed_expired_or_foreign_cookie_is_no_session() -> None:
    value = SIGNER.sign(Session().nonce, now=1000)
    payload, at, mac = value.split(".")
    forged_payload = SIGNER.sign(Session().nonce, now=1000).split(".")[0]
    assert SIGNER.read(f"{forged_payload}.{at}.{mac}", now=1000) is None
    assert SIGNER.read(f"{payload}.{int(at) + 1}.{mac}", now=1000) is None
    assert SIGNER.read(value, now=1000 + 3601) is None
    other = CookieSigner("another-secret-long-enough-for-tests", max_age_seconds=3600)
    assert other.read(value, now=1000) is None
    assert SIGNER.read("", now=1000) is None and SIGNER.read("a.b", now=1000) is None


def test_a_session_whose_token_expired_is_no_one_signed_in() -> None:
    officer = Principal(subject="puskesos-berta", role="operator", regions=["33.04.01.2001"])
    session = Session(principal=officer, token="header.claims.signature", expires_at=1.0)
    assert not session.signed_in


def test_a_csrf_token_belongs_to_one_session() -> None:
    one, two = Session(), Session()
    assert one.nonce != two.nonce
    assert SIGNER.csrf_valid(one, SIGNER.csrf_token(one))
    assert not SIGNER.csrf_valid(one, SIGNER.csrf_token(two))
    assert not SIGNER.csrf_valid(one, None) and not SIGNER.csrf_valid(one, "")
