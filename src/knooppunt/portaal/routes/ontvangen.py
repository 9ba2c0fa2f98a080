"""Received messages (art. 16–17, DESIGN §7): the open inbox as metadata with the moment each
message expires; download as a zip (marks them downloaded; again as often as needed until
confirmed or expired); confirm; the hub's notices shown and confirmed in the portal; one message
read in the browser, and refused when its content cannot be opened. All of it for hosted keys: a
participant whose keys are in the browser sees the list and is sent to the werkplek, which opens,
zips, refuses and confirms in the browser (`werkplek_download`); the server does not try."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from knooppunt.client.hub import Ontvangen
from knooppunt.hub import mailbox
from knooppunt.hub.mailbox import WEIGERREDENEN, kies_pagina
from knooppunt.portaal import dossiers, export, kluismigratie, leesbaar
from knooppunt.portaal.browsersleutels import in_browser
from knooppunt.portaal.export import SLEUTEL_ONTBREEKT
from knooppunt.portaal.fouten import PortaalFout
from knooppunt.portaal.gastclient import HUB, Gastclient, GeenSleutel
from knooppunt.portaal.sessies import Csrf, DeelnemerGebruiker, Gebruiker, runtime
from knooppunt.portaal.traject import CLIENTROLLEN, trajectnamen, vervolgen
from knooppunt.portaal.weergave import (
    bericht_naam,
    eigen_berichten,
    grootte,
    melding_weergave,
    oins_in_melding,
    pagina,
)
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.store import berichten as berichten_store
from knooppunt.store.models import Bericht

router = APIRouter()
MAX_ZIP = 1000
"""Messages per download: a zip of 1,000 is built within 3 s (docs/performance.md)."""
MAX_RIJEN = 1000
"""Rows the page lists; "Download alle" takes the oldest `MAX_ZIP` whatever the page shows."""
MELDINGEN = frozenset({"foutbericht", "ontvangstbevestiging"})
MAX_VRAGEN = 200
"""Rows of confirmed questions still to answer the page lists, the earliest deadline first."""


def client_voor(request: Request, gebruiker: Gebruiker) -> Gastclient:
    assert gebruiker.oin is not None
    return Gastclient(runtime(request), request.app.state.kluis, gebruiker.oin, wie=gebruiker.audit_actor)


async def _keuzeformulier(request: Request) -> FormData:
    """The form, read with room for a checkbox per listed message (Starlette's default stops at
    1,000 fields); the CSRF check then reads the same, already parsed, form. No ``Form()``
    parameters on these routes: FastAPI would read the body first, with the default limit."""
    return await request.form(max_fields=MAX_RIJEN + 10)


Keuzes = Annotated[FormData, Depends(_keuzeformulier)]


def _oude_sleutel(client: Gastclient, refs: Collection[str] | None = None) -> set[str]:
    """Of the open messages (or of those among ``refs``), the numbers sealed for a key the portal
    hosted for this organisation before it made keys in the browser: the werkplek cannot open
    them, the portal still does, server-side as before, until they are confirmed, refused or
    expired (DESIGN §5 "Migration"; docs/portaal.md "Migrating hosted keys")."""

    def lees(session: Session, nu: datetime) -> set[str]:
        if not kluismigratie.oude_sleutels(session, client.oin):
            return set()
        rijen = [
            (b.id, b.referentienummer)
            for b in mailbox.open_berichten(session, client.deelnemer(session), nu=nu)
            if b.melding is None and (refs is None or b.referentienummer in refs)
        ]
        return kluismigratie.voor_oude_sleutel(session, client.oin, rijen)

    return client.lees(lees)


def _niet_op_de_server(request: Request, gebruiker: Gebruiker, refs: Collection[str]) -> None:
    """Keys in the browser: the server opens nothing — except the messages still sealed for the
    organisation's old hosted key (``_oude_sleutel``), which only the portal can open."""
    if not in_browser(request, gebruiker):
        return
    if refs and set(refs) <= _oude_sleutel(client_voor(request, gebruiker), refs):
        return
    raise PortaalFout(
        "Uw sleutels staan in uw browser: het portaal kan uw berichten niet openen. Download, lees "
        "en weiger ze op de werkplek (Sleutels en berichten, /portaal/sleutels). Alleen berichten "
        "die nog voor de oude sleutel van het portaal zijn versleuteld, opent het portaal hier.",
        status=409,
        titel="Open uw berichten op de werkplek",
    )


