"""Notification settings of a participant (DESIGN §2, §5, §6): e-mail addresses, mode (direct,
daily digest or off), digest hour, and a webhook with a hub-generated shared secret.

Private to the participant and beheerders. The webhook secret is a shared HMAC secret the hub
must keep to sign with (so it is stored, not hashed); it is shown once, when it is made.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from knooppunt.hub import audit
from knooppunt.hub.fouten import HubFout, OngeldigVeld, niet_gevonden
from knooppunt.notify.adressen import AdresGeweigerd, controleer
from knooppunt.store import deelnemers as deelnemers_store
from knooppunt.store import notificaties as store
from knooppunt.store.models import Notificatie, NotificatieInstellingen

MODI = ("direct", "dagelijks", "uit")
STANDAARD_DIGEST_UUR = 8
MAX_EMAILADRESSEN = 10


@dataclass(slots=True)
class Wijziging:
    """What to change; None leaves a setting as it is."""

    emailadressen: list[str] | None = None  # [] removes all addresses
    modus: str | None = None
    digest_uur: int | None = None
    webhook_url: str | None = None
    geen_webhook: bool = False


@dataclass(frozen=True, slots=True)
class Ingesteld:
    instellingen: NotificatieInstellingen
    nieuw_geheim: str | None  # only when a webhook was (re)set: show it once


def _fout(veld: str, reden: str) -> HubFout:
    return HubFout(
        "ONGELDIGE_NOTIFICATIE",
        400,
        "Ongeldige notificatie-instelling",
        f"{veld}: {reden}",
        [OngeldigVeld(veld, reden)],
    )


def normaliseer_emailadressen(adressen: list[str]) -> list[str]:
    """Syntax-checked, normalised, without duplicates (deliverability is the mail server's job)."""
    if len(adressen) > MAX_EMAILADRESSEN:
        raise _fout("email", f"ten hoogste {MAX_EMAILADRESSEN} adressen")
    uit: list[str] = []
    for adres in adressen:
        try:
            genormaliseerd = validate_email(adres.strip(), check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise _fout("email", f"{adres!r} is geen geldig e-mailadres: {exc}") from exc
        if genormaliseerd not in uit:
            uit.append(genormaliseerd)
    return uit


def stel_in(
    session: Session, oin: str, wijziging: Wijziging, *, door: str, nu: datetime, lokale_webhooks: bool
) -> Ingesteld:
    """Create or change a participant's notification settings; the change is an audit entry by
    ``door`` (DESIGN §5: these say where the certificate-change e-mails go) naming which settings
    changed, never an address, URL or secret."""
    if deelnemers_store.haal(session, oin) is None:
        raise niet_gevonden(f"Deelnemer {oin}")
    if wijziging.webhook_url is not None and wijziging.geen_webhook:
        raise _fout("webhook", "geef een webhook-URL óf 'geen webhook', niet allebei")
    instellingen = store.instellingen(session, oin)
    if instellingen is None:
        instellingen = NotificatieInstellingen(
            oin=oin,
            modus="uit",
            emailadressen=[],
            digest_uur=STANDAARD_DIGEST_UUR,
            laatst_gemeld_id=0,
            gewijzigd_op=nu,
        )
        session.add(instellingen)
    if wijziging.modus is not None:
        if wijziging.modus not in MODI:
            raise _fout("modus", f"{wijziging.modus!r} is onbekend; kies uit {', '.join(MODI)}")
        instellingen.modus = wijziging.modus
    if wijziging.digest_uur is not None:
        if not 0 <= wijziging.digest_uur <= 23:
            raise _fout("digest-uur", f"{wijziging.digest_uur} is geen uur; kies 0 tot en met 23")
        instellingen.digest_uur = wijziging.digest_uur
    if wijziging.emailadressen is not None:
        instellingen.emailadressen = normaliseer_emailadressen(wijziging.emailadressen)
    nieuw_geheim = None
    if wijziging.webhook_url is not None:
        try:
            doel = controleer(wijziging.webhook_url, lokaal_toegestaan=lokale_webhooks)
        except AdresGeweigerd as exc:
            raise _fout("webhook", str(exc)) from exc
        nieuw_geheim = secrets.token_urlsafe(32)
        instellingen.webhook_url = doel.url
        instellingen.webhook_geheim = nieuw_geheim
    if wijziging.geen_webhook:
        instellingen.webhook_url = None
        instellingen.webhook_geheim = None
    if instellingen.modus != "uit" and not instellingen.emailadressen and not instellingen.webhook_url:
        raise _fout(
            "modus",
            f"modus {instellingen.modus!r} heeft een e-mailadres of een webhook nodig; geef --email of "
            "--webhook op",
        )
    instellingen.gewijzigd_op = nu
    session.flush()
    gewijzigd = [
        naam
        for naam, ja in (
            ("email", wijziging.emailadressen is not None),
            ("modus", wijziging.modus is not None),
            ("digest_uur", wijziging.digest_uur is not None),
            ("webhook", wijziging.webhook_url is not None or wijziging.geen_webhook),
        )
        if ja
    ]
    audit.notificaties_gewijzigd(session, oin=oin, wat=",".join(gewijzigd) or "niets", door=door, nu=nu)
    return Ingesteld(instellingen, nieuw_geheim)


def haal(session: Session, oin: str) -> NotificatieInstellingen | None:
    if deelnemers_store.haal(session, oin) is None:
        raise niet_gevonden(f"Deelnemer {oin}")
    return store.instellingen(session, oin)


def kanalen(instellingen: NotificatieInstellingen) -> list[str]:
    """The channels a notification goes out on."""
    uit = []
    if instellingen.emailadressen:
        uit.append("email")
    if instellingen.webhook_url:
        uit.append("webhook")
    return uit


def weergave(oin: str, instellingen: NotificatieInstellingen | None) -> dict[str, Any]:
    """The settings as shown to an operator; the secret itself is never shown again."""
    if instellingen is None:
        return {
            "oin": oin,
            "modus": "uit",
            "emailadressen": [],
            "digestUur": STANDAARD_DIGEST_UUR,
            "webhook": None,
        }
    return {
        "oin": oin,
        "modus": instellingen.modus,
        "emailadressen": list(instellingen.emailadressen),
        "digestUur": instellingen.digest_uur,
        "webhook": instellingen.webhook_url,
        "webhookGeheim": "ingesteld" if instellingen.webhook_geheim else None,
        "laatstGemeldBerichtId": instellingen.laatst_gemeld_id,
    }


def recente_weergave(session: Session, oin: str, limiet: int = 10) -> list[dict[str, Any]]:
    def rij(n: Notificatie) -> dict[str, Any]:
        return {
            "id": n.id,
            "kanaal": n.kanaal,
            "status": n.status,
            "pogingen": n.pogingen,
            "totaal": sum(n.aantallen.values()),
            "aantallen": n.aantallen,
            "antwoordcode": n.antwoordcode,
            "laatsteFout": n.laatste_fout,
            "aangemaaktOp": n.aangemaakt_op.isoformat(),
            "volgendePoging": n.volgende_poging.isoformat() if n.status == "wachtend" else None,
            "verzondenOp": n.verzonden_op.isoformat() if n.verzonden_op else None,
        }

    return [rij(n) for n in store.recente(session, oin=oin, limiet=limiet)]


def meld_beheer(session: Session, oin: str, *, details: dict[str, Any], nu: datetime) -> bool:
    """Queue an e-mail to the participant about a change to its registration (DESIGN §5: every
    certificate change is e-mailed to the participant). Sent to its notification addresses whatever
    its ``modus``: a security notice, not a notification it can switch off. Returns whether one
    was queued (not without an e-mail address)."""
    instellingen = store.instellingen(session, oin)
    if instellingen is None or not instellingen.emailadressen:
        return False
    store.voeg_notificatie_toe(
        session,
        Notificatie(
            deelnemer=oin,
            kanaal="email",
            soort="beheer",
            details=details,
            aantallen={},
            oudste_verloopt_op=None,
            tot_bericht_id=0,
            status="wachtend",
            pogingen=0,
            volgende_poging=nu,
            aangemaakt_op=nu,
        ),
    )
    return True
