"""Generate ``contracts/schemas/*.json`` and ``contracts/asyncapi.yaml`` from the models.

``python -m rujukan_contracts.generate`` writes them; ``--check`` exits 1 when the committed
files differ from what the models produce (the drift test runs the same comparison);
``--release`` freezes today's schemas as ``schemas/released/<CONTRACTS_VERSION>/``, the baseline
every later schema must stay backward compatible with (``tools/asyncapi/check-compat.mjs``).

The AsyncAPI document is checked by the official parser (``tools/asyncapi/check-asyncapi.mjs``):
Kafka binding values are typed as its schema says, every CloudEvents header is declared once in a
message trait, and each message carries its topic's example with the headers Rujukan writes.
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import yaml
from pydantic import ValidationError

from rujukan_contracts.envelope import (
    CONTENT_TYPE,
    SPEC_VERSION,
    TRACEPARENT_PATTERN,
    dataschema,
)
from rujukan_contracts.events import EVENT_MODELS
from rujukan_contracts.topics import PROGRAM_OUTCOMES_TEMPLATE, TOPICS, Topic

CONTRACTS_DIR = Path(__file__).resolve().parents[2]
#: the version of the contracts the next ``--release`` freezes (AsyncAPI ``info.version``)
CONTRACTS_VERSION = "1.0.0"
RELEASED_DIR = CONTRACTS_DIR / "schemas" / "released"
KAFKA_BINDING = "0.5.0"
# an example's W3C trace context (the one in the Trace Context spec)
EXAMPLE_TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
# the ce_source of an example whose producer is not a Rujukan service
EXAMPLE_SOURCES = {"owner agency": "/agency/bpjs-kesehatan", "operators": "/rujukan/operators"}


def event_schema(ce_type: str) -> dict[str, Any]:
    """The JSON Schema of one event type's data, as committed and as the services serve it."""
    schema = EVENT_MODELS[ce_type].model_json_schema(mode="serialization")
    schema["$id"] = dataschema(ce_type)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def schema_documents() -> dict[str, str]:
    """File name (relative to contracts/) → content, for every generated file."""
    docs: dict[str, str] = {}
    for ce_type in sorted(EVENT_MODELS):
        text = json.dumps(event_schema(ce_type), indent=2, sort_keys=True) + "\n"
        docs[f"schemas/{ce_type}.json"] = text
    # through JSON: a fresh object wherever one was used twice, so the YAML has no aliases
    plain = json.loads(json.dumps(asyncapi()))
    docs["asyncapi.yaml"] = yaml.safe_dump(plain, sort_keys=False, allow_unicode=True)
    return docs


def _message_name(ce_type: str) -> str:
    return ce_type.removeprefix("rujukan.").replace(".", "_")


def _channel_id(t: Topic) -> str:
    return t.topic.replace(".", "_").replace("{", "").replace("}", "")


def topic_configuration(config: dict[str, str]) -> dict[str, Any]:
    """The catalogue's broker configs (strings, as Kafka takes them) typed as the Kafka binding
    schema has them: ``cleanup.policy`` a list, numbers as integers."""
    typed: dict[str, Any] = {}
    for name, value in sorted(config.items()):
        if name == "cleanup.policy":
            typed[name] = [p.strip() for p in value.split(",")]
        elif value.lstrip("-").isdigit():
            typed[name] = int(value)
        else:
            typed[name] = value
    return typed


def _text(**schema: Any) -> dict[str, Any]:
    """A header's schema: Kafka header values are bytes, written and read as UTF-8 text."""
    return {"type": "string", **schema}


