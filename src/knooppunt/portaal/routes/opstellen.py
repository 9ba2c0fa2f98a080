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

import base64
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from knooppunt.client.fouten import VerzendFout
from knooppunt.hub import adresboek
from knooppunt.hub.fouten import HubFout
from knooppunt.portaal import antwoordnummers, dossiers, formulier, verzendcontrole, weergave
from knooppunt.portaal.browsersleutels import naar_werkplek, weiger_op_de_server
from knooppunt.portaal.fouten import PortaalFout
from knooppunt.portaal.gastclient import Gastclient, GeenSleutel, TeVersturen
from knooppunt.portaal.sessies import Afzender, Csrf, Gebruiker
from knooppunt.portaal.traject import (
    MODULE,
    afzendermodules,
    afzendertype,
    afzendertypen,
    eigen_tijdlijn,
    gastclient,
    kluis,
)
from knooppunt.portaal.weergave import pagina
from knooppunt.protocol.catalogus import CATALOGUS, KENNISGEVINGEN, Berichttype, versiesleutel
from knooppunt.protocol.identificatie import is_uuid
from knooppunt.protocol.werkdagen import AMSTERDAM
from knooppunt.store import berichten as berichten_store
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


MAX_BIJLAGE = 1024 * 1024
"""A document in a payload (a beschikking, a toestemmingsverklaring): at most 1 MiB (DESIGN §3b)."""


def _eigen_versies(gast: Gastclient) -> dict[str, list[str]]:
    """Per module the participant joined, the versions it accepts."""
    return gast.lees(lambda session, _nu: adresboek.versies_per_module(gast.deelnemer(session)))


def _module(gebruiker: Gebruiker, eigen: Mapping[str, Sequence[str]], gevraagd: str) -> str | None:
    """The module to compose in: the one asked for when the user composes there, else its first."""
    modules = afzendermodules(gebruiker.rol, list(eigen))
    if gevraagd in modules:
        return gevraagd
    return modules[0] if modules else None


def _hoogste(versies: Sequence[str]) -> str | None:
    return max(versies, key=versiesleutel) if versies else None


def gemeenschappelijke_versie(
    gast: Gastclient, module: str, ontvangers: Sequence[str]
) -> tuple[str | None, str]:
    """The version to send in (DESIGN §3a): the highest both the sender and each recipient accept,
    which must be the same for every chosen recipient (one form, one schema). Returns (versie,
    Dutch explanation when there is none)."""

    def lees(session: Any, _nu: Any) -> tuple[str | None, str]:
        ik = gast.deelnemer(session)
        per: dict[str, list[str]] = {}
        for oin in ontvangers:
            ander = deelnemers_store.haal(session, oin)
            if ander is None or module not in adresboek.modules_van(ander):
                continue  # named on the page as not reachable
            versie = adresboek.hoogste_gemeenschappelijke_versie(ik, ander, module)
            if versie is None:
                return None, (
                    f"{ander.naam} gebruikt {weergave.modulenaam(module)} alleen in versie "
                    f"{', '.join(adresboek.versies_van(ander, module))}, u in versie "
                    f"{', '.join(adresboek.versies_van(ik, module))}: dit bericht kan niet via het knooppunt."
                )
            per.setdefault(versie, []).append(ander.naam)
        if len(per) > 1:
            delen = "; ".join(f"versie {v}: {', '.join(namen)}" for v, namen in sorted(per.items()))
            return None, (
                f"De gekozen ontvangers gebruiken verschillende versies van {weergave.modulenaam(module)} "
                f"({delen}). Stuur het bericht per versie apart: kies alleen ontvangers met dezelfde versie."
            )
        if per:
            return next(iter(per)), ""
        return _hoogste(adresboek.versies_van(ik, module)), ""

    return gast.lees(lees)


def _label(gast: Gastclient, request: Request, conversatie: str) -> dossiers.Label | None:
    return gast.lees(lambda session, _nu: dossiers.lees(session, kluis(request), gast.oin, conversatie))


