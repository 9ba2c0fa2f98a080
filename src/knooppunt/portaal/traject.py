"""What the debt counsellor's pages share: the hosted client for the logged-in user, and a client's
traject (conversation) that must be the user's own."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from sqlalchemy.orm import Session

from knooppunt.hub import mailbox
from knooppunt.portaal import dossiers
from knooppunt.portaal.fouten import PortaalFout
from knooppunt.portaal.gastclient import Gastclient
from knooppunt.portaal.kluis import Kluis
from knooppunt.portaal.sessies import Gebruiker, runtime
from knooppunt.protocol.catalogus import CATALOGUS, Berichttype, Module, Rol, Voorwaarde, versiesleutel
from knooppunt.protocol.identificatie import is_uuid
from knooppunt.store import berichten as berichten_store
from knooppunt.store import deelnemers as deelnemers_store
from knooppunt.store.models import Bericht

CLIENTROLLEN = ("SHV", "BW")
"""Roles that compose for clients and follow them on *Cliënten* (DESIGN §7): debt counsellors,
kredietbanken and fase-1 wijkteams (SHV) and bewindvoerders (BW). They keep their own label of each
traject; the other roles answer by upload."""
OPSTELLEN = "/portaal/opstellen"
MODULE = Module.SCHULDREGELING.value
"""The module a debt counsellor's pages open with when it has joined it (else its first module)."""
VERVOLGVOORWAARDEN = frozenset(
    {
        Voorwaarde.EERDER_UITGEWISSELD,
        Voorwaarde.LAATSTE_ANTWOORD_AKKOORD,
        Voorwaarde.VERWIJST_NAAR_OPEN_VRAAG,
        Voorwaarde.VERWIJST_NAAR_LAATSTE_NIET_AKKOORD,
    }
)
"""Conditions that need an earlier message in the traject (11.1, 12.1, 14.1, 15.1): such types are
composed from a client's page, never for a new client."""


def alleen_vervolg(t: Berichttype) -> bool:
    return (
        bool(set(t.voorwaarden) & VERVOLGVOORWAARDEN)
        or t.antwoord_verplicht_verwijzing
        or bool(t.verwijst_naar)
    )


# Kept for the names the pages and tests know (schuldregeling's follow-up types).
ALLEEN_VERVOLG = frozenset(
    t.code for t in CATALOGUS.alle() if t.module == MODULE and not t.door_knooppunt and alleen_vervolg(t)
)


def kluis(request: Request) -> Kluis:
    gevonden = request.app.state.kluis
    assert isinstance(gevonden, Kluis)
    return gevonden


def gastclient(request: Request, gebruiker: Gebruiker) -> Gastclient:
    assert gebruiker.oin is not None
    return Gastclient(runtime(request), kluis(request), gebruiker.oin, wie=gebruiker.audit_actor)


def afzendermodules(rol: str | None, modules: Sequence[str]) -> list[str]:
    """The modules (of those joined) in which this role composes messages, schuldregeling first."""
    if rol is None:
        return []
    uit = [
        m
        for m in CATALOGUS.modulecodes()
        if m in modules
        and any(Rol(rol) in t.van and not t.door_knooppunt for t in CATALOGUS.alle() if t.module == m)
    ]
    return sorted(uit, key=lambda m: m != MODULE)


def afzendertypen(
    rol: str | None,
    module: str = MODULE,
    *,
    nieuw: bool,
    versie: str | None = None,
    versies: Sequence[str] = (),
) -> list[Berichttype]:
    """The types this role composes in a module (DESIGN §3, §3b), for a new client or a follow-up:
    in ``versie``; else in any of ``versies`` (those the sender accepts; by default every version of
    the module), each code once, named as in the oldest of them — which version a message goes in
    is decided when its recipients are known."""
    if rol is None:
        return []
    kandidaten = (versie,) if versie else tuple(versies) or CATALOGUS.moduleversies(module)
    uit: dict[str, Berichttype] = {}
    for v in sorted(kandidaten, key=versiesleutel):
        for t in CATALOGUS.alle():
            if (
                t.module == module
                and t.versie == v
                and not t.door_knooppunt
                and Rol(rol) in t.van
                and not (nieuw and alleen_vervolg(t))
            ):
                uit.setdefault(t.code, t)
    return list(uit.values())


def afzendertype(rol: str | None, module: str, code: str, versie: str | None = None) -> Berichttype | None:
    return next((t for t in afzendertypen(rol, module, nieuw=False, versie=versie) if t.code == code), None)


def shv_typen(*, nieuw: bool) -> list[Berichttype]:
    """The message types a debt counsellor composes in schuldregeling 1.0 (DESIGN §3)."""
    return afzendertypen("SHV", MODULE, nieuw=nieuw, versie="1.0")


def shv_type(code: str) -> Berichttype | None:
    return next((t for t in shv_typen(nieuw=False) if t.code == code), None)


def niet_gevonden() -> PortaalFout:
    return PortaalFout(
        "Deze cliënt bestaat niet of hoort niet bij uw organisatie. Kies een cliënt uit het overzicht.",
        status=404,
        titel="Cliënt niet gevonden",
    )


def eigen_tijdlijn(gast: Gastclient, conversatie: str) -> Sequence[Bericht]:
    """The messages of this conversation the participant sent or received; 404 when it has none
    (unknown, malformed, or another organisation's: the same answer, so nothing is learnt)."""
    conversatie = conversatie.lower()
    if not is_uuid(conversatie):
        raise niet_gevonden()
    tijdlijn = gast.lees(
        lambda session, _nu: list(mailbox.conversatie_of_leeg(session, gast.oin, conversatie))
    )
    if not tijdlijn:
        raise niet_gevonden()
    return tijdlijn


