"""The workbench's pages: module-level routes over the services' APIs, rendered with Jinja2.

Each page reads the session cookie (``cookies``), calls the services with the person's token
(``services.ServiceApi``) and renders a template in the person's language (``catalogue``). Every
POST carries the session's CSRF token. Navigation shows each role only what it can do; what a
person may read or change is still each service's decision.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit
from uuid import UUID

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData, UploadFile

from rujukan_platform import telemetry
from rujukan_platform.auth import Principal
from rujukan_platform.http import BodyLimit, install_operations, install_readiness
from rujukan_regions import regions
from rujukan_regions.zones import WIB, time_zone
from rujukan_workbench import forms
from rujukan_workbench.catalogue import (
    CODES,
    Language,
    actor_words,
    code_words,
    language_of,
    translate,
)
from rujukan_workbench.cookies import (
    COOKIE,
    LANGUAGE_COOKIE,
    PENDING_COOKIE,
    CookieSigner,
    Pending,
    Session,
)
from rujukan_workbench.services import ServiceApi, Unanswered, problem_of
from rujukan_workbench.sessions import SessionStore
from rujukan_workbench.settings import WorkbenchSettings
from rujukan_workbench.sign_in import (
    DEFAULT_VILLAGE,
    KNOWN_PROGRAMS,
    SignedIn,
    SignIn,
    SignInRefused,
    ToProvider,
    home_village,
    is_national_operator,
    is_puskesos,
    strategy,
)

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter()
#: the outcomes a program officer reports, in the order they happen: on a need referral, and on
#: a complaint case (pengaduan)
OUTCOMES = {
    "need": ("received", "accepted", "rejected", "in_service", "completed"),
    "complaint": ("in_progress", "answered", "closed"),
}
#: statuses the operator's overview counts
COUNTED = ("created", "delivered", "received", "accepted", "in_service", "completed", "rejected")
OVERVIEW_LIMIT = 500
#: the Grafana dashboards the operator's overview links to (deploy/grafana/dashboards: uid, title)
DASHBOARDS = (
    ("rujukan-overview", "Rujukan / Platform overview"),
    ("rujukan-programs", "Rujukan / Pemilik program"),
    ("rujukan-regions", "Rujukan / Puskesos per wilayah"),
    ("rujukan-internals", "Rujukan / Service internals"),
)


def security_headers(settings: WorkbenchSettings) -> dict[str, str]:
    """On every answer: only the workbench's own scripts, styles and fetches (no inline script
    for a planted value to run as), forms sent only to itself (and to the OIDC provider, where
    signing in and out goes on: browsers hold a form's redirects to ``form-action``), never
    inside another site's frame (clickjacking an outcome form), and no address sent to another
    site (a referral's or household's id is in it)."""
    forms_go_to = "'self'"
    if settings.oidc_issuer:
        provider = urlsplit(settings.oidc_issuer)
        forms_go_to += f" {provider.scheme}://{provider.netloc}"
    return {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
            f"connect-src 'self'; form-action {forms_go_to}; frame-ancestors 'none'; "
            "base-uri 'none'; object-src 'none'"
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }


@dataclass
class Workbench:
    """What every request of the process shares."""

    settings: WorkbenchSettings
    signer: CookieSigner
    sign_in: SignIn
    http: httpx.AsyncClient
    store: SessionStore


class SignInNeeded(Exception):
    """The page needs a signed-in person; ``refused``: the services refused their token (401:
    expired, revoked), so the session holding it is dropped."""

    def __init__(self, *, refused: bool = False) -> None:
        super().__init__()
        self.refused = refused


class CsrfRefused(Exception):
    """A POST without this session's CSRF token."""


class RoleRefused(Exception):
    """The person's role has no use for this page."""


@dataclass
class Visit:
    """One request's person: their session, language, and whether the cookie must be set."""

    request: Request
    workbench: Workbench
    session: Session
    language: Language
    changed: bool = False

    @property
    def principal(self) -> Principal:
        if not self.session.signed_in or self.session.principal is None:
            raise SignInNeeded()  # none, or its token has expired: the session ends with it
        return self.session.principal

    def api(self) -> ServiceApi:
        token = self.session.token
        if token is None or not self.session.signed_in:
            raise SignInNeeded()
        return ServiceApi(self.workbench.http, self.workbench.settings, token, self.language)

    def t(self, key: str) -> str:
        return translate(self.language, key)

    @property
    def secure(self) -> bool:
        """Whether cookies go only over https: when the request came so, and always in
        production, where TLS ends at a proxy and the workbench sees plain http."""
        production = self.workbench.settings.environment == "production"
        return production or self.request.url.scheme == "https"

    def cookie(
        self,
        response: Response,
        name: str,
        value: str,
        max_age: int,
        samesite: Literal["strict", "lax"] = "strict",
        path: str = "/",
    ) -> None:
        """Set a cookie no script reads, sent only over https when ``secure``."""
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            httponly=True,
            samesite=samesite,
            secure=self.secure,
            path=path,
        )

    def keep(self, response: Response) -> Response:
        """The response, with the session cookie when it changed."""
        if self.changed:
            signer = self.workbench.signer
            value = signer.sign(self.session.nonce)  # the id only: the rest is in the store
            self.cookie(response, COOKIE, value, signer.max_age_seconds)
        return response

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        principal = self.session.principal if self.session.signed_in else None
        page = templates.TemplateResponse(
            self.request,
            template,
            {
                "t": self.t,
                "code": partial(code_words, self.language),
                "actor": partial(actor_words, self.language),
                "codes": CODES,
                "language": self.language,
                "csrf": self.workbench.signer.csrf_token(self.session),
                "principal": principal,
                "nav": navigation(principal),
                "region_name": region_name,
                "local_time": local_time,
                **context,
            },
            status_code=status,
        )
        return self.keep(page)


