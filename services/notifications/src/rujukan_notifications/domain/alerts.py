"""Alertmanager's webhook (payload version 4) and the operators' inbox message each alert becomes.

One message per alert occurrence, keyed by its fingerprint and start: Alertmanager repeats a
firing alert every ``repeat_interval`` and sends it again when resolved, and an HA pair sends
each notification from both instances, so the same alert arrives many times and must update
one message. A resolved message stays resolved (a late copy of the firing notification does not
reopen it); the alert firing again starts a new occurrence, hence a new message.

Unknown fields are ignored, not refused: Alertmanager adds fields within version 4
(``truncatedAlerts``), and refusing them would drop the alerts with a 4xx it does not retry.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from rujukan_contracts.text import Line, Text

#: the inbox platform operators (administrators) read: ``GET /v1/inbox?recipient=ops``
OPS_INBOX = "ops"

AlertStatus = Literal["firing", "resolved"]
LabelName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=128)]
LabelValue = Annotated[Line, StringConstraints(max_length=1024)]
AnnotationValue = Annotated[Text, StringConstraints(max_length=8192)]
Labels = Annotated[dict[LabelName, LabelValue], Field(max_length=64)]
Annotations = Annotated[dict[LabelName, AnnotationValue], Field(max_length=64)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Alert(_Model):
    status: AlertStatus
    labels: Labels
    annotations: Annotations
    starts_at: AwareDatetime = Field(alias="startsAt")
    #: "0001-01-01T00:00:00Z" while firing
    ends_at: AwareDatetime = Field(alias="endsAt")
    generator_url: Annotated[Line, StringConstraints(max_length=2048)] = Field(alias="generatorURL")
    fingerprint: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]

    @field_validator("labels")
    @classmethod
    def _named(cls, labels: dict[str, str]) -> dict[str, str]:
        if not labels.get("alertname"):
            raise ValueError("an alert needs its 'alertname' label")
        return labels

    @property
    def name(self) -> str:
        return self.labels["alertname"]

    @property
    def key(self) -> str:
        """The occurrence: its fingerprint and when it started firing."""
        return f"{self.fingerprint}/{self.starts_at.astimezone(UTC).isoformat()}"


class AlertmanagerWebhook(_Model):
    """What Alertmanager's ``webhook_configs`` receiver posts."""

    version: Literal["4"]
    group_key: Annotated[Line, StringConstraints(max_length=4096)] = Field(alias="groupKey")
    truncated_alerts: int = Field(0, alias="truncatedAlerts", ge=0)
    status: AlertStatus
    receiver: Annotated[Line, StringConstraints(max_length=256)]
    group_labels: Labels = Field(alias="groupLabels")
    common_labels: Labels = Field(alias="commonLabels")
    common_annotations: Annotations = Field(alias="commonAnnotations")
    external_url: Annotated[Line, StringConstraints(max_length=2048)] = Field(alias="externalURL")
    alerts: list[Alert] = Field(min_length=1, max_length=1000)


class FiledAlert(BaseModel):
    message_id: UUID
    fingerprint: str
    status: AlertStatus
    #: created: a new message; updated: its text or status changed; unchanged: a repeat
    result: Literal["created", "updated", "unchanged"]


def _when(at: datetime) -> str:
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def inbox_message(alert: Alert) -> tuple[str, str]:
    """The subject and body an operator reads (Bahasa Indonesia; the rule's own text as is)."""
    firing = alert.status == "firing"
    subject = f"{'Peringatan operasi' if firing else 'Pulih'}: {alert.name}"
    notes = alert.annotations
    runbook = notes.get("runbook") or notes.get("runbook_url") or "(tidak ada)"
    lines = [
        "Status: " + ("MENYALA — perlu ditangani" if firing else "pulih"),
        f"Ringkasan: {notes.get('summary') or alert.name}",
    ]
    if notes.get("description"):
        lines.append(f"Rincian: {notes['description']}")
    lines.append(f"Runbook: {runbook}")
    if alert.labels.get("severity"):
        lines.append(f"Tingkat: {alert.labels['severity']}")
    lines.append(f"Mulai: {_when(alert.starts_at)}")
    if not firing:
        lines.append(f"Berakhir: {_when(alert.ends_at)}")
    others = {k: v for k, v in sorted(alert.labels.items()) if k not in ("alertname", "severity")}
    if others:
        lines.append("Label: " + ", ".join(f"{k}={v}" for k, v in others.items()))
    if alert.generator_url:
        lines.append(f"Sumber: {alert.generator_url}")
    return subject, "\n".join(lines) + "\n"