@router.get("/opstellen", response_class=HTMLResponse)
def kiezen(
    request: Request,
    gebruiker: Afzender,
    berichttype: str = "",
    module: str = "",
    zoek: str = "",
    ontvanger: Annotated[list[str] | None, Query()] = None,
    conversatie: str = "",
    antwoord_op: str = "",
    actie: str = "",
) -> Response:
    if (werkplek := naar_werkplek(request, gebruiker, "opstellen")) is not None:
        return werkplek
    gast = gastclient(request, gebruiker)
    conversatie = conversatie.strip().lower()
    tijdlijn = eigen_tijdlijn(gast, conversatie) if conversatie else []
    gekozen = _ontvangers(ontvanger or [])
    zoek = zoek.strip()[:100]
    eigen = _eigen_versies(gast)
    if conversatie and not module and tijdlijn:
        module = tijdlijn[-1].module  # a follow-up continues in the traject's latest module
    gekozen_module = _module(gebruiker, eigen, module)
    if gekozen_module is None:
        raise PortaalFout(
            "Uw organisatie doet niet mee aan een module waarin u berichten opstelt. Vraag de beheerder "
            "van het knooppunt uw modules aan te passen.",
            status=403,
            titel="Geen module",
        )
    module = gekozen_module
    typen = afzendertypen(gebruiker.rol, module, nieuw=not conversatie, versies=eigen[module])
    naar = sorted({str(r) for t in typen for r in t.naar})
    fouten: dict[str, str] = {}
    if actie == "verder":
        if berichttype not in {t.code for t in typen}:
            fouten["berichttype"] = "Kies welk bericht u wilt sturen."
        if not gekozen:
            fouten["ontvanger"] = (
                f"Kies minstens één {ontvangerwoord(naar)}. Zoek hieronder op naam of KvK-nummer."
            )
        else:
            versie, waarom = gemeenschappelijke_versie(gast, module, gekozen)
            if versie is None:
                fouten["ontvanger"] = waarom
            elif berichttype and not fouten and CATALOGUS.zoek(module, berichttype, versie) is None:
                fouten["berichttype"] = (
                    f"Dit bericht bestaat niet in versie {versie} van {weergave.modulenaam(module)}, de "
                    "versie die u en de gekozen ontvangers gebruiken. Kies een ander bericht."
                )
        if not fouten:
            query: list[tuple[str, str]] = [("berichttype", berichttype), ("module", module)]
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
                session,
                rol=naar[0] if len(naar) == 1 else None,
                module=None,
                zoekterm=zoek,
                na_oin=None,
                limiet=ZOEK_LIMIET,
            ):
                if str(d.rol) not in naar:
                    continue
                _, waarom_niet = gast.bereikbaar(session, d.oin, module)
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
        module=module,
        versies=sorted(eigen[module], key=versiesleutel),
        modules=afzendermodules(gebruiker.rol, list(eigen)),
        ontvangers_woord=ontvangerwoord(naar, meervoud=True),
        ontvanger_woord=ontvangerwoord(naar),
        berichttype=berichttype,
        zoek=zoek,
        conversatie=conversatie,
        antwoord_op=antwoord_op,
        fouten=fouten,
        zoek_kvk=zoek.isdigit() and len(zoek) == 8,
        **gegevens,
    )


def ontvangerwoord(rollen: Sequence[str], *, meervoud: bool = False) -> str:
    """How the page names the recipients of a module's messages."""
    if list(rollen) == ["WF"]:
        return "fondsen" if meervoud else "fonds"
    if list(rollen) == ["SE"]:
        return "schuldeisers" if meervoud else "schuldeiser"
    return "ontvangers" if meervoud else "ontvanger"


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


