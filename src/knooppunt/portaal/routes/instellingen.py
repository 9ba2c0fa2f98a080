"""Notification settings ("Meldingen"), for debt counsellors and creditors alike (DESIGN §2, §6,
§7): the participant's own e-mail addresses, the mode (direct, a daily digest, or off), the digest
hour, and a webhook. Through ``hub.notificaties``, the same service as ``knooppunt deelnemer
notificaties``; a participant sees and changes only its own settings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from knooppunt.hub import notificaties
from knooppunt.hub.fouten import HubFout
from knooppunt.portaal.sessies import Csrf, DeelnemerGebruiker, Gebruiker, runtime
from knooppunt.portaal.traject import gastclient
from knooppunt.portaal.weergave import pagina

router = APIRouter()

# The hub service names fields as the CLI does; the form's fields are these.
HUB_VELDEN = {"email": "emailadressen", "modus": "modus", "digest-uur": "digest_uur", "webhook": "webhook"}
VELDNAMEN = {
    "emailadressen": "E-mailadressen",
    "modus": "Wanneer",
    "digest_uur": "Tijdstip van het dagoverzicht",
    "webhook": "Webhook-URL",
}


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
        "instellingen/meldingen.html",
        status_code=400 if fouten else 200,
        titel="Meldingen",
        waarden=waarden,
        fouten=fouten,
        samenvatting=[(veld, VELDNAMEN[veld], reden) for veld, reden in fouten.items()],
        bewaard=bewaard,
        geheim=geheim,
        weergave=weergave,
        recent=huidig["recent"],
        max_adressen=notificaties.MAX_EMAILADRESSEN,
        smtp_ingesteld=bool(runtime(request).settings.smtp_host),
    )


@router.get("/instellingen", response_class=HTMLResponse)
def meldingen(request: Request, gebruiker: DeelnemerGebruiker) -> Response:
    return _pagina(request, gebruiker)


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
def meldingen_bewaren(
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
        fouten["modus"] = "Kies wanneer u meldingen wilt krijgen: direct, één keer per dag, of uit."
    uur = int(digest_uur) if digest_uur.strip().isdigit() else -1
    if not 0 <= uur <= 23:
        fouten["digest_uur"] = "Kies een uur van 0 tot en met 23."
    webhook = webhook.strip()
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
            session, gast.oin, wijziging, nu=nu, lokale_webhooks=runtime(request).settings.lokale_webhooks
        )
        return ingesteld.nieuw_geheim

    try:
        geheim = gast.lees(bewaar)
    except HubFout as fout:
        veld = HUB_VELDEN.get(fout.velden[0].name, "modus") if fout.velden else "modus"
        reden = fout.velden[0].reason if fout.velden else fout.detail
        return _pagina(
            request, gebruiker, waarden=waarden, fouten={veld: reden[:1].upper() + reden[1:] + "."}
        )
    return _pagina(request, gebruiker, bewaard=True, geheim=geheim)