#: how officers name the three zones
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def local_time(stamp: str | None, region_code: str | None = None) -> str:
    """A service's timestamp in the time of the region it is about (WIB, WITA or WIT; WIB
    without a region): what the officer's clock says."""
    if not stamp:
        return "—"
    try:
        zone = time_zone(region_code) if region_code else WIB
    except ValueError:
        zone = WIB
    at = datetime.fromisoformat(stamp).astimezone(zone)
    return f"{at:%Y-%m-%d %H:%M} {ZONE_NAMES.get(zone.key, zone.key)}"


def region_name(code: str) -> str:
    """A region's name beside its code: Berta (33.04.01.2001)."""
    found = regions().get(code)
    return f"{found.name} ({code})" if found is not None else code


def navigation(principal: Principal | None) -> list[tuple[str, str]]:
    """The links a person's role has a use for: (path, catalogue key)."""
    if principal is None:
        return []
    if is_puskesos(principal):
        return [
            ("/kunjungan/baru", "nav.visit"),
            ("/terlambat", "nav.overdue"),
            ("/kotak-masuk", "nav.inbox"),
        ]
    if principal.role == "agency":
        return [("/antrean", "nav.queue"), ("/kotak-masuk", "nav.inbox")]
    if is_national_operator(principal):
        return [("/ringkasan", "nav.overview")]
    return []


def local_path(asked: str | None) -> str:
    """``asked`` when it is a path of the workbench's own, else ``/``: a link that sends a
    person on after signing in (``?lanjut=``) or after choosing a language must not send them
    to another site (``//evil.example``, ``/\\evil.example``, ``https://evil.example``)."""
    if not asked or not asked.startswith("/") or asked.startswith("//"):
        return "/"
    if any(c in asked for c in "\\\r\n\t") or urlsplit(asked).netloc:  # "/\\x" is "//x"
        return "/"
    return asked


def the_workbench(request: Request) -> Workbench:
    workbench: Workbench = request.app.state.workbench
    return workbench


async def _workbench(request: Request) -> Workbench:
    return the_workbench(request)


async def visit(request: Request, workbench: Annotated[Workbench, Depends(_workbench)]) -> Visit:
    session_id = workbench.signer.read(request.cookies.get(COOKIE))
    language = language_of(request.cookies.get(LANGUAGE_COOKIE))
    if session_id is None:
        return Visit(request, workbench, Session(), language, changed=True)
    return Visit(request, workbench, await workbench.store.find(session_id), language)


Current = Annotated[Visit, Depends(visit)]


