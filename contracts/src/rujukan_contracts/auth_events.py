"""Events about credentials: a bearer token revoked before it expires.

Registered in ``EVENT_MODELS`` on import (``rujukan_contracts`` imports this module), so
``event_model()`` finds them like every other event. A revocation names a token by its ``jti``
only: never the token, its subject or who revoked it (an operator's name is personal data).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from rujukan_contracts.events import EVENT_MODELS, Event
from rujukan_contracts.text import Line, Text


class TokenRevokedV1(Event):
    """A token no service may accept any more, on the compacted ``auth.revocations``."""

    ce_type: ClassVar[str] = "rujukan.token.revoked.v1"
    aggregate: ClassVar[str] = "token"
    key_field: ClassVar[str] = "jti"

    jti: Line = Field(min_length=1, max_length=256, description="the token's `jti` claim")
    reason: Text | None = Field(default=None, max_length=500, description="why, for the log")
    revoked_at: datetime
    expires_at: datetime | None = Field(
        default=None,
        description="the token's own expiry: after it the revocation may be dropped "
        "(the token is refused anyway); none: kept for good",
    )


EVENT_MODELS[TokenRevokedV1.ce_type] = TokenRevokedV1
