"""Keys in the browser (DESIGN §5 "Portal", decision 0025): the page that makes, unlocks and uses a
portal user's keys, and the JSON endpoints it calls.

The keys live in the memory of that one page (``/portaal/sleutels``): it loads its data through
the JSON endpoints below, each of which requires the session's CSRF token in ``X-CSRF-Token`` (GETs
too). The page's script is the committed bundle ``static/js/portaal-sleutels.js``, referenced with
an ``integrity`` hash the server computes from the file at start-up (SRI). What reaches these
endpoints is a CSR, public keys, a proof of possession and the wrapped-key blob; never a passphrase,
a derived key or a private key.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from knooppunt.hub import adresboek, mailbox
from knooppunt.hub.fouten import HubFout
from knooppunt.pki.certificaat import OngeldigCertificaat
from knooppunt.pki.portaal_ca import OngeldigeAanvraag
from knooppunt.portaal import bundel, kluismigratie, sleutelblobs
from knooppunt.portaal.gastclient import HUB, Gastclient, envelop_van
from knooppunt.portaal.routes.start import Sleutelregel, sleuteloverzicht
from knooppunt.portaal.sessies import Beheerder, Csrf, DeelnemerGebruiker, Gebruiker, huidige, runtime
from knooppunt.portaal.weergave import berichttype_naam, melding_weergave, oins_in_melding, pagina
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.identificatie import OngeldigeIdentificatie, valideer_oin
from knooppunt.protocol.jwe import x5t_s256
from knooppunt.store import deelnemers as deelnemers_store
from knooppunt.store import portaal as portaal_store
from knooppunt.store.db import db_nu, transactie

router = APIRouter()
PAD = "/sleutels"  # inside the portal app, mounted at /portaal
API_PAD = PAD + "/api"
API = "/portaal" + API_PAD  # as the page's script calls it
BUNDEL_URL = "/portaal/static/js/portaal-sleutels.js"
MAX_VERZOEK = 64 * 1024
MAX_VERNIEUWEN = 2 * 1024 * 1024
"""New organisation keys wrapped for every user with access (about 15 KiB per user) in one request."""
GROTE_VERZOEKEN = frozenset({"vernieuwen", "importeren", "geven"})
"""Requests that carry a wrapped key per user with access (vernieuwen, importeren) or every
organisation key for one user (geven); an imported RSA-4096 key wraps to about 3.5 KiB each
(decision 0036)."""
MAX_BERICHTEN = 100
"""Messages per fetch by the page (each decrypted in the browser)."""

CSP_SLEUTELS = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
    "connect-src 'self'; worker-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'; require-trusted-types-for 'script'; trusted-types 'none'"
)
"""The key page's policy: the portal's own (app.CSP) plus 'wasm-unsafe-eval' for Argon2id in
WebAssembly (hash-wasm) — only on this page."""


def bundel_integriteit() -> str:
    """The SRI value of the bundle (sha384), computed once from the file the portal serves."""
    return bundel.integriteit()


def bundel_sha256() -> str:
    """The SHA-256 published in docs/portaal.md (hex)."""
    return bundel.sha256()


class ApiFout(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _json(data: Any, status: int = 200) -> JSONResponse:
    antwoord = JSONResponse(data, status_code=status)
    antwoord.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    return antwoord


def _fout(fout: ApiFout) -> JSONResponse:
    return _json({"detail": fout.detail}, fout.status)


def _api_gebruiker(request: Request) -> Gebruiker:
    """The logged-in participant user, with the session's CSRF token in X-CSRF-Token."""
    gebruiker = huidige(request)
    if gebruiker is None:
        raise ApiFout(401, "U bent niet (meer) ingelogd. Log opnieuw in.")
    if gebruiker.oin is None:
        raise ApiFout(403, "Sleutels zijn er alleen voor deelnemers (schuldeisers en schuldhulpverleners).")
    gekregen = request.headers.get("x-csrf-token", "")
    if not gekregen or not hmac.compare_digest(gebruiker.csrf.encode(), gekregen.encode()):
        raise ApiFout(403, "De CSRF-controle is mislukt. Laad de pagina opnieuw en probeer het nog eens.")
    return gebruiker