async def posted(request: Request, current: Current) -> FormData:
    """The POSTed form, once its CSRF token is this session's (``application/x-www-form-
    urlencoded``, the only kind the pages send)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    pairs: list[tuple[str, str | UploadFile]] = [*parse_qsl(body, keep_blank_values=True)]
    form = FormData(pairs)
    if not current.workbench.signer.csrf_valid(current.session, str(form.get("csrf", ""))):
        raise CsrfRefused()
    return form


Posted = Annotated[FormData, Depends(posted)]


def _require(allowed: bool) -> None:
    if not allowed:
        raise RoleRefused()


async def _answered(response: httpx.Response) -> httpx.Response:
    if response.status_code == 401:
        raise SignInNeeded(refused=True)
    return response


# -- signing in --------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def home(current: Current) -> Response:
    if not current.session.signed_in:
        return current.keep(RedirectResponse("/masuk", 303))
    links = navigation(current.principal)
    return current.keep(RedirectResponse(links[0][0] if links else "/masuk", 303))


def _sign_in_page(current: Current, status: int = 200, **context: Any) -> Response:
    context.setdefault("next", local_path(current.request.query_params.get("lanjut")))
    context.setdefault("village", DEFAULT_VILLAGE)
    context.setdefault("refused", None)
    return current.render(
        current.workbench.sign_in.template, status=status, programs=KNOWN_PROGRAMS, **context
    )


def _refused(current: Current, exc: SignInRefused) -> str:
    return f"{current.t(exc.key)} {exc.detail}".strip()


@router.get("/masuk", response_class=HTMLResponse)
async def sign_in_page(current: Current) -> Response:
    return _sign_in_page(current)


@router.post("/masuk", response_class=HTMLResponse)
async def sign_in(current: Current, form: Posted) -> Response:
    going = local_path(str(form.get("lanjut", "")))  # the page asked for before signing in
    try:
        started = await current.workbench.sign_in.start(form)
    except SignInRefused as exc:
        village = str(form.get("village", ""))
        refused = _refused(current, exc)
        return _sign_in_page(current, status=422, village=village, refused=refused, next=going)
    if isinstance(started, SignedIn):
        await _begin_session(current, started)
        return current.keep(RedirectResponse(going, 303))
    started.pending.next = going
    return _to_provider(current, started)


def _to_provider(current: Current, started: ToProvider) -> Response:
    """On to the provider's sign-in page; what its answer must match waits in a cookie of its
    own (SameSite=Lax: the provider's redirect back is a navigation from another site)."""
    response = RedirectResponse(started.url, 303)
    pending = current.workbench.signer.sign(started.pending)
    seconds = current.workbench.settings.oidc_sign_in_seconds
    current.cookie(response, PENDING_COOKIE, pending, seconds, samesite="lax", path="/masuk")
    return current.keep(response)


@router.get("/masuk/selesai", response_class=HTMLResponse)
async def sign_in_finished(request: Request, current: Current) -> Response:
    """The provider's answer (OpenID Connect): signed in, or the sign-in page saying why not.
    The way on is a page of the workbench's own, not a redirect: a navigation that began at
    another site carries no SameSite=Strict cookie, so the next page would not see the session."""
    workbench = current.workbench
    pending = workbench.signer.read_as(
        Pending,
        request.cookies.get(PENDING_COOKIE),
        max_age=workbench.settings.oidc_sign_in_seconds,
    )
    try:
        signed_in = await workbench.sign_in.finish(dict(request.query_params), pending)
    except SignInRefused as exc:
        response = _sign_in_page(current, status=400, refused=_refused(current, exc))
    else:
        await _begin_session(current, signed_in)
        going = local_path(pending.next if pending else None)
        response = current.render("signed_in.html", next=going)
    response.delete_cookie(PENDING_COOKIE, path="/masuk", httponly=True, samesite="lax")
    return response


async def _begin_session(current: Current, signed_in: SignedIn) -> None:
    # a new id: a session a page of another site may have planted is not the one signed in
    current.session = Session(
        principal=signed_in.principal,
        token=signed_in.token,
        expires_at=signed_in.expires_at,
        id_token=signed_in.id_token,
    )
    await current.workbench.store.keep(current.session)
    current.changed = True


@router.post("/keluar")
async def sign_out(current: Current, form: Posted) -> Response:
    """Signed out here, and at the provider too when it ends sessions (OpenID Connect)."""
    ended = await current.workbench.sign_in.end_session_url(current.session.id_token)
    await current.workbench.store.end(current.session.nonce)  # a copied cookie is no one's now
    current.session = Session()
    current.changed = True
    return current.keep(RedirectResponse(ended or "/masuk", 303))


@router.get("/bahasa/{language}")
async def choose_language(language: str, current: Current, kembali: str = "/") -> Response:
    """Switch the pages' language (a cookie) and go back where the person was."""
    response = RedirectResponse(local_path(kembali), 303)
    current.cookie(response, LANGUAGE_COOKIE, language_of(language), 365 * 24 * 3600)
    return current.keep(response)


# -- Puskesos: a household visit -----------------------------------------------------------------


def _visit_form(current: Current, form: FormData | None, **context: Any) -> Response:
    principal = current.principal
    typed = form if form is not None else FormData()
    members = forms.members_typed(typed)
    values = {k: str(v) for k, v in typed.multi_items()} if form is not None else {}
    if form is None:
        values = {
            "village_code": home_village(principal),
            "recipients": "*",
        }
    checked = {
        name: {str(v) for v in typed.getlist(name)}
        for name in ("needs", "priority_lanes", "missing_documents", "consent_purposes")
    }
    if form is None:
        checked["consent_purposes"] = {"referral", "notification"}
    return current.render(
        "visit_form.html",
        status=context.pop("status", 200),
        values=values,
        members=members,
        checked=checked,
        errors=context.pop("errors", {}),
        problem=context.pop("problem", None),
        label=partial(forms.input_label, t=current.t),
        **context,
    )


@router.get("/kunjungan/baru", response_class=HTMLResponse)
async def visit_form(current: Current) -> Response:
    _require(is_puskesos(current.principal))
    return _visit_form(current, None)


@router.post("/kunjungan/baru", response_class=HTMLResponse)
async def record_visit(current: Current, form: Posted) -> Response:
    principal = current.principal
    _require(is_puskesos(principal))
    if form.get("action") == "add_member":
        grown = FormData(
            [(k, v) for k, v in form.multi_items() if k != "members"]
            + [("members", str(forms.member_count(form) + 1))]
        )
        return _visit_form(current, grown)
    village = home_village(principal) or str(form.get("village_code", ""))
    puskesos = f"Puskesos {regions().name(village)}" if village in regions() else "Puskesos"
    body = forms.intake_request(form, puskesos=puskesos)
    response = await _answered(await current.api().call("intake", "POST", "/v1/intakes", json=body))
    if response.status_code in (200, 201, 202):
        intake_id = response.json()["intake_id"]
        return current.keep(RedirectResponse(f"/kunjungan/{intake_id}", 303))
    problem = problem_of(response)
    return _visit_form(
        current, form, status=422, errors=forms.field_errors(problem), problem=problem
    )


@router.post("/periksa-nik")
async def check_nik(request: Request, current: Current) -> JSONResponse:
    """The NIK check the form runs as the officer types (intake's own rule); the CSRF token
    comes in the ``X-CSRF-Token`` header. The NIK is neither kept nor logged."""
    if not current.workbench.signer.csrf_valid(
        current.session, request.headers.get("x-csrf-token")
    ):
        raise CsrfRefused()
    current.principal  # noqa: B018  # signed-in people only
    try:
        typed = await request.json()
    except ValueError:  # not JSON text: checked as nothing typed, not a server error
        typed = {}
    if not isinstance(typed, dict):
        typed = {}
    problem = forms.nik_check(
        str(typed.get("nik", "")), str(typed.get("birth_date", "")), str(typed.get("sex", ""))
    )
    if problem is None:
        return JSONResponse({"ok": True, "message": current.t("visit.nik_ok")})
    return JSONResponse(
        {"ok": False, "message": problem.en if current.language == "en" else problem.id}
    )


@router.get("/kunjungan/{intake_id}", response_class=HTMLResponse)
async def visit_result(intake_id: UUID, current: Current) -> Response:
    api = current.api()
    decided = await _answered(await api.get("router", f"/v1/intakes/{intake_id}/decisions"))
    if decided.status_code == 404:
        return current.render("visit_result.html", intake_id=intake_id, waiting=True)
    if decided.status_code != 200:
        return current.render(
            "problem.html", status=decided.status_code, problem=problem_of(decided)
        )
    made = await _answered(
        await api.get("router", "/v1/referrals", intake_id=str(intake_id), limit=100)
    )
    decisions = decided.json()
    latest = decisions["decisions"][-1] if decisions["decisions"] else {"programs": []}
    referrals = made.json().get("items", []) if made.status_code == 200 else []
    return current.render(
        "visit_result.html",
        intake_id=intake_id,
        waiting=False,
        referrals=referrals,
        history=await _earlier_referrals(api, referrals),
        suggested=decisions.get("suggested", []),
        verdicts=sorted(latest["programs"], key=lambda v: (v["outcome"] != "referred", v["rank"])),
    )


async def _referral_list(
    current: Current,
    title: str,
    empty: str,
    intro: str | None,
    page: dict[str, Any] | None = None,
    **wanted: Any,
) -> Response:
    """A page of referrals from the router (``wanted``: its filters), most urgent first; the
    router's cursor to the next page travels as ``?lanjut=``."""
    size = current.workbench.settings.page_size
    cursor = current.request.query_params.get("lanjut")
    response = await _answered(
        await current.api().get(
            "router", "/v1/referrals", order="urgent", limit=size, cursor=cursor, **wanted
        )
    )
    if response.status_code != 200:
        return current.render(
            "problem.html", status=response.status_code, problem=problem_of(response)
        )
    found = response.json()
    after = found.get("next_cursor")
    return current.render(
        "referral_list.html",
        status=(page or {}).pop("status", 200),
        title=title,
        empty=empty,
        intro=intro,
        referrals=found["items"],
        next_page=f"{current.request.url.path}?{urlencode({'lanjut': after})}" if after else None,
        **(page or {}),
    )


async def _earlier_referrals(
    api: ServiceApi, referrals: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The household's referrals from its earlier visits (its history), newest first."""
    if not referrals:
        return []
    response = await _answered(
        await api.get(
            "router", "/v1/referrals", household_id=referrals[0]["household_id"], limit=100
        )
    )
    if response.status_code != 200:
        return []
    these = {r["referral_id"] for r in referrals}
    return [r for r in response.json()["items"] if r["referral_id"] not in these]


@router.get("/keluarga/{household_id}", response_class=HTMLResponse)
async def household(household_id: UUID, current: Current, ditarik: str = "") -> Response:
    """Every referral of one household, from all its visits (the router answers what the
    person may see of it)."""
    return await _household_page(current, household_id, {"withdrawn": ditarik})


async def _household_page(current: Current, household_id: UUID, page: dict[str, Any]) -> Response:
    page["household_id"] = household_id
    page["withdrawable"] = is_puskesos(current.principal)
    return await _referral_list(
        current, "household.title", "result.none", None, page, household_id=str(household_id)
    )


@router.post("/keluarga/{household_id}/tarik-persetujuan", response_class=HTMLResponse)
async def withdraw_consent(household_id: UUID, current: Current, form: Posted) -> Response:
    """The Puskesos officer records the resident's consent withdrawn (referral: the open
    referrals are withdrawn; notification: no more messages), as intake keeps it."""
    _require(is_puskesos(current.principal))
    purposes = [str(p) for p in form.getlist("purposes")]
    response = await _answered(
        await current.api().call(
            "intake",
            "POST",
            f"/v1/households/{household_id}/consent/withdraw",
            json={"purposes": purposes},
        )
    )
    if response.status_code == 200:
        taken = ",".join(response.json()["purposes"])
        return current.keep(
            RedirectResponse(f"/keluarga/{household_id}?{urlencode({'ditarik': taken})}", 303)
        )
    problem = problem_of(response)
    return await _household_page(
        current, household_id, {"problem": problem, "status": response.status_code}
    )


@router.get("/kotak-masuk", response_class=HTMLResponse)
async def inbox(current: Current) -> Response:
    """The inbox: a Puskesos officer's village's (rejections, expiries, escalations, residents
    to tell in person), or a program officer's programs' in each regency it works in (late
    referrals of its own)."""
    api = current.api()
    recipients = await _inboxes(current.principal, api)
    _require(bool(recipients) or current.principal.role == "agency")  # none yet: empty
    messages: list[dict[str, Any]] = []
    for recipient in recipients:
        response = await _answered(
            await api.get("notifications", "/v1/inbox", recipient=recipient, limit=50)
        )
        if response.status_code != 200:
            return current.render(
                "problem.html", status=response.status_code, problem=problem_of(response)
            )
        messages += response.json()["items"]
    messages.sort(key=lambda m: str(m["created_at"]), reverse=True)
    home = home_village(current.principal) or None
    return current.render("inbox.html", messages=messages[:50], home=home)


async def _inboxes(principal: Principal, api: ServiceApi) -> list[str]:
    """The inboxes a person reads: ``puskesos:<village>``, or ``agency:<program>:<regency>``
    for the regencies of the agency's regions (without regions: those its queue is in)."""
    if is_puskesos(principal):
        village = home_village(principal)
        return [f"puskesos:{village}"] if village else []
    if principal.role != "agency":
        return []
    places = list(principal.regions)
    if not places:
        queue = await _answered(await api.get("router", "/v1/referrals", limit=200))
        if queue.status_code == 200:
            places = [r["village_code"] for r in queue.json()["items"]]
    regencies = sorted({".".join(p.split(".")[:2]) for p in places if p.count(".") >= 1})
    return [
        f"agency:{program}:{regency}" for program in principal.programs for regency in regencies
    ]


@router.get("/terlambat", response_class=HTMLResponse)
async def overdue(current: Current) -> Response:
    """A Puskesos officer's region's referrals past their current step's deadline."""
    return await _referral_list(current, "overdue.title", "overdue.empty", None, overdue="true")


# -- program officer: the queue and one referral -------------------------------------------------


@router.get("/antrean", response_class=HTMLResponse)
async def queue(current: Current) -> Response:
    """The program's referrals: priority lanes first, then the nearest deadline."""
    _require(current.principal.role in ("agency", "admin"))
    return await _referral_list(current, "queue.title", "queue.empty", "queue.intro")


async def _referral_page(
    current: Current, referral_id: UUID, *, purpose: str | None, status: int = 200, **context: Any
) -> Response:
    api = current.api()
    found = await _answered(await api.get("router", f"/v1/referrals/{referral_id}"))
    if found.status_code != 200:
        return current.render("problem.html", status=found.status_code, problem=problem_of(found))
    trace = await _answered(await api.get("router", f"/v1/referrals/{referral_id}/trace"))
    identity, identity_problem = None, None
    if purpose:
        read = await _answered(
            await api.get("intake", f"/v1/referrals/{referral_id}/household", purpose=purpose)
        )
        if read.status_code == 200:
            identity = read.json()
        else:
            identity_problem = problem_of(read)
    return current.render(
        "referral.html",
        status=status,
        referral=found.json(),
        changes=trace.json()["events"] if trace.status_code == 200 else [],
        identity=identity,
        identity_problem=identity_problem,
        purpose=purpose or current.t("referral.purpose_default"),
        outcomes=OUTCOMES.get(found.json()["kind"], OUTCOMES["need"]),
        reasons=list(CODES["reason"]),
        **context,
    )


@router.get("/rujukan/{referral_id}", response_class=HTMLResponse)
async def referral_page(referral_id: UUID, current: Current, tercatat: bool = False) -> Response:
    """A referral, without the family's identity: opening the page, or reloading it, reads
    nothing intake would have to log."""
    return await _referral_page(current, referral_id, purpose=None, recorded=tercatat)


@router.post("/rujukan/{referral_id}/identitas", response_class=HTMLResponse)
async def read_identity(referral_id: UUID, current: Current, form: Posted) -> Response:
    """The family's identity, read from intake with the purpose the officer gave (each read
    logged there): only by this form's POST, never by following or reloading a link."""
    purpose = str(form.get("tujuan", "")).strip() or current.t("referral.purpose_default")
    return await _referral_page(current, referral_id, purpose=purpose)


@router.post("/rujukan/{referral_id}/hasil", response_class=HTMLResponse)
async def report_outcome(referral_id: UUID, current: Current, form: Posted) -> Response:
    body: dict[str, Any] = {"outcome": str(form.get("outcome", ""))}
    for name in ("reason_code", "note", "public_note"):
        if value := str(form.get(name, "")).strip():
            body[name] = value
    response = await _answered(
        await current.api().call(
            "router", "POST", f"/v1/referrals/{referral_id}/outcome", json=body
        )
    )
    if response.status_code == 200:
        return current.keep(RedirectResponse(f"/rujukan/{referral_id}?tercatat=true", 303))
    return await _referral_page(
        current,
        referral_id,
        purpose=None,
        status=response.status_code,
        problem=problem_of(response),
    )


# -- operator: the overview ----------------------------------------------------------------------


@router.get("/ringkasan", response_class=HTMLResponse)
async def overview(current: Current) -> Response:
    _require(is_national_operator(current.principal))
    api = current.api()
    counts: list[tuple[str, str]] = []
    for status in COUNTED:
        response = await _answered(
            await api.get("router", "/v1/referrals", status=status, limit=OVERVIEW_LIMIT)
        )
        counts.append((status, _counted(response)))
    late = await _answered(
        await api.get("router", "/v1/referrals", overdue="true", limit=OVERVIEW_LIMIT)
    )
    grafana = current.workbench.settings.grafana_url.rstrip("/")
    return current.render(
        "overview.html",
        counts=counts,
        overdue=_counted(late),
        dashboards=[(f"{grafana}/d/{uid}", title) for uid, title in DASHBOARDS],
        more=current.t("overview.more"),
    )


def _counted(response: httpx.Response) -> str:
    """How many a page of referrals holds: '500 or more' past the first page; '—' if refused."""
    if response.status_code != 200:
        return "—"
    page = response.json()
    return f"{len(page['items'])}+" if page.get("next_cursor") else str(len(page["items"]))


# -- the app -------------------------------------------------------------------------------------


def create_app(
    settings: WorkbenchSettings | None = None, *, transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """The workbench's app; ``transport`` stands in for the network to the services (tests)."""
    settings = settings or WorkbenchSettings()
    timeout = httpx.Timeout(settings.upstream_timeout_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = SessionStore.at(settings.dsn, settings.sealer)
        async with httpx.AsyncClient(timeout=timeout, transport=transport) as http:
            app.state.workbench = Workbench(
                settings=settings,
                signer=CookieSigner(
                    settings.cookie_secret.get_secret_value(), settings.session_seconds
                ),
                sign_in=strategy(settings),
                http=http,
                store=store,
            )
            try:
                yield
            finally:
                await store.close()

    app = FastAPI(
        title="Rujukan workbench",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    install_operations(app, settings.service)
    install_readiness(app, lambda: {"database": app.state.workbench.store.ping})
    # the pages read POSTed bodies whole (forms, the NIK check): refused past the platform's limit
    app.add_middleware(BodyLimit, default=settings.max_body_bytes, routes=[])
    app.state.security_headers = security_headers(settings)
    app.middleware("http")(_secure_headers)  # outside it: its refusals carry the headers too
    app.add_exception_handler(SignInNeeded, _to_sign_in)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(RoleRefused, _role_refused)
    app.add_exception_handler(Unanswered, _unanswered)
    telemetry.instrument_app(app)  # a span per page, continued by the services it calls
    return app


async def _secure_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """``security_headers`` on every answer, and no page kept in the browser's cache: pages show
    NIKs and names, and a Puskesos desk's computer is shared."""
    response = await call_next(request)
    response.headers.update(request.app.state.security_headers)
    if not request.url.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"
    return response


async def _to_sign_in(request: Request, exc: Exception) -> Response:
    """To the sign-in page; a session whose token the services refused is ended (any other
    is left alone: a link from another site comes without the cookie, not signed out)."""
    asked = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    going = request.method == "GET" and asked != "/"  # a form's POST is not a page to go back to
    response = RedirectResponse(
        "/masuk?" + urlencode({"lanjut": asked}) if going else "/masuk", 303
    )
    if isinstance(exc, SignInNeeded) and exc.refused:
        workbench = the_workbench(request)
        session_id = workbench.signer.read(request.cookies.get(COOKIE))
        if session_id is not None:
            await workbench.store.end(session_id)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response


async def _plain_visit(request: Request) -> Visit:
    return await visit(request, the_workbench(request))


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    current = await _plain_visit(request)
    problem = {"title": current.t("csrf.title"), "detail": current.t("csrf.detail")}
    return current.render("problem.html", status=403, problem=problem)


async def _role_refused(request: Request, exc: Exception) -> Response:
    current = await _plain_visit(request)
    problem = {"title": current.t("forbidden.title"), "detail": current.t("forbidden.detail")}
    return current.render("problem.html", status=403, problem=problem)


async def _unanswered(request: Request, exc: Exception) -> Response:
    current = await _plain_visit(request)
    service = exc.service if isinstance(exc, Unanswered) else "?"
    named = code_words(current.language, "service", service)
    problem = {
        "title": current.t("upstream.title"),
        "detail": f"{current.t('upstream.detail')} {named}",
    }
    return current.render("problem.html", status=503, problem=problem)
