"""``make demo``: one SLRT day in Banjarnegara, played against the running ``make up`` stack.

Puskesos officers record four visits in the seeded villages (a pregnant mother in decile 2, a
72-year-old living alone, an unregistered family, a complaint); the agencies read their lists and
answer (received, accepted, rejected with a reason: the router re-routes where it can); an overdue
referral is escalated; the complaint is answered. Each actor's view is printed in Bahasa
Indonesia. Only the public HTTP APIs are used, except where a step has no API yet (marked TODO).

Households are drawn at random from the seed registry (``services/intake/seed``), so the demo can
be run again and again: a household seen twice within the duplicate window would be a follow-up
visit, not a new one. Ports and state come from deploy/local/env.sh (``INTAKE_PORT``...).
"""

from __future__ import annotations

import asyncio
import csv
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from rujukan_platform.auth import Principal, issue_token
from rujukan_platform.settings import ServiceSettings
from rujukan_regions import regions

REPO = Path(__file__).resolve().parents[2]
REGISTRY_CSV = REPO / "services" / "intake" / "seed" / "registry.csv"
HOST = "http://127.0.0.1"
INTAKE = f"{HOST}:{os.environ.get('INTAKE_PORT', '8001')}"
ROUTER = f"{HOST}:{os.environ.get('ROUTER_PORT', '8003')}"
NOTIFICATIONS = f"{HOST}:{os.environ.get('NOTIFICATIONS_PORT', '8004')}"
PG_URL = os.environ.get("RUJUKAN_PG_URL", "postgresql+asyncpg://rujukan:rujukan@127.0.0.1:15432")
#: the seed registry's first households, which tests and docs use: never drawn here
HAND_WRITTEN = {f"33040101012000{n:02d}" for n in range(1, 5)}
WAIT = 90.0  # seconds for the platform to route, deliver or escalate

STATUS = {
    "created": "dibuat", "delivered": "terkirim ke instansi", "received": "diterima instansi",
    "accepted": "disetujui", "rejected": "ditolak", "in_service": "sedang dilayani",
    "completed": "selesai", "expired": "kedaluwarsa", "withdrawn": "ditarik",
    "in_progress": "sedang ditangani", "answered": "dijawab", "closed": "ditutup",
}  # fmt: skip
REASON = {
    "lack_of_capacity": "kuota penuh", "not_eligible": "tidak memenuhi syarat",
    "client_refused_services": "warga menolak layanan",
    "services_no_longer_needed": "layanan tidak dibutuhkan lagi",
    "unable_to_contact_client": "warga tidak dapat dihubungi",
    "unable_to_contact_referred_to_organization": "instansi tidak dapat dihubungi",
    "other": "alasan lain",
}  # fmt: skip
NEED = {
    "health_insurance": "jaminan kesehatan", "schooling": "pendidikan anak", "food": "pangan",
    "cash": "bantuan tunai", "housing": "rumah layak huni",
    "disability_care": "layanan disabilitas",
    "elderly_care": "layanan lansia", "civil_documents": "dokumen kependudukan", "other": "lainnya",
}  # fmt: skip
LANE = {
    "pregnant_or_breastfeeding": "ibu hamil/menyusui", "elderly": "lansia",
    "disability": "penyandang disabilitas", "violence_victim": "korban kekerasan",
}  # fmt: skip
ESCALATED_TO = {
    "agency_supervisor": "atasan petugas agensi", "program_manager": "pengelola program",
    "head_of_office": "Kepala Dinas Sosial",
}  # fmt: skip


def say(actor: str, text: str) -> None:
    print(f"  [{actor}] {text}")


def scene(title: str) -> None:
    print(f"\n=== {title}")


def todo(text: str) -> None:
    print(f"  (TODO: {text})")


