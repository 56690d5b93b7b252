"""``POST /v1/alerts/alertmanager``: Alertmanager's webhook receiver, for administrators only
(Alertmanager sends a token issued with ``token issue --role admin --subject alertmanager``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from rujukan_notifications.domain.alerts import AlertmanagerWebhook, AlertsFiled
from rujukan_notifications.domain.commands import FileAlerts
from rujukan_platform.access import Caller
from rujukan_platform.problems import PROBLEM
from rujukan_platform.runtime import Runtime


def router(runtime: Runtime[Any]) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["alerts"])

    @api.post(
        "/alerts/alertmanager",
        summary="Alertmanager's alerts into the operators' inbox (GET /v1/inbox?recipient=ops)",
        responses={401: PROBLEM, 403: PROBLEM, 422: PROBLEM},
    )
    async def alertmanager(payload: AlertmanagerWebhook, _admin: Caller) -> AlertsFiled:
        return AlertsFiled(alerts=await runtime.handle(FileAlerts(payload.alerts)))

    return api