def _noem(client: Gastclient, geopend: Collection[Ontvangen]) -> None:
    """Name the trajecten of opened messages that have no label yet (``dossiers.noem``)."""

    def werk(session: Session, nu: datetime) -> None:
        for b in geopend:
            if b.payload is not None and b.fout is None and not b.van_knooppunt:
                dossiers.noem(
                    session, client.kluis, oin=client.oin, conversatie=b.conversatie, payload=b.payload, nu=nu
                )

    client.lees(werk)


def _is_melding(bericht: Bericht) -> bool:
    return bericht.afzender == HUB and bericht.berichttype in MELDINGEN


def _overzicht(
    request: Request, gebruiker: Gebruiker, *, fout: str | None = None, melding: str | None = None
) -> HTMLResponse:
    client = client_voor(request, gebruiker)
    berichten, namen, nu = client.open_berichten()
    gewoon = [b for b in berichten if not _is_melding(b)]
    browser = in_browser(request, gebruiker)
    oude_sleutel = _oude_sleutel(client) if browser else set()
    meldingen = [b for b in berichten if _is_melding(b)][:MAX_RIJEN]
    # What each notice is about, named as the user sent it (never a bare referentienummer).
    over = client.lees(
        lambda session, _nu: eigen_berichten(
            session, client.oin, {m.cross_referentienummer for m in meldingen if m.cross_referentienummer}
        )
    )
    # Confirmed questions still to answer, with their antwoordUiterlijk and teLaat (DESIGN §6:
    # "both sides see it"), from metadata only.
    vragen, vragen_totaal, vragen_te_laat = client.lees(
        lambda session, moment: berichten_store.te_beantwoorden(
            session, ontvanger=client.oin, nu=moment, limiet=MAX_VRAGEN
        )
    )
    namen = {
        **namen,
        **client.namen({r.ontvanger for r in over.values()} | {v.afzender for v in vragen}),
    }
    # The trajecten by their name (DESIGN §7: clients by name, never a number): the organisation's
    # own label of each, for the roles that keep one (hosted keys; with keys in the browser the
    # names are on the werkplek only), or the party that started it with them.
    trajecten = {b.conversatie_referentienummer for b in [*gewoon[:MAX_RIJEN], *over.values(), *vragen]}
    namen_trajecten = (
        client.lees(lambda session, _nu: trajectnamen(session, client.kluis, client.oin, trajecten))
        if gebruiker.rol in CLIENTROLLEN
        else {}
    )
    return pagina(
        request,
        "ontvangen/overzicht.html",
        status_code=400 if fout else 200,
        titel="Ontvangen berichten",
        berichten=gewoon[:MAX_RIJEN],
        meer=max(0, len(gewoon) - MAX_RIJEN),
        totaal=len(gewoon),
        nieuw=sum(1 for b in gewoon if b.status == "aangeboden"),
        gedownload=sum(1 for b in gewoon if b.status == "opgehaald"),
        meldingen=meldingen,
        meer_meldingen=max(0, sum(1 for b in berichten if _is_melding(b)) - MAX_RIJEN),
        # Hub notices that go in the zip (foutberichten, 17.1i): downloadable on their own too.
        foutberichten=sum(1 for b in berichten if _is_melding(b) and b.berichttype not in export.NIET_IN_ZIP),
        vragen=vragen,
        vragen_totaal=vragen_totaal,
        vragen_te_laat=vragen_te_laat,
        te_laat={v.referentienummer for v in vragen if mailbox.te_laat(v, nu)},
        over=over,
        namen=namen,
        trajectnamen=namen_trajecten,
        met_clienten=gebruiker.rol in CLIENTROLLEN,
        vervolgen={v.referentienummer: vervolgen(gebruiker.rol, v, oin=client.oin) for v in vragen},
        nu=nu,
        max_zip=MAX_ZIP,
        max_download=client.rt.instellingen.max_pagina_bytes,
        in_browser=browser,
        oude_sleutel=[b for b in gewoon if b.referentienummer in oude_sleutel][:MAX_RIJEN],
        fout=fout,
        melding=melding,
    )


