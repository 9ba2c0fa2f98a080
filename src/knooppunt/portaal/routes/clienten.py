"""A debt counsellor's clients (DESIGN §7: "follows answers and deadlines per client").

A client is a conversation. The list and the timeline come from the hub's metadata (what was sent
to and received from each creditor, statuses, answer deadlines, teLaat, reminders); the name the
counsellor recognises the client by is its own encrypted label (``portaal.dossiers``) — or, for a
participant that keeps keys in the browser, only on the werkplek (``routes.werkplek_clienten``):
then these pages show the traject's reference and point there, and search only by reference. Received
answers are read here: fetched and decrypted through the hosted client, shown readably, and
confirmed — after which the hub deletes the content (DESIGN §1.3), so the page says so first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from knooppunt.hub import adresboek, mailbox
from knooppunt.hub.mailbox import WEIGERREDENEN
from knooppunt.portaal import dossiers, formulier
from knooppunt.portaal.fouten import PortaalFout
from knooppunt.portaal.gastclient import Gastclient, GeenSleutel
from knooppunt.portaal.sessies import Afzender, Csrf
from knooppunt.portaal.traject import (
    Vervolg,
    eigen_tijdlijn,
    gastclient,
    kiezen_url,
    kluis,
    opstellen_url,
    tegenpartijen,
    vervolgen,
)
from knooppunt.portaal.weergave import bericht_naam, foutcode, pagina
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.identificatie import is_uuid
from knooppunt.store import berichten as berichten_store
from knooppunt.store import clientlabels
from knooppunt.store import deelnemers as deelnemers_store
from knooppunt.store.models import Bericht

router = APIRouter()
PER_PAGINA = 25
HUB = mailbox.KNOOPPUNT
OPEN = ("aangeboden", "opgehaald")
AFGESLOTEN = ("verlopen", "geweigerd")


@router.get("/clienten", response_class=HTMLResponse)
def lijst(
    request: Request,
    gebruiker: Afzender,
    zoek: str = "",
    paginanummer: Annotated[str, Query(alias="pagina")] = "1",
) -> Response:
    gast = gastclient(request, gebruiker)
    zoek = zoek.strip()[:100]
    nummer = max(1, int(paginanummer)) if paginanummer.isdigit() else 1

    def lees(session: Any, nu: datetime) -> dict[str, Any]:
        deelnemer = gast.deelnemer(session)
        alleen = None
        in_browser = dossiers.in_browser(session, gast.oin)
        if zoek and in_browser:
            alleen = [c for c, _ in _zoek_traject(session, gast.oin, zoek.lower())]
        elif zoek:
            # Labels are encrypted: search them in memory (a counsellor's own clients only).
            alle = dossiers.lees_meerdere(session, kluis(request), gast.oin)
            alleen = [c for c, label in alle.items() if label.zoek(zoek) or c.startswith(zoek.lower())]
        overzicht, totaal = mailbox.conversaties(
            session, deelnemer, nu=nu, limiet=PER_PAGINA, offset=(nummer - 1) * PER_PAGINA, alleen=alleen
        )
        labels = dossiers.lees_meerdere(session, kluis(request), gast.oin, [o.conversatie for o in overzicht])
        # A traject another party started with this one (the fund's verzoek kredietinformatie to a
        # kredietbank, DESIGN §2) is named after that party while it has no label.
        eigenaren = {
            o.eigenaar: (
                d.naam if (d := deelnemers_store.haal(session, o.eigenaar)) is not None else o.eigenaar
            )
            for o in overzicht
            if o.eigenaar != gast.oin
        }
        kop, zin = tegenpartijen(gebruiker.rol, adresboek.modules_van(deelnemer))
        return {
            "overzicht": overzicht,
            "totaal": totaal,
            "labels": labels,
            "eigenaren": eigenaren,
            "namen_in_browser": in_browser,
            "tegenpartijen_kop": kop,
            "tegenpartijen_zin": zin,
        }

    gegevens = gast.lees(lees)
    paginas = max(1, -(-gegevens["totaal"] // PER_PAGINA))
    return pagina(
        request,
        "clienten/lijst.html",
        titel="Cliënten",
        zoek=zoek,
        pagina_nummer=nummer,
        paginas=paginas,
        **gegevens,
    )


def _zoek_traject(session: Any, oin: str, begin: str) -> list[tuple[str, datetime]]:
    """The participant's conversations whose reference starts with ``begin`` (the names live in the
    browser, so that is all the server can search)."""
    if not begin.replace("-", "").isalnum():
        return []
    return [
        (c, op)
        for c, op in clientlabels.conversaties_van(session, oin, hub=HUB, limiet=10_000)
        if c.startswith(begin)
    ]


# --- one client -------------------------------------------------------------------------------------


@dataclass
class Rij:
    """One message in a client's timeline with one creditor."""

    bericht: Bericht
    richting: str  # verstuurd | ontvangen | melding
    status: str = ""
    """The status at this moment (mailbox.status_op: past verlooptOp is verlopen at once)."""
    te_laat: bool = False
    reminders: int | None = None
    antwoorden: list[Bericht] = field(default_factory=list)
    vraag: Bericht | None = None
    over: Bericht | None = None
    """For a notice of the hub: the message it is about."""
    reden: str | None = None
    """For a refused message: why the recipient refused it (the hub's foutbericht GEWEIGERD)."""
    open_vraag: bool = False
    """An own question (saldoverzoek, betaalvoorstel) neither answered nor expired nor refused."""
    kan_lezen: bool = False
    kan_bevestigen: bool = False
    kan_reminder: bool = False
    reminder_url: str = ""
    vervolgen: list[Vervolg] = field(default_factory=list)
    """Links to answer (or refer to) a received message, in its module and version."""


