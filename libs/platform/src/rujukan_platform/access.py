"""Who may call what: one table for every route of every service.

Each route names the roles that may call it and what it shows (``Sees``). Every service's
routers are mounted behind one dependency, ``authorize``, that authenticates the caller and
checks the table; a service whose routes and table differ refuses to start, so a new route
cannot ship without a line here. The table says *who may ask*; which residents an allowed caller
then sees is ``Principal.may_see`` (regions for operators; programs, narrowed by regions when
the token carries some, for agencies), applied by the handlers to the rows they read.

``tests/e2e/test_access_matrix.py`` calls every route as every kind of principal and derives
what it expects from this table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, HTTPBearer
from sqlalchemy import ColumnElement, false, or_

from rujukan_platform.auth import NATIONAL, Principal, Role
from rujukan_platform.language import Localised, Words, in_both, say
from rujukan_platform.problems import FORBIDDEN, NOT_FOUND, Problem


class Sees(StrEnum):
    """What a route shows or changes."""

    #: programs, rules and templates: public knowledge within the platform
    CATALOGUE = "catalogue"
    #: residents' intakes, referrals, decisions and messages: narrowed by ``may_see``
    RESIDENTS = "residents"
    #: the platform's own jobs and alerts
    OPERATIONS = "operations"


@dataclass(frozen=True, slots=True)
class Rule:
    roles: frozenset[Role]
    sees: Sees


def allow(*roles: Role, sees: Sees) -> Rule:
    return Rule(frozenset(roles), sees)


EVERYONE: tuple[Role, ...] = ("admin", "operator", "agency", "service")

#: service → (method, route template) → rule
POLICY: Mapping[str, Mapping[tuple[str, str], Rule]] = {
    "intake": {
        # a Puskesos officer records households of their own villages
        ("POST", "/v1/intakes"): allow("operator", "admin", sees=Sees.RESIDENTS),
        ("POST", "/v1/intakes/batch"): allow("operator", "admin", sees=Sees.RESIDENTS),
        ("GET", "/v1/intakes/{intake_id:uuid}"): allow("operator", "admin", sees=Sees.RESIDENTS),
        # the family behind a referral, for its program's officers; every read is logged
        ("GET", "/v1/referrals/{referral_id}/household"): allow(
            "agency", "operator", "admin", sees=Sees.RESIDENTS
        ),
        ("GET", "/v1/referrals/by-reference/{reference}/household"): allow(
            "agency", "operator", "admin", sees=Sees.RESIDENTS
        ),
        ("GET", "/v1/identity-reads"): allow("operator", "admin", sees=Sees.RESIDENTS),
        # the Puskesos officer records a resident's consent withdrawn (households of their
        # regions)
        ("POST", "/v1/households/{household_id}/consent/withdraw"): allow(
            "operator", "admin", sees=Sees.RESIDENTS
        ),
    },
    "program-registry": {
        ("GET", "/v1/programs"): allow(*EVERYONE, sees=Sees.CATALOGUE),
        ("GET", "/v1/programs/{code}"): allow(*EVERYONE, sees=Sees.CATALOGUE),
        ("GET", "/v1/programs/{code}/versions"): allow(*EVERYONE, sees=Sees.CATALOGUE),
        # an agency manages its own programs (checked per program), an administrator any
        ("POST", "/v1/programs"): allow("admin", "agency", sees=Sees.CATALOGUE),
        ("PUT", "/v1/programs/{code}"): allow("admin", "agency", sees=Sees.CATALOGUE),
        ("POST", "/v1/programs/{code}/versions"): allow("admin", "agency", sees=Sees.CATALOGUE),
        # a stored intake's criteria and values: only the intakes the caller may see
        ("POST", "/v1/programs/{code}/explain"): allow(*EVERYONE, sees=Sees.RESIDENTS),
        ("POST", "/v1/programs/{code}/dry-run"): allow("admin", "agency", sees=Sees.RESIDENTS),
    },
    "referral-router": {
        ("GET", "/v1/referrals"): allow(*EVERYONE, sees=Sees.RESIDENTS),
        ("GET", "/v1/referrals/{referral_id}"): allow(*EVERYONE, sees=Sees.RESIDENTS),
        ("GET", "/v1/referrals/{referral_id}/trace"): allow(*EVERYONE, sees=Sees.RESIDENTS),
        ("GET", "/v1/intakes/{intake_id}/decisions"): allow(*EVERYONE, sees=Sees.RESIDENTS),
        ("POST", "/v1/referrals/{referral_id}/outcome"): allow(
            "agency", "admin", sees=Sees.RESIDENTS
        ),
        # a Puskesos officer withdraws referrals of their own regions, with a reason
        ("POST", "/v1/referrals/{referral_id}/withdraw"): allow(
            "operator", "admin", sees=Sees.RESIDENTS
        ),
        ("POST", "/v1/replays"): allow("admin", sees=Sees.OPERATIONS),
        ("GET", "/v1/replays"): allow("admin", sees=Sees.OPERATIONS),
        ("GET", "/v1/replays/{replay_id}"): allow("admin", sees=Sees.OPERATIONS),
        ("POST", "/v1/replays/{replay_id}/start"): allow("admin", sees=Sees.OPERATIONS),
        ("POST", "/v1/replays/{replay_id}/cancel"): allow("admin", sees=Sees.OPERATIONS),
        ("POST", "/v1/replays/{replay_id}/registry-updates"): allow("admin", sees=Sees.OPERATIONS),
    },
    "notifications": {
        ("GET", "/v1/notifications"): allow("operator", "admin", "service", sees=Sees.RESIDENTS),
        # an operator reads the inboxes of their regions, an agency those of its programs (its
        # escalation chain); the platform's alerts are admins'
        ("GET", "/v1/inbox"): allow("operator", "agency", "admin", "service", sees=Sees.RESIDENTS),
        ("GET", "/v1/templates/{status}/preview"): allow(*EVERYONE, sees=Sees.CATALOGUE),
        ("POST", "/v1/alerts/alertmanager"): allow("admin", sees=Sees.OPERATIONS),
    },
}

# Declared, so that /docs has an Authorize button and generated clients send credentials; the
# checking is the service's Authenticator (the values these return are not used).
_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="JWT",
    description="A token from the platform's issuer (`rujukan token issue`) or its OIDC provider",
)
_API_KEY = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="apiKey",
    description="For clients that cannot hold a token: a key the operators issue",
)


class PolicyMismatch(RuntimeError):
    """A service's routes and its lines in ``POLICY`` differ."""