class Platform:
    """The stack's HTTP APIs, a token per actor (signed as `rujukan_platform token issue` does)."""

    def __init__(self) -> None:
        self._secret = ServiceSettings().auth_secret.get_secret_value()
        self.http = httpx.Client(timeout=30.0)

    def token(self, role: str, *, programs: list[str] = (), regions: list[str] = ()) -> str:  # type: ignore[assignment]
        subject = f"demo:{role}:{','.join(programs) or ','.join(regions) or 'all'}"
        principal = Principal(
            subject=subject, role=role, programs=list(programs), regions=list(regions)
        )  # type: ignore[arg-type]
        return issue_token(self._secret, principal, ttl_seconds=3600)

    def call(self, method: str, url: str, token: str, body: Any = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}", "Accept-Language": "id"}
        return self.http.request(method, url, json=body, headers=headers)

    def get(self, url: str, token: str) -> Any:
        r = self.call("GET", url, token)
        r.raise_for_status()
        return r.json()

    def until(self, what: Callable[[], Any], why: str, seconds: float = WAIT) -> Any:
        """Poll ``what`` until it answers something truthy (the platform is asynchronous)."""
        deadline = time.monotonic() + seconds
        while True:
            if found := what():
                return found
            if time.monotonic() > deadline:
                print(f"  ... tidak terjadi dalam {seconds:.0f} detik: {why}")
                return found
            time.sleep(1.0)


# -- the residents -----------------------------------------------------------------------------

rng = random.Random()  # unseeded: another run, other households


def registered(sub_district: str, test: Callable[[int, list[str]], bool]) -> str:
    """A KK of the seed registry in ``sub_district`` (``330420``) whose decile and enrolments
    pass ``test``."""
    with REGISTRY_CSV.open() as f:
        found = [
            row["kk"]
            for row in csv.DictReader(f)
            if row["kk"].startswith(sub_district)
            and row["kk"] not in HAND_WRITTEN
            and test(int(row["decile"]), [e for e in row["enrolments"].split(";") if e])
        ]
    return rng.choice(found)


def unregistered(sub_district: str) -> str:
    with REGISTRY_CSV.open() as f:
        known = {row["kk"] for row in csv.DictReader(f)}
    while True:
        kk = f"{sub_district}{date.today():%d%m%y}{rng.randrange(1, 10_000):04d}"
        if kk not in known:
            return kk


def nik(village: str, born: date, sex: str) -> str:
    """A valid NIK issued in the village's sub-district (women: day + 40)."""
    day = born.day + (40 if sex == "female" else 0)
    return f"{village.replace('.', '')[:6]}{day:02d}{born:%m%y}{rng.randrange(1, 10_000):04d}"


def member(village: str, name: str, born: str, sex: str, relationship: str, **facts: Any) -> dict:
    birth = date.fromisoformat(born)
    return {
        "nik": nik(village, birth, sex), "name": name, "birth_date": born, "sex": sex,
        "relationship": relationship, **facts,
    }  # fmt: skip


def visit(
    village: str,
    kk: str,
    members: list[dict],
    needs: list[str],
    *,
    lanes: list[str] = (),  # type: ignore[assignment]
    contact: dict | None = None,
    complaint: dict | None = None,
    **household: Any,
) -> dict:
    return {
        "household": {"kk_number": kk, "village_code": village, **household},
        "members": members,
        "needs": needs,
        "complaint": complaint,
        "priority_lanes": list(lanes),
        "consent": {
            "purposes": ["referral", "notification"] if contact else ["referral"],
            "recipients": ["*"],
            "given_at": datetime.now(UTC).isoformat(),
        },
        "contact": contact,
        "taken_by": {"puskesos": f"Puskesos Desa {regions().name(village)}"},
    }


# -- the day -----------------------------------------------------------------------------------