@dataclass
class Schuldeiser:
    """A counterpart in the traject (a creditor, or the fund for a kredietbank) and the messages
    exchanged with it."""

    oin: str
    naam: str
    rijen: list[Rij] = field(default_factory=list)
    conversatie: str = ""

    @property
    def bericht_url(self) -> str:
        """A new message to this party, in the module of the latest message exchanged with it (a
        follow-up continues there, DESIGN §3b)."""
        eigen = [r.bericht for r in self.rijen if r.richting != "melding"]
        module = eigen[-1].module if eigen else None
        return kiezen_url(conversatie=self.conversatie, module=module, ontvanger=self.oin)

    @property
    def open_vragen(self) -> int:
        return sum(1 for r in self.rijen if r.open_vraag)

    @property
    def te_laat(self) -> int:
        return sum(1 for r in self.rijen if r.te_laat)


def _tegenpartij(oin: str, bericht: Bericht, per_ref: dict[str, Bericht]) -> str:
    if bericht.afzender == HUB:
        over = per_ref.get(bericht.cross_referentienummer or "")
        if over is not None:
            return over.ontvanger if over.afzender == oin else over.afzender
        return str((bericht.melding or {}).get("ontvanger", HUB))
    return bericht.ontvanger if bericht.afzender == oin else bericht.afzender


