"""Sent messages, for debt counsellors and creditors alike (DESIGN §7 "Both"): status, until when
the recipient can confirm (``verlooptOp``), the answer deadline and teLaat, reminders, and the
hub's notices about them (foutbericht VERLOPEN or GEWEIGERD, art. 17.5). Metadata only, as the
API's ``GET /verzonden``: newest first, filtered by status and conversation, paged."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from knooppunt.hub import mailbox
from knooppunt.portaal import dossiers
from knooppunt.portaal.sessies import DeelnemerGebruiker
from knooppunt.portaal.traject import CLIENTROLLEN, gastclient, kluis, trajectnamen
from knooppunt.portaal.weergave import STATUSSEN, pagina
from knooppunt.protocol.identificatie import is_uuid
from knooppunt.store import deelnemers as deelnemers_store

router = APIRouter()
PER_PAGINA = 50


@router.get("/verzonden", response_class=HTMLResponse)
def verzonden(
    request: Request,
    gebruiker: DeelnemerGebruiker,
    status: str = "",
    conversatie: str = "",
    voor: str = "",
) -> Response:
    gast = gastclient(request, gebruiker)
    fouten: dict[str, str] = {}
    if status and status not in STATUSSEN:
        fouten["status"] = "Kies een status uit de lijst."
    conversatie = conversatie.strip().lower()
    if conversatie and not is_uuid(conversatie):
        fouten["conversatie"] = (
            "Een traject (conversatieReferentienummer) is een UUID, zoals "
            "7d9f0e3a-1c2b-4d5e-8f90-a1b2c3d4e5f6. Controleer het nummer of laat het veld leeg."
        )
    voor_id = int(voor) if voor.isdigit() else None
    met_clienten = gebruiker.rol in CLIENTROLLEN

    def lees(session: Any, nu: datetime) -> dict[str, Any]:
        if fouten:
            return {
                "berichten": [],
                "meer": False,
                "namen": {},
                "labels": {},
                "trajectnamen": {},
                "te_laat": set(),
                "status_nu": {},
                "reminders": {},
                "meldingen": {},
                "redenen": {},
                "kan_reminder": set(),
            }
        deelnemer = gast.deelnemer(session)
        berichten = list(
            mailbox.verzonden(
                session,
                deelnemer,
                limiet=PER_PAGINA + 1,
                voor_id=voor_id,
                status=status or None,
                conversatie=conversatie or None,
                nu=nu,
            )
        )
        meldingen = mailbox.meldingen_over(session, deelnemer, berichten[:PER_PAGINA])
        meer = len(berichten) > PER_PAGINA
        berichten = berichten[:PER_PAGINA]
        namen = {
            o: (d.naam if (d := deelnemers_store.haal(session, o)) is not None else o)
            for o in {b.ontvanger for b in berichten}
        }
        trajecten = {b.conversatie_referentienummer for b in berichten}
        labels = dossiers.lees_meerdere(session, kluis(request), gast.oin, trajecten) if met_clienten else {}
        # The roles with clients find every traject they take part in on Cliënten (DESIGN §2, §7):
        # their own, by its label, and one another party started with them (the fund's verzoek
        # kredietinformatie to a kredietbank), by that party until it has a label.
        namen_trajecten = trajectnamen(session, kluis(request), gast.oin, trajecten) if met_clienten else {}
        return {
            "berichten": berichten,
            "meer": meer,
            "namen": namen,
            "labels": labels,
            "trajectnamen": namen_trajecten,
            "te_laat": {b.referentienummer for b in berichten if mailbox.te_laat(b, nu)},
            "status_nu": {b.referentienummer: mailbox.status_op(b, nu) for b in berichten},
            "reminders": mailbox.aantal_reminders(session, deelnemer, berichten),
            "meldingen": meldingen,
            # Why a recipient refused (the hub's foutbericht GEWEIGERD names the reason).
            "redenen": {
                ref: mailbox.WEIGERREDENEN.get(str(m.melding.get("reden")), "de inhoud was niet te openen")
                for ref, lijst in meldingen.items()
                for m in lijst
                if m.melding and m.melding.get("code") == "GEWEIGERD"
            },
            "kan_reminder": {b.referentienummer for b in berichten if mailbox.kan_reminder_krijgen(b)},
        }

    gegevens = gast.lees(lees)
    berichten = gegevens["berichten"]
    filters = [(k, v) for k, v in (("status", status), ("conversatie", conversatie)) if v]
    volgende = (
        "/portaal/verzonden?" + urlencode([*filters, ("voor", str(berichten[-1].id))])
        if gegevens["meer"]
        else None
    )
    eerste = "/portaal/verzonden" + ("?" + urlencode(filters) if filters else "") if voor_id else None
    return pagina(
        request,
        "verzonden/lijst.html",
        status_code=400 if fouten else 200,
        titel="Verzonden berichten",
        status=status,
        conversatie=conversatie,
        fouten=fouten,
        statussen=STATUSSEN,
        met_clienten=met_clienten,
        volgende=volgende,
        eerste=eerste,
        **gegevens,
    )
