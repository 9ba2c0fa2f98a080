"""Composing and sending the debt counsellor's messages (DESIGN §3, §7; fase 1, free of charge).

Two steps. ``/opstellen`` (GET, no state): the message type and the creditors, searched in the
adresboek by name or KvK number; a creditor that is not on the hub, or not in the module, is named
as such (another channel is needed). ``/opstellen/inhoud``: the payload form generated from the
type's schema (``portaal.formulier``), with what the hub will refuse and the SDK's warnings shown
per creditor before sending (``portaal.verzendcontrole``); sending goes through the hosted client,
one message per creditor, and shows the hub's answer for each.

A new client is a new conversation (UUIDv4); follow-up messages are composed from the client's
page, in its conversation. Nothing of the payload is stored: a failed or repeated form lives only
in the browser's form fields.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from knooppunt.client.fouten import VerzendFout
from knooppunt.hub import adresboek
from knooppunt.hub.fouten import HubFout
from knooppunt.portaal import dossiers, formulier, verzendcontrole
from knooppunt.portaal.gastclient import Gastclient, GeenSleutel, TeVersturen
from knooppunt.portaal.sessies import Csrf, Gebruiker, Schuldhulpverlener
from knooppunt.portaal.traject import (
    MODULE,
    eigen_tijdlijn,
    gastclient,
    kluis,
    shv_type,
    shv_typen,
)
from knooppunt.portaal.weergave import pagina
from knooppunt.protocol.catalogus import KENNISGEVINGEN, Berichttype
from knooppunt.protocol.identificatie import is_uuid
from knooppunt.store import deelnemers as deelnemers_store
from knooppunt.store.models import Bericht, Deelnemer

router = APIRouter()
PAD = "/portaal/opstellen"
MAX_ONTVANGERS = 25
ZOEK_LIMIET = 25
# After a kennisgeving the saldoverzoek usually follows (art. 3, 5): the next form proposes it.
VOLGEND = {"kennisgeving": "saldoverzoek", "kennisgeving_bsn": "saldoverzoek_publiek"}


# --- step 1: type and creditors ------------------------------------------------------------------


@dataclass
class Zoekresultaat:
    deelnemer: Deelnemer
    onbereikbaar: str | None
    kenmerken: list[str]


def _ontvangers(waarden: Sequence[str]) -> list[str]:
    """The chosen OINs, deduplicated, in order, at most MAX_ONTVANGERS."""
    return [o for o in dict.fromkeys(w.strip() for w in waarden) if o.isdigit() and len(o) == 20][
        :MAX_ONTVANGERS
    ]


def _label(gast: Gastclient, request: Request, conversatie: str) -> dossiers.Label | None:
    return gast.lees(lambda session, _nu: dossiers.lees(session, kluis(request), gast.oin, conversatie))


@router.get("/opstellen", response_class=HTMLResponse)
def kiezen(
    request: Request,
    gebruiker: Schuldhulpverlener,
    berichttype: str = "",
    zoek: str = "",
    ontvanger: Annotated[list[str] | None, Query()] = None,
    conversatie: str = "",
    antwoord_op: str = "",
    actie: str = "",
) -> Response:
    gast = gastclient(request, gebruiker)
    conversatie = conversatie.strip().lower()
    tijdlijn = eigen_tijdlijn(gast, conversatie) if conversatie else []
    gekozen = _ontvangers(ontvanger or [])
    zoek = zoek.strip()[:100]
    typen = shv_typen(nieuw=not conversatie)
    fouten: dict[str, str] = {}
    if actie == "verder":
        if berichttype not in {t.code for t in typen}:
            fouten["berichttype"] = "Kies welk bericht u wilt sturen."
        if not gekozen:
            fouten["ontvanger"] = "Kies minstens één schuldeiser. Zoek hieronder op naam of KvK-nummer."
        if not fouten:
            query: list[tuple[str, str]] = [("berichttype", berichttype)]
            query += [("ontvanger", o) for o in gekozen]
            if conversatie:
                query.append(("conversatie", conversatie))
            if antwoord_op and is_uuid(antwoord_op.lower()):
                query.append(("antwoord_op", antwoord_op.lower()))
            return RedirectResponse(f"{PAD}/inhoud?{urlencode(query)}", status_code=303)

    def lees(session: Any, _nu: Any) -> dict[str, Any]:
        keuzes = [d for o in gekozen if (d := deelnemers_store.haal(session, o)) is not None]
        traject = verzendcontrole.schuldeisers_van(session, gast.oin, tijdlijn)
        resultaten = []
        if zoek:
            for d in adresboek.zoek(
                session, rol="SE", module=None, zoekterm=zoek, na_oin=None, limiet=ZOEK_LIMIET
            ):
                _, waarom_niet = gast.bereikbaar(session, d.oin, MODULE)
                resultaten.append(Zoekresultaat(d, waarom_niet, verzendcontrole.kenmerken(d)))
        return {
            "keuzes": [(d, verzendcontrole.kenmerken(d)) for d in keuzes],
            "traject": [
                (d, verzendcontrole.kenmerken(d)) for d in traject if d.oin not in {k.oin for k in keuzes}
            ],
            "resultaten": resultaten,
            "label": dossiers.lees(session, kluis(request), gast.oin, conversatie) if conversatie else None,
        }

    gegevens = gast.lees(lees)
    return pagina(
        request,
        "opstellen/kiezen.html",
        status_code=400 if fouten else 200,
        titel="Nieuw bericht" if not conversatie else "Vervolgbericht",
        typen=typen,
        berichttype=berichttype,
        zoek=zoek,
        conversatie=conversatie,
        antwoord_op=antwoord_op,
        fouten=fouten,
        zoek_kvk=zoek.isdigit() and len(zoek) == 8,
        **gegevens,
    )


# --- step 2: the payload ---------------------------------------------------------------------------


@dataclass
class Uitkomst:
    """What happened to the message for one creditor."""

    controle: verzendcontrole.Ontvangercontrole
    bericht: Bericht | None = None
    code: str | None = None
    detail: str | None = None
    al_verstuurd: bool = False
    waarschuwingen: list[str] | None = None


def _referenties(formulier_: Mapping[str, Any], ontvangers: Sequence[str]) -> dict[str, str]:
    """One referentienummer per creditor, made when the form is first shown: sending the same form
    twice (a double click, the back button) cannot send a message twice (DESIGN §4 idempotency)."""
    uit = {}
    for oin in ontvangers:
        waarde = str(formulier_.get(f"referentie.{oin}", "")).lower()
        uit[oin] = waarde if is_uuid(waarde) else str(uuid.uuid4())
    return uit


def _gekozen_verwijzingen(formulier_: Mapping[str, Any], ontvangers: Sequence[str]) -> dict[str, str]:
    uit = {}
    for oin in ontvangers:
        waarde = formulier_.get(f"antwoord_op.{oin}")
        if isinstance(waarde, str) and (waarde == "" or is_uuid(waarde.lower())):
            uit[oin] = waarde.lower()
    return uit


def _context(
    request: Request,
    gebruiker: Gebruiker,
    berichttype: Berichttype,
    ontvangers: list[str],
    conversatie: str,
    nieuw: bool,
    gekozen: Mapping[str, str],
) -> dict[str, Any]:
    gast = gastclient(request, gebruiker)

    def lees(session: Any, nu: Any) -> dict[str, Any]:
        controles = verzendcontrole.controleer(
            gast,
            session,
            nu,
            berichttype=berichttype,
            ontvangers=ontvangers,
            conversatie=None if nieuw else conversatie,
            gekozen=gekozen,
        )
        label = dossiers.lees(session, kluis(request), gast.oin, conversatie) if not nieuw else None
        return {"controles": controles, "label": label}

    return gast.lees(lees)


def _controleer_traject(request: Request, gebruiker: Gebruiker, conversatie: str, nieuw: bool) -> str:
    """A new client gets a fresh conversation; a follow-up must be in one of the user's own."""
    conversatie = conversatie.strip().lower()
    if nieuw:
        return conversatie if is_uuid(conversatie) else str(uuid.uuid4())
    eigen_tijdlijn(gastclient(request, gebruiker), conversatie)
    return conversatie