def _nummers(
    request: Request,
    gast: Gastclient,
    *,
    soort: Berichttype,
    conversatie: str,
    nieuw: bool,
    gekozen: Mapping[str, str],
    payload: Mapping[str, Any],
    ontvangers: Sequence[str],
) -> dict[str, str]:
    """Each creditor's referentienummer, made from what is sent (DESIGN §7: "a resubmitted form
    sends nothing twice"): a UUIDv8 from an HMAC, under the participant's secret, of the type, the
    conversation (none for a new client: a form shown again makes a new one), the question answered,
    the payload, the recipient and the day (Europe/Amsterdam) — as an upload's statusverzoek is
    numbered (antwoordnummers). So the same form sent twice the same day — a double click, the back
    button and Versturen again, the form opened twice — is found as sent; a number made when the
    form was shown was new after the back button re-fetched the page (an independent portal probe
    sent einde_bewind twice that way)."""

    def werk(session: Any, nu: datetime) -> dict[str, str]:
        sleutel = antwoordnummers.geheim(session, kluis(request), gast.oin, nu=nu)
        dag = nu.astimezone(AMSTERDAM).date().isoformat()
        return {
            oin: antwoordnummers.uuid8(
                sleutel,
                antwoordnummers.canoniek(
                    berichttype=soort.code,
                    module=soort.module,
                    versie=soort.versie,
                    conversatie="" if nieuw else conversatie,
                    antwoord_op=gekozen.get(oin) or None,
                    payload=payload,
                    ontvanger=oin,
                    dag=dag,
                ),
            )
            for oin in ontvangers
        }

    return gast.lees(werk)


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
    gekozen: Mapping[str, str],
    fouten: Mapping[str, list[str]] | None = None,
    melding: str | None = None,
    status_code: int = 200,
    ander_kenmerk: tuple[str, str] | None = None,
) -> HTMLResponse:
    context = _context(request, gebruiker, berichttype, ontvangers, conversatie, nieuw, gekozen)
    vorm = formulier.bouw(
        berichttype.module, berichttype.code, invoer, fouten, berichttype.versie, rol=gebruiker.rol
    )
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
        is_kennisgeving=_is_kennisgeving(berichttype),
        melding=melding,
        met_bijlage=any(v.soort == "bijlage" for veld in vorm.velden for v in formulier.alle(veld)),
        ontvangers_woord=ontvangerwoord(sorted(str(r) for r in berichttype.naar), meervoud=True),
        ander_kenmerk=ander_kenmerk,
        **context,
    )


def _soort(
    gebruiker: Gebruiker,
    gast: Gastclient,
    module: str,
    code: str,
    ontvangers: Sequence[str],
    nieuw: bool,
    *,
    conversatie: str = "",
    antwoord_op: str = "",
) -> Berichttype | None:
    """The type to compose, in the version the sender and the recipients share — or, when it names
    another message of the conversation (a reminder, an answer), in that message's version (DESIGN
    §3a: a 1.0 question still open after a switch to 2.0 is finished in 1.0). None when the user
    cannot compose it here (the first step explains why)."""
    gekozen = _module(gebruiker, _eigen_versies(gast), module or MODULE)
    if gekozen is None or (module and gekozen != module):
        return None
    if not nieuw and is_uuid(conversatie):
        soorten = {
            t.versie: t
            for versie in CATALOGUS.versies(gekozen, code)
            if (t := afzendertype(gebruiker.rol, gekozen, code, versie)) is not None
        }
        if soorten:
            # The user's own conversation (else "Cliënt niet gevonden", as the page would say anyway).
            tijdlijn = [b for b in eigen_tijdlijn(gast, conversatie) if b.module == gekozen]
            versie = verzendcontrole.versie_van_verwijzing(
                soorten, gast.oin, ontvangers, tijdlijn, antwoord_op.lower() or None
            )
            if versie is not None:
                return soorten[versie]
    versie, _ = gemeenschappelijke_versie(gast, gekozen, ontvangers)
    if versie is None:
        return None
    soort = afzendertype(gebruiker.rol, gekozen, code, versie)
    if soort is None or (
        nieuw and soort not in afzendertypen(gebruiker.rol, gekozen, nieuw=True, versie=versie)
    ):
        return None
    return soort


EIGEN_NUMMER = dossiers.EIGEN_NUMMERS
"""The sender's own number of the client or case, by module: the counsellor's, the bewindvoerder's,
the kredietbank's kenmerk (waarborgfonds: one conversation per case)."""
EIGEN_CONTACT = ("contactpersoonSHV", "bewindvoerder", "contact")
"""The sender's own contact block, by module."""


def _eigen_veld(soort: Berichttype, namen: Sequence[str]) -> str | None:
    """The first of ``namen`` that is a field of the type's payload."""
    velden = {k.naam for k in formulier.sjabloon(soort.module, soort.code, soort.versie).kinderen}
    return next((n for n in namen if n in velden), None)


def _vooraf(
    request: Request,
    gebruiker: Gebruiker,
    gast: Gastclient,
    soort: Berichttype,
    conversatie: str,
    nieuw: bool,
) -> dict[str, Any]:
    """What the form starts with: the user's name as the contact person; in a client's conversation
    the number the client (or case) is known by (its label); after a pro-formaborgstelling the
    case's kenmerk and the pro forma's reference from the fund's gebeurtenis."""
    vooraf: dict[str, Any] = {}
    if (contact := _eigen_veld(soort, EIGEN_CONTACT)) is not None:
        vooraf[contact] = {"naam": gebruiker.gebruiker}
    if nieuw:
        return vooraf
    label = _label(gast, request, conversatie)
    if label is not None and label.klantnummer and (nummer := _eigen_veld(soort, EIGEN_NUMMER)):
        vooraf[nummer] = label.klantnummer
    if _eigen_veld(soort, ("proFormaBorgstelling",)):
        vooraf.update(_pro_forma(gast, conversatie))
    return vooraf


