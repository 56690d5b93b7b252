"""The generated contracts pass tools nobody on the project wrote (tools/asyncapi, Node):
the official AsyncAPI parser, and jsoncompat's backward-compatibility check of every event
schema against the last released one (``generate --release``)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from rujukan_contracts.envelope import dataschema
from rujukan_contracts.generate import (
    DLQ_HEADERS,
    RELEASED_DIR,
    released_versions,
    schema_documents,
    topic_configuration,
)

TOOLS = Path(__file__).resolve().parents[2] / "tools" / "asyncapi"


def node(script: str, *args: Path) -> subprocess.CompletedProcess[str]:
    if not (TOOLS / "node_modules").is_dir():
        pytest.fail("tools/asyncapi/node_modules missing: run bash tools/asyncapi/install.sh")
    return subprocess.run(
        ["node", str(TOOLS / script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    """What ``generate`` writes, in a folder of its own (asyncapi.yaml and schemas/)."""
    for rel, content in schema_documents().items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(content, "utf-8")
    return tmp_path


def test_the_official_parser_accepts_the_generated_asyncapi(generated: Path) -> None:
    run = node("check-asyncapi.mjs", generated / "asyncapi.yaml")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 errors, 0 warnings" in run.stdout, run.stdout
    assert "0 invalid examples" in run.stdout


def edited(generated: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    path = generated / "asyncapi.yaml"
    doc = yaml.safe_load(path.read_text("utf-8"))
    edit(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    return path


def test_the_parser_check_fails_on_a_config_typed_as_a_string(generated: Path) -> None:
    """What issue 16 found in the hand-typed document: retention.ms as a string."""

    def mistype(doc: dict[str, Any]) -> None:
        binding = doc["channels"]["referrals_status"]["bindings"]["kafka"]
        binding["topicConfiguration"]["retention.ms"] = "1209600000"

    run = node("check-asyncapi.mjs", edited(generated, mistype))
    assert run.returncode == 1
    assert "error asyncapi-document-resolved at /channels/referrals_status" in run.stdout


def test_the_parser_check_fails_on_an_example_its_schemas_refuse(generated: Path) -> None:
    def wrong_example(doc: dict[str, Any]) -> None:
        example = doc["components"]["messages"]["referral_outcome_v1"]["examples"][0]
        example["payload"]["outcome"] = "lost"
        example = doc["components"]["messages"]["token_revoked_v1"]["examples"][0]
        example["headers"]["ce_specversion"] = "0.3"

    run = node("check-asyncapi.mjs", edited(generated, wrong_example))
    assert run.returncode == 1
    assert "0 errors" in run.stdout
    assert "referral_outcome_v1 example referrals_outcomes: payload does not match" in run.stdout
    assert "token_revoked_v1 example auth_revocations: headers do not match" in run.stdout


def test_topic_configs_are_typed_as_the_kafka_binding_says() -> None:
    typed = topic_configuration(
        {"cleanup.policy": "compact,delete", "retention.ms": "-1", "x.type": "LogAppendTime"}
    )
    assert typed == {
        "cleanup.policy": ["compact", "delete"],
        "retention.ms": -1,
        "x.type": "LogAppendTime",
    }


def test_every_schema_is_identified_by_the_urn_records_carry() -> None:
    for rel, content in schema_documents().items():
        if rel.startswith("schemas/"):
            ce_type = rel.removeprefix("schemas/").removesuffix(".json")
            assert (
                json.loads(content)["$id"] == dataschema(ce_type) == f"urn:rujukan:schema:{ce_type}"
            )


def test_event_schemas_stay_backward_compatible_with_the_last_release(generated: Path) -> None:
    assert released_versions(), "no released baseline: run generate --release"
    run = node("check-compat.mjs", RELEASED_DIR / released_versions()[-1], generated / "schemas")
    assert run.returncode == 0, run.stdout + run.stderr


Schema = dict[str, Any]


def add_required(s: Schema) -> None:
    s["properties"]["channel_hint"] = {"type": "string"}
    s["required"].append("channel_hint")


def add_optional(s: Schema) -> None:
    s["properties"]["channel_hint"] = {"type": "string"}


def change_type(s: Schema) -> None:
    s["properties"]["jti"] = {"type": "integer"}


def remove_enum_value(s: Schema) -> None:
    s["$defs"]["OutcomeKind"]["enum"].remove("closed")


def add_enum_value(s: Schema) -> None:
    s["$defs"]["ReasonCode"]["enum"].append("moved_away")


def test_the_compatibility_check_refuses_breaking_changes_and_passes_additive_ones(
    tmp_path: Path,
) -> None:
    """One run over a changed copy of the release: each schema gets one kind of change."""
    released = RELEASED_DIR / released_versions()[-1]
    current = tmp_path / "current"
    shutil.copytree(released, current)
    changes: dict[str, Callable[[Schema], None]] = {
        "rujukan.notification.dispatched.v1": add_required,
        "rujukan.token.revoked.v1": change_type,
        "rujukan.referral.outcome.v1": remove_enum_value,
        "rujukan.intake.contact.v1": add_optional,
        "rujukan.referral.status_changed.v1": add_enum_value,
    }
    for ce_type, edit in changes.items():
        path = current / f"{ce_type}.json"
        schema = json.loads(path.read_text("utf-8"))
        edit(schema)
        path.write_text(json.dumps(schema), "utf-8")
    (current / "rujukan.program.published.v1.json").unlink()

    run = node("check-compat.mjs", released, current)
    assert run.returncode == 1
    verdicts = dict(line.split(" ", 1)[::-1] for line in run.stdout.splitlines()[:-1])
    assert verdicts == {
        "rujukan.intake.contact.v1.json": "compatible",  # an optional field added
        "rujukan.intake.submitted.v1.json": "compatible",  # unchanged
        "rujukan.notification.dispatched.v1.json": "INCOMPATIBLE",  # a required field added
        "rujukan.program.published.v1.json": "removed",
        "rujukan.referral.created.v1.json": "compatible",
        "rujukan.referral.outcome.v1.json": "INCOMPATIBLE",  # an enum value removed
        "rujukan.referral.status_changed.v1.json": "compatible",  # an enum value added
        "rujukan.token.revoked.v1.json": "INCOMPATIBLE",  # a type changed
    }


def test_the_dead_letter_headers_declared_are_those_the_consumers_write() -> None:
    """The platform's consumer (rujukan_platform) writes them; the contracts declare them."""
    from aiokafka.structs import ConsumerRecord

    from rujukan_platform.consumer import Poison

    record = ConsumerRecord(
        "referrals.PKH.outcomes", 0, 7, 0, 0, b"k", b"{}", None, 1, 2, (("ce_id", b"1"),)
    )
    written = [name for name, _ in Poison(record, "why", "InvalidMessage").headers("router")]
    assert written[0] == "ce_id"
    assert written[1:] == list(DLQ_HEADERS)