DIGITS = "^[0-9]+$"
HEADERS: dict[str, dict[str, Any]] = {
    "ce_specversion": _text(const=SPEC_VERSION, description="CloudEvents 1.0."),
    "ce_id": _text(
        minLength=1,
        description="Any non-empty string, unique per ce_source (the CloudEvents spec): "
        "consumers deduplicate on ce_source + ce_id. Rujukan writes the outbox row's UUID.",
        examples=["0192f0a4-6c1e-7b4a-9d2e-3f5a6b7c8d9e"],
    ),
    "ce_source": _text(
        format="uri-reference",
        minLength=1,
        description="Who wrote the event: /rujukan/<service> for Rujukan's services; an "
        "agency names its own source.",
        examples=["/rujukan/referral-router"],
    ),
    "ce_type": _text(
        enum=sorted(EVENT_MODELS),
        description="The event type: names the data's model and its major version.",
    ),
    "ce_time": _text(format="date-time", description="When the event happened (RFC 3339)."),
    "ce_subject": _text(description="The aggregate's id, the same as the record key."),
    "ce_dataschema": _text(
        format="uri",
        description="The URN of the data's JSON Schema (its $id; the file is "
        "contracts/schemas/<ce_type>.json). Rujukan writes it on every record; readers accept "
        "records without it.",
        examples=[dataschema("rujukan.referral.created.v1")],
    ),
    "content-type": _text(
        description="application/json: binary mode, the value is the event's data. An "
        "agency may instead write structured mode (application/cloudevents+json, the whole "
        "event as one JSON object) on its outcome topic.",
        examples=[CONTENT_TYPE],
    ),
    "traceparent": _text(
        pattern=TRACEPARENT_PATTERN,
        description="W3C Trace Context of the request that caused the event.",
        examples=[EXAMPLE_TRACEPARENT],
    ),
}


#: what the platform's consumers add to a record they dead-letter (rujukan_platform.consumer)
DLQ_HEADERS: dict[str, dict[str, Any]] = {
    "dlq_reason": _text(description="Why the record was refused (<= 1000 chars)."),
    "dlq_reason_id": _text(
        description="Why, in Indonesian where the refusal says it in both languages (a record "
        "that cannot be decoded, an agency's outcome refused by the router); else dlq_reason "
        "again (<= 1000 chars)."
    ),
    "dlq_exception": _text(description="The kind of failure, e.g. InvalidMessage."),
    "dlq_consumer": _text(description="The consumer that refused it."),
    "dlq_source_topic": _text(description="Where the record was written."),
    "dlq_source_partition": _text(pattern=DIGITS),
    "dlq_source_offset": _text(pattern=DIGITS),
    "dlq_first_failed_at": _text(format="date-time"),
    "dlq_last_failed_at": _text(format="date-time"),
    "dlq_attempts": _text(pattern=DIGITS),
    "dlq_failed_at": _text(
        format="date-time",
        description="The last failure again, for tools written against the first format.",
    ),
}


def _example(t: Topic, ce_type: str, file: str, data: dict[str, Any]) -> dict[str, Any]:
    """An example message: the catalogue's example data under the headers Rujukan writes (the
    key, and the subject the relays write, is the topic's key field)."""
    event = EVENT_MODELS[ce_type].model_validate(data)
    key = str(getattr(event, t.key))
    producer = t.producers[0]
    source = EXAMPLE_SOURCES.get(producer.split(" (")[0], f"/rujukan/{producer}")
    return {
        "name": file.removesuffix(".json").replace(".", "_"),
        "summary": f"{ce_type} on {t.topic}, key {key}",
        "headers": {
            "ce_specversion": SPEC_VERSION,
            "ce_id": str(uuid5(NAMESPACE_URL, f"urn:rujukan:example:{file}")),
            "ce_source": source,
            "ce_type": ce_type,
            "ce_time": "2026-11-25T09:00:00+07:00",
            "ce_subject": key,
            "ce_dataschema": dataschema(ce_type),
            "content-type": CONTENT_TYPE,
            "traceparent": EXAMPLE_TRACEPARENT,
        },
        "payload": data,
    }


def _examples(ce_type: str) -> list[dict[str, Any]]:
    """The catalogue's examples of ``ce_type``: those of the topics carrying it whose fields
    are all the model's and which the model accepts (a topic may carry several types)."""
    model = EVENT_MODELS[ce_type]
    examples = []
    for t in TOPICS.values():
        if ce_type not in t.events:
            continue
        for file in t.examples:
            raw = (resources.files("rujukan_contracts") / "examples" / file).read_text("utf-8")
            data = json.loads(raw)
            try:
                model.model_validate(data)
            except ValidationError:
                continue
            if set(data) <= set(model.model_fields):
                examples.append(_example(t, ce_type, file, data))
    return examples