def _inhoudpagina(
    request: Request,
    gebruiker: Gebruiker,
    *,
    berichttype: Berichttype,
    ontvangers: list[str],
    conversatie: str,
    nieuw: bool,
    invoer: formulier.Invoer,
    referenties: Mapping[str, str],
    gekozen: Mapping[str, str],
    fouten: Mapping[str, list[str]] | None = None,
    melding: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = _context(request, gebruiker, berichttype, ontvangers, conversatie, nieuw, gekozen)
    vorm = formulier.bouw(MODULE, berichttype.code, invoer, fouten)
    return pagina(
        request,
        "opstellen/inhoud.html",
        status_code=status_code,
        titel=f"{berichttype.naam} opstellen",
        berichttype=berichttype,
        ontvangers=ontvangers,
        conversatie=conversatie,
        nieuw=nieuw,
        vorm=vorm,
        invoer=invoer,
        referenties=referenties,
        is_kennisgeving=berichttype.code in KENNISGEVINGEN,
        melding=melding,
        **context,
    )


@router.get("/opstellen/inhoud", response_class=HTMLResponse)
def inhoud(
    request: Request,
    gebruiker: Schuldhulpverlener,
    berichttype: str = "",
    ontvanger: Annotated[list[str] | None, Query()] = None,
    conversatie: str = "",
    antwoord_op: str = "",
) -> Response:
    soort = shv_type(berichttype)
    ontvangers = _ontvangers(ontvanger or [])
    nieuw = not conversatie
    if soort is None or not ontvangers or (nieuw and soort not in shv_typen(nieuw=True)):
        terug = [("actie", "verder"), ("berichttype", berichttype)] + [("ontvanger", o) for o in ontvangers]
        if conversatie:
            terug.append(("conversatie", conversatie))
        return RedirectResponse(f"{PAD}?{urlencode(terug)}", status_code=303)
    conversatie = _controleer_traject(request, gebruiker, conversatie, nieuw)
    invoer = formulier.Invoer()
    vooraf: dict[str, Any] = {"contactpersoonSHV": {"naam": gebruiker.gebruiker}}
    if not nieuw:
        label = _label(gastclient(request, gebruiker), request, conversatie)
        if label is not None and label.klantnummer:
            vooraf["klantnummerSHV"] = label.klantnummer
    invoer = formulier.vul_in(invoer, vooraf)
    gekozen = {}
    if antwoord_op and is_uuid(antwoord_op.lower()) and len(ontvangers) == 1:
        gekozen[ontvangers[0]] = antwoord_op.lower()
    return _inhoudpagina(
        request,
        gebruiker,
        berichttype=soort,
        ontvangers=ontvangers,
        conversatie=conversatie,
        nieuw=nieuw,
        invoer=invoer,
        referenties=_referenties({}, ontvangers),
        gekozen=gekozen,
    )


@router.post("/opstellen/inhoud", response_class=HTMLResponse, dependencies=[Csrf])
async def inhoud_verwerken(request: Request, gebruiker: Schuldhulpverlener) -> Response:
    form = await request.form()
    # The rest reads the database, seals and submits: in a thread, never on the event loop.
    return await run_in_threadpool(_inhoud_verwerken, request, gebruiker, form)


def _inhoud_verwerken(request: Request, gebruiker: Gebruiker, form: FormData) -> Response:
    velden: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    soort = shv_type(str(velden.get("berichttype", "")))
    ontvangers = _ontvangers([v for v in form.getlist("ontvanger") if isinstance(v, str)])
    nieuw = velden.get("nieuw") == "1"
    if soort is None or not ontvangers or (nieuw and soort not in shv_typen(nieuw=True)):
        return RedirectResponse(PAD, status_code=303)
    conversatie = _controleer_traject(request, gebruiker, str(velden.get("conversatie", "")), nieuw)
    invoer = formulier.Invoer.uit_formulier(velden)
    actie = str(velden.get("actie", ""))
    gekozen = _gekozen_verwijzingen(velden, ontvangers)
    gemeen: dict[str, Any] = {
        "berichttype": soort,
        "ontvangers": ontvangers,
        "conversatie": conversatie,
        "nieuw": nieuw,
        "referenties": _referenties(velden, ontvangers),
        "gekozen": gekozen,
    }
    sj = formulier.sjabloon(MODULE, soort.code)
    if actie.startswith("toevoegen:"):
        invoer = formulier.voeg_rij_toe(sj, invoer, actie.removeprefix("toevoegen:"))
        return _inhoudpagina(
            request, gebruiker, invoer=invoer, melding="Er is een regel toegevoegd.", **gemeen
        )
    if actie.startswith("verwijderen:"):
        invoer = formulier.verwijder_rij(sj, invoer, actie.removeprefix("verwijderen:"))
        return _inhoudpagina(request, gebruiker, invoer=invoer, melding="De regel is verwijderd.", **gemeen)
    if actie not in ("versturen", "controleren"):
        return _inhoudpagina(request, gebruiker, invoer=invoer, **gemeen)

    gelezen = formulier.lees(MODULE, soort.code, invoer)
    if not gelezen.geldig:
        return _inhoudpagina(
            request, gebruiker, invoer=gelezen.invoer, fouten=gelezen.fouten, status_code=400, **gemeen
        )
    if actie == "controleren":
        return _inhoudpagina(
            request,
            gebruiker,
            invoer=gelezen.invoer,
            melding="Het formulier is volledig ingevuld. Controleer de gegevens en kies Versturen.",
            **gemeen,
        )
    return _verstuur(request, gebruiker, gelezen, velden, **gemeen)


def _verstuur(
    request: Request,
    gebruiker: Gebruiker,
    gelezen: formulier.Gelezen,
    velden: Mapping[str, Any],
    *,
    berichttype: Berichttype,
    ontvangers: list[str],
    conversatie: str,
    nieuw: bool,
    referenties: Mapping[str, str],
    gekozen: Mapping[str, str],
) -> HTMLResponse:
    soort = berichttype
    gast = gastclient(request, gebruiker)
    controles = _context(request, gebruiker, soort, ontvangers, conversatie, nieuw, gekozen)["controles"]
    uitkomsten = []
    for controle in controles:
        uitkomst = Uitkomst(controle)
        uitkomsten.append(uitkomst)
        bericht = TeVersturen(
            ontvanger=controle.oin,
            berichttype=soort.code,
            payload=gelezen.payload,
            conversatie=conversatie,
            module=MODULE,
            antwoord_op=controle.gekozen,
            referentienummer=referenties[controle.oin],
        )
        try:
            verstuurd = gast.verstuur(bericht, waarvoor=f"opstellen {soort.code}")
        except HubFout as fout:
            uitkomst.code, uitkomst.detail = fout.code, fout.detail
            uitkomst.al_verstuurd = fout.code == "REFERENTIENUMMER_CONFLICT"
        except VerzendFout as fout:
            uitkomst.code, uitkomst.detail = fout.code, fout.detail
        except GeenSleutel as exc:
            uitkomst.code, uitkomst.detail = "GEEN_SLEUTEL", str(exc)
        else:
            uitkomst.bericht = verstuurd.bericht
            uitkomst.waarschuwingen = verstuurd.waarschuwingen
    gelukt = [u for u in uitkomsten if u.bericht is not None]
    label = None
    if gelukt:
        label = _bewaar_label(request, gast, conversatie, gelezen.payload)
    return pagina(
        request,
        "opstellen/verstuurd.html",
        status_code=200 if gelukt or all(u.al_verstuurd for u in uitkomsten) else 422,
        titel="Verzonden" if gelukt else "Niet verzonden",
        berichttype=soort,
        uitkomsten=uitkomsten,
        gelukt=gelukt,
        conversatie=conversatie,
        nieuw=nieuw and not gelukt,
        label=label,
        is_kennisgeving=soort.code in KENNISGEVINGEN,
        typen=shv_typen(nieuw=nieuw and not gelukt),
        volgend=VOLGEND.get(soort.code, soort.code) if gelukt else soort.code,
        overnemen=sorted((k, v) for k, v in velden.items() if k.startswith(formulier.PREFIX)),
        termijn=request.app.state.runtime.settings.antwoordtermijn_werkdagen,
    )


def _bewaar_label(
    request: Request, gast: Gastclient, conversatie: str, payload: Mapping[str, Any]
) -> dossiers.Label | None:
    """The first message for a client names it: klantnummerSHV plus the client's name, encrypted
    (the hub keeps no names). An existing label is kept."""

    def werk(session: Any, nu: Any) -> dossiers.Label | None:
        bestaand = dossiers.lees(session, kluis(request), gast.oin, conversatie)
        if bestaand is not None:
            return bestaand
        label = dossiers.label_uit_payload(payload)
        if label is not None:
            dossiers.bewaar(
                session, kluis(request), oin=gast.oin, conversatie=conversatie, label=label, nu=nu
            )
        return label

    return gast.lees(werk)
