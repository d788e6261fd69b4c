"""What a reporter does on the track page with the token given at submission: add information, rate the answer,
reopen. Sent as ``aduan reporter`` sends them (:mod:`aduan.clients.command_sender`); the lifecycle checks that the token's
reporter ref is the complaint's and that the action is allowed now (e.g. the reopening window)."""

from __future__ import annotations

from datetime import datetime
from typing import Mapping

from aduan.clients.command_sender import CommandSender, await_outcome, find_complaint
from aduan.domain.commands import (
    Actor,
    ActorKind,
    AddInformation,
    Command,
    Rate,
    Reopen,
)
from aduan.domain.tracking import reporter_ref
from aduan.kernel.config import Settings
from streams.lifecycle_store import Outcome

ACTIONS = {"informasi": "Tambah informasi", "nilai": "Beri penilaian", "buka": "Buka kembali laporan"}
WAIT_SECONDS = 10.0


class Refused(ValueError):
    """The form cannot become a command; the message says why, in Indonesian."""


def command(action: str, form: Mapping[str, str], complaint_id: str, now: datetime) -> Command:
    """The reporter command of one track-page form; its id is the form's key, so a resubmission acts once."""
    token = form.get("token", "").strip()
    if not token:
        raise Refused("Masukkan token pelapor yang Anda terima saat mengirim laporan.")
    key = form.get("kunci", "")
    if not 16 <= len(key) <= 200:
        raise Refused("Formulir ini sudah kedaluwarsa: muat ulang halaman lalu kirim lagi.")
    common = {"command_id": key, "complaint_id": complaint_id, "issued_at": now,
              "actor": Actor(ActorKind.REPORTER, reporter_ref(token))}
    text = form.get("teks", "").strip()
    if action == "informasi":
        if not text:
            raise Refused("Tulis informasi yang ingin ditambahkan.")
        return AddInformation(**common, text=text[:10_000])
    if action == "nilai":
        rating = form.get("nilai", "")
        if rating not in {"1", "2", "3", "4", "5"}:
            raise Refused("Pilih nilai 1 sampai 5.")
        return Rate(**common, rating=int(rating), comment=text[:2_000] or None)
    if action == "buka":
        if not text:
            raise Refused("Tulis alasan laporan dibuka kembali.")
        return Reopen(**common, reason=text[:2_000])
    raise Refused("Tindakan tidak dikenal.")


def act(settings: Settings, sender: CommandSender, tracking_id: str, action: str, form: Mapping[str, str],
        now: datetime) -> Outcome | None:
    """Send the action and wait for the lifecycle's decision (None: not decided yet). Blocking: run in a thread."""
    try:
        complaint = find_complaint(settings, tracking_id)
    except KeyError:
        raise Refused("Laporan ini belum dapat ditindaklanjuti: coba lagi beberapa saat lagi.") from None
    sent = command(action, form, complaint.complaint_id, now)
    sender.send(sent)
    return await_outcome(settings, sent.command_id, WAIT_SECONDS)


OUTCOMES = {
    "unknown_complaint": "Laporan ini belum dikenal sistem: coba lagi beberapa saat lagi.",
    "illegal_transition": "Tindakan ini tidak dapat dilakukan pada tahap laporan sekarang (misalnya batas waktu "
                          "membuka kembali sudah lewat).",
    "forbidden_actor": "Token pelapor tidak cocok dengan laporan ini.",
    "invalid_command": "Isian tidak valid: periksa kembali.",
}


def outcome_text(decided: Outcome | None) -> tuple[bool, str]:
    """``(accepted, what to tell the reporter)``."""
    if decided is None:
        return True, "Terkirim; keputusan belum tercatat: muat ulang halaman ini sebentar lagi."
    if decided.accepted:
        return True, "Diterima. Terima kasih."
    return False, OUTCOMES.get(decided.outcome, "Ditolak.")
