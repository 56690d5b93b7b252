"""A sealing service's keys from its settings: the development key by default, refused in
production; the keys given otherwise."""

from __future__ import annotations

import base64

import pytest
from pydantic import SecretStr, ValidationError

from rujukan_platform.sealing import DEV_KEY_ID, dev_key
from rujukan_platform.settings import SealingSettings


class DemoSettings(SealingSettings):
    service: str = "demo-service"


def test_without_keys_the_service_seals_with_its_development_key() -> None:
    settings = DemoSettings()
    assert settings.data_keys == {DEV_KEY_ID: SecretStr(dev_key("demo-service"))}
    sealed = settings.sealer.seal("Siti", context="members.name")
    assert settings.sealer.key_id(sealed) == DEV_KEY_ID


def test_production_refuses_the_development_key_naming_the_service_s_variable() -> None:
    with pytest.raises(ValidationError, match="RUJUKAN_DEMO_SERVICE_DATA_KEYS"):
        DemoSettings(environment="production", auth_secret=SecretStr("s"))


def test_the_keys_given_seal_under_the_current_one() -> None:
    key = base64.b64encode(bytes(range(32))).decode()
    settings = DemoSettings(
        environment="production",
        auth_secret=SecretStr("s"),
        data_keys={"2027-01": SecretStr(key)},
        data_key_id="2027-01",
    )
    assert settings.sealer.key_id(settings.sealer.seal("Siti", context="c")) == "2027-01"