def _schuldeisers(
    session: Any,
    gast: Gastclient,
    tijdlijn: list[Bericht],
    reminders: dict[str, int],
    nu: datetime,
    rol: str | None = None,
) -> list[Schuldeiser]:
    oin = gast.oin
    per_ref = {b.referentienummer: b for b in tijdlijn}
    antwoorden: dict[str, list[Bericht]] = {}
    for b in tijdlijn:
        if b.cross_referentienummer and b.afzender != HUB and b.berichttype != "reminder":
            antwoorden.setdefault(b.cross_referentienummer, []).append(b)
    redenen = {
        b.cross_referentienummer: WEIGERREDENEN.get(
            str(b.melding.get("reden")), "de inhoud was niet te openen"
        )
        for b in tijdlijn
        if b.afzender == HUB
        and b.melding
        and b.melding.get("code") == "GEWEIGERD"
        and b.cross_referentienummer
    }
    groepen: dict[str, Schuldeiser] = {}
    for b in tijdlijn:
        if b.berichttype == "ontvangstbevestiging":
            continue  # shown as the status "Bevestigd" of the message it confirms
        ander = _tegenpartij(oin, b, per_ref)
        if ander not in groepen:
            deelnemer = deelnemers_store.haal(session, ander)
            groepen[ander] = Schuldeiser(
                ander,
                deelnemer.naam if deelnemer is not None else ander,
                conversatie=b.conversatie_referentienummer,
            )
        open_ = mailbox.status_op(b, nu) in OPEN and b.ontvanger == oin
        rij = Rij(
            bericht=b,
            richting="melding" if b.afzender == HUB else ("verstuurd" if b.afzender == oin else "ontvangen"),
            status=mailbox.status_op(b, nu),
            te_laat=mailbox.te_laat(b, nu),
            reminders=reminders.get(b.referentienummer) if mailbox.kan_reminder_krijgen(b) else None,
            antwoorden=antwoorden.get(b.referentienummer, []),
            vraag=per_ref.get(b.cross_referentienummer or "") if b.afzender != HUB else None,
            over=per_ref.get(b.cross_referentienummer or "") if b.afzender == HUB else None,
            reden=redenen.get(b.referentienummer) if b.status == "geweigerd" else None,
            kan_lezen=open_ and b.afzender != HUB,
            kan_bevestigen=open_ and b.afzender == HUB,
        )
        if rij.reminders is None and mailbox.kan_reminder_krijgen(b) and b.afzender == oin:
            rij.reminders = 0
        rij.open_vraag = (
            b.afzender == oin
            and mailbox.kan_reminder_krijgen(b)
            and b.beantwoord_op is None
            and b.status not in AFGESLOTEN
        )
        # A reminder is offered only once it makes sense: the answer term has passed without an
        # answer (art. 2.1, 15.1); before that the creditor still has time.
        rij.kan_reminder = rij.open_vraag and rij.te_laat
        if rij.kan_reminder:
            # The reminder goes in its question's module (15.1, DESIGN §3a).
            rij.reminder_url = opstellen_url(
                "reminder",
                module=b.module,
                ontvanger=ander,
                conversatie=b.conversatie_referentienummer,
                antwoord_op=b.referentienummer,
            )
        if b.ontvanger == oin and rij.status not in AFGESLOTEN:
            # An answer is offered while the question has none (an answer sets it beantwoord);
            # a message that only refers to it (a heroverweging) while it is not closed.
            rij.vervolgen = [
                v
                for v in vervolgen(rol, b, oin=oin)
                if b.beantwoord_op is None or not v.berichttype.beantwoordt_type(b.berichttype)
            ]
        groepen[ander].rijen.append(rij)
    return sorted(groepen.values(), key=lambda s: s.naam.casefold())


def _antwoord_verwacht(bericht: Bericht) -> bool:
    berichttype = CATALOGUS.zoek(bericht.module, bericht.berichttype)
    return berichttype is not None and berichttype.antwoord_verwacht


def klantnummer_label(tijdlijn: list[Bericht]) -> str:
    """The label of the organisation's own number for the client (DESIGN §7: the user's words, not
    the standard's ``klantnummerSHV``): a kredietbank's case with the fund is known by its kenmerk
    (module waarborgfonds), every other traject by the sender's own klantnummer."""
    if tijdlijn and all(b.module == "waarborgfonds" for b in tijdlijn if b.afzender != HUB):
        return "Kenmerk (uw nummer van het saneringskrediet)"
    return "Uw klantnummer"


