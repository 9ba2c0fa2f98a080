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
from knooppunt.protocol.catalogus import CATALOGUS, Berichttype, Module, Rol
from knooppunt.protocol.identificatie import is_uuid
from knooppunt.store.models import Bericht

MODULE = Module.SCHULDREGELING.value
# Types that only make sense in a traject that already has messages (11.1, 12.1, 15.1).
ALLEEN_VERVOLG = frozenset({"reminder", "schuldregeling_geaccordeerd", "schuldregeling_beeindigd"})


def kluis(request: Request) -> Kluis:
    gevonden = request.app.state.kluis
    assert isinstance(gevonden, Kluis)
    return gevonden


def gastclient(request: Request, gebruiker: Gebruiker) -> Gastclient:
    assert gebruiker.oin is not None
    return Gastclient(runtime(request), kluis(request), gebruiker.oin, wie=gebruiker.audit_actor)


def shv_typen(*, nieuw: bool) -> list[Berichttype]:
    """The message types a debt counsellor composes (DESIGN §3), for a new client or a follow-up."""
    return [
        t
        for t in CATALOGUS.nieuwste()
        if t.module == MODULE and Rol.SHV in t.van and not (nieuw and t.code in ALLEEN_VERVOLG)
    ]


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
