"""``POST /v1/alerts/alertmanager``: Alertmanager's webhook receiver, for administrators only
(Alertmanager sends a token issued with ``token issue --role admin --subject alertmanager``)."""

from __future__ import annotations

from fastapi import APIRouter

from rujukan_notifications.domain.alerts import AlertmanagerWebhook
from rujukan_notifications.domain.commands import FileAlerts
from rujukan_notifications.entrypoints.schemas import AlertsFiled
from rujukan_platform.dependencies import Caller, HandleDep
from rujukan_platform.problems import PROBLEM

router = APIRouter(prefix="/v1", tags=["alerts"])


@router.post(
    "/alerts/alertmanager",
    summary="Alertmanager's alerts into the operators' inbox (GET /v1/inbox?recipient=ops)",
    responses={403: PROBLEM},
)
async def alertmanager(
    payload: AlertmanagerWebhook, _admin: Caller, handle: HandleDep
) -> AlertsFiled:
    return AlertsFiled(alerts=await handle(FileAlerts(payload.alerts)))