def _key_of(ce_type: str) -> str:
    """What a message is keyed by: its topics' key field, each topic's where they differ (a
    status change is keyed by its intake on referrals.status, by its referral on an agency's
    topic)."""
    keys = {t.topic: t.key for t in TOPICS.values() if ce_type in t.events}
    if len(set(keys.values())) == 1:
        return f"the {next(iter(keys.values()))}"
    return "; ".join(f"the {key} on {topic}" for topic, key in sorted(keys.items()))


def _messages() -> dict[str, Any]:
    messages: dict[str, Any] = {}
    for ce_type, model in EVENT_MODELS.items():
        doc = (model.__doc__ or ce_type).strip()
        message: dict[str, Any] = {
            "name": ce_type,
            "title": model.__name__,
            "summary": doc.splitlines()[0],
            "contentType": CONTENT_TYPE,
            "traits": [{"$ref": "#/components/messageTraits/cloudEventsBinary"}],
            "payload": {"$ref": f"./schemas/{ce_type}.json"},
            "correlationId": {"$ref": "#/components/correlationIds/traceparent"},
            "bindings": {
                "kafka": {
                    "key": {"type": "string", "description": _key_of(ce_type)},
                    "bindingVersion": KAFKA_BINDING,
                }
            },
        }
        examples = _examples(ce_type)
        if examples:
            message["examples"] = examples
        messages[_message_name(ce_type)] = message
    messages["dead_letter"] = _dead_letter()
    return dict(sorted(messages.items()))


def _dead_letter() -> dict[str, Any]:
    """A record the router refused, on the outcomes DLQ its agency reads: as written, plus why."""
    (example,) = _examples("rujukan.referral.outcome.v1")
    payload = {**example["payload"], "program_code": "PKH"}
    headers = {
        **example["headers"],
        "dlq_reason": "outcome refused: PBI-JK's topic carries a report on PKH",
        "dlq_reason_id": "laporan hasil ditolak: topik PBI-JK membawa laporan tentang PKH",
        "dlq_exception": "InvalidMessage",
        "dlq_consumer": "referral-router",
        "dlq_source_topic": "referrals.PBI-JK.outcomes",
        "dlq_source_partition": "0",
        "dlq_source_offset": "42",
        "dlq_first_failed_at": "2026-11-25T02:00:01+00:00",
        "dlq_last_failed_at": "2026-11-25T02:00:01+00:00",
        "dlq_attempts": "1",
        "dlq_failed_at": "2026-11-25T02:00:01+00:00",
    }
    return {
        "name": "dead letter",
        "title": "DeadLetter",
        "summary": "A record a consumer refused: its key, value and headers as written (less "
        "any credential header), with dlq_ headers saying why.",
        "traits": [{"$ref": "#/components/messageTraits/deadLetter"}],
        "payload": {"description": "The refused record's value, unchanged."},
        "examples": [
            {"name": "outcome_on_another_program", "headers": headers, "payload": payload}
        ],
    }


def _outcomes_dlq() -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The channel and operations of ``referrals.<code>.outcomes.dlq``, which the owner agency
    may read: how it learns that an outcome it wrote was refused, and why."""
    t = TOPICS[PROGRAM_OUTCOMES_TEMPLATE]
    channel_id = f"{_channel_id(t)}_dlq"
    channel = {
        "address": t.dlq_name(),
        "description": f"What the router refused from {t.topic}, readable by the program's "
        "owner agency (its ACL): each record as the agency wrote it, with dlq_reason and "
        "dlq_reason_id (in Indonesian).",
        "messages": {"dead_letter": {"$ref": "#/components/messages/dead_letter"}},
        "parameters": {"program_code": {"$ref": "#/components/parameters/program"}},
    }
    operations = _operations(
        channel_id,
        ["dead_letter"],
        sent=f"Produced by {', '.join(t.consumers)} for each record it refuses",
        received=f"Read by the {', '.join(t.producers)}",
    )
    return channel_id, channel, operations


def _operations(
    channel_id: str, messages: list[str], *, sent: str, received: str | None
) -> dict[str, Any]:
    """A channel's send operation and, when someone reads it (``received``), its receive one."""
    msgs = [{"$ref": f"#/channels/{channel_id}/messages/{m}"} for m in messages]
    actions = {"publish": ("send", sent), "consume": ("receive", received)}
    return {
        f"{verb}_{channel_id}": {
            "action": action,
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "summary": summary,
            "messages": msgs,
        }
        for verb, (action, summary) in actions.items()
        if summary is not None
    }


