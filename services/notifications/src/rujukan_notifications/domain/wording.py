"""How a resident reads a referral's status, an agency's reason and a date: in words, Bahasa
Indonesia first and English second, never a code.

Every ``ReferralStatus`` and every ``ReasonCode`` has a line in both languages
(``tests/test_wording.py`` fails when the contract gains a value without one).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rujukan_contracts.events import ReasonCode
from rujukan_regions import regions

Language = str  # "id" or "en"

R = ReasonCode

#: by status value (a complaint case's statuses too: in_progress, answered, closed)
STATUS_WORDS: dict[Language, dict[str, str]] = {
    "id": {
        "created": "dirujuk",
        "delivered": "sudah dikirim ke program",
        "received": "sedang diperiksa oleh petugas program",
        "accepted": "disetujui",
        "rejected": "tidak dapat dilayani",
        "in_service": "sedang dilayani",
        "completed": "selesai dilayani",
        "expired": "tidak dijawab tepat waktu",
        "withdrawn": "dibatalkan",
        "in_progress": "sedang ditangani",
        "answered": "sudah dijawab",
        "closed": "ditutup",
    },
    "en": {
        "created": "referred",
        "delivered": "sent to the program",
        "received": "being reviewed by the program",
        "accepted": "accepted",
        "rejected": "cannot be served",
        "in_service": "being served",
        "completed": "completed",
        "expired": "not answered in time",
        "withdrawn": "withdrawn",
        "in_progress": "being handled",
        "answered": "answered",
        "closed": "closed",
    },
}

REASON_WORDS: dict[Language, dict[ReasonCode, str]] = {
    "id": {
        R.client_refused_services: "Anda menolak layanan ini",
        R.lack_of_capacity: "kuota program sedang penuh",
        R.services_no_longer_needed: "layanan ini tidak lagi Anda butuhkan",
        R.unable_to_contact_client: "petugas program tidak berhasil menghubungi Anda",
        R.unable_to_contact_referred_to_organization: "kantor program tidak dapat dihubungi",
        R.not_eligible: "Anda belum memenuhi syarat program ini",
        R.other: "alasan lain dari petugas program",
    },
    "en": {
        R.client_refused_services: "you declined this service",
        R.lack_of_capacity: "the program is full for now",
        R.services_no_longer_needed: "you no longer need this service",
        R.unable_to_contact_client: "the program could not reach you",
        R.unable_to_contact_referred_to_organization: "the program's office could not be reached",
        R.not_eligible: "you do not meet this program's conditions yet",
        R.other: "another reason given by the program",
    },
}

MONTHS: dict[Language, tuple[str, ...]] = {
    "id": (
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}

#: residents read dates in western Indonesian time unless the deployment says otherwise
JAKARTA = ZoneInfo("Asia/Jakarta")


def language_of(language: str) -> Language:
    return language if language in STATUS_WORDS else "id"


#: a referral escalated past its deadline keeps its status: the resident reads that it is late
OVERDUE: dict[Language, str] = {"id": "melewati batas waktu", "en": "past its deadline"}


def status_words(kind: str, language: str) -> str:
    """A status (or ``escalated``) in words."""
    if kind == "escalated":
        return OVERDUE[language_of(language)]
    return STATUS_WORDS[language_of(language)][kind]


def village_words(code: str) -> str:
    """A village as an officer knows it: its name, with the Kemendagri code that tells two
    villages of one name apart (the code alone when the region table does not know it)."""
    found = regions().get(code)
    return f"{found.name} ({code})" if found is not None else code


def reason_words(reason: str | None, language: str) -> str | None:
    return REASON_WORDS[language_of(language)][ReasonCode(reason)] if reason else None


def date_words(at: datetime, language: str, zone: ZoneInfo = JAKARTA) -> str:
    """``8 Desember 2026``: the day a resident reads, in the region's time."""
    local = at.astimezone(zone)
    return f"{local.day} {MONTHS[language_of(language)][local.month - 1]} {local.year}"


#: what happens next, by the step a message reports (``domain/news.py`` chooses the step)
NEXT_WORDS: dict[Language, dict[str, str]] = {
    "id": {
        "await_answer": "Petugas program akan menanggapi paling lambat {due}.",
        "replaces": "Rujukan ini menggantikan rujukan {reference} yang tidak dapat dilayani.",
        "rerouted": "Anda kami rujuk ke program lain: {program} (nomor rujukan {reference}).",
        "puskesos_will_call": "Petugas Puskesos desa Anda akan menghubungi Anda untuk mencari"
        " program lain yang sesuai.",
        "contact_puskesos": "Silakan hubungi Puskesos desa Anda dan sebutkan nomor rujukan ini.",
        "come_if_needed": "Bila Anda masih membutuhkan bantuan, silakan datang ke Puskesos desa"
        " Anda.",
        "program_will_contact": "Petugas program akan menghubungi Anda untuk langkah berikutnya.",
        "done": "Terima kasih telah menggunakan layanan SLRT.",
        "escalated": "Program belum menjawab tepat waktu; rujukan Anda sudah diteruskan kepada"
        " atasan petugas agar segera ditindaklanjuti.",
        "expired": "Program tidak menjawab tepat waktu. Petugas Puskesos desa Anda akan"
        " menghubungi Anda.",
        "none": "",
    },
    "en": {
        "await_answer": "The program will respond by {due}.",
        "replaces": "This referral replaces referral {reference}, which could not be served.",
        "rerouted": "We have referred you to another program: {program} (reference {reference}).",
        "puskesos_will_call": "Your village Puskesos officer will contact you to find another"
        " suitable program.",
        "contact_puskesos": "Please contact your village Puskesos and quote this reference.",
        "come_if_needed": "If you still need help, please come to your village Puskesos.",
        "program_will_contact": "The program's officer will contact you about the next steps.",
        "done": "Thank you for using the SLRT service.",
        "escalated": "The program did not answer in time; your referral has been passed to the"
        " officer's supervisor for prompt action.",
        "expired": "The program did not answer in time. Your village Puskesos officer will"
        " contact you.",
        "none": "",
    },
}


def next_words(step: str, language: str, **values: str) -> str:
    return NEXT_WORDS[language_of(language)][step].format(**values)
