"""Composing in the werkplek beyond a new message (DESIGN §5 "Portal", §7): the metadata the page
needs to answer a received message, to remind a recipient of an own open question once that makes
sense, and to address one message to every creditor of a client. The page fills in the form, reads
a PDF attachment, seals and dry-runs (`routes.werkplek_verzenden`); these endpoints carry only
metadata the participant may see anyway — never a payload, a client's name or a key:

- ``GET …/opstellen/antwoorden?module=&versie=&berichttype=``: the types with which this participant
  (by its role) may answer, or refer to, a received message of that type in that module and version
  (`client.berichten.antwoordtypen`: a saldoverzoek → saldoverzoek_antwoord, …; a niet-akkoord in
  2.0 → heroverweging), each with its form and JSON Schema;
- ``GET …/opstellen/herinneringen?conversatie=``: the participant's own open questions (those a
  reminder may name: art. 15.1), each with its answer term and whether a reminder makes sense now —
  only once the term has passed without an answer, as the hosted client page offers it — and the
  reminder type's form per module and version;
- ``GET …/opstellen/schuldeisers?conversatie=``: the counterparts of a client's conversation (OIN,
  name, what the sender needs to know of them), to address a kennisgeving or saldoverzoek to all.

Login and the session's CSRF token are required, as for every werkplek endpoint (GETs too).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from knooppunt.client.berichten import antwoordtypen, controleer_type
from knooppunt.client.fouten import VerzendFout
from knooppunt.hub import adresboek, mailbox
from knooppunt.portaal import verzendcontrole
from knooppunt.portaal.routes.sleutels import API_PAD, ApiFout, _api_gebruiker, _fout, _json
from knooppunt.portaal.routes.werkplek_verzenden import beschrijving
from knooppunt.portaal.sessies import Gebruiker, runtime
from knooppunt.protocol.catalogus import CATALOGUS, Berichttype
from knooppunt.protocol.identificatie import is_uuid
from knooppunt.protocol.soorten import Rol
from knooppunt.store import deelnemers as deelnemers_store
from knooppunt.store.db import db_nu, transactie

router = APIRouter()
PAD = API_PAD + "/opstellen"
MAX_VRAGEN = 1000
"""Own sent messages read for the reminder list, newest first (a question older than these has
long been answered or expired)."""


def _rol(gebruiker: Gebruiker) -> Rol | None:
    try:
        return Rol(gebruiker.rol or "")
    except ValueError:
        return None


def _conversatie(waarde: str, *, verplicht: bool) -> str | None:
    conversatie = waarde.strip().lower()
    if not conversatie and not verplicht:
        return None
    if not is_uuid(conversatie):
        raise ApiFout(
            400,
            "Ongeldige conversatie: vul het conversatieReferentienummer (een UUID, bijvoorbeeld "
            "0b6c…-…) van het traject in.",
        )
    return conversatie


def _tijd(waarde: datetime | None) -> str | None:
    return waarde.astimezone(UTC).isoformat() if waarde is not None else None


# --- answers ----------------------------------------------------------------------------------------


def antwoorden(module: str, versie: str, berichttype: str, rol: Rol | None) -> dict[str, Any]:
    """The answer types to a received ``berichttype`` (module, versie) that a participant of ``rol``
    sends, with their forms; ``ApiFout`` 400 naming what exists when the type is unknown."""
    try:
        vraag = controleer_type(module, berichttype, versie)
    except VerzendFout as exc:
        raise ApiFout(400, f"Dit bericht kan niet worden beantwoord: {exc.detail}.") from exc
    typen = []
    for code in antwoordtypen(module, berichttype, versie):
        t = CATALOGUS.zoek(module, code, versie)
        if t is None or rol is None or rol not in t.van:
            continue
        gegevens = beschrijving(t, rol)
        if gegevens is not None:
            typen.append(gegevens)
    return {
        "vraag": {"module": module, "versie": versie, "berichttype": vraag.code, "naam": vraag.naam},
        "typen": typen,
        "melding": ""
        if typen
        else f"Op een {vraag.naam} ({module} {versie}) stuurt u geen antwoord via het knooppunt.",
    }


@router.get(PAD + "/antwoorden")
def antwoorden_route(
    request: Request, module: str = "", versie: str = "", berichttype: str = ""
) -> JSONResponse:
    try:
        gebruiker = _api_gebruiker(request)
        if not (module and versie and berichttype):
            raise ApiFout(400, "Geef module, versie en berichttype van het ontvangen bericht op.")
        return _json(antwoorden(module, versie, berichttype, _rol(gebruiker)))
    except ApiFout as fout:
        return _fout(fout)


# --- reminders --------------------------------------------------------------------------------------


def herinneringstype(module: str, versie: str, rol: Rol | None) -> Berichttype | None:
    """The type in that module and version with which a participant of ``rol`` reminds a recipient
    of its own question (a reminder: refers to a message sent, not received)."""
    for t in CATALOGUS.alle():
        if (
            t.module == module
            and t.versie == versie
            and t.verwijst_naar
            and not t.verwijst_naar_ontvangen
            and not t.door_knooppunt
            and rol is not None
            and rol in t.van
        ):
            return t
    return None


def herinneringen(
    session: Session, oin: str, rol: Rol | None, conversatie: str | None, nu: datetime
) -> dict[str, Any]:
    """The own questions a reminder may name (neither answered, expired nor refused), newest first:
    ``kanHerinneren`` only once the answer term has passed without an answer (art. 2.1, 15.1) —
    before that the recipient still has time, and the page offers no reminder."""
    deelnemer = adresboek.haal(session, oin)
    soorten: dict[tuple[str, str], Berichttype | None] = {}
    for module in adresboek.versies_per_module(deelnemer):
        # Every version of the module, not only those accepted now: a question sent in 1.0 is
        # reminded in 1.0 after a switch to 2.0 (DESIGN §3a).
        for versie in CATALOGUS.moduleversies(module):
            soorten[(module, versie)] = herinneringstype(module, versie, rol)
    eigen = mailbox.verzonden(
        session, deelnemer, limiet=MAX_VRAGEN, voor_id=None, status=None, conversatie=conversatie, nu=nu
    )
    vragen = [
        b
        for b in eigen
        if mailbox.kan_reminder_krijgen(b)
        and b.beantwoord_op is None
        and b.status not in verzendcontrole.AFGESLOTEN
        and soorten.get((b.module, b.versie)) is not None
    ]
    aantallen = mailbox.aantal_reminders(session, deelnemer, vragen)
    namen: dict[str, str] = {}
    for b in vragen:
        if b.ontvanger not in namen:
            ander = deelnemers_store.haal(session, b.ontvanger)
            namen[b.ontvanger] = ander.naam if ander is not None else b.ontvanger
    typen: dict[str, Any] = {}
    uit = []
    for b in vragen:
        soort = soorten[(b.module, b.versie)]
        assert soort is not None
        sleutel = f"{b.module} {b.versie}"
        if sleutel not in typen:
            typen[sleutel] = beschrijving(soort, rol)
        te_laat = mailbox.te_laat(b, nu)
        uit.append(
            {
                "referentienummer": b.referentienummer,
                "conversatieReferentienummer": b.conversatie_referentienummer,
                "module": b.module,
                "versie": b.versie,
                "berichttype": b.berichttype,
                "berichttypeNaam": (CATALOGUS.zoek(b.module, b.berichttype, b.versie) or soort).naam,
                "ontvanger": b.ontvanger,
                "ontvangerNaam": namen[b.ontvanger],
                "verstuurdOp": _tijd(b.ontvangen_op),
                "antwoordUiterlijk": _tijd(b.antwoord_uiterlijk),
                "teLaat": te_laat,
                "kanHerinneren": te_laat,
                "herinneringen": aantallen.get(b.referentienummer, 0),
                "herinnering": soort.code,
            }
        )
    return {
        "kanHerinneren": any(s is not None for s in soorten.values()),
        "nu": _tijd(nu),
        "vragen": uit,
        "typen": {k: v for k, v in typen.items() if v is not None},
    }


@router.get(PAD + "/herinneringen")
def herinneringen_route(request: Request, conversatie: str = "") -> JSONResponse:
    try:
        gebruiker = _api_gebruiker(request)
        gekozen = _conversatie(conversatie, verplicht=False)
    except ApiFout as fout:
        return _fout(fout)
    assert gebruiker.oin is not None
    with transactie(runtime(request).sessions) as session:
        uit = herinneringen(session, gebruiker.oin, _rol(gebruiker), gekozen, db_nu(session))
    return _json(uit)


# --- the creditors of a client ----------------------------------------------------------------------


@router.get(PAD + "/schuldeisers")
def schuldeisers_route(request: Request, conversatie: str = "") -> JSONResponse:
    """The counterparts of the participant's conversation, in order of first contact."""
    try:
        gebruiker = _api_gebruiker(request)
        gekozen = _conversatie(conversatie, verplicht=True)
    except ApiFout as fout:
        return _fout(fout)
    assert gebruiker.oin is not None and gekozen is not None
    with transactie(runtime(request).sessions) as session:
        tijdlijn = mailbox.conversatie_of_leeg(session, gebruiker.oin, gekozen)
        lijst = [
            {"oin": d.oin, "naam": d.naam, "rol": str(d.rol), "kenmerken": verzendcontrole.kenmerken(d)}
            for d in verzendcontrole.schuldeisers_van(session, gebruiker.oin, tijdlijn)
        ]
    if not lijst:
        return _json(
            {
                "detail": "Er zijn geen berichten van u in deze conversatie: controleer het "
                "conversatieReferentienummer, of vul de ontvangers zelf in."
            },
            404,
        )
    return _json({"schuldeisers": lijst})