def _pro_forma(gast: Gastclient, conversatie: str) -> dict[str, str]:
    """The kenmerk and proFormaBorgstelling of the newest gebeurtenis ``pro_forma_afgegeven`` the
    fund sent in this conversation that the user has opened and not yet confirmed (its content is
    on the hub until then; one still unread is not fetched here, so composing marks nothing read)."""
    gelezen = [
        b.referentienummer
        for b in eigen_tijdlijn(gast, conversatie)
        if b.ontvanger == gast.oin and b.berichttype == "gebeurtenis" and b.status == "opgehaald"
    ]
    if not gelezen:
        return {}
    try:
        geopend = gast.haal_op(waarvoor="opstellen", referentienummers=gelezen[-10:])
    except GeenSleutel:
        return {}
    for ontvangen in reversed(geopend):
        payload = ontvangen.payload or {}
        if payload.get("gebeurtenis") == "pro_forma_afgegeven" and payload.get("proFormaBorgstelling"):
            return {k: str(payload[k]) for k in ("kenmerk", "proFormaBorgstelling") if payload.get(k)}
    return {}


@router.get("/opstellen/inhoud", response_class=HTMLResponse)
def inhoud(
    request: Request,
    gebruiker: Afzender,
    berichttype: str = "",
    module: str = "",
    ontvanger: Annotated[list[str] | None, Query()] = None,
    conversatie: str = "",
    antwoord_op: str = "",
) -> Response:
    if (werkplek := naar_werkplek(request, gebruiker, "opstellen")) is not None:
        return werkplek
    ontvangers = _ontvangers(ontvanger or [])
    nieuw = not conversatie
    gast = gastclient(request, gebruiker)
    soort = (
        _soort(
            gebruiker,
            gast,
            module,
            berichttype,
            ontvangers,
            nieuw,
            conversatie=conversatie,
            antwoord_op=antwoord_op,
        )
        if ontvangers
        else None
    )
    if soort is None or not ontvangers:
        terug = [("actie", "verder"), ("module", module), ("berichttype", berichttype)]
        terug += [("ontvanger", o) for o in ontvangers]
        if conversatie:
            terug.append(("conversatie", conversatie))
        return RedirectResponse(f"{PAD}?{urlencode(terug)}", status_code=303)
    conversatie = _controleer_traject(request, gebruiker, conversatie, nieuw)
    invoer = formulier.vul_in(
        formulier.Invoer(), _vooraf(request, gebruiker, gast, soort, conversatie, nieuw)
    )
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
        gekozen=gekozen,
    )


@router.post("/opstellen/inhoud", response_class=HTMLResponse, dependencies=[Csrf])
async def inhoud_verwerken(request: Request, gebruiker: Afzender) -> Response:
    weiger_op_de_server(request, gebruiker, "een bericht opstellen")  # before the form is read
    # A document (PDF) travels back in a hidden field as base64 when the form is shown again.
    form = await request.form(max_part_size=2 * MAX_BIJLAGE)
    bijlagen: dict[str, str] = {}
    bijlagefouten: dict[str, list[str]] = {}
    for sleutel, waarde in form.multi_items():
        if isinstance(waarde, UploadFile) and sleutel.startswith(BESTAND_PREFIX) and waarde.filename:
            data = await waarde.read(MAX_BIJLAGE + 1)
            pad = sleutel[len(BESTAND_PREFIX) :]
            if len(data) > MAX_BIJLAGE:
                bijlagefouten[pad] = ["is groter dan 1 MB; verklein het document"]
            elif not data.startswith(b"%PDF"):
                bijlagefouten[pad] = ["is geen PDF-document"]
            else:
                bijlagen[formulier.PREFIX + pad] = base64.b64encode(data).decode("ascii")
                # The document block's name and media type, from the file (hidden in the form).
                blok = pad.rsplit(".", 1)[0] + "." if "." in pad else ""
                bijlagen[f"{formulier.PREFIX}{blok}bestandsnaam"] = bestandsnaam(waarde.filename)
                bijlagen[f"{formulier.PREFIX}{blok}mediatype"] = "application/pdf"
    # The rest reads the database, seals and submits: in a thread, never on the event loop.
    return await run_in_threadpool(_inhoud_verwerken, request, gebruiker, form, bijlagen, bijlagefouten)


