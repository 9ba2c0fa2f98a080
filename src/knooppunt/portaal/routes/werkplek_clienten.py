"""The werkplek's "Cliënten" part (DESIGN §5 "Portal", §7): the participant's conversations with
the client names and klantnummers its people gave them, encrypted in the browser.

The server hands the page the conversations' metadata (counterparts, the last message, deadlines,
states) and the stored labels as ciphertext; the page decrypts them with the organisation's label
key (``geheim("labelsleutel")``, held non-extractable in its memory) and encrypts a new or changed
label itself. What the server stores per (OIN, conversation) is the key's id, the IV and the
AES-GCM ciphertext — nothing else is accepted, and it is size-capped — so it can read no name.

The labels the portal kept readable before (``portaal.dossiers``, under the hub's kluis) are
offered to the page once ("Oude namen overzetten"): it encrypts each under the label key and
stores it, and storing deletes the readable copy of that conversation in the same transaction.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from knooppunt.hub import mailbox
from knooppunt.portaal import dossiers
from knooppunt.portaal.routes.sleutels import API_PAD, ApiFout, _api_gebruiker, _json, _json_body
from knooppunt.portaal.sessies import Gebruiker, runtime
from knooppunt.portaal.traject import kluis
from knooppunt.portaal.weergave import STATUSSEN, berichttype_naam, modulenaam
from knooppunt.protocol.identificatie import is_uuid
from knooppunt.store import clientlabels as store
from knooppunt.store import deelnemers as deelnemers_store
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Bericht, PortaalClientlabel

router = APIRouter()
HUB = mailbox.KNOOPPUNT
MAX_CONVERSATIES = 500
"""Conversations the page lists (latest activity first)."""
SLEUTEL_ID_BYTES = 32
IV_BYTES = 12
MIN_VERSLEUTELD = 16 + 2
"""The GCM tag and at least "{}"."""
MAX_VERSLEUTELD = 2048
"""A klantnummer of at most 50 and a name of at most 200 characters, as JSON in UTF-8, plus the tag."""
OPEN = ("aangeboden", "opgehaald")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _ontb64url(waarde: object, naam: str) -> bytes:
    if not isinstance(waarde, str) or not waarde or len(waarde) > 4 * MAX_VERSLEUTELD:
        raise ApiFout(400, f"{naam} ontbreekt of is geen tekst.")
    if any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for c in waarde):
        raise ApiFout(400, f"{naam} is geen base64url (zonder opvulling).")
    try:
        return base64.urlsafe_b64decode(waarde + "=" * (-len(waarde) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ApiFout(400, f"{naam} is geen geldige base64url.") from exc


def _conversatie(waarde: str) -> str:
    conversatie = waarde.lower()
    if not is_uuid(conversatie):
        raise ApiFout(400, "Het traject (conversatieReferentienummer) is geen UUID. Laad de pagina opnieuw.")
    return conversatie


def lees_versleuteld(verzoek: dict[str, Any]) -> tuple[str, bytes, bytes]:
    """The label as the browser encrypted it: exactly {sleutel, iv, versleuteld}, base64url. Any
    other member is refused, so that no readable name can ride along."""
    if set(verzoek) != {"sleutel", "iv", "versleuteld"}:
        raise ApiFout(
            400,
            "Stuur de naam alleen versleuteld: precies de velden sleutel, iv en versleuteld. Laad de "
            "pagina opnieuw en probeer het nog eens.",
        )
    sleutel = _ontb64url(verzoek["sleutel"], "De sleutel-id")
    if len(sleutel) != SLEUTEL_ID_BYTES or verzoek["sleutel"] != _b64url(sleutel):
        raise ApiFout(400, "De sleutel-id moet 32 bytes zijn (43 tekens base64url).")
    iv = _ontb64url(verzoek["iv"], "De iv")
    if len(iv) != IV_BYTES:
        raise ApiFout(400, "De iv moet 12 bytes (96 bits) zijn.")
    versleuteld = _ontb64url(verzoek["versleuteld"], "De versleutelde naam")
    if not MIN_VERSLEUTELD <= len(versleuteld) <= MAX_VERSLEUTELD:
        raise ApiFout(
            413 if len(versleuteld) > MAX_VERSLEUTELD else 400,
            f"De versleutelde naam moet tussen {MIN_VERSLEUTELD} en {MAX_VERSLEUTELD} bytes zijn; "
            "kort het klantnummer (hoogstens 50 tekens) of de naam (hoogstens 200 tekens) in.",
        )
    return verzoek["sleutel"], iv, versleuteld


def _tijd(waarde: datetime | None) -> str | None:
    return waarde.astimezone(UTC).isoformat() if waarde is not None else None


def _versleuteld(label: PortaalClientlabel) -> dict[str, str]:
    return {"sleutel": label.sleutel_id, "iv": _b64url(label.iv), "versleuteld": _b64url(label.versleuteld)}


def _overzicht(session: Session, oin: str, nu: datetime) -> list[dict[str, Any]]:
    lijst = store.conversaties_van(session, oin, hub=HUB, limiet=MAX_CONVERSATIES)
    per: dict[str, list[Bericht]] = {}
    for b in store.berichten_in(session, oin, [c for c, _ in lijst], hub=HUB):
        per.setdefault(b.conversatie_referentienummer, []).append(b)
    namen: dict[str, str] = {}

    def naam(ander: str) -> str:
        if ander not in namen:
            deelnemer = deelnemers_store.haal(session, ander)
            namen[ander] = deelnemer.naam if deelnemer is not None else ander
        return namen[ander]

    uit: list[dict[str, Any]] = []
    for conversatie, _ in lijst:
        berichten = [b for b in per.get(conversatie, []) if b.berichttype != "ontvangstbevestiging"]
        if not berichten:
            continue
        laatste = berichten[-1]
        tegenpartijen = sorted({naam(b.ontvanger if b.afzender == oin else b.afzender) for b in berichten})
        termijnen = [
            b.antwoord_uiterlijk
            for b in berichten
            if b.antwoord_uiterlijk is not None
            and b.beantwoord_op is None
            and b.status not in ("verlopen", "geweigerd")
        ]
        uit.append(
            {
                "conversatie": conversatie,
                "module": modulenaam(berichten[0].module),
                "tegenpartijen": tegenpartijen,
                "berichten": len(berichten),
                "laatste": {
                    "berichttypeNaam": berichttype_naam(laatste.berichttype, laatste.module, laatste.versie),
                    "richting": "verstuurd" if laatste.afzender == oin else "ontvangen",
                    "ontvangenOp": _tijd(laatste.ontvangen_op),
                    "status": STATUSSEN.get(mailbox.status_op(laatste, nu), laatste.status),
                },
                "nieuw": sum(1 for b in berichten if b.ontvanger == oin and mailbox.status_op(b, nu) in OPEN),
                "eerstvolgendeTermijn": _tijd(min(termijnen)) if termijnen else None,
                "teLaat": sum(1 for b in berichten if mailbox.te_laat(b, nu)),
            }
        )
    return uit


@router.get(API_PAD + "/clienten")
def clienten(request: Request) -> JSONResponse:
    """The participant's conversations (metadata) and their labels (ciphertext), and how many
    readable labels of the old kind still wait to be moved."""
    try:
        gebruiker = _api_gebruiker(request)
    except ApiFout as fout:
        return _json({"detail": fout.detail}, fout.status)
    assert gebruiker.oin is not None
    with transactie(runtime(request).sessions) as session:
        nu = db_nu(session)
        conversaties = _overzicht(session, gebruiker.oin, nu)
        labels = {rij.conversatie: _versleuteld(rij) for rij in store.labels_van(session, gebruiker.oin)}
        oud = len(dossiers.oude_labels(session, kluis(request), gebruiker.oin))
    return _json({"conversaties": conversaties, "labels": labels, "oudeLabels": oud})


@router.put(API_PAD + "/clienten/{conversatie}/label")
async def label_bewaren(request: Request, conversatie: str) -> JSONResponse:
    """Store a label the page encrypted; deletes the readable label of that conversation, if any."""
    try:
        gebruiker = await run_in_threadpool(_api_gebruiker, request)
        conversatie = _conversatie(conversatie)
        sleutel, iv, versleuteld = lees_versleuteld(await _json_body(request))
    except ApiFout as fout:
        return _json({"detail": fout.detail}, fout.status)
    return await run_in_threadpool(_bewaar, request, gebruiker, conversatie, sleutel, iv, versleuteld)


def _eigen(session: Session, oin: str, conversatie: str) -> None:
    if not store.berichten_in(session, oin, [conversatie], hub=HUB):
        raise ApiFout(
            404,
            "Uw organisatie heeft geen berichten in dit traject; een naam kan alleen bij een eigen "
            "traject. Laad de lijst opnieuw.",
        )


def _bewaar(
    request: Request, gebruiker: Gebruiker, conversatie: str, sleutel: str, iv: bytes, versleuteld: bytes
) -> JSONResponse:
    assert gebruiker.oin is not None
    try:
        with transactie(runtime(request).sessions) as session:
            _eigen(session, gebruiker.oin, conversatie)
            nu = db_nu(session)
            store.bewaar_label(
                session,
                PortaalClientlabel(
                    oin=gebruiker.oin,
                    conversatie=conversatie,
                    sleutel_id=sleutel,
                    iv=iv,
                    versleuteld=versleuteld,
                    gewijzigd_op=nu,
                ),
            )
    except ApiFout as fout:
        return _json({"detail": fout.detail}, fout.status)
    return _json({"conversatie": conversatie, "gewijzigdOp": _tijd(nu)})


@router.delete(API_PAD + "/clienten/{conversatie}/label")
def label_wissen(request: Request, conversatie: str) -> JSONResponse:
    try:
        gebruiker = _api_gebruiker(request)
        conversatie = _conversatie(conversatie)
    except ApiFout as fout:
        return _json({"detail": fout.detail}, fout.status)
    assert gebruiker.oin is not None
    with transactie(runtime(request).sessions) as session:
        store.verwijder_label(session, gebruiker.oin, conversatie)
        dossiers.verwijder(session, gebruiker.oin, conversatie)
    return _json({"conversatie": conversatie})


@router.get(API_PAD + "/clienten/oude-labels")
def oude_labels(request: Request) -> JSONResponse:
    """The labels the portal kept readable under the hub's kluis, for the page to encrypt under the
    label key and store again (each store deletes its readable copy)."""
    try:
        gebruiker = _api_gebruiker(request)
    except ApiFout as fout:
        return _json({"detail": fout.detail}, fout.status)
    assert gebruiker.oin is not None
    with transactie(runtime(request).sessions) as session:
        labels = dossiers.oude_labels(session, kluis(request), gebruiker.oin)
    return _json(
        {
            "labels": [
                {"conversatie": c, "klantnummer": label.klantnummer, "naam": label.naam}
                for c, label in sorted(labels.items())
            ]
        }
    )