class Day:
    def __init__(self, platform: Platform) -> None:
        self.p = platform
        self.admin = platform.token("admin")
        self.dinsos = platform.token("operator", regions=["33.04"])

    def submit(self, officer: str, intake: dict, story: str) -> tuple[str, list[dict]]:
        """The officer records a visit; returns the intake and the referrals the router made."""
        village = intake["household"]["village_code"]
        needs = ", ".join(NEED[n] for n in intake["needs"]) or "-"
        lanes = ", ".join(LANE[lane] for lane in intake["priority_lanes"]) or "-"
        say(officer, f"{story}; kebutuhan: {needs}; jalur prioritas: {lanes}")
        token = self.p.token("operator", regions=[village])
        r = self.p.call("POST", f"{INTAKE}/v1/intakes", token, intake)
        if r.status_code >= 400:
            say("Sistem", f"ditolak ({r.status_code}): {r.json().get('detail')}")
            sys.exit(1)
        accepted = r.json()
        intake_id = accepted["intake_id"]
        if accepted.get("duplicate"):
            say(
                "Sistem", "KK ini sudah dicatat dalam 24 jam terakhir: dianggap kunjungan yang sama"
            )
        found = self.p.get(f"{INTAKE}/v1/intakes/{intake_id}", token)
        registry = found.get("registry") or {}
        if registry.get("found"):
            enrolled = ", ".join(registry.get("enrolments") or []) or "-"
            say("Sistem", f"cek DTKS: terdaftar, desil {registry['decile']}, menerima: {enrolled}")
        else:
            say("Sistem", "cek DTKS: belum terdaftar")
        decided = self.p.until(lambda: self.decisions(intake_id), "keputusan rujukan")
        referrals = self.referrals(intake_id)
        for ref in referrals:
            self.show(officer, ref)
        if not referrals:
            say(officer, "tidak ada rujukan dibuat")
        suggestions = [
            p["program_code"]
            for d in decided or []
            for p in d["programs"]
            if p.get("outcome") == "suggested"
        ]
        if suggestions:
            say(officer, f"saran program lain (belum dirujuk): {', '.join(suggestions)}")
        return intake_id, referrals

    def decisions(self, intake_id: str) -> list[dict] | None:
        """The router's decisions on an intake, once it has routed it."""
        r = self.p.call("GET", f"{ROUTER}/v1/intakes/{intake_id}/decisions", self.admin)
        return r.json()["decisions"] if r.status_code == 200 else None

    def escalated(self, referral_id: str) -> dict | None:
        ref: dict = self.p.get(f"{ROUTER}/v1/referrals/{referral_id}", self.admin)
        return ref if ref["escalation_level"] > 0 else None

    def inbox(self, village: str, refs: list[dict]) -> list[dict[str, Any]]:
        """A village Puskesos' inbox, newest first, only what is about ``refs``: the stack keeps
        every earlier run's messages, and this run shows its own."""
        items = self.p.get(f"{NOTIFICATIONS}/v1/inbox?recipient=puskesos:{village}", self.dinsos)[
            "items"
        ]
        ours = {r["reference"] for r in refs}
        return [m for m in items if any(ref in m["subject"] + m["body"] for ref in ours)]

    def referrals(self, intake_id: str) -> list[dict]:
        page = self.p.get(f"{ROUTER}/v1/referrals?intake_id={intake_id}", self.admin)
        return sorted(page["items"], key=lambda r: r["rank"])

    def show(self, actor: str, ref: dict) -> None:
        due = ref.get("due_at")
        due_text = f", tenggat {due[:16].replace('T', ' ')} UTC" if due else ""
        kind = "pengaduan" if ref["kind"] == "complaint" else "rujukan"
        extra = " (antre: kuota penuh)" if ref.get("queued") else ""
        say(actor, f"{kind} {ref['program_code']}: {STATUS[ref['status']]}{due_text}{extra}")

    def agency(self, program: str, ref: dict, outcome: str, note: str, reason: str | None = None,
               region: str | None = None) -> dict:  # fmt: skip
        token = self.p.token("agency", programs=[program], regions=[region] if region else [])
        body = {"outcome": outcome, "note": note, "reason_code": reason}
        url = f"{ROUTER}/v1/referrals/{ref['referral_id']}/outcome"
        try:
            r = self.p.call("POST", url, token, body)
        except httpx.HTTPError as exc:
            say(program, f"laporan '{outcome}' gagal terkirim: {exc}")
            return ref
        answered = r.json() if r.headers.get("content-type", "").endswith("json") else {}
        if r.status_code >= 400:
            why = answered.get("detail") or answered.get("title") or r.text[:80]
            say(program, f"laporan '{outcome}' ditolak sistem ({r.status_code}): {why}")
            return ref
        why = f" — alasan: {REASON[reason]}" if reason else ""
        say(program, f'melaporkan {STATUS[outcome]}: "{note}"{why}')
        return answered

    def withdraw(self, ref: dict, reason: str) -> dict:
        """The regency's operator withdraws a referral, saying why (the agency is told)."""
        url = f"{ROUTER}/v1/referrals/{ref['referral_id']}/withdraw"
        r = self.p.call("POST", url, self.dinsos, {"reason": reason})
        answered = r.json() if r.headers.get("content-type", "").endswith("json") else {}
        if r.status_code >= 400:
            why = answered.get("detail") or answered.get("title") or r.text[:80]
            say("Dinas Sosial", f"penarikan ditolak sistem ({r.status_code}): {why}")
            return ref
        say("Dinas Sosial", f'menarik rujukan {ref["program_code"]}: "{reason}"')
        return answered

    def agency_reads(self, program: str, village: str) -> list[dict]:
        token = self.p.token("agency", programs=[program])
        page = self.p.get(f"{ROUTER}/v1/referrals?program={program}&region={village}", token)
        waiting = [r for r in page["items"] if r["status"] in ("created", "delivered")]
        say(program, f"membuka daftar rujukan: {len(waiting)} menunggu diterima di "
            f"{regions().name(village)}")  # fmt: skip
        return page["items"]

    def resident(self, who: str, ref: dict) -> None:
        deliveries = self.p.get(
            f"{NOTIFICATIONS}/v1/notifications?referral_id={ref['referral_id']}", self.admin
        )["items"]
        to_resident = [d for d in deliveries if d["audience"] == "resident"]
        if not to_resident:
            say(who, f"belum ada pesan tentang {ref['program_code']}")
        for d in to_resident:
            say(who, f"pesan {d['channel']} ke {d['recipient']}: {d['template']} ({d['state']})")