BESTAND_PREFIX = "bestand."
MAX_BESTANDSNAAM = 200
"""A document's ``bestandsnaam`` is at most 200 characters (velden.PdfDocument)."""


def bestandsnaam(naam: str) -> str:
    """The name of an uploaded PDF as the payload's ``bestandsnaam``: without a folder, without
    control characters or spaces at the ends, at most 200 characters with its extension kept."""
    kaal = naam.replace("\\", "/").rsplit("/", 1)[-1]
    kaal = "".join(c if c.isprintable() else " " for c in kaal).strip() or "document.pdf"
    if len(kaal) > MAX_BESTANDSNAAM:
        stam, punt, ext = kaal.rpartition(".")
        ext = ext[:10] if punt else ""
        kaal = (stam if punt else kaal)[: MAX_BESTANDSNAAM - len(ext) - 1].rstrip() + (
            f".{ext}" if ext else ""
        )
    return kaal


def _inhoud_verwerken(
    request: Request,
    gebruiker: Gebruiker,
    form: FormData,
    bijlagen: Mapping[str, str] | None = None,
    bijlagefouten: Mapping[str, list[str]] | None = None,
) -> Response:
    velden: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    velden.update(bijlagen or {})
    ontvangers = _ontvangers([v for v in form.getlist("ontvanger") if isinstance(v, str)])
    nieuw = velden.get("nieuw") == "1"
    gast = gastclient(request, gebruiker)
    module = str(velden.get("module", "")) or MODULE
    gekozen = _gekozen_verwijzingen(velden, ontvangers)
    soort = _soort(
        gebruiker,
        gast,
        module,
        str(velden.get("berichttype", "")),
        ontvangers,
        nieuw,
        conversatie=str(velden.get("conversatie", "")).strip().lower(),
        antwoord_op=next((v for v in gekozen.values() if v), ""),
    )
    if soort is None or not ontvangers:
        return RedirectResponse(f"{PAD}?{urlencode({'module': module})}", status_code=303)
    conversatie = _controleer_traject(request, gebruiker, str(velden.get("conversatie", "")), nieuw)
    invoer = formulier.Invoer.uit_formulier(velden)
    actie = str(velden.get("actie", ""))
    gemeen: dict[str, Any] = {
        "berichttype": soort,
        "ontvangers": ontvangers,
        "conversatie": conversatie,
        "nieuw": nieuw,
        "gekozen": gekozen,
    }
    sj = formulier.sjabloon(soort.module, soort.code, soort.versie)
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

    gelezen = formulier.lees(soort.module, soort.code, invoer, soort.versie, afzender_rol=gebruiker.rol)
    if bijlagefouten:
        gelezen.fouten.update({pad: list(r) for pad, r in bijlagefouten.items()})
    if not gelezen.geldig:
        return _inhoudpagina(
            request, gebruiker, invoer=gelezen.invoer, fouten=gelezen.fouten, status_code=400, **gemeen
        )
    ander = None if nieuw else _ander_kenmerk(request, gast, conversatie, gelezen.payload)
    if actie == "controleren" or (ander is not None and velden.get("kenmerk_akkoord") != ander[0]):
        # A kenmerk other than the case's: said before anything is sent, and sent only once the user
        # confirms it (a warning, not a refusal: the case may have a new number).
        return _inhoudpagina(
            request,
            gebruiker,
            invoer=gelezen.invoer,
            melding="Het formulier is volledig ingevuld. Controleer de gegevens en kies Versturen."
            if actie == "controleren"
            else None,
            ander_kenmerk=ander,
            **gemeen,
        )
    return _verstuur(request, gebruiker, gelezen, velden, **gemeen)


