"""The werkplek's download (art. 16–17, DESIGN §5 "Portal" and §7): the JSON endpoints behind the
"Downloaden" part of ``/portaal/sleutels``, for participants whose keys are in the browser.

The browser fetches the open messages a page at a time (ciphertext and envelope, with the sender's
signing certificates valid at each message's ontvangenOp), decrypts, verifies and validates them
in the page's memory, and builds the same zip as `export.bouw` from the layout `indeling` gives
(`export.beschrijving`: file names, columns, JSON Schemas, labels — defined once, in Python).
The LEESMIJ is rendered here from metadata only (which messages, which refusal codes). The server
never sees a payload: what reaches these endpoints is referentienummers and weigering codes.

Client names: each page of messages carries the labels of their trajecten as the werkplek stored
them (``werkplek_clienten``: key id, IV, AES-GCM ciphertext). The browser decrypts them for the
table, the readable copies and ``clienten.csv``; no name comes back (the LEESMIJ's paragraph about
``clienten.csv`` is added in the browser).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from knooppunt.client.hub import Ontvangen
from knooppunt.hub import adresboek, mailbox
from knooppunt.hub.fouten import HubFout
from knooppunt.hub.mailbox import WEIGERREDENEN
from knooppunt.pki.certificaat import OngeldigCertificaat
from knooppunt.portaal import export, kluismigratie
from knooppunt.portaal.gastclient import Gastclient, envelop_van
from knooppunt.portaal.routes.sleutels import (
    API_PAD,
    MAX_BERICHTEN,
    ApiFout,
    _api_gebruiker,
    _fout,
    _json,
    _json_body,
    _namen,
    _rollen,
    _tijd,
)
from knooppunt.portaal.routes.werkplek_clienten import _versleuteld
from knooppunt.portaal.routes.werkplek_verzenden import metadata_json
from knooppunt.portaal.sessies import Gebruiker, runtime
from knooppunt.portaal.weergave import AMSTERDAM, berichttype_naam, melding_weergave, oins_in_melding
from knooppunt.protocol.jwe import x5t_s256
from knooppunt.store import clientlabels

router = APIRouter()
PAD = API_PAD + "/download"
MAX_ZIP = 1000
"""Messages per zip, as the server-side download (`routes.ontvangen.MAX_ZIP`)."""
WEIGERBAAR = frozenset(
    {
        "ONTSLEUTELING_MISLUKT",
        "HANDTEKENING_ONGELDIG",
        "METADATA_ONJUIST",
        "INHOUD_ONGELDIG",
        "SLEUTEL_ONBRUIKBAAR",
    }
)
"""The reasons the werkplek refuses a message with: what opening it in the browser can find
(openen.js, the JSON Schema); ``AL_VERWERKT`` is not for a person to claim."""


def _client(request: Request, gebruiker: Gebruiker) -> Gastclient:
    assert gebruiker.oin is not None
    return Gastclient(runtime(request), request.app.state.kluis, gebruiker.oin, wie=gebruiker.audit_actor)


def _nummers(waarde: Any, veld: str, *, maximum: int = MAX_ZIP) -> list[str]:
    """A JSON list of referentienummers (UUIDs), checked; duplicates dropped, order kept."""
    if not isinstance(waarde, list) or not all(isinstance(r, str) for r in waarde):
        raise ApiFout(400, f"'{veld}' moet een lijst van referentienummers zijn.")
    if len(waarde) > maximum:
        raise ApiFout(400, f"'{veld}' noemt {len(waarde)} berichten; hoogstens {maximum} per keer.")
    gezien: dict[str, None] = {}
    for ref in waarde:
        try:
            gezien[str(uuid.UUID(ref)).lower()] = None
        except ValueError:
            raise ApiFout(400, f"'{ref[:40]}' in '{veld}' is geen referentienummer.") from None
    return list(gezien)


@router.get(API_PAD + "/indeling")
def indeling(request: Request) -> JSONResponse:
    """The zip's layout (`export.beschrijving`) and the refusal codes: metadata, no message, the
    same for every participant — gzip-compressed once per process when the request accepts it
    (`werkplek_verzenden.metadata_json`, decision 0037)."""
    try:
        _api_gebruiker(request)
    except ApiFout as fout:
        return _fout(fout)
    return metadata_json(
        request,
        ("indeling",),
        lambda: {
            **export.beschrijving(),
            "maxZip": MAX_ZIP,
            "perKeer": MAX_BERICHTEN,
            "weigerredenen": {code: WEIGERREDENEN[code] for code in sorted(WEIGERBAAR)},
        },
    )


async def _verzoek(request: Request) -> tuple[Gebruiker, dict[str, Any]]:
    # In a thread: reading the session is a database transaction (SQLite may wait for its lock).
    gebruiker = await run_in_threadpool(_api_gebruiker, request)
    return gebruiker, await _json_body(request)


# --- fetching ----------------------------------------------------------------------------------------


@router.post(PAD + "/berichten")
async def berichten(request: Request) -> JSONResponse:
    """One page (at most 100, at most a fetch page's bytes) of the open inbox after ``na`` (the
    previous page's ``volgende``), with ciphertext; marks them fetched, as the API does (17.4: a
    fetched message can be fetched again until it is confirmed or expires). Per message the
    x5t#S256 of the sender's signing certificates valid at its ontvangenOp, their PEMs once; per
    traject of the page its client label, as ciphertext (``labels``: conversation → {sleutel, iv,
    versleuteld})."""
    try:
        gebruiker, verzoek = await _verzoek(request)
        na = verzoek.get("na")
        if na is not None and (not isinstance(na, int) or isinstance(na, bool) or na < 0):
            raise ApiFout(400, "'na' moet leeg zijn of de 'volgende' van de vorige pagina.")
    except ApiFout as fout:
        return _fout(fout)
    return await run_in_threadpool(_berichten, request, gebruiker, na)


def _berichten(request: Request, gebruiker: Gebruiker, na: int | None) -> JSONResponse:
    client = _client(request, gebruiker)
    rt = client.rt
    uit: list[dict[str, Any]] = []
    pems: dict[str, str] = {}
    volgende: int | None = None
    with client.transactie() as (session, nu):
        deelnemer = adresboek.haal(session, client.oin)
        rijen = mailbox.ophalen(
            session,
            deelnemer,
            nu=nu,
            limiet=MAX_BERICHTEN,
            max_bytes=rt.instellingen.max_pagina_bytes,
            na_id=na,
        )
        namen = _namen(
            session,
            {b.afzender for b, _ in rijen} | {o for b, _ in rijen for o in oins_in_melding(b.melding)},
        )
        rollen = _rollen(session, rijen)
        oude_sleutels = kluismigratie.oude_sleutels(session, deelnemer.oin)
        for bericht, jwe in rijen:
            volgende = bericht.id
            if bericht.berichttype in export.NIET_IN_ZIP:
                continue
            env = envelop_van(bericht, jwe)
            for veld in ("ontvangenOp", "verlooptOp", "opgehaaldOp", "bevestigdOp", "antwoordUiterlijk"):
                env[veld] = _tijd(env[veld])
            env["afzenderNaam"] = namen.get(bericht.afzender, bericht.afzender)
            env["berichttypeNaam"] = berichttype_naam(bericht.berichttype, bericht.module, bericht.versie)
            if bericht.melding is not None:
                # for the page to show: the types and participants it names in words (DESIGN §7)
                env["meldingWeergave"] = melding_weergave(bericht.melding, namen)
            if bericht.afzender in rollen:
                env["afzenderRol"] = rollen[bericht.afzender]
            if oude_sleutels and kluismigratie.kid_van(jwe) in oude_sleutels:
                # sealed for the key the portal hosted before the keys in the browser: the page
                # cannot open it, the portal's Ontvangen berichten can (DESIGN §5 "Migration")
                env["oudeSleutel"] = True
            if bericht.melding is None:
                try:
                    certificaten = client.afzendercertificaten(
                        session, bericht.afzender, bericht.ontvangen_op
                    )
                except OngeldigCertificaat as exc:
                    env["certificaten"] = []
                    env["certificaatfout"] = f"geen bruikbaar certificaat van de afzender: {exc}"
                else:
                    env["certificaten"] = []
                    for cert in certificaten:
                        der = cert.public_bytes(serialization.Encoding.DER)
                        x5t = x5t_s256(der)
                        pems.setdefault(x5t, cert.public_bytes(serialization.Encoding.PEM).decode("ascii"))
                        env["certificaten"].append(x5t)
            uit.append(env)
        conversaties = {str(env["conversatieReferentienummer"]).lower() for env in uit}
        labels = {
            rij.conversatie: _versleuteld(rij)
            for rij in clientlabels.labels_van(session, client.oin, conversaties)
        }
    return _json(
        {
            "berichten": uit,
            "certificaten": pems,
            "labels": labels,
            "volgende": volgende,
            "klaar": not rijen,
        }
    )


# --- the LEESMIJ ---------------------------------------------------------------------------------------


@router.post(PAD + "/leesmij")
async def leesmij(request: Request) -> JSONResponse:
    """The zip's LEESMIJ.txt and file name, from metadata only: the numbers of the messages in the
    zip and of those left out with their weigering code (never a payload or the browser's detail)."""
    try:
        gebruiker, verzoek = await _verzoek(request)
        in_zip = _nummers(verzoek.get("inZip", []), "inZip")
        niet = verzoek.get("nietGeopend", [])
        if not isinstance(niet, list) or len(niet) > MAX_ZIP:
            raise ApiFout(400, f"'nietGeopend' moet een lijst van hoogstens {MAX_ZIP} berichten zijn.")
        redenen: dict[str, str] = {}
        for item in niet:
            if not isinstance(item, dict):
                raise ApiFout(400, "Elk bericht in 'nietGeopend' heeft een referentienummer en een reden.")
            ref = _nummers([item.get("referentienummer")], "nietGeopend")[0]
            reden = item.get("reden")
            if reden not in WEIGERREDENEN:
                raise ApiFout(
                    400, f"Onbekende reden {str(reden)[:40]!r}; kies uit {', '.join(sorted(WEIGERREDENEN))}."
                )
            redenen[ref] = str(reden)
    except ApiFout as fout:
        return _fout(fout)
    return await run_in_threadpool(_leesmij, request, gebruiker, in_zip, redenen)


def _leesmij(
    request: Request, gebruiker: Gebruiker, in_zip: list[str], redenen: dict[str, str]
) -> JSONResponse:
    client = _client(request, gebruiker)
    berichten, namen, _ = client.open_berichten()
    per_ref = {b.referentienummer: b for b in berichten}
    ontbreekt = [r for r in [*in_zip, *redenen] if r not in per_ref]
    if ontbreekt:
        return _json(
            {
                "detail": f"{len(ontbreekt)} bericht(en) van deze download staan niet meer klaar (bevestigd, "
                "geweigerd of verlopen). Download opnieuw."
            },
            409,
        )
    geopend = [Ontvangen(envelop=envelop_van(per_ref[r], None)) for r in in_zip]
    niet_geopend = [Ontvangen(envelop=envelop_van(per_ref[r], None), fout=c) for r, c in redenen.items()]
    per_bestand: dict[str, int] = {}
    for bericht in geopend:
        naam = export.soort_van_bericht(bericht).bestand
        per_bestand[naam] = per_bestand.get(naam, 0) + 1
    volgorde = {naam: i for i, naam in enumerate(export.beschrijving()["volgorde"])}
    per_bestand = dict(sorted(per_bestand.items(), key=lambda p: (volgorde.get(p[0], len(volgorde)), p[0])))
    nu = datetime.now(UTC)
    tekst = export.leesmij(
        geopend=geopend,
        per_bestand=per_bestand,
        niet_geopend=niet_geopend,
        namen=namen,
        organisatie=f"{gebruiker.organisatie} ({gebruiker.oin})",
        nu=nu,
        instellingen=client.rt.instellingen,
        werkplek=True,
    )
    datum = nu.astimezone(AMSTERDAM).date().isoformat()
    return _json(
        {
            "tekst": tekst.decode("utf-8-sig"),
            "bestandsnaam": f"knooppunt-{datum}-{len(geopend)}-berichten.zip",
            "gemaakt": nu.isoformat(),
        }
    )


# --- refusing and confirming ----------------------------------------------------------------------------


@router.post(PAD + "/weigeren")
async def weigeren(request: Request) -> JSONResponse:
    """Refuse a message the werkplek could not open (DESIGN §4): the hub deletes its content and
    sends the sender a foutbericht GEWEIGERD with the reason; the sender may send it again."""
    try:
        gebruiker, verzoek = await _verzoek(request)
        ref = _nummers([verzoek.get("referentienummer")], "referentienummer")[0]
        reden = verzoek.get("reden")
        if reden not in WEIGERBAAR:
            raise ApiFout(
                400, f"Onbekende reden {str(reden)[:40]!r}; kies uit {', '.join(sorted(WEIGERBAAR))}."
            )
    except ApiFout as fout:
        return _fout(fout)
    return await run_in_threadpool(_weigeren, request, gebruiker, ref, str(reden))


def _weigeren(request: Request, gebruiker: Gebruiker, ref: str, reden: str) -> JSONResponse:
    try:
        _client(request, gebruiker).weiger(ref, reden)
    except HubFout as fout:
        return _json({"detail": f"Het bericht is niet geweigerd: {fout.detail}"}, fout.status)
    return _json({"referentienummer": ref, "reden": reden, "uitleg": WEIGERREDENEN[reden]})


@router.post(PAD + "/bevestigen")
async def bevestigen(request: Request) -> JSONResponse:
    """Confirm exactly the messages of a zip (art. 17.2): their content is deleted, the answer term
    starts (art. 2.1), the sender gets a receipt. Only fetched ones: a message never downloaded is
    not confirmed (its content would be deleted unseen)."""
    try:
        gebruiker, verzoek = await _verzoek(request)
        refs = _nummers(verzoek.get("referentienummers"), "referentienummers")
        if not refs:
            raise ApiFout(400, "Noem ten minste één bericht om te bevestigen.")
    except ApiFout as fout:
        return _fout(fout)
    return await run_in_threadpool(_bevestigen, request, gebruiker, refs)


def _bevestigen(request: Request, gebruiker: Gebruiker, refs: list[str]) -> JSONResponse:
    client = _client(request, gebruiker)
    berichten, _, _ = client.open_berichten()
    status = {b.referentienummer: b.status for b in berichten}
    niet_gedownload = [r for r in refs if status.get(r) == "aangeboden"]
    uitkomsten = client.bevestig([r for r in refs if r not in niet_gedownload])
    uit: list[dict[str, Any]] = []
    for ref, bericht, code in uitkomsten:
        if bericht is not None and code is None:
            uit.append(
                {
                    "referentienummer": ref,
                    "bevestigd": True,
                    "bevestigdOp": _tijd(bericht.bevestigd_op),
                    "antwoordUiterlijk": _tijd(bericht.antwoord_uiterlijk),
                }
            )
        else:
            reden = {"VERLOPEN": "verlopen", "GEWEIGERD": "door u geweigerd"}.get(
                code or "", "staat niet (meer) klaar"
            )
            uit.append({"referentienummer": ref, "bevestigd": False, "reden": reden})
    uit += [
        {"referentienummer": r, "bevestigd": False, "reden": "nog niet gedownload: download het eerst"}
        for r in niet_gedownload
    ]
    return _json({"uitkomsten": uit})
