"""Notification settings ("Notificaties" — not to be confused with the hub's notices about sent
messages, "Meldingen van het knooppunt"), for debt counsellors and creditors alike (DESIGN §2, §6,
§7): the participant's own e-mail addresses, the mode (direct, a daily digest, or off), the digest
hour, and a webhook. Through ``hub.notificaties``, the same service as ``knooppunt deelnemer
notificaties``; a participant sees and changes only its own settings. Every field is checked at
once and every error shown beside its field and in the summary at the top (NL Design System)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from knooppunt.hub import notificaties
from knooppunt.hub.fouten import HubFout
from knooppunt.notify.adressen import AdresGeweigerd, ontwikkelhint
from knooppunt.notify.adressen import controleer as controleer_webhook
from knooppunt.portaal.sessies import Csrf, DeelnemerGebruiker, Gebruiker, runtime
from knooppunt.portaal.traject import gastclient
from knooppunt.portaal.weergave import pagina

router = APIRouter()

# The hub service names fields as the CLI does; the form's fields are these.
HUB_VELDEN = {"email": "emailadressen", "modus": "modus", "digest-uur": "digest_uur", "webhook": "webhook"}
VELDNAMEN = {
    "modus": "Wanneer",
    "digest_uur": "Tijdstip van het dagoverzicht",
    "emailadressen": "E-mailadressen",
    "webhook": "Webhook-URL",
}
"""The form's fields in the order of the page (the error summary follows it)."""


def _huidig(request: Request, gebruiker: Gebruiker) -> dict[str, Any]:
    gast = gastclient(request, gebruiker)

    def lees(session: Any, _nu: datetime) -> dict[str, Any]:
        weergave = notificaties.weergave(gast.oin, notificaties.haal(session, gast.oin))
        return {"weergave": weergave, "recent": notificaties.recente_weergave(session, gast.oin)}

    return gast.lees(lees)


def _pagina(
    request: Request,
    gebruiker: Gebruiker,
    *,
    waarden: Mapping[str, Any] | None = None,
    fouten: Mapping[str, str] | None = None,
    bewaard: bool = False,
    geheim: str | None = None,
) -> HTMLResponse:
    huidig = _huidig(request, gebruiker)
    weergave = huidig["weergave"]
    waarden = waarden or {
        "emailadressen": "\n".join(weergave["emailadressen"]),
        "modus": weergave["modus"],
        "digest_uur": str(weergave["digestUur"]),
        "webhook": weergave["webhook"] or "",
    }
    fouten = dict(fouten or {})
    return pagina(
        request,
        "instellingen/notificaties.html",
        status_code=400 if fouten else 200,
        titel="Notificaties",
        waarden=waarden,
        fouten=fouten,
        samenvatting=[(veld, naam, fouten[veld]) for veld, naam in VELDNAMEN.items() if veld in fouten],
        bewaard=bewaard,
        geheim=geheim,
        weergave=weergave,
        recent=huidig["recent"],
        max_adressen=notificaties.MAX_EMAILADRESSEN,
        smtp_ingesteld=bool(runtime(request).settings.smtp_host),
    )


@router.get("/instellingen", response_class=HTMLResponse)
def notificaties_tonen(request: Request, gebruiker: DeelnemerGebruiker) -> Response:
    return _pagina(request, gebruiker)


def _zin(reden: str) -> str:
    reden = reden.strip()
    return reden[:1].upper() + reden[1:] + ("" if reden.endswith(".") else ".")