def _ander_kenmerk(
    request: Request, gast: Gastclient, conversatie: str, payload: Mapping[str, Any]
) -> tuple[str, str] | None:
    """(the kenmerk typed, the case's) when a message in a case's conversation names another kenmerk
    than the one the case is known by (its label: waarborgfonds, one conversation per case)."""
    kenmerk = payload.get("kenmerk")
    if not isinstance(kenmerk, str) or not kenmerk:
        return None
    label = _label(gast, request, conversatie)
    if label is None or not label.klantnummer or label.klantnummer == kenmerk:
        return None
    return kenmerk, label.klantnummer


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
    gekozen: Mapping[str, str],
) -> HTMLResponse:
    soort = berichttype
    gast = gastclient(request, gebruiker)
    controles = _context(request, gebruiker, soort, ontvangers, conversatie, nieuw, gekozen)["controles"]
    referenties = _nummers(
        request,
        gast,
        soort=soort,
        conversatie=conversatie,
        nieuw=nieuw,
        gekozen={c.oin: c.gekozen or "" for c in controles},
        payload=gelezen.payload,
        ontvangers=[c.oin for c in controles],
    )
    uitkomsten = []
    for controle in controles:
        uitkomst = Uitkomst(controle)
        uitkomsten.append(uitkomst)
        bericht = TeVersturen(
            ontvanger=controle.oin,
            berichttype=soort.code,
            payload=gelezen.payload,
            conversatie=conversatie,
            module=soort.module,
            versie=soort.versie,
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
    al = [referenties[u.controle.oin] for u in uitkomsten if u.al_verstuurd]
    if al and not gelukt:
        # Sent before (a new client's form shown again had made a new conversation number): the
        # links lead to the conversation it went in.
        eerder = gast.lees(lambda session, _nu: berichten_store.op_referentie(session, al[0]))
        if eerder is not None and eerder.afzender == gast.oin:
            conversatie, nieuw = eerder.conversatie_referentienummer, False
    label = None
    if gelukt:
        label = _bewaar_label(request, gast, conversatie, gelezen.payload)
    # The name the user chose it by on the first step (that of the oldest version it accepts), when
    # the version sent names it otherwise: the page says both, and in which protocol it went.
    gekozen_als = next(
        (
            t
            for t in afzendertypen(
                gebruiker.rol, soort.module, nieuw=False, versies=_eigen_versies(gast)[soort.module]
            )
            if t.code == soort.code and t.naam != soort.naam
        ),
        None,
    )
    return pagina(
        request,
        "opstellen/verstuurd.html",
        gekozen_als=gekozen_als,
        status_code=200 if gelukt or all(u.al_verstuurd for u in uitkomsten) else 422,
        titel="Verzonden" if gelukt else "Niet verzonden",
        berichttype=soort,
        uitkomsten=uitkomsten,
        gelukt=gelukt,
        conversatie=conversatie,
        nieuw=nieuw and not gelukt,
        label=label,
        is_kennisgeving=_is_kennisgeving(soort),
        typen=afzendertypen(gebruiker.rol, soort.module, nieuw=nieuw and not gelukt, versie=soort.versie),
        volgend=VOLGEND.get(soort.code, soort.code) if gelukt else soort.code,
        overnemen=sorted((k, v) for k, v in velden.items() if k.startswith(formulier.PREFIX)),
        # The term of what was sent: its module's own, else that of its version (DESIGN §3a, §3b).
        termijn=weergave.werkdagen(request.app.state.runtime.instellingen.antwoordtermijn_van(soort)),
    )


def _is_kennisgeving(berichttype: Berichttype) -> bool:
    """A kennisgeving counts under the NVVK convenants and is no VISH notice (art. 3.3, 3.4), in
    schuldregeling as in the Landelijke pauzeknop, whose pause runs on the kennisgeving (DESIGN §3b)."""
    return berichttype.code in KENNISGEVINGEN and berichttype.module in (MODULE, "pauzeknop")


def _bewaar_label(
    request: Request, gast: Gastclient, conversatie: str, payload: Mapping[str, Any]
) -> dossiers.Label | None:
    """The first message for a client names it: the sender's own number of the client
    (klantnummerSHV, klantnummerBW, or a case's kenmerk) plus the client's name, encrypted (the hub
    keeps no names). An existing label is kept."""

    def werk(session: Any, nu: Any) -> dossiers.Label | None:
        bestaand = dossiers.lees(session, kluis(request), gast.oin, conversatie)
        if bestaand is not None:
            return bestaand
        label = dossiers.label_uit_payload(payload)  # the own number (EIGEN_NUMMERS) and the name
        if label is not None:
            dossiers.bewaar(
                session, kluis(request), oin=gast.oin, conversatie=conversatie, label=label, nu=nu
            )
        return label

    return gast.lees(werk)
