"""The workbench in a real browser, on the real services: a Puskesos officer signs in, records a
household visit (the NIK checked as it is typed) and sees the referrals made with their
explanations; a program officer opens a referral from its queue, reads the family's identity
(an audited read at intake) and accepts it, which the router then shows. Every page visited has
no serious or critical axe-core violation and is kept as screenshots at 360 px and desktop."""

from __future__ import annotations

import copy
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from rujukan_intake.domain.intake import EXAMPLE_INTAKE
from rujukan_platform.oidc_testing import Provider, running_provider
from rujukan_platform.testing import Servers, eventually
from tests.e2e.platform import Platform, running_platform
from tests.e2e.workbench import (
    ARTIFACTS,
    DESKTOP,
    PAGE_SIZE,
    TIMEOUT_MS,
    chromium,
    inspect,
    new_page,
    running_workbench,
    serious_violations,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

REFERENCE = re.compile(r"RJK-3304-[0-9A-Z]{6}")


class Stack:
    def __init__(
        self, platform: Platform, workbench: str, browser: Browser, provider: Provider
    ) -> None:
        self.platform, self.workbench, self.browser = platform, workbench, browser
        self.provider = provider


@pytest.fixture(scope="module")
async def stack(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """The platform (trusting a real OIDC provider's tokens beside the local issuer's), a
    workbench with the development sign-in, and a browser."""
    logs = tmp_path_factory.mktemp("workbench")
    with running_provider() as provider:
        async with (
            running_platform(
                servers, logs, {"RUJUKAN_OIDC_ISSUERS": provider.trusted()}
            ) as platform,
            running_workbench(platform, logs) as workbench,
            chromium() as browser,
        ):
            yield Stack(platform, workbench, browser, provider)


async def sign_in(page: Page, workbench: str, kind: str, **fields: str) -> None:
    await page.goto(workbench + "/")
    await expect(page).to_have_url(re.compile(r"/masuk$"))
    await page.check(f"input[name=kind][value={kind}]")
    for name, value in fields.items():
        await page.fill(f"#{name}", value)
    await page.click("form[action='/masuk'] button[type=submit]")


async def test_a_puskesos_officer_records_a_household_and_sees_its_referrals(stack: Stack) -> None:
    page = await new_page(stack.browser)
    await page.goto(stack.workbench + "/masuk")
    await expect(page.locator("html")).to_have_attribute("lang", "id")
    await inspect(page, "sign-in")
    await sign_in(page, stack.workbench, "puskesos", village="33.04.01.2001")
    await expect(page).to_have_url(re.compile(r"/kunjungan/baru$"))
    await expect(page.locator("#village_code")).to_have_value("33.04.01.2001")
    # the form's default button (Enter saves the visit) is not shown
    await expect(page.locator("form#visit button[value=submit][hidden]")).to_be_hidden()

    await page.fill("#kk_number", "330401111217823")  # a digit short: intake refuses it
    await page.fill("#m0_name", "Siti Aminah")
    await page.fill("#m0_birth_date", "1990-05-15")
    await page.select_option("#m0_sex", "female")
    await page.select_option("#m0_relationship", "head")
    await page.fill("#m0_nik", "3304015505900011")
    await expect(page.locator("#m0_nik-check")).to_have_text(
        "NIK sesuai dengan tanggal lahir dan jenis kelamin."
    )
    await page.check("input[name=m0_pregnant]")
    await page.click("button[value=add_member]")  # the server adds a row; what was typed stays
    await expect(page.locator("#m1_nik")).to_be_visible()
    await expect(page.locator("#m0_name")).to_have_value("Siti Aminah")
    await expect(page.locator("#m0_nik-check")).to_have_text(  # checked again as it came back
        "NIK sesuai dengan tanggal lahir dan jenis kelamin."
    )

    await page.fill("#m1_name", "Dewi")
    await page.fill("#m1_birth_date", "2023-02-10")
    await page.select_option("#m1_sex", "male")  # the NIK says otherwise: shown as typed
    await page.select_option("#m1_relationship", "child")
    await page.fill("#m1_nik", "3304015002230012")
    await expect(page.locator("#m1_nik-check")).to_contain_text("milik seorang perempuan")
    await expect(page.locator("#m1_nik")).to_have_attribute("aria-invalid", "true")
    await page.select_option("#m1_sex", "female")
    await expect(page.locator("#m1_nik-check")).to_have_text(
        "NIK sesuai dengan tanggal lahir dan jenis kelamin."
    )
    for need in ("health_insurance", "food"):
        await page.check(f"input[name=needs][value={need}]")
    await page.select_option("#complaint_kind", "question")  # naming no program: the desk's
    await page.fill("#complaint_text", "Kapan pendaftaran KIS dibuka lagi?")
    await expect(page.locator("input[name=consent_purposes][value=referral]")).to_be_checked()
    await inspect(page, "visit-form")
    await page.click("form#visit button[value=submit]:not([hidden])")

    # intake's refusal comes back beside the field, with everything typed kept
    await expect(page.locator("#kk_number-error")).to_have_text("harus 16 angka")
    await expect(page.locator("div.problem p").first).to_have_text("Kunjungan belum tersimpan.")
    await expect(page.get_by_role("link", name="Nomor KK (16 angka)")).to_have_attribute(
        "href", "#kk_number"
    )
    await expect(page.locator("#kk_number")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#m1_name")).to_have_value("Dewi")
    await expect(page.locator("#complaint_text")).to_have_value(
        "Kapan pendaftaran KIS dibuka lagi?"
    )
    await expect(page.locator("input[name=needs][value=food]")).to_be_checked()
    await expect(page.locator("input[name=m0_pregnant]")).to_be_checked()
    await inspect(page, "visit-refused")
    await page.fill("#kk_number", "3304011112178237")  # decile 2 in the seeded registry
    await page.click("form#visit button[value=submit]:not([hidden])")

    await expect(page).to_have_url(re.compile(r"/kunjungan/[0-9a-f-]{36}$"))
    referrals = page.locator("table tbody tr")
    await expect(referrals.first).to_be_visible(timeout=TIMEOUT_MS)  # refreshed until decided
    await expect(page.locator("table")).to_contain_text("PKH")
    await expect(page.locator("table")).to_contain_text("PENGADUAN-3304")  # the question's case
    assert REFERENCE.search(await page.locator("table").inner_text())
    await expect(page.locator("details.verdict-referred").first).to_contain_text("✓")
    await inspect(page, "visit-result")

    await page.click("a[lang=en]")  # the header's language link
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.locator("h1")).to_have_text("The visit's result")
    await inspect(page, "visit-result-en")
    await page.click("a[lang=id]")
    await expect(page.locator("html")).to_have_attribute("lang", "id")

    pkh = page.locator("table tbody tr", has_text="PKH").get_by_role("link")
    reference = await pkh.inner_text()
    await pkh.click()  # the referral's page: its status history, no outcome form for Puskesos
    await expect(page.locator("h1")).to_contain_text(reference)
    await expect(page.locator("#changes ~ div table")).to_contain_text("Dibuat")
    await expect(page.locator("#changes ~ div table")).to_contain_text("Sistem rujukan")
    await expect(page.locator("form[action$='/hasil']")).to_have_count(0)
    await inspect(page, "referral-puskesos")
    await page.get_by_role("link", name="Riwayat rujukan keluarga").click()
    await expect(page.locator("h1")).to_have_text("Riwayat rujukan keluarga")
    history = page.locator("table tbody tr")
    await expect(history).to_have_count(PAGE_SIZE)  # more referrals than a page holds
    first = set(await history.locator("td:first-child").all_inner_texts())
    await inspect(page, "household")
    await page.get_by_role("link", name="Halaman berikutnya").click()
    await expect(history.first).to_be_visible()
    rest = set(await history.locator("td:first-child").all_inner_texts())
    assert rest and not first & rest  # the next page goes on where the first stopped

    # the resident no longer wants messages: the officer records it, intake keeps it
    await page.check("input[name=purposes][value=notification]")
    await page.click("form[action$='/tarik-persetujuan'] button[type=submit]")
    await expect(page.locator("p.done")).to_have_text("Persetujuan ditarik: Diberi kabar")
    await inspect(page, "consent-withdrawn")
    await page.check("input[name=purposes][value=notification]")  # again: as recorded
    await page.click("form[action$='/tarik-persetujuan'] button[type=submit]")
    await expect(page.locator("p.done")).to_have_text("Persetujuan ditarik: Diberi kabar")

    await page.get_by_role("link", name="Rujukan terlambat").click()
    await expect(page.locator("main")).to_contain_text("Tidak ada rujukan yang terlambat.")
    await inspect(page, "overdue")


async def test_a_program_officer_accepts_a_referral_from_its_queue(stack: Stack) -> None:
    platform = stack.platform
    router, intake = platform.url("referral-router"), platform.url("intake")
    body: dict[str, Any] = copy.deepcopy(EXAMPLE_INTAKE)
    admin = platform.token("admin")
    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.post(
            intake + "/v1/intakes",
            json=body,
            headers=platform.token("operator", regions=["33.04"]),
        )
        assert r.status_code == 202, r.text
        referral = await platform.referral_to(http, r.json()["intake_id"], "PKH")

        page = await new_page(stack.browser)
        await sign_in(page, stack.workbench, "agency", program="PKH", name="petugas-pkh")
        await expect(page).to_have_url(re.compile(r"/antrean$"))
        link = page.get_by_role("link", name=referral["reference"])
        await expect(link).to_be_visible()
        await inspect(page, "queue")
        await link.click()
        await expect(page.locator("h1")).to_contain_text(referral["reference"])

        async def identity_reads() -> list[tuple[str, str]]:  # intake's audit of the family
            r = await http.get(
                intake + "/v1/identity-reads",
                params={"referral_id": referral["referral_id"]},
                headers=platform.token("operator", regions=["33.04"]),
            )
            return [(i["purpose"], i["subject"]) for i in r.json()["items"]]

        await page.reload()  # opening the page, and opening it again, reads no identity
        await expect(page.locator("h1")).to_contain_text(referral["reference"])
        assert await identity_reads() == []
        await page.get_by_role("button", name="Lihat identitas keluarga").click()
        await expect(page.locator("#identity ~ div table")).to_contain_text("Wartini")
        await inspect(page, "referral-identity")
        assert await identity_reads() == [("verifikasi", "petugas-pkh")]

        await page.select_option("#outcome", "accepted")
        await page.click("form[action$='/hasil'] button[type=submit]")
        await expect(page.locator("p.done")).to_contain_text("Disetujui")
        await inspect(page, "referral-accepted")

        r = await http.get(f"{router}/v1/referrals/{referral['referral_id']}", headers=admin)
        assert r.json()["status"] == "accepted"
        await page.get_by_role("link", name="Kotak masuk").click()  # nothing late: empty
        await expect(page.locator("main")).to_contain_text("Kotak masuk kosong.")
        await inspect(page, "agency-inbox")

        # the PBI-JK officer rejects the other referral without a reason, then with one
        pbi = await platform.referral_to(http, referral["intake_id"], "PBI-JK")
        await page.click("form.who button")  # sign out
        await sign_in(page, stack.workbench, "agency", program="PBI-JK")
        await page.goto(f"{stack.workbench}/rujukan/{pbi['referral_id']}")
        await page.select_option("#outcome", "rejected")
        await page.click("form[action$='/hasil'] button[type=submit]")
        await expect(page.locator("p.problem")).to_contain_text("wajib diisi bila ditolak")
        await inspect(page, "referral-refused")
        await page.select_option("#outcome", "rejected")
        await page.select_option("#reason_code", "lack_of_capacity")
        await page.fill("#note", "kuota desa habis")
        await page.click("form[action$='/hasil'] button[type=submit]")
        await expect(page.locator("p.done")).to_contain_text("Ditolak")

        # the village's Puskesos officer reads the rejection in the inbox
        await page.click("form.who button")
        await sign_in(page, stack.workbench, "puskesos", village="33.04.01.2001")
        puskesos = platform.token("operator", regions=["33.04.01.2001"])

        async def told() -> bool:  # once notifications has read the rejection
            r = await http.get(
                platform.url("notifications") + "/v1/inbox",
                params={"recipient": "puskesos:33.04.01.2001"},
                headers=puskesos,
            )
            return any(pbi["reference"] in m["subject"] + m["body"] for m in r.json()["items"])

        await eventually(told, timeout=60)
        await page.get_by_role("link", name="Kotak masuk").click()
        message = page.locator("article.message")
        await expect(message.first).to_contain_text(pbi["reference"])
        await inspect(page, "inbox")
        assert await identity_reads() == [("verifikasi", "petugas-pkh")]  # no other read since


async def test_the_pages_work_under_their_content_security_policy(stack: Stack) -> None:
    """The other tests' pages bypass the policy (axe-core goes in as an inline script); here it
    holds, and the visit form's own script and its fetch of the NIK check still run."""
    context = await stack.browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Security Policy" in m.text else None)
    await sign_in(page, stack.workbench, "puskesos", village="33.04.01.2001")
    await expect(page).to_have_url(re.compile(r"/kunjungan/baru$"))
    await page.fill("#m0_birth_date", "1990-05-15")
    await page.select_option("#m0_sex", "female")
    await page.fill("#m0_nik", "3304015505900011")
    await expect(page.locator("#m0_nik-check")).to_have_text(
        "NIK sesuai dengan tanggal lahir dan jenis kelamin."
    )
    assert refused == []
    await context.close()


async def test_a_program_officer_signs_in_at_the_identity_provider(
    stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The production sign-in: the workbench sends the officer to the OIDC provider, which
    sends them back with a code; the provider's token then opens the queue at the services.
    The browser holds the pages' Content-Security-Policy (the form's redirects to the
    provider must be allowed by it)."""
    platform, provider = stack.platform, stack.provider
    provider.person("petugas-pkh-sso", role="agency", programs=["PKH"])
    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.post(
            platform.url("intake") + "/v1/intakes",
            json=copy.deepcopy(EXAMPLE_INTAKE),
            headers=platform.token("operator", regions=["33.04"]),
        )
        assert r.status_code == 202, r.text
        referral = await platform.referral_to(http, r.json()["intake_id"], "PKH")
    logs = tmp_path_factory.mktemp("workbench-oidc")
    async with running_workbench(platform, logs, oidc_issuer=provider.issuer) as workbench:
        scanned = await new_page(stack.browser)  # axe-core needs the policy bypassed
        await scanned.goto(workbench + "/masuk")
        await inspect(scanned, "oidc-sign-in")

        context = await stack.browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
        context.set_default_timeout(TIMEOUT_MS)
        page = await context.new_page()
        asked = f"/rujukan/{referral['referral_id']}"  # a link to a referral, from an e-mail
        await page.goto(workbench + asked)
        await expect(page).to_have_url(re.compile(r"/masuk\?lanjut="))
        await page.get_by_role("button", name="Masuk dengan akun instansi").click()
        await expect(page).to_have_url(re.compile("^" + re.escape(provider.issuer)))
        await page.fill("input[name=sub]", "petugas-pkh-sso")
        await page.screenshot(path=str(ARTIFACTS / "oidc-provider.png"), full_page=True)
        await page.get_by_role("button", name="Authorize").click()

        await expect(page).to_have_url(re.compile(re.escape(asked) + "$"))  # back where asked
        await expect(page.locator("form.who")).to_contain_text("petugas-pkh-sso")
        await expect(page.locator("h1")).to_contain_text(referral["reference"])
        await page.screenshot(path=str(ARTIFACTS / "oidc-referral.png"), full_page=True)
        await page.get_by_role("navigation").get_by_role("link", name="Antrean rujukan").click()
        await expect(page.get_by_role("link", name=referral["reference"])).to_be_visible()
        await page.screenshot(path=str(ARTIFACTS / "oidc-queue.png"), full_page=True)

        await page.click("form.who button")  # sign out: on to the provider's end of session
        await expect(page).to_have_url(re.compile(re.escape(provider.issuer) + "/oauth2/"))
        await page.get_by_role("button", name="End session").click()
        await expect(page).to_have_url(re.compile(r"/masuk(\?.*)?$"))
        await page.goto(workbench + "/antrean")
        await expect(page).to_have_url(re.compile(r"/masuk\?lanjut=%2Fantrean$"))
        await context.close()


async def test_signing_out_ends_the_session_a_copied_cookie_carried(stack: Stack) -> None:
    """The session lives in the workbench's database: a second browser holding a copy of the
    cookie is signed in while the session is, and no longer once its owner signs out."""
    page = await new_page(stack.browser)
    await sign_in(page, stack.workbench, "agency", program="PKH")
    await expect(page).to_have_url(re.compile(r"/antrean$"))
    copied = await stack.browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    copied.set_default_timeout(TIMEOUT_MS)
    await copied.add_cookies(await page.context.cookies())  # type: ignore[arg-type]
    elsewhere = await copied.new_page()
    await elsewhere.goto(stack.workbench + "/antrean")
    await expect(elsewhere).to_have_url(re.compile(r"/antrean$"))

    await page.click("form.who button")  # sign out
    await expect(page).to_have_url(re.compile(r"/masuk$"))
    await elsewhere.goto(stack.workbench + "/antrean")
    await expect(elsewhere).to_have_url(re.compile(r"/masuk\?lanjut=%2Fantrean$"))
    await copied.close()


FOCUSED = """() => {
  const e = document.activeElement, style = getComputedStyle(e);
  return {name: e.getAttribute("name") || e.id || e.textContent.trim(), tag: e.tagName,
          outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0};
}"""


async def test_the_operator_signs_in_by_keyboard_and_reads_an_overview(stack: Stack) -> None:
    page = await new_page(stack.browser)
    await page.goto(stack.workbench + "/masuk")
    seen = []
    for _ in range(30):  # Tab through the page: every control is reached, its focus visible
        await page.keyboard.press("Tab")
        focused = await page.evaluate(FOCUSED)
        assert focused["outline"], f"no visible focus on {focused}"
        seen.append(focused["name"])
        if focused["name"] == "kind":
            await page.keyboard.press("ArrowDown")  # the radio group: agency,
            await page.keyboard.press("ArrowDown")  # then operator
        if focused["tag"] == "BUTTON":
            break
    assert seen[0] == "Langsung ke isi"  # the skip link comes first
    assert {"kind", "name", "village", "program", "regions"} <= set(seen)
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/ringkasan$"))
    rows = page.locator("table tbody tr")
    await expect(rows).to_have_count(8)  # seven statuses and the overdue
    for i in range(8):
        assert re.fullmatch(
            r"\d+(\+ atau lebih)?", await rows.nth(i).locator("td.number").inner_text()
        )
    await expect(page.get_by_role("link", name="Rujukan / Platform overview")).to_have_attribute(
        "href", "http://127.0.0.1:3000/d/rujukan-overview"
    )
    await inspect(page, "overview")
    await page.goto(stack.workbench + "/kunjungan/baru")  # not an operator's page: refused
    await expect(page.locator("h1")).to_have_text("Tidak diizinkan")


async def test_the_accessibility_scan_finds_what_it_must() -> None:
    """The scan the pages pass can fail: an unlabelled input and light grey text on white are
    found."""
    async with chromium() as browser:
        page = await new_page(browser)
        await page.set_content(
            '<html lang="id"><head><title>t</title></head><body><main><input>'
            '<p style="color:#aaa;background:#fff">hampir tak terbaca</p></main></body></html>'
        )
        found = {v["id"] for v in await serious_violations(page)}
        assert {"label", "color-contrast"} <= found
