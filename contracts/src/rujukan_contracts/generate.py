"""Generate ``contracts/schemas/*.json`` and ``contracts/asyncapi.yaml`` from the models.

``python -m rujukan_contracts.generate`` writes them; ``--check`` exits 1 when the committed
files differ from what the models produce (the drift test runs the same comparison).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from rujukan_contracts.events import EVENT_MODELS
from rujukan_contracts.topics import TOPICS

CONTRACTS_DIR = Path(__file__).resolve().parents[2]


def schema_documents() -> dict[str, str]:
    """File name (relative to contracts/) → content, for every generated file."""
    docs: dict[str, str] = {}
    for ce_type, model in sorted(EVENT_MODELS.items()):
        schema = model.model_json_schema(mode="serialization")
        schema["$id"] = f"https://rujukan.example/schemas/{ce_type}.json"
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        docs[f"schemas/{ce_type}.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    docs["asyncapi.yaml"] = yaml.safe_dump(asyncapi(), sort_keys=False, allow_unicode=True)
    return docs


def _message_name(ce_type: str) -> str:
    return ce_type.removeprefix("rujukan.").replace(".", "_")


def asyncapi() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for ce_type, model in sorted(EVENT_MODELS.items()):
        messages[_message_name(ce_type)] = {
            "name": ce_type,
            "title": model.__name__,
            "summary": (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else ce_type,
            "contentType": "application/json",
            "headers": {"$ref": "#/components/schemas/CloudEventHeaders"},
            "payload": {"$ref": f"./schemas/{ce_type}.json"},
        }
    for name, t in TOPICS.items():
        channel_id = name.replace(".", "_").replace("{", "").replace("}", "")
        channel: dict[str, Any] = {
            "address": name,
            "description": t.description.strip(),
            "messages": {
                _message_name(e): {"$ref": f"#/components/messages/{_message_name(e)}"}
                for e in t.events
            },
            "bindings": {
                "kafka": {
                    "topic": name,
                    "partitions": t.partitions,
                    "topicConfiguration": {k: v for k, v in sorted(t.config.items())},
                    "bindingVersion": "0.5.0",
                }
            },
        }
        if t.is_template:
            channel["parameters"] = {"program_code": {"description": "program code, e.g. PKH"}}
        channels[channel_id] = channel
        msgs = [{"$ref": f"#/channels/{channel_id}/messages/{_message_name(e)}"} for e in t.events]
        operations[f"publish_{channel_id}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "summary": f"Produced by {', '.join(t.producers)}; key: {t.key}",
            "messages": msgs,
        }
        if t.consumers:
            operations[f"consume_{channel_id}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "summary": f"Consumed by {', '.join(t.consumers)}",
                "messages": msgs,
            }
    header_props = {
        h: {"type": "string"}
        for h in (
            "ce_specversion",
            "ce_id",
            "ce_source",
            "ce_type",
            "ce_time",
            "ce_subject",
            "content-type",
            "traceparent",
        )
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Rujukan events",
            "version": "1.0.0",
            "description": "SLRT referral routing: CloudEvents 1.0 in Kafka binary mode.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": {
                "CloudEventHeaders": {
                    "type": "object",
                    "required": ["ce_specversion", "ce_id", "ce_source", "ce_type"],
                    "properties": header_props,
                }
            },
        },
    }


def main(argv: list[str]) -> int:
    drift = []
    for rel, content in schema_documents().items():
        path = CONTRACTS_DIR / rel
        if "--check" in argv:
            if not path.exists() or path.read_text("utf-8") != content:
                drift.append(rel)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, "utf-8")
    if drift:
        print("generated contracts drifted from the models:", ", ".join(drift))
        print("run: uv run python -m rujukan_contracts.generate")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