def _channels_and_operations() -> tuple[dict[str, Any], dict[str, Any]]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for name, t in TOPICS.items():
        channel_id = _channel_id(t)
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
                    "topicConfiguration": topic_configuration(t.config),
                    "bindingVersion": KAFKA_BINDING,
                }
            },
        }
        if t.is_template:
            channel["parameters"] = {"program_code": {"$ref": "#/components/parameters/program"}}
        channels[channel_id] = channel
        operations |= _operations(
            channel_id,
            [_message_name(e) for e in t.events],
            sent=f"Produced by {', '.join(t.producers)}; key: {t.key}",
            received=f"Consumed by {', '.join(t.consumers)}" if t.consumers else None,
        )
    channel_id, channel, dlq_operations = _outcomes_dlq()
    channels[channel_id] = channel
    operations.update(dlq_operations)
    return channels, operations


def asyncapi() -> dict[str, Any]:
    channels, operations = _channels_and_operations()
    security = [{"$ref": "#/components/securitySchemes/scram"}]
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Rujukan events",
            "version": CONTRACTS_VERSION,
            "description": "SLRT referral routing: CloudEvents 1.0 on Kafka, binary mode "
            "(an agency may write its outcomes in structured mode too). Each event's data is "
            "described by the JSON Schema its ce_dataschema names.",
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "production": {
                "host": "rujukan-kafka-bootstrap.rujukan.svc:9093",
                "protocol": "kafka",
                "description": "Strimzi's bootstrap service (deploy/k8s), SASL/SCRAM listener.",
                "security": security,
            },
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "make up's broker (deploy/local/kafka.sh), KAFKA_AUTH=scram.",
                "security": security,
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": _messages(),
            "messageTraits": {
                "cloudEventsBinary": {
                    "summary": "CloudEvents 1.0 in Kafka binary mode: attributes in ce_ headers.",
                    "headers": {
                        "type": "object",
                        "required": ["ce_specversion", "ce_id", "ce_source", "ce_type"],
                        "properties": HEADERS,
                    },
                },
                "deadLetter": {
                    "summary": "A refused record's own headers, and why it was refused.",
                    "headers": {
                        "type": "object",
                        "required": ["dlq_reason", "dlq_consumer", "dlq_source_topic"],
                        "properties": DLQ_HEADERS,
                    },
                },
            },
            "correlationIds": {
                "traceparent": {
                    "description": "Every event caused by one intake shares its trace id.",
                    "location": "$message.header#/traceparent",
                }
            },
            "parameters": {
                "program": {
                    "description": "A program's code, as published on programs.catalog.",
                    "examples": ["PKH", "PBI-JK"],
                }
            },
            "securitySchemes": {
                "scram": {
                    "type": "scramSha512",
                    "description": "SASL/SCRAM-SHA-512: each service and each agency has its "
                    "own principal; its ACLs come from the topic catalogue (producers and "
                    "consumers), `rujukan kafka access apply`.",
                }
            },
        },
    }


def release(version: str = CONTRACTS_VERSION) -> Path:
    """Freeze the committed schemas as ``released/<version>/`` (refused when that release
    exists and differs: a released contract is never rewritten)."""
    target = RELEASED_DIR / version
    docs = {
        rel.removeprefix("schemas/"): content
        for rel, content in schema_documents().items()
        if rel.startswith("schemas/")
    }
    for name, content in docs.items():
        path = target / name
        if path.exists() and path.read_text("utf-8") != content:
            raise SystemExit(f"{path} is released and differs: bump CONTRACTS_VERSION")
    target.mkdir(parents=True, exist_ok=True)
    for name, content in docs.items():
        (target / name).write_text(content, "utf-8")
    return target


def released_versions() -> list[str]:
    """The released baselines, oldest first."""
    if not RELEASED_DIR.is_dir():
        return []
    names = [p.name for p in RELEASED_DIR.iterdir() if p.is_dir()]
    return sorted(names, key=lambda v: tuple(int(n) for n in v.split(".")))


def main(argv: list[str]) -> int:
    if "--release" in argv:
        print(f"released {release().relative_to(CONTRACTS_DIR)}")
        return 0
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
