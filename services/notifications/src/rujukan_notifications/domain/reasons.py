"""Why a delivery stands where it does, as its row (``last_error``), its attempts and its
``notifications.dispatched`` event say it: a machine reason, then a sentence in Bahasa Indonesia
(Puskesos and program officers read it). A provider's own words (an SMTP server's reply, an
HTTP status and its body) follow in parentheses, as the provider said them: nobody can translate
those, nor the sealing's words an operator needs to mend a key."""

from __future__ import annotations

from rujukan_notifications.domain.channels import channel_words

#: the step ends the delivery, or another try follows
_FINAL = "pesan tidak dikirim"
_AGAIN = "dicoba lagi nanti"

#: who a row was meant for, as an officer names them
_AUDIENCES = {
    "resident": "warga",
    "operator": "operator",
    "supervisor": "supervisor",
    "agency": "lembaga program",
    "escalation": "penerima eskalasi",
}

#: a delivery to a household whose resident withdrew consent to be told (its row and attempt)
CANCELLED = (
    "consent_withdrawn: Warga menarik persetujuan untuk diberi kabar; pesan ini tidak dikirim."
)
#: a resident's delivery when their visit said they did not agree to be told
NOT_CONSENTED = (
    "not_consented: Warga tidak setuju diberi kabar saat kunjungan; pesan ini tidak dikirim."
)
SENDER_DIED = f"sender_died: Pengirim berhenti saat percobaan terakhir; {_FINAL}."
NO_CONTACT_YET = "no_contact_yet: Kontak warga yang disetujui belum diterima; ditunggu."
NO_CONTACT = f"no_contact: Kontak warga yang disetujui tidak pernah diterima; {_FINAL}."
NO_SEND_SLOT = "no_send_slot: Tidak ada giliran kirim dalam separuh masa klaim; dicoba lagi."


def taken_over(previous: str | None) -> str:
    """A row left ``sending`` by a dispatcher whose lease expired: sent again, perhaps twice;
    which dispatcher, for the operator who looks into it."""
    who = f" ({previous})" if previous else ""
    return (
        f"taken_over: Pengirim sebelumnya{who} berhenti di tengah pengiriman; pesan diambil alih."
    )


def no_provider(channel: str) -> str:
    """No provider for ``channel`` here: not set up, or a channel this release does not know."""
    return f"no_provider: Belum ada penyedia {channel_words(channel)} yang diatur; {_FINAL}."


def no_address(audience: str) -> str:
    return f"no_address: Tidak ada alamat untuk {_AUDIENCES.get(audience, audience)}; {_FINAL}."


def channel_not_consented(channel: str) -> str:
    return (
        f"channel_not_consented: Warga tidak setuju dihubungi lewat {channel_words(channel)}; "
        f"{_FINAL}."
    )


def contact_unreadable(why: str, *, final: bool) -> str:
    """A stored contact that does not open (a key left out of the settings, an altered row);
    ``why``: the sealing's words, for the operator who mends it."""
    return (
        "contact_unreadable: Kontak warga yang tersimpan tidak dapat dibuka; "
        f"{_FINAL if final else _AGAIN}. ({why})"
    )


def quiet_hours(until: str) -> str:
    return f"quiet_hours: Jam tenang sampai pukul {until}; dikirim sesudahnya."


def rate_limit(limit: int, seconds: float) -> str:
    return (
        f"rate_limit: Paling banyak {limit} pesan ke satu keluarga per {seconds:.0f} detik; "
        "dikirim sesudahnya."
    )


def circuit_open(provider: str) -> str:
    return f"circuit_open: Penyedia {provider} gagal berulang kali; {_AGAIN}."


def no_answer(seconds: float) -> str:
    """A provider silent past the send's budget (the provider's words in a failure)."""
    return f"tidak ada jawaban dalam {seconds:.0f} detik"


def provider_failed(provider: str, said: str, *, final: bool) -> str:
    """The provider did not take the message; ``said``: its words (masked), or ours for it."""
    return (
        f"provider_failed: Penyedia {provider} tidak menerima pesan; "
        f"{_FINAL if final else _AGAIN}. ({said})"
    )