def _adressen(tekst: str, fouten: dict[str, str]) -> list[str]:
    adressen = [a for a in re.split(r"[\s,;]+", tekst) if a]
    if len(adressen) > notificaties.MAX_EMAILADRESSEN:
        fouten["emailadressen"] = (
            f"U gaf {len(adressen)} adressen; er kunnen er ten hoogste {notificaties.MAX_EMAILADRESSEN} "
            "worden ingesteld. Gebruik zo nodig een groepsadres."
        )
        return adressen
    ongeldig = []
    for adres in adressen:
        try:
            notificaties.normaliseer_emailadressen([adres])
        except HubFout:
            ongeldig.append(adres)
    if ongeldig:
        wat = "is geen geldig e-mailadres" if len(ongeldig) == 1 else "zijn geen geldige e-mailadressen"
        fouten["emailadressen"] = (
            f"{', '.join(repr(a) for a in ongeldig)} {wat}. Schrijf elk adres als naam@organisatie.nl, "
            "één per regel."
        )
    return adressen


@router.post("/instellingen", response_class=HTMLResponse, dependencies=[Csrf])
def notificaties_bewaren(
    request: Request,
    gebruiker: DeelnemerGebruiker,
    emailadressen: Annotated[str, Form()] = "",
    modus: Annotated[str, Form()] = "",
    digest_uur: Annotated[str, Form()] = "",
    webhook: Annotated[str, Form()] = "",
    nieuw_geheim: Annotated[str, Form()] = "",
) -> Response:
    waarden = {
        "emailadressen": emailadressen,
        "modus": modus,
        "digest_uur": digest_uur,
        "webhook": webhook,
    }
    fouten: dict[str, str] = {}
    adressen = _adressen(emailadressen, fouten)
    if modus not in notificaties.MODI:
        fouten["modus"] = "Kies wanneer u notificaties wilt krijgen: direct, één keer per dag, of uit."
    uur = int(digest_uur) if digest_uur.strip().isdigit() else -1
    if not 0 <= uur <= 23:
        fouten["digest_uur"] = "Kies een uur van 0 tot en met 23."
    webhook = webhook.strip()
    if webhook:
        # Checked here too (the hub checks it again when saving), so that a wrong URL is shown
        # together with the other fields' errors instead of only after they are right.
        settings = runtime(request).settings
        try:
            controleer_webhook(webhook, lokaal_toegestaan=settings.lokale_webhooks)
        except AdresGeweigerd as exc:
            hint = ontwikkelhint(
                webhook, development=settings.is_development, lokaal_toegestaan=settings.lokale_webhooks
            )
            fouten["webhook"] = _zin(str(exc)) + (f" {hint}." if hint else "")
    if modus in ("direct", "dagelijks") and not adressen and not webhook:
        fouten["modus"] = (
            f"Voor ‘{'direct' if modus == 'direct' else 'één keer per dag'}’ is een e-mailadres of een "
            "webhook nodig. Vul er een in, of kies ‘uit’."
        )
    if fouten:
        return _pagina(request, gebruiker, waarden=waarden, fouten=fouten)

    gast = gastclient(request, gebruiker)

    def bewaar(session: Any, nu: datetime) -> str | None:
        huidig = notificaties.haal(session, gast.oin)
        oude_url = huidig.webhook_url if huidig is not None else None
        wijziging = notificaties.Wijziging(
            emailadressen=adressen,
            modus=modus,
            digest_uur=uur,
            # The secret is made anew only for a new URL, or when asked for.
            webhook_url=webhook if webhook and (webhook != oude_url or nieuw_geheim) else None,
            geen_webhook=not webhook and oude_url is not None,
        )
        ingesteld = notificaties.stel_in(
            session,
            gast.oin,
            wijziging,
            door=gebruiker.audit_actor,
            nu=nu,
            lokale_webhooks=runtime(request).settings.lokale_webhooks,
        )
        return ingesteld.nieuw_geheim

    try:
        geheim = gast.lees(bewaar)
    except HubFout as fout:
        # Every field the hub names, each beside its own field.
        hubfouten: dict[str, str] = {}
        for veld in fout.velden or []:
            hubfouten.setdefault(HUB_VELDEN.get(veld.name, "modus"), _zin(veld.reason))
        return _pagina(request, gebruiker, waarden=waarden, fouten=hubfouten or {"modus": _zin(fout.detail)})
    return _pagina(request, gebruiker, bewaard=True, geheim=geheim)