@router.get("/clienten/{conversatie}", response_class=HTMLResponse)
def client(request: Request, gebruiker: Afzender, conversatie: str) -> Response:
    gast = gastclient(request, gebruiker)
    conversatie = conversatie.lower()
    tijdlijn = list(eigen_tijdlijn(gast, conversatie))

    def lees(session: Any, nu: datetime) -> dict[str, Any]:
        deelnemer = gast.deelnemer(session)
        eigen = [b for b in tijdlijn if b.afzender == gast.oin]
        reminders = mailbox.aantal_reminders(session, deelnemer, eigen)
        eigenaar = berichten_store.conversatie_eigenaar(session, conversatie)
        ander = deelnemers_store.haal(session, eigenaar) if eigenaar and eigenaar != gast.oin else None
        # Received messages still to confirm: unconfirmed they expire and their content is gone
        # (DESIGN §6, art. 17.3), so the page says how many and until when.
        onbevestigd = [
            b
            for b in tijdlijn
            if b.ontvanger == gast.oin
            and b.berichttype != "ontvangstbevestiging"
            and mailbox.status_op(b, nu) in OPEN
        ]
        return {
            "schuldeisers": _schuldeisers(session, gast, tijdlijn, reminders, nu, gebruiker.rol),
            "label": dossiers.lees(session, kluis(request), gast.oin, conversatie),
            "namen_in_browser": dossiers.in_browser(session, gast.oin),
            "gestart_door": ander.naam if ander is not None else None,
            "onbevestigd": len(onbevestigd),
            "eerst_verlopend": min((b.verloopt_op for b in onbevestigd), default=None),
        }

    gegevens = gast.lees(lees)
    params = request.query_params
    if gegevens["label"]:
        titel = gegevens["label"].tekst
    elif gegevens["gestart_door"]:
        titel = f"Traject met {gegevens['gestart_door']}"
    elif gegevens["namen_in_browser"]:
        titel = f"Traject {conversatie[:8]}"
    else:
        titel = "Cliënt zonder naam"
    return pagina(
        request,
        "clienten/client.html",
        titel=titel,
        nieuw_bericht_url=kiezen_url(conversatie=conversatie),
        conversatie=conversatie,
        bevestigd=params.get("bevestigd", ""),
        label_bewaard=params.get("label") == "bewaard",
        antwoord_verwacht=_antwoord_verwacht,
        klantnummer_label=klantnummer_label(tijdlijn),
        **gegevens,
    )


@router.post("/clienten/{conversatie}/label", dependencies=[Csrf])
def label_wijzigen(
    request: Request,
    gebruiker: Afzender,
    conversatie: str,
    klantnummer: Annotated[str, Form()] = "",
    naam: Annotated[str, Form()] = "",
) -> Response:
    gast = gastclient(request, gebruiker)
    conversatie = conversatie.lower()
    eigen_tijdlijn(gast, conversatie)
    label = dossiers.maak_label(klantnummer, naam)
    if gast.lees(lambda session, _nu: dossiers.in_browser(session, gast.oin)):
        raise PortaalFout(
            "Uw organisatie bewaart de namen van cliënten versleuteld in de browser: het knooppunt mag "
            "ze niet leesbaar krijgen. Geef de cliënt een naam op de werkplek (Sleutels en berichten in "
            "de browser, onderdeel Cliënten).",
            status=409,
            titel="Naam niet bewaard",
        )
    if not label.klantnummer and not label.naam:
        raise PortaalFout(
            "Vul een klantnummer of een naam in om de cliënt te herkennen. Ga terug en probeer het opnieuw.",
            titel="Naam niet bewaard",
        )
    gast.lees(
        lambda session, nu: dossiers.bewaar(
            session, kluis(request), oin=gast.oin, conversatie=conversatie, label=label, nu=nu
        )
    )
    return RedirectResponse(f"/portaal/clienten/{conversatie}?label=bewaard", status_code=303)


# --- reading and confirming what a creditor sent ----------------------------------------------------