@dataclass(frozen=True, slots=True)
class Vervolg:
    """A link to compose a message that answers, or refers to, a received message."""

    berichttype: Berichttype
    url: str

    @property
    def tekst(self) -> str:
        return f"{self.berichttype.naam} sturen"

    @property
    def antwoordt(self) -> bool:
        """An answer (it confirms the question and sets it beantwoord), not a mere reference."""
        return self.berichttype.is_antwoord


def opstellen_url(
    berichttype: str,
    *,
    module: str,
    ontvanger: str | None = None,
    conversatie: str | None = None,
    antwoord_op: str | None = None,
) -> str:
    """The compose form of a type, always with its module: without one the form opens in the
    participant's first module, where the type may not exist (DESIGN §3b). A message that names
    another goes in that message's module (§3a)."""
    query = [("berichttype", berichttype), ("module", module)]
    if ontvanger:
        query.append(("ontvanger", ontvanger))
    if conversatie:
        query.append(("conversatie", conversatie))
    if antwoord_op:
        query.append(("antwoord_op", antwoord_op))
    return f"{OPSTELLEN}/inhoud?{urlencode(query)}"


def kiezen_url(*, conversatie: str, module: str | None = None, ontvanger: str | None = None) -> str:
    """The first step of composing a follow-up in a traject (to one counterpart), in its module."""
    query = [("conversatie", conversatie)]
    if module:
        query.append(("module", module))
    if ontvanger:
        query.append(("ontvanger", ontvanger))
    return f"{OPSTELLEN}?{urlencode(query)}"


def vervolgen(rol: str | None, bericht: Any, *, oin: str) -> list[Vervolg]:
    """What this role can send in reply to a message it received (``bericht``: a `Bericht`, a row
    of it, or an opened `Ontvangen` — fetched by the participant, so addressed to it), in the
    message's own module and version (DESIGN §3a: an answer carries its question's): the types
    that answer it (a statusbericht to a statusverzoek, 14.2; kredietinformatie to the fund's
    verzoek) or refer to it as received (a heroverweging to a niet-akkoord). None for a message of
    the hub, one the participant sent, or a role that does not compose in the portal."""
    ontvanger = getattr(bericht, "ontvanger", oin)
    conversatie = getattr(bericht, "conversatie_referentienummer", None) or bericht.conversatie
    if rol not in CLIENTROLLEN or bericht.afzender in (oin, mailbox.KNOOPPUNT) or ontvanger != oin:
        return []
    uit = []
    for t in CATALOGUS.alle():
        if (
            t.module != bericht.module
            or t.versie != bericht.versie
            or t.door_knooppunt
            or Rol(rol) not in t.van
        ):
            continue
        if t.beantwoordt_type(bericht.berichttype) or (
            t.verwijst_naar_ontvangen and bericht.berichttype in t.verwijst_naar
        ):
            uit.append(
                Vervolg(
                    t,
                    opstellen_url(
                        t.code,
                        module=t.module,
                        ontvanger=bericht.afzender,
                        conversatie=conversatie,
                        antwoord_op=bericht.referentienummer,
                    ),
                )
            )
    return uit


TEGENPARTIJWOORDEN = {"SE": ("schuldeisers", "alle schuldeisers"), "WF": ("fonds", "het waarborgfonds")}
"""How the pages name the parties a client's messages go to, by role (DESIGN §7: the user's words)."""


def tegenpartijen(rol: str | None, modules: Sequence[str] | set[str]) -> tuple[str, str]:
    """The parties this role writes to in its modules, as a column heading ("Schuldeisers",
    "Schuldeisers en fonds" for a kredietbank, which also writes to the fund) and in a sentence
    ("alle schuldeisers en het waarborgfonds")."""
    rollen = {
        str(r)
        for t in CATALOGUS.alle()
        if rol is not None and t.module in modules and not t.door_knooppunt and Rol(rol) in t.van
        for r in t.naar
    }
    woorden = [w for r, w in TEGENPARTIJWOORDEN.items() if r in rollen] or [TEGENPARTIJWOORDEN["SE"]]
    kop = " en ".join(w[0] for w in woorden)
    return kop[:1].upper() + kop[1:], " en ".join(w[1] for w in woorden)


def trajectnamen(session: Session, kluis_: Kluis, oin: str, conversaties: Collection[str]) -> dict[str, str]:
    """How the pages name these trajecten of the participant (DESIGN §7: by name, never by a bare
    number): its own label of each (``dossiers``: the client's name and klantnummer, a case's
    kenmerk), else — for one another party started with it, such as the fund's verzoek
    kredietinformatie (DESIGN §2) — "Traject met <that party>", else its reference."""
    labels = dossiers.lees_meerdere(session, kluis_, oin, conversaties)
    eigenaren = berichten_store.conversatie_eigenaren(session, conversaties)
    namen: dict[str, str] = {}
    for c in conversaties:
        if (label := labels.get(c)) is not None:
            namen[c] = label.tekst
        elif (eigenaar := eigenaren.get(c)) is not None and eigenaar != oin:
            ander = deelnemers_store.haal(session, eigenaar)
            namen[c] = f"Traject met {ander.naam if ander is not None else eigenaar}"
        else:
            namen[c] = f"Traject {c[:8]}"
    return namen
