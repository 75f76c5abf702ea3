"""E-mails: French plain text and HTML, and sending them over SMTP.

No beneficiary name, carnet number or note ever goes into an e-mail: the message says what happened, to which
structures, and links to the dossier by its opaque id; the console shows the rest to whoever may see it.
"""

from __future__ import annotations

import html
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from app.settings import Settings

PARIS = ZoneInfo("Europe/Paris")
SMTP_TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str
    html: str


def dossier_link(settings: Settings, dossier_id: str) -> str:
    """The console's page of a dossier: its opaque id only, never a name or a carnet."""
    return f"{settings.public_url.rstrip('/')}/dossiers/{dossier_id}"


def _what(kind: str, src: str, dst: str, days: int) -> tuple[str, str]:
    """(subject, sentence) of each kind of event people are told about."""
    match kind:
        case "ORIENTED":
            return f"Nouveau dossier orienté vers {dst}", f"Un nouveau dossier a été orienté vers {dst}."
        case "REORIENTED":
            return (
                f"Dossier réorienté vers {dst}",
                f"Un dossier a été réorienté vers {dst}" + (f" (il était suivi par {src})." if src else "."),
            )
        case "REMINDED":
            return (
                f"Rappel : un dossier attend {dst}",
                f"Un dossier orienté vers {dst} attend depuis plus de {days} jours d'être pris en charge. "
                "Indiquez sa prise en charge, réorientez-le ou refusez-le.",
            )
        case "DECLINED":
            return (
                "Dossier à réorienter : refusé par une structure",
                f"{src} a refusé un dossier : il attend dans la file « À réorienter ».",
            )
        case "EXPIRED":
            return (
                "Dossier à réorienter : délai dépassé",
                f"Un dossier orienté vers {src} n'a pas été pris en charge à temps : "
                "il attend dans la file « À réorienter ».",
            )
        case "CLAIMED":
            return (
                f"Dossier récupéré par {dst}",
                f"{dst} a récupéré un dossier que suivait {src}. Il n'apparaît plus dans vos onglets.",
            )
    raise ValueError(kind)


def render(settings: Settings, payload: dict[str, Any]) -> Mail:
    src, dst = payload.get("from") or "", payload.get("to") or ""
    subject, sentence = _what(payload["kind"], src, dst, settings.remind_after_days)
    link = dossier_link(settings, payload["dossier"])
    at = datetime.fromisoformat(payload["at"]).astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")
    footer = (
        "Ce message ne contient aucune donnée personnelle : ouvrez le dossier pour le consulter.\n"
        "Pour ne plus recevoir ces messages, demandez-le à votre coordination."
    )
    text = f"Bonjour,\n\n{sentence}\n(le {at})\n\nOuvrir le dossier : {link}\n\n--\naiguillage\n{footer}\n"
    page = (
        '<!doctype html><html lang="fr"><body>'
        f"<p>Bonjour,</p><p>{html.escape(sentence)}<br><small>(le {html.escape(at)})</small></p>"
        f'<p><a href="{html.escape(link, quote=True)}">Ouvrir le dossier</a></p>'
        f"<hr><p><small>aiguillage — {html.escape(footer).replace(chr(10), '<br>')}</small></p>"
        "</body></html>"
    )
    return Mail(f"[aiguillage] {subject}", text, page)


def send(settings: Settings, to: str, content: Mail) -> str | None:
    """Sends one e-mail; the error in a few words, or None when the server took it."""
    assert settings.smtp_url is not None
    url = urlsplit(settings.smtp_url)
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = content.subject
    message["Message-ID"] = make_msgid(domain="aiguillage")
    message.set_content(content.text)
    message.add_alternative(content.html, subtype="html")
    implicit_tls = url.scheme == "smtps"
    port = url.port or (465 if implicit_tls else 587 if url.scheme == "smtp+starttls" else 25)
    host = url.hostname or "127.0.0.1"
    try:
        smtp: smtplib.SMTP = (
            smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_SECONDS, context=ssl.create_default_context())
            if implicit_tls
            else smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS)
        )
        with smtp:
            if url.scheme == "smtp+starttls":
                smtp.starttls(context=ssl.create_default_context())
            if url.username:
                smtp.login(unquote(url.username), unquote(url.password or ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        return f"SMTP : {type(exc).__name__}"
    return None