async def _json_body(request: Request, maximum: int = MAX_VERZOEK) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ApiFout(415, "Stuur de gegevens als JSON (Content-Type: application/json).")
    ruw = b""
    async for deel in request.stream():
        ruw += deel
        if len(ruw) > maximum:
            raise ApiFout(413, f"Het verzoek is groter dan {maximum // 1024} KiB.")
    try:
        data = json.loads(ruw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiFout(400, "Het verzoek is geen geldige JSON.") from exc
    if not isinstance(data, dict):
        raise ApiFout(400, "Het verzoek moet een JSON-object zijn.")
    return data


# --- the page ---------------------------------------------------------------------------------------


@router.get(PAD, response_class=HTMLResponse)
def sleutelpagina(request: Request, gebruiker: DeelnemerGebruiker) -> Response:
    rt = runtime(request)
    assert gebruiker.oin is not None
    with transactie(rt.sessions) as session:
        eigen = sleutelblobs.blob_van(session, gebruiker.oin, gebruiker.onderwerp)
        heeft = eigen is not None
        anderen = any(
            g.toegang and g.onderwerp != gebruiker.onderwerp
            for g in sleutelblobs.gebruikers(session, gebruiker.oin)
        )
        gehost = any(r.gemigreerd_op is None for r in portaal_store.sleutels_van(session, gebruiker.oin))
        deelnemer = deelnemers_store.haal(session, gebruiker.oin)
        assert deelnemer is not None
        # DESIGN §5 "Key transparency": shown at every login, and a login with keys lands here.
        certificaten = sleuteloverzicht(deelnemer.certificaten)
        if eigen is not None:
            toestand = "toegang" if eigen.get("sleutels") else "gevraagd"
        elif anderen:
            toestand = "organisatie"  # the organisation has keys; this user has no access yet
        else:
            toestand = "geen"
    antwoord = pagina(
        request,
        "sleutels/werkplek.html",
        titel="Sleutels en berichten in de browser",
        heeft_sleutels=heeft,
        toestand=toestand,
        anderen_met_toegang=anderen,
        inactief_minuten=rt.settings.portaal_inactief_minuten,
        gehost=gehost,
        api=API,
        bundel_url=BUNDEL_URL,
        bundel_integriteit=bundel_integriteit(),
        certificaten=certificaten,
        laatste_wijziging=laatste_wijziging(certificaten),
        op_sleutelpagina=True,
    )
    antwoord.headers["Content-Security-Policy"] = CSP_SLEUTELS
    return antwoord


def laatste_wijziging(certificaten: Sequence[Sleutelregel]) -> datetime | None:
    """When a certificate of the participant was last added or revoked (the key transparency
    block, templates/_certificaten.html)."""
    return max(
        (moment for c in certificaten for moment in (c.toegevoegd_op, c.ingetrokken_op) if moment),
        default=None,
    )


# --- JSON endpoints ---------------------------------------------------------------------------------


@router.post(API_PAD + "/aanvraag")
async def aanvraag(request: Request) -> JSONResponse:
    """Issue certificates for the keys made in the browser and keep their wrapped blob."""
    try:
        # In a thread: reading the session is a database transaction (SQLite may wait for its lock).
        gebruiker = await run_in_threadpool(_api_gebruiker, request)
        verzoek = await _json_body(request)
    except ApiFout as fout:
        return _fout(fout)
    return await run_in_threadpool(_aanvraag, request, gebruiker, verzoek)


def _aanvraag(request: Request, gebruiker: Gebruiker, verzoek: dict[str, Any]) -> JSONResponse:
    rt = runtime(request)
    assert gebruiker.oin is not None
    try:
        with transactie(rt.sessions) as session:
            nu = db_nu(session)
            deelnemer = adresboek.haal(session, gebruiker.oin)
            uitgegeven = sleutelblobs.vraag_aan(
                session,
                rt,
                deelnemer=deelnemer,
                onderwerp=gebruiker.onderwerp,
                door=gebruiker.audit_actor,
                verzoek=verzoek,
                nu=nu,
                naam=gebruiker.gebruiker,
            )
    except (sleutelblobs.SleutelsBestaan, sleutelblobs.OrganisatieHeeftSleutels) as fout:
        return _json({"detail": f"Er is niets uitgegeven: {fout}."}, 409)
    except OngeldigeAanvraag as fout:
        return _json({"detail": f"De aanvraag is geweigerd: {fout}."}, 400)
    except HubFout as fout:
        return _json({"detail": f"De aanvraag is geweigerd: {fout.detail}"}, fout.status)
    except IntegrityError:
        # The same user's other request stored its keys first (two clicks, two tabs).
        return _json(
            {
                "detail": "Er is niets uitgegeven: tegelijk is een andere aanvraag voor u verwerkt. Laad de "
                "pagina opnieuw."
            },
            409,
        )
    return _json(
        {
            "certificaten": [
                {"gebruik": u.gebruik, "kid": u.kid, "vingerafdruk": u.vingerafdruk, "pem": u.pem}
                for u in uitgegeven
            ]
        },
        201,
    )


@router.get(API_PAD + "/blob")
def blob(request: Request) -> JSONResponse:
    """The user's wrapped keys, to unwrap in the browser."""
    try:
        gebruiker = _api_gebruiker(request)
    except ApiFout as fout:
        return _fout(fout)
    assert gebruiker.oin is not None
    rt = runtime(request)
    with transactie(rt.sessions) as session:
        gevonden = sleutelblobs.blob_van(session, gebruiker.oin, gebruiker.onderwerp)
    if gevonden is None:
        return _json({"detail": "U hebt nog geen sleutels in dit portaal. Maak ze eerst aan."}, 404)
    return _json({"blob": gevonden})


# --- the organisation's keys shared by its users (decision 0027) ------------------------------------


def _toegangsactie(
    request: Request, gebruiker: Gebruiker, verzoek: dict[str, Any], actie: str
) -> JSONResponse:
    """One of the access steps, in one transaction; a refusal says why in Dutch and changes nothing."""
    rt = runtime(request)
    oin = gebruiker.oin
    assert oin is not None
    uitgegeven: list[sleutelblobs.Uitgegeven] = []
    try:
        with transactie(rt.sessions) as session:
            nu = db_nu(session)
            door = gebruiker.audit_actor
            if actie == "vragen":
                sleutelblobs.vraag_toegang(
                    session,
                    oin=oin,
                    onderwerp=gebruiker.onderwerp,
                    naam=gebruiker.gebruiker,
                    door=door,
                    verzoek=verzoek,
                    nu=nu,
                )
            elif actie == "geven":
                sleutelblobs.geef_toegang(
                    session, oin=oin, onderwerp=gebruiker.onderwerp, door=door, verzoek=verzoek, nu=nu
                )
            elif actie == "weigeren":
                sleutelblobs.weiger_toegang(
                    session,
                    oin=oin,
                    onderwerp=gebruiker.onderwerp,
                    door=door,
                    wie=verzoek.get("onderwerp"),
                    nu=nu,
                )
            elif actie == "beeindigen":
                sleutelblobs.beeindig_toegang(
                    session,
                    oin=oin,
                    onderwerp=gebruiker.onderwerp,
                    door=door,
                    wie=verzoek.get("onderwerp"),
                    nu=nu,
                )
            elif actie == "importeren":
                uitgegeven = [
                    sleutelblobs.importeer(
                        session,
                        rt,
                        deelnemer=adresboek.haal(session, oin),
                        onderwerp=gebruiker.onderwerp,
                        door=door,
                        verzoek=verzoek,
                        nu=nu,
                    )
                ]
            elif actie == "omzetten":
                sleutelblobs.zet_om(session, oin=oin, onderwerp=gebruiker.onderwerp, verzoek=verzoek, nu=nu)
            else:
                assert actie == "vernieuwen"
                uitgegeven = sleutelblobs.vernieuw(
                    session,
                    rt,
                    deelnemer=adresboek.haal(session, oin),
                    onderwerp=gebruiker.onderwerp,
                    door=door,
                    verzoek=verzoek,
                    nu=nu,
                )
    except (sleutelblobs.SleutelsBestaan, sleutelblobs.OrganisatieHeeftSleutels) as fout:
        return _json({"detail": f"Er is niets veranderd: {fout}."}, 409)
    except sleutelblobs.GeenToegang as fout:
        return _json({"detail": f"Er is niets veranderd: {fout}."}, 403)
    except sleutelblobs.NietGevonden as fout:
        return _json({"detail": f"Er is niets veranderd: {fout}."}, 404)
    except OngeldigeAanvraag as fout:
        return _json({"detail": f"Er is niets veranderd: {fout}."}, 400)
    except HubFout as fout:
        return _json({"detail": f"Er is niets veranderd: {fout.detail}"}, fout.status)
    except IntegrityError:
        return _json(
            {"detail": "Er is niets veranderd: tegelijk is iets anders verwerkt. Laad de pagina opnieuw."},
            409,
        )
    return _json(
        {
            "certificaten": [
                {"gebruik": u.gebruik, "kid": u.kid, "vingerafdruk": u.vingerafdruk, "pem": u.pem}
                for u in uitgegeven
            ]
        }
    )


def _toegangsroute(actie: str, pad: str) -> None:
    async def eindpunt(request: Request) -> JSONResponse:
        try:
            gebruiker = await run_in_threadpool(_api_gebruiker, request)
            verzoek = await _json_body(request, MAX_VERNIEUWEN if actie in GROTE_VERZOEKEN else MAX_VERZOEK)
        except ApiFout as fout:
            return _fout(fout)
        return await run_in_threadpool(_toegangsactie, request, gebruiker, verzoek, actie)

    eindpunt.__name__ = f"toegang_{actie}"
    router.add_api_route(API_PAD + pad, eindpunt, methods=["POST"])


for _actie, _pad in (
    ("vragen", "/toegang"),
    ("geven", "/toegang/geven"),
    ("weigeren", "/toegang/weigeren"),
    ("beeindigen", "/toegang/beeindigen"),
    ("omzetten", "/blob/omzetten"),
    ("importeren", "/importeren"),
    ("vernieuwen", "/vernieuwen"),
):
    _toegangsroute(_actie, _pad)


@router.get(API_PAD + "/collegas")
def collegas(request: Request) -> JSONResponse:
    """The organisation's users with access and those asking for it (metadata and personal public
    keys only), and whether the organisation should make new keys after a leaver."""
    try:
        gebruiker = _api_gebruiker(request)
    except ApiFout as fout:
        return _fout(fout)
    assert gebruiker.oin is not None
    rt = runtime(request)
    with transactie(rt.sessions) as session:
        lijst = sleutelblobs.gebruikers(session, gebruiker.oin)
        vernieuwen = sleutelblobs.vernieuwen_nodig(session, gebruiker.oin)
    return _json(
        {
            "gebruikers": [
                {
                    "onderwerp": g.onderwerp,
                    "naam": g.naam,
                    "zelf": g.onderwerp == gebruiker.onderwerp,
                    "toegang": g.toegang,
                    "versie": g.versie,
                    "gevraagdOp": _tijd(g.gevraagd_op),
                    "persoonlijk": g.persoonlijk,
                }
                for g in lijst
            ],
            "vernieuwenNodig": vernieuwen,
        }
    )


# --- beheer: ending a user's access (a leaver whose colleagues cannot do it) -------------------------


def _beheerpagina(
    request: Request, oin: str, *, fout: str = "", gedaan: str = "", status: int = 200
) -> Response:
    rt = runtime(request)
    with transactie(rt.sessions) as session:
        deelnemer = adresboek.haal(session, oin)
        lijst = sleutelblobs.gebruikers(session, oin)
        vernieuwen = sleutelblobs.vernieuwen_nodig(session, oin)
        naam = deelnemer.naam
    return pagina(
        request,
        "sleutels/beheer.html",
        status_code=status,
        titel=("Fout: " if fout else "") + f"Toegang tot de sleutels van {naam}",
        deelnemer_naam=naam,
        oin=oin,
        gebruikers=lijst,
        vernieuwen=vernieuwen,
        fout=fout,
        gedaan=gedaan,
    )


@router.get(PAD + "/beheer/{oin}", response_class=HTMLResponse)
def beheer_toegang(request: Request, gebruiker: Beheerder, oin: str, gedaan: str = "") -> Response:
    """For a beheerder: who of a participant has access to its keys in the browser (metadata)."""
    try:
        valideer_oin(oin)
    except OngeldigeIdentificatie as exc:
        return _beheerpagina_fout(request, f"Ongeldig OIN: {exc}")
    return _beheerpagina(request, oin, gedaan=gedaan)


def _beheerpagina_fout(request: Request, tekst: str) -> Response:
    return pagina(
        request, "sleutels/beheer.html", status_code=400, titel="Fout", fout=tekst, gebruikers=[], oin=""
    )


@router.post(PAD + "/beheer/{oin}/beeindigen", dependencies=[Csrf])
async def beheer_beeindigen(request: Request, gebruiker: Beheerder, oin: str) -> Response:
    formulier = await request.form()
    wie = formulier.get("onderwerp")
    return await run_in_threadpool(_beheer_beeindigen, request, gebruiker, oin, wie)


def _beheer_beeindigen(request: Request, gebruiker: Gebruiker, oin: str, wie: object) -> Response:
    rt = runtime(request)
    try:
        valideer_oin(oin)
        with transactie(rt.sessions) as session:
            sleutelblobs.beeindig_toegang(
                session, oin=oin, door=gebruiker.audit_actor, wie=wie, nu=db_nu(session), onderwerp=None
            )
    except OngeldigeIdentificatie as exc:
        return _beheerpagina_fout(request, f"Ongeldig OIN: {exc}")
    except OngeldigeAanvraag as fout:
        return _beheerpagina(request, oin, fout=f"Er is niets veranderd: {fout}.", status=400)
    return RedirectResponse(f"/portaal{PAD}/beheer/{oin}?gedaan=beeindigd", status_code=303)


def _tijd(waarde: datetime | None) -> str | None:
    return waarde.astimezone(UTC).isoformat() if waarde is not None else None


@router.post(API_PAD + "/berichten")
async def berichten(request: Request) -> JSONResponse:
    """The open inbox with its ciphertext (marks the messages fetched, as the API does), for the
    page to decrypt; hub notices carry their plain melding."""
    try:
        gebruiker = await run_in_threadpool(_api_gebruiker, request)
        await _json_body(request)
    except ApiFout as fout:
        return _fout(fout)
    return await run_in_threadpool(_berichten, request, gebruiker)


def _berichten(request: Request, gebruiker: Gebruiker) -> JSONResponse:
    rt = runtime(request)
    assert gebruiker.oin is not None
    uit: list[dict[str, Any]] = []
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        deelnemer = adresboek.haal(session, gebruiker.oin)
        rijen = mailbox.ophalen(
            session, deelnemer, nu=nu, limiet=MAX_BERICHTEN, max_bytes=rt.instellingen.max_pagina_bytes
        )
        namen = _namen(
            session,
            {b.afzender for b, _ in rijen} | {o for b, _ in rijen for o in oins_in_melding(b.melding)},
        )
        rollen = _rollen(session, rijen)
        oude_sleutels = kluismigratie.oude_sleutels(session, deelnemer.oin)
        for bericht, jwe in rijen:
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
            uit.append(env)
    return _json({"berichten": uit})


def _rollen(session: Session, rijen: Any) -> dict[str, str]:
    """The adresboek role of the senders of messages whose module has rules that depend on it
    (`Moduledefinitie.afzenderregels`, DESIGN §3b): the page checks them on opening, as the SDK's
    fetch does (``client.hub.afzenderfout``)."""
    uit: dict[str, str] = {}
    for bericht, _jwe in rijen:
        if bericht.melding is not None or not CATALOGUS.heeft_afzenderregel(
            bericht.module, bericht.berichttype
        ):
            continue
        if bericht.afzender not in uit:
            deelnemer = deelnemers_store.haal(session, bericht.afzender)
            if deelnemer is not None:
                uit[bericht.afzender] = str(deelnemer.rol)
    return uit


def _namen(session: Session, oins: set[str]) -> dict[str, str]:
    namen = {HUB: "Knooppunt"}
    for oin in oins - {HUB}:
        deelnemer = deelnemers_store.haal(session, oin)
        namen[oin] = deelnemer.naam if deelnemer is not None else oin
    return namen


@router.get(API_PAD + "/certificaten")
def certificaten(request: Request, oin: str = "", moment: str = "") -> JSONResponse:
    """A sender's signing certificates valid at ``moment`` (a message's ontvangenOp), checked
    against the hub's trust anchors, as PEM with their x5t#S256."""
    try:
        gebruiker = _api_gebruiker(request)
        try:
            afzender = valideer_oin(oin)
        except OngeldigeIdentificatie as exc:
            raise ApiFout(400, f"Ongeldig OIN: {exc}") from exc
        try:
            tijdstip = datetime.fromisoformat(moment)
        except ValueError as exc:
            raise ApiFout(400, "Ongeldig moment: gebruik een ISO 8601-tijd met tijdzone.") from exc
        if tijdstip.tzinfo is None:
            raise ApiFout(400, "Ongeldig moment: de tijdzone ontbreekt.")
    except ApiFout as fout:
        return _fout(fout)
    assert gebruiker.oin is not None
    client = Gastclient(runtime(request), request.app.state.kluis, gebruiker.oin, wie=gebruiker.audit_actor)
    try:
        with client.transactie() as (session, _nu):
            gevonden = client.afzendercertificaten(session, afzender, tijdstip.astimezone(UTC))
    except OngeldigCertificaat as exc:
        return _json({"detail": f"Geen bruikbaar certificaat van de afzender: {exc}."}, 404)
    return _json(
        {
            "certificaten": [
                {
                    "pem": c.public_bytes(serialization.Encoding.PEM).decode("ascii"),
                    "x5t#S256": x5t_s256(c.public_bytes(serialization.Encoding.DER)),
                }
                for c in gevonden
            ]
        }
    )


# At start-up (this module is imported when the portal app is made): the page's SRI value comes from
# the file as it is now; a missing bundle stops the start instead of serving a page that cannot work.
bundel_integriteit()