def pick(refs: list[dict], *codes: str) -> dict | None:
    return next((r for c in codes for r in refs if r["program_code"].startswith(c)), None)


async def make_overdue(referral_id: str) -> None:
    """Moves one referral's deadline into the past, in the router's own table, so that the SLA
    loop (every 30 s) finds it overdue now rather than in two working days."""
    url = PG_URL.replace("postgresql+asyncpg://", "postgresql://").rstrip("/") + "/router"
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "UPDATE referrals SET due_at = now() - interval '1 minute' WHERE id = $1",
            referral_id,
        )
    finally:
        await conn.close()


def main() -> None:
    p = Platform()
    try:
        p.http.get(f"{INTAKE}/readyz").raise_for_status()
    except httpx.HTTPError:
        print(f"Rujukan tidak berjalan di {INTAKE}: jalankan `make up` dahulu.")
        sys.exit(1)
    day = Day(p)
    print("Satu hari SLRT di Kabupaten Banjarnegara (data contoh, bukan data warga sungguhan)")

    # 1. a pregnant mother, decile 2, in Pagedongan
    village = "33.04.20.2001"
    kk = registered("330420", lambda decile, enrolled: decile == 2 and not enrolled)
    scene("08.00 Puskesos Desa Pagedongan — ibu hamil, desil 2")
    mother = visit(village, kk, [
        member(village, "Slamet Riyadi", "1990-02-14", "male", "head", working=True),
        member(village, "Siti Aminah", "1994-08-03", "female", "spouse", pregnant=True),
        member(village, "Dimas Saputra", "2022-11-20", "male", "child"),
    ], ["health_insurance", "cash"], lanes=["pregnant_or_breastfeeding"],
        contact={"language": "id", "email": "siti.aminah@example.org"})  # fmt: skip
    _, mother_refs = day.submit("Petugas Puskesos Pagedongan", mother, "Ibu Siti hamil 6 bulan")

    # 2. a 72-year-old living alone, in Berta, reachable by phone only
    village2 = "33.04.01.2001"
    kk2 = registered("330401", lambda decile, enrolled: decile == 1 and not enrolled)
    scene("09.30 Puskesos Desa Berta — lansia 72 tahun tinggal sendiri")
    born = date.today().replace(year=date.today().year - 72) - timedelta(days=30)
    elderly = visit(village2, kk2, [
        member(village2, "Mbah Karsinah", born.isoformat(), "female", "head"),
    ], ["elderly_care", "food", "health_insurance"], lanes=["elderly"],
        contact={"language": "id", "phone": "+6281234567890"})  # fmt: skip
    _, elderly_refs = day.submit("Petugas Puskesos Berta", elderly, "Mbah Karsinah hanya punya HP")

    # 3. an unregistered family in Gunungjati: no DTKS, a poor house, no birth certificate
    village3 = "33.04.20.2002"
    scene("10.15 Puskesos Desa Gunungjati — keluarga belum terdaftar di DTKS")
    family = visit(village3, unregistered("330420"), [
        member(village3, "Tarno", "1985-05-09", "male", "head", working=True),
        member(village3, "Warsini", "1987-10-17", "female", "spouse"),
        member(village3, "Rizki", "2014-03-02", "male", "child", schooling="in_school"),
    ], ["housing", "civil_documents", "schooling"], owns_land=True, house_below_standard=True,
        missing_documents=["akta kelahiran"],
        contact={"language": "id", "email": "keluarga.tarno@example.org"})  # fmt: skip
    _, family_refs = day.submit("Petugas Puskesos Gunungjati", family, "Rumah bambu, lantai tanah")

    # 4. a complaint about PKH, in Duren
    village4 = "33.04.20.2007"
    kk4 = registered("330420", lambda decile, enrolled: "PKH" in enrolled)
    scene("11.00 Puskesos Desa Duren — pengaduan PKH")
    complaint = visit(village4, kk4, [
        member(village4, "Rohmah", "1979-12-01", "female", "head"),
    ], [], complaint={"kind": "complaint", "about_program": "PKH", "category": "aid_not_received",
                      "text": "Bantuan PKH tahap ini belum cair, sudah dua bulan."},
        contact={"language": "id", "email": "rohmah@example.org"})  # fmt: skip
    _, complaint_refs = day.submit("Petugas Puskesos Duren", complaint, "Ibu Rohmah mengadu")
    if not complaint_refs:
        todo("pengaduan tanpa rujukan: penerusan ke pemilik program / meja pengaduan (issue 13.1)")

    # The agencies read their lists and answer
    scene("13.00 Instansi membaca daftar rujukan dan menjawab")
    pkh = pick(mother_refs, "PKH")
    if pkh:
        day.agency_reads("PKH", village)
        pkh = day.agency("PKH", pkh, "received", "Diterima pendamping PKH Kec. Pagedongan")
        pkh = day.agency("PKH", pkh, "accepted", "Komponen ibu hamil diverifikasi")
    pbi = pick(mother_refs, "PBI-JK")
    if pbi:
        day.agency_reads("PBI-JK", village)
        pbi = day.agency("PBI-JK", pbi, "received", "Diterima Dinas Sosial")
        pbi = day.agency("PBI-JK", pbi, "rejected", "Kuota PBI daerah bulan ini habis",
                         "lack_of_capacity")  # fmt: skip
        rerouted = p.until(
            lambda: [r for r in day.referrals(pbi["intake_id"])
                     if r.get("rerouted_from") == pbi["referral_id"]],
            "rujukan pengganti", seconds=20,
        )  # fmt: skip
        for r in rerouted or []:
            day.show("Router", r | {"program_code": f"{r['program_code']} (pengganti PBI-JK)"})
        if not rerouted:
            say("Router", "tidak ada program lain yang memenuhi syarat untuk menggantikan PBI-JK")
    housing = pick(family_refs, "RTLH")
    if housing:
        day.agency_reads(housing["program_code"], village3)
        day.agency(housing["program_code"], housing, "received", "Survei rumah dijadwalkan")
    blt = pick(mother_refs + elderly_refs, "BLT-DD")
    if blt:
        day.agency(blt["program_code"], blt, "received", "Dibahas di musyawarah desa",
                   region=blt["village_code"])  # fmt: skip

    # What the residents see
    scene("15.00 Yang diterima warga")
    for who, refs in (("Ibu Siti", mother_refs), ("Keluarga Tarno", family_refs)):
        for ref in refs[:3]:
            day.resident(who, ref)
    if elderly_refs:
        day.resident("Mbah Karsinah", elderly_refs[0])
        # no SMS gateway here: the village Puskesos is asked to tell her in person
        inbox = p.until(lambda: day.inbox(village2, elderly_refs), "tugas Puskesos", seconds=90)
        for message in (inbox or [])[:1]:
            say("Kotak masuk Puskesos Berta", message["subject"])

    # A referral withdrawn: the family moves away before the house survey
    housing_ref = pick(family_refs, "RTLH")
    if housing_ref:
        scene("15.30 Rujukan ditarik — keluarga pindah")
        withdrawn = day.withdraw(housing_ref, "Keluarga pindah ke luar kabupaten sebelum survei")
        day.show(f"Instansi {housing_ref['program_code']}", withdrawn)

    # An overdue referral, escalated
    scene("Dua hari kerja kemudian — rujukan yang tidak dijawab")
    late = next((r for r in elderly_refs if r["status"] in ("created", "delivered")), None)
    if late:
        todo(
            "perintah operator / jam simulasi untuk SLA; demo ini memajukan due_at di tabel router"
        )
        asyncio.run(make_overdue(late["referral_id"]))
        escalated = p.until(lambda: day.escalated(late["referral_id"]), "eskalasi SLA")
        if escalated:
            level = ["petugas agensi", *ESCALATED_TO.values()][escalated["escalation_level"]]
            say("Router", f"{late['program_code']} lewat tenggat: dieskalasi ke {level}")
            # the escalation reaches the village's inbox through notifications, a moment later
            subject = f"Eskalasi rujukan {late['program_code']}"

            def berta_told() -> list[dict[str, Any]] | None:
                inbox = day.inbox(village2, elderly_refs)
                return inbox if any(m["subject"].startswith(subject) for m in inbox) else None

            for message in (p.until(berta_told, "eskalasi di kotak masuk Puskesos") or [])[:2]:
                say("Kotak masuk Puskesos Berta", message["subject"])

    # The complaint answered
    scene("16.00 Pengaduan dijawab")
    about = next((r for r in complaint_refs if r["kind"] == "complaint"), None)
    if about:
        say("PKH", f'membaca pengaduan {about["reference"]}: "{about["complaint"]["text"]}"')
        about = day.agency("PKH", about, "received", "Pengaduan diterima pendamping PKH")
        about = day.agency("PKH", about, "in_progress", "Dicek ke bank penyalur")
        about = day.agency("PKH", about, "answered", "Dana tahap 3 cair minggu depan di Kantor Pos")
        day.agency("PKH", about, "closed", "Warga sudah menerima jawaban")
    else:
        say("Sistem", "pengaduan tidak diteruskan ke instansi mana pun")
    print("\nSelesai. Jalankan lagi kapan saja: setiap kali keluarga lain dari data contoh.")


if __name__ == "__main__":
    main()