def _ontvangen(gast: Gastclient, conversatie: str, referentienummer: str) -> tuple[list[Bericht], Bericht]:
    """The timeline and the message in it addressed to this participant; 404 otherwise."""
    tijdlijn = list(eigen_tijdlijn(gast, conversatie))
    bericht = next(
        (b for b in tijdlijn if b.referentienummer == referentienummer.lower() and b.ontvanger == gast.oin),
        None,
    )
    if bericht is None or not is_uuid(referentienummer.lower()):
        raise PortaalFout(
            "Dit bericht bestaat niet of is niet aan uw organisatie gericht.",
            status=404,
            titel="Niet gevonden",
        )
    return tijdlijn, bericht


@router.get("/clienten/{conversatie}/berichten/{referentienummer}", response_class=HTMLResponse)
def lezen(request: Request, gebruiker: Afzender, conversatie: str, referentienummer: str) -> Response:
    gast = gastclient(request, gebruiker)
    conversatie = conversatie.lower()
    tijdlijn, bericht = _ontvangen(gast, conversatie, referentienummer)
    try:
        geopend = gast.haal_op(waarvoor="lezen", referentienummers=[bericht.referentienummer])
    except GeenSleutel as exc:
        raise PortaalFout(
            f"Het portaal kan dit bericht niet openen: {exc}.", status=409, titel="Bericht niet te openen"
        ) from exc
    ontvangen = geopend[0] if geopend else None
    vraag = next((b for b in tijdlijn if b.referentienummer == bericht.cross_referentienummer), None)
    afzender = gast.lees(lambda session, _nu: deelnemers_store.haal(session, bericht.afzender))
    # A traject without a label is named from what the message says of it (its kenmerk, the
    # client's name and the own klantnummer), as on the werkplek ("Namen uit de berichten").
    payload = ontvangen.payload if ontvangen is not None and ontvangen.fout is None else None
    label, in_browser = gast.lees(
        lambda session, nu: (
            dossiers.noem(
                session, kluis(request), oin=gast.oin, conversatie=conversatie, payload=payload, nu=nu
            ),
            dossiers.in_browser(session, gast.oin),
        )
    )
    return pagina(
        request,
        "clienten/bericht.html",
        titel=bericht_naam(bericht),
        klant=dossiers.klant_uit_payload(ontvangen.payload) if ontvangen is not None else None,
        conversatie=conversatie,
        bericht=bericht,
        ontvangen=ontvangen,
        inhoud=formulier.toon(ontvangen.payload) if ontvangen is not None and ontvangen.payload else None,
        vraag=vraag,
        afzender=afzender,
        label=label,
        namen_in_browser=in_browser,
        vervolgen=vervolgen(gebruiker.rol, bericht, oin=gast.oin) if ontvangen is not None else [],
    )


@router.post("/clienten/{conversatie}/berichten/{referentienummer}/bevestig", dependencies=[Csrf])
def bevestigen(request: Request, gebruiker: Afzender, conversatie: str, referentienummer: str) -> Response:
    gast = gastclient(request, gebruiker)
    conversatie = conversatie.lower()
    _, bericht = _ontvangen(gast, conversatie, referentienummer)
    ((_, _, code),) = gast.bevestig([bericht.referentienummer])
    if code == "VERLOPEN":
        afzender = gast.lees(lambda session, _nu: deelnemers_store.haal(session, bericht.afzender))
        wie = afzender.naam if afzender is not None else "de afzender"
        raise PortaalFout(
            "Dit bericht is niet binnen de bevestigingstermijn bevestigd en is verlopen: de inhoud is "
            f"verwijderd en {wie} heeft daarvan een melding gekregen (art. 17.5). Vraag {wie} het "
            "opnieuw te sturen.",
            status=410,
            titel="Bericht verlopen",
        )
    if code is not None:
        raise PortaalFout(
            f"Het knooppunt kon het bericht niet bevestigen: {foutcode(code)} Laad de cliënt opnieuw en "
            "probeer het nog eens.",
            status=409,
        )
    return RedirectResponse(
        f"/portaal/clienten/{conversatie}?bevestigd={bericht.referentienummer}", status_code=303
    )