@router.get("/ontvangen", response_class=HTMLResponse)
def ontvangen(request: Request, gebruiker: DeelnemerGebruiker) -> HTMLResponse:
    return _overzicht(request, gebruiker)


def _nummers(refs: list[str]) -> list[str]:
    """Selected referentienummers; anything that is not a UUID cannot be one of ours."""
    gezien: dict[str, None] = {}
    for ref in refs:
        try:
            gezien[str(uuid.UUID(ref)).lower()] = None
        except ValueError:
            continue
    return list(gezien)


@router.post("/ontvangen/download", dependencies=[Depends(_keuzeformulier), Csrf])
def download(request: Request, gebruiker: DeelnemerGebruiker, keuzes: Keuzes) -> Response:
    """The zip of the selected messages, or of all open ones (art. 17.1); fetching marks them
    downloaded, and they can be downloaded again until confirmed or expired (17.4). Not for keys
    in the browser: those download on the werkplek, but for the messages still sealed for the old
    hosted key (``_oude_sleutel``)."""
    client = client_voor(request, gebruiker)
    browser = in_browser(request, gebruiker)
    # A download holds at most a fetch page's bytes of inhoud (DESIGN §4), as the API's pages do.
    max_bytes = client.rt.instellingen.max_pagina_bytes
    ref = [str(r) for r in keuzes.getlist("ref")]
    if keuzes.get("actie") == "alle":
        berichten, _namen, _nu = client.open_berichten()
        if browser:
            oude_sleutel = _oude_sleutel(client)
            berichten = [b for b in berichten if b.referentienummer in oude_sleutel]
        passend, _meer = kies_pagina(
            [b for b in berichten if b.berichttype not in export.NIET_IN_ZIP],
            limiet=MAX_ZIP,
            max_bytes=max_bytes,
        )
        gekozen = [b.referentienummer for b in passend]
        if not gekozen:
            return _overzicht(request, gebruiker, fout="Er staan geen berichten klaar om te downloaden.")
    else:
        gekozen = _nummers(ref)
        if not gekozen:
            return _overzicht(
                request,
                gebruiker,
                fout="Kies ten minste één bericht om te downloaden, of kies 'Download alle'.",
            )
        if len(gekozen) > MAX_ZIP:
            return _overzicht(
                request,
                gebruiker,
                fout=f"Kies hoogstens {MAX_ZIP} berichten per download; download de rest daarna.",
            )
        berichten, _namen, _nu = client.open_berichten()
        groottes = {b.referentienummer: b.grootte or 0 for b in berichten}
        samen = sum(groottes.get(r, 0) for r in gekozen)
        if len(gekozen) > 1 and samen > max_bytes:
            return _overzicht(
                request,
                gebruiker,
                fout=f"De gekozen berichten zijn samen {grootte(samen)}; een download is hoogstens "
                f"{grootte(max_bytes)}. Kies minder berichten en download de rest daarna.",
            )
    _niet_op_de_server(request, gebruiker, gekozen)
    try:
        opgehaald = client.haal_op(waarvoor="download", referentienummers=gekozen, limiet=MAX_ZIP)
    except GeenSleutel as exc:
        raise PortaalFout(f"De berichten kunnen niet worden geopend: {exc}.", status=409) from exc
    opgehaald = [b for b in opgehaald if b.berichttype not in export.NIET_IN_ZIP]
    if gebruiker.rol in CLIENTROLLEN:
        _noem(client, opgehaald)
    if not opgehaald:
        return _overzicht(
            request,
            gebruiker,
            fout="De gekozen berichten staan niet meer klaar: ze zijn al bevestigd of verlopen. "
            "Ververs de pagina.",
        )
    genoemd = {oin for b in opgehaald for oin in oins_in_melding(b.melding)}
    namen = client.namen({b.afzender for b in opgehaald} | genoemd)
    zip_ = export.bouw(
        opgehaald,
        namen=namen,
        organisatie=f"{gebruiker.organisatie} ({gebruiker.oin})",
        nu=datetime.now(UTC),
        instellingen=client.rt.instellingen,
    )
    return Response(
        content=zip_.inhoud,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{zip_.bestandsnaam}"'},
    )


