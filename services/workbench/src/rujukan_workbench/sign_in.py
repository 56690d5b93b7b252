"""How a person signs in: a ``SignIn`` strategy that turns a completed sign-in into a principal
and a platform token.

Development uses ``LocalIssuer``: one chooses who one is (a village's Puskesos officer, a program
officer, a national operator) and the workbench signs the token with the platform's shared secret
(``rujukan_platform.auth.issue_token``), only when ``RUJUKAN_WORKBENCH_DEV_SIGN_IN`` is on.
An OpenID Connect authorization-code flow is the other strategy to come: it would redirect to the
provider (``oidc_issuer``, ``oidc_client_id``, ``oidc_redirect_url``) and exchange the code for
the provider's token, which the services already accept (``RUJUKAN_OIDC_ISSUERS``); it is not
built, and ``strategy`` says so rather than pretending.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from starlette.datastructures import FormData

from rujukan_platform.auth import NATIONAL, Principal, issue_token
from rujukan_regions import regions
from rujukan_workbench.settings import WorkbenchSettings

Kind = Literal["puskesos", "agency", "operator"]
#: programs of the seeded catalogue, offered as suggestions on the development sign-in page
KNOWN_PROGRAMS = (
    "PKH",
    "SEMBAKO",
    "PBI-JK",
    "PIP",
    "ATENSI",
    "DTKS-IN",
    "ADMINDUK",
    "BAZNAS",
    "RTLH-3304",
    "BLT-DD-3304012001",
)
#: the village the development sign-in offers first (Berta, Banjarnegara: the seeded households)
DEFAULT_VILLAGE = "33.04.01.2001"


class SignInRefused(ValueError):
    """The sign-in form names no one the platform knows (``key``: the catalogue's words)."""

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(key)
        self.key = key
        self.detail = detail


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    token: str


class SignIn(Protocol):
    """A way of signing in; the pages ask it for the signed-in person."""

    #: the template of its sign-in page
    template: str

    def complete(self, form: FormData) -> SignedIn:
        """The person a completed sign-in names, with their token (SignInRefused if none)."""
        ...


def _listed(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


class LocalIssuer:
    """Development: the person says who they are and the workbench issues their token."""

    template = "sign_in_local.html"

    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._secret = secret
        self._ttl = ttl_seconds

    def principal(self, form: FormData) -> Principal:
        kind = str(form.get("kind", ""))
        name = str(form.get("name", "")).strip()[:100]
        if kind == "puskesos":
            village = str(form.get("village", "")).strip()
            if not regions().is_village(village):
                raise SignInRefused("sign_in.bad_village")
            return Principal(
                subject=name or f"puskesos-{village}", role="operator", regions=[village]
            )
        if kind == "agency":
            program = str(form.get("program", "")).strip().upper()
            if not program:
                raise SignInRefused("sign_in.bad_program")
            scope = _listed(str(form.get("regions", "")))
            unknown = [code for code in scope if regions().get(code) is None]
            if unknown:
                raise SignInRefused("sign_in.bad_region", ", ".join(unknown))
            return Principal(
                subject=name or f"petugas-{program.lower()}",
                role="agency",
                programs=[program],
                regions=scope,
            )
        return Principal(subject=name or "operator", role="operator", regions=[NATIONAL])

    def complete(self, form: FormData) -> SignedIn:
        principal = self.principal(form)
        token = issue_token(self._secret, principal, ttl_seconds=self._ttl)
        return SignedIn(principal, token)


class NoSignIn:
    """Neither the local issuer nor an OIDC flow: the sign-in page says so."""

    template = "sign_in_off.html"

    def complete(self, form: FormData) -> SignedIn:
        raise SignInRefused("sign_in.off")


def strategy(settings: WorkbenchSettings) -> SignIn:
    """The sign-in the settings choose: the local issuer when switched on, else none yet."""
    if settings.dev_sign_in:
        return LocalIssuer(settings.auth_secret.get_secret_value(), settings.session_seconds)
    return NoSignIn()


def is_puskesos(principal: Principal) -> bool:
    """An operator of particular regions: a Puskesos officer (a national operator is not)."""
    return principal.role == "operator" and NATIONAL not in principal.regions


def is_national_operator(principal: Principal) -> bool:
    return principal.role in ("operator", "admin") and (
        principal.role == "admin" or NATIONAL in principal.regions
    )


def home_village(principal: Principal) -> str:
    """The village a Puskesos officer records households of, when their region is one."""
    village = next((r for r in principal.regions if regions().is_village(r)), None)
    return village or ""
