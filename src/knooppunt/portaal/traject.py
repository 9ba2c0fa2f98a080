"""What the debt counsellor's pages share: the hosted client for the logged-in user, and a client's
traject (conversation) that must be the user's own."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request

from knooppunt.hub import mailbox
from knooppunt.portaal.fouten import PortaalFout
from knooppunt.portaal.gastclient import Gastclient
from knooppunt.portaal.kluis import Kluis
from knooppunt.portaal.sessies import Gebruiker, runtime
from knooppunt.protocol.catalogus import CATALOGUS, Berichttype, Module, Rol, Voorwaarde, versiesleutel
from knooppunt.protocol.identificatie import is_uuid
from knooppunt.store.models import Bericht

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