def rules_for(
    service: str,
    routes: Iterable[APIRoute],
    policy: Mapping[str, Mapping[tuple[str, str], Rule]] = POLICY,
) -> dict[tuple[str, str], Rule]:
    """The service's rules, after checking that every route has exactly one and no rule is
    left without a route (raised at start-up, so it never runs half-covered)."""
    table = dict(policy.get(service, {}))
    served = {(m, r.path) for r in routes for m in (r.methods or ())}
    missing, stale = served - table.keys(), table.keys() - served
    if missing or stale:
        raise PolicyMismatch(
            f"{service}: routes without a rule in rujukan_platform.access.POLICY "
            f"{sorted(missing)}; rules without a route {sorted(stale)}"
        )
    return table


def forbidden(detail: Words) -> Problem:
    return Problem(403, FORBIDDEN, detail)


async def authorize(
    request: Request,
    _bearer: Annotated[Any, Depends(_BEARER)] = None,
    _api_key: Annotated[Any, Depends(_API_KEY)] = None,
) -> Principal:
    """Who calls, and whether the table lets their role call this route (401, 403)."""
    principal: Principal = await request.app.state.authenticator.authenticate(request)
    route = request.scope.get("route")
    rules: Mapping[tuple[str, str], Rule] = request.app.state.access_rules
    rule = rules.get((request.method, getattr(route, "path", "")))
    if rule is None or principal.role not in rule.roles:
        allowed = ", ".join(sorted(rule.roles)) if rule else "-"
        raise forbidden(
            Localised(
                f"peran '{principal.role}' tidak boleh memanggil ini (boleh: {allowed})",
                f"the role '{principal.role}' may not call this (allowed: {allowed})",
            )
        )
    return principal


Caller = Annotated[Principal, Depends(authorize)]


def region_condition(column: ColumnElement[Any], principal: Principal) -> ColumnElement[bool]:
    """SQL for "the row's village code is within the caller's regions" (``may_see`` in SQL)."""
    if NATIONAL in principal.regions:
        return column.is_not(None)
    if not principal.regions:
        return false()
    return or_(*[or_(column == r, column.startswith(r + ".")) for r in principal.regions])


def not_found(what: Words) -> Problem:
    """What a caller may not see does not exist for them (no 403 that confirms it exists)."""
    found = Localised("tidak ditemukan", "not found")
    return Problem(
        404, NOT_FOUND, in_both(lambda language: f"{say(found, language)}: {say(what, language)}")
    )