@router.post("/ontvangen/bevestigen", dependencies=[Depends(_keuzeformulier), Csrf])
def bevestigen(request: Request, gebruiker: DeelnemerGebruiker, keuzes: Keuzes) -> HTMLResponse:
    """Confirm downloaded messages (art. 17.2) and hub notices: content deleted, the answer term
    starts (art. 2.1), the sender gets a receipt. A message that was never downloaded is not
    confirmed: its content would be deleted unseen."""
    client = client_voor(request, gebruiker)
    alle = keuzes.get("alle")
    berichten, namen, _nu = client.open_berichten()
    per_ref = {b.referentienummer: b for b in berichten}
    if alle == "gedownload":
        gekozen = [b.referentienummer for b in berichten if b.status == "opgehaald" and not _is_melding(b)]
        leeg = (
            "Er zijn geen opgehaalde (gedownloade of bekeken) berichten om te bevestigen. Download of "
            "bekijk de berichten eerst."
        )
    elif alle == "meldingen":
        gekozen = [b.referentienummer for b in berichten if _is_melding(b)]
        leeg = "Er zijn geen meldingen van het knooppunt om te bevestigen."
    else:
        gekozen = _nummers([str(r) for r in keuzes.getlist("ref")])
        leeg = "Kies ten minste één bericht om te bevestigen."
    if not gekozen:
        return _overzicht(request, gebruiker, fout=leeg)
    niet_gedownload = [
        per_ref[r]
        for r in gekozen
        if r in per_ref and per_ref[r].status == "aangeboden" and not _is_melding(per_ref[r])
    ]
    te_bevestigen = [r for r in gekozen if r not in {b.referentienummer for b in niet_gedownload}]
    uitkomsten = client.bevestig(te_bevestigen) if te_bevestigen else []
    bevestigd = [b for _r, b, code in uitkomsten if b is not None and code is None]
    niet = [
        (
            r,
            b,
            {"VERLOPEN": "verlopen", "GEWEIGERD": "door u geweigerd"}.get(
                code or "", "staat niet (meer) klaar"
            ),
        )
        for r, b, code in uitkomsten
        if code is not None
    ]
    niet += [
        (b.referentienummer, b, "nog niet gedownload of bekeken: download of bekijk het eerst")
        for b in niet_gedownload
    ]
    alle_namen = {**namen, **client.namen({b.afzender for b in bevestigd})}
    antwoordtermijnen = sorted({b.antwoord_uiterlijk for b in bevestigd if b.antwoord_uiterlijk is not None})
    # The answer term per protocol version (DESIGN §3a: 5 working days in 1.0, 10 in 2.0, or the
    # module's own), of the confirmed messages that ask for an answer.
    instellingen = runtime(request).instellingen
    termijnlengtes = sorted(
        {
            instellingen.antwoordtermijn_van(t)
            for b in bevestigd
            if _antwoord_verwacht(b) and (t := CATALOGUS.zoek(b.module, b.berichttype, b.versie)) is not None
        }
    )
    return pagina(
        request,
        "ontvangen/bevestigd.html",
        titel="Download bevestigd" if bevestigd else "Niets bevestigd",
        bevestigd=bevestigd,
        niet=niet,
        namen=alle_namen,
        antwoordtermijnen=antwoordtermijnen,
        termijnlengtes=termijnlengtes,
        met_antwoord=sum(1 for b in bevestigd if _antwoord_verwacht(b)),
    )


def _antwoord_verwacht(bericht: Bericht) -> bool:
    berichttype = CATALOGUS.zoek(bericht.module, bericht.berichttype)
    return berichttype is not None and berichttype.antwoord_verwacht


def _een(request: Request, gebruiker: Gebruiker, referentienummer: str, waarvoor: str) -> Ontvangen:
    try:
        ref = str(uuid.UUID(referentienummer)).lower()
    except ValueError:
        raise PortaalFout("Dit bericht bestaat niet.", status=404, titel="Niet gevonden") from None
    _niet_op_de_server(request, gebruiker, [ref])
    try:
        gevonden = client_voor(request, gebruiker).haal_op(
            waarvoor=waarvoor, referentienummers=[ref], limiet=1
        )
    except GeenSleutel as exc:
        raise PortaalFout(f"Het bericht kan niet worden geopend: {exc}.", status=409) from exc
    if not gevonden:
        raise PortaalFout(
            "Dit bericht staat niet (meer) klaar: het is bevestigd, geweigerd of verlopen.",
            status=404,
            titel="Niet gevonden",
        )
    return gevonden[0]


