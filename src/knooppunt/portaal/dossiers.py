"""A hosted debt counsellor's labels for its clients (DESIGN §7): the hub keeps no client names
(§1.3), so the portal keeps, per conversation, the klantnummerSHV and a name the user gave, for its
people to recognise the client. Encrypted in the kluis (AES-256-GCM, OIN and conversation as
associated data); the plaintext exists only in memory for the request. Only the participant's own
users see them.

This is the old, server-readable kind, for participants whose keys the portal still hosts. Once a
participant keeps keys in the browser (a key blob, ``portaal.sleutelblobs``), its labels are
encrypted in the browser under the organisation's label key (``routes.werkplek_clienten``): then
nothing here reads or stores a name for it any more (``lees`` and ``lees_meerdere`` return none,
``bewaar`` stores none), and its old labels wait only to be moved to the werkplek once
(``oude_labels``), each deleted as its encrypted copy is stored.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from knooppunt.portaal.kluis import Kluis, KluisFout, Versleuteld
from knooppunt.store import clientlabels
from knooppunt.store import portaal as store
from knooppunt.store.models import PortaalDossier

DOEL = "dossier"
MAX_KLANTNUMMER = 50
MAX_NAAM = 200


@dataclass(frozen=True, slots=True)
class Label:
    klantnummer: str
    naam: str

    @property
    def tekst(self) -> str:
        delen = [d for d in (self.naam, self.klantnummer) if d]
        return " · ".join(delen)

    def zoek(self, term: str) -> bool:
        term = term.casefold()
        return term in self.naam.casefold() or term in self.klantnummer.casefold()


ONLEESBAAR = Label("", "(naam niet te ontsleutelen)")


def maak_label(klantnummer: str, naam: str) -> Label:
    """A label from user input, trimmed to the stored limits."""
    return Label(" ".join(klantnummer.split())[:MAX_KLANTNUMMER], " ".join(naam.split())[:MAX_NAAM])


EIGEN_NUMMERS = ("klantnummerSHV", "klantnummerBW", "kenmerk")
"""Where a message names the own number of the party that follows the client (DESIGN §3, §3b): a
debt counsellor's or wijkteam's ``klantnummerSHV`` (also a bewindvoerder's in module saldoverzoek),
a bewindvoerder's ``klantnummerBW`` (module bewind), a kredietbank's ``kenmerk`` of its case with
the fund (module waarborgfonds, which names no client: the kenmerk names the traject). The SE's
answers repeat it, so a received message names it as well as a sent one."""


def _naam(klant: object) -> str:
    if not isinstance(klant, Mapping):
        return ""
    if klant.get("naam"):
        return str(klant["naam"])
    return " ".join(str(klant[d]) for d in ("voorletters", "voorvoegsel", "achternaam") if klant.get(d))


def label_uit_payload(payload: Mapping[str, Any]) -> Label | None:
    """The label of a client from a message about it: the sender's own number (``EIGEN_NUMMERS``)
    plus the client's name."""
    klantnummer = next((payload[veld] for veld in EIGEN_NUMMERS if payload.get(veld)), None)
    naam = _naam(payload.get("klant"))
    if not klantnummer and not naam:
        return None
    return maak_label(str(klantnummer or ""), naam)


def noem(
    session: Session,
    kluis: Kluis,
    *,
    oin: str,
    conversatie: str,
    payload: Mapping[str, Any] | None,
    nu: datetime,
) -> Label | None:
    """Name a traject from a message about it that the portal opened or sent for the participant
    (docs/portaal.md "Namen uit de berichten", for hosted keys): a traject that has a label keeps it,
    one without gets ``label_uit_payload``. Stores nothing for a participant whose names live in
    the browser. Returns the traject's label, if any."""
    if in_browser(session, oin):
        return None
    bestaand = lees(session, kluis, oin, conversatie)
    if bestaand is not None or not payload:
        return bestaand
    label = label_uit_payload(payload)
    if label is not None:
        bewaar(session, kluis, oin=oin, conversatie=conversatie, label=label, nu=nu)
    return label


def klant_uit_payload(payload: Mapping[str, Any] | None) -> str | None:
    """Who a received message is about, as the recipient recognises the client: the client's name
    and the numbers the payload carries (the creditor's own first; a waarborgfonds case by its
    kenmerk). None when it names none."""
    if not payload:
        return None
    naam = _naam(payload.get("klant"))
    nummers = [
        f"{wat} {payload[veld]}"
        for veld, wat in (
            ("klantnummerSE", "klantnummer"),
            ("klantnummerSEVolgensSHV", "uw klantnummer"),
            ("klantnummerSEVolgensBW", "uw klantnummer"),
            ("klantnummerSHV", "klantnummer SHV"),
            ("klantnummerBW", "klantnummer bewindvoerder"),
            ("kenmerk", "kenmerk"),
        )
        if payload.get(veld)
    ]
    delen = [d for d in (naam, ", ".join(nummers)) if d]
    return " · ".join(delen) or None


def _open(kluis: Kluis, rij: PortaalDossier) -> Label:
    try:
        tekst = kluis.ontsleutel_waarde(
            DOEL,
            rij.oin,
            rij.conversatie,
            versleuteld=Versleuteld(rij.hoofdsleutel_id, rij.nonce, rij.versleuteld),
        )
        data = json.loads(tekst)
        return Label(str(data.get("klantnummer", "")), str(data.get("naam", "")))
    except (KluisFout, ValueError):
        return ONLEESBAAR


def in_browser(session: Session, oin: str) -> bool:
    """Whether this participant's client names live in the browser only (it keeps keys there)."""
    return clientlabels.heeft_browsersleutels(session, oin)


def lees(session: Session, kluis: Kluis, oin: str, conversatie: str) -> Label | None:
    """The label of one client; None when there is none or the names live in the browser."""
    if in_browser(session, oin):
        return None
    rij = store.dossier(session, oin, conversatie)
    return _open(kluis, rij) if rij is not None else None


def lees_meerdere(
    session: Session, kluis: Kluis, oin: str, conversaties: Collection[str] | None = None
) -> dict[str, Label]:
    """conversation -> label, for all of the participant's clients or these conversations; none
    when its names live in the browser."""
    if in_browser(session, oin):
        return {}
    return {rij.conversatie: _open(kluis, rij) for rij in store.dossiers_van(session, oin, conversaties)}


def oude_labels(session: Session, kluis: Kluis, oin: str) -> dict[str, Label]:
    """The readable labels still kept for this participant, for its werkplek to encrypt under the
    label key once (unreadable ones left out)."""
    labels = {rij.conversatie: _open(kluis, rij) for rij in store.dossiers_van(session, oin)}
    return {c: label for c, label in labels.items() if label is not ONLEESBAAR}


def verwijder(session: Session, oin: str, conversatie: str) -> None:
    clientlabels.verwijder_dossier(session, oin, conversatie)


def _versleutel(kluis: Kluis, oin: str, conversatie: str, label: Label) -> Versleuteld:
    tekst = json.dumps({"klantnummer": label.klantnummer, "naam": label.naam}, ensure_ascii=False)
    return kluis.versleutel_waarde(DOEL, oin, conversatie, waarde=tekst.encode("utf-8"))


def bewaar(session: Session, kluis: Kluis, *, oin: str, conversatie: str, label: Label, nu: datetime) -> bool:
    """Create or replace the label of a client. Stores nothing (False) for a participant whose
    names live in the browser: the server may not keep a name it can read for it."""
    if in_browser(session, oin):
        return False
    waarde = _versleutel(kluis, oin, conversatie, label)
    bestaand = store.dossier(session, oin, conversatie)
    store.bewaar_dossier(
        session,
        PortaalDossier(
            oin=oin,
            conversatie=conversatie,
            hoofdsleutel_id=waarde.hoofdsleutel_id,
            nonce=waarde.nonce,
            versleuteld=waarde.versleuteld,
            aangemaakt_op=bestaand.aangemaakt_op if bestaand is not None else nu,
            gewijzigd_op=nu,
        ),
    )
    return True


def herversleutel(session: Session, kluis: Kluis) -> int:
    """Re-encrypt every label under the current master key (after a rotation, as
    ``gastclient.herversleutel`` does for the keys)."""
    aantal = 0
    for rij in store.alle_dossiers(session):
        if rij.hoofdsleutel_id == kluis.huidige_id:
            continue
        tekst = kluis.ontsleutel_waarde(
            DOEL,
            rij.oin,
            rij.conversatie,
            versleuteld=Versleuteld(rij.hoofdsleutel_id, rij.nonce, rij.versleuteld),
        )
        nieuw = kluis.versleutel_waarde(DOEL, rij.oin, rij.conversatie, waarde=tekst)
        rij.hoofdsleutel_id, rij.nonce, rij.versleuteld = (
            nieuw.hoofdsleutel_id,
            nieuw.nonce,
            nieuw.versleuteld,
        )
        aantal += 1
    return aantal