@router.get("/ontvangen/{referentienummer}", response_class=HTMLResponse)
def bericht(request: Request, gebruiker: DeelnemerGebruiker, referentienummer: str) -> HTMLResponse:
    """One message in the browser (fetching it counts as a download, 17.4)."""
    gevonden = _een(request, gebruiker, referentienummer, "bekijken")
    client = client_voor(request, gebruiker)
    namen = client.namen({gevonden.afzender} | oins_in_melding(gevonden.melding))
    # A hub notice with the types and participants it names in words (the notice is not changed).
    inhoud = melding_weergave(gevonden.melding, namen) if gevonden.van_knooppunt else gevonden.payload
    traject = None
    if gebruiker.rol in CLIENTROLLEN:
        # The roles that follow clients name the traject from what the message says of it, as the
        # client page and the werkplek do ("Namen uit de berichten"); a label it has is kept.
        payload = gevonden.payload if gevonden.fout is None and not gevonden.van_knooppunt else None

        def noem(session: Session, nu: datetime) -> str:
            dossiers.noem(
                session,
                client.kluis,
                oin=client.oin,
                conversatie=gevonden.conversatie,
                payload=payload,
                nu=nu,
            )
            return trajectnamen(session, client.kluis, client.oin, [gevonden.conversatie])[
                gevonden.conversatie
            ]

        traject = client.lees(noem)
    return pagina(
        request,
        "ontvangen/bericht.html",
        titel=bericht_naam(gevonden),
        bericht=gevonden,
        envelop=gevonden.envelop,
        afzender=namen.get(gevonden.afzender, gevonden.afzender),
        regels=leesbaar.regels(inhoud or {}),
        klant=None if gevonden.van_knooppunt else dossiers.klant_uit_payload(gevonden.payload),
        traject=traject,
        vervolgen=vervolgen(gebruiker.rol, gevonden, oin=client.oin) if gevonden.fout is None else [],
        # A creditor or the fund answers by upload (art. 18): the page says so for a question.
        per_upload=gebruiker.rol in ("SE", "WF")
        and gevonden.fout is None
        and _per_upload(gevonden, gebruiker.rol),
        reden=WEIGERREDENEN.get(gevonden.fout or ""),
        sleutel_ontbreekt=SLEUTEL_ONTBREEKT if gevonden.ontbrekende_sleutel else None,
    )


def _per_upload(bericht: Ontvangen, rol: str | None) -> bool:
    """Whether this role answers this message (by upload: creditors and the fund)."""
    return any(
        t.beantwoordt_type(bericht.berichttype) and str(rol) in {str(r) for r in t.van}
        for t in CATALOGUS.alle()
        if t.module == bericht.module and t.versie == bericht.versie and not t.door_knooppunt
    )


@router.post("/ontvangen/{referentienummer}/weigeren", dependencies=[Csrf])
def weigeren(request: Request, gebruiker: DeelnemerGebruiker, referentienummer: str) -> HTMLResponse:
    """Refuse a message whose content cannot be opened (DESIGN §4): the portal opens it again
    itself and refuses with the reason it finds; a message that opens fine is not refused."""
    gevonden = _een(request, gebruiker, referentienummer, "weigeren")
    if gevonden.fout is None:
        raise PortaalFout(
            "Dit bericht is in orde en kan daarom niet geweigerd worden. Verwerk het en bevestig de "
            "download.",
            status=409,
            titel="Niet geweigerd",
        )
    if gevonden.ontbrekende_sleutel is not None:
        raise PortaalFout(
            f"{SLEUTEL_ONTBREEKT} Het bericht is daarom niet geweigerd.",
            status=409,
            titel="Niet geweigerd",
        )
    client_voor(request, gebruiker).weiger(gevonden.referentienummer, gevonden.fout)
    return pagina(
        request,
        "ontvangen/geweigerd.html",
        titel="Bericht geweigerd",
        bericht=gevonden,
        reden=WEIGERREDENEN.get(gevonden.fout, gevonden.fout),
    )
